/*
 * verify.c - the expensive invariant walk behind vk_check_invariants().
 *
 * Tests and stress runs call it (or set verify_every=N to run it every N
 * purges).  It checks what the design promises, asking the OS rather than
 * trusting our own counters where it can:
 *
 *   - trees and accounting (arena.c: vki_arena_verify);
 *   - the set of backed shadow windows is exactly the set of windows that
 *     intersect a live or lazily freed mapping, by the presence bitmap AND by
 *     mincore() on the shadow range; inaccessible (PROT_NONE) pieces of the
 *     program's mmap mappings do not count, and read 0xF8 where backed;
 *   - shadow content: a live mapping of n bytes reads 0 for its first n / 8
 *     granules, n & 7 for a partial one, 0xF8 for the rest and its guard
 *     page; a lazily freed mapping, free space and cold (purged but still
 *     quarantined, arenaq.c) ranges are 0xF8 wherever backed.
 *     A mapping poisoned by hand (poison.c) may read 0xF7 or partial codes
 *     within its size; a vm_map_ram block is checked by vmap.c (each of its
 *     mappings accessible, everything else 0xF8); poison records disjoint.
 *
 * After a failed release (fault injection) wholly free windows may stay
 * backed until the next purge sweeps them, and the upstream release rule
 * keeps some by design; they are tolerated then, as long as they are still
 * all 0xF8.
 */
#include "vk_internal.h"

#include <string.h>

struct walk {
	unsigned char *expect; /* one byte per committed window: 1 = in use */
	size_t nwin;
	int bad;
};

static void note_bad(struct walk *w, const char *what, uintptr_t a, unsigned v)
{
	if (w->bad++ < 10)
		vki_printf("vkasan: invariant: %s at %p (value 0x%x)\n", what, (void *)a, v);
}

static void mark_mapping(const struct vki_area *a, void *ctx)
{
	struct walk *w = ctx;
	if (a->noshadow)
		return; /* an inaccessible (PROT_NONE) mmap piece needs no shadow */
	size_t w0 = (a->node.key - vki_arena_base) >> VKI_WINDOW_SHIFT;
	size_t w1 = (a->end - 1 - vki_arena_base) >> VKI_WINDOW_SHIFT;
	/* Shadow changed without the arena lock right now (a big mapping's
	 * inner windows being populated, a big freed one being poisoned, a
	 * purge releasing the inner windows of the areas it took): 3 = not
	 * judged.  Only windows wholly inside it: nobody shares them. */
	uintptr_t in_lo = VKI_ROUND_UP(a->node.key, VKI_WINDOW_SIZE);
	uintptr_t in_hi = VKI_ROUND_DOWN(a->end, VKI_WINDOW_SIZE);
	bool flight = a->populating || (a->state == VKI_AREA_LAZY && a->releasing);
	for (size_t i = w0; i <= w1 && i < w->nwin; i++) {
		uintptr_t wa = vki_arena_base + (i << VKI_WINDOW_SHIFT);
		/* A stack's inner windows are backed on first use: 2 = either. */
		w->expect[i] = flight && wa >= in_lo && wa + VKI_WINDOW_SIZE <= in_hi ? 3
			       : wa >= a->lazy_lo && wa < a->lazy_hi		   ? 2
										   : 1;
	}
}

/* Shadow bytes of [s, e) must all equal code, where their window is backed. */
static void expect_code(struct walk *w, uintptr_t s, uintptr_t e, uint8_t code, const char *what)
{
	for (uintptr_t a = s; a < e;) {
		uintptr_t wend = VKI_ROUND_DOWN(a, VKI_WINDOW_SIZE) + VKI_WINDOW_SIZE;
		if (wend > e)
			wend = e;
		if (vki_window_present(a)) {
			const uint8_t *p = (const uint8_t *)vki_mem_to_shadow(a);
			size_t n = (wend - a) >> VKI_GRANULE_SHIFT;
			for (size_t i = 0; i < n; i++)
				if (p[i] != code) {
					note_bad(w, what, a + (i << VKI_GRANULE_SHIFT), p[i]);
					break;
				}
		}
		a = wend;
	}
}

/* Inside a mapping poisoned by hand: any code the poisoning can leave. */
static void expect_user(struct walk *w, uintptr_t s, uintptr_t e)
{
	for (uintptr_t a = s; a < e; a += VKI_GRANULE) {
		uint8_t v;
		if (vki_shadow_peek(a, &v) && v != VKI_SHADOW_USER_POISON && v >= VKI_GRANULE) {
			note_bad(w, "poisoned mapping has a foreign code", a, v);
			return;
		}
	}
}

