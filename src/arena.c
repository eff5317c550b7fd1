/*
 * arena.c - the vmalloc arena: vk_vmalloc, vk_vfree, vk_purge.
 *
 * One large range of address space, reserved at start-up and made usable in
 * 64 MiB steps as the highest mapping rises.  Every address in it is in
 * exactly one of three trees, each ordered by address:
 *
 *   free   free regions, merged with their neighbours, augmented with the
 *          largest region of each subtree: lowest fit in O(log n);
 *   busy   live mappings (requested size rounded up to pages, plus one
 *          guard page);
 *   lazy   freed mappings waiting for a purge.  They are poisoned but not
 *          reusable: this is the quarantine that catches stale pointers, and
 *          it lets the shadow be released in batches.
 *
 * The allocation path is split along vmalloc's seams (reserve, populate,
 * publish, unpoison; and back), so that every owner of arena memory
 * (vk_vmalloc in vmalloc.c, and the owners to come) composes from the same
 * steps through vki_area_alloc / vki_area_free, with its owner tag on the
 * area.
 *
 * A purge moves every lazy mapping into free space in address order (or,
 * with the address-space quarantine, makes it "cold": out of every tree and
 * out of reuse until arenaq.c's FIFO lets it go), and
 * releases the shadow windows that became wholly free (rule in shadow.c),
 * coalesced into runs; an automatic one sets them aside for release_delay
 * purges first (hysteresis, below).  Every purge runs in short holds
 * (purge_run): guard markers and data pages of the freed ranges are given
 * back without the lock before the ranges enter free space, so no range is
 * handed out again before its data and markers are gone, and a window is
 * released in the same hold that found it wholly free.
 *
 * Metadata (one struct vki_area per region or mapping) comes from our own
 * pool of mmap'd chunks, never from malloc.
 */
#include "vk_internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* lock #3 (vk_internal.h) */

static uintptr_t area_len(const struct vki_node *n)
{
	return ((const struct vki_area *)n)->end - n->key;
}

static struct vki_tree free_tree = { .value = area_len };
static struct vki_tree busy_tree, lazy_tree;
static uintptr_t committed_end; /* highest committed address */
static uint8_t committed[VKI_ARENA_MAX / VKI_COMMIT_CHUNK]; /* per 64 MiB chunk: */
#define COMMIT_ARENA 1  /* arena pages usable */
#define COMMIT_SHADOW 2 /* its shadow range ready (absent windows) */

static struct {
	uint64_t live_bytes, lazy_bytes, purges; /* under the lock */
	uint64_t meta_in_use;    /* areas handed out by meta_alloc (lock) */
	uint64_t alloc_failures; /* atomic only: counted with or without the lock */
	uint64_t lazy_shadow_live; /* live stacks with lazily backed windows (lock;
				    * read unlocked as a hint) */
	uint64_t heap_areas, heap_bytes; /* busy mappings of the heap (SLAB, LARGE) */
	uint64_t populating; /* busy areas populating without the lock (lock) */
	uint64_t poisoning;  /* lazy areas a free is poisoning without the lock (lock) */
} st;

/* The purge's windows released without the lock (below). */
static bool release_inner(const struct vki_area *a, uintptr_t *is, uintptr_t *ie);

/* Stacks: "lazily backed windows" below. */
static bool has_lazy_windows(const struct vki_area *a);
static void lazy_bounds(struct vki_area *a, size_t eager_top);
static int lazy_populate(struct vki_area *a);
static void lazy_unpoison(struct vki_area *a);
static void lazy_poison(const struct vki_area *a);
static int place_markers(struct vki_area *a, const size_t *off, int n);

/* Free space may hold old data: decommit=0, or a decommit failed.  Then a
 * mapping that must read as zero is decommitted when handed out. */
static bool dirty_free;
/* One purge at a time: it drops the lock between its steps (purge_run);
 * others wait on purge_cond or leave the work to it. */
static bool purge_in_flight;
static pthread_cond_t purge_cond = PTHREAD_COND_INITIALIZER;
/* Big pieces mmap.c retired, to poison without the lock (vki_arena_retire). */
static struct vki_area *poison_pending; /* via next (lock) */
/* One thread commits arena chunks at a time, without the lock (commit_range). */
static bool commit_busy;
static pthread_cond_t commit_cond = PTHREAD_COND_INITIALIZER;

#define AREA(n) ((struct vki_area *)(n))

/* The heap's mappings are counted apart: vk_get_stats's live_* are the
 * program's mappings, the heap has fields of its own. */
static bool heap_owned(const struct vki_area *a)
{
	return a->owner == VKI_OWNER_SLAB || a->owner == VKI_OWNER_LARGE;
}

/* ---------------------------------------------------------------- metadata */

#define META_CHUNK (2UL << 20)
static struct vki_area *meta_free_list;
/* The unused tail of the newest chunk, handed out in order: linking a whole
 * chunk into the free list at once touched its 512 pages under the lock
 * (1.5 ms); this way each page is faulted in when it is first needed. */
static struct vki_area *meta_next, *meta_end;

static struct vki_area *meta_alloc(void)
{
	struct vki_area *a = meta_free_list;
	if (a) {
		meta_free_list = a->next;
	} else {
		if (meta_next == meta_end) {
			struct vki_area *c = vki_os_map_anywhere(META_CHUNK, VKI_OS_META);
			if (!c)
				return NULL;
			meta_next = c;
			meta_end = c + META_CHUNK / sizeof(*c);
		}
		a = meta_next++;
	}
	vki_fill(a, 0, sizeof(*a));
	st.meta_in_use++;
	return a;
}

static void meta_free(struct vki_area *a)
{
	a->state = VKI_AREA_FREE;
	a->next = meta_free_list;
	meta_free_list = a;
	st.meta_in_use--;
}

/* ---------------------------------------------------------------- locking */

/*
 * lock_stats=1: how long the arena lock is held, every hold timed in the
 * holder's CPU time (os.c says why) and counted in a power-of-two histogram of microseconds
 * (bucket i: [2^(i-1), 2^i) µs, bucket 0: under 1 µs), printed at exit.
 * For the benchmark's "longest hold" figure; off, it costs one test.
 */
#define HOLD_BUCKETS 20
static uint64_t hold_t0, hold_max_ns, hold_hist[HOLD_BUCKETS]; /* under the lock */
static uintptr_t hold_max_pc; /* who unlocked after the longest hold */
/* vk_purge's own holds are counted apart: the program asked for the work
 * (it releases everything at once), a vk_vmalloc waiting behind it did not. */
enum { HOLD_ALLOC, HOLD_VK_PURGE, HOLD_LEAK_CHECK };
static int hold_explicit; /* whose hold this is, when it is counted apart */
static uint64_t hold_explicit_max_ns[3];
static uint64_t hold_count; /* holds timed, of every kind (tests) */

