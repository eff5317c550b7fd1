/*
 * arenaq.c - the address-space quarantine of the arena ("cold" ranges).
 *
 * A purge decommits a lazily freed mapping's data and clears its guard
 * page; lowest fit would then hand the range out again within a few
 * thousand frees, and a stale pointer into it would be described as the
 * new occupant's.  Instead the purge (arena.c, area_cool) turns the range
 * *cold*: it leaves the three trees, its metadata node is given back, and
 * one compact record of it goes into this FIFO.  A cold range is in no
 * tree, so lowest fit never sees it; it holds no data pages (decommitted)
 * and no shadow of its own (for the release rule it counts as free space:
 * its windows go unless a live or lazy mapping shares them).  A stale
 * access meets absent or 0xF8 shadow and the report finds the record here
 * (vki_arena_describe), as a lazily freed mapping: same owner, stacks,
 * size, "Freed by task".
 *
 * The FIFO is bounded by the address space it holds (vmalloc_quarantine
 * bytes, guard pages included) and by its ring of records (one per 8 KiB
 * of that budget: the smallest mapping is a page and its guard).  When a
 * bound is passed the oldest records go back to free space (arena.c,
 * cold_trim), and when lowest fit finds no room the arena retires them,
 * oldest first, before it fails.  vmalloc_quarantine=0: ranges go to free
 * space at once (the old behaviour).
 *
 * Records are 32 bytes in a ring mapped once from os.c (NORESERVE: only
 * the pages of records in use are resident), never malloc.  Lookups by
 * address (reports, double frees: rare) scan the ring; the invariant walk
 * sorts a copy of the ranges in a scratch area mapped behind the ring.
 * Everything here runs under the arena lock (#3); a fork child inherits
 * the ring as it is.
 */
#include "vk_internal.h"

struct cold {
	uint32_t start_pg;   /* (start - arena base) / page */
	uint32_t pages;      /* length, guard page included */
	uint64_t size_owner; /* requested bytes (low 48 bits), owner << 48,
			      * COLD_NOGUARD/COLD_NOSHADOW << 56 */
	uint32_t priv;       /* the owner's word, low 32 bits (mmap.c's kind) */
	uint32_t alloc_stack, free_stack, free_tid;
};
_Static_assert(sizeof(struct cold) == 32, "a cold record is 32 bytes");

#define COLD_NOGUARD 1
#define COLD_NOSHADOW 2
#define SIZE_MASK ((1UL << 48) - 1)
#define BYTES_PER_RECORD (2 * VKI_PAGE_SIZE) /* the ring's size per budget byte */
#define RING_MIN 1024UL
#define RING_MAX (1UL << 26) /* 2 GiB of records: a 512 TiB budget */

static struct cold *ring;   /* cap records, then cap uint64_t of scratch */
static size_t cap, head, n; /* oldest at ring[head], n in use */
static uint64_t bytes;      /* address space held, guard pages included */
static bool map_failed;     /* mapping the ring failed once: not again */
static size_t touched;      /* records of the ring ever written (resident) */

static uintptr_t rec_start(const struct cold *c)
{
	return vki_arena_base + ((uintptr_t)c->start_pg << VKI_PAGE_SHIFT);
}

static uintptr_t rec_end(const struct cold *c)
{
	return rec_start(c) + ((uintptr_t)c->pages << VKI_PAGE_SHIFT);
}

static size_t ring_bytes(size_t records)
{
	return VKI_ROUND_UP(records * (sizeof(struct cold) + sizeof(uint64_t)), VKI_PAGE_SIZE);
}

/* The ring, sized from the budget when the first range goes cold, and
 * moved to a larger one when the budget is raised (vk_set_option): the
 * records are copied oldest first.  A failed mapping keeps what there is. */
