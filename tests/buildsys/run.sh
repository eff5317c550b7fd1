#!/bin/sh
# tests/buildsys/run.sh BUILD_DIR - vkasan in real build systems (issue 16).
#
# Installs vkasan into a temporary PREFIX (as a user would: `make install`),
# then builds the same small project (src/: a table with an off-by-one read,
# a plugin with an off-by-one write, loaded with dlopen) with:
#   cmake      -DCMAKE_C_COMPILER=vkasan-cc, and plain cc + pkg-config
#   autotools  ./configure CC=vkasan-cc (libtool builds the plugin)
#   meson      CC=vkasan-cc meson setup
#   make       a plain Makefile with -flto (separate compile and link) and a
#              -fPIC shared plugin: make CC=vkasan-cc
# Each build must succeed and each injected bug be reported.  Prints one
# "PASS: " or "FAIL: " line per check (tests/run-tests.sh counts them) and
# "SKIP: " for a build system that is not installed (not counted; .ci/run
# installs them all).  Logs in BUILD_DIR/buildsys/.
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "$B" && pwd) || exit 2
work=$B/buildsys
rm -rf "$work" && mkdir -p "$work" || exit 2
prefix=$work/prefix
log=$work/log
fails=0

pass() { echo "PASS: buildsys $1"; }
fail() {
	echo "FAIL: buildsys $1 (log: $log)"
	tail -15 "$log" | sed 's/^/    /'
	fails=$((fails + 1))
}

if ! make -s -C "$top" -o all install B="$B" PREFIX="$prefix" > "$log" 2>&1; then
	fail "make install"
	exit 1
fi
PATH=$prefix/bin:$PATH
export PATH
unset VKASAN_OPTIONS VKASAN_CC VKASAN_CC_KIND CC CFLAGS LDFLAGS

# expect NAME FUNCTION PROG [ARGS]: PROG reports the bug (exit 1, a KASAN
# report with FUNCTION, the one with the bug, in its trace).
expect() {
	name=$1 fn=$2
	shift 2
	"$@" > "$work/out" 2>&1
	rc=$?
	# (Under LTO the function may be inlined: then it is an [inline] frame.)
	if [ $rc -eq 1 ] && grep -q "^BUG: KASAN: vmalloc-out-of-bounds in " "$work/out" &&
	    grep -Eq "^ $fn(\+0x| .*\[inline\]$)" "$work/out"; then
		pass "$name"
	else
		cat "$work/out" >> "$log"
		echo "exit status $rc" >> "$log"
		fail "$name"
	fi
}

# copy DIR: a fresh copy of project DIR next to src/, as in the tree.
copy() {
	rm -rf "$work/p" && mkdir -p "$work/p" && cp -r "$here/src" "$here/$1" "$work/p/"
}

# CMake, the wrapper as the compiler.
if command -v cmake > /dev/null; then
	copy cmake
	if (cd "$work/p/cmake" && cmake -S . -B b -DCMAKE_C_COMPILER=vkasan-cc -DCMAKE_BUILD_TYPE=Debug &&
	    cmake --build b) >> "$log" 2>&1; then
		pass "cmake -DCMAKE_C_COMPILER=vkasan-cc: builds"
		expect "cmake vkasan-cc: table bug reported" table_sum "$work/p/cmake/b/prog"
		expect "cmake vkasan-cc: dlopen()ed plugin bug reported" plugin_fill \
			"$work/p/cmake/b/prog" plugin "$work/p/cmake/b/libplugin.so"
	else
		fail "cmake -DCMAKE_C_COMPILER=vkasan-cc: builds"
	fi
	copy cmake
	if (cd "$work/p/cmake" && PKG_CONFIG_PATH=$prefix/lib/pkgconfig \
	    cmake -S . -B b -DCMAKE_C_COMPILER=gcc -DUSE_PKGCONFIG=ON && cmake --build b) >> "$log" 2>&1; then
		pass "cmake + pkg-config vkasan: builds"
		expect "cmake + pkg-config: table bug reported" table_sum "$work/p/cmake/b/prog"
		expect "cmake + pkg-config: plugin bug reported" plugin_fill \
			"$work/p/cmake/b/prog" plugin "$work/p/cmake/b/libplugin.so"
	else
		fail "cmake + pkg-config vkasan: builds"
	fi
else
	echo "SKIP: buildsys cmake (not installed)"
fi

# autotools: configure, make (libtool for the plugin).
if command -v autoreconf > /dev/null && command -v libtoolize > /dev/null; then
	rm -rf "$work/p" && mkdir -p "$work/p" && cp "$here"/autotools/* "$here"/src/* "$work/p/"
	if (cd "$work/p" && autoreconf -fi && ./configure CC=vkasan-cc && make) >> "$log" 2>&1; then
		pass "autotools ./configure CC=vkasan-cc: builds"
		expect "autotools: table bug reported" table_sum "$work/p/prog"
		expect "autotools: libtool plugin bug reported" plugin_fill \
			"$work/p/prog" plugin "$work/p/.libs/plugin.so"
	else
		fail "autotools ./configure CC=vkasan-cc: builds"
	fi
else
	echo "SKIP: buildsys autotools (autoconf/automake/libtool not installed)"
fi

# Meson.
if command -v meson > /dev/null && command -v ninja > /dev/null; then
	copy meson
	if (cd "$work/p/meson" && CC=vkasan-cc meson setup b && ninja -C b) >> "$log" 2>&1; then
		pass "meson CC=vkasan-cc: builds"
		expect "meson: table bug reported" table_sum "$work/p/meson/b/prog"
		expect "meson: plugin bug reported" plugin_fill \
			"$work/p/meson/b/prog" plugin "$work/p/meson/b/libplugin.so"
	else
		fail "meson CC=vkasan-cc: builds"
	fi
else
	echo "SKIP: buildsys meson (meson/ninja not installed)"
fi

# A plain Makefile with -flto and a -fPIC plugin, gcc and clang's LTO-free
# default; the wrapper keeps the flags on gcc's LTO link.
copy make
if make -C "$work/p/make" CC=vkasan-cc >> "$log" 2>&1; then
	pass "make CC=vkasan-cc with -flto: builds"
	expect "make -flto: table bug reported" table_sum "$work/p/make/prog"
	expect "make -fPIC plugin: bug reported" plugin_fill "$work/p/make/prog" plugin "$work/p/make/plugin.so"
else
	fail "make CC=vkasan-cc with -flto: builds"
fi
[ "$fails" -eq 0 ]