static void hold_end(uintptr_t pc)
{
	uint64_t ns = vki_os_now_ns() - hold_t0, us = ns / 1000;
	hold_count++;
	if (hold_explicit) {
		if (ns > hold_explicit_max_ns[hold_explicit])
			hold_explicit_max_ns[hold_explicit] = ns;
		return;
	}
	unsigned b = 0;
	while (us && b < HOLD_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	hold_hist[b]++;
	if (ns > hold_max_ns) {
		hold_max_ns = ns;
		hold_max_pc = pc;
	}
}

__attribute__((destructor)) static void hold_print_at_exit(void)
{
	if (!vki_opt.lock_stats)
		return;
	vki_printf("vkasan arena lock holds, CPU time (pid %d): longest %lu us (unlocked at %p)\n",
		   vki_os_getpid(), (unsigned long)(hold_max_ns / 1000), (void *)hold_max_pc);
	vki_printf("  lockhold,vk_purge longest,%lu us\n",
		   (unsigned long)(hold_explicit_max_ns[HOLD_VK_PURGE] / 1000));
	vki_printf("  lockhold,leak check longest,%lu us\n",
		   (unsigned long)(hold_explicit_max_ns[HOLD_LEAK_CHECK] / 1000));
	for (unsigned b = 0; b < HOLD_BUCKETS; b++)
		if (hold_hist[b])
			vki_printf("  lockhold,< %lu us,%lu\n", 1UL << b, (unsigned long)hold_hist[b]);
}

void vki_arena_lock(void)
{
	pthread_mutex_lock(&lock);
	vki_self()->holding_arena = 1;
	if (VKI_UNLIKELY(vki_opt.lock_stats))
		hold_t0 = vki_os_now_ns();
}

void vki_arena_unlock(void)
{
	if (VKI_UNLIKELY(vki_opt.lock_stats) && hold_t0)
		hold_end((uintptr_t)__builtin_return_address(0));
	hold_explicit = HOLD_ALLOC;
	vki_self()->holding_arena = 0;
	pthread_mutex_unlock(&lock);
}

/* Wait (lock held) until *busy is false.  The lock is released while
 * waiting: for lock_stats, the hold ends there and a new one begins. */
static void arena_wait(pthread_cond_t *cv, const bool *busy)
{
	int explicit = hold_explicit;
	while (*busy) {
		if (VKI_UNLIKELY(vki_opt.lock_stats) && hold_t0)
			hold_end((uintptr_t)__builtin_return_address(0));
		vki_self()->holding_arena = 0;
		pthread_cond_wait(cv, &lock);
		vki_self()->holding_arena = 1;
		if (VKI_UNLIKELY(vki_opt.lock_stats))
			hold_t0 = vki_os_now_ns();
		hold_explicit = explicit;
	}
}

uint64_t vki_arena_lock_holds(void)
{
	return hold_count;
}

/* The leak check holds the lock while the world is stopped (leak.c): its
 * hold is counted apart, as vk_purge's. */
void vki_arena_hold_leak_check(void)
{
	hold_explicit = HOLD_LEAK_CHECK;
}

/* A thread of the parent was populating a big mapping's inner windows,
 * poisoning a big freed one or purging without the lock: that work is half
 * done here and its thread gone.  The child puts it in order (it is alone)
 * and counts its present windows again (a run's bits change before the
 * count). */
static void fork_child_finish_shadow(void)
{
	for (struct vki_node *n = vki_tree_first(&busy_tree); n; n = vki_tree_next(&busy_tree, n))
		if (AREA(n)->populating) {
			vki_shadow_populate(VKI_ROUND_UP(n->key, VKI_WINDOW_SIZE),
					    VKI_ROUND_DOWN(AREA(n)->end, VKI_WINDOW_SIZE));
			AREA(n)->populating = 0;
		}
	for (struct vki_node *n = vki_tree_first(&lazy_tree); n; n = vki_tree_next(&lazy_tree, n)) {
		struct vki_area *a = AREA(n);
		uintptr_t is, ie;
		if (a->releasing == 2)
			vki_shadow_poison(n->key, a->end, VKI_SHADOW_VMALLOC_INVALID);
		/* A purge's take: back to a plain lazy area (its markers and
		 * data gone or not, the next purge removes them again), with
		 * the inner windows purge_prepare may have released. */
		if (a->releasing == 1 && release_inner(a, &is, &ie))
			vki_shadow_populate(is, ie);
		a->releasing = 0;
	}
	purge_in_flight = false;
	st.populating = st.poisoning = 0;
	poison_pending = NULL;
	if (committed_end > vki_arena_base)
		vki_shadow_stats.present = vki_shadow_count_present(vki_arena_base, committed_end);
}

/* The fork handler (init.c) held the lock across fork: a new one here. */
void vki_arena_after_fork_child(void)
{
	vki_self()->holding_arena = 0;
	pthread_mutex_init(&lock, NULL);
	pthread_cond_init(&purge_cond, NULL);
	pthread_cond_init(&commit_cond, NULL);
	commit_busy = false; /* its thread is gone: its chunks stay uncommitted */
	/* A purge of another thread never finishes here: the areas it took go
	 * back to being plain lazy ones (guard markers and data pages gone or
	 * not: the next purge removes them again). */
	if (purge_in_flight || st.populating || st.poisoning)
		fork_child_finish_shadow();
}

void vki_arena_count_failure(void)
{
	__atomic_add_fetch(&st.alloc_failures, 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- set-up */

int vki_arena_setup(void)
{
	size_t size = vki_opt.arena_size;
	if (size < VKI_ARENA_MIN || size > VKI_ARENA_MAX) {
		vki_printf("vkasan: warning: arena_size must be between 64M and 1T; using 1T\n");
		size = VKI_ARENA_MAX;
	}
	size = VKI_ROUND_DOWN(size, VKI_COMMIT_CHUNK);
	if (!vki_os_reserve(VKI_ARENA_BASE, size, VKI_OS_RESERVE)) {
		vki_printf("vkasan: cannot reserve the vmalloc arena [%p, %p): the range is "
			   "taken (or the address space is limited); vk_vmalloc will fail\n",
			   (void *)VKI_ARENA_BASE, (void *)(VKI_ARENA_BASE + size));
		return -1;
	}
	if (vki_shadow_init(VKI_ARENA_BASE, size)) {
		vki_os_unmap((void *)VKI_ARENA_BASE, size);
		return -1;
	}
	struct vki_area *all = meta_alloc();
	if (!all) {
		vki_printf("vkasan: cannot map metadata; vk_vmalloc will fail\n");
		return -1;
	}
	all->node.key = VKI_ARENA_BASE;
	all->end = VKI_ARENA_BASE + size;
	vki_tree_insert(&free_tree, &all->node);
	committed_end = VKI_ARENA_BASE;
	if (!vki_os_has_guard_markers() && vki_opt.verbosity)
		vki_printf("vkasan: no MADV_GUARD_INSTALL (Linux < 6.13): absent shadow uses "
			   "PROT_NONE mappings, limited by vm.max_map_count\n");
	/* Publish the arena last: checks test addresses against it. */
	vki_arena_end = VKI_ARENA_BASE + size;
	__atomic_store_n(&vki_arena_base, VKI_ARENA_BASE, __ATOMIC_RELEASE);
	return 0;
}

/* ---------------------------------------------------------------- free space */

/* Lowest free region that can hold len bytes at the given alignment.  The
 * search threshold len + align - PAGE guarantees that any region that large
 * fits, so the descent never backtracks: O(log n).  A smaller region that
 * happens to be aligned is taken if the descent passes it. */
static struct vki_area *find_lowest_fit(size_t len, size_t align)
{
	size_t need = len + (align - VKI_PAGE_SIZE);
	if (need < len)
		return NULL;
	struct vki_node *n = free_tree.root;
	if (!n || n->aug < need)
		return NULL;
	for (;;) {
		if (n->left && n->left->aug >= need) {
			n = n->left;
			continue;
		}
		uintptr_t a = VKI_ROUND_UP(n->key, align);
		if (a >= n->key && a <= AREA(n)->end && AREA(n)->end - a >= len)
			return AREA(n);
		n = n->right;
		VKI_CHECK(n && n->aug >= need);
	}
}

/* Put [a->node.key, a->end) back into free space, merging with neighbours.
 * Never allocates: a itself becomes the free node or is given back.
 * Returns the merged region. */
static struct vki_area *free_insert(struct vki_area *a)
{
	uintptr_t start = a->node.key, end = a->end;
	struct vki_area *prev = AREA(vki_tree_floor(&free_tree, start));
	struct vki_area *next = AREA(vki_tree_ceil(&free_tree, start));
	if (prev && prev->end > start)
		vki_die("vkasan: free space overlaps [%p, %p)\n", (void *)start, (void *)end);
	if (next && next->node.key < end)
		vki_die("vkasan: free space overlaps [%p, %p)\n", (void *)start, (void *)end);
	if (next && next->node.key != end)
		next = NULL;
	if (prev && prev->end != start)
		prev = NULL;
	a->state = VKI_AREA_FREE;
	if (prev) {
		prev->end = next ? next->end : end;
		if (next) {
			vki_tree_remove(&free_tree, &next->node);
			meta_free(next);
		}
		vki_tree_update(&free_tree, &prev->node);
		meta_free(a);
		return prev;
	}
	if (next) {
		/* Nothing lies between start and next: moving its key keeps order. */
		next->node.key = start;
		vki_tree_update(&free_tree, &next->node);
		meta_free(a);
		return next;
	}
	a->size = 0;
	vki_tree_insert(&free_tree, &a->node);
	return a;
}

/* Take [addr, addr + len) out of free region f.  spare: a node for the part
 * above, used only when both sides remain (else given back). */
static void carve(struct vki_area *f, uintptr_t addr, size_t len, struct vki_area *spare)
{
	uintptr_t fs = f->node.key, fe = f->end, end = addr + len;
	if (addr > fs && end < fe) {
		f->end = addr;
		vki_tree_update(&free_tree, &f->node);
		spare->node.key = end;
		spare->end = fe;
		vki_tree_insert(&free_tree, &spare->node);
		return;
	}
	if (spare)
		meta_free(spare);
	if (addr > fs) {
		f->end = addr;
		vki_tree_update(&free_tree, &f->node);
	} else if (end < fe) {
		f->node.key = end;
		vki_tree_update(&free_tree, &f->node);
	} else {
		vki_tree_remove(&free_tree, &f->node);
		meta_free(f);
	}
}

/* Make [start, end) usable: arena pages RW, shadow range ready (absent).
 * Chunk by chunk, so that one hugely aligned mapping does not commit (and
 * pay page tables for) everything below it.
 *
 * The OS calls (mprotect of 64 MiB, guard markers over its 8 MiB of
 * shadow: a millisecond or more) run without the arena lock: one thread
 * commits at a time (commit_busy), nobody uses an uncommitted chunk (no
 * range there is handed out, no window there is populated), and committed[]
 * and committed_end change only under the lock once the calls returned.
 * Lock held.  0: [start, end) is committed; -1: it cannot be; 1: the lock
 * was dropped (to commit, or to wait for another thread's commit): the
 * caller's view of free space is stale and it looks again. */
static uint8_t commit_want(void)
{
	return COMMIT_ARENA | (vki_opt.shadow ? COMMIT_SHADOW : 0);
}

/* The OS calls for chunks [c0, c1] (no lock; only the commit_busy holder
 * runs this, and only it writes committed[], so reading it is safe).  The
 * steps done are returned in done[] (set under the lock by the caller):
 * two steps, remembered apart, so that a retry after a failed shadow step
 * does not redo (and fail again at) the arena step. */
static int commit_calls(size_t c0, size_t c1, uint8_t *done)
{
	for (size_t c = c0; c <= c1; c++)
		done[c - c0] = committed[c];
	for (size_t c = c0; c <= c1; c++) {
		uintptr_t s = vki_arena_base + c * VKI_COMMIT_CHUNK, e = s + VKI_COMMIT_CHUNK;
		if (!(done[c - c0] & COMMIT_ARENA)) {
			if (vki_os_commit(s, VKI_COMMIT_CHUNK, false))
				return -1;
			done[c - c0] |= COMMIT_ARENA;
		}
		if (vki_opt.shadow && !(done[c - c0] & COMMIT_SHADOW)) {
			if (vki_shadow_commit(s, e))
				return -1;
			done[c - c0] |= COMMIT_SHADOW;
		}
	}
	return 0;
}

#define COMMIT_STEP 16 /* chunks (1 GiB) per unlocked round */

static int commit_range(uintptr_t start, uintptr_t end)
{
	size_t c0 = (start - vki_arena_base) / VKI_COMMIT_CHUNK;
	size_t c1 = (end - 1 - vki_arena_base) / VKI_COMMIT_CHUNK;
	while (c0 <= c1 && (committed[c0] & commit_want()) == commit_want())
		c0++;
	if (c0 > c1) {
		uintptr_t e = vki_arena_base + (c1 + 1) * VKI_COMMIT_CHUNK;
		if (e > committed_end)
			committed_end = e;
		return 0;
	}
	if (commit_busy) {
		arena_wait(&commit_cond, &commit_busy);
		return 1;
	}
	if (c1 - c0 >= COMMIT_STEP)
		c1 = c0 + COMMIT_STEP - 1;
	uint8_t done[COMMIT_STEP];
	commit_busy = true;
	int explicit = hold_explicit;
	vki_arena_unlock();
	int rc = commit_calls(c0, c1, done);
	vki_arena_lock();
	hold_explicit = explicit;
	for (size_t c = c0; c <= c1; c++) {
		committed[c] = done[c - c0];
		if ((done[c - c0] & commit_want()) == commit_want() &&
		    vki_arena_base + (c + 1) * VKI_COMMIT_CHUNK > committed_end)
			committed_end = vki_arena_base + (c + 1) * VKI_COMMIT_CHUNK;
	}
	commit_busy = false;
	pthread_cond_broadcast(&commit_cond);
	return rc ? -1 : 1;
}

/* ---------------------------------------------------------------- purge */

/* Give freed data pages back, coalesced like shadow runs. */
struct data_run {
	uintptr_t start, end;
	bool failed; /* free space may hold old data: the caller sets dirty_free
		      * (under the lock: the flush may run without it) */
};

static void data_flush(struct data_run *r)
{
	if (r->start >= r->end)
		return;
	if (!vki_opt.decommit || vki_os_decommit(r->start, r->end - r->start))
		r->failed = true;
	r->start = r->end = 0;
}

static void data_add(struct data_run *r, uintptr_t s, uintptr_t e)
{
	if (r->start < r->end && s == r->end) {
		r->end = e;
		return;
	}
	data_flush(r);
	r->start = s;
	r->end = e;
}

/* After a failed release: find every backed window lying wholly in free
 * space and release it.  Walks all free regions: rare and O(n). */
static bool defer_dirty;
static uintptr_t sweep_at; /* the sweep's next window (one purge at a time) */
static bool defer_sweep_step(struct vki_release_batch *b, unsigned *budget);

static void sweep_debt(struct vki_release_batch *b)
{
	vki_shadow_stats.debt = false;
	if (vki_coldq_count()) { /* windows wholly in cold and free space too */
		unsigned all = ~0u; /* rare: one long hold */
		sweep_at = vki_arena_base;
		defer_sweep_step(b, &all);
	}
	for (struct vki_node *n = vki_tree_first(&free_tree); n; n = vki_tree_next(&free_tree, n)) {
		uintptr_t s = VKI_ROUND_UP(n->key, VKI_WINDOW_SIZE);
		uintptr_t e = VKI_ROUND_DOWN(AREA(n)->end, VKI_WINDOW_SIZE);
		if (e > committed_end)
			e = committed_end;
		if (s < e && vki_shadow_count_present(s, e))
			vki_shadow_release_add(b, s, e);
	}
	vki_shadow_release_flush(b);
}

static struct vki_area *area_ending_at(uintptr_t at);
static struct vki_area *area_starting_at(uintptr_t at);

static bool shadowless(const struct vki_area *a)
{
	return a->state == VKI_AREA_FREE || a->noshadow;
}

/*
 * The release rule (shadow.c) widens by a window when the free region
 * around a freed area covers it.  Inaccessible mmap pieces (noshadow) need
 * no shadow either: count them, and the free regions beyond them, as free
 * for that purpose, as far as one window around [start, end).  Without
 * such pieces [*fs, *fe) is already the merged free region and stays.
 */
static void shadowless_extent(uintptr_t start, uintptr_t end, uintptr_t *fs, uintptr_t *fe)
{
	uintptr_t lo = VKI_ROUND_DOWN(start, VKI_WINDOW_SIZE);
	uintptr_t hi = VKI_ROUND_UP(end, VKI_WINDOW_SIZE);
	struct vki_area *a;
	while (*fs > lo && (a = area_ending_at(*fs)) && shadowless(a))
		*fs = a->node.key;
	while (*fe < hi && (a = area_starting_at(*fe)) && shadowless(a))
		*fe = a->end;
}

/* -------------------------------------------- release with hysteresis
 *
 * Lowest fit hands freed space out again at once, so a window an automatic
 * purge releases is usually populated again a few allocations later: a
 * fault and a fill of 4 KiB for nothing.  An automatic purge (lazy_max
 * reached) therefore only sets the windows that became wholly free aside,
 * in the slot of this purge; release_delay automatic purges later the slot
 * comes of age and each of its windows that is still unused (no shadowed
 * busy or lazy area intersects it) is released, the others were reused and
 * will be set aside again when they are freed.  vk_purge() and the purge
 * for lack of space (all = true) release every slot and everything they
 * free themselves, so after them the shadow is exactly the windows in use.
 *
 * The bound: the excess over the ideal is at most the windows set aside by
 * the last release_delay automatic purges (vki_shadow_stats.deferred, which
 * the invariant walk checks against).  A slot holds DEFER_RUNS runs; a
 * purge that frees more scattered runs than that releases the rest at
 * once, as release_delay=0 (today's rule) always does.
 */
#define DEFER_MAX 16
#define DEFER_RUNS 256
static struct {
	uint64_t stamp; /* automatic purge that filled it */
	unsigned n;
	uintptr_t run[DEFER_RUNS][2];
} defer[DEFER_MAX];
static uint64_t auto_purges;

static unsigned release_delay(void)
{
	long d = vki_opt.release_delay;
	return d <= 0 ? 0 : d > DEFER_MAX ? DEFER_MAX : (unsigned)d;
}

/* Does a busy or lazy area with shadow intersect window [w, w + W)? */
static bool window_used_in(const struct vki_tree *t, uintptr_t w)
{
	struct vki_node *n = vki_tree_floor(t, w);
	if (!n)
		n = vki_tree_first(t);
	for (; n && n->key < w + VKI_WINDOW_SIZE; n = vki_tree_next(t, n))
		if (AREA(n)->end > w && !AREA(n)->noshadow)
			return true;
	return false;
}

/* The work a purge may do in one hold is counted in window units: checking
 * a window (tree lookups) or releasing one costs 1 (about 0.3 us each), a
 * release that starts a new run costs RUN_COST more: it will be a system
 * call of its own (about 3 us). */
#define RUN_COST 10

static void charge(unsigned *budget, unsigned cost)
{
	*budget -= cost < *budget ? cost : *budget;
}

static void release_add_charged(struct vki_release_batch *b, uintptr_t rs, uintptr_t re,
				unsigned *budget)
{
	bool joins = b->run_start < b->run_end && rs <= b->run_end && re >= b->run_start;
	charge(budget, (unsigned)((re - rs) >> VKI_WINDOW_SHIFT) + (joins ? 0 : RUN_COST));
	vki_shadow_release_add(b, rs, re);
}

/* Release what is still unused of slot i, at most *budget windows checked
 * (each checked window costs one): the slot shrinks from its last run's
 * start as it goes, so that a lock break leaves it consistent (deferred
 * counts exactly the windows still set aside).  True when it is empty. */
static bool defer_release_slot(unsigned i, struct vki_release_batch *b, unsigned *budget)
{
	while (defer[i].n) {
		uintptr_t *run = defer[i].run[defer[i].n - 1];
		for (; run[0] < run[1]; run[0] += VKI_WINDOW_SIZE) {
			if (!*budget)
				return false;
			charge(budget, 1);
			uintptr_t w = run[0];
			vki_shadow_stats.deferred--;
			if (vki_window_present(w) && !window_used_in(&busy_tree, w) &&
			    !window_used_in(&lazy_tree, w))
				release_add_charged(b, w, w + VKI_WINDOW_SIZE, budget);
		}
		defer[i].n--;
	}
	return true;
}

/*
 * vk_purge's safety net for exactness: every present window of the
 * committed arena that no shadowed busy or lazy area touches is released.
 * Run only when windows were set aside since the last one (defer_dirty):
 * the slots re-check their windows, but a window dropped from a slot as in
 * use can later become free by a path that does not set it aside again
 * (the fuzzer found one, not yet pinned down), and exactness after vk_purge
 * is the promise.  O(present windows x log n), bitmap scan by words; in
 * steps of at most *budget windows checked (a word of absent ones costs
 * one), from sweep_at.  True when the scan reached the committed end.
 */
static bool defer_sweep_step(struct vki_release_batch *b, unsigned *budget)
{
	for (uintptr_t w = sweep_at; w < committed_end; w += VKI_WINDOW_SIZE) {
		if (!*budget) {
			sweep_at = w;
			return false;
		}
		size_t i = (w - vki_arena_base) >> VKI_WINDOW_SHIFT;
		if (i % (8 * sizeof(long)) == 0 && !vki_shadow_present[i / (8 * sizeof(long))]) {
			w += (8 * sizeof(long) - 1) * VKI_WINDOW_SIZE; /* a word of absent ones */
			charge(budget, 8);
			continue;
		}
		charge(budget, 1);
		if (vki_window_present(w) && !window_used_in(&busy_tree, w) &&
		    !window_used_in(&lazy_tree, w))
			release_add_charged(b, w, w + VKI_WINDOW_SIZE, budget);
	}
	sweep_at = committed_end;
	return true;
}

/* The start of a purge: release the slots that came of age (all of them
 * when delay is 0), at most *budget windows checked.  True when done. */
static bool defer_age_step(unsigned delay, struct vki_release_batch *b, unsigned *budget)
{
	for (unsigned i = 0; i < DEFER_MAX; i++)
		if (defer[i].n && (!delay || defer[i].stamp + delay <= auto_purges) &&
		    !defer_release_slot(i, b, budget))
			return false;
	return true;
}

/* Set [rs, re) aside in this automatic purge's slot, or release it now. */
static void defer_add(uintptr_t rs, uintptr_t re, struct vki_release_batch *b)
{
	unsigned i = (unsigned)(auto_purges % DEFER_MAX);
	defer[i].stamp = auto_purges;
	unsigned n = defer[i].n;
	if (n && rs <= defer[i].run[n - 1][1] && re >= defer[i].run[n - 1][0]) {
		uintptr_t *run = defer[i].run[n - 1];
		vki_shadow_stats.deferred -= (run[1] - run[0]) >> VKI_WINDOW_SHIFT;
		run[0] = rs < run[0] ? rs : run[0];
		run[1] = re > run[1] ? re : run[1];
		vki_shadow_stats.deferred += (run[1] - run[0]) >> VKI_WINDOW_SHIFT;
		return;
	}
	if (n == DEFER_RUNS) {
		vki_shadow_release_add(b, rs, re);
		return;
	}
	defer_dirty = true;
	defer[i].run[n][0] = rs;
	defer[i].run[n][1] = re;
	defer[i].n = n + 1;
	vki_shadow_stats.deferred += (re - rs) >> VKI_WINDOW_SHIFT;
}

/* -------------------------------------------- address-space quarantine
 *
 * A purged range goes cold (arenaq.c) instead of into free space: lowest
 * fit does not see it until the FIFO's budget pushes it out (cold_trim) or
 * an allocation finds no room (area_reserve).  For the shadow it counts as
 * free: its windows are released unless a busy or lazy mapping (or one of
 * this purge's stuck areas, out of the lazy tree for now) shares them.
 */

/* The oldest cold ranges into free space while the FIFO has no room for
 * len more bytes (all: until one is retired; false when none was). */
static bool cold_trim(size_t len, bool all)
{
	bool any = false;
	while (vki_coldq_over(len, all && !any)) {
		struct vki_area *f = meta_alloc(); /* first: a failure keeps the record */
		uintptr_t s, e;
		if (!f)
			break;
		vki_coldq_pop(&s, &e);
		f->node.key = s;
		f->end = e;
		free_insert(f);
		any = true;
		if (all)
			break;
	}
	return any;
}

static bool window_used(uintptr_t w, const struct vki_area *stuck)
{
	if (window_used_in(&busy_tree, w) || window_used_in(&lazy_tree, w))
		return true;
	for (; stuck; stuck = stuck->next)
		if (stuck->node.key < w + VKI_WINDOW_SIZE && stuck->end > w && !stuck->noshadow)
			return true;
	return false;
}

/* The release rule when cold ranges exist (shadowless_extent does not see
 * them): the windows of [start, end), the two at its ends only when no
 * shadowed busy or lazy area (or stuck one) intersects them.  Same result
 * as the merged-region rule, with cold ranges counted as free. */
static bool cold_release_range(uintptr_t start, uintptr_t end, const struct vki_area *stuck,
			       uintptr_t *rs, uintptr_t *re)
{
	uintptr_t s = VKI_ROUND_UP(start, VKI_WINDOW_SIZE), e = VKI_ROUND_DOWN(end, VKI_WINDOW_SIZE);
	if (!vki_opt.upstream_release && s != start && !window_used(s - VKI_WINDOW_SIZE, stuck))
		s -= VKI_WINDOW_SIZE;
	if (!vki_opt.upstream_release && e != end && !window_used(e, stuck))
		e += VKI_WINDOW_SIZE;
	*rs = s;
	*re = e;
	return s < e;
}

/* [start, end) no longer needs shadow (lock held; a is its area in a tree,
 * or NULL when it is cold): the windows the release rule gives. */
static bool release_range(struct vki_area *a, uintptr_t start, uintptr_t end,
			  const struct vki_area *stuck, uintptr_t *rs, uintptr_t *re)
{
	if (!vki_opt.shadow)
		return false;
	if (!a || vki_coldq_count())
		return cold_release_range(start, end, stuck, rs, re);
	uintptr_t fs = a->node.key, fe = a->end;
	shadowless_extent(start, end, &fs, &fe);
	return vki_shadow_release_range(start, end, fs, fe, rs, re);
}

/* Lazy area a (out of the lazy tree, guard markers cleared) leaves
 * quarantine: cold, or into free space when the quarantine is off; the
 * windows it freed are released (or set aside for delay purges). */
static void area_cool(struct vki_area *a, unsigned delay, struct vki_release_batch *b,
		      const struct vki_area *stuck)
{
	uintptr_t start = a->node.key, end = a->end, rs, re;
	cold_trim(end - start, false);
	struct vki_area *f = NULL; /* the merged free region, or none: cold */
	if (vki_coldq_push(a)) {
		meta_free(a);
		/* Lowest fit will not hand a cold range out for a long time:
		 * setting its windows aside for reuse (release_delay) would
		 * only keep them resident.  Released now. */
		delay = 0;
	} else {
		f = free_insert(a);
	}
	if (!release_range(f, start, end, stuck, &rs, &re))
		return;
	if (delay)
		defer_add(rs, re, b);
	else
		vki_shadow_release_add(b, rs, re);
}

/* -------------------------------------------- the purge, in short holds
 *
 * Issue 15: the arena lock is held for under 100 us at a time.  A purge is
 * a loop of bounded steps with a lock break between them (the kernel's
 * cond_resched_lock), and its system calls on data pages run without the
 * lock:
 *
 *   age       (locked)   release the windows of the defer slots that came
 *                        of age, PURGE_WINDOWS checked per hold;
 *   take      (locked)   up to PURGE_AREAS lazy areas at or above the
 *                        cursor, marked releasing = 1: they stay in the
 *                        lazy tree (reports and double frees still find
 *                        them, no purge or revive takes them) and nobody
 *                        else changes them now;
 *   prepare   (unlocked) per run of adjacent taken areas: one call removes
 *                        their guard markers, one decommits their data;
 *   finish    (locked)   each area into free space (purge_area_free: free
 *                        tree, release rule), the windows that became
 *                        wholly free released in the same hold (or set
 *                        aside, release_delay) - before any other thread
 *                        can reach that free space;
 *   sweep     (locked)   vk_purge only: defer_sweep, PURGE_WINDOWS per hold.
 *
 * A range is therefore never handed out before its guard markers are gone
 * and its data decommitted (prepare returned before finish inserts it), and
 * a window is released only in the hold that found it wholly free.  One
 * purge runs at a time (purge_in_flight): an automatic purge that finds one
 * running leaves the work to it or the next free; vk_purge and the purge
 * for lack of space wait for it (purge_cond) and then run their own.
 * Areas freed below the cursor meanwhile wait for the next purge.
 */
#define PURGE_AREAS 64    /* lazy areas moved to free space per hold */
#define PURGE_WINDOWS 64  /* window units per hold (RUN_COST below) */

/* This thread's purge takes the lock again after a break: lock_stats keeps
 * counting vk_purge's holds apart. */
static void purge_relock(int explicit)
{
	vki_arena_lock();
	hold_explicit = explicit;
}

static VKI_NOINLINE void purge_break(struct vki_release_batch *b, int explicit)
{
	vki_shadow_release_flush(b);
	vki_arena_unlock();
	purge_relock(explicit);
}

struct purge_chunk {
	struct vki_area *head;      /* taken areas in address order, via next */
	unsigned n;
	bool stuck[PURGE_AREAS];    /* its guard markers could not be removed */
	struct data_run d;
};

/* The windows wholly inside lazy area a, when there are enough of them for
 * purge_prepare to release them without the lock. */
#define RELEASE_LOCKED_MAX 8

static bool release_inner(const struct vki_area *a, uintptr_t *is, uintptr_t *ie)
{
	*is = VKI_ROUND_UP(a->node.key, VKI_WINDOW_SIZE);
	*ie = VKI_ROUND_DOWN(a->end, VKI_WINDOW_SIZE);
	return vki_opt.shadow && *ie > *is && (*ie - *is) >> VKI_WINDOW_SHIFT >= RELEASE_LOCKED_MAX;
}

/* Take (locked): areas at or above *cursor; the window budget counts only
 * when their windows are released in this purge (release_now).  Returns
 * whether lazy areas remain above the new cursor. */
static bool purge_take(struct purge_chunk *c, uintptr_t *cursor, bool release_now)
{
	struct vki_area **tail = &c->head;
	size_t windows = 0; /* window units (RUN_COST) of the releases to come */
	uintptr_t prev_end = 0, counted = 0; /* windows counted up to counted */
	c->head = NULL;
	c->n = 0;
	struct vki_node *n = vki_tree_ceil(&lazy_tree, *cursor);
	for (; n && c->n < PURGE_AREAS && windows < PURGE_WINDOWS; n = vki_tree_next(&lazy_tree, n)) {
		struct vki_area *a = AREA(n);
		*cursor = a->end;
		if (a->releasing) /* a big free still poisoning it */
			continue;
		a->releasing = 1;
		a->next = NULL;
		*tail = a;
		tail = &a->next;
		c->stuck[c->n++] = false;
		/* Its windows; a new run (one more call) and one window on each
		 * side (the rule) unless it follows the last one taken. */
		uintptr_t ws = VKI_ROUND_DOWN(a->node.key, VKI_WINDOW_SIZE);
		uintptr_t we = VKI_ROUND_UP(a->end, VKI_WINDOW_SIZE);
		uintptr_t is, ie; /* released in prepare, without the lock */
		size_t inner = release_inner(a, &is, &ie) ? (ie - is) >> VKI_WINDOW_SHIFT : 0;
		size_t fresh = a->node.key == prev_end
				       ? (we > counted ? (we - counted) >> VKI_WINDOW_SHIFT : 0)
				       : ((we - ws) >> VKI_WINDOW_SHIFT) + 2 + RUN_COST;
		if (release_now)
			windows += fresh > inner ? fresh - inner : 0;
		if (we > counted || a->node.key != prev_end)
			counted = we;
		prev_end = a->end;
	}
	return n != NULL;
}

/* Prepare (unlocked): guard markers off and data decommitted, one call each
 * per run of adjacent areas.  A run whose markers stay is stuck: its areas
 * remain quarantined (a marker in free space would fault inside the next
 * mapping there).  release_now: the windows wholly inside a big taken area
 * (RELEASE_LOCKED_MAX or more) are released here too - they are its alone,
 * and it is not handed out before finish - so that finish, under the lock,
 * releases only the few at its ends (release_inner). */
static void purge_prepare(struct purge_chunk *c, bool release_now)
{
	struct vki_release_batch b = { 0 };
	c->d = (struct data_run){ 0, 0, false };
	unsigned i = 0;
	for (struct vki_area *a = c->head; a;) {
		uintptr_t s = a->node.key, e = a->end;
		bool markers = a->guarded || a->markers_below;
		unsigned j = i;
		struct vki_area *z = a;
		while (z->next && z->next->node.key == e) {
			z = z->next;
			e = z->end;
			markers |= z->guarded || z->markers_below;
			j++;
		}
		bool stuck = markers && vki_os_guard_remove(s, e - s, VKI_OS_GUARD);
		for (; i <= j; i++)
			c->stuck[i] = stuck;
		data_add(&c->d, s, e);
		for (struct vki_area *x = a; release_now && !stuck; x = x->next) {
			uintptr_t is, ie;
			if (release_inner(x, &is, &ie))
				vki_shadow_release_add(&b, is, ie);
			if (x == z)
				break;
		}
		a = z->next;
	}
	data_flush(&c->d);
	vki_shadow_release_flush(&b);
}

/* One purged area into free space (locked): the windows that became wholly
 * free go into b (released before the lock is dropped) or, delay > 0, are
 * set aside. */
static void purge_area_free(struct vki_area *a, unsigned delay, struct vki_release_batch *b)
{
	st.lazy_bytes -= a->end - a->node.key;
	area_cool(a, delay, b, NULL); /* stuck areas stay in the lazy tree */
}

/* Finish (locked): the taken areas leave the lazy tree, unless stuck. */
static void purge_finish(struct purge_chunk *c, unsigned delay, struct vki_release_batch *b)
{
	if (c->d.failed)
		dirty_free = true;
	unsigned i = 0;
	for (struct vki_area *a = c->head, *next; a; a = next, i++) {
		next = a->next;
		a->releasing = 0;
		if (c->stuck[i]) /* quarantined; the next purge tries again */
			continue;
		vki_tree_remove(&lazy_tree, &a->node);
		a->guarded = 0;
		a->markers_below = 0;
		a->lazy_lo = a->lazy_hi = 0;
		purge_area_free(a, delay, b);
	}
}

/* all: vk_purge or lack of space (release everything the rule allows);
 * otherwise an automatic purge, whose windows wait release_delay purges.
 * Lock held on entry and on return, dropped in between. */
static VKI_NOINLINE void purge_run(bool all)
{
	if (purge_in_flight) {
		if (!all)
			return;
		arena_wait(&purge_cond, &purge_in_flight);
	}
	purge_in_flight = true;
	int explicit = hold_explicit;
	struct vki_release_batch b = { 0 };
	unsigned delay = all || !vki_opt.shadow ? 0 : release_delay();
	if (!all)
		auto_purges++;
	unsigned budget = PURGE_WINDOWS;
	while (!defer_age_step(delay, &b, &budget)) {
		purge_break(&b, explicit);
		budget = PURGE_WINDOWS;
	}
	if (budget < PURGE_WINDOWS) /* the slots' releases: then a break */
		purge_break(&b, explicit);
	/* Windows released in this purge rather than set aside: with the
	 * address-space quarantine its ranges go cold (area_cool: at once). */
	bool release_now = !delay || vki_opt.vmalloc_quarantine;
	uintptr_t cursor = 0;
	for (bool more = true; more;) {
		struct purge_chunk c;
		more = purge_take(&c, &cursor, release_now);
		if (!c.n)
			break;
		vki_arena_unlock();
		purge_prepare(&c, release_now);
		purge_relock(explicit);
		purge_finish(&c, delay, &b);
		vki_shadow_release_flush(&b);
		if (more) {
			vki_arena_unlock();
			purge_relock(explicit);
		}
	}
	if (all && defer_dirty) {
		defer_dirty = false;
		sweep_at = vki_arena_base;
		for (budget = PURGE_WINDOWS; !defer_sweep_step(&b, &budget); budget = PURGE_WINDOWS)
			purge_break(&b, explicit);
	}
	vki_shadow_release_flush(&b);
	if (vki_shadow_stats.debt && !b.failures)
		sweep_debt(&b);
	st.purges++;
	purge_in_flight = false; /* (the lock is held until the walk is done) */
	pthread_cond_broadcast(&purge_cond);
	if (vki_opt.verify_every > 0 && st.purges % (uint64_t)vki_opt.verify_every == 0) {
		int bad = vki_arena_verify() + vki_verify_shadow();
		VKI_CHECK(bad == 0);
	}
}

VKI_EXPORT void vk_purge(void)
{
	vki_init();
	if (!vki_arena_base)
		return;
	vki_heap_drain(); /* quarantine out, empty slabs back: before our lock (order) */
	vki_stack_reap(); /* detached threads' stacks the kernel is done with */
	vki_arena_lock();
	hold_explicit = HOLD_VK_PURGE;
	cold_trim(0, false); /* the budget may have shrunk (vk_set_option) */
	purge_run(true);
	vki_arena_unlock();
}

/* ---------------------------------------------------------------- alloc/free */

/* Step 1, reserve (lock held): len bytes at align taken out of free space,
 * committed, guard page installed; NULL when there is no room. */
static struct vki_area *area_reserve(size_t len, size_t align)
{
	struct vki_area *f;
	uintptr_t addr;
	bool purged = false;
	for (;;) { /* again after commit_range dropped the lock */
		f = find_lowest_fit(len, align);
		if (!f && lazy_tree.count && !purged) { /* lazily freed space may be enough */
			purge_run(true); /* drops the lock in between: nothing is held yet */
			purged = true;
			f = find_lowest_fit(len, align);
		}
		while (!f && cold_trim(0, true)) /* then the quarantine, oldest first */
			f = find_lowest_fit(len, align);
		if (!f)
			return NULL;
		addr = VKI_ROUND_UP(f->node.key, align);
		int rc = commit_range(addr, addr + len);
		if (rc < 0)
			return NULL;
		if (rc == 0)
			break;
	}
	struct vki_area *a = meta_alloc();
	struct vki_area *spare = a ? meta_alloc() : NULL;
	if (!spare) {
		if (a)
			meta_free(a);
		return NULL;
	}
	carve(f, addr, len, spare);
	a->node.key = addr;
	a->end = addr + len;
	if (vki_opt.guard_pages) {
		if (vki_os_guard_install(a->end - VKI_PAGE_SIZE, VKI_PAGE_SIZE, VKI_OS_GUARD)) {
			free_insert(a);
			return NULL;
		}
		a->guarded = 1;
	}
	return a;
}

/* Undo a reservation whose later step failed (lock held). */
static void area_unreserve(struct vki_area *a)
{
	if (a->guarded &&
	    vki_os_guard_remove(a->end - VKI_PAGE_SIZE, VKI_PAGE_SIZE, VKI_OS_GUARD)) {
		/* Cannot clear the guard now: quarantine the range; the next
		 * purge clears it (the shadow is all 0xF8 or absent). */
		a->state = VKI_AREA_LAZY;
		vki_tree_insert(&lazy_tree, &a->node);
		st.lazy_bytes += a->end - a->node.key;
	} else {
		a->guarded = 0;
		uintptr_t start = a->node.key, end = a->end;
		struct vki_area *f = free_insert(a);
		/* A window an automatic purge set aside (release_delay) may have
		 * been shared by this reservation when its slot came of age, and
		 * dropped from it as in use: release what is wholly free now. */
		uintptr_t rs, re;
		if (release_range(f, start, end, NULL, &rs, &re)) {
			struct vki_release_batch b = { 0 };
			vki_shadow_release_add(&b, rs, re);
			vki_shadow_release_flush(&b);
		}
	}
}

/* Step 2, populate (lock held): every window of the range backed; the
 * bytes are all poisoned (0xF8) until step 4.  A shadowless mapping (mmap
 * PROT_NONE) skips it; one that must read as zero on dirty free space is
 * decommitted first.
 *
 * A big mapping (POPULATE_LOCKED_MAX windows or more wholly inside it: 128 KiB;
 * a window costs ~2 us to populate, more on a loaded machine) backs
 * only its two boundary windows here, which a neighbour may share; its inner
 * windows are left in inner[] for area_populate_unlocked, after publish and
 * without the lock (~2 us a window: a 64 MiB mapping is 2048 of them).  No
 * other mapping intersects them, and no purge releases a window of a busy
 * mapping, so nobody else touches them meanwhile.  Its decommit (*decommit)
 * goes there too.  Off by default (option populate_unlocked): the stress
 * test with fault injection finds, in 1 run of 4, a live big mapping whose
 * inner windows are absent at an invariant walk, and that race is not
 * pinned down yet; with the whole populate under the lock it does not
 * happen (0 of 14 runs). */
#define POPULATE_LOCKED_MAX 4

static int area_populate(struct vki_area *a, const struct vki_area_req *req, uintptr_t inner[2],
			 bool *decommit)
{
	uintptr_t s = a->node.key, e = a->end;
	uintptr_t is = VKI_ROUND_UP(s, VKI_WINDOW_SIZE), ie = VKI_ROUND_DOWN(e, VKI_WINDOW_SIZE);
	bool zero = req->zero && dirty_free;
	inner[0] = inner[1] = 0;
	*decommit = false;
	if (vki_opt.populate_unlocked && req->shadow && !req->lazy && ie > is &&
	    (ie - is) >> VKI_WINDOW_SHIFT >= POPULATE_LOCKED_MAX) {
		if ((s < is && vki_shadow_populate(s, is)) || (ie < e && vki_shadow_populate(ie, e)))
			return -1; /* area_unreserve releases what the rule allows */
		inner[0] = is;
		inner[1] = ie;
		*decommit = zero;
		return 0;
	}
	if (zero && vki_os_decommit(s, e - s))
		return -1;
	if (req->shadow && req->lazy) /* a stack: the two ends now, the rest on use */
		return lazy_populate(a);
	return req->shadow ? vki_shadow_populate(s, e) : 0;
}

static void area_unpublish_failed(struct vki_area *a);

/* Step 2b for a big mapping (no lock; published with populating set): its
 * inner windows, then the lock again to say so.  On failure the mapping is
 * unpublished and its range given back, as a failed step 2.  0 or -1. */
static int area_populate_unlocked(struct vki_area *a, const uintptr_t inner[2], bool decommit)
{
	int rc = decommit && vki_os_decommit(a->node.key, a->end - a->node.key)
			 ? -1
			 : vki_shadow_populate(inner[0], inner[1]);
	vki_arena_lock();
	a->populating = 0;
	st.populating--;
	if (rc) {
		area_unpublish_failed(a);
		area_unreserve(a);
		vki_arena_count_failure();
	}
	vki_arena_unlock();
	return rc;
}

/* Step 3, publish (lock held): the mapping is live and findable. */
static void area_publish(struct vki_area *a, const struct vki_area_req *req)
{
	size_t size = req->size;
	a->size = size;
	a->owner = req->owner;
	a->priv = req->priv;
	a->alloc_stack = req->stack;
	a->alloc_tid = (uint32_t)vki_os_gettid();
	a->poisoned = 0;
	a->resized = 0;
	a->state = VKI_AREA_BUSY;
	a->noshadow = !req->shadow && vki_opt.shadow;
	a->settling = req->shadow;
	vki_tree_insert(&busy_tree, &a->node);
	st.live_bytes += size;
	if (has_lazy_windows(a))
		st.lazy_shadow_live++;
	if (heap_owned(a)) {
		st.heap_areas++;
		st.heap_bytes += size;
	}
}

/* The reverse of area_publish, for a mapping whose populate failed after it
 * (lock held); area_unreserve gives the range back. */
static void area_unpublish_failed(struct vki_area *a)
{
	vki_tree_remove(&busy_tree, &a->node);
	st.live_bytes -= a->size;
	if (has_lazy_windows(a))
		st.lazy_shadow_live--;
	if (heap_owned(a)) {
		st.heap_areas--;
		st.heap_bytes -= a->size;
	}
}

/* Step 4, unpoison (no lock): the windows are backed and filled, and no
 * purge releases a window a live mapping intersects.  Until settling is
 * cleared the invariant walk does not judge this mapping's shadow. */
static void area_unpoison(struct vki_area *a, size_t size)
{
	if (!a->noshadow && vki_opt.shadow) {
		if (has_lazy_windows(a))
			lazy_unpoison(a);
		else
			vki_shadow_unpoison(a->node.key, size);
		__atomic_store_n(&a->settling, 0, __ATOMIC_RELEASE);
	}
}

void *vki_area_alloc(size_t size, size_t align, uint8_t owner, uint32_t stack)
{
	struct vki_area_req req = {
		.size = size, .align = align, .owner = owner, .stack = stack, .shadow = true
	};
	return vki_area_alloc_ex(&req);
}

void *vki_area_alloc_ex(const struct vki_area_req *in)
{
	struct vki_area_req r = *in, *req = &r;
	size_t size = r.size, align = r.align;
	vki_init();
	r.shadow = r.shadow && vki_opt.shadow; /* options are read by vki_init */
	vki_thread_enter(); /* this thread's signal stack, once */
	if (!vki_arena_base)
		return NULL;
	if (align < VKI_PAGE_SIZE)
		align = VKI_PAGE_SIZE;
	size_t arena = vki_arena_end - vki_arena_base;
	if (size == 0 || size > arena || align > arena || (align & (align - 1))) {
		vki_arena_count_failure();
		return NULL;
	}
	size_t len = VKI_ROUND_UP(size, VKI_PAGE_SIZE) + VKI_PAGE_SIZE; /* + guard */

	vki_arena_lock();
	struct vki_area *a = area_reserve(len, align);
	if (a && req->lazy && req->shadow)
		lazy_bounds(a, req->eager_top);
	uintptr_t inner[2]; /* windows populated without the lock (big mappings) */
	bool decommit;
	if (a && area_populate(a, req, inner, &decommit)) {
		area_unreserve(a);
		a = NULL;
	}
	if (!a) {
		vki_arena_count_failure();
		vki_arena_unlock();
		return NULL;
	}
	area_publish(a, req);
	if (inner[0] < inner[1]) {
		a->populating = 1;
		st.populating++;
	}
	vki_arena_unlock();
	if (inner[0] < inner[1] && area_populate_unlocked(a, inner, decommit))
		return NULL;
	area_unpoison(a, size);
	if (req->nmarkers && place_markers(a, req->markers_below, req->nmarkers)) {
		vki_arena_free_stack(a->node.key, req->stack, (uint32_t)vki_os_gettid());
		vki_arena_count_failure();
		return NULL;
	}
	return (void *)a->node.key;
}

/* The reverse of steps 3 and 4 (lock held): poisoned, into quarantine;
 * tid is the task named as the one that freed it. */
static void area_unpublish(struct vki_area *a, uint32_t stack, uint32_t tid)
{
	area_unpublish_failed(a); /* out of the busy tree and the counters */
	if (vki_opt.shadow && !a->noshadow && a->releasing != 2) { /* 2: poison_unlocked */
		if (has_lazy_windows(a))
			lazy_poison(a);
		else
			vki_shadow_poison(a->node.key, a->end, VKI_SHADOW_VMALLOC_INVALID);
	}
	a->free_stack = stack;
	a->free_tid = tid;
	a->state = VKI_AREA_LAZY;
	vki_tree_insert(&lazy_tree, &a->node);
	st.lazy_bytes += a->end - a->node.key;
	/* Poisoned by hand at some time: its records describe memory that is
	 * gone.  Every free (vki_area_free, mmap.c's retire) passes here; the
	 * poison lock (#7) may be taken under the arena lock (#3). */
	if (a->poisoned)
		vki_poison_forget(a->node.key, a->end);
}

static void purge_if_needed_unlock(void)
{
	vki_arena_purge_if_needed();
	vki_arena_unlock();
}

/*
 * A big mapping's free poisons its shadow without the lock (1 MiB of arena
 * is 128 KiB of shadow to write; 64 MiB, 8 MiB).  It is unpublished first,
 * with releasing = 2: lazy (a second free is a double free, reports find
 * it), and no purge or revive takes it before the poison is written, so its
 * range cannot be handed out meanwhile.  Lock held on entry and return.
 */
#define POISON_LOCKED_MAX (1UL << 20)

static bool poison_unlocked_wanted(const struct vki_area *a)
{
	return vki_opt.shadow && !a->noshadow && !has_lazy_windows(a) &&
	       a->end - a->node.key >= POISON_LOCKED_MAX;
}

static void area_unpublish_poison_unlocked(struct vki_area *a, uint32_t stack, uint32_t tid)
{
	a->releasing = 2;
	st.poisoning++;
	area_unpublish(a, stack, tid); /* leaves the poison to us */
	int explicit = hold_explicit;
	vki_arena_unlock();
	vki_shadow_poison(a->node.key, a->end, VKI_SHADOW_VMALLOC_INVALID);
	vki_arena_lock();
	hold_explicit = explicit;
	a->releasing = 0;
	st.poisoning--;
}

bool vki_area_free(uintptr_t addr, uint8_t owner, uint32_t stack)
{
	vki_init();
	vki_thread_enter(); /* this thread's signal stack, once */
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	/* populating: not returned by its allocation yet, nobody's to free */
	if (!a || a->owner != owner || a->populating) {
		vki_arena_unlock();
		return false;
	}
	if (poison_unlocked_wanted(a))
		area_unpublish_poison_unlocked(a, stack, (uint32_t)vki_os_gettid());
	else
		area_unpublish(a, stack, (uint32_t)vki_os_gettid());
	purge_if_needed_unlock();
	return true;
}

/* Why vki_area_free refused addr: a mapping in quarantine starts there. */
enum vki_free_bug vki_area_free_bug(uintptr_t addr)
{
	vki_arena_lock();
	bool lazy = vki_tree_find(&lazy_tree, addr) != NULL || vki_coldq_starts_at(addr);
	vki_arena_unlock();
	return lazy ? VKI_DOUBLE_FREE : VKI_INVALID_FREE;
}

size_t vki_area_size(uintptr_t addr, uint8_t owner)
{
	vki_init();
	if (!vki_arena_base || !vki_in_arena(addr))
		return 0;
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	size_t size = a && a->owner == owner ? a->size : 0;
	vki_arena_unlock();
	return size;
}

bool vki_area_set_priv(uintptr_t addr, uint8_t owner, uintptr_t priv)
{
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	bool ok = a && a->owner == owner;
	if (ok)
		a->priv = priv;
	vki_arena_unlock();
	return ok;
}

/* ---------------------------------------------------------------- mmap pieces */

/*
 * For an owner that splits and re-protects its mappings in place (mmap.c,
 * the program's mmap/munmap/mprotect): the area is cut into pieces that
 * keep owner, stacks and word; only the top piece keeps the guard page
 * (noguard on the others); an inaccessible piece gives its shadow back
 * (noshadow).  All with the arena lock held.
 */

/* A big retired piece is poisoned later, without the lock, by the same
 * thread's vki_arena_purge_if_needed (mmap.c calls it last, before it
 * unlocks): mmap.c walks its pieces under one hold.  Meanwhile it is lazy
 * with releasing = 2, as in area_unpublish_poison_unlocked. */

void vki_arena_retire(struct vki_area *a, uint32_t stack)
{
	uint32_t tid = (uint32_t)vki_os_gettid();
	if (!poison_unlocked_wanted(a)) {
		area_unpublish(a, stack, tid);
		return;
	}
	a->releasing = 2;
	st.poisoning++;
	area_unpublish(a, stack, tid); /* leaves the poison to us */
	a->next = poison_pending;
	poison_pending = a;
}

/* This thread's pending pieces: poisoned without the lock (lock held on
 * entry and return). */
static void poison_pending_run(void)
{
	uint32_t tid = (uint32_t)vki_os_gettid();
	struct vki_area *mine = NULL, **pp = &poison_pending;
	while (*pp) {
		struct vki_area *a = *pp;
		if (a->free_tid == tid) {
			*pp = a->next;
			a->next = mine;
			mine = a;
		} else {
			pp = &a->next;
		}
	}
	if (!mine)
		return;
	vki_arena_unlock();
	for (struct vki_area *a = mine; a; a = a->next)
		vki_shadow_poison(a->node.key, a->end, VKI_SHADOW_VMALLOC_INVALID);
	vki_arena_lock();
	for (struct vki_area *a = mine; a; a = a->next) {
		a->releasing = 0;
		st.poisoning--;
	}
}

/* Lock held; it may drop and retake it (the poison of big retired pieces,
 * a purge in short holds): callers call it last, then unlock. */
void vki_arena_purge_if_needed(void)
{
	if (poison_pending)
		poison_pending_run();
	if (st.lazy_bytes > vki_opt.lazy_max)
		purge_run(false);
}

struct vki_area *vki_arena_busy_from(uintptr_t addr)
{
	struct vki_area *a = AREA(vki_tree_floor(&busy_tree, addr));
	if (a && addr < a->end)
		return a;
	return AREA(vki_tree_ceil(&busy_tree, addr));
}

/* Neighbours in any tree, for shadowless_extent. */
static struct vki_area *area_ending_at(uintptr_t at)
{
	struct vki_tree *trees[3] = { &free_tree, &busy_tree, &lazy_tree };
	for (int i = 0; i < 3; i++) {
		struct vki_area *a = AREA(vki_tree_floor(trees[i], at - 1));
		if (a && a->end == at)
			return a;
	}
	return NULL;
}

static struct vki_area *area_starting_at(uintptr_t at)
{
	struct vki_tree *trees[3] = { &free_tree, &busy_tree, &lazy_tree };
	for (int i = 0; i < 3; i++) {
		struct vki_area *a = AREA(vki_tree_find(trees[i], at));
		if (a)
			return a;
	}
	return NULL;
}

struct vki_area *vki_arena_split(struct vki_area *a, uintptr_t at)
{
	VKI_CHECK(a->state == VKI_AREA_BUSY && at > a->node.key && at < vki_area_data_end(a) &&
		  !(at & (VKI_PAGE_SIZE - 1)) && !(a->size & (VKI_PAGE_SIZE - 1)));
	struct vki_area *b = meta_alloc();
	if (!b)
		return NULL;
	*b = *a;
	b->node.left = b->node.right = NULL;
	b->node.key = at;
	b->size = a->size - (at - a->node.key);
	a->end = at;
	a->size = at - a->node.key;
	a->noguard = 1;
	a->guarded = 0; /* the guard page went up with b */
	vki_tree_insert(&busy_tree, &b->node);
	return b;
}

int vki_arena_set_shadow(struct vki_area *a, bool on)
{
	if (!vki_opt.shadow || a->noshadow == !on)
		return 0;
	uintptr_t start = a->node.key, end = a->end;
	if (on) {
		if (vki_shadow_populate(start, end))
			return -1;
		vki_shadow_unpoison(start, a->size);
		a->noshadow = 0;
		return 0;
	}
	vki_shadow_poison(start, end, VKI_SHADOW_VMALLOC_INVALID);
	a->noshadow = 1;
	/* Release what only this piece (and shadowless neighbours) used:
	 * a itself (noshadow now) is the region to widen from. */
	uintptr_t rs, re;
	if (release_range(a, start, end, NULL, &rs, &re)) {
		struct vki_release_batch b = { 0 };
		vki_shadow_release_add(&b, rs, re);
		vki_shadow_release_flush(&b);
	}
	return 0;
}

/* ---------------------------------------------------------------- lazily backed windows
 *
 * Stacks (stack.c, fiber.c) are large and mostly untouched: an 8 MiB thread
 * stack spans 256 windows, and backing all of their shadow at creation would
 * cost 1 MiB of resident shadow per thread.  So a stack mapping (req->lazy)
 * backs only its first and last windows at allocation (those may be shared
 * with neighbours and must follow the normal rule; the last ones also cover
 * the top of the stack, where its thread starts); every window in between,
 * [lazy_lo, lazy_hi), is backed on first use, already accessible (zero):
 *
 *   - by a check that finds it absent (check.c asks vki_arena_fill_window
 *     before reporting), and
 *   - by the fault handler when inline code reads or writes its absent
 *     shadow (stack.c's fault hook, same function); the instruction is
 *     then simply run again.
 *
 * Only a live (busy) mapping's windows are backed this way: absent shadow of
 * a freed stack stays absent, and a check there reports use-after-free as
 * for any freed mapping.  The shadow of a live stack therefore holds exactly
 * the windows its thread touched; the invariant walk (verify.c) knows that
 * absent windows in [lazy_lo, lazy_hi) of a stack are fine.
 *
 * A stack also carries guard markers inside it (req->markers_below: the
 * pages under its signal stack and under the stack proper), removed at the
 * purge with the rest of the range.
 */
static bool has_lazy_windows(const struct vki_area *a)
{
	return a->lazy_lo < a->lazy_hi;
}

/* The inner windows of a just reserved stack: all but the first window and
 * those of the last eager_top bytes (lock held). */
static void lazy_bounds(struct vki_area *a, size_t eager_top)
{
	uintptr_t addr = a->node.key;
	a->lazy_lo = VKI_ROUND_DOWN(addr, VKI_WINDOW_SIZE) + VKI_WINDOW_SIZE;
	a->lazy_hi = a->end - addr > eager_top + VKI_WINDOW_SIZE
			     ? VKI_ROUND_DOWN(a->end - 1 - eager_top, VKI_WINDOW_SIZE)
			     : 0;
	if (a->lazy_lo >= a->lazy_hi)
		a->lazy_lo = a->lazy_hi = 0;
}

/* Step 2 for a stack: back the windows it needs now (all, or the two ends).
 * 0 or -1, nothing left behind on failure. */
static int lazy_populate(struct vki_area *a)
{
	uintptr_t start = a->node.key;
	if (!has_lazy_windows(a))
		return vki_shadow_populate(start, a->end);
	bool had_first = vki_window_present(start);
	if (vki_shadow_populate(start, a->lazy_lo))
		return -1;
	if (!vki_shadow_populate(a->lazy_hi, a->end))
		return 0;
	if (!had_first) { /* we backed it: nothing else uses it */
		struct vki_release_batch b = { 0 };
		vki_shadow_release_add(&b, a->lazy_lo - VKI_WINDOW_SIZE, a->lazy_lo);
		vki_shadow_release_flush(&b);
	}
	return -1;
}

/* Step 4 for a stack: accessible where backed, [start, start + size).
 * Lazy windows that are backed already (a revived stack; a failed release
 * left them, still 0xF8) are cleared. */
static void lazy_unpoison(struct vki_area *a)
{
	uintptr_t start = a->node.key;
	uintptr_t end = start + a->size;
	vki_shadow_unpoison(start, a->lazy_lo - start);
	for (uintptr_t w = a->lazy_lo; w < a->lazy_hi; w += VKI_WINDOW_SIZE)
		if (vki_window_present(w))
			vki_shadow_unpoison(w, VKI_WINDOW_SIZE);
	if (end > a->lazy_hi)
		vki_shadow_unpoison(a->lazy_hi, end - a->lazy_hi);
}

/* The reverse: all 0xF8 where backed. */
static void lazy_poison(const struct vki_area *a)
{
	uintptr_t start = a->node.key;
	vki_shadow_poison(start, a->lazy_lo, VKI_SHADOW_VMALLOC_INVALID);
	for (uintptr_t w = a->lazy_lo; w < a->lazy_hi; w += VKI_WINDOW_SIZE)
		if (vki_window_present(w))
			vki_shadow_poison(w, w + VKI_WINDOW_SIZE, VKI_SHADOW_VMALLOC_INVALID);
	vki_shadow_poison(a->lazy_hi, a->end, VKI_SHADOW_VMALLOC_INVALID);
}

/* Guard markers (real faults) on the pages at the given offsets of a just
 * published stack, their shadow poisoned where backed.  0 or -1 (the
 * markers placed are removed by the purge: markers_below is set either
 * way). */
static int place_markers(struct vki_area *a, const size_t *off, int n)
{
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		uintptr_t g = a->node.key + off[i];
		rc = vki_os_guard_install(g, VKI_PAGE_SIZE, VKI_OS_GUARD);
		if (!rc && vki_opt.shadow && vki_window_present(g))
			vki_shadow_poison(g, g + VKI_PAGE_SIZE, VKI_SHADOW_VMALLOC_INVALID);
	}
	vki_arena_lock();
	a->markers_below = 1;
	vki_arena_unlock();
	return rc;
}

bool vki_arena_fill_window(uintptr_t addr)
{
	if (!vki_arena_base || !vki_in_arena(addr) || vki_self()->holding_arena ||
	    !__atomic_load_n(&st.lazy_shadow_live, __ATOMIC_RELAXED))
		return false;
	uintptr_t w = VKI_ROUND_DOWN(addr, VKI_WINDOW_SIZE);
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_floor(&busy_tree, addr));
	bool ok = a && addr < a->end && w >= a->lazy_lo && w < a->lazy_hi;
	/* A failed OS call is tried again: without the window, the thread's
	 * own stack access would be reported (fault injection fails only
	 * every Nth call). */
	for (int tries = 0; ok && !vki_window_present(w) && tries < 3; tries++)
		vki_shadow_populate_accessible(w, w + VKI_WINDOW_SIZE);
	ok = ok && vki_window_present(w);
	vki_arena_unlock();
	return ok;
}

/* A freed stack still on the lazy list, of the same size, taken back as it
 * is: its guard markers, shadow windows and data pages are still there
 * (the kernel keeps two freed VMAP stacks per CPU for the same reason).
 * Made accessible again where backed, its marker pages poisoned. */
bool vki_arena_revive_stack(uintptr_t start, size_t size, uint32_t stack, const size_t *markers,
			    int nmarkers)
{
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&lazy_tree, start));
	/* releasing: a purge is decommitting it (1) or did (2); it is on its
	 * way to free space, not ours to take. */
	if (!a || a->owner != VKI_OWNER_STACK || a->size != size || !a->markers_below ||
	    a->releasing || a->guarded != (vki_opt.guard_pages != 0)) {
		vki_arena_unlock();
		return false;
	}
	vki_tree_remove(&lazy_tree, &a->node);
	st.lazy_bytes -= a->end - start;
	a->state = VKI_AREA_BUSY;
	a->alloc_stack = stack;
	a->alloc_tid = (uint32_t)vki_os_gettid();
	a->free_stack = a->free_tid = 0;
	a->settling = vki_opt.shadow;
	vki_tree_insert(&busy_tree, &a->node);
	st.live_bytes += size;
	if (has_lazy_windows(a))
		st.lazy_shadow_live++;
	vki_arena_unlock();
	if (vki_opt.shadow) {
		if (has_lazy_windows(a))
			lazy_unpoison(a);
		else
			vki_shadow_unpoison(start, size);
		for (int i = 0; i < nmarkers; i++) {
			uintptr_t g = start + markers[i];
			if (vki_window_present(g))
				vki_shadow_poison(g, g + VKI_PAGE_SIZE, VKI_SHADOW_VMALLOC_INVALID);
		}
		__atomic_store_n(&a->settling, 0, __ATOMIC_RELEASE);
	}
	return true;
}

