// Use after free of a malloc'd object: slab-use-after-free with both the
// allocation and the free stack; still caught after a million malloc/free
// pairs of other objects (the quarantine holds it); with quarantine_size=0
// the memory is reused at once and the bug is missed - that is what the
// quarantine is for.
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
// RUN: not %run %t churn 2>&1 | FileCheck %s --check-prefix=CHURN
// RUN: env VKASAN_OPTIONS=quarantine_size=0:detect_leaks=0 %run %t reuse 2>&1 | FileCheck %s --check-prefix=REUSE
#include <stdlib.h>
#include "vktest.h"

VT_NOINLINE void release(void *p)
{
	free(p); // @FREE
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *p = malloc(24); // @ALLOC
	vt_mark("pid=%d p=%p\n", getpid(), (void *)p);
	// CHECK: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	release(p);
	if (!strcmp(mode, "reuse")) {
		int reused = 0;
		for (int i = 0; i < 1000 && !reused; i++) {
			char *q = malloc(24); /* leaked on purpose */
			__asm__ volatile("" : "+r"(q)); /* clang: no folding of q == p */
			reused = q == p;
		}
		// REUSE: reused=1
		vt_mark("reused=%d\n", reused);
		return 0;
	}
	if (!strcmp(mode, "churn")) {
		for (int i = 0; i < 1000000; i++)
			free(malloc(16 + (i & 63)));
		// CHURN: churned
		vt_mark("churned\n");
	}
	// CHECK: expect-report: Read of size 8 at addr [[P]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: slab-use-after-free in vt_read+0x
	// CHECK-NEXT: Read of size 8 at addr [[P]] by task vktest/[[PID]]
	// CHECK: Call Trace:
	// CHECK: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[@LINE+11]]
	// CHECK: Allocated by task vktest/[[PID]]:
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#ALLOC]]
	// CHECK: Freed by task vktest/[[PID]]:
	// CHECK-NEXT: {{^ }}release+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#FREE]]
	// CHECK: The buggy address belongs to the object at [[P]]
	// CHECK-NEXT: {{^}} which belongs to the cache kmalloc-32 of size 32
	// CHECK-NEXT: The buggy address is located 0 bytes inside of
	// CHECK-NEXT: {{^}} freed 24-byte region [[[P]], {{0x[0-9a-f]+}})
	// CHURN: BUG: KASAN: slab-use-after-free in vt_read+0x
	vt_expect("Read of size 8 at addr %p", (void *)p);
	vt_read(p, 8);
	return 0;
}
