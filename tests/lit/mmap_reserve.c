// A large PROT_NONE reservation costs no shadow; mprotect commits a part
// and populates exactly its windows; the committed part is checked.  An
// access to a PROT_NONE part is not reported by the check: it faults as it
// would without vkasan, and since the program has no SIGSEGV handler of its
// own the fault becomes a report naming the mapping.
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
#include <sys/mman.h>
#include "vktest.h"

int main(void)
{
	size_t res = 8UL << 30, commit = 1 << 20;
	char *r = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0); // @MMAP
	struct vk_stats s0;
	vk_get_stats(&s0);
	char *c = r + (1UL << 30);
	if (mprotect(c, commit, PROT_READ | PROT_WRITE))
		return 2;
	memset(c, 1, commit);
	vt_write(c + commit - 8, 8);
	struct vk_stats s1;
	vk_get_stats(&s1);
	// CHECK: pid=[[PID:[0-9]+]] reserved=0 committed=32 reports=0
	vt_mark("pid=%d reserved=%lu committed=%lu reports=%d\n", getpid(),
		(unsigned long)s0.shadow_pages, (unsigned long)s1.shadow_pages, (int)vt_reports());
	// CHECK: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: {{wild-memory-access|vmalloc-out-of-bounds}} in vt_read+0x
	// CHECK-NEXT: Read of unknown size at addr [[A:0x[0-9a-f]+]] by task vktest/[[PID]]
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: created by:
	// CHECK-NEXT: {{^ }}mmap(anonymous), PROT_NONE
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mmap_reserve.c:[[#MMAP]]
	vt_read(c + commit + 4096, 1);
	// CHECK-NOT: not reached
	vt_mark("not reached\n");
	return 0;
}
