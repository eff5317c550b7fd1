/*
 * test_hostile.c - hostile arguments on the default (1 TiB) arena: sizes 0,
 * SIZE_MAX and friends, sizes at and above the arena, bad alignments, frees
 * of pointers that are not live mappings.  Every call fails (or succeeds)
 * cleanly: NULL counted in alloc_failures, no accounting, range or shadow
 * left behind, invariants intact.  (Sizes just under the arena, which fit,
 * are in test_small_arena.c: here they would back 128 GiB of shadow.)
 */
#include "vtx.h"

struct snap {
	struct vk_stats s;
	long os;
};

static struct snap snap(void)
{
	struct snap x = { vt_stats(), vtx_os_total() };
	return x;
}

/* Nothing but alloc_failures (by fails) changed since a. */
static void expect_unchanged(struct snap a, uint64_t fails)
{
	struct snap b = snap();
	EXPECT_EQ(b.s.alloc_failures, a.s.alloc_failures + fails);
	EXPECT_EQ(b.s.live_areas, a.s.live_areas);
	EXPECT_EQ(b.s.live_bytes, a.s.live_bytes);
	EXPECT_EQ(b.s.lazy_areas, a.s.lazy_areas);
	EXPECT_EQ(b.s.free_regions, a.s.free_regions);
	EXPECT_EQ(b.s.shadow_pages, a.s.shadow_pages);
	EXPECT_EQ(b.s.shadow_pages_populated_total, a.s.shadow_pages_populated_total);
	EXPECT_EQ(b.s.arena_committed, a.s.arena_committed);
	EXPECT_EQ(b.os, a.os);
	EXPECT_INVARIANTS();
}

TEST(size_zero)
{
	void *keep = vk_vmalloc(PG); /* something live: state must not move */
	struct snap a = snap();
	EXPECT(vk_vmalloc(0) == NULL);
	EXPECT(vk_vzalloc(0) == NULL);
	EXPECT(vk_vmalloc_aligned(0, PG) == NULL);
	/* The header: alloc_failures counts "vk_vmalloc calls returning NULL". */
	expect_unchanged(a, 3);
	vk_vfree(keep);
	EXPECT_CLEAN();
}

TEST(sizes_that_overflow_or_exceed)
{
	void *keep = vk_vmalloc(PG);
	struct vk_stats s = vt_stats();
	const size_t arena = (size_t)s.arena_size;
	const size_t sizes[] = {
		SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4095, SIZE_MAX - 4096, SIZE_MAX - 8191,
		SIZE_MAX / 2, SIZE_MAX / 2 + 1, 1UL << 63, (1UL << 63) + 1,
		arena, arena + 1, arena - 4095, arena + 4096, 2 * arena,
		arena - 4096, /* fits only in an empty arena; keep is there */
	};
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	struct snap a = snap();
	for (int i = 0; i < NS; i++) {
		EXPECT(vk_vmalloc(sizes[i]) == NULL);
		EXPECT(vk_vzalloc(sizes[i]) == NULL);
		EXPECT(vk_vmalloc_aligned(sizes[i], PG) == NULL);
		EXPECT(vk_vmalloc_aligned(sizes[i], 1UL << 20) == NULL);
	}
	expect_unchanged(a, 4 * NS);
	/* With lazily freed space waiting, a failing request may purge
	 * (purge-and-retry) but must leave nothing else behind. */
	void *l = vk_vmalloc(3 * PG);
	vk_vfree(l);
	EXPECT(vk_vmalloc(arena) == NULL);
	EXPECT(vk_vmalloc(SIZE_MAX - 4095) == NULL);
	EXPECT_INVARIANTS();
	vk_vfree(keep);
	EXPECT_CLEAN();
}

