/*
 * slab.h - what slab.c (the heap's objects) and slabinfo.c (what the heap
 * says about them: report descriptions, statistics, the invariant walk)
 * share.  Not for other files: they use vk_internal.h's vki_heap_* calls.
 */
#ifndef VK_SLAB_H
#define VK_SLAB_H

#include "vk_internal.h"

#define UNIT_SHIFT 16
#define UNIT (1UL << UNIT_SHIFT) /* slab alignment and vki_slab_table granule */
#define MAX_SMALL 32768UL
#define HDR_MAGIC 0x5ab1e5edU

enum { OBJ_AVAIL, OBJ_SETTLING, OBJ_LIVE, OBJ_QUAR };
enum { HDR_SLAB = 1, HDR_LARGE };

struct objmeta {
	uint32_t alloc_stack, free_stack, alloc_tid, free_tid;
	uint32_t size;     /* requested bytes */
	uint16_t off;      /* user pointer - slot start (aligned allocations) */
	uint8_t state, kind;
	uint32_t check;    /* hash of the above and the slot address */
};

struct vki_kcache {
	char name[32];
	size_t size, rz, slot, lead, slab_len, meta_off;
	size_t req;               /* object size asked for (kmem_cache_create) */
	uint32_t nobj;
	int cls;                  /* kmalloc class, -1: a cache of its own, -2: destroyed */
	void (*ctor)(void *);
	pthread_mutex_t lock;
	struct vki_slab *all;     /* every slab of the cache */
	struct vki_slab *partial; /* slabs with objects on their free list */
	uint64_t nslabs;
	struct vki_kcache *next;  /* list of all caches */
};

struct vki_slab {
	uint32_t magic;
	uint8_t type, on_partial;
	uintptr_t start;
	size_t len;                  /* mapping bytes, guard page excluded */
	struct vki_kcache *cache;
	struct vki_slab *prev, *next;   /* cache->all, or the large list */
	struct vki_slab *pprev, *pnext; /* cache->partial */
	uintptr_t free_head;
	uint32_t navail;
	struct objmeta *meta;        /* slab: meta[nobj]; large: &lmeta */
	struct objmeta lmeta;
};

extern struct vki_kcache *vki_slab_caches;  /* all caches, under vki_slab_caches_lock */
extern pthread_mutex_t vki_slab_caches_lock;
extern struct vki_slab *vki_slab_large;     /* large objects, under vki_slab_large_lock */
extern pthread_mutex_t vki_slab_large_lock;
extern uint64_t vki_slab_headers;           /* slab headers in use */
extern uint64_t vki_slab_ready;             /* the heap is set up */
extern struct vki_slab **vki_slab_table;    /* one entry per 64 KiB of arena */

/* Reports: what the heap knows about addr in one of its mappings. */
struct vki_heap_desc {
	const char *type;         /* bug type for an access there */
	bool object;              /* an object was found */
	bool freed;               /* ... and it is free (quarantined or reused) */
	uintptr_t obj;            /* its start */
	size_t size;              /* its requested size */
	char cache[32];           /* kmalloc-64, or the name given */
	size_t cache_size;
	uint8_t kind;             /* enum vki_alloc_kind */
	uint32_t alloc_stack, free_stack, alloc_tid, free_tid;
};
bool vki_heap_describe(uintptr_t addr, const struct vki_area_info *ai, uint8_t code,
		       bool present, struct vki_heap_desc *out);
void vki_heap_print(uintptr_t addr, const struct vki_heap_desc *d);

static inline struct vki_slab *lookup(uintptr_t a)
{
	if (!vki_slab_table || !vki_in_arena(a))
		return NULL;
	return __atomic_load_n(&vki_slab_table[(a - vki_arena_base) >> UNIT_SHIFT], __ATOMIC_ACQUIRE);
}

static inline uint32_t meta_hash(const struct objmeta *m, uintptr_t slot)
{
	uint64_t h = slot * 0x9e3779b97f4a7c15ULL;
	h ^= ((uint64_t)m->alloc_stack << 32 | m->free_stack) * 0xff51afd7ed558ccdULL;
	h ^= ((uint64_t)m->alloc_tid << 32 | m->free_tid) * 0xc4ceb9fe1a85ec53ULL;
	h ^= ((uint64_t)m->size << 32 | (uint64_t)m->off << 16 | m->state << 8 | m->kind) *
	     0x2545f4914f6cdd1dULL;
	return (uint32_t)(h ^ (h >> 29) ^ (h >> 47));
}

static inline uintptr_t slot_addr(const struct vki_slab *s, uint32_t i)
{
	return s->start + s->cache->lead + (uintptr_t)i * s->cache->slot;
}

/* Index of the slot that holds a, or -1 (lead redzone, metadata area). */
static inline long slot_index(const struct vki_slab *s, uintptr_t a)
{
	const struct vki_kcache *c = s->cache;
	if (a < s->start + c->lead)
		return -1;
	uintptr_t i = (a - s->start - c->lead) / c->slot;
	return i < c->nobj ? (long)i : -1;
}

#endif /* VK_SLAB_H */
