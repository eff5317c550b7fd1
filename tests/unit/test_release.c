/*
 * test_release.c - the release rule (docs/DESIGN.md §3.4).
 *
 * Pure rule: vki_shadow_release_range(start, end, fs, fe) must give exactly
 * the windows that touch the freed mapping [start, end) and lie wholly inside
 * the free region [fs, fe) it merged into.  The reference here enumerates
 * windows one by one (no rounding tricks), over every page-aligned layout of
 * three windows, plus hand-made cases.
 *
 * End to end: real mappings, freed in one or separate purges, checked with
 * mincore and the counters.
 */
#include "vtx.h"

/* Reference: first and last+1 window wholly in [fs, fe) touching [s, e). */
static bool ref_range(uintptr_t s, uintptr_t e, uintptr_t fs, uintptr_t fe,
		      uintptr_t *rs, uintptr_t *re)
{
	uintptr_t lo = 0, hi = 0;
	bool any = false;
	for (uintptr_t w = VKI_ROUND_DOWN(fs, WIN); w < fe; w += WIN) {
		bool inside = w >= fs && w + WIN <= fe;
		bool touches = w < e && w + WIN > s;
		if (inside && touches) {
			if (!any)
				lo = w;
			hi = w + WIN;
			any = true;
		}
	}
	*rs = lo;
	*re = hi;
	return any;
}

static long rule_mismatches;

static void check_rule(uintptr_t s, uintptr_t e, uintptr_t fs, uintptr_t fe)
{
	uintptr_t rs = 1, re = 1, xs, xe;
	bool got = vki_shadow_release_range(s, e, fs, fe, &rs, &re);
	bool want = ref_range(s, e, fs, fe, &xs, &xe);
	bool ok = got == want && (!want || (rs == xs && re == xe));
	if (!ok) {
		if (rule_mismatches < 8) {
			uintptr_t b = vki_arena_base;
			fprintf(stderr,
				"  release_range(start +%#lx, end +%#lx, fs +%#lx, fe +%#lx) = %d [+%#lx, +%#lx), want %d [+%#lx, +%#lx)\n",
				(unsigned long)(s - b), (unsigned long)(e - b),
				(unsigned long)(fs - b), (unsigned long)(fe - b), got,
				got ? (unsigned long)(rs - b) : 0, got ? (unsigned long)(re - b) : 0,
				want, want ? (unsigned long)(xs - b) : 0, want ? (unsigned long)(xe - b) : 0);
		}
		rule_mismatches++;
	}
}

/* Every page-aligned fs <= start < end <= fe within 4 windows. */
TEST(rule_exhaustive_pages)
{
	vki_init();
	uintptr_t b = vki_arena_base + 16 * WIN;
	const int P = (int)(WIN / PG); /* pages per window */
	const int max = 4 * P;
	rule_mismatches = 0;
	long cases = 0;
	for (int fs = 0; fs <= max; fs++)
		for (int s = fs; s < max; s++)
			for (int e = s + 1; e <= max; e++)
				for (int fe = e; fe <= max; fe++) {
					check_rule(b + s * PG, b + e * PG, b + fs * PG, b + fe * PG);
					cases++;
				}
	EXPECT_EQ(cases, 52360);
	EXPECT_EQ(rule_mismatches, 0);
}

/* Big, random layouts far apart, incl. the arena's first window. */
TEST(rule_random_large)
{
	vki_init();
	uint64_t seed = 99;
	rule_mismatches = 0;
	for (int i = 0; i < 200000; i++) {
		uintptr_t b = vki_arena_base + (vtx_rand(&seed) % 4) * (1UL << 30);
		uintptr_t fs = b + (vtx_rand(&seed) % 4096) * PG;
		uintptr_t s = fs + (vtx_rand(&seed) % 3 ? (vtx_rand(&seed) % 64) * PG : 0);
		uintptr_t e = s + (1 + vtx_rand(&seed) % 200) * PG;
		uintptr_t fe = e + (vtx_rand(&seed) % 3 ? (vtx_rand(&seed) % 64) * PG : 0);
		check_rule(s, e, fs, fe);
	}
	EXPECT_EQ(rule_mismatches, 0);
}

