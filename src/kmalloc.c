/*
 * kmalloc.c - the kernel's allocation API (<vkasan/linux.h>) on the heap.
 *
 * These work whether or not the heap serves malloc (option heap): the
 * kmalloc-N caches are always there once the arena is.  kmalloc(0) gives
 * ZERO_SIZE_PTR (16), which kfree and ksize ignore, as in the kernel.
 */
#include "vk_internal.h"

#include "vkasan/linux.h"

#define ZERO_PTR ((uintptr_t)16)
#define PC() ((uintptr_t)__builtin_return_address(0))

static inline __attribute__((always_inline)) void *
kalloc(struct vki_kcache *c, size_t size, gfp_t flags, uint32_t stack)
{
	vki_heap_start(); /* the runtime is up */
	void *p = vki_heap_alloc(c, size, 16, c ? VKI_KIND_CACHE : VKI_KIND_MALLOC, stack);
	if (p && (flags & __GFP_ZERO))
		vki_fill(p, 0, size);
	return p;
}

VKI_EXPORT void *vk_kmalloc(size_t size, gfp_t flags)
{
	if (!size)
		return (void *)ZERO_PTR;
	return kalloc(NULL, size, flags, vki_stack_save(0));
}

VKI_EXPORT void *vk_kvmalloc(size_t size, gfp_t flags)
{
	if (!size)
		return (void *)ZERO_PTR;
	return kalloc(NULL, size, flags, vki_stack_save(0));
}

VKI_EXPORT void *vk_kcalloc(size_t n, size_t size, gfp_t flags)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	if (!total)
		return (void *)ZERO_PTR;
	return kalloc(NULL, total, flags, vki_stack_save(0));
}

VKI_EXPORT void vk_kfree(const void *p)
{
	if ((uintptr_t)p <= ZERO_PTR)
		return;
	vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), vki_stack_save(0));
}

VKI_EXPORT void vk_kvfree(const void *p)
{
	if ((uintptr_t)p <= ZERO_PTR)
		return;
	vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), vki_stack_save(0));
}

/* On a freed object the kernel's ksize() checks a byte of it and reports. */
VKI_EXPORT size_t vk_ksize(const void *p)
{
	if ((uintptr_t)p <= ZERO_PTR)
		return 0;
	size_t n = vki_heap_ksize(p);
	if (!n && vki_heap_owns(p))
		vki_check_range((uintptr_t)p, 1, false, PC());
	return n;
}

/* Zero what the object holds, then free it; a dead object is reported by
 * the free. */
VKI_EXPORT void vk_kfree_sensitive(const void *p)
{
	if ((uintptr_t)p <= ZERO_PTR)
		return;
	size_t n = vki_heap_size(p);
	if (n)
		vki_fill((void *)p, 0, n);
	vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), vki_stack_save(0));
}

/* In place while the object's slot holds the new size (the kernel does the
 * same within ksize): the shadow shrinks or grows with it. */
VKI_EXPORT void *vk_krealloc(const void *p, size_t size, gfp_t flags)
{
	uint32_t stack = vki_stack_save(0);
	if ((uintptr_t)p <= ZERO_PTR)
		return size ? kalloc(NULL, size, flags, stack) : (void *)ZERO_PTR;
	if (!size) {
		vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), stack);
		return (void *)ZERO_PTR;
	}
	size_t old = vki_heap_size(p);
	if (!old) { /* not a live object: the free reports it */
		vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), stack);
		return NULL;
	}
	if (vki_heap_resize(p, size)) {
		if ((flags & __GFP_ZERO) && size > old)
			vki_fill((char *)p + old, 0, size - old);
		return (void *)p;
	}
	void *q = kalloc(NULL, size, flags, stack);
	if (!q)
		return NULL;
	vki_copy(q, p, old < size ? old : size);
	vki_heap_free(p, VKI_KIND_MALLOC, NULL, PC(), stack);
	return q;
}

VKI_EXPORT struct kmem_cache *vk_kmem_cache_create(const char *name, unsigned int size,
						   unsigned int align, slab_flags_t flags,
						   void (*ctor)(void *))
{
	vki_heap_start();
	if ((flags & SLAB_HWCACHE_ALIGN) && align < 64)
		align = 64;
	struct vki_kcache *c = vki_kcache_create(name, size, align, ctor);
	if (!c && (flags & SLAB_PANIC))
		vki_die("vkasan: kmem_cache_create(%s) failed\n", name ? name : "?");
	return (struct kmem_cache *)c;
}

VKI_EXPORT void *vk_kmem_cache_alloc(struct kmem_cache *c, gfp_t flags)
{
	if (!c)
		return NULL;
	struct vki_kcache *k = (struct vki_kcache *)c;
	return kalloc(k, vki_kcache_size(k), flags, vki_stack_save(0));
}

VKI_EXPORT void vk_kmem_cache_free(struct kmem_cache *c, void *p)
{
	if (!p)
		return;
	vki_heap_free(p, VKI_KIND_CACHE, (struct vki_kcache *)c, PC(), vki_stack_save(0));
}

VKI_EXPORT void vk_kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return;
	int r = vki_kcache_destroy((struct vki_kcache *)c);
	if (r > 0)
		vki_printf("vkasan: kmem_cache_destroy: slab cache still has objects; kept\n");
	else if (r < 0) /* as the kernel's test expects: a bad free of the cache */
		vki_report_free((uintptr_t)c, VKI_DOUBLE_FREE, PC());
}