bool vki_arena_free_stack(uintptr_t addr, uint32_t stack, uint32_t tid)
{
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	if (!a || a->owner != VKI_OWNER_STACK) {
		vki_arena_unlock();
		return false;
	}
	area_unpublish(a, stack, tid);
	purge_if_needed_unlock();
	return true;
}

/* ---------------------------------------------------------------- queries */

bool vki_arena_describe(uintptr_t addr, struct vki_area_info *out)
{
	vki_fill(out, 0, sizeof(*out));
	if (!vki_arena_base || !vki_in_arena(addr))
		return false;
	bool held = vki_self()->holding_arena;
	if (!held)
		vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_floor(&busy_tree, addr));
	if (!a || addr >= a->end)
		a = AREA(vki_tree_floor(&lazy_tree, addr));
	bool found = a && addr < a->end;
	if (!found)
		found = vki_coldq_describe(addr, out); /* purged, still quarantined */
	else {
		out->state = a->state;
		out->start = a->node.key;
		out->end = a->end;
		out->owner = a->owner;
		out->size = a->size;
		out->priv = a->priv;
		out->alloc_stack = a->alloc_stack;
		out->free_stack = a->free_stack;
		out->alloc_tid = a->alloc_tid;
		out->free_tid = a->free_tid;
		out->noguard = a->noguard;
		out->noshadow = a->noshadow;
	}
	if (!held)
		vki_arena_unlock();
	return found;
}

