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
RT_CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden -fno-stack-protector \
	-fno-sanitize=all -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -Isrc \
	-Wall -Wextra -Wshadow -Wno-unused-parameter $(EXTRA_CFLAGS)
TEST_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -Isrc \
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

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))

.PHONY: all lib check unit lit demo bench bench-quick install clean stress fuzz
all: lib $(WRAPPER)
lib: $(LIB_A) $(LIB_SO) $(INLINE_O)

$(B)/obj/%.o: src/%.c src/vk_internal.h src/slab.h include/vkasan.h include/vkasan/linux.h | $(B)/obj
	$(CC) $(RT_CFLAGS) -c $< -o $@

$(LIB_A): $(RT_OBJS) | $(B)/lib
	rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(RT_OBJS) | $(B)/lib
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(INLINE_O): src/inline/vkasan-inline.c | $(B)/lib
	$(CC) $(RT_CFLAGS) -c $< -o $@

# The wrapper knows where the build tree's headers and library are; install
# rewrites the paths.
$(WRAPPER): tools/vkasan-cc.in | $(B)/bin
	sed -e 's|@INCDIR@|$(CURDIR)/include|g' -e 's|@LIBDIR@|$(CURDIR)/$(B)/lib|g' $< > $@
	chmod +x $@

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
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/vkasan.h $(DESTDIR)$(PREFIX)/include/
	install -d $(DESTDIR)$(PREFIX)/include/vkasan
	install -m 644 include/vkasan/linux.h $(DESTDIR)$(PREFIX)/include/vkasan/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(INLINE_O) $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@INCDIR@|$(PREFIX)/include|g' -e 's|@LIBDIR@|$(PREFIX)/lib|g' \
		tools/vkasan-cc.in > $(DESTDIR)$(PREFIX)/bin/vkasan-cc
	chmod 755 $(DESTDIR)$(PREFIX)/bin/vkasan-cc
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1|g' tools/vkasan.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/vkasan.pc

clean:
	rm -rf $(B)
