/*
 * test_purge_unlocked.c - the automatic purge gives freed data pages back
 * outside the arena lock (arena.c, purge_if_needed_unlock).  The ranges
 * stay lazy until the decommit returned, so no thread gets one before its
 * old data is gone: every vk_vzalloc reads zero, every mapping keeps its
 * own fill, and the invariants hold at every purge (verify_every=1) and
 * after the last.
 */
#include "vt.h"

#include <pthread.h>

enum { THREADS = 3, ROUNDS = 6000 };
static long errors[THREADS];

static void *churn(void *arg)
{
	long id = (long)arg;
	uint64_t r = 0x9E3779B97F4A7C15ULL * (uint64_t)(id + 1);
	for (int i = 0; i < ROUNDS; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		size_t n = (1 + r % 8) * 4096 - (r >> 8) % 100;
		unsigned char *p = vk_vzalloc(n);
		if (!p) {
			errors[id]++;
			continue;
		}
		for (size_t k = 0; k < n; k += 997)
			errors[id] += p[k] != 0;
		memset(p, 0xA0 + (int)id, n);
		sched_yield();
		for (size_t k = 0; k < n; k += 1499)
			errors[id] += p[k] != 0xA0 + id;
		vk_vfree(p);
	}
	return NULL;
}

TEST(threads_churn_with_unlocked_decommit)
{
	EXPECT_EQ(vk_set_option("lazy_max", "131072"), 0);
	EXPECT_EQ(vk_set_option("verify_every", "1"), 0);
	uint64_t p0 = vt_stats().purges;
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		EXPECT_EQ(errors[i], 0);
	EXPECT(vt_stats().purges - p0 > 100);
	vk_purge();
	EXPECT_EQ(vk_check_invariants(), 0);
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.shadow_pages, 0);
	EXPECT_EQ(s.lazy_areas, 0);
	EXPECT_EQ(vk_set_option("verify_every", "0"), 0);
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
}

VT_MAIN()
