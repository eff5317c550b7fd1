// Frees that are bugs: a double free (before the purge, while the mapping is
// quarantined), and frees of pointers that are not the start of a mapping:
// an interior pointer, a stack pointer, a malloc pointer.  Each is reported
// once, with the freeing call's stack and the address; the free is ignored.
//
// RUN: %cc %s -o %t
// RUN: not %run %t double 2>&1 | FileCheck %s --check-prefix=DOUBLE %lines
// RUN: not %run %t interior 2>&1 | FileCheck %s --check-prefix=INTERIOR %lines
// RUN: not %run %t stack 2>&1 | FileCheck %s --check-prefix=STACK %lines
// RUN: not %run %t malloc 2>&1 | FileCheck %s --check-prefix=MALLOC %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t all 2>&1 | FileCheck %s --check-prefix=ALL %lines
#include <stdlib.h>
#include "vktest.h"

VT_NOINLINE void release(void *p)
{
	vk_vfree(p); // @FREE
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int all = !strcmp(mode, "all");
	char local[64];
	char *heap = malloc(64);
	char *p = vk_vmalloc(200); // @ALLOC
	vt_mark("pid=%d p=%p\n", getpid(), (void *)p);
	// DOUBLE: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	// INTERIOR: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	// STACK: pid=[[PID:[0-9]+]]
	// MALLOC: pid=[[PID:[0-9]+]]

	if (!strcmp(mode, "double") || all) {
		// DOUBLE: expect-report: Free of addr [[P]] by task
		// DOUBLE-NEXT: {{^={66}$}}
		// DOUBLE-NEXT: BUG: KASAN: double-free in release+0x
		// DOUBLE-NEXT: Free of addr [[P]] by task vktest/[[PID]]
		// DOUBLE: Call Trace:
		// DOUBLE: {{^ }}release+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[#FREE]]
		// DOUBLE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[@LINE+8]]
		// DOUBLE: The buggy address belongs to the virtual mapping at
		// DOUBLE-NEXT: {{^ \[}}[[P]], {{0x[0-9a-f]+}}) created by:
		// DOUBLE: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[#ALLOC]]
		// DOUBLE: Freed by task vktest/[[PID]]:
		// DOUBLE: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[@LINE+1]]
		release(p);
		vt_expect("Free of addr %p by task", (void *)p);
		release(p);
		// DOUBLE-NOT: not reached
	}
	if (!strcmp(mode, "interior") || all) {
		char *q = all ? vk_vmalloc(200) : p;
		// INTERIOR: expect-report: Free of addr [[Q:0x[0-9a-f]+]] by task
		// INTERIOR-NEXT: {{^={66}$}}
		// INTERIOR-NEXT: BUG: KASAN: invalid-free in release+0x
		// INTERIOR-NEXT: Free of addr [[Q]] by task vktest/[[PID]]
		// INTERIOR: Call Trace:
		// INTERIOR: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[@LINE+4]]
		// INTERIOR: The buggy address belongs to the virtual mapping at
		// INTERIOR-NEXT: {{^ \[}}[[P]], {{0x[0-9a-f]+}}) created by:
		vt_expect("Free of addr %p by task", (void *)(q + 16));
		release(q + 16);
		// INTERIOR-NOT: not reached
		// The mapping is still live and whole.
		q[199] = 1;
		vk_vfree(q);
	}
	if (!strcmp(mode, "stack") || all) {
		// STACK: expect-report: Free of addr [[S:0x[0-9a-f]+]] by task
		// STACK-NEXT: {{^={66}$}}
		// STACK-NEXT: BUG: KASAN: invalid-free in release+0x
		// STACK-NEXT: Free of addr [[S]] by task vktest/[[PID]]
		// STACK: Call Trace:
		// STACK: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[@LINE+4]]
		// STACK-NOT: The buggy address belongs to the virtual mapping
		// STACK-NOT: not reached
		vt_expect("Free of addr %p by task", (void *)local);
		release(local);
	}
	if (!strcmp(mode, "malloc") || all) {
		// MALLOC: expect-report: Free of addr [[M:0x[0-9a-f]+]] by task
		// MALLOC-NEXT: {{^={66}$}}
		// MALLOC-NEXT: BUG: KASAN: invalid-free in release+0x
		// MALLOC-NEXT: Free of addr [[M]] by task vktest/[[PID]]
		// MALLOC: Call Trace:
		// MALLOC: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}bad_free.c:[[@LINE+4]]
		// MALLOC-NOT: The buggy address belongs to the virtual mapping
		// MALLOC-NOT: not reached
		vt_expect("Free of addr %p by task", (void *)heap);
		release(heap);
	}
	if (!all)
		vt_mark("not reached\n");
	// ALL: BUG: KASAN: double-free in release+0x
	// ALL: BUG: KASAN: invalid-free in release+0x
	// ALL: BUG: KASAN: invalid-free in release+0x
	// ALL: BUG: KASAN: invalid-free in release+0x
	// ALL: reports=4 live=0
	struct vk_stats s;
	vk_get_stats(&s);
	vt_mark("reports=%d live=%d\n", (int)s.reports, (int)s.live_areas);
	free(heap);
	(void)local;
	return all ? 0 : 1;
}
