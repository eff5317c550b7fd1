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
 * Finding the slab of an address: one vki_slab_table entry per 64 KiB of arena.
 * Allocation: per-thread magazines per kmalloc class, refilled in batches
 * under the cache's lock; the arena's lock only when a slab is made or
 * given back.  Free: poison, then the quarantine (quarantine.c); objects
 * leaving it go back to their slab, and a slab whose objects are all back
 * goes back to the arena.
 *
 * Locks, in order: quarantine, cache, large list, header pool, arena.  A
 * slab or large object is made and given back whole under its cache's or
 * the large list's lock, so that fork() (prepare takes them all) never
 * sees one half made.
 */
#include "vk_internal.h"

#include "slab.h"

/* ---------------------------------------------------------------- classes */

static const uint32_t class_size[] = { 16,   32,   48,   64,    96,    128,   192,  256,
				       384,  512,  768,  1024,  1536,  2048,  3072, 4096,
				       6144, 8192, 12288, 16384, 24576, 32768 };
#define NCLASSES (int)(sizeof(class_size) / sizeof(class_size[0]))
static struct vki_kcache kmalloc_caches[NCLASSES];
static uint8_t small_index[1024 / 16 + 1]; /* (size + 15) / 16 -> class */

struct vki_kcache *vki_slab_caches;
pthread_mutex_t vki_slab_caches_lock = PTHREAD_MUTEX_INITIALIZER;

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
	pthread_mutex_lock(&vki_slab_caches_lock);
	c->next = vki_slab_caches;
	vki_slab_caches = c;
	pthread_mutex_unlock(&vki_slab_caches_lock);
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
uint64_t vki_slab_headers;

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
		vki_slab_headers++;
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
	vki_slab_headers--;
	pthread_mutex_unlock(&hdr_lock);
}

/* ---------------------------------------------------------------- vki_slab_table */

struct vki_slab **vki_slab_table; /* one entry per 64 KiB of arena */
static size_t table_len;