/* The cases the design names, spelled out (W = window, p = page). */
TEST(rule_hand_made)
{
	vki_init();
	const uintptr_t W = WIN, B = vki_arena_base + 8 * W;
	uintptr_t rs, re;

	/* Aligned start and end, no widening needed: exactly [start, end). */
	EXPECT(vki_shadow_release_range(B, B + 3 * W, B, B + 3 * W, &rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + 3 * W);
	/* Freed space alone, both ends unaligned, neighbours live: only the
	 * windows wholly inside (start up, end down). */
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + 3 * W + 2 * PG, B + 2 * PG,
					B + 3 * W + 2 * PG, &rs, &re));
	EXPECT_EQ(rs, B + W);
	EXPECT_EQ(re, B + 3 * W);
	/* Same, merged into free space reaching the window starts below and
	 * the window end above: widened by one window on each side. */
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + 3 * W + 2 * PG, B,
					B + 4 * W, &rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + 4 * W);
	/* Free space below reaches only into the lower window (fs unaligned,
	 * above its start): no widening there. */
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + 3 * W, B + PG, B + 3 * W, &rs, &re));
	EXPECT_EQ(rs, B + W);
	EXPECT_EQ(re, B + 3 * W);
	/* Far-reaching free space widens by one window only. */
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + W + 2 * PG, B - 5 * W, B + 9 * W,
					&rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + 2 * W);
	/* Small mapping inside one window, neighbours live: nothing. */
	EXPECT(!vki_shadow_release_range(B + 2 * PG, B + 4 * PG, B + 2 * PG, B + 4 * PG,
					 &rs, &re));
	/* Small mapping, free space covers the window's lower part only. */
	EXPECT(!vki_shadow_release_range(B + 2 * PG, B + 4 * PG, B, B + 4 * PG, &rs, &re));
	/* ... and upper part only. */
	EXPECT(!vki_shadow_release_range(B + 2 * PG, B + 4 * PG, B + 2 * PG, B + W, &rs, &re));
	/* ... and the whole window: released. */
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + 4 * PG, B, B + W, &rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + W);
	/* Mapping ending exactly on a boundary, free space continuing above:
	 * nothing above is added (that window is not the mapping's). */
	EXPECT(vki_shadow_release_range(B + W, B + 2 * W, B + W, B + 5 * W, &rs, &re));
	EXPECT_EQ(rs, B + W);
	EXPECT_EQ(re, B + 2 * W);
	/* Mapping crossing one boundary, both partial windows shared: none. */
	EXPECT(!vki_shadow_release_range(B + W - 2 * PG, B + W + 2 * PG, B + W - 2 * PG,
					 B + W + 2 * PG, &rs, &re));
	/* Same with the lower side wholly free: the lower window only. */
	EXPECT(vki_shadow_release_range(B + W - 2 * PG, B + W + 2 * PG, B, B + W + 2 * PG,
					&rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + W);
	/* The arena's very first window. */
	uintptr_t A = vki_arena_base;
	EXPECT(vki_shadow_release_range(A, A + 2 * PG, A, A + 64 * W, &rs, &re));
	EXPECT_EQ(rs, A);
	EXPECT_EQ(re, A + W);
}

/* ------------------------------------------------------------------ e2e */

static long present_windows(size_t nwin, unsigned char *v)
{
	return vtx_os_count(vtx_base(), nwin, v);
}

/* Freed next to a live neighbour: kept; neighbour freed in a later purge:
 * the widening releases it. */
