/*
 * test_lockhold.c - short arena-lock holds (issue 15, item 2) keep the
 * seed's ordering.  A purge is many short holds (its guard markers and data
 * pages go without the lock); a big mapping populates its inner windows
 * without the lock, a big free poisons without it.  What must still hold:
 *
 *   - no range is handed out before its decommit returned: every vk_vzalloc
 *     reads zero, every mapping keeps its own fill while the others churn;
 *   - no shadow window of a live mapping is released, none is populated
 *     and released out of order: every live mapping reads accessible (no
 *     report, no fault) while neighbours sharing its windows come and go;
 *   - the invariant walk passes at every purge (verify_every=1) and from
 *     another thread meanwhile, and after vk_purge the resident shadow is
 *     exactly the windows in use (mincore);
 *   - a stale access into a freed big mapping is still reported.
 */
#include "vtx.h"

#include <pthread.h>
#include <sys/mman.h>

/* A purge of many lazy areas is many holds: with PURGE_AREAS = 64 areas a
 * hold at most, 20,000 one-page mappings take at least 20000 / 64. */
TEST(purge_is_split_into_short_holds)
{
	enum { N = 20000 };
	static void *p[N];
	EXPECT_EQ(vk_set_option("lazy_max", "1073741824"), 0); /* no automatic purge */
	for (int i = 0; i < N; i++)
		p[i] = vk_vmalloc(PG);
	for (int i = 0; i < N; i++)
		vk_vfree(p[i]);
	EXPECT_EQ(vt_stats().lazy_areas, N);
	EXPECT_EQ(vk_set_option("lock_stats", "1"), 0);
	uint64_t h0 = vki_arena_lock_holds();
	vk_purge();
	uint64_t h1 = vki_arena_lock_holds();
	EXPECT_EQ(vk_set_option("lock_stats", "0"), 0);
	EXPECT(h1 - h0 >= N / 64);
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
	EXPECT_CLEAN();
}

/*
 * Two threads allocate and free neighbouring mappings (lowest fit packs
 * them, so they share windows), small ones and now and then a big one
 * (unlocked populate: 768 KiB, 24 inner windows) or a bigger one (unlocked
 * poison at free: 1.5 MiB), while purges run: automatic ones (lazy_max
 * 256 KiB) and thread 0's vk_purge every 32 rounds.
 */
enum { THREADS = 2, ROUNDS = 1500, KEEP = 6 };
static long errors[THREADS];

static size_t pick_size(uint64_t *r)
{
	uint64_t x = vtx_rand(r);
	if (x % 29 == 0)
		return 1536 * 1024;
	if (x % 23 == 0)
		return 768 * 1024 - 100;
	return (size_t)(1 + (x >> 8) % 3) * PG - (x >> 16) % 500;
}

static void *churn(void *arg)
{
	long id = (long)arg;
	uint64_t r = 0x9E3779B97F4A7C15ULL * (uint64_t)(id + 7);
	unsigned char *live[KEEP] = { 0 };
	size_t len[KEEP] = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % KEEP;
		if (live[k]) {
			for (size_t j = 0; j < len[k]; j += 1021)
				errors[id] += live[k][j] != (unsigned char)(0x40 + id + k);
			errors[id] += vk_region_is_poisoned(live[k], len[k]) != NULL;
			vk_vfree(live[k]);
		}
		len[k] = pick_size(&r);
		live[k] = vk_vzalloc(len[k]);
		if (!live[k]) {
			errors[id]++;
			continue;
		}
		for (size_t j = 0; j < len[k]; j += 997)
			errors[id] += live[k][j] != 0;
		errors[id] += vk_region_is_poisoned(live[k], len[k]) != NULL;
		memset(live[k], 0x40 + (int)id + k, len[k]);
		if (id == 0 && i % 32 == 31)
			vk_purge();
	}
	for (int k = 0; k < KEEP; k++)
		vk_vfree(live[k]);
	return NULL;
}

/* A third thread runs the invariant walk meanwhile: it meets purges,
 * populates and poisons in their unlocked parts. */
static volatile int churning;
static long walk_bad, walks;

static void *walker(void *arg)
{
	(void)arg;
	while (churning) {
		walk_bad += vk_check_invariants() != 0;
		walks++;
		usleep(500);
	}
	return NULL;
}

