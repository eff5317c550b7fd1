/*
 * shadow_bench.c - resident shadow memory, measured from the OS.
 *
 * Built two ways (see bench.h):
 *   -DBENCH_VK     vk_vmalloc; resident shadow = pages of the arena's shadow
 *                  range that mincore() says are present.  Also computes
 *                  from the addresses it holds the "ideal" (32 KiB windows
 *                  that intersect a live mapping, guard page included: after
 *                  a purge nothing is lazily freed) and "unshared" (what one
 *                  shadow page per mapping would cost: every mapping rounded
 *                  to whole windows of its own).  Run it again with
 *                  VKASAN_OPTIONS=upstream_release=1 for the upstream rule.
 *   -DBENCH_MALLOC with -fsanitize=address: the same pattern with malloc;
 *                  resident shadow = Rss of AddressSanitizer's shadow
 *                  mappings in /proc/self/smaps, minus what it was at start.
 *
 * Scenarios: pagesN - COUNT mappings of N pages, then every other one
 * freed, then the rest; churn - COUNT mappings of 1..4 pages, then rounds
 * that each free 30% of the live ones at random and allocate 10% of COUNT
 * anew, so neighbours are freed one by one in different purges; then all
 * freed.  After every step: purge, measure, print
 *
 *   shadow,<scenario>,<point>,<label>,<live>,<resident_kib>,<ideal_kib>,<unshared_kib>
 *
 * (ideal and unshared empty for AddressSanitizer).  The program only
 * measures; the runner compares resident with ideal.
 *
 * Scenario run - resident shadow over a run, with no explicit purge: RUN_LIVE
 * mappings of 1..64 pages, then COUNT ops that each free a random one and
 * allocate a new one of a random size (automatic purges only, at lazy_max).
 * Every COUNT/RUN_SAMPLES ops (and at the start):
 *
 *   shadowrun,run,<op>,<label>,<live>,<resident_kib>,<ideal_kib>,<counted_kib>
 *
 * resident from mincore (vkasan) or smaps (asan), ideal = windows that
 * intersect a live mapping (lazily freed ones not counted: the least any
 * rule can keep), counted = vk_stats.shadow_pages (the runtime's own count).
 * Run it with VKASAN_OPTIONS=release_delay=0 for the eager rule.  At the
 * end one vk_purge() and a "shadow,run,purged,..." line as above.
 *
 * usage: shadow_bench SCENARIO COUNT LABEL
 */
#include <stdbool.h>

#include "bench.h"

#define WINDOW (8 * BENCH_PAGE) /* arena bytes described by one shadow page */
#define CHURN_ROUNDS 6
#define RUN_LIVE 1000
#define RUN_SAMPLES 200

struct mapping {
	void *p;
	size_t size;
};

static struct mapping *live;
static long nlive;
static const char *scenario, *label;

#ifdef BENCH_VK
#define SHADOW_OF(a) (((uintptr_t)(a) >> 3) + 0x7fff8000UL)

/* Present pages of the arena's shadow, asked of the OS. */
static unsigned long resident_pages(void)
{
	static unsigned char *vec;
	const size_t chunk = 1UL << 18; /* shadow pages per mincore call */
	struct vk_stats st;
	uintptr_t s, s_end;
	unsigned long n = 0;
	size_t i, len;

	vk_get_stats(&st);
	s = SHADOW_OF(st.arena_base);
	s_end = SHADOW_OF(st.arena_base + (st.arena_committed ? st.arena_committed : st.arena_size));
	if (!vec && !(vec = malloc(chunk)))
		bench_die("malloc");
	for (; s < s_end; s += len) {
		len = s_end - s < chunk * BENCH_PAGE ? s_end - s : chunk * BENCH_PAGE;
		if (mincore((void *)s, len, vec))
			bench_die("mincore on the arena's shadow");
		for (i = 0; i < len / BENCH_PAGE; i++)
			n += vec[i] & 1;
	}
	return n;
}

