/*
 * shadow.c - the dynamic shadow of the vmalloc arena.
 *
 * One 4 KiB shadow page describes one 32 KiB *window* of the arena.  A window
 * is backed only while a live or lazily freed mapping intersects it:
 *
 *   populate (vk_vmalloc)  back each absent window of the new mapping with a
 *                          page of 0xF8; share present ones as they are; then
 *                          the caller unpoisons exactly [p, p + size).
 *   poison   (vk_vfree)    the whole mapping goes back to 0xF8.
 *   release  (purge)       windows that lie wholly in free space are given
 *                          back, coalesced into runs, one OS call per run.
 *
 * The release rule.  A freed area [start, end) has just merged into the free
 * region [fs, fe).  Only windows wholly inside free space may go:
 *
 *        fs                start                        end            fe
 *        |                   |############ freed ##########|              |
 *   -----+----+--------+-----+--+--------+--------+-------+-+------+------+--
 *        |    :   W0   :        :   W1   :   W2   :         :  W3  :
 *             ^ round_up(fs)    ^ round_up(start)  ^ round_down(end)
 *
 *   - round start up and end down: W1, W2 lie inside the freed area itself;
 *     the windows around start and end are shared with whatever lies beyond
 *     the area and are not touched on that ground alone;
 *   - widen by one window on each side when the merged free region covers it
 *     wholly: W0 (below) because round_up(fs) <= start of W0, and W3 (above)
 *     because round_down(fe) >= end of W3.  Widening is never needed by more
 *     than one window: a window further out does not touch this area, so if
 *     it is free it was released when its last occupant left.
 *
 * Upstream Linux (since 2024) releases each area with itself as the free
 * region, so W0 and W3 stay resident when neighbours leave one purge at a
 * time; option upstream_release=1 selects that rule for comparison.
 *
 * Releasing never allocates: a run is two words in the caller's batch.  The
 * presence bit is cleared before the page goes, so checks that consult the
 * bitmap see it absent first, and the OS call has returned before the arena
 * hands the range out again (the purge releases a window in the same hold
 * of the arena lock that found it wholly free, arena.c).
 */
#include "vk_internal.h"

#define BITS_PER_WORD (8 * sizeof(unsigned long))

/* The arena's bounds: defined here, below the arena, because every shadow
 * test needs them; arena.c publishes them once arena and shadow exist. */
uintptr_t vki_arena_base, vki_arena_end;
unsigned long *vki_shadow_present;
struct vki_shadow_stats vki_shadow_stats;

static uintptr_t base;  /* arena base: window 0 */
static size_t nwindows;

/* leak.c: this copy of the arena base is no reference to the first mapping. */
const uintptr_t *vki_shadow_base_var(void)
{
	return &base;
}

static inline size_t window_of(uintptr_t a)
{
	return (a - base) >> VKI_WINDOW_SHIFT;
}

static inline uintptr_t window_addr(size_t w)
{
	return base + ((uintptr_t)w << VKI_WINDOW_SHIFT);
}

static inline bool test_bit(size_t w)
{
	return (vki_shadow_present[w / BITS_PER_WORD] >> (w % BITS_PER_WORD)) & 1;
}

/* Release ordering: a reader that sees the bit sees the 0xF8 fill. */
static inline void set_bit(size_t w)
{
	__atomic_fetch_or(&vki_shadow_present[w / BITS_PER_WORD], 1UL << (w % BITS_PER_WORD),
			  __ATOMIC_RELEASE);
}

static inline void clear_bit(size_t w)
{
	__atomic_fetch_and(&vki_shadow_present[w / BITS_PER_WORD], ~(1UL << (w % BITS_PER_WORD)),
			   __ATOMIC_RELEASE);
}

