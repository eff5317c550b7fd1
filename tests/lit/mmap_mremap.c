// mremap: shrinking unmaps the tail, growing with MREMAP_MAYMOVE moves the
// pages (the data comes along, the new tail is zero and checked), and the
// old range is poisoned: a stale pointer is a use-after-free with the mremap
// stack.
//
// RUN: %cc %s -o %t
// RUN: not %run %t move 2>&1 | FileCheck %s --check-prefix=MOVE %lines
// RUN: not %run %t shrink 2>&1 | FileCheck %s --check-prefix=SHRINK %lines
#define _GNU_SOURCE
#include <sys/mman.h>
#include "vktest.h"

int main(int argc, char **argv)
{
	long pg = 4096;
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); // @MMAP
	memset(p, 7, 4 * pg);
	if (!strcmp(argv[1], "move")) {
		char *q = mremap(p, 4 * pg, 16 * pg, MREMAP_MAYMOVE); // @MREMAP
		int ok = q != MAP_FAILED && q[4 * pg - 1] == 7 && q[4 * pg] == 0;
		vt_write(q + 16 * pg - 8, 8);
		vt_mark("pid=%d ok=%d\n", getpid(), ok);
		// MOVE: pid=[[PID:[0-9]+]] ok=1
		// MOVE: expect-report: Read of size 1 at addr
		// MOVE-NEXT: {{^={66}$}}
		// MOVE-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// MOVE: created by:
		// MOVE-NEXT: {{^ }}mmap(anonymous)
		// MOVE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_mremap.c:[[#MMAP]]
		// MOVE: Freed by task vktest/[[PID]]:
		// MOVE-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_mremap.c:[[#MREMAP]]
		vt_expect("Read of size 1 at addr %p", (void *)(p + 10));
		vt_read(p + 10, 1);
	} else {
		char *q = mremap(p, 4 * pg, 2 * pg, 0); // @SHRINK
		vt_write(q + 2 * pg - 1, 1);
		vt_mark("pid=%d same=%d\n", getpid(), q == p);
		// SHRINK: pid=[[PID:[0-9]+]] same=1
		// SHRINK: expect-report: Write of size 1 at addr
		// SHRINK-NEXT: {{^={66}$}}
		// SHRINK-NEXT: BUG: KASAN: use-after-free in vt_write+0x
		// SHRINK: Freed by task vktest/[[PID]]:
		// SHRINK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_mremap.c:[[#SHRINK]]
		vt_expect("Write of size 1 at addr %p", (void *)(p + 2 * pg));
		vt_write(p + 2 * pg, 1);
	}
	// MOVE-NOT: not reached
	// SHRINK-NOT: not reached
	vt_mark("not reached\n");
	return 0;
}