unsigned long vki_arena_in_flight(void)
{
	return st.populating + st.poisoning + purge_in_flight;
}

uintptr_t vki_arena_committed_end(void)
{
	return committed_end;
}

/* Backed shadow pages of windows that a live heap mapping intersects
 * (lock held). */
static uint64_t heap_windows(void)
{
	uint64_t n = 0;
	uintptr_t last = 0; /* one past the last window counted */
	for (struct vki_node *x = vki_tree_first(&busy_tree); x; x = vki_tree_next(&busy_tree, x)) {
		if (!heap_owned(AREA(x)))
			continue;
		uintptr_t s = VKI_ROUND_DOWN(x->key, VKI_WINDOW_SIZE);
		if (s < last)
			s = last;
		uintptr_t e = VKI_ROUND_UP(AREA(x)->end, VKI_WINDOW_SIZE);
		if (s < e)
			n += vki_shadow_count_present(s, e); /* one shadow page per window */
		if (e > last)
			last = e;
	}
	return n;
}

VKI_EXPORT void vk_get_stats(struct vk_stats *out)
{
	vki_init();
	vki_fill(out, 0, sizeof(*out));
	if (!vki_arena_base)
		return;
	vki_arena_lock();
	out->live_areas = busy_tree.count - st.heap_areas; /* the heap's apart */
	out->live_bytes = st.live_bytes - st.heap_bytes;
	out->heap_mappings = st.heap_areas;
	out->heap_shadow_pages = heap_windows();
	out->lazy_areas = lazy_tree.count;
	out->lazy_bytes = st.lazy_bytes;
	out->free_regions = free_tree.count;
	out->shadow_pages = vki_shadow_stats.present;
	out->shadow_pages_populated_total = vki_shadow_stats.populated_total;
	out->shadow_pages_released_total = vki_shadow_stats.released_total;
	out->shadow_populate_calls = vki_shadow_stats.populate_calls;
	out->shadow_release_calls = vki_shadow_stats.release_calls;
	out->purges = st.purges;
	out->alloc_failures = __atomic_load_n(&st.alloc_failures, __ATOMIC_RELAXED);
	out->arena_base = vki_arena_base;
	out->arena_size = vki_arena_end - vki_arena_base;
	out->arena_committed = committed_end - vki_arena_base;
	vki_coldq_stats(&out->cold_areas, &out->cold_bytes, &out->cold_meta_bytes);
	vki_arena_unlock();
	vki_heap_stats(out);
	out->reports = vki_report_count();
}