int vki_shadow_init(uintptr_t arena_base, size_t arena_size)
{
	base = arena_base;
	nwindows = arena_size >> VKI_WINDOW_SHIFT;
	size_t shadow_len = arena_size >> VKI_GRANULE_SHIFT;
	if (!vki_os_reserve(vki_mem_to_shadow(arena_base), shadow_len, VKI_OS_RESERVE)) {
		vki_printf("vkasan: cannot reserve the arena's shadow at %p (%lu bytes): "
			   "the range is taken\n",
			   (void *)vki_mem_to_shadow(arena_base), (unsigned long)shadow_len);
		return -1;
	}
	size_t bitmap_len = VKI_ROUND_UP((nwindows + 7) / 8, VKI_PAGE_SIZE);
	vki_shadow_present = vki_os_map_anywhere(bitmap_len, VKI_OS_META);
	if (!vki_shadow_present) {
		vki_os_unmap((void *)vki_mem_to_shadow(arena_base), shadow_len);
		vki_printf("vkasan: cannot map the shadow presence bitmap\n");
		return -1;
	}
	return 0;
}

int vki_shadow_commit(uintptr_t start, uintptr_t end)
{
	return vki_os_commit(vki_mem_to_shadow(start), (end - start) >> VKI_GRANULE_SHIFT, true);
}

/* The counters are updated atomically: a big mapping's inner windows are
 * populated without the arena lock (arena.c, area_populate). */
static inline void stat_add(unsigned long *c, long n)
{
	__atomic_fetch_add(c, (unsigned long)n, __ATOMIC_RELAXED);
}

/* Back windows [w0, w1), all absent, filled with fill. */
static int populate_run(size_t w0, size_t w1, uint8_t fill)
{
	uintptr_t s = vki_mem_to_shadow(window_addr(w0));
	size_t len = (w1 - w0) * VKI_PAGE_SIZE;
	stat_add(&vki_shadow_stats.populate_calls, 1);
	if (vki_os_guard_remove(s, len, VKI_OS_POPULATE))
		return -1;
	if (w1 - w0 > 1) /* one call instead of a page fault per window */
		vki_os_prefault(s, len);
	vki_fill((void *)s, fill, len);
	for (size_t w = w0; w < w1; w++)
		set_bit(w);
	stat_add(&vki_shadow_stats.present, (long)(w1 - w0));
	stat_add(&vki_shadow_stats.populated_total, (long)(w1 - w0));
	return 0;
}

/* Give back windows [w0, w1), all present. */
static int release_run(size_t w0, size_t w1, unsigned long *pages)
{
	for (size_t w = w0; w < w1; w++)
		clear_bit(w);
	stat_add(&vki_shadow_stats.release_calls, 1);
	if (vki_os_guard_install(vki_mem_to_shadow(window_addr(w0)), (w1 - w0) * VKI_PAGE_SIZE,
				 VKI_OS_RELEASE)) {
		/* The pages are still there, still 0xF8: say so again. */
		for (size_t w = w0; w < w1; w++)
			set_bit(w);
		return -1;
	}
	stat_add(&vki_shadow_stats.present, -(long)(w1 - w0));
	stat_add(&vki_shadow_stats.released_total, (long)(w1 - w0));
	*pages += w1 - w0;
	return 0;
}

int vki_shadow_populate(uintptr_t start, uintptr_t end)
{
	size_t w0 = window_of(start), w1 = window_of(end - 1) + 1;
	size_t done[8][2]; /* runs backed by this call, to undo on failure */
	unsigned ndone = 0;
	for (size_t w = w0; w < w1;) {
		if (test_bit(w)) {
			w++;
			continue;
		}
		size_t r = w;
		while (r < w1 && !test_bit(r))
			r++;
		if (populate_run(w, r, VKI_SHADOW_VMALLOC_INVALID)) {
			/* Those windows were absent before this call, so no other
			 * mapping uses them: give them back. */
			unsigned long pages = 0;
			bool lost = ndone > sizeof(done) / sizeof(done[0]);
			for (unsigned i = 0; i < ndone && !lost; i++)
				lost = release_run(done[i][0], done[i][1], &pages) != 0;
			if (lost)
				__atomic_store_n(&vki_shadow_stats.debt, true, __ATOMIC_RELAXED);
			return -1;
		}
		if (ndone < sizeof(done) / sizeof(done[0])) {
			done[ndone][0] = w;
			done[ndone][1] = r;
		}
		ndone++;
		w = r;
	}
	return 0;
}

/* A stack's lazily backed windows (arena.c): wholly inside one live
 * mapping, so they are born accessible.  The bit is set after the fill, so
 * a check that sees the window present never sees it poisoned. */
