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
 * A purge moves every lazy mapping into free space in address order, and
 * releases the shadow windows that became wholly free (rule in shadow.c),
 * coalesced into runs.  It holds the lock from start to end, so no range is
 * handed out again before its shadow is gone.
 *
 * Metadata (one struct vki_area per region or mapping) comes from our own
 * pool of mmap'd chunks, never from malloc.
 */
#include "vk_internal.h"

#include <string.h>

uintptr_t vki_arena_base, vki_arena_end;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int holding_lock; /* this thread holds lock (reports from inside) */

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
	uint64_t live_bytes, lazy_bytes, purges, alloc_failures;
	uint64_t heap_areas, heap_bytes; /* busy mappings of the heap (owner != 0) */
	uint64_t meta_in_use; /* areas handed out by meta_alloc */
} st;

#define AREA(n) ((struct vki_area *)(n))

/* ---------------------------------------------------------------- metadata */

#define META_CHUNK (2UL << 20)
static struct vki_area *meta_free_list;

static struct vki_area *meta_alloc(void)
{
	if (!meta_free_list) {
		struct vki_area *c = vki_os_map_anywhere(META_CHUNK, VKI_OS_META);
		if (!c)
			return NULL;
		size_t n = META_CHUNK / sizeof(*c);
		for (size_t i = 0; i < n; i++) {
			c[i].next = meta_free_list;
			meta_free_list = &c[i];
		}
	}
	struct vki_area *a = meta_free_list;
	meta_free_list = a->next;
	memset(a, 0, sizeof(*a));
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

void vki_arena_lock(void)
{
	pthread_mutex_lock(&lock);
	holding_lock = 1;
}

void vki_arena_unlock(void)
{
	holding_lock = 0;
	pthread_mutex_unlock(&lock);
}

static void atfork_child(void)
{
	vki_os_forget_tid();
	holding_lock = 0;
	pthread_mutex_init(&lock, NULL);
}

/* ---------------------------------------------------------------- init */

static int init_state; /* 0 not yet, 1 running, 2 done (ok or failed) */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static int arena_setup(void)
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

void vki_init(void)
{
	if (VKI_LIKELY(__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2))
		return;
	pthread_mutex_lock(&init_lock);
	if (init_state == 0) {
		init_state = 1;
		vki_options_init();
		int ok = arena_setup() == 0;
		vki_fullshadow_arena_ready(ok); /* inline mode: shadow around the arena's */
		vki_options_freeze();
		if (ok) {
			pthread_atfork(vki_arena_lock, vki_arena_unlock, atfork_child);
			vki_signal_init();
		}
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_lock);
}

/* Priority 102: a program (or test) can set VKASAN_OPTIONS at 101. */
__attribute__((constructor(102))) static void arena_ctor(void)
{
	vki_init();
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
 * pay page tables for) everything below it. */
static int commit_range(uintptr_t start, uintptr_t end)
{
	size_t c0 = (start - vki_arena_base) / VKI_COMMIT_CHUNK;
	size_t c1 = (end - 1 - vki_arena_base) / VKI_COMMIT_CHUNK;
	for (size_t c = c0; c <= c1; c++) {
		uintptr_t s = vki_arena_base + c * VKI_COMMIT_CHUNK, e = s + VKI_COMMIT_CHUNK;
		/* Two steps, remembered apart: a retry after a failed shadow
		 * step must not redo (and fail again at) the arena step. */
		if (!(committed[c] & COMMIT_ARENA)) {
			if (vki_os_commit(s, VKI_COMMIT_CHUNK, false))
				return -1;
			committed[c] |= COMMIT_ARENA;
		}
		if (vki_opt.shadow && !(committed[c] & COMMIT_SHADOW)) {
			if (vki_shadow_commit(s, e))
				return -1;
			committed[c] |= COMMIT_SHADOW;
		}
		if (e > committed_end)
			committed_end = e;
	}
	return 0;
}

/* ---------------------------------------------------------------- purge */

/* Give freed data pages back, coalesced like shadow runs. */
struct data_run {
	uintptr_t start, end;
};

static void data_flush(struct data_run *r)
{
	if (r->start >= r->end)
		return;
	if (vki_opt.decommit)
		vki_os_decommit(r->start, r->end - r->start);
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
static void sweep_debt(struct vki_release_batch *b)
{
	vki_shadow_stats.debt = false;
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

static void purge_locked(void)
{
	struct vki_release_batch b = { 0 };
	struct data_run d = { 0, 0 };
	struct vki_area *stuck = NULL; /* guard page could not be cleared */
	struct vki_node *n;
	while ((n = vki_tree_first(&lazy_tree))) {
		struct vki_area *a = AREA(n);
		uintptr_t start = n->key, end = a->end;
		vki_tree_remove(&lazy_tree, n);
		if (a->guarded &&
		    vki_os_guard_remove(end - VKI_PAGE_SIZE, VKI_PAGE_SIZE, VKI_OS_GUARD)) {
			/* A guard marker left in free space would fault inside the
			 * next mapping there: keep the range quarantined. */
			a->next = stuck;
			stuck = a;
			continue;
		}
		a->guarded = 0;
		st.lazy_bytes -= end - start;
		struct vki_area *f = free_insert(a);
		uintptr_t rs, re;
		if (vki_opt.shadow &&
		    vki_shadow_release_range(start, end, f->node.key, f->end, &rs, &re))
			vki_shadow_release_add(&b, rs, re);
		data_add(&d, start, end);
	}
	for (; stuck; stuck = stuck->next)
		vki_tree_insert(&lazy_tree, &stuck->node);
	vki_shadow_release_flush(&b);
	data_flush(&d);
	if (vki_shadow_stats.debt && !b.failures)
		sweep_debt(&b);
	st.purges++;
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
	vki_heap_drain(); /* quarantine out, empty slabs back to the arena */
	vki_arena_lock();
	purge_locked();
	vki_arena_unlock();
}

/* ---------------------------------------------------------------- alloc/free */

static void *alloc(size_t size, size_t align, uint8_t owner, uint32_t stack)
{
	vki_init();
	vki_signal_thread_init(); /* this thread's signal stack, once */
	if (!vki_arena_base)
		return NULL;
	if (align < VKI_PAGE_SIZE)
		align = VKI_PAGE_SIZE;
	size_t arena = vki_arena_end - vki_arena_base;
	if (size == 0 || size > arena || align > arena) {
		__atomic_add_fetch(&st.alloc_failures, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	size_t len = VKI_ROUND_UP(size, VKI_PAGE_SIZE) + VKI_PAGE_SIZE; /* + guard */

	vki_arena_lock();
	struct vki_area *f = find_lowest_fit(len, align);
	if (!f && lazy_tree.count) { /* lazily freed space may be enough */
		purge_locked();
		f = find_lowest_fit(len, align);
	}
	struct vki_area *a = f ? meta_alloc() : NULL;
	struct vki_area *spare = a ? meta_alloc() : NULL;
	uintptr_t addr = f ? VKI_ROUND_UP(f->node.key, align) : 0;
	if (!spare || commit_range(addr, addr + len))
		goto fail;
	carve(f, addr, len, spare);
	a->node.key = addr;
	a->end = addr + len;
	if (vki_opt.guard_pages) {
		if (vki_os_guard_install(a->end - VKI_PAGE_SIZE, VKI_PAGE_SIZE, VKI_OS_GUARD)) {
			free_insert(a);
			goto fail_carved;
		}
		a->guarded = 1;
	}
	if (vki_opt.shadow && vki_shadow_populate(addr, a->end)) {
		if (a->guarded &&
		    vki_os_guard_remove(a->end - VKI_PAGE_SIZE, VKI_PAGE_SIZE, VKI_OS_GUARD)) {
			/* Cannot clear the guard now: quarantine the range; the
			 * next purge clears it (the shadow is all 0xF8 or absent). */
			a->state = VKI_AREA_LAZY;
			vki_tree_insert(&lazy_tree, &a->node);
			st.lazy_bytes += len;
		} else {
			a->guarded = 0;
			free_insert(a);
		}
		goto fail_carved;
	}
	a->size = size;
	a->alloc_stack = stack;
	a->alloc_tid = (uint32_t)vki_os_gettid();
	a->owner = owner;
	if (owner) {
		st.heap_areas++;
		st.heap_bytes += size;
	}
	a->state = VKI_AREA_BUSY;
	a->settling = vki_opt.shadow;
	vki_tree_insert(&busy_tree, &a->node);
	st.live_bytes += size;
	vki_arena_unlock();

	/* Outside the lock: the windows are backed and filled, and no purge
	 * releases a window a live mapping intersects.  Until settling is
	 * cleared the invariant walk does not judge this mapping's shadow. */
	if (vki_opt.shadow) {
		vki_shadow_unpoison(addr, size);
		__atomic_store_n(&a->settling, 0, __ATOMIC_RELEASE);
	}
	return (void *)addr;

fail:
	if (spare)
		meta_free(spare);
	if (a)
		meta_free(a);
fail_carved:
	st.alloc_failures++;
	vki_arena_unlock();
	return NULL;
}

VKI_EXPORT void *vk_vmalloc(size_t size)
{
	return alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, vki_stack_save(0));
}

VKI_EXPORT void *vk_vzalloc(size_t size)
{
	void *p = alloc(size, VKI_PAGE_SIZE, VKI_OWNER_VMALLOC, vki_stack_save(0));
	if (p)
		memset(p, 0, size);
	return p;
}

VKI_EXPORT void *vk_vmalloc_aligned(size_t size, size_t align)
{
	if (align & (align - 1)) {
		__atomic_add_fetch(&st.alloc_failures, 1, __ATOMIC_RELAXED);
		return NULL; /* not a power of two (0 means "no constraint") */
	}
	return alloc(size, align, VKI_OWNER_VMALLOC, vki_stack_save(0));
}

/* Free the busy mapping at addr if its owner is owner: 0, else 1 when addr
 * starts a lazily freed mapping, 2 when nothing (of that owner) starts there. */
static int arena_free(uintptr_t addr, uint8_t owner, uint32_t stack)
{
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, addr));
	if (!a || a->owner != owner) {
		bool lazy = !a && vki_tree_find(&lazy_tree, addr) != NULL;
		vki_arena_unlock();
		return lazy ? 1 : 2;
	}
	vki_tree_remove(&busy_tree, &a->node);
	st.live_bytes -= a->size;
	if (owner) {
		st.heap_areas--;
		st.heap_bytes -= a->size;
	}
	if (vki_opt.shadow)
		vki_shadow_poison(addr, a->end, VKI_SHADOW_VMALLOC_INVALID);
	a->free_stack = stack;
	a->free_tid = (uint32_t)vki_os_gettid();
	a->state = VKI_AREA_LAZY;
	vki_tree_insert(&lazy_tree, &a->node);
	st.lazy_bytes += a->end - addr;
	if (st.lazy_bytes > vki_opt.lazy_max)
		purge_locked();
	vki_arena_unlock();
	return 0;
}

VKI_EXPORT void vk_vfree(const void *p)
{
	if (!p)
		return;
	vki_init();
	vki_signal_thread_init(); /* this thread's signal stack, once */
	uintptr_t addr = (uintptr_t)p;
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	int r = arena_free(addr, VKI_OWNER_VMALLOC, vki_stack_save(0));
	if (r)
		vki_report_free(addr, r == 1 ? VKI_DOUBLE_FREE : VKI_INVALID_FREE, pc);
}

/* The heap's entry pair: mappings it owns (slabs, large objects). */
void *vki_arena_alloc(size_t size, size_t align, uint8_t owner, uint32_t stack)
{
	return alloc(size, align, owner, stack);
}

void vki_arena_free(void *p, uint8_t owner)
{
	VKI_CHECK(arena_free((uintptr_t)p, owner, 0) == 0);
}

VKI_EXPORT size_t vk_vmalloc_size(const void *p)
{
	vki_init();
	if (!vki_arena_base || !vki_in_arena((uintptr_t)p))
		return 0;
	vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_find(&busy_tree, (uintptr_t)p));
	size_t size = a && !a->owner ? a->size : 0;
	vki_arena_unlock();
	return size;
}

/* ---------------------------------------------------------------- queries */

bool vki_arena_describe(uintptr_t addr, struct vki_area_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!vki_arena_base || !vki_in_arena(addr))
		return false;
	bool held = holding_lock;
	if (!held)
		vki_arena_lock();
	struct vki_area *a = AREA(vki_tree_floor(&busy_tree, addr));
	if (!a || addr >= a->end)
		a = AREA(vki_tree_floor(&lazy_tree, addr));
	bool found = a && addr < a->end;
	if (found) {
		out->state = a->state;
		out->start = a->node.key;
		out->end = a->end;
		out->size = a->size;
		out->alloc_stack = a->alloc_stack;
		out->free_stack = a->free_stack;
		out->alloc_tid = a->alloc_tid;
		out->free_tid = a->free_tid;
		out->owner = a->owner;
	}
	if (!held)
		vki_arena_unlock();
	return found;
}

