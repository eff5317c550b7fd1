/*
 * vmalloc.c - vk_vmalloc and friends: the first owner of arena memory.
 *
 * A vmalloc mapping is one arena area (arena.c) tagged VKI_OWNER_VMALLOC:
 * the requested bytes, the rest of the last page poisoned, and a guard
 * page.  This file holds the public allocation calls and the owner's report
 * hooks (vki_vmalloc_ops): the bug type refined by the mapping's state and
 * the "belongs to the virtual mapping" part of a report.  Other owners
 * (the heap, mappings, stacks) follow the same pattern in their own files.
 */
#include "vk_internal.h"

VKI_EXPORT void *vk_vmalloc(size_t size)
{
	return vki_area_alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, vki_stack_save(0));
}

VKI_EXPORT void *vk_vzalloc(size_t size)
{
	void *p = vki_area_alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, vki_stack_save(0));
	if (p)
		vki_fill(p, 0, size);
	return p;
}

VKI_EXPORT void *vk_vmalloc_aligned(size_t size, size_t align)
{
	if (align & (align - 1)) {
		vki_arena_count_failure();
		return NULL; /* not a power of two (0 means "no constraint") */
	}
	return vki_area_alloc(size, align, VKI_OWNER_VMALLOC, vki_stack_save(0));
}

VKI_EXPORT void vk_vfree(const void *p)
{
	if (!p)
		return;
	vki_init(); /* options (stack_depth) before the stack is saved */
	uintptr_t addr = (uintptr_t)p;
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	uint32_t stack = vki_stack_save(0);
	if (!vki_area_free(addr, VKI_OWNER_VMALLOC, stack))
		vki_report_free(addr, vki_area_free_bug(addr), pc);
}

VKI_EXPORT size_t vk_vmalloc_size(const void *p)
{
	return vki_area_size((uintptr_t)p, VKI_OWNER_VMALLOC);
}

/* ---------------------------------------------------------------- report hooks */

/* The shadow code's type, refined by the mapping's state: 0xF8 in a live
 * mapping is its tail or guard page, in a freed one the freed bytes. */
static void vmalloc_describe(struct vki_desc *d)
{
	bool live = d->area.state == VKI_AREA_BUSY, freed = d->area.state == VKI_AREA_LAZY;
	if (d->kind != VKI_BUG_ACCESS)
		return;
	if (!d->present) {
		d->bug_type = freed ? "use-after-free" : "wild-memory-access";
		return;
	}
	if (d->code >= 1 && d->code <= 7)
		d->bug_type = "vmalloc-out-of-bounds";
	else if (d->code == VKI_SHADOW_VMALLOC_INVALID)
		d->bug_type = live ? "vmalloc-out-of-bounds" : freed ? "use-after-free"
								      : "wild-memory-access";
}

void vki_report_vm_area(const struct vki_desc *d, const char *how)
{
	const struct vki_area_info *ai = &d->area;
	uintptr_t addr = d->addr;
	/* [start, end) without the guard page, as the kernel shows a vm area
	 * (a piece of a split mmap mapping has none) */
	uintptr_t end = ai->end - VKI_PAGE_SIZE > ai->start ? ai->end - VKI_PAGE_SIZE : ai->end;
	if (ai->noguard)
		end = ai->end;
	vki_report_printf("The buggy address belongs to the virtual mapping at\n");
	vki_report_printf(" [0x%lx, 0x%lx) created by:\n", (unsigned long)ai->start,
			  (unsigned long)end);
	if (how)
		vki_report_printf(" %s\n", how);
	vki_report_stack(ai->alloc_stack);
	vki_report_printf("\n");
	if (ai->state == VKI_AREA_LAZY) {
		vki_report_printf("Freed by task ");
		vki_report_task(ai->free_tid);
		vki_report_printf(":\n");
		vki_report_stack(ai->free_stack);
		vki_report_printf("\n");
	}
	uintptr_t rs = ai->start, re = ai->start + ai->size;
	const char *freed = ai->state == VKI_AREA_LAZY ? "freed " : "";
	if (d->bad_byte != addr) {
		vki_report_printf("The first bad byte of the access, 0x%lx (at offset %lu), is located ",
				  (unsigned long)d->bad_byte, (unsigned long)(d->bad_byte - addr));
		addr = d->bad_byte;
		if (addr < rs)
			vki_report_printf("%lu bytes to the left of\n", (unsigned long)(rs - addr));
		else if (addr >= re)
			vki_report_printf("%lu bytes to the right of\n", (unsigned long)(addr - re));
		else
			vki_report_printf("%lu bytes inside of\n", (unsigned long)(addr - rs));
	} else if (addr < rs)
		vki_report_printf("The buggy address is located %lu bytes to the left of\n",
				  (unsigned long)(rs - addr));
	else if (addr >= re)
		vki_report_printf("The buggy address is located %lu bytes to the right of\n",
				  (unsigned long)(addr - re));
	else
		vki_report_printf("The buggy address is located %lu bytes inside of\n",
				  (unsigned long)(addr - rs));
	vki_report_printf(" %s%lu-byte region [0x%lx, 0x%lx)\n\n", freed, (unsigned long)ai->size,
			  (unsigned long)rs, (unsigned long)re);
}

static void vmalloc_print(const struct vki_desc *d)
{
	vki_report_vm_area(d, NULL);
}

const struct vki_owner_ops vki_vmalloc_ops = {
	.name = "vmalloc",
	.describe = vmalloc_describe,
	.print = vmalloc_print,
};
