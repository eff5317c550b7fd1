// vrealloc, modelled on the kernel's KASAN vrealloc test: the requested size
// is tracked, so after a shrink in place the bytes past the new size are
// poisoned (the bug fixed in 2025), a grow within the same pages opens
// exactly the new bytes, a grow past them extends the mapping in place when
// the next range is free, and moves it when it is not (the old address is
// then a use-after-free).
//
// RUN: %cc %s -o %t
// RUN: %run %t clean 2>&1 | FileCheck %s --check-prefix=CLEAN
// RUN: not %run %t shrunk 2>&1 | FileCheck %s --check-prefix=SHRUNK
// RUN: not %run %t regrown 2>&1 | FileCheck %s --check-prefix=REGROWN
// RUN: not %run %t moved 2>&1 | FileCheck %s --check-prefix=MOVED
#include <stdlib.h>
#include "vktest.h"
#include <vkasan/linux.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *p = vk_vmalloc(3000);
	memset(p, 'x', 3000);
	char *q = vrealloc(p, 1000, GFP_KERNEL);
	vt_mark("shrink in place=%d size=%zu\n", q == p, vk_vmalloc_size(q));
	// CLEAN: shrink in place=1 size=1000

	if (!strcmp(mode, "clean")) {
		vt_read(q + 999, 1);
		q = vrealloc(q, 2000, GFP_KERNEL); // same pages
		vt_read(q + 1999, 1);
		vt_mark("regrown=%d poisoned=%d first=%ld invariants=%d\n", q == p,
			vk_region_is_poisoned(q, 2000) != NULL,
			(long)((const char *)vk_region_is_poisoned(q, 4096) - q), vk_check_invariants());
		// CLEAN: regrown=1 poisoned=0 first=2000 invariants=0
		q = vrealloc(q, 100000, GFP_KERNEL); // the range above is free
		vt_write(q + 99999, 1);
		vt_mark("grown in place=%d kept=%c size=%zu invariants=%d\n", q == p, q[10],
			vk_vmalloc_size(q), vk_check_invariants());
		// CLEAN: grown in place=1 kept=x size=100000 invariants=0
		char *wall = vk_vmalloc(10); // right above q now: q must move
		char *r = vrealloc(q, 200000, GFP_KERNEL);
		vt_write(r + 199999, 1);
		vt_mark("moved=%d kept=%c invariants=%d\n", r != q, r[10], vk_check_invariants());
		// CLEAN: moved=1 kept=x invariants=0
		vk_vfree(wall);
		vt_mark("null=%d reports=%d\n", vrealloc(r, 0, GFP_KERNEL) == NULL, (int)vt_reports());
		// CLEAN: null=1 reports=0
		return 0;
	}
	if (!strcmp(mode, "shrunk")) {
		// SHRUNK: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
		// SHRUNK-NEXT: {{^={66}$}}
		// SHRUNK-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
		// SHRUNK: The buggy address is located 0 bytes to the right of
		// SHRUNK-NEXT: {{^ }}1000-byte region
		// SHRUNK-NOT: not reached
		vt_expect("Read of size 1 at addr %p", (void *)(q + 1000));
		vt_read(q + 1000, 1);
	}
	if (!strcmp(mode, "regrown")) {
		q = vrealloc(q, 2000, GFP_KERNEL);
		// REGROWN: expect-report: Write of size 1 at addr
		// REGROWN-NEXT: {{^={66}$}}
		// REGROWN-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_write+0x
		// REGROWN: The buggy address is located 0 bytes to the right of
		// REGROWN-NEXT: {{^ }}2000-byte region
		// REGROWN-NOT: not reached
		vt_expect("Write of size 1 at addr %p", (void *)(q + 2000));
		vt_write(q + 2000, 1);
	}
	if (!strcmp(mode, "moved")) {
		char *wall = vk_vmalloc(10);
		char *r = vrealloc(q, 100000, GFP_KERNEL);
		vt_mark("moved=%d wall=%p\n", r != q, (void *)wall);
		// MOVED: moved=1
		// MOVED: expect-report: Read of size 1 at addr
		// MOVED-NEXT: {{^={66}$}}
		// MOVED-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// MOVED: Freed by task
		// MOVED-NOT: not reached
		vt_expect("Read of size 1 at addr %p", (void *)q);
		vt_read(q, 1);
	}
	vt_mark("not reached\n");
	return 0;
}