TEST(bad_alignments)
{
	void *keep = vk_vmalloc(PG);
	struct vk_stats s = vt_stats();
	const size_t bad[] = {
		3, 5, 4095, 4097, 3 * 4096, 4096 + 8192, (1UL << 20) + 4096, SIZE_MAX,
		SIZE_MAX - 4095, (1UL << 63) + 1, 3UL << 40,
	};
	enum { NB = sizeof(bad) / sizeof(bad[0]) };
	struct snap a = snap();
	for (int i = 0; i < NB; i++)
		EXPECT(vk_vmalloc_aligned(PG, bad[i]) == NULL);
	/* Powers of two larger than the arena. */
	int huge = 0;
	for (int sh = 1; sh < 64; sh++)
		if ((1UL << sh) > s.arena_size) {
			EXPECT(vk_vmalloc_aligned(PG, 1UL << sh) == NULL);
			huge++;
		}
	EXPECT(huge > 0);
	expect_unchanged(a, NB + (uint64_t)huge);
	/* Align 0, and powers of two below a page: treated as a page (or
	 * refused); never misaligned, never a leak. */
	const size_t small[] = { 0, 1, 2, 8, 2048 };
	for (int i = 0; i < 5; i++) {
		void *p = vk_vmalloc_aligned(100, small[i]);
		if (p) {
			EXPECT_EQ((uintptr_t)p % PG, 0);
			EXPECT_EQ(vk_vmalloc_size(p), 100);
			EXPECT_EQ(vtx_check_live((uintptr_t)p, 100), 0);
			vk_vfree(p);
		}
	}
	vk_vfree(keep);
	EXPECT_CLEAN();
}

TEST(vfree_null_is_noop)
{
	void *keep = vk_vmalloc(PG);
	struct snap a = snap();
	unsigned long r0 = vki_report_count();
	vk_vfree(NULL);
	EXPECT_EQ(vki_report_count(), r0);
	expect_unchanged(a, 0);
	vk_vfree(keep);
	EXPECT_CLEAN();
}

/* Frees of things that are not live mappings: one report each, and the
 * arena is left exactly as it was. */
TEST(bad_frees_change_nothing)
{
	/* The reports go to a file next to the test binary, not the log. */
	char log[4096];
	ssize_t l = readlink("/proc/self/exe", log, sizeof(log) - 32);
	if (l > 0) {
		log[l] = 0;
		strcat(log, ".reports");
		EXPECT_EQ(vk_set_option("log_path", log), 0);
	}
	char *p = vk_vmalloc(3 * PG);
	char *q = vk_vmalloc(PG);
	vk_vfree(q); /* lazily freed */
	struct snap a = snap();
	int local;
	EXPECT_REPORT(vk_vfree(p + 1));        /* inside a live mapping */
	EXPECT_REPORT(vk_vfree(p + 3 * PG));   /* its guard page */
	EXPECT_REPORT(vk_vfree(q));            /* double free */
	EXPECT_REPORT(vk_vfree(&local));       /* not the arena's */
	EXPECT_REPORT(vk_vfree((void *)(vtx_base() + (1UL << 39)))); /* free space */
	expect_unchanged(a, 0);
	EXPECT_EQ(vtx_check_live((uintptr_t)p, 3 * PG), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)q, (uintptr_t)q + 2 * PG, 0xF8), 0);
	vk_vfree(p);
	vk_purge();
	EXPECT_REPORT(vk_vfree(q)); /* purged, still in the address-space quarantine */
	EXPECT_CLEAN();
	vk_set_option("halt_on_error", "1");
	vk_set_option("log_path", "stderr");
	/* The reports name the right bug types, in order. */
	if (l > 0) {
		char path[4200], line[512], types[8][32];
		int nt = 0;
		snprintf(path, sizeof(path), "%s.%d", log, (int)getpid());
		FILE *f = fopen(path, "r");
		EXPECT(f != NULL);
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "BUG: KASAN: ", 12) && nt < 8)
				sscanf(line + 12, "%31s", types[nt++]);
		if (f)
			fclose(f);
		unlink(path);
		static const char *want[] = { "invalid-free", "invalid-free", "double-free",
					      "invalid-free", "invalid-free", "double-free" };
		EXPECT_EQ(nt, 6);
		for (int i = 0; i < nt && i < 6; i++)
			EXPECT(!strcmp(types[i], want[i]));
	}
}

/* Sizes around page and granule boundaries all behave. */
TEST(boundary_sizes)
{
	long bad = 0;
	for (size_t k = 1; k <= 4; k++)
		for (int d = -9; d <= 9; d++) {
			size_t n = k * PG + (size_t)(long)d;
			void *p = vk_vmalloc(n);
			bad += !p;
			if (!p)
				continue;
			bad += vk_vmalloc_size(p) != n;
			bad += vtx_check_live((uintptr_t)p, n) != 0;
			memset(p, 0xEE, n);
			vk_vfree(p);
		}
	EXPECT_EQ(bad, 0);
	EXPECT_CLEAN();
}

VT_MAIN()
