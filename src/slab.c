/*
 * slab.c - the heap: size-classed slabs of objects, and large objects, all
 * of them mappings of the vmalloc arena.
 *
 * A slab is one arena mapping (owner SLAB) of a cache.  It is sized so that
 * with its guard page it fills whole 64 KiB units: no other mapping shares
 * its shadow windows, and when it is given back its shadow goes with it by
 * the arena's release rule.  Layout (KASAN generic: the redzone after each
 * object, scaled with its size; the lead redzone gives object 0 a left one):
 *
 *   | lead rz | obj 0 | rz | obj 1 | rz | ... | obj n-1 | rz | .. | meta[n] | guard |
 *
 * Shadow: redzones and the metadata area 0xFC; a free object 0xFB; a live
 * one exactly its requested bytes (partial last granule), the rest of its
 * slot 0xFC.  A free object's link in its slab's free list is kept in the
 * first word of its redzone, so that a constructed object's contents (the
 * kernel's kmem_cache constructor semantics) survive free and reuse.  The metadata (stacks, tids, requested size, how it was
 * allocated, state, a check byte) lives in the slab's tail, never inside or
 * next to an object, and every use checks it: a stray uninstrumented write
 * there is a clear error, not a wrong report; a free-list link is checked
 * when taken.
 *
 * A large object (above 32 KiB, as kvmalloc falls back to vmalloc) is a
 * mapping of its own (owner LARGE): exact tail, guard page after.
 *
 * Finding the slab of an address: one table entry per 64 KiB of arena.
 * Allocation: per-thread magazines per kmalloc class, refilled in batches
 * under the cache's lock; the arena's lock only when a slab is made or
 * given back.  Free: poison, then the quarantine (quarantine.c); objects
 * leaving it go back to their slab, and a slab whose objects are all back
 * goes back to the arena.
 *
 * Locks, in order: quarantine, cache, large list, header pool, arena.
 */
#include "vk_internal.h"

#define UNIT_SHIFT 16
#define UNIT (1UL << UNIT_SHIFT) /* slab alignment and table granule */
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
	int cls;                  /* kmalloc class, -1: a cache of its own */
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

/* ---------------------------------------------------------------- classes */

static const uint32_t class_size[] = { 16,   32,   48,   64,    96,    128,   192,  256,
				       384,  512,  768,  1024,  1536,  2048,  3072, 4096,
				       6144, 8192, 12288, 16384, 24576, 32768 };
#define NCLASSES (int)(sizeof(class_size) / sizeof(class_size[0]))
static struct vki_kcache kmalloc_caches[NCLASSES];
static uint8_t small_index[1024 / 16 + 1]; /* (size + 15) / 16 -> class */

static struct vki_kcache *all_caches;
static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;

/* KASAN generic's redzone: bigger objects get bigger ones. */
static size_t redzone_for(size_t size)
{
	return size <= 64 - 16 ? 16 : size <= 128 - 32 ? 32 : size <= 512 - 64 ? 64
	     : size <= 4096 - 128 ? 128 : size <= 16384 - 256 ? 256
	     : size <= 32768 - 512 ? 512 : 1024;
}

static void cache_setup(struct vki_kcache *c, const char *name, size_t size, size_t align,
			int cls, void (*ctor)(void *))
{
	vki_snprintf(c->name, sizeof(c->name), "%s", name);
	if (align < 16)
		align = 16;
	c->req = size;
	c->size = VKI_ROUND_UP(size ? size : 1, 16);
	c->rz = VKI_ROUND_UP(redzone_for(c->size), align);
	c->slot = VKI_ROUND_UP(c->size + c->rz, align);
	c->lead = c->rz;
	c->cls = cls;
	c->ctor = ctor;
	/* At least 8 objects (4 above 4 KiB); mapping + guard page fill units. */
	size_t want = c->size <= 4096 ? 8 : 4;
	size_t len = UNIT;
	while ((len - VKI_PAGE_SIZE - c->lead) / (c->slot + sizeof(struct objmeta)) < want)
		len += UNIT;
	c->slab_len = len - VKI_PAGE_SIZE;
	c->nobj = (uint32_t)((c->slab_len - c->lead) / (c->slot + sizeof(struct objmeta)));
	c->meta_off = VKI_ROUND_DOWN(c->slab_len - c->nobj * sizeof(struct objmeta), 16);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_lock(&caches_lock);
	c->next = all_caches;
	all_caches = c;
	pthread_mutex_unlock(&caches_lock);
}

static struct vki_kcache *class_for(size_t size, size_t align)
{
	if (align > 16)
		size += align - 16; /* room to align inside the slot */
	if (size <= 1024)
		return &kmalloc_caches[small_index[(size + 15) / 16]];
	for (int i = 0; i < NCLASSES; i++)
		if (class_size[i] >= size)
			return &kmalloc_caches[i];
	return NULL;
}

/* ---------------------------------------------------------------- headers */

#define HDR_CHUNK (256UL << 10)
static pthread_mutex_t hdr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vki_slab *hdr_free;
static uint64_t hdr_in_use;

static struct vki_slab *hdr_alloc(void)
{
	pthread_mutex_lock(&hdr_lock);
	if (!hdr_free) {
		struct vki_slab *c = vki_os_map_anywhere(HDR_CHUNK, VKI_OS_META);
		for (size_t i = 0; c && i < HDR_CHUNK / sizeof(*c); i++) {
			c[i].next = hdr_free;
			hdr_free = &c[i];
		}
	}
	struct vki_slab *s = hdr_free;
	if (s) {
		hdr_free = s->next;
		hdr_in_use++;
	}
	pthread_mutex_unlock(&hdr_lock);
	if (s)
		vki_fill(s, 0, sizeof(*s));
	return s;
}

