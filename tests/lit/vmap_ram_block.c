// vm_map_ram: small mappings share one block of the arena (the kernel's vmap
// blocks, where missing shadow once crashed the kernel).  Each mapping is
// exactly accessible, the page after each is poisoned, so neighbours in one
// block are checked apart; when the last mapping goes the block is freed and
// the purge releases its shadow.
//
// RUN: %cc %s -o %t
// RUN: %run %t clean 2>&1 | FileCheck %s --check-prefix=CLEAN
// RUN: not %run %t neighbour 2>&1 | FileCheck %s --check-prefix=NB
// RUN: not %run %t unmapped 2>&1 | FileCheck %s --check-prefix=GONE
// RUN: not %run %t bad-unmap 2>&1 | FileCheck %s --check-prefix=BAD
#include <stdlib.h>
#include "vktest.h"
#include <vkasan/linux.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct vk_stats s0, s;
	vk_get_stats(&s0);
	struct page *pg = alloc_pages(GFP_KERNEL, 2); /* 4 frames */
	struct page *pages[4] = { pg, pg + 1, pg + 2, pg + 3 };
	char *a = vm_map_ram(pages, 1, NUMA_NO_NODE);
	char *b = vm_map_ram(pages + 1, 2, NUMA_NO_NODE);
	char *c = vm_map_ram(pages, 3, NUMA_NO_NODE);
	if (!a || !b || !c)
		return 2;
	strcpy(page_address(pg + 1), "frame1");

	if (!strcmp(mode, "clean")) {
		// One block: a, a gap page, b, a gap page, c.
		vt_mark("b-a=%ld c-b=%ld %s %s\n", (long)(b - a), (long)(c - b), b, c + 4096);
		// CLEAN: b-a=8192 c-b=12288 frame1 frame1
		vt_write(a + 4095, 1);
		vt_write(b + 8191, 1);
		vt_write(c + 12287, 1);
		vt_mark("poisoned: a:%d a-end:%d b-end:%d c-end:%d invariants=%d\n",
			vk_region_is_poisoned(a, 4096) != NULL,
			vk_region_is_poisoned(a + 4096, 1) != NULL,
			vk_region_is_poisoned(b + 8192, 1) != NULL,
			vk_region_is_poisoned(c + 12288, 1) != NULL, vk_check_invariants());
		// CLEAN: poisoned: a:0 a-end:1 b-end:1 c-end:1 invariants=0
		vm_unmap_ram(b, 2);
		vt_mark("after b: %d %d invariants=%d\n", vk_region_is_poisoned(b, 1) != NULL,
			vk_region_is_poisoned(c, 12288) != NULL, vk_check_invariants());
		// CLEAN: after b: 1 0 invariants=0
		vm_unmap_ram(a, 1);
		vm_unmap_ram(c, 3);
		__free_pages(pg, 2);
		vk_purge();
		vk_get_stats(&s);
		vt_mark("live=%d shadow=%d invariants=%d reports=%d\n",
			(int)(s.live_areas - s0.live_areas), (int)(s.shadow_pages - s0.shadow_pages),
			vk_check_invariants(), (int)s.reports);
		// CLEAN: live=0 shadow=0 invariants=0 reports=0
		// More mappings than a block holds: a second block, all checked.
		char *m[40];
		pg = alloc_pages(GFP_KERNEL, 0);
		for (int i = 0; i < 40; i++)
			m[i] = vm_map_ram(&pg, 1, NUMA_NO_NODE);
		for (int i = 0; i < 40; i++)
			vt_write(m[i] + 4095, 1);
		vt_mark("many: %d invariants=%d\n", m[39] - m[0] > 64 * 4096,
			vk_check_invariants());
		// CLEAN: many: 1 invariants=0
		return 0;
	}
	if (!strcmp(mode, "neighbour")) {
		// NB: expect-report: Write of size 1 at addr [[E:0x[0-9a-f]+]]
		// NB-NEXT: {{^={66}$}}
		// NB-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_write+0x
		// NB: It is in a vm_map_ram block of 64 page(s) [0x{{[0-9a-f]+}}, 0x{{[0-9a-f]+}}), 0 bytes to the right of its 2-page mapping
		// NB-NOT: not reached
		vt_expect("Write of size 1 at addr %p", (void *)(b + 8192));
		vt_write(b + 8192, 1);
	}
	if (!strcmp(mode, "unmapped")) {
		vm_unmap_ram(b, 2);
		// GONE: expect-report: Read of size 1 at addr
		// GONE-NEXT: {{^={66}$}}
		// GONE-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
		// GONE: It is in a vm_map_ram block of 64 page(s) [0x{{[0-9a-f]+}}, 0x{{[0-9a-f]+}}), 4196 bytes to the right of its 1-page mapping
		// GONE-NOT: not reached
		vt_expect("Read of size 1 at addr %p", (void *)(b + 100));
		vt_read(b + 100, 1);
	}
	if (!strcmp(mode, "bad-unmap")) {
		// Wrong count for a mapping: an invalid free, nothing changed.
		// BAD: BUG: KASAN: invalid-free in {{main|vm_unmap_ram}}+0x
		// BAD-NOT: not reached
		vm_unmap_ram(b, 1);
	}
	vt_mark("not reached\n");
	return 0;
}