TEST(e2e_neighbour_freed_later)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG); /* [0, 8K)  */
	uintptr_t b = (uintptr_t)vk_vmalloc(PG); /* [8K, 16K) */
	EXPECT_EQ(a, vtx_base());
	EXPECT_EQ(vtx_os_total(), 1);
	vk_vfree((void *)a);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vt_stats().shadow_pages, 1);
	EXPECT_EQ(vtx_check_live(b, PG), 0);
	EXPECT_INVARIANTS();
	struct vk_stats s0 = vt_stats();
	vk_vfree((void *)b);
	vk_purge();
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_EQ(s1.shadow_pages, 0);
	EXPECT_EQ(s1.shadow_pages_released_total, s0.shadow_pages_released_total + 1);
	EXPECT_CLEAN();
}

/* The other direction: the upper one goes first. */
TEST(e2e_lower_neighbour_freed_later)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG);
	uintptr_t b = (uintptr_t)vk_vmalloc(PG);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG);
	vk_vfree((void *)b);
	vk_vfree((void *)c);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	vk_vfree((void *)a);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_CLEAN();
}

/* Middle one freed last: widening on both sides into merged space. */
TEST(e2e_middle_freed_last)
{
	uintptr_t m[4];
	for (int i = 0; i < 4; i++)
		m[i] = (uintptr_t)vk_vmalloc(PG); /* four in window 0 */
	uintptr_t x = (uintptr_t)vk_vmalloc(PG); /* window 1 */
	EXPECT_EQ(vtx_win(m[3]), 0);
	EXPECT_EQ(vtx_win(x), 1);
	vk_vfree((void *)m[0]);
	vk_purge();
	vk_vfree((void *)m[3]);
	vk_purge();
	vk_vfree((void *)m[1]);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 2);
	EXPECT_INVARIANTS();
	vk_vfree((void *)m[2]);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vtx_os_present(x), 1);
	EXPECT_EQ(vtx_os_present(m[0]), 0);
	EXPECT_EQ(vtx_check_live(x, PG), 0);
	EXPECT_INVARIANTS();
	vk_vfree((void *)x);
	EXPECT_CLEAN();
}

/* A multi-window mapping between two one-page neighbours. */
TEST(e2e_multi_window)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG);      /* [0, 8K): window 0 */
	uintptr_t b = (uintptr_t)vk_vmalloc(40 * PG); /* [8K, 172K): windows 0..5 */
	uintptr_t c = (uintptr_t)vk_vmalloc(PG);      /* [172K, 180K): window 5 */
	EXPECT_EQ(vtx_win(b + 41 * PG - 1), 5);
	EXPECT_EQ(vtx_win(c), 5);
	unsigned char v[8];
	EXPECT_EQ(present_windows(8, v), 6);
	struct vk_stats s0 = vt_stats();
	vk_vfree((void *)b);
	vk_purge();
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(present_windows(8, v), 2);
	EXPECT(v[0] && !v[1] && !v[2] && !v[3] && !v[4] && v[5]);
	EXPECT_EQ(s1.shadow_pages_released_total - s0.shadow_pages_released_total, 4);
	EXPECT_EQ(s1.shadow_release_calls - s0.shadow_release_calls, 1); /* one run */
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_live(c, PG), 0);
	EXPECT_INVARIANTS();
	/* a goes: merged into [0, 172K), window 0 wholly free. */
	vk_vfree((void *)a);
	vk_purge();
	EXPECT_EQ(present_windows(8, v), 1);
	EXPECT(v[5]);
	/* c goes: merged with everything. */
	vk_vfree((void *)c);
	vk_purge();
	EXPECT_EQ(present_windows(8, v), 0);
	EXPECT_CLEAN();
}

/* Two mappings sharing a window, freed in the same purge: released. */
TEST(e2e_same_purge)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG);
	uintptr_t b = (uintptr_t)vk_vmalloc(PG);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG); /* stays, in window 0 */
	uintptr_t d = (uintptr_t)vk_vmalloc(5 * PG); /* [24K, 48K): windows 0,1 */
	uintptr_t e = (uintptr_t)vk_vmalloc(PG); /* [48K, 56K): window 1 */
	EXPECT_EQ(vtx_win(d), 0);
	EXPECT_EQ(vtx_win(e), 1);
	vk_vfree((void *)d);
	vk_vfree((void *)e);
	vk_purge();
	/* window 1 had only d and e: released though neither covered it. */
	EXPECT_EQ(vtx_os_present(vtx_base() + WIN), 0);
	EXPECT_EQ(vtx_os_present(e), 0);
	EXPECT_EQ(vtx_os_present(a), 1);
	vk_vfree((void *)a);
	vk_vfree((void *)b);
	vk_purge();
	EXPECT_EQ(vtx_os_present(a), 1); /* c lives */
	EXPECT_EQ(vtx_check_live(c, PG), 0);
	vk_vfree((void *)c);
	EXPECT_CLEAN();
}