static void hdr_release(struct vki_slab *s)
{
	s->magic = 0;
	pthread_mutex_lock(&hdr_lock);
	s->next = hdr_free;
	hdr_free = s;
	hdr_in_use--;
	pthread_mutex_unlock(&hdr_lock);
}

/* ---------------------------------------------------------------- table */

static struct vki_slab **table; /* one entry per 64 KiB of arena */
static size_t table_len;

static inline struct vki_slab *lookup(uintptr_t a)
{
	if (!table || !vki_in_arena(a))
		return NULL;
	return __atomic_load_n(&table[(a - vki_arena_base) >> UNIT_SHIFT], __ATOMIC_ACQUIRE);
}

static void table_set(uintptr_t start, size_t len, struct vki_slab *s)
{
	size_t i0 = (start - vki_arena_base) >> UNIT_SHIFT;
	size_t i1 = (start + len + VKI_PAGE_SIZE - 1 - vki_arena_base) >> UNIT_SHIFT;
	for (size_t i = i0; i <= i1; i++)
		__atomic_store_n(&table[i], s, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- metadata */

static uint32_t meta_hash(const struct objmeta *m, uintptr_t slot)
{
	uint64_t h = slot * 0x9e3779b97f4a7c15ULL;
	h ^= ((uint64_t)m->alloc_stack << 32 | m->free_stack) * 0xff51afd7ed558ccdULL;
	h ^= ((uint64_t)m->alloc_tid << 32 | m->free_tid) * 0xc4ceb9fe1a85ec53ULL;
	h ^= ((uint64_t)m->size << 32 | (uint64_t)m->off << 16 | m->state << 8 | m->kind) *
	     0x2545f4914f6cdd1dULL;
	return (uint32_t)(h ^ (h >> 29) ^ (h >> 47));
}

static void meta_seal(struct objmeta *m, uintptr_t slot)
{
	m->check = meta_hash(m, slot);
}

static void meta_verify(const struct objmeta *m, uintptr_t slot)
{
	if (VKI_UNLIKELY(m->check != meta_hash(m, slot)))
		vki_die("vkasan: heap metadata of the object at %p is corrupted (a write "
			"outside instrumented code?)\n", (void *)slot);
}

static inline uintptr_t slot_addr(const struct vki_slab *s, uint32_t i)
{
	return s->start + s->cache->lead + (uintptr_t)i * s->cache->slot;
}

/* Index of the slot that holds a, or -1 (lead redzone, metadata area). */
static long slot_index(const struct vki_slab *s, uintptr_t a)
{
	const struct vki_kcache *c = s->cache;
	if (a < s->start + c->lead)
		return -1;
	uintptr_t i = (a - s->start - c->lead) / c->slot;
	return i < c->nobj ? (long)i : -1;
}

/* ---------------------------------------------------------------- shadow */

static inline void poison(uintptr_t s, uintptr_t e, uint8_t code)
{
	if (vki_opt.shadow && e > s)
		vki_shadow_poison(s, e, code);
}

/* A live object: [slot, user) redzone, exact bytes, the rest of the slot's
 * object part redzone (the slot's own redzone stays 0xFC throughout). */
static void shadow_live(const struct vki_kcache *c, uintptr_t slot, uintptr_t user, size_t size)
{
	if (!vki_opt.shadow)
		return;
	poison(slot, user, VKI_SHADOW_SLAB_REDZONE);
	vki_shadow_unpoison(user, size);
	poison(VKI_ROUND_UP(user + size, VKI_GRANULE), slot + c->size, VKI_SHADOW_SLAB_REDZONE);
}

/* ---------------------------------------------------------------- per thread */

#define MAG_MAX 32
struct mag {
	uint32_t n;
	uintptr_t obj[MAG_MAX];
};

static __thread struct {
	struct mag mag[NCLASSES];
	bool registered, dead;
} tc __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static uint64_t init_ok; /* heap usable */

static uint32_t mag_cap(const struct vki_kcache *c)
{
	uint32_t n = (uint32_t)(65536 / c->size);
	return n < 4 ? 4 : n > MAG_MAX ? MAG_MAX : n;
}

/* ---------------------------------------------------------------- slabs */

static void partial_add(struct vki_kcache *c, struct vki_slab *s)
{
	s->on_partial = 1;
	s->pprev = NULL;
	s->pnext = c->partial;
	if (c->partial)
		c->partial->pprev = s;
	c->partial = s;
}

static void partial_del(struct vki_kcache *c, struct vki_slab *s)
{
	if (s->pprev)
		s->pprev->pnext = s->pnext;
	else
		c->partial = s->pnext;
	if (s->pnext)
		s->pnext->pprev = s->pprev;
	s->on_partial = 0;
}

/* Make a slab for c (cache lock held); NULL when out of memory. */
static struct vki_slab *slab_new(struct vki_kcache *c)
{
	struct vki_slab *s = hdr_alloc();
	if (!s)
		return NULL;
	void *p = vki_arena_alloc(c->slab_len, UNIT, VKI_OWNER_SLAB, 0);
	if (!p) {
		hdr_release(s);
		return NULL;
	}
	s->magic = HDR_MAGIC;
	s->type = HDR_SLAB;
	s->start = (uintptr_t)p;
	s->len = c->slab_len;
	s->cache = c;
	s->meta = (struct objmeta *)(s->start + c->meta_off);
	poison(s->start, s->start + s->len, VKI_SHADOW_SLAB_REDZONE);
	/* Free list in address order: link from the top down. */
	s->free_head = 0;
	for (uint32_t i = c->nobj; i-- > 0;) {
		uintptr_t slot = slot_addr(s, i);
		if (c->ctor) { /* constructed once per slab, as the kernel does */
			if (vki_opt.shadow)
				vki_shadow_unpoison(slot, c->size);
			c->ctor((void *)slot);
		}
		poison(slot, slot + c->size, VKI_SHADOW_SLAB_FREE);
		struct objmeta *m = &s->meta[i];
		vki_fill(m, 0, sizeof(*m));
		meta_seal(m, slot);
		*(uintptr_t *)(slot + c->size) = s->free_head;
		s->free_head = slot;
	}
	s->navail = c->nobj;
	s->next = c->all;
	s->prev = NULL;
	if (c->all)
		c->all->prev = s;
	c->all = s;
	c->nslabs++;
	partial_add(c, s);
	table_set(s->start, s->len, s);
	return s;
}

/* Unlink an empty slab (cache lock held); the caller gives it back. */
static void slab_unlink(struct vki_kcache *c, struct vki_slab *s)
{
	if (s->on_partial)
		partial_del(c, s);
	if (s->prev)
		s->prev->next = s->next;
	else
		c->all = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->nslabs--;
}

static void slab_give_back(struct vki_slab *s)
{
	table_set(s->start, s->len, NULL);
	vki_arena_free((void *)s->start, VKI_OWNER_SLAB);
	hdr_release(s);
}

/* Take one object off s's free list (cache lock held). */
static uintptr_t slab_take(struct vki_kcache *c, struct vki_slab *s)
{
	uintptr_t slot = s->free_head;
	long i = slot_index(s, slot);
	if (VKI_UNLIKELY(i < 0 || slot != slot_addr(s, (uint32_t)i) ||
			 s->meta[i].state != OBJ_AVAIL))
		vki_die("vkasan: free list of slab %p (%s) is corrupted at %p (a write to a "
			"freed object outside instrumented code?)\n", (void *)s->start, c->name,
			(void *)slot);
	s->free_head = *(uintptr_t *)(slot + c->size);
	if (--s->navail == 0)
		partial_del(c, s);
	return slot;
}

/* Return an object to its slab (cache lock held); true when the slab is
 * now empty and was unlinked: the caller gives it back. */
static bool slab_put(struct vki_kcache *c, struct vki_slab *s, uintptr_t slot)
{
	*(uintptr_t *)(slot + c->size) = s->free_head;
	s->free_head = slot;
	if (s->navail++ == 0)
		partial_add(c, s);
	if (s->navail == c->nobj) {
		slab_unlink(c, s);
		return true;
	}
	return false;
}

/* Up to n objects of c into out (cache lock held); count taken. */
static uint32_t cache_take(struct vki_kcache *c, uintptr_t *out, uint32_t n)
{
	uint32_t k = 0;
	while (k < n) {
		struct vki_slab *s = c->partial;
		if (!s && !(s = slab_new(c)))
			break;
		while (k < n && s->navail)
			out[k++] = slab_take(c, s);
	}
	return k;
}

static void cache_put_many(struct vki_kcache *c, const uintptr_t *obj, uint32_t n)
{
	struct vki_slab *empty = NULL;
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < n; i++) {
		struct vki_slab *s = lookup(obj[i]);
		if (slab_put(c, s, obj[i])) {
			s->next = empty;
			empty = s;
		}
	}
	pthread_mutex_unlock(&c->lock);
	while (empty) {
		struct vki_slab *s = empty;
		empty = s->next;
		slab_give_back(s);
	}
}

static void flush_mags(void)
{
	for (int i = 0; i < NCLASSES; i++) {
		struct mag *m = &tc.mag[i];
		if (m->n)
			cache_put_many(&kmalloc_caches[i], m->obj, m->n);
		vki_fill(m->obj, 0, m->n * sizeof(m->obj[0]));
		m->n = 0;
	}
}

static void thread_exit(void *unused)
{
	flush_mags();
	vki_quarantine_thread_exit();
	tc.dead = true; /* later frees of this thread go straight to the global queue */
}

/* ---------------------------------------------------------------- init */

static struct vki_slab *large_list; /* live and quarantined large objects */
static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;

static void fork_prepare(void)
{
	vki_heap_lock_all();
}

static void fork_parent(void)
{
	vki_heap_unlock_all();
}

static void fork_child(void)
{
	/* Other threads are gone; their magazines and batches stay out. */
	vki_quarantine_after_fork_child();
	for (struct vki_kcache *c = all_caches; c; c = c->next)
		pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&caches_lock, NULL);
	pthread_mutex_init(&large_lock, NULL);
	pthread_mutex_init(&hdr_lock, NULL);
}

