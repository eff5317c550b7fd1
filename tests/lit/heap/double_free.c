// Frees that are bugs, on the heap: a double free (the object is in
// quarantine), an interior pointer, a stack address, a pointer into a
// vk_vmalloc mapping; each reported once, the free ignored.
//
// RUN: %cc %s -o %t
// RUN: not %run %t double 2>&1 | FileCheck %s --check-prefix=DOUBLE %lines
// RUN: not %run %t interior 2>&1 | FileCheck %s --check-prefix=INTERIOR
// RUN: not %run %t stack 2>&1 | FileCheck %s --check-prefix=STACK
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t all 2>&1 | FileCheck %s --check-prefix=ALL
#include <stdlib.h>
#include "vktest.h"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int all = !strcmp(mode, "all");
	char local[32];
	char *p = malloc(100); // @ALLOC
	vt_mark("pid=%d p=%p\n", getpid(), (void *)p);
	// DOUBLE: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	if (!strcmp(mode, "double") || all) {
		// DOUBLE: expect-report: Free of addr [[P]] by task
		// DOUBLE-NEXT: {{^={66}$}}
		// DOUBLE-NEXT: BUG: KASAN: double-free in main+0x
		// DOUBLE-NEXT: Free of addr [[P]] by task vktest/[[PID]]
		// DOUBLE: Allocated by task vktest/[[PID]]:
		// DOUBLE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}double_free.c:[[#ALLOC]]
		// DOUBLE: Freed by task vktest/[[PID]]:
		// DOUBLE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}double_free.c:[[@LINE+4]]
		// DOUBLE: The buggy address belongs to the object at [[P]]
		// DOUBLE-NEXT: {{^}} which belongs to the cache kmalloc-128 of size 128
		// DOUBLE-NOT: not reached
		free(p);
		vt_expect("Free of addr %p by task", (void *)p);
		free(p);
		vt_mark("not reached\n");
		p = malloc(100);
	}
	if (!strcmp(mode, "interior") || all) {
		// INTERIOR: BUG: KASAN: invalid-free in main+0x
		// INTERIOR: The buggy address is located 8 bytes inside of
		// INTERIOR-NEXT: {{^}} allocated 100-byte region
		vt_expect("Free of addr %p by task", (void *)(p + 8));
		free(p + 8);
	}
	if (!strcmp(mode, "stack") || all) {
		// STACK: BUG: KASAN: invalid-free in main+0x
		// STACK: The buggy address is outside the vmalloc arena
		vt_expect("Free of addr %p by task", (void *)local);
		free(local);
	}
	if (all) {
		char *v = vk_vmalloc(100);
		vt_expect("Free of addr %p by task", (void *)v);
		free(v);
		vk_vfree(v);
		vt_expect("Free of addr %p by task", (void *)p);
		vk_vfree(p);
	}
	// ALL: BUG: KASAN: double-free in main+0x
	// ALL: BUG: KASAN: invalid-free in main+0x
	// ALL: BUG: KASAN: invalid-free in main+0x
	// ALL: BUG: KASAN: invalid-free in main+0x
	// ALL: BUG: KASAN: invalid-free in main+0x
	// ALL: done reports=5
	vt_mark("done reports=%d\n", (int)vt_reports());
	free(p);
	(void)local;
	return all ? 0 : 1;
}
