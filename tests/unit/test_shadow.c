/*
 * test_shadow.c - shadow content (docs/DESIGN.md §3.1-3.2): after vk_vmalloc(n)
 * exactly [p, p + n) is accessible (partial last granule = n & 7), the rest
 * of the mapping and the rest of a fresh shadow page is 0xF8; neighbours
 * share a shadow page; vk_vfree poisons the whole mapping and nothing else.
 */
#include "vtx.h"

TEST(unpoison_exact_sizes)
{
	static const size_t sizes[] = {
		1, 2, 7, 8, 9, 15, 16, 17, 100, 2048 - 8 - 5, 4095, 4096, 4097,
		4104, 5000, 8191, 8192, 8193, 32767, 32768, 32769, 40000, 262144 + 3,
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uintptr_t p = (uintptr_t)vk_vmalloc(n);
		EXPECT(p != 0);
		if (!p)
			continue;
		EXPECT_EQ(vtx_check_live(p, n), 0);
		/* Every window of the mapping is backed, by the runtime's bitmap
		 * and by the OS. */
		for (uintptr_t a = VKI_ROUND_DOWN(p, WIN); a < p + vtx_span(n); a += WIN) {
			EXPECT(vki_window_present(a));
			EXPECT_EQ(vtx_os_present(a), 1);
		}
		/* Direct read agrees with vki_shadow_peek. */
		EXPECT_EQ(*(uint8_t *)vki_mem_to_shadow(p + n - 1), (n & 7) ? (n & 7) : 0);
		vk_vfree((void *)p);
		EXPECT_EQ(vtx_check_range(p, p + vtx_span(n), 0xF8), 0);
		vk_purge();
	}
	EXPECT_CLEAN();
}

/* A freshly backed shadow page reads 0xF8 everywhere but the mapping. */
TEST(fresh_page_filled_f8)
{
	uintptr_t p = (uintptr_t)vk_vmalloc(3 * PG + 3);
	EXPECT_EQ(p, vtx_base());
	const uint8_t *s = (const uint8_t *)vki_mem_to_shadow(VKI_ROUND_DOWN(p, WIN));
	long bad = 0;
	for (size_t i = 0; i < PG; i++) {
		uintptr_t a = VKI_ROUND_DOWN(p, WIN) + i * 8;
		int want = a + 8 <= p + 3 * PG + 3 ? 0 : a < p + 3 * PG + 3 ? 3 : 0xF8;
		bad += s[i] != want;
	}
	EXPECT_EQ(bad, 0);
	vk_vfree((void *)p);
	EXPECT_CLEAN();
}

/* Two one-page mappings in one 32 KiB window share one shadow page. */
TEST(neighbours_share_a_page)
{
	vtx_quarantine_off(); /* exact addresses of reused space */
	struct vk_stats s0 = vt_stats();
	uintptr_t a = (uintptr_t)vk_vmalloc(PG);
	struct vk_stats s1 = vt_stats();
	uintptr_t b = (uintptr_t)vk_vmalloc(100);
	struct vk_stats s2 = vt_stats();
	uintptr_t c = (uintptr_t)vk_vmalloc(PG - 1);
	uintptr_t d = (uintptr_t)vk_vmalloc(PG);
	struct vk_stats s3 = vt_stats();
	EXPECT_EQ(a, vtx_base());
	EXPECT_EQ(b, a + 2 * PG);
	EXPECT_EQ(vtx_win(a), vtx_win(d + 2 * PG - 1));
	EXPECT_EQ(s1.shadow_pages_populated_total, s0.shadow_pages_populated_total + 1);
	EXPECT_EQ(s2.shadow_pages_populated_total, s1.shadow_pages_populated_total);
	EXPECT_EQ(s3.shadow_pages_populated_total, s1.shadow_pages_populated_total);
	EXPECT_EQ(s3.shadow_pages, 1);
	EXPECT_EQ(vtx_os_total(), 1);
	/* Each one's unpoisoning intact after the others. */
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_live(b, 100), 0);
	EXPECT_EQ(vtx_check_live(c, PG - 1), 0);
	EXPECT_EQ(vtx_check_live(d, PG), 0);
	/* Free b: its whole mapping is 0xF8, the neighbours untouched. */
	vk_vfree((void *)b);
	EXPECT_EQ(vtx_check_range(b, b + 2 * PG, 0xF8), 0);
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_live(c, PG - 1), 0);
	EXPECT_EQ(vtx_check_live(d, PG), 0);
	vk_purge();
	/* Shared page kept: a, c, d are live. */
	EXPECT_EQ(vt_stats().shadow_pages, 1);
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_range(b, b + 2 * PG, 0xF8), 0);
	/* Reuse of b's range after the purge: its shadow unpoisoned again. */
	uintptr_t b2 = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(b2, b);
	EXPECT_EQ(vtx_check_live(b2, PG), 0);
	EXPECT_EQ(vt_stats().shadow_pages_populated_total, s1.shadow_pages_populated_total);
	vk_vfree((void *)a);
	vk_vfree((void *)b2);
	vk_vfree((void *)c);
	vk_vfree((void *)d);
	EXPECT_CLEAN();
	vtx_quarantine_on();
}

