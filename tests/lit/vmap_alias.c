// vmap of existing pages, modelled on the kernel's KASAN vmap tests: frames
// from alloc_pages are mapped a second time with vmap; both addresses reach
// the same memory and are checked; past the alias is out of bounds; after
// vunmap the alias is a use-after-free (with the vunmap stack) while the
// frames' own address stays valid.
//
// RUN: %cc %s -o %t
// RUN: %run %t clean 2>&1 | FileCheck %s --check-prefix=CLEAN %lines
// RUN: not %run %t oob 2>&1 | FileCheck %s --check-prefix=OOB %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t after-vunmap 2>&1 | FileCheck %s --check-prefix=UAF %lines
#include <stdlib.h>
#include "vktest.h"
#include <vkasan/linux.h>

VT_NOINLINE char *map_two(struct page *pg)
{
	struct page *pages[2] = { nth_page(pg, 1), pg }; // swapped: any order
	char *v = vmap(pages, 2, VM_MAP, PAGE_KERNEL); // @VMAP
	VT_NO_TAIL();
	return v;
}

VT_NOINLINE void unmap(char *v)
{
	vunmap(v); // @VUNMAP
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	vt_mark("pid=%d\n", getpid());
	// OOB: pid=[[PID:[0-9]+]]
	// UAF: pid=[[PID:[0-9]+]]
	struct page *pg = alloc_pages(GFP_KERNEL, 1);
	char *p = page_address(pg);
	char *v = map_two(pg);
	if (!pg || !p || !v)
		return 2;
	strcpy(p, "first");
	strcpy(p + 4096, "second");

	if (!strcmp(mode, "clean")) {
		vt_mark("%s %s\n", v, v + 4096);
		// CLEAN: second first
		v[5] = '!';
		vt_write(v + 8191, 1);
		vt_mark("%s invariants=%d\n", p + 4096, vk_check_invariants());
		// CLEAN: secon! invariants=0
		unmap(v);
		vt_mark("%s invariants=%d\n", p, vk_check_invariants());
		// CLEAN: first invariants=0
		__free_pages(pg, 1);
		vk_purge();
		struct vk_stats s;
		vk_get_stats(&s);
		vt_mark("live=%d shadow=%d invariants=%d reports=%d\n", (int)s.live_areas,
			(int)s.shadow_pages, vk_check_invariants(), (int)s.reports);
		// CLEAN: live=0 shadow=0 invariants=0 reports=0
		return 0;
	}
	if (!strcmp(mode, "oob")) {
		// OOB: expect-report: Read of size 1 at addr [[E:0x[0-9a-f]+]]
		// OOB-NEXT: {{^={66}$}}
		// OOB-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
		// OOB: The buggy address belongs to the virtual mapping at
		// OOB-NEXT: {{^ \[}}0x{{[0-9a-f]+}}, [[E]]) created by:
		// OOB: {{^ }}map_two+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*(vmap_alias.c:[0-9]+|linux.h:[0-9]+)$}}
		// OOB: It is a vmap alias of 2 page frame(s)
		// OOB-NOT: not reached
		vt_expect("Read of size 1 at addr %p", (void *)(v + 8192));
		vt_read(v + 8192, 1);
	}
	if (!strcmp(mode, "after-vunmap")) {
		unmap(v);
		// UAF: expect-report: Read of size 1 at addr [[V:0x[0-9a-f]+]]
		// UAF-NEXT: {{^={66}$}}
		// UAF-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// UAF: Freed by task vktest/[[PID]]:
		// UAF: {{^ }}unmap+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*(vmap_alias.c:[0-9]+|linux.h:[0-9]+)$}}
		vt_expect("Read of size 1 at addr %p", (void *)v);
		vt_read(v, 1);
		// The frames are still there at their own address.
		vt_mark("primary=%s %s reports=%d\n", p, p + 4096, (int)vt_reports());
		// UAF: primary=first second reports=1
		__free_pages(pg, 1);
		// UAF: expect-report: Read of size 1 at addr [[P:0x[0-9a-f]+]]
		// UAF-NEXT: {{^={66}$}}
		// UAF-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		vt_expect("Read of size 1 at addr %p", (void *)p);
		vt_read(p, 1);
		vt_mark("invariants=%d\n", vk_check_invariants());
		// UAF: invariants=0
		return 0;
	}
	vt_mark("not reached\n");
	return 0;
}
