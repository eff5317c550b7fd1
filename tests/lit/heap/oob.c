// Heap out-of-bounds accesses on malloc'd objects: right past the requested
// size (partial last granule), in the redzone after the object, left of it,
// and past a large object (its own mapping).  Each is a slab-out-of-bounds
// report that names the object, its cache, where the address lies, and the
// allocation stack.
//
// RUN: %cc %s -o %t
// RUN: not %run %t right 2>&1 | FileCheck %s --check-prefix=RIGHT %lines
// RUN: not %run %t left 2>&1 | FileCheck %s --check-prefix=LEFT %lines
// RUN: not %run %t large 2>&1 | FileCheck %s --check-prefix=LARGE %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t all 2>&1 | FileCheck %s --check-prefix=ALL
#include <stdlib.h>
#include "vktest.h"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int all = !strcmp(mode, "all");
	char *p = malloc(60); // @ALLOC
	char *big = malloc(100000); // @BIG
	vt_mark("pid=%d p=%p big=%p\n", getpid(), (void *)p, (void *)big);
	// RIGHT: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	// LEFT: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	// LARGE: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]] big=[[B:0x[0-9a-f]+]]
	vt_write(p, 8);
	vt_read(p + 56, 4);
	if (!strcmp(mode, "right") || all) {
		// RIGHT: expect-report: Read of size 1 at addr
		// RIGHT-NEXT: {{^={66}$}}
		// RIGHT-NEXT: BUG: KASAN: slab-out-of-bounds in vt_read+0x
		// RIGHT-NEXT: Read of size 1 at addr {{0x[0-9a-f]+}} by task vktest/[[PID]]
		// RIGHT: Call Trace:
		// RIGHT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}oob.c:[[@LINE+9]]
		// RIGHT: Allocated by task vktest/[[PID]]:
		// RIGHT-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}oob.c:[[#ALLOC]]
		// RIGHT-NOT: Freed by task
		// RIGHT: The buggy address belongs to the object at [[P]]
		// RIGHT-NEXT: {{^}} which belongs to the cache kmalloc-64 of size 64
		// RIGHT-NEXT: The buggy address is located 0 bytes to the right of
		// RIGHT-NEXT: {{^}} allocated 60-byte region [[[P]], {{0x[0-9a-f]+}})
		vt_expect("Read of size 1 at addr");
		vt_read(p + 60, 1);
		// Redzone after the object: 4 bytes into the slot's own redzone.
		// RIGHT-NOT: not reached
		vt_mark("not reached\n");
	}
	if (!strcmp(mode, "left") || all) {
		// LEFT: expect-report: Write of size 1 at addr
		// LEFT-NEXT: {{^={66}$}}
		// LEFT-NEXT: BUG: KASAN: slab-out-of-bounds in vt_write+0x
		// LEFT: The buggy address belongs to the object at [[P]]
		// LEFT-NEXT: {{^}} which belongs to the cache kmalloc-64 of size 64
		// LEFT-NEXT: The buggy address is located 1 bytes to the left of
		// LEFT-NEXT: {{^}} allocated 60-byte region [[[P]], {{0x[0-9a-f]+}})
		vt_expect("Write of size 1 at addr");
		vt_write(p - 1, 1);
		// LEFT-NOT: not reached
		vt_mark("not reached\n");
	}
	if (!strcmp(mode, "large") || all) {
		// LARGE: expect-report: Read of size 8 at addr
		// LARGE-NEXT: {{^={66}$}}
		// LARGE-NEXT: BUG: KASAN: slab-out-of-bounds in vt_read+0x
		// LARGE: Allocated by task vktest/[[PID]]:
		// LARGE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}oob.c:[[#BIG]]
		// LARGE: The buggy address belongs to the object at [[B]]
		// LARGE-NEXT: {{^}} which is a large object (malloc) with a mapping of its own
		// LARGE-NEXT: The buggy address is located 0 bytes to the right of
		// LARGE-NEXT: {{^}} allocated 100000-byte region [[[B]], {{0x[0-9a-f]+}})
		vt_read(big + 99992, 8);
		vt_expect("Read of size 8 at addr");
		vt_read(big + 100000, 8);
		// LARGE-NOT: not reached
		vt_mark("not reached\n");
	}
	// ALL-COUNT-3: BUG: KASAN: slab-out-of-bounds in
	// ALL: done reports=3
	vt_mark("done reports=%d\n", (int)vt_reports());
	free(big);
	free(p);
	return 0;
}