static bool ring_ready(void)
{
	size_t want = vki_opt.vmalloc_quarantine / BYTES_PER_RECORD;
	want = want < RING_MIN ? RING_MIN : want > RING_MAX ? RING_MAX : want;
	if (ring && want <= cap)
		return true;
	if (map_failed)
		return ring != NULL;
	struct cold *r = vki_os_map_anywhere(ring_bytes(want), VKI_OS_META);
	if (!r) {
		/* Fault injection or no address space: without a ring, ranges
		 * go to free space as before the quarantine; no retry per
		 * purge. */
		map_failed = true;
		return ring != NULL;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = ring[(head + i) % cap];
	if (ring)
		vki_os_unmap(ring, ring_bytes(cap));
	ring = r;
	cap = want;
	head = 0;
	touched = n;
	return true;
}

bool vki_coldq_push(const struct vki_area *a)
{
	if (!vki_opt.vmalloc_quarantine || !ring_ready() || n == cap)
		return false;
	uintptr_t start = a->node.key, len = a->end - start;
	size_t at = (head + n) % cap;
	struct cold *c = &ring[at];
	if (at >= touched)
		touched = at + 1;
	c->start_pg = (uint32_t)((start - vki_arena_base) >> VKI_PAGE_SHIFT);
	c->pages = (uint32_t)(len >> VKI_PAGE_SHIFT);
	c->size_owner = (a->size & SIZE_MASK) | (uint64_t)a->owner << 48 |
			(uint64_t)((a->noguard ? COLD_NOGUARD : 0) | (a->noshadow ? COLD_NOSHADOW : 0))
				<< 56;
	c->priv = (uint32_t)a->priv;
	c->alloc_stack = a->alloc_stack;
	c->free_stack = a->free_stack;
	c->free_tid = a->free_tid;
	n++;
	bytes += len;
	return true;
}

bool vki_coldq_over(size_t len, bool all)
{
	if (!n)
		return false;
	return all || bytes + len > vki_opt.vmalloc_quarantine || n == cap;
}

uint64_t vki_coldq_count(void)
{
	return n;
}

bool vki_coldq_pop(uintptr_t *start, uintptr_t *end)
{
	if (!n)
		return false;
	struct cold *c = &ring[head];
	*start = rec_start(c);
	*end = rec_end(c);
	bytes -= *end - *start;
	head = (head + 1) % cap;
	n--;
	return true;
}

/* Newest first: ranges never overlap, but the newest is the likeliest. */
static const struct cold *find(uintptr_t addr)
{
	for (size_t i = n; i-- > 0;) {
		const struct cold *c = &ring[(head + i) % cap];
		if (addr >= rec_start(c) && addr < rec_end(c))
			return c;
	}
	return NULL;
}

bool vki_coldq_describe(uintptr_t addr, struct vki_area_info *out)
{
	const struct cold *c = find(addr);
	if (!c)
		return false;
	out->state = VKI_AREA_LAZY; /* to every owner's hooks: a freed mapping */
	out->start = rec_start(c);
	out->end = rec_end(c);
	out->owner = (uint8_t)(c->size_owner >> 48);
	out->size = c->size_owner & SIZE_MASK;
	out->priv = c->priv;
	out->alloc_stack = c->alloc_stack;
	out->free_stack = c->free_stack;
	out->alloc_tid = 0;
	out->free_tid = c->free_tid;
	out->noguard = (c->size_owner >> 56) & COLD_NOGUARD ? 1 : 0;
	out->noshadow = (c->size_owner >> 56) & COLD_NOSHADOW ? 1 : 0;
	return true;
}

bool vki_coldq_starts_at(uintptr_t addr)
{
	const struct cold *c = find(addr);
	return c && rec_start(c) == addr;
}

void vki_coldq_stats(uint64_t *count, uint64_t *held, uint64_t *meta)
{
	*count = n;
	*held = bytes;
	/* resident: the pages of the ring ever written, not the scratch
	 * behind it (only the invariant walk touches that) */
	*meta = VKI_ROUND_UP(touched * sizeof(struct cold), VKI_PAGE_SIZE);
}

/* ---------------------------------------------------------------- the walk */

/* Heap sort of keys (start_pg << 32 | pages): in place, no allocation. */
static void sift(uint64_t *k, size_t i, size_t len)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= len)
			return;
		if (c + 1 < len && k[c + 1] > k[c])
			c++;
		if (k[i] >= k[c])
			return;
		uint64_t t = k[i];
		k[i] = k[c];
		k[c] = t;
		i = c;
	}
}

static uint64_t *sorted;
static size_t sorted_at, walk_n; /* the walk's cursor, records it sorted */

int vki_coldq_verify_begin(void)
{
	int bad = 0;
	sorted_at = 0;
	sorted = ring ? (uint64_t *)(ring + cap) : NULL;
	if (n > cap || (n && !ring)) {
		vki_printf("vkasan: invariant: %lu cold records in a ring of %lu\n",
			   (unsigned long)n, (unsigned long)cap);
		walk_n = 0; /* nothing sane to sort: the tiling check fails on the gaps */
		return 1;
	}
	walk_n = n;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cold *c = &ring[(head + i) % cap];
		sorted[i] = (uint64_t)c->start_pg << 32 | c->pages;
		sum += (uint64_t)c->pages << VKI_PAGE_SHIFT;
		if (!c->pages || rec_end(c) > vki_arena_end) {
			vki_printf("vkasan: invariant: cold record %lu [%p, +%u pages) is bad\n",
				   (unsigned long)i, (void *)rec_start(c), c->pages);
			bad++;
		}
	}
	if (sum != bytes) {
		vki_printf("vkasan: invariant: cold ranges hold %lu bytes, counter says %lu\n",
			   (unsigned long)sum, (unsigned long)bytes);
		bad++;
	}
	for (size_t i = n / 2; i-- > 0;)
		sift(sorted, i, n);
	for (size_t end = n; end > 1; end--) {
		uint64_t t = sorted[0];
		sorted[0] = sorted[end - 1];
		sorted[end - 1] = t;
		sift(sorted, 0, end - 1);
	}
	return bad;
}

bool vki_coldq_verify_cover(uintptr_t *at, uintptr_t to)
{
	while (*at < to && sorted_at < walk_n) {
		uintptr_t s = vki_arena_base + ((sorted[sorted_at] >> 32) << VKI_PAGE_SHIFT);
		if (s != *at)
			break;
		*at = s + ((sorted[sorted_at] & 0xffffffffUL) << VKI_PAGE_SHIFT);
		sorted_at++;
	}
	return *at == to;
}

int vki_coldq_verify_end(void)
{
	if (sorted_at == walk_n)
		return 0;
	vki_printf("vkasan: invariant: %lu cold records overlap other regions\n",
		   (unsigned long)(walk_n - sorted_at));
	return 1;
}

void vki_coldq_for_each(void (*fn)(uintptr_t start, uintptr_t end, void *ctx), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct cold *c = &ring[(head + i) % cap];
		fn(rec_start(c), rec_end(c), ctx);
	}
}