/* Once, after vki_init: false when the heap cannot work (no arena). */
static bool setup_locked(void);
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static int setup_state; /* 0 not yet, 1 done, 2 failed */

bool vki_heap_setup(void)
{
	int s = __atomic_load_n(&setup_state, __ATOMIC_ACQUIRE);
	if (VKI_LIKELY(s))
		return s == 1;
	pthread_mutex_lock(&setup_lock);
	if (!setup_state)
		__atomic_store_n(&setup_state, setup_locked() ? 1 : 2, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&setup_lock);
	return setup_state == 1;
}

static bool setup_locked(void)
{
	if (!vki_arena_base)
		return false;
	table_len = (vki_arena_end - vki_arena_base) >> UNIT_SHIFT;
	table = vki_os_map_anywhere(VKI_ROUND_UP(table_len * sizeof(*table), VKI_PAGE_SIZE),
				    VKI_OS_RESERVE);
	if (!table)
		return false;
	for (int i = 0; i < NCLASSES; i++) {
		char name[32];
		uint32_t sz = class_size[i];
		if (sz >= 1024 && sz % 1024 == 0)
			vki_snprintf(name, sizeof(name), "kmalloc-%uk", sz / 1024);
		else
			vki_snprintf(name, sizeof(name), "kmalloc-%u", sz);
		cache_setup(&kmalloc_caches[i], name, sz, 16, i, NULL);
	}
	for (size_t k = 0, i = 0; k < sizeof(small_index); k++) {
		while (class_size[i] < k * 16)
			i++;
		small_index[k] = (uint8_t)i;
	}
	pthread_key_create(&thread_key, thread_exit);
	/* Registered after the arena's handlers: prepare handlers run in
	 * reverse order, so the heap's locks are taken before the arena's. */
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	__atomic_store_n(&init_ok, 1, __ATOMIC_RELEASE);
	return true;
}

