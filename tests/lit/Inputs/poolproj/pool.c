/* A bump allocator with AddressSanitizer annotations, as many projects
 * have them: unused and released memory is poisoned. */
#include <stdlib.h>
#include "pool.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

/* Where the pool's memory comes from (a build may choose). */
#ifndef POOL_BACKING_ALLOC
#define POOL_BACKING_ALLOC malloc
#define POOL_BACKING_FREE free
#endif

int pool_create(struct pool *p, size_t size)
{
	p->mem = POOL_BACKING_ALLOC(size);
	p->size = size;
	p->used = 0;
	if (!p->mem)
		return -1;
	ASAN_POISON_MEMORY_REGION(p->mem, size);
	return 0;
}

void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (p->size - p->used < n)
		return NULL;
	void *o = p->mem + p->used;
	p->used += n;
	ASAN_UNPOISON_MEMORY_REGION(o, n);
	return o;
}

void pool_reset(struct pool *p)
{
	ASAN_POISON_MEMORY_REGION(p->mem, p->used);
	p->used = 0;
}

void pool_destroy(struct pool *p)
{
	ASAN_UNPOISON_MEMORY_REGION(p->mem, p->size);
	POOL_BACKING_FREE(p->mem);
}