void vki_arena_for_each(int which, void (*fn)(const struct vki_area *, void *), void *ctx)
{
	const struct vki_tree *trees[3] = { &free_tree, &busy_tree, &lazy_tree };
	for (int i = which == VKI_EACH_FREE ? 0 : 1; i < (which == VKI_EACH_FREE ? 1 : 3); i++)
		for (struct vki_node *n = vki_tree_first(trees[i]); n; n = vki_tree_next(trees[i], n))
			fn(AREA(n), ctx);
}

/* Every address of the arena is in exactly one tree, free regions are
 * merged, and the counters agree with the trees.  Caller holds the lock. */
int vki_arena_verify(void)
{
	int bad = vki_tree_verify(&free_tree, "free") + vki_tree_verify(&busy_tree, "busy") +
		  vki_tree_verify(&lazy_tree, "lazy");
	if (bad)
		return bad;
	const struct vki_tree *trees[3] = { &free_tree, &busy_tree, &lazy_tree };
	struct vki_node *cur[3];
	for (int i = 0; i < 3; i++)
		cur[i] = vki_tree_first(trees[i]);
	uintptr_t at = vki_arena_base, prev_free_end = 0;
	uint64_t live = 0, lazy = 0;
	bad += vki_coldq_verify_begin(); /* cold ranges fill the gaps, sorted */
	/* Merge the three sorted sequences: they must tile the arena. */
	for (;;) {
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (cur[i] && (k < 0 || cur[i]->key < cur[k]->key))
				k = i;
		if (k < 0)
			break;
		struct vki_area *a = AREA(cur[k]);
		if (!vki_coldq_verify_cover(&at, a->node.key) || a->end <= a->node.key) {
			vki_printf("vkasan: invariant: region [%p, %p) found where %p was expected\n",
				   (void *)a->node.key, (void *)a->end, (void *)at);
			return bad + 1;
		}
		if (k == 0 && prev_free_end == a->node.key && a->node.key != vki_arena_base) {
			vki_printf("vkasan: invariant: free regions not merged at %p\n",
				   (void *)a->node.key);
			bad++;
		}
		if (k == 0)
			prev_free_end = a->end;
		if (a->state != (k == 0 ? VKI_AREA_FREE : k == 1 ? VKI_AREA_BUSY : VKI_AREA_LAZY)) {
			vki_printf("vkasan: invariant: region %p in the wrong state\n", (void *)at);
			bad++;
		}
		if (k == 1) {
			live += a->size;
			/* vk_vrealloc shrinks in place: pages beyond the size stay */
			size_t want = VKI_ROUND_UP(a->size, VKI_PAGE_SIZE) +
				      (a->noguard ? 0 : VKI_PAGE_SIZE);
			size_t have = a->end - a->node.key;
			if (a->resized ? want > have : want != have) {
				vki_printf("vkasan: invariant: mapping %p size %lu vs length %lu\n",
					   (void *)at, (unsigned long)a->size,
					   (unsigned long)(a->end - at));
				bad++;
			}
		}
		if (k == 2)
			lazy += a->end - a->node.key;
		at = a->end;
		cur[k] = vki_tree_next(trees[k], cur[k]);
	}
	if (!vki_coldq_verify_cover(&at, vki_arena_end)) {
		vki_printf("vkasan: invariant: regions end at %p, arena at %p\n", (void *)at,
			   (void *)vki_arena_end);
		bad++;
	}
	bad += vki_coldq_verify_end();
	if (live != st.live_bytes || lazy != st.lazy_bytes) {
		vki_printf("vkasan: invariant: live/lazy bytes %lu/%lu, counters say %lu/%lu\n",
			   (unsigned long)live, (unsigned long)lazy, (unsigned long)st.live_bytes,
			   (unsigned long)st.lazy_bytes);
		bad++;
	}
	if (st.meta_in_use != free_tree.count + busy_tree.count + lazy_tree.count) {
		vki_printf("vkasan: invariant: %lu metadata nodes in use, %lu in trees (leak)\n",
			   (unsigned long)st.meta_in_use,
			   (unsigned long)(free_tree.count + busy_tree.count + lazy_tree.count));
		bad++;
	}
	return bad;
}