/* ---------------------------------------------------------------- large */

static void *large_alloc(size_t size, size_t align, uint8_t kind, uint32_t stack)
{
	struct vki_slab *s = hdr_alloc();
	if (!s)
		return NULL;
	void *p = vki_arena_alloc(size, align > UNIT ? align : UNIT, VKI_OWNER_LARGE, stack);
	if (!p) {
		hdr_release(s);
		return NULL;
	}
	s->magic = HDR_MAGIC;
	s->type = HDR_LARGE;
	s->start = (uintptr_t)p;
	s->len = VKI_ROUND_UP(size, VKI_PAGE_SIZE);
	s->meta = &s->lmeta;
	struct objmeta *m = s->meta;
	m->alloc_stack = stack;
	m->alloc_tid = (uint32_t)vki_os_gettid();
	m->size = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
	m->kind = kind;
	m->state = OBJ_LIVE;
	meta_seal(m, s->start);
	pthread_mutex_lock(&large_lock);
	s->next = large_list;
	s->prev = NULL;
	if (large_list)
		large_list->prev = s;
	large_list = s;
	pthread_mutex_unlock(&large_lock);
	table_set(s->start, s->len, s);
	return p; /* the arena unpoisoned exactly size bytes */
}

static void large_give_back(struct vki_slab *s)
{
	pthread_mutex_lock(&large_lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		large_list = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&large_lock);
	table_set(s->start, s->len, NULL);
	vki_arena_free((void *)s->start, VKI_OWNER_LARGE);
	hdr_release(s);
}

/* ---------------------------------------------------------------- alloc */

void *vki_heap_alloc(struct vki_kcache *c, size_t size, size_t align, uint8_t kind,
		     uint32_t stack)
{
	if (!__atomic_load_n(&init_ok, __ATOMIC_ACQUIRE))
		return NULL;
	if (align < 16)
		align = 16;
	if (!c) {
		if (size > MAX_SMALL || align > VKI_PAGE_SIZE || !(c = class_for(size, align)))
			return large_alloc(size ? size : 1, align, kind, stack);
	} else if (size > c->size) {
		return NULL;
	}
	if (VKI_UNLIKELY(!tc.registered)) {
		tc.registered = true;
		pthread_setspecific(thread_key, (void *)1);
		vki_signal_thread_init();
		vki_task_note();
	}
	uintptr_t slot = 0;
	if (c->cls >= 0 && !tc.dead) {
		struct mag *m = &tc.mag[c->cls];
		if (VKI_UNLIKELY(!m->n)) {
			pthread_mutex_lock(&c->lock);
			m->n = cache_take(c, m->obj, mag_cap(c) / 2 + 1);
			pthread_mutex_unlock(&c->lock);
		}
		if (m->n) {
			slot = m->obj[--m->n];
			m->obj[m->n] = 0; /* leak.c scans TLS: no stale object address */
		}
	} else {
		pthread_mutex_lock(&c->lock);
		cache_take(c, &slot, 1);
		pthread_mutex_unlock(&c->lock);
	}
	if (!slot)
		return NULL;
	struct vki_slab *s = lookup(slot);
	struct objmeta *m = &s->meta[(slot - s->start - c->lead) / c->slot];
	meta_verify(m, slot);
	uintptr_t user = VKI_ROUND_UP(slot, align);
	m->state = OBJ_SETTLING;
	m->alloc_stack = stack;
	m->free_stack = 0;
	m->alloc_tid = (uint32_t)vki_os_gettid();
	m->free_tid = 0;
	m->size = (uint32_t)size;
	m->off = (uint16_t)(user - slot);
	m->kind = kind;
	shadow_live(c, slot, user, size);
	m->state = OBJ_LIVE;
	meta_seal(m, slot);
	return (void *)user;
}

/* ---------------------------------------------------------------- free */

static __thread uint8_t mismatch_kind = 0xff; /* for the report being made */

