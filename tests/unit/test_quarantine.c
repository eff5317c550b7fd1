/*
 * test_quarantine.c - the arena's address-space quarantine (arenaq.c): a
 * purged mapping's range stays out of reuse ("cold") in a FIFO bounded by
 * vmalloc_quarantine bytes, without data or shadow of its own; stale
 * accesses and double frees there are reported as for a lazily freed
 * mapping.  A 64 MiB arena, so that running out of space is quick.
 */
#include "vtx.h"

#define ARENA (64UL << 20)
VTX_OPTIONS("arena_size=67108864")

__attribute__((constructor(103))) static void setup_log(void)
{
	vt_log_to("quarantine", "0");
}

static int describe(uintptr_t a, struct vki_area_info *ai)
{
	return vki_arena_describe(a, ai);
}

/* Purged ranges are not reused while they fit in the budget; past it the
 * oldest go back to free space first, and lowest fit takes them again. */
TEST(fifo_retirement)
{
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("vmalloc_quarantine", "32K"), 0); /* four 8 KiB ranges */
	uintptr_t m[6];
	for (int i = 0; i < 6; i++)
		m[i] = (uintptr_t)vk_vmalloc(PG);
	for (int i = 0; i < 6; i++) {
		EXPECT_EQ(m[i], vtx_base() + (uintptr_t)i * 2 * PG);
		vk_vfree((void *)m[i]);
	}
	vk_purge(); /* cooled in address order: m0 and m1 pushed out */
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.cold_areas, 4);
	EXPECT_EQ(s.cold_bytes, 4 * 2 * PG);
	EXPECT_EQ(s.cold_meta_bytes, PG); /* 32-byte records, one page touched */
	EXPECT_EQ(s.lazy_areas, 0);
	struct vki_area_info ai;
	EXPECT(!describe(m[0], &ai) && !describe(m[1], &ai)); /* free space */
	for (int i = 2; i < 6; i++) {
		EXPECT(describe(m[i] + 100, &ai));
		EXPECT_EQ(ai.state, VKI_AREA_LAZY);
		EXPECT_EQ(ai.start, m[i]);
		EXPECT_EQ(ai.size, PG);
		EXPECT_EQ(ai.owner, VKI_OWNER_VMALLOC);
	}
	EXPECT_INVARIANTS();
	/* Lowest fit: the retired ranges first, never a cold one. */
	uintptr_t a = (uintptr_t)vk_vmalloc(PG), b = (uintptr_t)vk_vmalloc(PG);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(a, m[0]);
	EXPECT_EQ(b, m[1]);
	EXPECT_EQ(c, m[5] + 2 * PG);
	/* One more range purged: m2, the oldest, is pushed out, m3 stays. */
	vk_vfree((void *)c);
	vk_purge();
	EXPECT(!describe(m[2], &ai));
	EXPECT(describe(m[3], &ai) && ai.state == VKI_AREA_LAZY);
	EXPECT_EQ((uintptr_t)vk_vmalloc(PG), m[2]);
	EXPECT_INVARIANTS();
	vk_vfree((void *)a);
	vk_vfree((void *)b);
	vk_vfree((void *)m[2]);
	vtx_quarantine_on();
	EXPECT_CLEAN();
}

/* vmalloc_quarantine=0: the old behaviour, the purged range is reused at once. */
TEST(off_reuses_at_once)
{
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("vmalloc_quarantine", "0"), 0);
	uintptr_t p = (uintptr_t)vk_vmalloc(PG);
	vk_vfree((void *)p);
	vk_purge();
	EXPECT_EQ(vt_stats().cold_areas, 0);
	struct vki_area_info ai;
	EXPECT(!describe(p, &ai));
	uintptr_t q = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(q, p);
	vk_vfree((void *)q);
	/* and on: the next purge keeps it */
	vtx_quarantine_on();
	vk_purge();
	EXPECT(describe(p, &ai) && ai.state == VKI_AREA_LAZY);
	void *r = vk_vmalloc(PG);
	EXPECT((uintptr_t)r != p);
	vk_vfree(r);
	EXPECT_CLEAN();
}

/*
 * Exactness with cold ranges (mincore): after vk_purge the resident shadow
 * is exactly the windows of live mappings, whatever cold ranges lie beside
 * them; a window shared by a cold range and a live mapping stays (0xF8
 * over the cold part) and goes with the live one's purge.
 */
