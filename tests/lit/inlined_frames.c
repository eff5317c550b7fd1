// Inlined frames (issue 16, point 10): a bad access in a function inlined
// into another is shown as the chain, as the kernel's symbolized traces
// and AddressSanitizer show it: the inlined function with its file:line and
// "[inline]", then the function it was inlined into with the line of the
// call.  The headline names the real function (with +off/size).
// REQUIRES: O2
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
// CHECK: BUG: KASAN: vmalloc-out-of-bounds in outer+0x
// CHECK: Call Trace:
// CHECK-NEXT: {{^ }}put_byte {{.*}}inlined_frames.c:[[#PUT]] [inline]
// CHECK-NEXT: {{^ }}outer+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}inlined_frames.c:[[#CALL]]
// CHECK-NEXT: {{^ }}main+0x
#include "vktest.h"

static inline __attribute__((always_inline)) void put_byte(char *p, int i)
{
	((volatile char *)p)[i] = 1; // @PUT
}

__attribute__((noinline)) void outer(char *p, int i)
{
	put_byte(p, i); // @CALL
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	char *p = vk_vmalloc(16);
	outer(p, 16);
	return 0;
}