static bool kinds_clash(uint8_t allocated, uint8_t freeing)
{
	allocated &= ~VKI_KIND_LEAK_IGNORED;
	if (allocated == VKI_KIND_CACHE || freeing == VKI_KIND_CACHE)
		return false; /* kfree() of a kmem_cache object is fine */
	return allocated != freeing;
}

static void bad_free(uintptr_t a, enum vki_free_bug bug, uintptr_t pc, uint8_t kind)
{
	mismatch_kind = bug == VKI_ALLOC_DEALLOC_MISMATCH ? kind : 0xff;
	vki_report_free(a, bug, pc);
	mismatch_kind = 0xff;
}

void vki_heap_free(const void *p, uint8_t kind, struct vki_kcache *c, uintptr_t pc,
		   uint32_t stack)
{
	uintptr_t a = (uintptr_t)p;
	struct vki_slab *s = lookup(a);
	if (!s) {
		struct vki_area_info ai;
		bool lazy = vki_arena_describe(a, &ai) && ai.state == VKI_AREA_LAZY &&
			    ai.owner != VKI_OWNER_VMALLOC && ai.start == a;
		bad_free(a, lazy ? VKI_DOUBLE_FREE : VKI_INVALID_FREE, pc, kind);
		return;
	}
	uintptr_t slot;
	struct objmeta *m;
	if (s->type == HDR_LARGE) {
		slot = s->start;
		m = s->meta;
	} else {
		long i = slot_index(s, a);
		if (i < 0) {
			bad_free(a, VKI_INVALID_FREE, pc, kind);
			return;
		}
		slot = slot_addr(s, (uint32_t)i);
		m = &s->meta[i];
	}
	meta_verify(m, slot);
	if (m->state != OBJ_LIVE || a != slot + m->off) {
		bool again = a == slot + m->off && m->alloc_stack &&
			     (m->state == OBJ_QUAR || m->state == OBJ_AVAIL);
		bad_free(a, again ? VKI_DOUBLE_FREE : VKI_INVALID_FREE, pc, kind);
		return;
	}
	if (c && s->cache != c) {
		bad_free(a, VKI_INVALID_FREE, pc, kind);
		return;
	}
	if (kinds_clash(m->kind, kind)) {
		bad_free(a, VKI_ALLOC_DEALLOC_MISMATCH, pc, kind);
		/* going on (halt_on_error=0): free it as asked */
	}
	m->state = OBJ_QUAR;
	m->free_stack = stack;
	m->free_tid = (uint32_t)vki_os_gettid();
	meta_seal(m, slot);
	if (s->type == HDR_LARGE) {
		poison(s->start, s->start + s->len, VKI_SHADOW_SLAB_FREE);
		vki_quarantine_put((void *)slot, s->len + VKI_PAGE_SIZE);
	} else {
		poison(slot, slot + s->cache->size, VKI_SHADOW_SLAB_FREE);
		vki_quarantine_put((void *)slot, s->cache->slot);
	}
}

/* Out of quarantine: back to the slab (or the arena, for a large one). */
void vki_heap_recycle(void *obj)
{
	uintptr_t slot = (uintptr_t)obj;
	struct vki_slab *s = lookup(slot);
	VKI_CHECK(s && s->magic == HDR_MAGIC);
	if (s->type == HDR_LARGE) {
		large_give_back(s);
		return;
	}
	struct vki_kcache *c = s->cache;
	struct objmeta *m = &s->meta[(slot - s->start - c->lead) / c->slot];
	meta_verify(m, slot);
	VKI_CHECK(m->state == OBJ_QUAR);
	m->state = OBJ_AVAIL;
	meta_seal(m, slot);
	cache_put_many(c, &slot, 1);
}

size_t vki_heap_size(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct vki_slab *s = lookup(a);
	if (!s)
		return 0;
	if (s->type == HDR_LARGE)
		return a == s->start && s->meta->state == OBJ_LIVE ? s->meta->size : 0;
	long i = slot_index(s, a);
	if (i < 0)
		return 0;
	struct objmeta *m = &s->meta[i];
	return m->state == OBJ_LIVE && a == slot_addr(s, (uint32_t)i) + m->off ? m->size : 0;
}

bool vki_heap_owns(const void *p)
{
	return lookup((uintptr_t)p) != NULL;
}

/* ksize(): the whole object becomes usable, as in the kernel. */
size_t vki_heap_ksize(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct vki_slab *s = lookup(a);
	size_t n = vki_heap_size(p);
	if (!n || s->type == HDR_LARGE)
		return n;
	long i = slot_index(s, a);
	struct objmeta *m = &s->meta[i];
	uintptr_t slot = slot_addr(s, (uint32_t)i);
	m->size = (uint32_t)(slot + s->cache->size - a);
	meta_seal(m, slot);
	shadow_live(s->cache, slot, a, m->size);
	return m->size;
}

/* krealloc() in place when the object's slot holds new_size: the shadow
 * follows (shrinking poisons the tail).  False: allocate anew. */
bool vki_heap_resize(const void *p, size_t new_size)
{
	uintptr_t a = (uintptr_t)p;
	struct vki_slab *s = lookup(a);
	if (!vki_heap_size(p) || s->type == HDR_LARGE)
		return false;
	long i = slot_index(s, a);
	uintptr_t slot = slot_addr(s, (uint32_t)i);
	if (a + new_size > slot + s->cache->size)
		return false;
	struct objmeta *m = &s->meta[i];
	m->size = (uint32_t)new_size;
	meta_seal(m, slot);
	shadow_live(s->cache, slot, a, new_size);
	return true;
}

