/*
 * <vkasan/linux.h> - the Linux kernel's allocation API on vkasan's heap, for
 * code written against it (and for the kernel's KASAN tests, ported).
 *
 *   kmalloc kzalloc kcalloc kmalloc_array kmalloc_node krealloc kfree
 *   kfree_sensitive ksize        kmalloc-N caches (slab.c), large objects
 *   kmem_cache_create/alloc/zalloc/free/destroy    a cache of its own
 *   kvmalloc kvzalloc kvcalloc kvmalloc_array kvfree
 *   vmalloc vzalloc vfree        vk_vmalloc mappings
 *   alloc_pages page_address vmap vunmap vm_map_ram vm_unmap_ram vrealloc
 *                                page frames on a memfd (vmap.c)
 *
 * GFP flags are accepted and ignored, except __GFP_ZERO.  kmalloc(0)
 * returns ZERO_SIZE_PTR, which kfree ignores, as in the kernel.  These are
 * macros over vk_* functions so that stacks start at the caller.
 */
#ifndef VKASAN_LINUX_H
#define VKASAN_LINUX_H

#include <stddef.h>
#include <vkasan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * The heap section (slab.c, kmalloc.c): GFP flags, kmalloc & co.,
 * kmem_cache, kvmalloc.  Other sections (vmalloc below; vmap & co.) keep
 * their own marked blocks.
 * ------------------------------------------------------------------------ */

typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;

#define __GFP_ZERO 0x100u
#define __GFP_NOWARN 0x200u
#define __GFP_NOFAIL 0x400u
#define GFP_KERNEL 0x1u
#define GFP_ATOMIC 0x2u
#define GFP_NOWAIT 0x4u
#define GFP_NOFS 0x8u
#define GFP_NOIO 0x10u
#define GFP_USER 0x20u
#define GFP_DMA 0x40u
#define GFP_KERNEL_ACCOUNT GFP_KERNEL
#define NUMA_NO_NODE (-1)

#define SLAB_HWCACHE_ALIGN 0x1u
#define SLAB_ACCOUNT 0x2u
#define SLAB_PANIC 0x4u
#define SLAB_TYPESAFE_BY_RCU 0x8u

#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
#define KMALLOC_MAX_CACHE_SIZE 32768UL

struct kmem_cache;

void *vk_kmalloc(size_t size, gfp_t flags);
void *vk_kcalloc(size_t n, size_t size, gfp_t flags);
void *vk_krealloc(const void *p, size_t size, gfp_t flags);
void vk_kfree(const void *p);
void vk_kfree_sensitive(const void *p);
size_t vk_ksize(const void *p);
struct kmem_cache *vk_kmem_cache_create(const char *name, unsigned int size, unsigned int align,
					slab_flags_t flags, void (*ctor)(void *));
void *vk_kmem_cache_alloc(struct kmem_cache *c, gfp_t flags);
void vk_kmem_cache_free(struct kmem_cache *c, void *p);
void vk_kmem_cache_destroy(struct kmem_cache *c);
void *vk_kvmalloc(size_t size, gfp_t flags);
void vk_kvfree(const void *p);

#define kmalloc(size, flags) vk_kmalloc((size), (flags))
#define kzalloc(size, flags) vk_kmalloc((size), (flags) | __GFP_ZERO)
#define kmalloc_node(size, flags, node) vk_kmalloc((size), (flags))
#define kzalloc_node(size, flags, node) vk_kmalloc((size), (flags) | __GFP_ZERO)
#define kmalloc_track_caller(size, flags) vk_kmalloc((size), (flags))
#define kmalloc_array(n, size, flags) vk_kcalloc((n), (size), (flags) & ~__GFP_ZERO)
#define kcalloc(n, size, flags) vk_kcalloc((n), (size), (flags) | __GFP_ZERO)
#define krealloc(p, size, flags) vk_krealloc((p), (size), (flags))
#define kfree(p) vk_kfree(p)
#define kfree_sensitive(p) vk_kfree_sensitive(p)
#define kzfree(p) vk_kfree_sensitive(p)
#define ksize(p) vk_ksize(p)

#define kmem_cache_create(name, size, align, flags, ctor) \
	vk_kmem_cache_create((name), (size), (align), (flags), (ctor))
#define kmem_cache_alloc(c, flags) vk_kmem_cache_alloc((c), (flags))
#define kmem_cache_zalloc(c, flags) vk_kmem_cache_alloc((c), (flags) | __GFP_ZERO)
#define kmem_cache_free(c, p) vk_kmem_cache_free((c), (p))
#define kmem_cache_destroy(c) vk_kmem_cache_destroy(c)

#define kvmalloc(size, flags) vk_kvmalloc((size), (flags))
#define kvzalloc(size, flags) vk_kvmalloc((size), (flags) | __GFP_ZERO)
#define kvmalloc_array(n, size, flags) vk_kcalloc((n), (size), (flags) & ~__GFP_ZERO)
#define kvcalloc(n, size, flags) vk_kcalloc((n), (size), (flags) | __GFP_ZERO)
#define kvfree(p) vk_kvfree(p)

#define kmemleak_not_leak(p) vk_leak_ignore(p)

/* ----------------------------------------------- end of the heap section */

/* ------------------------------------------------- the vmalloc section */

#define vmalloc(size) vk_vmalloc(size)
#define vzalloc(size) vk_vzalloc(size)
#define vfree(p) vk_vfree(p)

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

#ifdef __cplusplus
}
#endif

#endif /* VKASAN_LINUX_H */
