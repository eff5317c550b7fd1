/*
 * alloc_bench.c - allocator throughput: the workloads of the kernel's
 * lib/test_vmalloc.c, rewritten for userspace and for any backend (see
 * bench.h).  One process runs one workload with 1..N threads and prints one
 * CSV line:
 *
 *   alloc,<workload>,<threads>,<label>,<ops>,<seconds>,<ops_per_s>,<failures>
 *
 * An "op" is one allocation and its free.  Only the loop is timed: set-up
 * (full_fit's fill, long_busy_list's busy list) happens before a barrier and
 * clean-up after the clock stops.  The loop count is split across threads
 * and a time cap stops a slow backend early (ops/s stays valid).
 *
 * usage: alloc_bench WORKLOAD THREADS LOOPS CAP_SECONDS LABEL
 */
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"

#define FIX_ALIGN (2 * 16384UL) /* twice x86_64's 16 KiB thread-stack alignment */
#define BUSY_LIST 15000         /* long_busy_list: one-page areas kept busy */

struct worker {
	pthread_t tid;
	int index;
	long loops;        /* iterations this thread runs */
	long ops;          /* alloc/free pairs done */
	long failures;     /* allocations that returned NULL */
	double start, end; /* clock around the timed loop */
};

static int (*workload)(struct worker *w);
static double time_cap;
static pthread_barrier_t barrier;

/* Every workload writes to what it gets, as the kernel's tests do. */
static inline void touch(void *p)
{
	*(volatile uint8_t *)p = 1;
}

/* Called every iteration: true when the time cap has passed (checked rarely). */
static inline bool out_of_time(struct worker *w, long i)
{
	return (i & 15) == 15 && bench_now() - w->start > time_cap;
}

static void timed_begin(struct worker *w)
{
	pthread_barrier_wait(&barrier);
	w->start = bench_now();
}

/* fix_size: one page, write a byte, free. */
static int fix_size(struct worker *w)
{
	long i;

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		void *p = bench_alloc(BENCH_PAGE);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, BENCH_PAGE);
	}
	w->end = bench_now();
	w->ops = i;
	return 0;
}

static int fls_int(long x)
{
	return x ? 64 - __builtin_clzl((unsigned long)x) : 0;
}

/*
 * full_fit: fill fls(ncpus) x 32 MiB with one-page areas in pairs, free one
 * of each pair so that free space is a comb of one-area holes, then loop
 * one-page allocations that fit a hole exactly.
 */
static int full_fit(struct worker *w)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long n = fls_int(ncpu > 0 ? ncpu : 1) * (32L << 20) / (long)BENCH_PAGE;
	void **keep = calloc(n, sizeof(void *));
	void **junk = calloc(n, sizeof(void *));
	long i;

	if (!keep || !junk)
		bench_die("calloc");
	for (i = 0; i < n; i++) {
		keep[i] = bench_alloc(BENCH_PAGE);
		junk[i] = bench_alloc(BENCH_PAGE);
	}
	for (i = 0; i < n; i++)
		if (junk[i])
			bench_free(junk[i], BENCH_PAGE);

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		void *p = bench_alloc(BENCH_PAGE);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, BENCH_PAGE);
	}
	w->end = bench_now();
	w->ops = i;

	for (i = 0; i < n; i++)
		if (keep[i])
			bench_free(keep[i], BENCH_PAGE);
	free(keep);
	free(junk);
	return 0;
}

/*
 * long_busy_list: 15,000 one-page areas stay busy while the loop allocates a
 * 100-page and a 1-page area and frees both (two ops per iteration).
 */
static int long_busy_list(struct worker *w)
{
	void **busy = calloc(BUSY_LIST, sizeof(void *));
	long i;

	if (!busy)
		bench_die("calloc");
	for (i = 0; i < BUSY_LIST; i++)
		busy[i] = bench_alloc(BENCH_PAGE);

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		void *big = bench_alloc(100 * BENCH_PAGE);
		void *small = bench_alloc(BENCH_PAGE);

		if (!big || !small)
			w->failures++;
		if (big) {
			touch(big);
			bench_free(big, 100 * BENCH_PAGE);
		}
		if (small) {
			touch(small);
			bench_free(small, BENCH_PAGE);
		}
	}
	w->end = bench_now();
	w->ops = 2 * i;

	for (i = 0; i < BUSY_LIST; i++)
		if (busy[i])
			bench_free(busy[i], BENCH_PAGE);
	free(busy);
	return 0;
}

/* random_size: 1..100 pages. */
static int random_size(struct worker *w)
{
	uint64_t seed = 0x9E3779B97F4A7C15ULL * (w->index + 1);
	long i;

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		size_t size = (1 + bench_rand(&seed) % 100) * BENCH_PAGE;
		void *p = bench_alloc(size);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, size);
	}
	w->end = bench_now();
	w->ops = i;
	return 0;
}