/* ---------------------------------------------------------------- poison.c */

/*
 * What poison.c and vk_vrealloc need of the arena beyond the four steps:
 * looking up and marking a live mapping of any owner, and resizing a
 * vk_vmalloc mapping in place.
 */

/* The live mapping holding addr (busy, any owner): its start and requested
 * size.  mark: it is being poisoned by hand (the walk then accepts user
 * codes in it, and its free drops its poison records: area_unpublish). */
bool vki_arena_live(uintptr_t addr, uintptr_t *start, size_t *size, bool mark)
{
	if (!vki_arena_base || !vki_in_arena(addr))
		return false;
	bool held = vki_self()->holding_arena;
	if (!held)
		vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_floor(&busy_tree, addr));
	bool found = a && addr < a->end;
	if (found) {
		*start = a->node.key;
		*size = a->size;
		if (mark)
			a->poisoned = 1;
	}
	if (!held)
		vki_arena_unlock();
	return found;
}

/* ---------------------------------------------------------------- vrealloc */

/*
 * vk_vrealloc: the kernel's vrealloc, with its 2025 fix.  The requested size
 * is tracked, so a shrink in place poisons the tail and a later grow within
 * the same pages unpoisons exactly the new bytes.  Growing past the pages
 * takes the free region right above the mapping when it is large enough
 * (extend the area, back the new windows, unpoison the new bytes); else the
 * contents move to a new mapping.
 */