/* A mapping straddling windows shares the first and last pages with
 * neighbours and populates only the absent ones. */
TEST(straddling_mapping_populates_only_missing)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG); /* window 0 */
	struct vk_stats s0 = vt_stats();
	uintptr_t b = (uintptr_t)vk_vmalloc(19 * PG); /* [8K, 88K) = windows 0..2 */
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(b, a + 2 * PG);
	EXPECT_EQ(vtx_win(b + vtx_span(19 * PG) - 1), 2);
	EXPECT_EQ(s1.shadow_pages_populated_total - s0.shadow_pages_populated_total, 2);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG); /* [88K, 96K): window 2, shared */
	EXPECT_EQ(c, b + 20 * PG);
	struct vk_stats s2 = vt_stats();
	EXPECT_EQ(s2.shadow_pages_populated_total, s1.shadow_pages_populated_total);
	EXPECT_EQ(s2.shadow_pages, 3);
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_live(b, 19 * PG), 0);
	EXPECT_EQ(vtx_check_live(c, PG), 0);
	vk_vfree((void *)b);
	EXPECT_EQ(vtx_check_range(b, b + 20 * PG, 0xF8), 0);
	EXPECT_EQ(vtx_check_live(a, PG), 0);
	EXPECT_EQ(vtx_check_live(c, PG), 0);
	vk_vfree((void *)a);
	vk_vfree((void *)c);
	EXPECT_CLEAN();
}

/* Poison on free covers tail and guard too, and only this mapping: the
 * neighbour's first granule directly after the guard page stays 0. */
TEST(free_poisons_exactly_the_mapping)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(PG + 1);
	uintptr_t b = (uintptr_t)vk_vmalloc(1);
	EXPECT_EQ(b, a + 3 * PG);
	vk_vfree((void *)a);
	EXPECT_EQ(vtx_check_range(a, b, 0xF8), 0);
	EXPECT_EQ(vtx_shadow(b), 1);
	EXPECT_EQ(vtx_check_live(b, 1), 0);
	vk_vfree((void *)b);
	EXPECT_EQ(vtx_shadow(b), 0xF8);
	EXPECT_CLEAN();
}

/* shadow_pages counter agrees with the bitmap and with the OS. */
TEST(counters_agree_with_os)
{
	uintptr_t p[40];
	for (int i = 0; i < 40; i++)
		p[i] = (uintptr_t)vk_vmalloc((size_t)(i % 7 + 1) * 3000);
	struct vk_stats s = vt_stats();
	long os = vtx_os_total();
	EXPECT_EQ(s.shadow_pages, (uint64_t)os);
	EXPECT_EQ(vki_shadow_count_present(vtx_base(), vtx_base() + s.arena_committed), (uint64_t)os);
	EXPECT_EQ(s.shadow_pages, s.shadow_pages_populated_total - s.shadow_pages_released_total);
	for (int i = 0; i < 40; i++)
		vk_vfree((void *)p[i]);
	EXPECT_CLEAN();
}

/* The shadow of a window outside any mapping is absent (peek says so). */
TEST(absent_shadow_outside_mappings)
{
	uintptr_t far = vtx_base() + 64 * WIN;
	uint8_t v;
	EXPECT(!vki_shadow_peek(far, &v));
	EXPECT(!vki_window_present(far));
	EXPECT_EQ(vtx_os_present(far), 0);
}

VT_MAIN()