uintptr_t vki_arena_committed_end(void)
{
	return committed_end;
}

/* Backed shadow pages of windows that a live heap mapping intersects. */
static uint64_t heap_windows(void)
{
	uint64_t n = 0;
	uintptr_t last = 0; /* one past the last window counted */
	for (struct vki_node *x = vki_tree_first(&busy_tree); x; x = vki_tree_next(&busy_tree, x)) {
		if (!AREA(x)->owner)
			continue;
		uintptr_t s = VKI_ROUND_DOWN(x->key, VKI_WINDOW_SIZE);
		if (s < last)
			s = last;
		uintptr_t e = VKI_ROUND_UP(AREA(x)->end, VKI_WINDOW_SIZE);
		if (s < e)
			n += vki_shadow_count_present(s, e);
		if (e > last)
			last = e;
	}
	return n;
}

VKI_EXPORT void vk_get_stats(struct vk_stats *out)
{
	vki_init();
	memset(out, 0, sizeof(*out));
	if (!vki_arena_base)
		return;
	vki_arena_lock();
	out->live_areas = busy_tree.count - st.heap_areas; /* vk_vmalloc's */
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
	/* Merge the three sorted sequences: they must tile the arena. */
	for (;;) {
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (cur[i] && (k < 0 || cur[i]->key < cur[k]->key))
				k = i;
		if (k < 0)
			break;
		struct vki_area *a = AREA(cur[k]);
		if (a->node.key != at || a->end <= a->node.key) {
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
			if (VKI_ROUND_UP(a->size, VKI_PAGE_SIZE) + VKI_PAGE_SIZE != a->end - a->node.key) {
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
	if (at != vki_arena_end) {
		vki_printf("vkasan: invariant: regions end at %p, arena at %p\n", (void *)at,
			   (void *)vki_arena_end);
		bad++;
	}
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
