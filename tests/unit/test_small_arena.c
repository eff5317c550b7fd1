/*
 * test_small_arena.c - a 64 MiB arena (the minimum), fixed before the
 * runtime starts, with lazy_max so high that only running out of space
 * purges.  Checks purge-and-retry before failing for lack of space, sizes
 * at and just under the arena size, and clean failure when the arena is
 * really full.
 */
#include "vtx.h"

#define ARENA (64UL << 20)
VTX_OPTIONS("arena_size=67108864:lazy_max=1073741824")

enum { NPAGES = ARENA / (2 * 4096) }; /* one-page mappings that fit: 8192 */
static uintptr_t m[NPAGES + 1];

TEST(options_in_effect)
{
	EXPECT_EQ(vt_stats().arena_size, ARENA);
	EXPECT_EQ(vki_opt.lazy_max, 1UL << 30);
	EXPECT_CLEAN();
}

TEST(whole_arena_sizes)
{
	struct vk_stats s0 = vt_stats();
	EXPECT(vk_vmalloc(ARENA) == NULL);
	EXPECT(vk_vmalloc(ARENA - 4095) == NULL); /* + guard: one byte too many */
	EXPECT(vk_vmalloc(ARENA + 1) == NULL);
	EXPECT_EQ(vt_stats().alloc_failures, s0.alloc_failures + 3);
	EXPECT_CLEAN();
	/* Just under: exactly the arena with its guard page. */
	uintptr_t p = (uintptr_t)vk_vmalloc(ARENA - 4096);
	EXPECT_EQ(p, vtx_base());
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.free_regions, 0);
	EXPECT_EQ(s.shadow_pages, ARENA / WIN);
	EXPECT_EQ(vtx_os_total(), (long)(ARENA / WIN));
	if (p) {
		EXPECT_EQ(vtx_check_live(p, ARENA - 4096), 0);
		((volatile char *)p)[ARENA - 4097] = 1;
	}
	EXPECT_INVARIANTS();
	/* Full: anything else fails cleanly, even a page. */
	EXPECT(vk_vmalloc(1) == NULL);
	EXPECT_INVARIANTS();
	vk_vfree((void *)p);
	EXPECT_CLEAN();
	/* Same with the last byte of a partial granule. */
	p = (uintptr_t)vk_vmalloc(ARENA - 4096 - 3);
	EXPECT_EQ(p, vtx_base());
	EXPECT_EQ(vtx_shadow(p + ARENA - 4096 - 8), 5);
	vk_vfree((void *)p);
	EXPECT_CLEAN();
}

/* Fill the arena, free everything (no purge: lazy_max is 1 GiB), and the
 * next vmalloc succeeds only thanks to the internal purge. */
TEST(purge_and_retry)
{
	int n = 0;
	while (n <= NPAGES && (m[n] = (uintptr_t)vk_vmalloc(PG)))
		n++;
	EXPECT_EQ(n, NPAGES);
	struct vk_stats s0 = vt_stats();
	EXPECT_EQ(s0.free_regions, 0);
	EXPECT_EQ(s0.shadow_pages, ARENA / WIN);
	for (int i = 0; i < n; i++)
		vk_vfree((void *)m[i]);
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.purges, s0.purges); /* no purge yet */
	EXPECT_EQ(s1.lazy_areas, (uint64_t)n);
	EXPECT_EQ(s1.free_regions, 0);
	uintptr_t p = (uintptr_t)vk_vmalloc(PG);
	struct vk_stats s2 = vt_stats();
	EXPECT_EQ(p, vtx_base());
	EXPECT_EQ(s2.purges, s1.purges + 1);
	EXPECT_EQ(s2.alloc_failures, s1.alloc_failures);
	EXPECT_EQ(s2.lazy_areas, 0);
	EXPECT_EQ(s2.shadow_pages, 1); /* released all but p's window */
	EXPECT_EQ(vtx_os_total(), 1);
	EXPECT_EQ(vtx_check_live(p, PG), 0);
	EXPECT_INVARIANTS();
	vk_vfree((void *)p);
	EXPECT_CLEAN();
}

/* Same, with one request as large as the whole arena allows. */
TEST(purge_and_retry_large)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(ARENA / 2);
	uintptr_t b = (uintptr_t)vk_vmalloc(ARENA / 4);
	EXPECT(a && b);
	vk_vfree((void *)a);
	vk_vfree((void *)b);
	uint64_t p0 = vt_stats().purges;
	uintptr_t c = (uintptr_t)vk_vmalloc(ARENA - 4096);
	EXPECT_EQ(c, vtx_base());
	EXPECT_EQ(vt_stats().purges, p0 + 1);
	vk_vfree((void *)c);
	EXPECT_CLEAN();
}

/* The purge cannot help: holes too small.  NULL, counted, consistent. */
TEST(full_after_retry)
{
	for (int i = 0; i < NPAGES; i++)
		m[i] = (uintptr_t)vk_vmalloc(PG);
	for (int i = 0; i < NPAGES; i += 2)
		vk_vfree((void *)m[i]);
	struct vk_stats s0 = vt_stats();
	EXPECT(vk_vmalloc(PG + 1) == NULL); /* needs 12 KiB; holes are 8 KiB */
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + 1);
	EXPECT_EQ(s1.purges, s0.purges + 1); /* it tried */
	EXPECT_EQ(s1.free_regions, NPAGES / 2);
	EXPECT_EQ(s1.lazy_areas, 0);
	EXPECT_EQ(s1.shadow_pages, ARENA / WIN); /* every window keeps 2 live */
	EXPECT_INVARIANTS();
	/* A page still fits, lowest first. */
	uintptr_t p = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(p, m[0]);
	vk_vfree((void *)p);
	/* Aligned requests larger than the arena, or no fitting hole. */
	EXPECT(vk_vmalloc_aligned(PG, 2 * ARENA) == NULL);
	EXPECT(vk_vmalloc_aligned(PG, ARENA) == NULL);
	for (int i = 1; i < NPAGES; i += 2)
		vk_vfree((void *)m[i]);
	EXPECT_CLEAN();
}

VT_MAIN()