/* fix_align: 5 pages aligned to twice the thread-stack alignment. */
static int fix_align(struct worker *w)
{
	long i;

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		void *p = bench_alloc_aligned(5 * BENCH_PAGE, FIX_ALIGN);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, 5 * BENCH_PAGE);
	}
	w->end = bench_now();
	w->ops = i;
	return 0;
}

/* random_size_align: alignment 1 << (rnd % 23), 1..10 pages. */
static int random_size_align(struct worker *w)
{
	uint64_t seed = 0xD1B54A32D192ED03ULL * (w->index + 1);
	long i;

	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		uint64_t r = bench_rand(&seed);
		size_t align = 1UL << (r % 23);
		size_t size = (1 + (r >> 8) % 10) * BENCH_PAGE;
		void *p = bench_alloc_aligned(size, align);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, size);
	}
	w->end = bench_now();
	w->ops = i;
	return 0;
}

/*
 * align_shift: one page at alignment 1 << k for every bit k of a long, over
 * and over.  The huge alignments must fail cleanly; failures are counted,
 * not errors.  One untimed pass first: the first 2^39-aligned page makes
 * vkasan grow its usable arena to 512 GiB, once (about 0.6 s here), which
 * would otherwise dominate a short run.
 */
static int align_shift(struct worker *w)
{
	long i;

	for (i = 0; i < (long)(8 * sizeof(long)); i++) {
		void *p = bench_alloc_aligned(BENCH_PAGE, 1UL << i);

		if (p)
			bench_free(p, BENCH_PAGE);
	}
	timed_begin(w);
	for (i = 0; i < w->loops && !out_of_time(w, i); i++) {
		size_t align = 1UL << (i % (8 * sizeof(long)));
		void *p = bench_alloc_aligned(BENCH_PAGE, align);

		if (!p) {
			w->failures++;
			continue;
		}
		touch(p);
		bench_free(p, BENCH_PAGE);
	}
	w->end = bench_now();
	w->ops = i;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct worker *w);
	bool failures_expected;
} workloads[] = {
	{ "fix_size", fix_size, false },
	{ "full_fit", full_fit, false },
	{ "long_busy_list", long_busy_list, false },
	{ "random_size", random_size, false },
	{ "fix_align", fix_align, false },
	{ "random_size_align", random_size_align, false },
	{ "align_shift", align_shift, true },
};

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	workload(w);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *ws;
	const char *label;
	long loops, ops = 0, failures = 0;
	int i, nthreads, which = -1;
	double start = 1e300, end = 0, secs;

	if (argc != 6) {
		fprintf(stderr, "usage: %s WORKLOAD THREADS LOOPS CAP_SECONDS LABEL\n", argv[0]);
		return 2;
	}
	for (i = 0; i < (int)(sizeof(workloads) / sizeof(workloads[0])); i++)
		if (!strcmp(argv[1], workloads[i].name))
			which = i;
	if (which < 0) {
		fprintf(stderr, "alloc_bench: unknown workload %s\n", argv[1]);
		return 2;
	}
	workload = workloads[which].fn;
	nthreads = atoi(argv[2]);
	loops = atol(argv[3]);
	time_cap = atof(argv[4]);
	label = argv[5];
	if (nthreads < 1 || loops < 1 || time_cap <= 0) {
		fprintf(stderr, "alloc_bench: bad arguments\n");
		return 2;
	}

	ws = calloc(nthreads, sizeof(*ws));
	if (!ws)
		bench_die("calloc");
	pthread_barrier_init(&barrier, NULL, nthreads);
	for (i = 0; i < nthreads; i++) {
		ws[i].index = i;
		ws[i].loops = (loops + nthreads - 1) / nthreads;
		if (pthread_create(&ws[i].tid, NULL, thread_main, &ws[i]))
			bench_die("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(ws[i].tid, NULL);
		ops += ws[i].ops;
		failures += ws[i].failures;
		if (ws[i].start < start)
			start = ws[i].start;
		if (ws[i].end > end)
			end = ws[i].end;
	}
	bench_quiesce();
	secs = end - start;
	if (failures && !workloads[which].failures_expected)
		fprintf(stderr, "alloc_bench: %s/%s: %ld allocations failed\n", label, argv[1],
			failures);
	printf("alloc,%s,%d,%s,%ld,%.6f,%.1f,%ld\n", argv[1], nthreads, label, ops, secs,
	       secs > 0 ? ops / secs : 0.0, failures);
	free(ws); /* the vk build's leak check at exit would report it */
	return 0;
}
