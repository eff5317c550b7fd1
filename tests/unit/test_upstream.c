/*
 * test_upstream.c - option upstream_release=1 (the release rule of Linux
 * since 2024: each freed area is its own free region, no widening), set
 * before the runtime starts.  Windows shared by neighbours freed in separate
 * purges stay resident; windows wholly inside one freed area still go.
 * The exact rule (upstream_release=0, switched at run time) then cleans up.
 */
#include "vtx.h"

/* These tests place mappings at exact addresses where lowest fit reuses
 * freed space: without the address-space quarantine (test_quarantine.c
 * tests it; vmalloc_quarantine=0 is the old behaviour). */
__attribute__((constructor)) static void no_quarantine(void)
{
	vk_set_option("vmalloc_quarantine", "0");
}

VTX_OPTIONS("upstream_release=1")

TEST(option_in_effect)
{
	EXPECT(vki_opt.upstream_release);
	EXPECT_CLEAN();
}

/* Pure rule: no widening whatever the free region. */
TEST(rule_no_widening)
{
	const uintptr_t W = WIN, B = vki_arena_base + 8 * W;
	uintptr_t rs, re;
	EXPECT(!vki_shadow_release_range(B + 2 * PG, B + 4 * PG, B, B + W, &rs, &re));
	EXPECT(vki_shadow_release_range(B + 2 * PG, B + 3 * W + 2 * PG, B, B + 4 * W, &rs, &re));
	EXPECT_EQ(rs, B + W);
	EXPECT_EQ(re, B + 3 * W);
	EXPECT(vki_shadow_release_range(B, B + 2 * W, B - W, B + 3 * W, &rs, &re));
	EXPECT_EQ(rs, B);
	EXPECT_EQ(re, B + 2 * W);
}

/* Neighbours freed one per purge: their shared window stays resident. */
TEST(neighbours_separate_purges_stay)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG);
	uintptr_t b = (uintptr_t)vk_vmalloc(PG);
	uintptr_t big = (uintptr_t)vk_vmalloc(30 * PG); /* [16K, 140K): windows 0..4 */
	EXPECT_EQ(a, vtx_base());
	EXPECT_EQ(vtx_win(big + 31 * PG - 1), 4);
	EXPECT_EQ(vtx_os_total(), 5);
	vk_vfree((void *)a);
	vk_purge();
	vk_vfree((void *)b);
	vk_purge();
	/* window 0 still shared by big */
	EXPECT_EQ(vtx_os_present(a), 1);
	vk_vfree((void *)big);
	vk_purge();
	/* big's inner windows 1..3 go; 0 and 4 stay (nothing lives there) */
	unsigned char v[8];
	EXPECT_EQ(vtx_os_count(vtx_base(), 8, v), 2);
	EXPECT(v[0] && !v[1] && !v[2] && !v[3] && v[4]);
	EXPECT_EQ(vt_stats().shadow_pages, 2);
	EXPECT_EQ(vt_stats().live_areas, 0);
	/* The leftovers are still all 0xF8 (nothing accessible). */
	EXPECT_EQ(vtx_check_range(vtx_base(), vtx_base() + WIN, 0xF8), 0);
	EXPECT_EQ(vtx_check_range(vtx_base() + 4 * WIN, vtx_base() + 5 * WIN, 0xF8), 0);

	/* The exact rule at run time: a mapping in each leftover window, freed
	 * and purged, takes the window with it. */
	EXPECT_EQ(vk_set_option("upstream_release", "0"), 0);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG);
	uintptr_t d = (uintptr_t)vk_vmalloc_aligned(PG, 4 * WIN);
	EXPECT_EQ(c, vtx_base());
	EXPECT_EQ(d, vtx_base() + 4 * WIN);
	EXPECT_EQ(vt_stats().shadow_pages, 2); /* shared, not repopulated */
	vk_vfree((void *)c);
	vk_vfree((void *)d);
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("upstream_release", "1"), 0);
}

/*
 * Measure it: 256 one-page mappings (64 windows) freed one per purge in a
 * scattered order.  Upstream keeps nearly every window, the exact rule none.
 */
static long scattered_leftovers(void)
{
	enum { N = 256 };
	uintptr_t m[N];
	for (int i = 0; i < N; i++)
		m[i] = (uintptr_t)vk_vmalloc(PG);
	for (int k = 0; k < N; k++) {
		int i = (k * 37) % N; /* 37 is coprime with 256: a permutation */
		vk_vfree((void *)m[i]);
		vk_purge();
	}
	return vtx_os_count(vtx_base(), N / 4, NULL);
}

TEST(measure_upstream_vs_exact)
{
	long up = scattered_leftovers();
	EXPECT(up >= 32);
	EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)up);
	EXPECT_EQ(vk_set_option("upstream_release", "0"), 0);
	/* Cleanup with the exact rule: reuse every leftover window. */
	enum { N = 256 };
	uintptr_t m[N];
	for (int i = 0; i < N; i++)
		m[i] = (uintptr_t)vk_vmalloc(PG);
	for (int i = 0; i < N; i++)
		vk_vfree((void *)m[i]);
	EXPECT_CLEAN();
	long exact = scattered_leftovers();
	EXPECT_EQ(exact, 0);
	printf("  256 one-page mappings freed one per purge: %ld windows left (upstream), %ld (exact)\n",
	       up, exact);
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("upstream_release", "1"), 0);
}

VT_MAIN()