/* Merged free regions: a window whose space was freed piecemeal over
 * several purges, the last piece in the middle of a long free region. */
TEST(e2e_merged_regions)
{
	enum { N = 40 };
	uintptr_t m[N];
	for (int i = 0; i < N; i++)
		m[i] = (uintptr_t)vk_vmalloc((size_t)(1 + i % 3) * PG);
	/* Free odd ones, purge; then even ones one per purge. */
	for (int i = 1; i < N; i += 2)
		vk_vfree((void *)m[i]);
	vk_purge();
	struct vtx_map live[N];
	for (int i = 0; i < N; i++) {
		live[i].p = i % 2 ? 0 : m[i];
		live[i].n = (size_t)(1 + i % 3) * PG;
	}
	long ideal;
	EXPECT_EQ(vtx_compare_ideal(live, N, &ideal), 0);
	EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)ideal);
	for (int i = 0; i < N; i += 2) {
		vk_vfree((void *)m[i]);
		live[i].p = 0;
		vk_purge();
		EXPECT_EQ(vtx_compare_ideal(live, N, &ideal), 0);
		EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)ideal);
	}
	EXPECT_CLEAN();
}

/* One purge, many released windows in two runs: one call per run. */
TEST(e2e_batched_runs)
{
	enum { N = 16 };
	uintptr_t m[N];
	for (int i = 0; i < N; i++)
		m[i] = (uintptr_t)vk_vmalloc(7 * PG); /* exactly one window each */
	uintptr_t keep = (uintptr_t)vk_vmalloc(7 * PG);
	uintptr_t n2[N];
	for (int i = 0; i < N; i++)
		n2[i] = (uintptr_t)vk_vmalloc(7 * PG);
	EXPECT_EQ(m[0] % WIN, 0);
	EXPECT_EQ(vtx_os_total(), 2 * N + 1);
	struct vk_stats s0 = vt_stats();
	for (int i = 0; i < N; i++) {
		vk_vfree((void *)m[i]);
		vk_vfree((void *)n2[N - 1 - i]);
	}
	vk_purge();
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.shadow_pages_released_total - s0.shadow_pages_released_total, 2 * N);
	EXPECT_EQ(s1.shadow_release_calls - s0.shadow_release_calls, 2);
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vtx_check_live(keep, 7 * PG), 0);
	vk_vfree((void *)keep);
	EXPECT_CLEAN();
}

/* A released window reads as absent (not zero) and comes back filled
 * with 0xF8 when a new mapping needs it. */
TEST(e2e_released_then_repopulated)
{
	vtx_quarantine_off(); /* b must land where a was */
	uintptr_t a = (uintptr_t)vk_vmalloc(10 * PG);
	vk_vfree((void *)a);
	vk_purge();
	EXPECT(!vki_window_present(a));
	uint8_t v;
	EXPECT(!vki_shadow_peek(a, &v));
	EXPECT_EQ(vtx_os_present(a), 0);
	uintptr_t b = (uintptr_t)vk_vmalloc(3);
	EXPECT_EQ(b, a);
	EXPECT_EQ(vtx_check_live(b, 3), 0);
	/* the rest of the window: 0xF8, not stale zeros of the old mapping */
	EXPECT_EQ(vtx_check_range(b + 2 * PG, VKI_ROUND_UP(b + 1, WIN), 0xF8), 0);
	vk_vfree((void *)b);
	EXPECT_CLEAN();
	vtx_quarantine_on();
}

VT_MAIN()
