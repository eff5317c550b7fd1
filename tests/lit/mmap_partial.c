// Partial munmap splits the mapping: the pages left stay usable and
// checked, the unmapped middle is poisoned and quarantined (use-after-free
// with the munmap stack), and the piece below the hole has no guard page of
// its own: its last page runs into the hole, which is reported.
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
#include <sys/mman.h>
#include "vktest.h"

int main(void)
{
	long pg = 4096;
	char *p = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 1, 8 * pg);
	munmap(p + 2 * pg, 3 * pg); // @MUNMAP
	vt_write(p, 8);
	vt_write(p + 2 * pg - 8, 8);
	vt_write(p + 5 * pg, 8);
	vt_write(p + 8 * pg - 8, 8);
	vt_mark("pid=%d p=%p clean=%d\n", getpid(), (void *)p, p[5 * pg + 100] == 1);
	// CHECK: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]] clean=1
	// CHECK: expect-report: Write of size 8 at addr
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: use-after-free in vt_write+0x
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: {{^ \[0x[0-9a-f]+}}, {{0x[0-9a-f]+}}) created by:
	// CHECK-NEXT: {{^ }}mmap(anonymous)
	// CHECK: Freed by task vktest/[[PID]]:
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_partial.c:[[#MUNMAP]]
	vt_expect("Write of size 8 at addr %p", (void *)(p + 2 * pg + 4));
	vt_write(p + 2 * pg + 4, 8);
	// CHECK-NOT: not reached
	vt_mark("not reached\n");
	return 0;
}
