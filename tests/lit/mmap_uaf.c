// A routed mmap mapping is vmalloc space: a use after munmap is a
// use-after-free naming the mapping, how it was made (mmap(anonymous)), the
// mmap stack and the munmap stack; an access past the page-rounded length
// lands on the guard page (vmalloc-out-of-bounds), while the rest of the
// last page is accessible, as POSIX makes it.
//
// RUN: %cc %s -o %t
// RUN: not %run %t uaf 2>&1 | FileCheck %s --check-prefix=UAF %lines
// RUN: not %run %t past 2>&1 | FileCheck %s --check-prefix=PAST %lines
// RUN: env VKASAN_OPTIONS=mmap=0 %run %t past-off 2>&1 | FileCheck %s --check-prefix=OFF
#include <stdlib.h>
#include <sys/mman.h>
#include "vktest.h"

VT_NOINLINE char *make_map(size_t n)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); // @MMAP
	VT_NO_TAIL();
	return p;
}

VT_NOINLINE void drop_map(char *p, size_t n)
{
	munmap(p, n); // @MUNMAP
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *p = make_map(10000);
	vt_mark("pid=%d p=%p\n", getpid(), (void *)p);
	// UAF: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	// PAST: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]
	if (!strcmp(mode, "uaf")) {
		vt_write(p + 100, 8);
		drop_map(p, 10000);
		// UAF: expect-report: Read of size 8 at addr
		// UAF-NEXT: {{^={66}$}}
		// UAF-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// UAF-NEXT: Read of size 8 at addr {{0x[0-9a-f]+}} by task vktest/[[PID]]
		// UAF: Call Trace:
		// UAF: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_uaf.c:[[@LINE+10]]
		// UAF: The buggy address belongs to the virtual mapping at
		// UAF-NEXT: {{^ \[}}[[P]], {{0x[0-9a-f]+}}) created by:
		// UAF-NEXT: {{^ }}mmap(anonymous)
		// UAF-NEXT: {{^ }}make_map+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_uaf.c:[[#MMAP]]
		// UAF: Freed by task vktest/[[PID]]:
		// UAF-NEXT: {{^ }}drop_map+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_uaf.c:[[#MUNMAP]]
		// UAF: The buggy address is located 200 bytes inside of
		// UAF-NEXT: freed 12288-byte region [[[P]],
		vt_expect("Read of size 8 at addr %p", (void *)(p + 200));
		vt_read(p + 200, 8);
		// UAF-NOT: not reached
	} else if (!strncmp(mode, "past", 4)) {
		// The whole last page is accessible...
		vt_write(p + 12287, 1);
		vt_read(p + 10000, 8);
		// OFF: in the arena: 0
		vt_mark("in the arena: %d\n", (uintptr_t)p >> 44 == 6);
		if (!strcmp(mode, "past-off"))
			return 0;
		// ... the next byte is the guard page.
		// PAST: expect-report: Write of size 1 at addr
		// PAST-NEXT: {{^={66}$}}
		// PAST-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_write+0x
		// PAST: The buggy address belongs to the virtual mapping at
		// PAST-NEXT: {{^ \[}}[[P]], {{0x[0-9a-f]+}}) created by:
		// PAST-NEXT: {{^ }}mmap(anonymous)
		// PAST: The buggy address is located 0 bytes to the right of
		// PAST-NEXT: 12288-byte region [[[P]],
		vt_expect("Write of size 1 at addr %p", (void *)(p + 12288));
		vt_write(p + 12288, 1);
		// PAST-NOT: not reached
	}
	vt_mark("not reached\n");
	return 0;
}
