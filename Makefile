# vkasan - GNU make build.
#   make               library (build/lib), compiler wrapper (build/bin)
#   make check         unit tests and the lit suite; ends with "N passed, N failed"
#   make demo          the demo: shadow populated, shared, released; a real report
#   make bench         benchmark suite (bench/results/); make bench-quick: < 2 min
#   make realworld     real projects' own test suites, plain/ASan/vkasan, and
#                      injected bugs (apt-get source; long); realworld-quick: 2
#                      projects.  VKASAN_BUILD=/path/to/build measures that tree.
#   make install PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
B       := build
AR      ?= ar

# A flag only where $(CC) knows it (gcc's -f...tree/-ipa flags; clang
# rejects them as unknown arguments).
cc_option = $(shell $(CC) -Werror $(1) -x c -c /dev/null -o /dev/null 2>/dev/null && echo $(1))

# The runtime is never instrumented and has no stack protector of its own.
# It must never call the functions it exports as checked interceptors (see
# RT_NAMES below), and compilers make such calls up:
#  - the runtime's own byte loops become memset/memcpy calls: gcc's loop
#    distribution (-fno-tree-loop-distribute-patterns), clang's loop idiom
#    recognition (-fno-builtin: no C library function is assumed, which
#    also keeps it from forming strlen or bcmp calls);
#  - a large struct assignment or initialiser becomes a memcpy/memset call
#    with either compiler whatever the flags (clang from 128/256 bytes):
#    the runtime copies such structs with vki_copy/vki_fill.
# rt-check catches what slips through; tests/lit/runtime_clang.test builds
# the runtime with clang and runs it, so that both compilers are covered.
NO_LOOP_CALLS := $(call cc_option,-fno-tree-loop-distribute-patterns)
RT_CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden -fno-stack-protector \
	-fno-sanitize=all -fno-omit-frame-pointer -fno-builtin $(NO_LOOP_CALLS) -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Wshadow -Wmissing-prototypes -Wno-unused-parameter -MMD -MP $(EXTRA_CFLAGS)
# The unit tests call malloc, free and the string functions to test the
# runtime's: without builtins, or clang folds a malloc/free pair away and
# assumes malloc leaves errno alone.
TEST_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -fno-builtin $(NO_LOOP_CALLS) -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Wno-unused-parameter $(EXTRA_CFLAGS)
LDLIBS  := -lpthread -ldl

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
# no runtime object may reference a name in this list, the one list of
# them.  An engineer adding an interceptor adds its name there; rt-check
# (below, part of `make lib`) fails the build otherwise.
RT_NAMES := tools/intercepted-names.txt
RT_CHECK := $(B)/obj/rt-check.stamp

# The layout's one source of truth: the shadow offset the wrapper gives
# the compiler is read from the mapping header.
SHADOW_OFFSET := $(shell sed -n 's/^\#define VKI_SHADOW_OFFSET \(0x[0-9a-fA-F]*\)UL.*/\1/p' src/vk_mapping.h)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

.PHONY: all lib check unit lit demo bench bench-quick install clean stress fuzz \
	realworld realworld-quick
all: lib $(WRAPPER) $(B)/bin/vkasan-c++ $(B)/bin/vkasan-symbolize
# What a program linked with libvkasan.a exports (vkasan-cc passes it as a
# dynamic list): the same symbols as libvkasan.so, so that instrumented
# libraries it loads bind to its copy of the runtime.
EXPORTS := $(B)/lib/libvkasan.exports
lib: $(LIB_A) $(LIB_SO) $(INLINE_O) $(INLINE_SO_O) $(EXPORTS) $(RT_CHECK)

$(B)/obj/%.o: src/%.c | $(B)/obj
	$(CC) $(RT_CFLAGS) -c $< -o $@

-include $(RT_OBJS:.o=.d) $(INLINE_O:.o=.d) $(INLINE_SO_O:.o=.d)

# The one check of RT_NAMES (tools/check-intercepted.sh): no runtime object
# has an undefined reference to a listed name, the shared library has no
# dynamic relocation against one (where a call of our own exported memset
# would show), and the objects that interpose libc names (check.o, mmap.o,
# intercept_*.o) export no libc name missing from the list.
$(RT_CHECK): $(RT_OBJS) $(INLINE_O) $(INLINE_SO_O) $(LIB_SO) $(RT_NAMES) tools/check-intercepted.sh
	@sh tools/check-intercepted.sh $(RT_NAMES) $(RT_OBJS) $(INLINE_O) $(INLINE_SO_O) $(LIB_SO)
	@touch $@

# The libc interceptors and the helpers they build on (no builtins, like
# all the runtime, so their loops do not become calls to themselves): no tail
# calls and no identical functions folded into one (strtoull and strtouq),
# so the Call Trace of a report starts inside the interceptor.
$(B)/obj/intercept_%.o $(B)/obj/vkstring.o: RT_CFLAGS += -fno-optimize-sibling-calls \
	$(call cc_option,-fno-ipa-icf)

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

# Not part of check: it downloads Debian source packages and takes long.
# With VKASAN_BUILD set, that build tree is measured and ./build is not built.
RW_BUILD := $(if $(VKASAN_BUILD),$(VKASAN_BUILD),$(CURDIR)/$(B))
RW_DEPS  := $(if $(VKASAN_BUILD),,all)
realworld: $(RW_DEPS)
	VKASAN_BUILD=$(RW_BUILD) nice -n 10 python3 tests/realworld/run.py $(RW_ARGS)

realworld-quick: $(RW_DEPS)
	VKASAN_BUILD=$(RW_BUILD) nice -n 10 python3 tests/realworld/run.py --quick $(RW_ARGS)

install: all
	install -d $(DESTDIR)$(IPREFIX)/include $(DESTDIR)$(IPREFIX)/lib/pkgconfig \
		$(DESTDIR)$(IPREFIX)/bin $(DESTDIR)$(IPREFIX)/share/man/man1 \
		$(DESTDIR)$(IPREFIX)/share/man/man7
	install -m 644 include/vkasan.h $(DESTDIR)$(IPREFIX)/include/
	install -d $(DESTDIR)$(IPREFIX)/include/sanitizer $(DESTDIR)$(IPREFIX)/include/vkasan
	install -m 644 include/sanitizer/asan_interface.h $(DESTDIR)$(IPREFIX)/include/sanitizer/
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