static void table_set(uintptr_t start, size_t len, struct vki_slab *s)
{
	size_t i0 = (start - vki_arena_base) >> UNIT_SHIFT;
	size_t i1 = (start + len + VKI_PAGE_SIZE - 1 - vki_arena_base) >> UNIT_SHIFT;
	for (size_t i = i0; i <= i1; i++)
		__atomic_store_n(&vki_slab_table[i], s, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- metadata */


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

/*
 * A thread's magazines live outside TLS (several KiB: as initial-exec TLS
 * they would make a late dlopen() of libvkasan.so fail for want of static
 * TLS space).  struct vki_thread points at them; they are mapped on the
 * thread's first use of the heap and go back to this pool at its exit
 * (under hdr_lock).
 */
struct vki_heap_mags {
	struct mag mag[NCLASSES];
	uint32_t busy;              /* lock-free heap steps in flight (below) */
	struct vki_heap_mags *next; /* in the pool */
	struct vki_heap_mags *all;  /* every set ever mapped (under hdr_lock) */
};
static struct vki_heap_mags *mags_pool, *mags_all;

static struct vki_heap_mags *mags_get(void)
{
	pthread_mutex_lock(&hdr_lock);
	if (!mags_pool) {
		size_t len = 64UL << 10;
		struct vki_heap_mags *c = vki_os_map_anywhere(len, VKI_OS_META);
		for (size_t i = 0; c && i < len / sizeof(*c); i++) {
			c[i].next = mags_pool;
			mags_pool = &c[i];
			c[i].all = mags_all;
			mags_all = &c[i];
		}
	}
	struct vki_heap_mags *m = mags_pool;
	if (m)
		mags_pool = m->next;
	pthread_mutex_unlock(&hdr_lock);
	if (m) /* mapped zero; reused ones were flushed; busy is 0 at exit */
		vki_fill(m->mag, 0, sizeof(m->mag));
	return m;
}

static void mags_put(struct vki_heap_mags *m)
{
	pthread_mutex_lock(&hdr_lock);
	m->next = mags_pool;
	mags_pool = m;
	pthread_mutex_unlock(&hdr_lock);
}

uint64_t vki_slab_ready; /* heap usable */

static uint32_t mag_cap(const struct vki_kcache *c)
{
	uint32_t n = (uint32_t)(65536 / c->size);
	return n < 4 ? 4 : n > MAG_MAX ? MAG_MAX : n;
}

/* ---------------------------------------------------------------- quiescence */

/*
 * Some heap steps write an object's metadata and shadow without a lock: an
 * allocation once it has its object (from the thread's magazine, or after a
 * locked refill), a free, an object's return from quarantine, ksize and
 * krealloc in place.  A fork() that caught another thread in the middle of
 * one would leave the child an object with half-written metadata for ever
 * (that thread does not exist there), and the invariant walk would flag it
 * in either process.  So vki_heap_lock_all, once it holds every heap lock,
 * closes a gate and waits until no thread is inside such a step; a step that
 * starts later waits at the gate until vki_heap_unlock_all (or the fork
 * child) opens it.  No step takes a lock or waits for anything.
 *
 * The fast path stays cheap: a step counts itself in its thread's magazines
 * (every thread using the heap has them; one without - past its exit hook,
 * or when they could not be mapped - counts in one shared atomic counter)
 * with only a compiler barrier between that store and its read of the gate:
 * the closing side issues membarrier(2), a full barrier on every running
 * thread of the process (Dekker's pattern with an asymmetric fence).  Where
 * membarrier is refused, every step fences itself.  A count, not a flag: a
 * signal handler's malloc inside a step nests and never waits at the gate
 * (its thread is counted already), and the closing thread skips its own
 * count (a fork() from a handler that interrupted a step: the step goes on
 * in the child).  The wait is bounded (STEP_WAIT_MS): a thread stopped
 * inside a step (a debugger; two threads forking from signal handlers at
 * once) delays a fork but never hangs it.
 */
#define STEP_WAIT_MS 2000
#define GATE_CLOSED 1 /* lock_all waits for the steps in flight */
#define GATE_FENCE 2  /* no membarrier: every step fences itself */

static int heap_gate = GATE_FENCE; /* until membarrier is registered */
static uint32_t shared_busy;       /* steps of threads without magazines */

/* The gate is closed or steps fence: fence, and unless the step is nested
 * (counted already), while the gate is closed, uncount, wait for it to
 * open, count again. */
static VKI_NOINLINE void step_slow(uint32_t *busy)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(busy, __ATOMIC_RELAXED) > 1)
		return;
	int g;
	while ((g = __atomic_load_n(&heap_gate, __ATOMIC_SEQ_CST)) & GATE_CLOSED) {
		__atomic_store_n(busy, 0, __ATOMIC_RELEASE);
		while ((g = __atomic_load_n(&heap_gate, __ATOMIC_ACQUIRE)) & GATE_CLOSED)
			vki_os_futex_wait(&heap_gate, g, 10);
		__atomic_store_n(busy, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

static VKI_NOINLINE void step_begin_shared(void)
{
	struct vki_thread *t = vki_self();
	for (;;) {
		__atomic_fetch_add(&shared_busy, 1, __ATOMIC_SEQ_CST);
		if (t->heap_shared_steps++ ||
		    !(__atomic_load_n(&heap_gate, __ATOMIC_SEQ_CST) & GATE_CLOSED))
			return;
		t->heap_shared_steps--;
		__atomic_fetch_sub(&shared_busy, 1, __ATOMIC_RELEASE);
		int g;
		while ((g = __atomic_load_n(&heap_gate, __ATOMIC_ACQUIRE)) & GATE_CLOSED)
			vki_os_futex_wait(&heap_gate, g, 10);
	}
}

static VKI_NOINLINE void step_end_shared(void)
{
	vki_self()->heap_shared_steps--;
	__atomic_fetch_sub(&shared_busy, 1, __ATOMIC_RELEASE);
}

/* Around every lock-free write of an object's metadata or shadow; tm: the
 * thread's magazines (vki_self()->heap_mags), the same at both ends. */
static inline void step_begin(struct vki_heap_mags *tm)
{
	if (VKI_UNLIKELY(!tm)) {
		step_begin_shared();
		return;
	}
	__atomic_store_n(&tm->busy, __atomic_load_n(&tm->busy, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	__asm__ volatile("" : : : "memory"); /* membarrier is the other half */
	if (VKI_UNLIKELY(__atomic_load_n(&heap_gate, __ATOMIC_RELAXED)))
		step_slow(&tm->busy);
}

static inline void step_end(struct vki_heap_mags *tm)
{
	if (VKI_UNLIKELY(!tm)) {
		step_end_shared();
		return;
	}
	__atomic_store_n(&tm->busy, __atomic_load_n(&tm->busy, __ATOMIC_RELAXED) - 1,
			 __ATOMIC_RELEASE);
}

/* true once STEP_WAIT_MS have passed since the first call (*start < 0). */
static bool waited_too_long(long *start)
{
	long now = vki_os_now_ms();
	if (*start < 0)
		*start = now;
	return now - *start > STEP_WAIT_MS;
}

/* vki_heap_lock_all, every heap lock held (hdr_lock: mags_all is stable). */
static void steps_quiesce(void)
{
	int g = __atomic_or_fetch(&heap_gate, GATE_CLOSED, __ATOMIC_SEQ_CST);
	if (!(g & GATE_FENCE) && vki_os_membarrier() != 0) /* not expected */
		__atomic_or_fetch(&heap_gate, GATE_FENCE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct vki_heap_mags *own = vki_self()->heap_mags;
	long start = -1;
	for (struct vki_heap_mags *m = mags_all; m; m = m->all) {
		if (m == own)
			continue;
		while (__atomic_load_n(&m->busy, __ATOMIC_ACQUIRE)) {
			if (waited_too_long(&start))
				return;
			vki_os_yield();
		}
	}
	while (__atomic_load_n(&shared_busy, __ATOMIC_ACQUIRE) > vki_self()->heap_shared_steps) {
		if (waited_too_long(&start))
			return;
		vki_os_yield();
	}
}

static void steps_resume(void)
{
	__atomic_and_fetch(&heap_gate, ~GATE_CLOSED, __ATOMIC_RELEASE);
	vki_os_futex_wake(&heap_gate);
}

/* The fork child: the other threads, and their steps, are gone. */
static void steps_after_fork_child(void)
{
	struct vki_heap_mags *own = vki_self()->heap_mags;
	for (struct vki_heap_mags *m = mags_all; m; m = m->all)
		if (m != own)
			m->busy = 0; /* only after a bounded wait gave up */
	shared_busy = vki_self()->heap_shared_steps;
	heap_gate &= ~GATE_CLOSED;
	/* A registration is the process's: again, to be sure. */
	if (!(heap_gate & GATE_FENCE) && !vki_os_membarrier_register())
		heap_gate |= GATE_FENCE;
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

/* An arena mapping for a slab or a large object: the requested bytes come
 * back accessible (a slab poisons its redzones itself); the area's owner
 * word is the header, for reports. */
static void *arena_map(size_t size, size_t align, uint8_t owner, uint32_t stack,
		       struct vki_slab *hdr)
{
	struct vki_area_req req = { .size = size, .align = align, .owner = owner,
				    .stack = stack, .priv = (uintptr_t)hdr, .shadow = true };
	return vki_area_alloc_ex(&req);
}

/* Make a slab for c (cache lock held); NULL when out of memory. */
static struct vki_slab *slab_new(struct vki_kcache *c)
{
	struct vki_slab *s = hdr_alloc();
	if (!s)
		return NULL;
	void *p = arena_map(c->slab_len, UNIT, VKI_OWNER_SLAB, 0, s);
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
	VKI_CHECK(vki_area_free(s->start, VKI_OWNER_SLAB, 0));
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

/* Objects back to their slabs; a slab that becomes empty goes back to the
 * arena before the lock is dropped, so that a fork() (which takes every
 * cache lock) never sees a slab between its cache and the arena. */
static void cache_put_many(struct vki_kcache *c, const uintptr_t *obj, uint32_t n)
{
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < n; i++) {
		struct vki_slab *s = lookup(obj[i]);
		if (slab_put(c, s, obj[i]))
			slab_give_back(s);
	}
	pthread_mutex_unlock(&c->lock);
}

static void flush_mags(struct vki_heap_mags *tm)
{
	for (int i = 0; i < NCLASSES; i++) {
		struct mag *m = &tm->mag[i];
		if (m->n)
			cache_put_many(&kmalloc_caches[i], m->obj, m->n);
		vki_fill(m->obj, 0, m->n * sizeof(m->obj[0]));
		m->n = 0;
	}
}

/* thread.c's exit hook: the magazines back to their caches, the open
 * quarantine batch to the global queue. */
void vki_heap_thread_exit(void)
{
	struct vki_thread *t = vki_self();
	if (!t->heap_entered)
		return;
	t->heap_dead = true; /* later frees of this thread go straight to the global lists */
	struct vki_heap_mags *m = t->heap_mags;
	t->heap_mags = NULL;
	if (m) {
		flush_mags(m);
		/* Not counted any longer, even if a signal handler's
		 * pthread_exit left a step of its own unfinished. */
		__atomic_store_n(&m->busy, 0, __ATOMIC_RELEASE);
		mags_put(m);
	}
	vki_quarantine_thread_exit();
}

/* ---------------------------------------------------------------- init */

struct vki_slab *vki_slab_large; /* live and quarantined large objects */
pthread_mutex_t vki_slab_large_lock = PTHREAD_MUTEX_INITIALIZER;

/* Once, after vki_init: false when the heap cannot work (no arena).
 * vki_heap_lock_all takes setup_lock first, so that a fork() waits for a
 * set-up in progress on another thread (not on this one, in_heap_setup: a
 * fork from a signal handler, which goes on in the child). */
static bool setup_locked(void);
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static int setup_state; /* 0 not yet, 1 done, 2 failed */

/* init.c's fork handler: before fork it took vki_heap_lock_all (then the
 * arena lock); in the child every heap lock is made new. */
void vki_heap_after_fork_child(void)
{
	/* Other threads are gone; their magazines and batches stay out. */
	steps_after_fork_child();
	vki_quarantine_after_fork_child();
	for (struct vki_kcache *c = vki_slab_caches; c; c = c->next)
		pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&vki_slab_caches_lock, NULL);
	pthread_mutex_init(&vki_slab_large_lock, NULL);
	pthread_mutex_init(&hdr_lock, NULL);
	if (!vki_self()->in_heap_setup)
		pthread_mutex_init(&setup_lock, NULL);
}

bool vki_heap_setup(void)
{
	int s = __atomic_load_n(&setup_state, __ATOMIC_ACQUIRE);
	if (VKI_LIKELY(s))
		return s == 1;
	pthread_mutex_lock(&setup_lock);
	vki_self()->in_heap_setup = true;
	if (!setup_state)
		__atomic_store_n(&setup_state, setup_locked() ? 1 : 2, __ATOMIC_RELEASE);
	vki_self()->in_heap_setup = false;
	pthread_mutex_unlock(&setup_lock);
	return setup_state == 1;
}

static bool setup_locked(void)
{
	if (!vki_arena_base)
		return false;
	table_len = (vki_arena_end - vki_arena_base) >> UNIT_SHIFT;
	vki_slab_table = vki_os_map_anywhere(VKI_ROUND_UP(table_len * sizeof(*vki_slab_table), VKI_PAGE_SIZE),
				    VKI_OS_RESERVE);
	if (!vki_slab_table)
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
	if (vki_os_membarrier_register())
		__atomic_and_fetch(&heap_gate, ~GATE_FENCE, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vki_slab_ready, 1, __ATOMIC_RELEASE);
	return true;
}

/* ---------------------------------------------------------------- large */

/* The whole life step under vki_slab_large_lock, so that fork() sees a large object
 * either listed or not there at all. */
static void *large_alloc(size_t size, size_t align, uint8_t kind, uint32_t stack)
{
	pthread_mutex_lock(&vki_slab_large_lock);
	struct vki_slab *s = hdr_alloc();
	void *p = s ? arena_map(size, align > UNIT ? align : UNIT, VKI_OWNER_LARGE, stack, s)
		    : NULL;
	if (!p) {
		if (s)
			hdr_release(s);
		pthread_mutex_unlock(&vki_slab_large_lock);
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
	s->next = vki_slab_large;
	s->prev = NULL;
	if (vki_slab_large)
		vki_slab_large->prev = s;
	vki_slab_large = s;
	table_set(s->start, s->len, s);
	pthread_mutex_unlock(&vki_slab_large_lock);
	return p; /* the arena unpoisoned exactly size bytes */
}

static void large_give_back(struct vki_slab *s)
{
	pthread_mutex_lock(&vki_slab_large_lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		vki_slab_large = s->next;
	if (s->next)
		s->next->prev = s->prev;
	table_set(s->start, s->len, NULL);
	VKI_CHECK(vki_area_free(s->start, VKI_OWNER_LARGE, 0));
	hdr_release(s);
	pthread_mutex_unlock(&vki_slab_large_lock);
}

/* ---------------------------------------------------------------- alloc */

/* A thread's first use of the heap (an allocation or a free): its exit will
 * hand back its magazines and quarantine batch. */
static inline void thread_enter(void)
{
	struct vki_thread *t = vki_self();
	if (VKI_UNLIKELY(!t->heap_entered)) {
		t->heap_entered = true;
		vki_thread_enter(); /* its signal stack */
		vki_thread_note();  /* its exit hook: vki_heap_thread_exit */
		if (!t->heap_dead)
			t->heap_mags = mags_get(); /* NULL: no magazines, locked path */
	}
}

void *vki_heap_alloc(struct vki_kcache *c, size_t size, size_t align, uint8_t kind,
		     uint32_t stack)
{
	if (!__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE))
		return NULL;
	if (align < 16)
		align = 16;
	if (!c) {
		if (size > MAX_SMALL || align > VKI_PAGE_SIZE || !(c = class_for(size, align)))
			return large_alloc(size ? size : 1, align, kind, stack);
	} else if (size > c->size || c->cls == -2) {
		return NULL; /* too big, or a destroyed cache */
	}
	thread_enter();
	uintptr_t slot = 0;
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	if (c->cls >= 0 && tm) {
		struct mag *m = &tm->mag[c->cls];
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
	step_begin(tm);
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
	__atomic_thread_fence(__ATOMIC_RELEASE);
	step_end(tm);
	return (void *)user;
}

/* ---------------------------------------------------------------- free */


static bool kinds_clash(uint8_t allocated, uint8_t freeing)
{
	allocated &= ~VKI_KIND_LEAK_IGNORED;
	if (allocated == VKI_KIND_CACHE || freeing == VKI_KIND_CACHE)
		return false; /* kfree() of a kmem_cache object is fine */
	return allocated != freeing;
}

static void bad_free(uintptr_t a, enum vki_free_bug bug, uintptr_t pc, uint8_t kind)
{
	vki_self()->heap_mismatch_kind = bug == VKI_ALLOC_DEALLOC_MISMATCH ? kind + 1 : 0;
	vki_report_free(a, bug, pc);
	vki_self()->heap_mismatch_kind = 0;
}

void vki_heap_free(const void *p, uint8_t kind, struct vki_kcache *c, uintptr_t pc,
		   uint32_t stack)
{
	uintptr_t a = (uintptr_t)p;
	struct vki_slab *s = lookup(a);
	if (__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE))
		thread_enter();
	if (!s) {
		struct vki_area_info ai;
		bool lazy = vki_arena_describe(a, &ai) && ai.state == VKI_AREA_LAZY &&
			    (ai.owner == VKI_OWNER_SLAB || ai.owner == VKI_OWNER_LARGE) &&
			    ai.start == a;
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
	/* SETTLING while the shadow changes; a step, which fork() and the
	 * invariant walk wait for. */
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	step_begin(tm);
	__atomic_store_n(&m->state, OBJ_SETTLING, __ATOMIC_RELAXED);
	m->free_stack = stack;
	m->free_tid = (uint32_t)vki_os_gettid();
	size_t bytes;
	if (s->type == HDR_LARGE) {
		poison(s->start, s->start + s->len, VKI_SHADOW_SLAB_FREE);
		bytes = s->len + VKI_PAGE_SIZE;
	} else {
		poison(slot, slot + s->cache->size, VKI_SHADOW_SLAB_FREE);
		bytes = s->cache->slot;
	}
	m->state = OBJ_QUAR;
	meta_seal(m, slot);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	step_end(tm);
	vki_quarantine_put((void *)slot, bytes);
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
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	step_begin(tm);
	m->state = OBJ_AVAIL;
	meta_seal(m, slot);
	step_end(tm);
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

/* vk_leak_ignore: a flag bit in the live object's kind (its next
 * allocation stores a plain kind again). */
bool vki_heap_leak_ignore(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	if (!vki_heap_size(p))
		return false;
	struct vki_slab *s = lookup(a);
	uintptr_t slot = s->type == HDR_LARGE ? s->start
		       : slot_addr(s, (uint32_t)slot_index(s, a));
	struct objmeta *m = s->type == HDR_LARGE ? s->meta : &s->meta[slot_index(s, a)];
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	step_begin(tm);
	m->kind |= VKI_KIND_LEAK_IGNORED;
	meta_seal(m, slot);
	step_end(tm);
	return true;
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
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	step_begin(tm);
	m->size = (uint32_t)(slot + s->cache->size - a);
	meta_seal(m, slot);
	shadow_live(s->cache, slot, a, m->size);
	step_end(tm);
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
	struct vki_heap_mags *tm = vki_self()->heap_mags;
	step_begin(tm);
	m->size = (uint32_t)new_size;
	meta_seal(m, slot);
	shadow_live(s->cache, slot, a, new_size);
	step_end(tm);
	return true;
}

/* ---------------------------------------------------------------- caches */

struct vki_kcache *vki_kcache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *))
{
	if (!__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE) || !size || size > MAX_SMALL ||
	    (align & (align - 1)) || align > VKI_PAGE_SIZE)
		return NULL;
	struct vki_kcache *c = vki_os_map_anywhere(VKI_PAGE_SIZE, VKI_OS_META);
	if (c)
		cache_setup(c, name ? name : "cache", size, align, -1, ctor);
	return c;
}

/* Give back what the cache holds: 0, 1 when objects are still live (kept),
 * -1 when it was destroyed already.  The cache itself stays mapped, marked
 * destroyed, so that a second destroy is a report and not a crash. */
int vki_kcache_destroy(struct vki_kcache *c)
{
	if (c->cls == -2)
		return -1;
	vki_heap_drain();
	pthread_mutex_lock(&c->lock);
	bool busy = false;
	for (struct vki_slab *s = c->all, *n; s; s = n) {
		n = s->next;
		if (s->navail == c->nobj) {
			slab_unlink(c, s);
			slab_give_back(s);
		} else {
			busy = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (busy)
		return 1;
	pthread_mutex_lock(&vki_slab_caches_lock);
	for (struct vki_kcache **pp = &vki_slab_caches; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&vki_slab_caches_lock);
	c->cls = -2;
	return 0;
}

size_t vki_kcache_size(const struct vki_kcache *c)
{
	return c->req;
}

/* ---------------------------------------------------------------- drain, fork */

void vki_heap_drain(void)
{
	if (!__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE))
		return;
	if (vki_self()->heap_mags) /* this thread's; other threads keep theirs */
		flush_mags(vki_self()->heap_mags);
	vki_quarantine_drain();
}

void vki_heap_lock_all(void)
{
	if (!vki_self()->in_heap_setup)
		pthread_mutex_lock(&setup_lock);
	vki_quarantine_lock();
	pthread_mutex_lock(&vki_slab_caches_lock);
	for (struct vki_kcache *c = vki_slab_caches; c; c = c->next)
		pthread_mutex_lock(&c->lock);
	pthread_mutex_lock(&vki_slab_large_lock);
	pthread_mutex_lock(&hdr_lock);
	steps_quiesce();
}

void vki_heap_unlock_all(void)
{
	steps_resume();
	pthread_mutex_unlock(&hdr_lock);
	pthread_mutex_unlock(&vki_slab_large_lock);
	for (struct vki_kcache *c = vki_slab_caches; c; c = c->next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&vki_slab_caches_lock);
	vki_quarantine_unlock();
	if (!vki_self()->in_heap_setup)
		pthread_mutex_unlock(&setup_lock);
}

