/*
 * test_threads.c - vk_vmalloc, vk_vfree and vk_purge from many threads at
 * once (issue 2, point 6).  Mappings are handed between threads through a
 * shared slot table, so frees happen on other threads than allocations;
 * every mapping's data and shadow are checked before it is freed (an
 * overlap or a lost unpoisoning shows up there).  Then the race the design
 * names: several threads populating the same fresh window at the same time,
 * each one's unpoisoning must survive the others'.
 */
#include "vtx.h"
#include <pthread.h>

enum { NTHREADS = 4, SLOTS = 512, OPS = 30000 };
static uintptr_t slots[SLOTS];
static long t_errors[NTHREADS];

static unsigned char pattern(uintptr_t p)
{
	return (unsigned char)((p >> 12) * 31 + 7);
}

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	uint64_t seed = 1000 + (uint64_t)id;
	long err = 0;
	for (int op = 0; op < OPS; op++) {
		uint64_t r = vtx_rand(&seed);
		if (r % 512 == 0) {
			vk_purge();
			continue;
		}
		int s = (int)((r >> 10) % SLOTS);
		uintptr_t p = __atomic_exchange_n(&slots[s], 0, __ATOMIC_ACQ_REL);
		if (p) {
			size_t n = vk_vmalloc_size((void *)p);
			if (n == 0) {
				err++;
				continue;
			}
			const unsigned char *b = (const unsigned char *)p;
			unsigned char want = pattern(p);
			for (size_t k = 0; k < n; k += 97)
				err += b[k] != want;
			err += b[n - 1] != want;
			err += vtx_check_live(p, n) != 0;
			vk_vfree((void *)p);
		} else {
			size_t n = (r >> 20) % 4 == 0 ? 1 + (r >> 24) % (5 * WIN)
						       : 1 + (r >> 24) % (2 * PG);
			void *q = (r >> 50) % 4 == 0 ? vk_vmalloc_aligned(n, 1UL << (12 + (r >> 52) % 6))
						     : vk_vmalloc(n);
			if (!q) {
				err++;
				continue;
			}
			err += vtx_check_live((uintptr_t)q, n) != 0;
			memset(q, pattern((uintptr_t)q), n);
			uintptr_t expected = 0;
			if (!__atomic_compare_exchange_n(&slots[s], &expected, (uintptr_t)q, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				vk_vfree(q); /* slot taken meanwhile */
		}
	}
	t_errors[id] = err;
	return NULL;
}

TEST(concurrent_alloc_free_purge)
{
	pthread_t th[NTHREADS];
	uint64_t p0 = vt_stats().purges;
	EXPECT_EQ(vk_set_option("lazy_max", "4194304"), 0); /* automatic purges too */
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(t_errors[i], 0);
	EXPECT(vt_stats().purges - p0 > 50);
	/* What is still in the slots is live and intact. */
	vk_purge();
	struct vtx_map live[SLOTS];
	size_t nlive = 0;
	long err = 0;
	for (int s = 0; s < SLOTS; s++)
		if (slots[s]) {
			live[nlive].p = slots[s];
			live[nlive].n = vk_vmalloc_size((void *)slots[s]);
			err += live[nlive].n == 0;
			err += vtx_check_live(live[nlive].p, live[nlive].n) != 0;
			nlive++;
		}
	EXPECT_EQ(err, 0);
	EXPECT_EQ(vt_stats().live_areas, nlive);
	long ideal;
	EXPECT_EQ(vtx_compare_ideal(live, nlive, &ideal), 0);
	EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)ideal);
	EXPECT_INVARIANTS();
	for (int s = 0; s < SLOTS; s++)
		if (slots[s]) {
			vk_vfree((void *)slots[s]);
			slots[s] = 0;
		}
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
	EXPECT_CLEAN();
}

/* ---- several threads populating the same fresh window ---- */

enum { RACERS = 4, ROUNDS = 3000 };
static pthread_barrier_t bar;
static uintptr_t got[RACERS];
static size_t race_size;
static long r_errors[RACERS];
static long not_shared, not_fresh;

static void *racer(void *arg)
{
	int id = (int)(long)arg;
	long err = 0;
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&bar);            /* window freshly purged */
		uintptr_t p = (uintptr_t)vk_vmalloc(race_size);
		got[id] = p;
		if (!p) {
			err++;
			pthread_barrier_wait(&bar);
			pthread_barrier_wait(&bar);
			pthread_barrier_wait(&bar);
			continue;
		}
		err += vtx_check_live(p, race_size) != 0; /* right after my unpoison */
		pthread_barrier_wait(&bar);            /* all allocated */
		err += vtx_check_live(p, race_size) != 0; /* survived the others */
		for (size_t k = 0; k < race_size; k += 512)
			((volatile char *)p)[k] = (char)id;
		pthread_barrier_wait(&bar);
		vk_vfree((void *)p);
		err += vtx_check_range(p, p + vtx_span(race_size), 0xF8) != 0;
		pthread_barrier_wait(&bar);            /* all freed */
		if (id == 0) {
			vk_purge();
			not_fresh += vki_window_present(vtx_base()) || vtx_os_present(vtx_base()) != 0;
		}
	}
	r_errors[id] = err;
	return NULL;
}

static void run_race(size_t size)
{
	pthread_t th[RACERS];
	pthread_barrier_init(&bar, NULL, RACERS);
	race_size = size;
	not_shared = not_fresh = 0;
	vk_purge();
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	uint64_t pop0 = vt_stats().shadow_pages_populated_total;
	/* glibc's stacks: arena stacks would take window 0 themselves. */
	EXPECT_EQ(vk_set_option("arena_stacks", "0"), 0);
	for (long i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, racer, (void *)i);
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(vk_set_option("arena_stacks", "1"), 0);
	pthread_barrier_destroy(&bar);
	for (int i = 0; i < RACERS; i++)
		EXPECT_EQ(r_errors[i], 0);
	EXPECT_EQ(not_fresh, 0);
	/* Exactly the windows needed were populated each round: no window
	 * was backed twice (which would have wiped a neighbour's bytes). */
	uint64_t per_round = (RACERS * vtx_span(size) + WIN - 1) / WIN;
	EXPECT_EQ(vt_stats().shadow_pages_populated_total - pop0, per_round * ROUNDS);
	EXPECT_CLEAN();
}

/* Four one-page mappings: all in window 0. */
TEST(same_window_one_page)
{
	run_race(PG);
}

/* Odd sizes: partial granules, mappings straddling window boundaries. */
TEST(same_window_straddling)
{
	run_race(3 * PG + 5); /* 4 x 16 KiB = 2 windows, each shared by two */
}

VT_MAIN()
