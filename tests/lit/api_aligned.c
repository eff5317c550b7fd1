// vk_vmalloc_aligned: the code, include/vkasan.h and the README agree
// (issue 16, point 7): align 0 means no constraint (page-aligned, like
// vk_vmalloc), a power of two aligns the start (at least a page), any other
// value returns NULL.
// REQUIRES: O0
//
// RUN: %cc %s -o %t && %run %t 2>&1 | FileCheck %s
// CHECK: align 0: ok, page-aligned
// CHECK-NEXT: align 1: ok, page-aligned
// CHECK-NEXT: align 1M: ok, 1M-aligned
// CHECK-NEXT: align 3: NULL
// CHECK-NEXT: align 6144: NULL
// RUN: grep -q '0 (no constraint) or a' %incdir/vkasan.h
// RUN: grep -q 'vk_vmalloc_aligned(size_t size, size_t align)` | `align` 0 (no constraint) or a power of two' %srcroot/README.md
#include <stdint.h>
#include <stdio.h>
#include "vkasan.h"

static void try(const char *what, size_t align, uintptr_t want)
{
	char *p = vk_vmalloc_aligned(10, align);
	if (!p) {
		printf("align %s: NULL\n", what);
		return;
	}
	p[9] = 1;
	printf("align %s: ok, %s-aligned\n", what,
	       (uintptr_t)p % want ? "NOT" : want == 4096 ? "page" : "1M");
	vk_vfree(p);
}

int main(void)
{
	try("0", 0, 4096);
	try("1", 1, 4096);
	try("1M", 1 << 20, 1 << 20);
	try("3", 3, 1);
	try("6144", 6144, 1);
	return 0;
}