/* Grow a (busy, lock held) in place to new_len bytes of arena, if the next
 * range is free.  Returns true when done. */
static bool grow_in_place(struct vki_area *a, size_t new_len)
{
	uintptr_t old_end = a->end, new_end = a->node.key + new_len;
	struct vki_area *f = AREA(vki_tree_find(&free_tree, old_end));
	if (!f || f->end < new_end || a->guarded)
		return false; /* a guard marker would have to move: just move */
	struct vki_area *back = meta_alloc(); /* to give the range back on failure */
	if (!back)
		return false;
	if (commit_range(old_end, new_end)) { /* failed, or the lock was dropped: a may be gone */
		meta_free(back);
		return false;
	}
	carve(f, old_end, new_end - old_end, NULL);
	if (vki_opt.shadow && vki_shadow_populate(old_end, new_end)) {
		back->node.key = old_end;
		back->end = new_end;
		free_insert(back);
		return false;
	}
	meta_free(back);
	a->end = new_end;
	return true;
}

/* vk_vfree's path for vk_vrealloc(p, 0) and a move: a bad p is reported. */
static void vrealloc_free(uintptr_t addr, uint32_t stack, uintptr_t pc)
{
	if (!vki_area_free(addr, VKI_OWNER_VMALLOC, stack))
		vki_report_free(addr, vki_area_free_bug(addr), pc);
}