static void run_churn(const char *release_delay)
{
	EXPECT_EQ(vk_set_option("release_delay", release_delay), 0);
	EXPECT_EQ(vk_set_option("lazy_max", "262144"), 0);
	EXPECT_EQ(vk_set_option("verify_every", "1"), 0);
	unsigned long r0 = vki_report_count();
	uint64_t p0 = vt_stats().purges;
	pthread_t t[THREADS], w;
	churning = 1;
	walk_bad = walks = 0;
	pthread_create(&w, NULL, walker, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	churning = 0;
	pthread_join(w, NULL);
	EXPECT_EQ(walk_bad, 0);
	EXPECT(walks > 0);
	for (int i = 0; i < THREADS; i++) {
		EXPECT_EQ(errors[i], 0);
		errors[i] = 0;
	}
	EXPECT_EQ(vki_report_count(), r0);
	EXPECT(vt_stats().purges - p0 > 50);
	EXPECT_EQ(vk_set_option("verify_every", "0"), 0);
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
	EXPECT_EQ(vk_set_option("release_delay", "4"), 0);
	EXPECT_CLEAN(); /* vk_purge, exact shadow (bitmap and mincore), no leak */
}

TEST(neighbours_share_windows_while_purging)
{
	run_churn("4");
}

TEST(neighbours_share_windows_while_purging_release_at_once)
{
	run_churn("0");
}

/* A big mapping (inner windows populated without the lock) is accessible
 * and its neighbours' shared windows intact; freed (poisoned without the
 * lock), a stale read is reported and the mapping is found freed. */
TEST(big_mapping_populated_and_poisoned_unlocked)
{
	uintptr_t a = (uintptr_t)vk_vmalloc(3 * PG);
	uintptr_t big = (uintptr_t)vk_vmalloc(8 << 20);
	uintptr_t b = (uintptr_t)vk_vmalloc(PG);
	EXPECT(a && big && b);
	EXPECT_EQ(vtx_check_live(a, 3 * PG), 0);
	EXPECT_EQ(vtx_check_live(big, 8 << 20), 0);
	EXPECT_EQ(vtx_check_live(b, PG), 0);
	EXPECT_INVARIANTS();
	vk_vfree((void *)big);
	EXPECT_EQ(vtx_check_range(big, big + (8 << 20) + PG, VKI_SHADOW_VMALLOC_INVALID), 0);
	EXPECT_REPORT(__asan_load8_noabort(big + (4 << 20)));
	struct vki_area_info ai;
	EXPECT(vki_arena_describe(big + (4 << 20), &ai) && ai.state == VKI_AREA_LAZY);
	EXPECT_REPORT(vk_vfree((void *)big)); /* double free, still known */
	EXPECT_EQ(vtx_check_live(a, 3 * PG), 0);
	EXPECT_EQ(vtx_check_live(b, PG), 0);
	EXPECT_INVARIANTS();
	vk_vfree((void *)a);
	vk_vfree((void *)b);
	EXPECT_CLEAN();
}

/* The same through mmap.c: a big munmap'd mapping is poisoned (after the
 * lock, by vki_arena_purge_if_needed) before munmap returns. */
TEST(big_munmap_poisoned_before_return)
{
	char *p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(p != MAP_FAILED);
	memset(p, 1, 4 << 20);
	EXPECT_EQ(munmap(p, 4 << 20), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + (4 << 20), VKI_SHADOW_VMALLOC_INVALID), 0);
	EXPECT_REPORT(__asan_load4_noabort((uintptr_t)p + (3 << 20)));
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

/* Populate fails in the unlocked part: NULL, the range back in free space,
 * no window left behind (ideal == resident), the neighbour intact. */
TEST(big_populate_failure_leaks_nothing)
{
	struct vtx_map keep[2] = { { (uintptr_t)vk_vmalloc(PG), PG, 0 }, { 0, 0, 0 } };
	int failures_seen = 0;
	for (long k = 1; k <= 40; k++) {
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(2 << 20);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!p) {
			failures_seen++;
			EXPECT(injected > 0);
		} else {
			keep[1].p = (uintptr_t)p;
			keep[1].n = 2 << 20;
			EXPECT_EQ(vtx_check_live((uintptr_t)p, 2 << 20), 0);
		}
		long ideal;
		EXPECT_EQ(vtx_compare_ideal(keep, p ? 2 : 1, &ideal), 0);
		EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)ideal);
		EXPECT_INVARIANTS();
		EXPECT_EQ(vtx_check_live(keep[0].p, PG), 0);
		if (p)
			vk_vfree(p);
		vk_purge();
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 1);
	vk_vfree((void *)keep[0].p);
	EXPECT_CLEAN();
}

VT_MAIN()
