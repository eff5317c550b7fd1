// A double-mapped ring buffer: reserve 2N with mmap, then map a memfd over
// both halves with MAP_FIXED.  Both halves stay accessible and checked (a
// write through one is read through the other, no report), and the byte
// past the second half is the guard page, reported naming the file.
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
#define _GNU_SOURCE
#include <sys/mman.h>
#include "vktest.h"

int main(void)
{
	size_t n = 16 * 4096;
	int fd = memfd_create("ring", 0);
	if (fd < 0 || ftruncate(fd, n))
		return 2;
	char *r = mmap(NULL, 2 * n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a = mmap(r, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	char *b = mmap(r + n, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0); // @FIXED
	if (a != r || b != r + n)
		return 3;
	// A record that wraps: written contiguously across the seam.
	memcpy(r + n - 3, "wrapped", 7);
	int ok = !memcmp(r + n - 3, "wra", 3) && !memcmp(r, "pped", 4) && r[2 * n - 3] == 'w';
	vt_write(r + 2 * n - 8, 8);
	vt_read(r, 8);
	vt_mark("pid=%d ok=%d reports=%d\n", getpid(), ok, (int)vt_reports());
	// CHECK: pid=[[PID:[0-9]+]] ok=1 reports=0
	// CHECK: expect-report: Read of size 1 at addr
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: created by:
	// CHECK-NEXT: {{^ }}mmap(file /memfd:ring{{.*}})
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_ring.c:[[#FIXED]]
	vt_expect("Read of size 1 at addr %p", (void *)(r + 2 * n));
	vt_read(r + 2 * n, 1);
	// CHECK-NOT: not reached
	vt_mark("not reached\n");
	return 0;
}