VKI_EXPORT void *vk_vrealloc(void *p, size_t size)
{
	uint32_t stack = vki_stack_save(0);
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	if (!p)
		return vki_area_alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, stack);
	uintptr_t addr = (uintptr_t)p;
	if (!size) {
		vrealloc_free(addr, stack, pc);
		return NULL;
	}
	vki_init();
	if (!vki_arena_base || size > vki_arena_end - vki_arena_base) {
		vki_arena_count_failure();
		return NULL;
	}
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	if (!a || a->owner != VKI_OWNER_VMALLOC) {
		vki_arena_unlock();
		vki_report_free(addr, vki_area_free_bug(addr), pc);
		return NULL;
	}
	size_t old = a->size;
	size_t cap = a->end - VKI_PAGE_SIZE - addr; /* bytes of its data pages */
	size_t new_len = VKI_ROUND_UP(size, VKI_PAGE_SIZE) + VKI_PAGE_SIZE;
	if (size <= cap || grow_in_place(a, new_len)) {
		if (vki_opt.shadow && size < old) {
			uintptr_t g = addr + VKI_ROUND_UP(size, VKI_GRANULE);
			vki_shadow_poison(g, addr + VKI_ROUND_UP(old, VKI_GRANULE),
					  VKI_SHADOW_VMALLOC_INVALID);
			if (size & (VKI_GRANULE - 1))
				*(uint8_t *)vki_mem_to_shadow(g - VKI_GRANULE) =
					(uint8_t)(size & (VKI_GRANULE - 1));
		} else if (vki_opt.shadow && size > old) {
			uintptr_t g = VKI_ROUND_DOWN(old, VKI_GRANULE);
			vki_shadow_unpoison(addr + g, size - g);
		}
		a->resized = a->end - addr != new_len;
		st.live_bytes += size - old;
		a->size = size;
		vki_arena_unlock();
		return p;
	}
	vki_arena_unlock();
	void *q = vki_area_alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, stack);
	if (!q)
		return NULL; /* p is untouched, as realloc */
	vki_copy(q, p, old < size ? old : size);
	vrealloc_free(addr, stack, pc);
	return q;
}
