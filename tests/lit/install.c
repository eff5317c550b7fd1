// `make install PREFIX=...` gives a working tree: the installed vkasan-cc
// builds and links against the installed runtime (the build tree may go
// away), and pkg-config finds vkasan.pc for plain, uninstrumented users of
// the API.
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
// RUN: env PKG_CONFIG_PATH=%t.inst/lib/pkgconfig pkg-config --cflags --libs vkasan | FileCheck %s --check-prefix=PC
// PC: -I{{.*}}.inst/include -L{{.*}}.inst/lib -lvkasan -lpthread
// RUN: env PKG_CONFIG_PATH=%t.inst/lib/pkgconfig pkg-config --modversion vkasan | FileCheck %s --check-prefix=VERSION
// VERSION: {{^[0-9]+\.[0-9]+}}
// RUN: %cckind -DPLAIN %s -o %t.plain $(env PKG_CONFIG_PATH=%t.inst/lib/pkgconfig pkg-config --cflags vkasan) %t.inst/lib/libvkasan.a -lpthread
// RUN: %run %t.plain | FileCheck %s --check-prefix=PLAIN
// PLAIN: plain: size 100, live 1
#include <stdio.h>
#include "vkasan.h"

int main(void)
{
	char *p = vk_vmalloc(100);
#ifdef PLAIN
	struct vk_stats s;
	vk_get_stats(&s);
	printf("plain: size %zu, live %llu\n", vk_vmalloc_size(p), (unsigned long long)s.live_areas);
#else
	((volatile char *)p)[100] = 1;
#endif
	return 0;
}