static void check_mapping(const struct vki_area *a, void *ctx)
{
	struct walk *w = ctx;
	uintptr_t s = a->node.key;
	if (a->state == VKI_AREA_LAZY && a->releasing)
		return; /* poisoned, or released by a purge, without the lock now */
	if (a->state == VKI_AREA_LAZY || a->noshadow) {
		expect_code(w, s, a->end, VKI_SHADOW_VMALLOC_INVALID, "freed mapping not poisoned");
		return;
	}
	if (a->owner == VKI_OWNER_SLAB || a->owner == VKI_OWNER_LARGE)
		return; /* the heap's: its objects' shadow is judged by vki_heap_verify;
			 * vmalloc and mmap mappings are live for their requested bytes */
	if (__atomic_load_n(&a->settling, __ATOMIC_ACQUIRE))
		return; /* vk_vmalloc is unpoisoning it right now, without the lock */
	if (a->owner == VKI_OWNER_STACK)
		return; /* a live stack: its frames' redzones (inline) and guard pages */
	if (a->owner == VKI_OWNER_VMAP) { /* a vm_map_ram block: vmap.c knows */
		int bad = vki_vmap_verify_area(s, a->end, a->size, a->poisoned);
		if (bad >= 0) {
			w->bad += bad;
			return;
		}
	}
	uintptr_t full = s + (a->size & ~(VKI_GRANULE - 1));
	if (a->poisoned) /* poisoned by hand: 0, 0xF7 or partial granules */
		expect_user(w, s, full);
	else
		expect_code(w, s, full, 0, "live mapping not accessible");
	uintptr_t tail = full;
	if (a->size & (VKI_GRANULE - 1)) {
		uint8_t v;
		if (vki_shadow_peek(full, &v) && v != (a->size & (VKI_GRANULE - 1)) &&
		    !(a->poisoned && (v == VKI_SHADOW_USER_POISON || v < (a->size & 7))))
			note_bad(w, "partial granule wrong", full, v);
		tail += VKI_GRANULE;
	}
	expect_code(w, tail, a->end, VKI_SHADOW_VMALLOC_INVALID, "mapping tail/guard not 0xF8");
}

static void check_free(const struct vki_area *a, void *ctx)
{
	struct walk *w = ctx;
	uintptr_t e = a->end < vki_arena_committed_end() ? a->end : vki_arena_committed_end();
	if (a->node.key < e)
		expect_code(w, a->node.key, e, VKI_SHADOW_VMALLOC_INVALID, "free space not 0xF8");
}

/* A cold range (arenaq.c) counts as free: 0xF8 where a neighbour keeps
 * its window backed. */
static void check_cold(uintptr_t s, uintptr_t e, void *ctx)
{
	struct walk *w = ctx;
	if (e > vki_arena_committed_end())
		e = vki_arena_committed_end();
	if (s < e)
		expect_code(w, s, e, VKI_SHADOW_VMALLOC_INVALID, "cold range not 0xF8");
}

int vki_verify_shadow(void)
{
	uintptr_t top = vki_arena_committed_end();
	struct walk w = { NULL, (top - vki_arena_base) >> VKI_WINDOW_SHIFT, 0 };
	unsigned long present = 0;
	if (!vki_opt.shadow) {
		for (size_t i = 0; i < w.nwin; i++)
			present += vki_window_present(vki_arena_base + (i << VKI_WINDOW_SHIFT));
		if (present || vki_shadow_stats.present)
			note_bad(&w, "shadow backed with shadow=0", vki_arena_base, (unsigned)present);
		return w.bad;
	}
	if (!w.nwin)
		return vki_shadow_stats.present != 0;
	size_t len = VKI_ROUND_UP(w.nwin * 2, VKI_PAGE_SIZE);
	w.expect = vki_os_map_anywhere(len, VKI_OS_RESERVE); /* not fault-injected */
	if (!w.expect) {
		vki_printf("vkasan: invariant walk: no memory for the walk\n");
		return 1;
	}
	unsigned char *resident = w.expect + w.nwin;
	vki_arena_for_each(VKI_EACH_MAPPING, mark_mapping, &w);
	if (vki_os_mincore(vki_mem_to_shadow(vki_arena_base), w.nwin * VKI_PAGE_SIZE, resident)) {
		vki_printf("vkasan: invariant walk: mincore failed on the shadow\n");
		w.bad++;
		vki_fill(resident, 0xff, w.nwin);
	}
	/* Windows backed but wholly free are legitimate after a failed release
	 * (swept at the next purge) and under the upstream rule (kept by
	 * design); check_free still requires them to read 0xF8. */
	bool debt = vki_shadow_stats.debt || vki_opt.upstream_release;
	unsigned long excess = 0; /* free but backed: set aside (release_delay) */
	for (size_t i = 0; i < w.nwin; i++) {
		uintptr_t a = vki_arena_base + (i << VKI_WINDOW_SHIFT);
		bool bit = vki_window_present(a);
		bool os = resident[i] & 1;
		present += bit;
		if (w.expect[i] == 3)
			continue; /* being changed without the lock (mark_mapping) */
		if (w.expect[i] == 1 && !bit)
			note_bad(&w, "window in use has no shadow", a, 0);
		else if (!w.expect[i] && bit && !debt && ++excess > vki_shadow_stats.deferred)
			note_bad(&w, "window not in use still has shadow", a, 1);
		if (bit != os && resident[i] != 0xff)
			note_bad(&w, bit ? "shadow page marked present but not resident"
					 : "shadow page resident but marked absent", a, os);
	}
	if (present != vki_shadow_stats.present && !vki_arena_in_flight())
		note_bad(&w, "present-shadow counter disagrees with the bitmap", vki_arena_base,
			 (unsigned)vki_shadow_stats.present);
	vki_arena_for_each(VKI_EACH_MAPPING, check_mapping, &w);
	vki_arena_for_each(VKI_EACH_FREE, check_free, &w);
	vki_coldq_for_each(check_cold, &w);
	vki_os_unmap(w.expect, len);
	return w.bad;
}

VKI_EXPORT int vk_check_invariants(void)
{
	vki_init();
	if (!vki_arena_base)
		return 0;
	int bad = vki_heap_verify(); /* takes the heap's locks, then the arena's */
	vki_arena_lock();
	bad += vki_arena_verify();
	bad += vki_verify_shadow();
	bad += vki_poison_verify();
	vki_arena_unlock();
	return bad;
}
