// `make install PREFIX=...` gives a working tree: the installed vkasan-cc
// builds and links against the installed runtime (the build tree may go
// away), and pkg-config's vkasan.pc (vkasan-inline.pc) gives the
// instrumentation flags and a runtime that runs as linked (an rpath), so
// `cc $(pkg-config --cflags --libs vkasan)` reports bugs (issue 16, point 2).
// A relative PREFIX is made absolute (point 11).  The man pages and
// vkasan-c++, vkasan-symbolize are installed.
// What it checks depends on the compiler and the mode (pkg-config flags,
// link objects), not on the optimisation level, which the installed wrapper
// passes through like the build tree's (every other test covers -O2): -O0 only.
// REQUIRES: O0
//
// RUN: rm -rf %t.inst
// RUN: make -s -o all -C %srcroot install B=%builddir PREFIX=%t.inst > %t.install.log
// RUN: grep -q "incdir='%t.inst/include'" %t.inst/bin/vkasan-cc
// RUN: grep -q "libdir='%t.inst/lib'" %t.inst/bin/vkasan-cc
// RUN: %t.inst/bin/vkasan-cc --%vkmode %opt -g %s -o %t.prog
// RUN: not %run %t.prog 2>&1 | FileCheck %s
// CHECK: BUG: KASAN: vmalloc-out-of-bounds in main+0x
// CHECK-NEXT: Write of size 1 at addr
//
// RUN: test -f %t.inst/share/man/man1/vkasan-cc.1 && test -f %t.inst/share/man/man7/vkasan.7
// RUN: test -x %t.inst/bin/vkasan-symbolize && test -x %t.inst/bin/vkasan-c++
// RUN: env PKG_CONFIG_PATH=%t.inst/lib/pkgconfig pkg-config --cflags --libs vkasan | FileCheck %s --check-prefix=PC
// PC: -fsanitize=kernel-address {{.*}}-I{{.*}}.inst/include -L{{.*}}.inst/lib -Wl,-rpath,{{.*}}.inst/lib {{.*}}-lvkasan {{.*}}-lpthread
// RUN: env PKG_CONFIG_PATH=%t.inst/lib/pkgconfig pkg-config --modversion vkasan | FileCheck %s --check-prefix=VERSION
// VERSION: {{^0\.2\.0$}}
// The pkg-config route, compile and link in two steps as a Makefile would;
// gcc takes --cflags, clang the cflags_clang variable.
// RUN: pc=vkasan; test %vkmode = inline && pc=vkasan-inline; \
// RUN:   export PKG_CONFIG_PATH=%t.inst/lib/pkgconfig; \
// RUN:   if test %cckind = gcc; then cf=$(pkg-config --cflags $pc); else cf=$(pkg-config --variable=cflags_clang $pc); fi; \
// RUN:   %cckind %opt -g $cf -c %s -o %t.pc.o && %cckind %t.pc.o -o %t.pc $(pkg-config --libs $pc)
// RUN: not %run %t.pc 2>&1 | FileCheck %s
// The API alone, uninstrumented, with the static archive.
// RUN: %cckind -DPLAIN %s -o %t.plain -I%t.inst/include %t.inst/lib/libvkasan.a -lpthread
// RUN: %run %t.plain | FileCheck %s --check-prefix=PLAIN
// PLAIN: plain: size 100, live 1
//
// A relative PREFIX: the wrapper's paths are absolute, and it works from
// another directory.
// RUN: rm -rf %srcroot/relprefix-%vkmode%cckind%opt %t.rel
// RUN: make -s -o all -C %srcroot install B=%builddir PREFIX=relprefix-%vkmode%cckind%opt > %t.install2.log
// RUN: mv %srcroot/relprefix-%vkmode%cckind%opt %t.rel
// RUN: grep -q "incdir='%srcroot/relprefix-%vkmode%cckind%opt/include'" %t.rel/bin/vkasan-cc
// RUN: grep -q "^prefix=%srcroot/relprefix-%vkmode%cckind%opt$" %t.rel/lib/pkgconfig/vkasan.pc
#include <stdio.h>
#include "vkasan.h"

int main(void)
{
	char *p = vk_vmalloc(100);
#ifdef PLAIN
	struct vk_stats s;
	vk_get_stats(&s);
	printf("plain: size %zu, live %llu\n", vk_vmalloc_size(p), (unsigned long long)s.live_areas);
	vk_vfree(p); /* not a leak for the check at exit */
#else
	((volatile char *)p)[100] = 1;
#endif
	return 0;
}