static int cmp_range(const void *a, const void *b)
{
	const uintptr_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * Windows that intersect a live mapping (its pages plus its guard page),
 * and the cost without sharing: each mapping's own whole windows.
 */
static void ideal_pages(unsigned long *ideal, unsigned long *unshared)
{
	uintptr_t (*r)[2] = malloc((nlive + 1) * sizeof(*r));
	uintptr_t last = 0;
	unsigned long n = 0, u = 0;
	long i;

	if (!r)
		bench_die("malloc");
	for (i = 0; i < nlive; i++) {
		uintptr_t a = (uintptr_t)live[i].p;
		uintptr_t len = (live[i].size + BENCH_PAGE - 1) / BENCH_PAGE * BENCH_PAGE + BENCH_PAGE;

		r[i][0] = a / WINDOW;
		r[i][1] = (a + len - 1) / WINDOW + 1;
		u += (len + WINDOW - 1) / WINDOW;
	}
	qsort(r, nlive, sizeof(*r), cmp_range);
	for (i = 0; i < nlive; i++) {
		uintptr_t w0 = r[i][0] > last ? r[i][0] : last;

		if (r[i][1] > w0)
			n += r[i][1] - w0;
		if (r[i][1] > last)
			last = r[i][1];
	}
	free(r);
	*ideal = n;
	*unshared = u;
}

static void purge(void)
{
	vk_purge();
}

static void report(const char *point)
{
	unsigned long res, ideal, unshared;

	int problems;

	purge();
	res = resident_pages();
	ideal_pages(&ideal, &unshared);
	/* The runtime's own walk (trees, accounting, shadow rule) must agree;
	 * under the upstream rule the shadow rule does not hold, by design. */
	problems = strcmp(label, "upstream") ? vk_check_invariants() : 0;
	if (problems)
		printf("fail,shadow,vk_check_invariants found %d problems at %s/%s (%s)\n",
		       problems, scenario, point, label);
	printf("shadow,%s,%s,%s,%ld,%lu,%lu,%lu\n", scenario, point, label, nlive, res * 4,
	       ideal * 4, unshared * 4);
}

/* One sample of the run: no purge, the shadow as the rule left it. */
static void sample(long op)
{
	unsigned long res = resident_pages(), ideal, unshared;
	struct vk_stats st;

	ideal_pages(&ideal, &unshared);
	vk_get_stats(&st);
	printf("shadowrun,%s,%ld,%s,%ld,%lu,%lu,%lu\n", scenario, op, label, nlive, res * 4,
	       ideal * 4, (unsigned long)st.shadow_pages * 4);
}

#else /* AddressSanitizer: its shadow's Rss */

static unsigned long baseline_kib;

static unsigned long shadow_rss_kib(void)
{
	const uintptr_t lo = 0x7fff8000UL, hi = 0x10007fff8000UL;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long kib = 0, v;
	bool in_shadow = false;

	if (!f)
		bench_die("/proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' '))
			in_shadow = a >= lo && b <= hi;
		else if (in_shadow && sscanf(line, "Rss: %lu kB", &v) == 1)
			kib += v;
	}
	fclose(f);
	return kib;
}

static void report(const char *point)
{
	unsigned long kib = shadow_rss_kib();

	printf("shadow,%s,%s,%s,%ld,%lu,,\n", scenario, point, label, nlive,
	       kib > baseline_kib ? kib - baseline_kib : 0);
}

static void sample(long op)
{
	unsigned long kib = shadow_rss_kib();

	printf("shadowrun,%s,%ld,%s,%ld,%lu,,\n", scenario, op, label, nlive,
	       kib > baseline_kib ? kib - baseline_kib : 0);
}
#endif

static void add(size_t size)
{
	void *p = bench_alloc(size);

	if (!p) {
		fprintf(stderr, "shadow_bench: allocation of %zu bytes failed\n", size);
		exit(2);
	}
	live[nlive].p = p;
	live[nlive++].size = size;
}

static void drop(long i)
{
	bench_free(live[i].p, live[i].size);
	live[i] = live[--nlive];
}

static void pages_scenario(long count, size_t pages)
{
	long i;

	for (i = 0; i < count; i++)
		add(pages * BENCH_PAGE);
	report("live");
	/* Every other mapping, by address order = allocation order. */
	for (i = count - 1; i >= 0; i -= 2)
		drop(i);
	report("half-freed");
	while (nlive)
		drop(nlive - 1);
	report("all-freed");
}

static void churn_scenario(long count)
{
	uint64_t seed = 42;
	char point[32];
	long i, r;

	for (i = 0; i < count; i++)
		add(1 + bench_rand(&seed) % (4 * BENCH_PAGE));
	report("live");
	for (r = 1; r <= CHURN_ROUNDS; r++) {
		long nfree = nlive * 3 / 10;

		for (i = 0; i < nfree; i++)
			drop(bench_rand(&seed) % nlive);
		for (i = 0; i < count / 10; i++)
			add(1 + bench_rand(&seed) % (4 * BENCH_PAGE));
		snprintf(point, sizeof(point), "round%ld", r);
		report(point);
	}
	while (nlive)
		drop(bench_rand(&seed) % nlive);
	report("all-freed");
}

static size_t run_size(uint64_t *seed)
{
	return (1 + bench_rand(seed) % 64) * BENCH_PAGE;
}

/* Mixed-size churn at a steady live set: only automatic purges. */
static void run_scenario(long count)
{
	uint64_t seed = 7;
	long i, every = count / RUN_SAMPLES > 0 ? count / RUN_SAMPLES : 1;

	for (i = 0; i < RUN_LIVE; i++)
		add(run_size(&seed));
	sample(0);
	for (i = 1; i <= count; i++) {
		drop(bench_rand(&seed) % nlive);
		add(run_size(&seed));
		if (i % every == 0 || i == count)
			sample(i);
	}
	report("purged"); /* and after an explicit purge: the ideal again */
	while (nlive) /* nothing live at exit: vkasan's leak check stays quiet */
		drop(nlive - 1);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long count;

	if (argc != 4) {
		fprintf(stderr, "usage: %s pages1|pages2|pages4|pages16|churn|run COUNT LABEL\n",
			argv[0]);
		return 2;
	}
	scenario = argv[1];
	count = atol(argv[2]);
	label = argv[3];
	live = calloc(2 * count + RUN_LIVE + 16, sizeof(*live));
	if (!live || count < 1)
		bench_die("bad COUNT or calloc");
#ifndef BENCH_VK
	baseline_kib = shadow_rss_kib();
#endif
	if (!strncmp(scenario, "pages", 5) && atol(scenario + 5) > 0)
		pages_scenario(count, atol(scenario + 5));
	else if (!strcmp(scenario, "churn"))
		churn_scenario(count);
	else if (!strcmp(scenario, "run"))
		run_scenario(count);
	else {
		fprintf(stderr, "shadow_bench: unknown scenario %s\n", scenario);
		return 2;
	}
	return 0;
}