/* ---------------------------------------------------------------- caches */

struct vki_kcache *vki_kcache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *))
{
	if (!__atomic_load_n(&init_ok, __ATOMIC_ACQUIRE) || !size || size > MAX_SMALL ||
	    (align & (align - 1)) || align > VKI_PAGE_SIZE)
		return NULL;
	struct vki_kcache *c = vki_os_map_anywhere(VKI_PAGE_SIZE, VKI_OS_META);
	if (c)
		cache_setup(c, name ? name : "cache", size, align, -1, ctor);
	return c;
}

/* Give back what the cache holds; false when objects are still live. */
bool vki_kcache_destroy(struct vki_kcache *c)
{
	vki_heap_drain();
	pthread_mutex_lock(&c->lock);
	bool busy = false;
	struct vki_slab *empty = NULL;
	for (struct vki_slab *s = c->all, *n; s; s = n) {
		n = s->next;
		if (s->navail == c->nobj) {
			slab_unlink(c, s);
			s->next = empty;
			empty = s;
		} else {
			busy = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	while (empty) {
		struct vki_slab *s = empty;
		empty = s->next;
		slab_give_back(s);
	}
	if (busy)
		return false;
	pthread_mutex_lock(&caches_lock);
	for (struct vki_kcache **pp = &all_caches; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&caches_lock);
	vki_os_unmap(c, VKI_PAGE_SIZE);
	return true;
}

size_t vki_kcache_size(const struct vki_kcache *c)
{
	return c->req;
}

/* ---------------------------------------------------------------- drain, fork */

void vki_heap_drain(void)
{
	if (!__atomic_load_n(&init_ok, __ATOMIC_ACQUIRE))
		return;
	flush_mags();
	vki_quarantine_drain();
}

void vki_heap_lock_all(void)
{
	vki_quarantine_lock();
	pthread_mutex_lock(&caches_lock);
	for (struct vki_kcache *c = all_caches; c; c = c->next)
		pthread_mutex_lock(&c->lock);
	pthread_mutex_lock(&large_lock);
	pthread_mutex_lock(&hdr_lock);
}

void vki_heap_unlock_all(void)
{
	pthread_mutex_unlock(&hdr_lock);
	pthread_mutex_unlock(&large_lock);
	for (struct vki_kcache *c = all_caches; c; c = c->next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&caches_lock);
	vki_quarantine_unlock();
}

/* ---------------------------------------------------------------- reports */

static const char *kind_name(uint8_t k)
{
	switch (k) {
	case VKI_KIND_NEW: return "operator new";
	case VKI_KIND_NEW_ARRAY: return "operator new []";
	case VKI_KIND_CACHE: return "kmem_cache_alloc";
	default: return "malloc";
	}
}

static const char *dealloc_name(uint8_t k)
{
	switch (k) {
	case VKI_KIND_NEW: return "operator delete";
	case VKI_KIND_NEW_ARRAY: return "operator delete []";
	case VKI_KIND_CACHE: return "kmem_cache_free";
	default: return "free";
	}
}

static void desc_from(struct vki_heap_desc *d, const struct objmeta *m, uintptr_t user,
		      const struct vki_kcache *c)
{
	d->object = true;
	d->obj = user;
	d->size = m->size;
	d->freed = m->state == OBJ_QUAR || m->state == OBJ_AVAIL;
	d->kind = m->kind & ~VKI_KIND_LEAK_IGNORED;
	d->alloc_stack = m->alloc_stack;
	d->free_stack = d->freed ? m->free_stack : 0;
	d->alloc_tid = m->alloc_tid;
	d->free_tid = m->free_tid;
	if (c) {
		vki_snprintf(d->cache, sizeof(d->cache), "%s", c->name);
		d->cache_size = c->size;
	}
}

bool vki_heap_describe(uintptr_t addr, const struct vki_area_info *ai, uint8_t code,
		       bool present, struct vki_heap_desc *d)
{
	vki_fill(d, 0, sizeof(*d));
	if (!ai || ai->owner == VKI_OWNER_VMALLOC)
		return false;
	struct vki_slab *s = ai->state == VKI_AREA_BUSY ? lookup(addr) : NULL;
	if (!s || s->magic != HDR_MAGIC) {
		/* A slab or large object already given back to the arena. */
		d->type = "slab-use-after-free";
		return true;
	}
	if (s->type == HDR_LARGE) {
		desc_from(d, s->meta, s->start, NULL);
	} else {
		const struct vki_kcache *c = s->cache;
		long i = slot_index(s, addr);
		if (i < 0 && addr >= s->start + c->lead)
			i = c->nobj - 1; /* the metadata area: after the last object */
		if (i >= 0) {
			/* In a slot's redzone: the next object when closer to it. */
			uintptr_t slot = slot_addr(s, (uint32_t)i);
			const struct objmeta *m = &s->meta[i];
			uintptr_t end = slot + m->off + m->size;
			if (addr >= slot + c->size && (uint32_t)i + 1 < c->nobj) {
				uintptr_t next = slot_addr(s, (uint32_t)i + 1);
				const struct objmeta *nm = &s->meta[i + 1];
				if (next + nm->off - addr < addr - end) {
					i++;
					slot = next;
				}
			}
		} else {
			i = 0; /* the lead redzone: left of object 0 */
		}
		uintptr_t slot = slot_addr(s, (uint32_t)i);
		desc_from(d, &s->meta[i], slot + s->meta[i].off, c);
	}
	bool inside = addr >= d->obj && addr < d->obj + d->size;
	if (code == VKI_SHADOW_SLAB_FREE || (d->freed && inside))
		d->type = "slab-use-after-free";
	else if (!present)
		d->type = "slab-use-after-free";
	else
		d->type = "slab-out-of-bounds";
	return true;
}

void vki_heap_print(uintptr_t addr, const struct vki_heap_desc *d)
{
#define P vki_report_printf
	if (!d->object) {
		P("The buggy address belongs to a heap mapping that was freed and given back\n\n");
		return;
	}
	if (mismatch_kind != 0xff)
		P("The object was allocated by %s and is being freed by %s\n\n",
		  kind_name(d->kind), dealloc_name(mismatch_kind));
	P("Allocated by task ");
	vki_report_task(d->alloc_tid);
	P(":\n");
	vki_report_stack(d->alloc_stack);
	P("\n");
	if (d->freed) {
		P("Freed by task ");
		vki_report_task(d->free_tid);
		P(":\n");
		vki_report_stack(d->free_stack);
		P("\n");
	}
	if (d->cache[0])
		P("The buggy address belongs to the object at 0x%lx\n which belongs to the cache "
		  "%s of size %lu\n",
		  (unsigned long)d->obj, d->cache, (unsigned long)d->cache_size);
	else
		P("The buggy address belongs to the object at 0x%lx\n which is a large object "
		  "(%s) with a mapping of its own\n",
		  (unsigned long)d->obj, kind_name(d->kind));
	const char *what = d->freed ? "freed" : "allocated";
	uintptr_t rs = d->obj, re = d->obj + d->size;
	if (addr < rs)
		P("The buggy address is located %lu bytes to the left of\n",
		  (unsigned long)(rs - addr));
	else if (addr >= re)
		P("The buggy address is located %lu bytes to the right of\n",
		  (unsigned long)(addr - re));
	else
		P("The buggy address is located %lu bytes inside of\n", (unsigned long)(addr - rs));
	P(" %s %lu-byte region [0x%lx, 0x%lx)\n\n", what, (unsigned long)d->size,
	  (unsigned long)rs, (unsigned long)re);
#undef P
}

/* ---------------------------------------------------------------- leaks */

/* Called by leak.c with the heap's locks and the arena's lock held and the
 * other threads stopped; the objects' metadata is read without meta_verify,
 * since a stopped thread may be half-way through writing one of its own
 * (that object is SETTLING, not LIVE, and skipped). */
void vki_heap_for_each_live(uintptr_t mapping,
			    void (*fn)(uintptr_t start, size_t size, uint32_t alloc_stack,
				       bool ignored, void *ctx),
			    void *ctx)
{
	struct vki_slab *s = lookup(mapping);
	if (!s || s->magic != HDR_MAGIC || s->start != mapping)
		return;
	if (s->type == HDR_LARGE) {
		const struct objmeta *m = s->meta;
		if (m->state == OBJ_LIVE)
			fn(s->start, m->size == UINT32_MAX ? s->len : m->size, m->alloc_stack,
			   m->kind & VKI_KIND_LEAK_IGNORED, ctx);
		return;
	}
	for (uint32_t i = 0; i < s->cache->nobj; i++) {
		const struct objmeta *m = &s->meta[i];
		if (m->state == OBJ_LIVE)
			fn(slot_addr(s, i) + m->off, m->size, m->alloc_stack,
			   m->kind & VKI_KIND_LEAK_IGNORED, ctx);
	}
}

bool vki_heap_leak_ignore(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	if (!vki_heap_size(p))
		return false;
	struct vki_slab *s = lookup(a);
	uintptr_t slot = s->type == HDR_LARGE ? s->start
		       : slot_addr(s, (uint32_t)slot_index(s, a));
	struct objmeta *m = s->type == HDR_LARGE ? s->meta : &s->meta[slot_index(s, a)];
	m->kind |= VKI_KIND_LEAK_IGNORED;
	meta_seal(m, slot);
	return true;
}

/* ---------------------------------------------------------------- stats, walk */

struct heap_count {
	uint64_t objects, bytes;
};

static void count_slab(const struct vki_slab *s, struct heap_count *hc)
{
	for (uint32_t i = 0; i < s->cache->nobj; i++)
		if (s->meta[i].state == OBJ_LIVE) {
			hc->objects++;
			hc->bytes += s->meta[i].size;
		}
}

void vki_heap_stats(struct vk_stats *out)
{
	if (!__atomic_load_n(&init_ok, __ATOMIC_ACQUIRE))
		return;
	struct heap_count hc = { 0, 0 };
	pthread_mutex_lock(&caches_lock);
	for (struct vki_kcache *c = all_caches; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		for (struct vki_slab *s = c->all; s; s = s->next)
			count_slab(s, &hc);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&caches_lock);
	pthread_mutex_lock(&large_lock);
	for (struct vki_slab *s = large_list; s; s = s->next)
		if (s->meta->state == OBJ_LIVE) {
			hc.objects++;
			hc.bytes += s->meta->size;
		}
	pthread_mutex_unlock(&large_lock);
	out->heap_objects = hc.objects;
	out->heap_bytes = hc.bytes;
	out->heap_quarantine_bytes = vki_quarantine_bytes();
}

struct hwalk {
	int bad;
	uint64_t mappings;
};

static void hbad(struct hwalk *w, const char *what, uintptr_t a)
{
	if (w->bad++ < 10)
		vki_printf("vkasan: heap invariant: %s at %p\n", what, (void *)a);
}

/* Shadow of [s, e) reads code (where backed; a heap mapping is always). */
static bool shadow_is(uintptr_t s, uintptr_t e, uint8_t code)
{
	for (uintptr_t a = s; a < e; a += VKI_GRANULE) {
		uint8_t v;
		if (!vki_shadow_peek(a, &v) || v != code)
			return false;
	}
	return true;
}

static void verify_slab(struct hwalk *w, const struct vki_slab *s)
{
	const struct vki_kcache *c = s->cache;
	struct vki_area_info ai;
	if (!vki_arena_describe(s->start, &ai) || ai.state != VKI_AREA_BUSY ||
	    ai.owner != VKI_OWNER_SLAB || ai.start != s->start)
		hbad(w, "slab is not a live slab mapping of the arena", s->start);
	if (lookup(s->start) != s || lookup(s->start + s->len - 1) != s)
		hbad(w, "slab missing from the address table", s->start);
	uint32_t onlist = 0;
	for (uintptr_t f = s->free_head; f && onlist <= c->nobj; onlist++)
		f = *(uintptr_t *)(f + c->size);
	if (onlist != s->navail)
		hbad(w, "free list length differs from the count", s->start);
	if ((s->navail > 0) != s->on_partial)
		hbad(w, "slab on the wrong list", s->start);
	if (!vki_opt.shadow)
		return;
	if (!shadow_is(s->start, s->start + c->lead, VKI_SHADOW_SLAB_REDZONE) ||
	    !shadow_is(s->start + c->meta_off, s->start + s->len, VKI_SHADOW_SLAB_REDZONE))
		hbad(w, "slab lead redzone or metadata area not 0xFC", s->start);
	for (uint32_t i = 0; i < c->nobj; i++) {
		uintptr_t slot = slot_addr(s, i);
		const struct objmeta *m = &s->meta[i];
		uint8_t st = __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
		if (st == OBJ_SETTLING)
			continue; /* being allocated right now, without a lock */
		if (m->check != meta_hash(m, slot))
			hbad(w, "object metadata check failed", slot);
		if (!shadow_is(slot + c->size, slot + c->slot, VKI_SHADOW_SLAB_REDZONE))
			hbad(w, "object redzone not 0xFC", slot);
		if (st != OBJ_LIVE) {
			if (!shadow_is(slot, slot + c->size, VKI_SHADOW_SLAB_FREE))
				hbad(w, "free object not 0xFB", slot);
			continue;
		}
		uintptr_t u = slot + m->off;
		uintptr_t full = u + (m->size & ~(VKI_GRANULE - 1));
		uint8_t v = 0;
		if (!shadow_is(slot, u, VKI_SHADOW_SLAB_REDZONE) || !shadow_is(u, full, 0) ||
		    ((m->size & 7) && (!vki_shadow_peek(full, &v) || v != (m->size & 7))) ||
		    !shadow_is(VKI_ROUND_UP(u + m->size, VKI_GRANULE), slot + c->size,
			       VKI_SHADOW_SLAB_REDZONE))
			hbad(w, "live object shadow not exact", u);
	}
}

static void verify_mapping(const struct vki_area *a, void *ctx)
{
	struct hwalk *w = ctx;
	if (a->state != VKI_AREA_BUSY || a->owner == VKI_OWNER_VMALLOC)
		return;
	w->mappings++;
	struct vki_slab *s = lookup(a->node.key);
	if (!s || s->magic != HDR_MAGIC || s->start != a->node.key ||
	    (s->type == HDR_LARGE) != (a->owner == VKI_OWNER_LARGE))
		hbad(w, "heap mapping without its slab or object", a->node.key);
}

int vki_heap_verify(void)
{
	if (!__atomic_load_n(&init_ok, __ATOMIC_ACQUIRE))
		return 0;
	struct hwalk w = { 0, 0 };
	uint64_t slabs = 0;
	vki_heap_lock_all();
	vki_arena_lock();
	for (struct vki_kcache *c = all_caches; c; c = c->next) {
		uint64_t n = 0;
		for (struct vki_slab *s = c->all; s; s = s->next, n++)
			verify_slab(&w, s);
		if (n != c->nslabs)
			hbad(&w, "cache slab count differs from its list", (uintptr_t)c);
		slabs += n;
	}
	for (struct vki_slab *s = large_list; s; s = s->next, slabs++) {
		uint8_t st = s->meta->state;
		if (vki_opt.shadow && st == OBJ_LIVE &&
		    (!shadow_is(s->start, s->start + (s->meta->size & ~7UL), 0)))
			hbad(&w, "large object shadow not exact", s->start);
		if (vki_opt.shadow && st == OBJ_QUAR &&
		    !shadow_is(s->start, s->start + s->len, VKI_SHADOW_SLAB_FREE))
			hbad(&w, "freed large object not 0xFB", s->start);
	}
	vki_arena_for_each(VKI_EACH_MAPPING, verify_mapping, &w);
	if (w.mappings != slabs)
		hbad(&w, "heap mappings of the arena and slabs + large objects differ", slabs);
	if (hdr_in_use != slabs)
		hbad(&w, "slab headers in use differ from slabs + large objects", hdr_in_use);
	size_t q = vki_quarantine_bytes();
	if (q > vki_opt.quarantine_size)
		hbad(&w, "quarantine over its budget", q);
	vki_arena_unlock();
	vki_heap_unlock_all();
	return w.bad;
}
