# vkasan - GNU make build.
#   make               library (build/lib), compiler wrapper (build/bin)
#   make check         unit tests and the lit suite; ends with "N passed, N failed"
#   make demo          the demo: shadow populated, shared, released; a real report
#   make bench         benchmark suite (bench/results/); make bench-quick: < 2 min
#   make install PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
B       := build
AR      ?= ar

# The runtime is never instrumented and has no stack protector of its own.
# -fno-tree-loop-distribute-patterns: gcc would turn the runtime's own
# byte loops into calls of memset/memcpy/strlen, which the runtime exports
# as checked interceptors (see RT_FORBIDDEN below).
RT_CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden -fno-stack-protector \
	-fno-sanitize=all -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter -MMD -MP $(EXTRA_CFLAGS)
TEST_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Wno-unused-parameter $(EXTRA_CFLAGS)
LDLIBS  := -lpthread

RT_SRCS := $(wildcard src/*.c)
RT_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(RT_SRCS))
LIB_A   := $(B)/lib/libvkasan.a
LIB_SO  := $(B)/lib/libvkasan.so
WRAPPER := $(B)/bin/vkasan-cc
# Linked into inline-instrumented programs only (its .preinit_array entry
# maps the full shadow): not part of the library.
INLINE_O := $(B)/lib/vkasan-inline.o
# Its shared-library counterpart (vkasan-cc --inline -shared).
INLINE_SO_O := $(B)/lib/vkasan-inline-so.o
VERSION := $(shell sed -n 's/^\#define VKASAN_VERSION "\(.*\)"/\1/p' include/vkasan.h)
# Paths written into the installed wrapper and vkasan.pc must be absolute:
# a relative PREFIX is taken from the top of the tree.
IPREFIX := $(abspath $(PREFIX))

# The runtime never calls what it intercepts (or the allocator it checks):
# no runtime object may reference these names.  An engineer adding an
# interceptor adds its name here; rt-check fails the build otherwise.
RT_FORBIDDEN := memset memcpy memmove strlen strcpy malloc free calloc realloc \
	mmap mmap64 munmap mremap mprotect madvise sigaction signal \
	posix_memalign aligned_alloc memalign valloc pvalloc reallocarray \
	malloc_usable_size _Znwm _Znam _ZdlPv _ZdaPv
RT_CHECK := $(B)/obj/rt-check.stamp

# The layout's one source of truth: the shadow offset the wrapper gives
# the compiler is read from the mapping header.
SHADOW_OFFSET := $(shell sed -n 's/^\#define VKI_SHADOW_OFFSET \(0x[0-9a-fA-F]*\)UL.*/\1/p' src/vk_mapping.h)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

.PHONY: all lib check unit lit demo bench bench-quick install clean stress fuzz
all: lib $(WRAPPER) $(B)/bin/vkasan-c++ $(B)/bin/vkasan-symbolize
# What a program linked with libvkasan.a exports (vkasan-cc passes it as a
# dynamic list): the same symbols as libvkasan.so, so that instrumented
# libraries it loads bind to its copy of the runtime.
EXPORTS := $(B)/lib/libvkasan.exports
lib: $(LIB_A) $(LIB_SO) $(INLINE_O) $(INLINE_SO_O) $(EXPORTS) $(RT_CHECK)

$(B)/obj/%.o: src/%.c | $(B)/obj
	$(CC) $(RT_CFLAGS) -c $< -o $@

-include $(RT_OBJS:.o=.d) $(INLINE_O:.o=.d) $(INLINE_SO_O:.o=.d)

# Fails when a runtime object (or the shared library's PLT) refers to a name
# in RT_FORBIDDEN: undefined symbols of each object, and the .so's dynamic
# relocations (where a call of our own exported memset would show).
$(RT_CHECK): $(RT_OBJS) $(INLINE_O) $(INLINE_SO_O) $(LIB_SO)
	@bad=$$(for o in $(RT_OBJS) $(INLINE_O) $(INLINE_SO_O); do \
		nm -u $$o | awk -v o=$$o '{print o": "$$NF}'; done | \
		grep -E ': ($(subst $(eval) ,|,$(RT_FORBIDDEN)))$$'); \
	plt=$$(objdump -R $(LIB_SO) | awk '{print $$NF}' | sed 's/@.*//' | \
		grep -xE '$(subst $(eval) ,|,$(RT_FORBIDDEN))'); \
	if [ -n "$$bad$$plt" ]; then \
		echo "rt-check: the runtime calls what it intercepts (use vki_fill/vki_copy/...):"; \
		[ -n "$$bad" ] && echo "$$bad"; \
		[ -n "$$plt" ] && echo "$(LIB_SO) relocations: $$plt"; \
		exit 1; fi
	@touch $@

$(LIB_A): $(RT_OBJS) | $(B)/lib
	rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(RT_OBJS) | $(B)/lib
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(INLINE_O): src/inline/vkasan-inline.c | $(B)/lib
	$(CC) $(RT_CFLAGS) -c $< -o $@

$(EXPORTS): $(LIB_SO)
	{ echo '{'; nm -D --defined-only $< | awk 'NF == 3 { print "  " $$3 ";" }'; echo '};'; } > $@.tmp
	grep -q ' vk_vmalloc;' $@.tmp && mv $@.tmp $@

$(INLINE_SO_O): src/inline/vkasan-inline-so.c | $(B)/lib
	$(CC) $(RT_CFLAGS) -c $< -o $@

# The wrapper knows where the build tree's headers and library are; install
# rewrites the paths.
$(WRAPPER): tools/vkasan-cc.in src/vk_mapping.h include/vkasan.h | $(B)/bin
	@[ -n "$(SHADOW_OFFSET)" ] || { echo "no VKI_SHADOW_OFFSET in src/vk_mapping.h"; exit 1; }
	sed -e 's|@INCDIR@|$(CURDIR)/include|g' -e 's|@LIBDIR@|$(abspath $(B))/lib|g' \
		-e 's|@SHADOW_OFFSET@|$(SHADOW_OFFSET)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@
	chmod +x $@

# The C++ wrapper is the same script under another name.
$(B)/bin/vkasan-c++: | $(B)/bin
	ln -sf vkasan-cc $@

$(B)/bin/vkasan-symbolize: tools/vkasan-symbolize | $(B)/bin
	cp $< $@ && chmod +x $@

$(B)/tests/%: tests/unit/%.c tests/unit/vt.h $(LIB_A) | $(B)/tests
	$(CC) $(TEST_CFLAGS) $< -o $@ $(LIB_A) $(LDLIBS)

$(B)/obj $(B)/lib $(B)/bin $(B)/tests:
	mkdir -p $@

unit: $(UNIT_BINS)

check: all unit
	@sh tests/run-tests.sh $(B)

demo: all
	@$(MAKE) --no-print-directory -C demo B=$(CURDIR)/$(B)

bench: all
	@$(MAKE) --no-print-directory -C bench B=$(CURDIR)/$(B) run

bench-quick: all
	@$(MAKE) --no-print-directory -C bench B=$(CURDIR)/$(B) quick

stress: all
	@$(MAKE) --no-print-directory -C tests/stress B=$(CURDIR)/$(B) long

fuzz: all
	@$(MAKE) --no-print-directory -C tests/fuzz B=$(CURDIR)/$(B) run

install: all
	install -d $(DESTDIR)$(IPREFIX)/include $(DESTDIR)$(IPREFIX)/lib/pkgconfig \
		$(DESTDIR)$(IPREFIX)/bin $(DESTDIR)$(IPREFIX)/share/man/man1 \
		$(DESTDIR)$(IPREFIX)/share/man/man7
	install -m 644 include/vkasan.h $(DESTDIR)$(IPREFIX)/include/
	install -d $(DESTDIR)$(IPREFIX)/include/vkasan
	install -m 644 include/vkasan/linux.h $(DESTDIR)$(IPREFIX)/include/vkasan/
	install -m 644 $(LIB_A) $(DESTDIR)$(IPREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(IPREFIX)/lib/
	install -m 644 $(INLINE_O) $(INLINE_SO_O) $(EXPORTS) $(DESTDIR)$(IPREFIX)/lib/
	sed -e 's|@INCDIR@|$(IPREFIX)/include|g' -e 's|@LIBDIR@|$(IPREFIX)/lib|g' \
		-e 's|@SHADOW_OFFSET@|$(SHADOW_OFFSET)|g' -e 's|@VERSION@|$(VERSION)|g' \
		tools/vkasan-cc.in > $(DESTDIR)$(IPREFIX)/bin/vkasan-cc
	chmod 755 $(DESTDIR)$(IPREFIX)/bin/vkasan-cc
	ln -sf vkasan-cc $(DESTDIR)$(IPREFIX)/bin/vkasan-c++
	install -m 755 tools/vkasan-symbolize $(DESTDIR)$(IPREFIX)/bin/
	install -m 644 man/vkasan-cc.1 $(DESTDIR)$(IPREFIX)/share/man/man1/
	install -m 644 man/vkasan.7 $(DESTDIR)$(IPREFIX)/share/man/man7/
	# gcc's "--param X" as one word "--param=X": build systems (CMake)
	# drop repeated words from flag lists.
	for m in outline inline; do \
		pc=vkasan; [ $$m = inline ] && pc=vkasan-inline; \
		g=$$(VKASAN_CC_KIND=gcc sh $(WRAPPER) --$$m --vkasan-flags | sed 's/--param /--param=/g') && \
		c=$$(VKASAN_CC_KIND=clang sh $(WRAPPER) --$$m --vkasan-flags) && \
		sed -e 's|@PREFIX@|$(IPREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
			-e "s|@CFLAGS_GCC@|$$g|" -e "s|@CFLAGS_CLANG@|$$c|" tools/$$pc.pc.in \
			> $(DESTDIR)$(IPREFIX)/lib/pkgconfig/$$pc.pc || exit 1; \
	done

clean:
	rm -rf $(B)