int vki_shadow_populate_accessible(uintptr_t start, uintptr_t end)
{
	size_t w1 = window_of(end - 1) + 1;
	for (size_t w = window_of(start); w < w1; w++)
		if (!test_bit(w) && populate_run(w, w + 1, 0))
			return -1;
	return 0;
}

void vki_shadow_unpoison(uintptr_t start, size_t size)
{
	uint8_t *s = (uint8_t *)vki_mem_to_shadow(start);
	vki_fill(s, 0, size >> VKI_GRANULE_SHIFT);
	if (size & (VKI_GRANULE - 1))
		s[size >> VKI_GRANULE_SHIFT] = (uint8_t)(size & (VKI_GRANULE - 1));
}

void vki_shadow_poison(uintptr_t start, uintptr_t end, uint8_t code)
{
	vki_fill((void *)vki_mem_to_shadow(start), code, (end - start) >> VKI_GRANULE_SHIFT);
}

bool vki_shadow_release_range(uintptr_t start, uintptr_t end, uintptr_t fs, uintptr_t fe,
			      uintptr_t *rs, uintptr_t *re)
{
	if (vki_opt.upstream_release) {
		fs = start;
		fe = end;
	}
	uintptr_t s = VKI_ROUND_UP(start, VKI_WINDOW_SIZE);
	uintptr_t e = VKI_ROUND_DOWN(end, VKI_WINDOW_SIZE);
	if (s != start && VKI_ROUND_UP(fs, VKI_WINDOW_SIZE) < s)
		s -= VKI_WINDOW_SIZE;
	if (e != end && VKI_ROUND_DOWN(fe, VKI_WINDOW_SIZE) > e)
		e += VKI_WINDOW_SIZE;
	*rs = s;
	*re = e;
	return s < e;
}

void vki_shadow_release_add(struct vki_release_batch *b, uintptr_t rs, uintptr_t re)
{
	if (b->run_start < b->run_end && rs <= b->run_end && re >= b->run_start) {
		if (rs < b->run_start)
			b->run_start = rs;
		if (re > b->run_end)
			b->run_end = re;
		return;
	}
	vki_shadow_release_flush(b);
	b->run_start = rs;
	b->run_end = re;
}

void vki_shadow_release_flush(struct vki_release_batch *b)
{
	if (b->run_start >= b->run_end)
		return;
	/* One OS call per run of present windows: absent ones in between (or
	 * uncommitted ones at the ends) are left alone. */
	size_t w = window_of(b->run_start), end = window_of(b->run_end);
	b->run_start = b->run_end = 0;
	while (w < end) {
		if (!test_bit(w)) {
			w++;
			continue;
		}
		size_t r = w;
		while (r < end && test_bit(r))
			r++;
		b->calls++;
		if (release_run(w, r, &b->pages)) {
			b->failures++;
			__atomic_store_n(&vki_shadow_stats.debt, true, __ATOMIC_RELAXED);
		}
		w = r;
	}
}

unsigned long vki_shadow_count_present(uintptr_t start, uintptr_t end)
{
	unsigned long n = 0;
	size_t w1 = window_of(end - 1) + 1;
	for (size_t w = window_of(start); w < w1; w++)
		n += test_bit(w);
	return n;
}

bool vki_shadow_peek(uintptr_t addr, uint8_t *out)
{
	if (!vki_in_arena(addr) || !vki_window_present(addr))
		return false;
	*out = *(volatile uint8_t *)vki_mem_to_shadow(addr);
	return true;
}

/* Test a long run of shadow bytes for non-zero, 64 bytes (512 bytes of
 * memory) per step: this is the cost of checking a large memcpy. */
VKI_NOINLINE bool vki_shadow_run_nonzero_long(const uint8_t *s, const uint8_t *e)
{
	while (s < e && ((uintptr_t)s & 7))
		if (*s++)
			return true;
	const uint64_t *w = (const uint64_t *)s;
	for (; (const uint8_t *)(w + 8) <= e; w += 8)
		if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
			return true;
	for (; (const uint8_t *)(w + 1) <= e; w++)
		if (*w)
			return true;
	for (s = (const uint8_t *)w; s < e; s++)
		if (*s)
			return true;
	return false;
}
