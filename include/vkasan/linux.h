/*
 * <vkasan/linux.h> - the Linux kernel's allocation API on vkasan's heap, for
 * code written against it (and for the kernel's KASAN tests, ported).
 *
 *   kmalloc kzalloc kcalloc kmalloc_array kmalloc_node krealloc kfree
 *   kfree_sensitive ksize        kmalloc-N caches (slab.c), large objects
 *   kmem_cache_create/alloc/zalloc/free/destroy    a cache of its own
 *   kvmalloc kvzalloc kvcalloc kvmalloc_array kvfree
 *   vmalloc vzalloc vfree        vk_vmalloc mappings
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

#define vmalloc(size) vk_vmalloc(size)
#define vzalloc(size) vk_vzalloc(size)
#define vfree(p) vk_vfree(p)

#ifdef __cplusplus
}
#endif

#endif /* VKASAN_LINUX_H */