TEST(exact_after_purge_with_cold)
{
	EXPECT_CLEAN();
	uintptr_t a = (uintptr_t)vk_vmalloc(PG), b = (uintptr_t)vk_vmalloc(PG);
	uintptr_t c = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(vtx_win(a), vtx_win(c)); /* one window, three mappings */
	vk_vfree((void *)b);
	vk_purge();
	EXPECT_EQ(vt_stats().cold_areas, 1);
	EXPECT_EQ(vtx_os_present(b), 1); /* a and c still live there */
	EXPECT_EQ(vtx_check_range(b, b + 2 * PG, 0xF8), 0);
	EXPECT_INVARIANTS();
	vk_vfree((void *)a);
	vk_purge();
	EXPECT_EQ(vtx_os_present(a), 1); /* c */
	vk_vfree((void *)c);
	vk_purge();
	EXPECT_EQ(vtx_os_present(a), 0); /* all three cold: released */
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_EQ(vt_stats().cold_areas, 3);
	EXPECT_INVARIANTS();

	/* A random workload: live set vs resident shadow after each purge. */
	enum { N = 200 };
	static struct vtx_map m[N];
	uint64_t seed = 99;
	long diffs = 0;
	for (int round = 0; round < 3000; round++) {
		int i = (int)(vtx_rand(&seed) % N);
		if (m[i].p) {
			vk_vfree((void *)m[i].p);
			m[i].p = 0;
		} else {
			m[i].n = 1 + vtx_rand(&seed) % (3 * WIN);
			m[i].p = (uintptr_t)vk_vmalloc(m[i].n);
			EXPECT(m[i].p != 0);
		}
		if (round % 37 == 0) {
			vk_purge();
			long ideal;
			diffs += vtx_compare_ideal(m, N, &ideal);
			diffs += vt_stats().shadow_pages != (uint64_t)ideal;
		}
	}
	EXPECT_EQ(diffs, 0);
	EXPECT(vt_stats().cold_areas > 100);
	EXPECT_INVARIANTS();
	for (int i = 0; i < N; i++)
		if (m[i].p)
			vk_vfree((void *)m[i].p);
	vk_purge();
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

/* The arena (64 MiB) fills with cold ranges: allocations retire them,
 * oldest first, instead of failing; even one as large as the arena
 * allows retires them all. */
TEST(lack_of_space_retires)
{
	EXPECT_CLEAN();
	uint64_t f0 = vt_stats().alloc_failures;
	for (int i = 0; i < 300; i++) { /* 300 MiB through a 64 MiB arena */
		void *p = vk_vmalloc(1 << 20);
		EXPECT(p != NULL);
		if (!p)
			break;
		((char *)p)[0] = 1;
		vk_vfree(p);
	}
	vk_purge();
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.alloc_failures, f0);
	EXPECT(s.cold_areas > 40); /* the arena is mostly cold */
	EXPECT(s.cold_bytes > ARENA / 2);
	EXPECT_INVARIANTS();
	void *big = vk_vmalloc(ARENA - 2 * PG);
	EXPECT(big != NULL);
	EXPECT_EQ(vt_stats().cold_areas, 0);
	EXPECT_EQ(vt_stats().alloc_failures, f0);
	EXPECT_INVARIANTS();
	vk_vfree(big);
	EXPECT_CLEAN();
}

/* A stale access and a second free of a cold mapping: use-after-free and
 * double-free with the mapping's own stacks; an interior pointer is an
 * invalid free. */
TEST(cold_reports)
{
	EXPECT_CLEAN();
	char *p = vk_vmalloc(3000);
	vk_vfree(p);
	vk_purge();
	EXPECT_EQ(vk_set_option("lazy_max", "1M"), 0);
	for (int i = 0; i < 3000; i++) /* 24 MiB, past 20 automatic purges */
		vk_vfree(vk_vmalloc(PG));
	EXPECT_EQ(vk_set_option("lazy_max", "32M"), 0);
	struct vki_area_info ai;
	EXPECT(describe((uintptr_t)p, &ai) && ai.state == VKI_AREA_LAZY && ai.size == 3000);
	EXPECT(vt_stats().purges > 20);
	off_t from = vt_log_size();
	EXPECT_REPORT(__asan_load1_noabort((uintptr_t)p + 10));
	char *t = vt_log_since(from);
	EXPECT(strstr(t, "BUG: KASAN: use-after-free in ") != NULL);
	EXPECT(strstr(t, "Freed by task ") != NULL);
	EXPECT(strstr(t, "freed 3000-byte region") != NULL);
	from = vt_log_size();
	EXPECT_REPORT(vk_vfree(p));
	t = vt_log_since(from);
	EXPECT(strstr(t, "BUG: KASAN: double-free in ") != NULL);
	from = vt_log_size();
	EXPECT_REPORT(vk_vfree(p + PG));
	t = vt_log_since(from);
	EXPECT(strstr(t, "BUG: KASAN: invalid-free in ") != NULL);
	/* a fork child sees the same records */
	pid_t pid = fork();
	if (pid == 0)
		_exit(describe((uintptr_t)p, &ai) && ai.size == 3000 ? 0 : 1);
	int st = -1;
	waitpid(pid, &st, 0);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

VT_MAIN()
