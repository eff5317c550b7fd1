/*
 * <vkasan/linux.h> - the kernel's names for vkasan's allocators, so that
 * kernel-style code (and tests modelled on the kernel's) builds in userspace.
 */
#ifndef VKASAN_LINUX_H
#define VKASAN_LINUX_H

#include <vkasan.h>

/* ===================== poison branch: pages, vmap, vm_map_ram, vrealloc ===
 * struct page is an opaque page frame (vkasan's struct vk_page): page + i
 * is the i-th frame of an alloc_pages() block.  gfp, flags, prot and node
 * arguments are accepted and ignored. */
#ifndef GFP_KERNEL
typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#endif
#ifndef __GFP_ZERO
#define __GFP_ZERO 0x100u
#endif
#ifndef VM_MAP
#define VM_MAP 0x4ul
#endif
#ifndef PAGE_KERNEL
#define PAGE_KERNEL 0
#endif
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE (-1)
#endif
struct page {
	struct vk_page vk; /* same size: page + i is the i-th frame */
};

static inline struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	(void)gfp; /* frames come zeroed, as fresh memfd pages do */
	return (struct page *)vk_pages_alloc((size_t)1 << order);
}
static inline struct page *alloc_page(gfp_t gfp)
{
	return alloc_pages(gfp, 0);
}
static inline void __free_pages(struct page *page, unsigned int order)
{
	(void)order;
	vk_pages_free(&page->vk);
}
#define __free_page(page) __free_pages((page), 0)
static inline void *page_address(const struct page *page)
{
	return vk_page_address(&page->vk);
}
#define nth_page(page, n) ((page) + (n))
static inline void *vmap(struct page **pages, unsigned int count, unsigned long flags,
			 int prot)
{
	(void)flags;
	(void)prot;
	return vk_vmap((struct vk_page *const *)pages, count);
}
static inline void vunmap(const void *addr)
{
	vk_vunmap(addr);
}
static inline void *vm_map_ram(struct page **pages, unsigned int count, int node)
{
	(void)node;
	return vk_vm_map_ram((struct vk_page *const *)pages, count);
}
static inline void vm_unmap_ram(const void *mem, unsigned int count)
{
	vk_vm_unmap_ram(mem, count);
}
static inline void *vrealloc(const void *p, size_t size, gfp_t gfp)
{
	(void)gfp;
	return vk_vrealloc((void *)p, size);
}
/* ===================== end of the poison branch's section ================= */

#endif /* VKASAN_LINUX_H */
