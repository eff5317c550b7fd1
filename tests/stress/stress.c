/*
 * stress.c - many threads hammer the vkasan API for a bounded time.
 *
 * Built with vkasan-cc, so every load and store this file makes to
 * vk_vmalloc memory goes through the checks: a shadow byte lost to a race
 * (two threads populating one window, a purge releasing a window a live
 * mapping still needs) becomes a KASAN report, and a report fails the run.
 *
 * Each worker keeps its own mappings in slots and does, at random:
 * vk_vmalloc / vk_vzalloc / vk_vmalloc_aligned with random sizes (writes a
 * pattern derived from a per-mapping seed), verify (reads the pattern back
 * with 1, 2, 4, 8 and 16-byte loads and checked memcpy, including the last
 * byte and accesses that end exactly at the requested size), vk_vfree
 * (after checking vk_vmalloc_size), vk_purge, a "realloc" by memcpy into a
 * new mapping, and a hand-off of a mapping to another thread through a
 * shared exchange (so mappings are freed by threads that did not allocate
 * them).  The main thread runs vk_check_invariants() every walk_ms while
 * the workers go on (the walk takes the arena lock; it must hold whatever
 * the other threads are in the middle of).
 *
 * At the end every mapping is verified and freed, failures are switched off
 * and the arena purged: the run passes only with no report, no corrupted
 * byte, no invariant failure and no leak (no live or lazy mapping, one free
 * region, no shadow page present - counted by the runtime and by mincore).
 *
 * Usage: stress [-t threads] [-d seconds] [-s seed] [-w walk_ms] [-n slots]
 *               [-S max_size] [-f every] [-a] [-q] [-X]
 * -f N  fail every Nth OS mapping call (fail_mmap_every, set after start-up
 *       so that the runtime initialises); implies -a
 * -a    a NULL from vk_vmalloc is acceptable (fault injection, small arena)
 * -X    self-check: end with one out-of-bounds read, which must be reported
 *       (proves the checks are compiled in; the run must then fail)
 * Runtime options come from VKASAN_OPTIONS as usual; halt_on_error defaults
 * to 0 here so that the run can count reports and still check for leaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vkasan.h"

#define PAGE 4096UL
#define MAX_THREADS 64
#define EXCHANGE 32

struct slot {
	unsigned char *p;
	size_t size;
	uint64_t seed;
};

struct worker {
	pthread_t th;
	int id;
	uint64_t rng;
	struct slot *slots;
	unsigned long allocs, frees, null_allocs, verifies, purges, handoffs, reallocs;
	unsigned long errors;
};

static int nthreads = 4, nslots = 48, quiet;
static double duration = 5.0;
static uint64_t seed0 = 1;
static long walk_ms = 50;
static size_t max_size = 1UL << 20;
static int failures_expected; /* -a, -f: NULL is acceptable */
static long fail_every;
static int selfcheck;

static atomic_int stop;
static atomic_ulong total_errors;
static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static struct slot xchg[EXCHANGE];

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define ERR(w, ...)                                                            \
	do {                                                                   \
		if ((w)->errors++ < 5) {                                       \
			fprintf(stderr, "stress: thread %d: ", (w)->id);       \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
		atomic_fetch_add(&total_errors, 1);                            \
	} while (0)

/* The expected 8-byte word k of a mapping with this seed. */
static inline uint64_t word(uint64_t seed, size_t k)
{
	return mix(seed + k);
}

/* Write the pattern with instrumented stores: 8-byte words, then the tail
 * byte by byte (the last granule may be partial).  Some mappings are filled
 * through the checked memcpy instead. */
static void fill(struct worker *w, const struct slot *s)
{
	size_t nw = s->size / 8;
	uint64_t *q = (uint64_t *)s->p;
	if (rnd(&w->rng) % 4 == 0 && nw) {
		uint64_t buf[64];
		for (size_t k = 0; k < nw; k += 64) {
			size_t n = nw - k < 64 ? nw - k : 64;
			for (size_t i = 0; i < n; i++)
				buf[i] = word(s->seed, k + i);
			memcpy(q + k, buf, n * 8);
		}
	} else {
		for (size_t k = 0; k < nw; k++)
			q[k] = word(s->seed, k);
	}
	uint64_t last = word(s->seed, nw);
	for (size_t i = nw * 8; i < s->size; i++)
		s->p[i] = (unsigned char)(last >> (8 * (i & 7)));
}

static inline unsigned char byte_at(const struct slot *s, size_t i)
{
	return (unsigned char)(word(s->seed, i / 8) >> (8 * (i & 7)));
}

typedef uint16_t __attribute__((aligned(1), may_alias)) u16u;
typedef uint32_t __attribute__((aligned(1), may_alias)) u32u;
typedef uint64_t __attribute__((aligned(1), may_alias)) u64u;
typedef unsigned __int128 __attribute__((aligned(1), may_alias)) u128u;

/* Read [off, off + n) back with loads of one width; returns false on a
 * mismatch.  Widths 2..16 are unaligned in general and may end exactly at
 * the requested size, which must not be reported. */
static bool check_span(const struct slot *s, size_t off, size_t n, int width)
{
	size_t i = off, end = off + n;
	for (; i + (size_t)width <= end; i += (size_t)width) {
		unsigned char got[16];
		switch (width) {
		case 1: got[0] = s->p[i]; break;
		case 2: { uint16_t v = *(const u16u *)(s->p + i); __builtin_memcpy(got, &v, 2); break; }
		case 4: { uint32_t v = *(const u32u *)(s->p + i); __builtin_memcpy(got, &v, 4); break; }
		case 8: { uint64_t v = *(const u64u *)(s->p + i); __builtin_memcpy(got, &v, 8); break; }
		default: { unsigned __int128 v = *(const u128u *)(s->p + i); __builtin_memcpy(got, &v, 16); break; }
		}
		for (int b = 0; b < width; b++)
			if (got[b] != byte_at(s, i + (size_t)b))
				return false;
	}
	for (; i < end; i++)
		if (s->p[i] != byte_at(s, i))
			return false;
	return true;
}

static bool verify(struct worker *w, const struct slot *s, bool full)
{
	static const int widths[] = { 1, 2, 4, 8, 16 };
	w->verifies++;
	if (s->size <= 4096 || full) {
		/* Whole mapping with fast 8-byte loads, then the end with each width. */
		if (!check_span(s, 0, s->size, 8))
			return false;
	} else {
		/* A random stretch and a checked memcpy of another. */
		size_t off = rnd(&w->rng) % s->size;
		size_t n = s->size - off < 512 ? s->size - off : 512;
		if (!check_span(s, off, n, widths[rnd(&w->rng) % 5]))
			return false;
		unsigned char buf[256];
		off = rnd(&w->rng) % s->size;
		n = s->size - off < sizeof(buf) ? s->size - off : sizeof(buf);
		memcpy(buf, s->p + off, n);
		for (size_t i = 0; i < n; i++)
			if (buf[i] != byte_at(s, off + i))
				return false;
	}
	/* The last 16 bytes with every width: loads that end at p + size. */
	size_t tail = s->size < 16 ? s->size : 16;
	for (int k = 0; k < 5; k++) {
		int wd = widths[k];
		if ((size_t)wd > s->size)
			break;
		if (!check_span(s, s->size - (size_t)wd, (size_t)wd, wd))
			return false;
	}
	return check_span(s, s->size - tail, tail, 1) && s->p[0] == byte_at(s, 0);
}

static size_t random_size(struct worker *w)
{
	uint64_t r = rnd(&w->rng);
	size_t sz;
	switch (r % 20) {
	case 0 ... 9: sz = 1 + (r >> 8) % 256; break;              /* tiny */
	case 10 ... 14: sz = 1 + (r >> 8) % (4 * PAGE); break;       /* a few pages */
	case 15 ... 16: sz = ((r >> 8) % 8 + 1) * PAGE + (r >> 20) % 3 - 1; break; /* page edges */
	case 17 ... 18: sz = 1 + (r >> 8) % (64 * PAGE); break;      /* medium */
	default: sz = 1 + (r >> 8) % max_size; break;                 /* large */
	}
	if (sz > max_size)
		sz = max_size;
	return sz ? sz : 1;
}

static void release_slot(struct worker *w, struct slot *s)
{
	if (!s->p)
		return;
	if (!verify(w, s, s->size <= 65536))
		ERR(w, "contents of %p (size %zu) corrupted before free", (void *)s->p, s->size);
	size_t got = vk_vmalloc_size(s->p);
	if (got != s->size)
		ERR(w, "vk_vmalloc_size(%p) = %zu, expected %zu", (void *)s->p, got, s->size);
	vk_vfree(s->p);
	w->frees++;
	s->p = NULL;
}

static void alloc_slot(struct worker *w, struct slot *s)
{
	size_t size = random_size(w);
	uint64_t r = rnd(&w->rng);
	size_t align = 0;
	bool zero = false;
	unsigned char *p;
	switch (r % 8) {
	case 0:
		zero = true;
		p = vk_vzalloc(size);
		break;
	case 1:
	case 2:
		align = 1UL << ((r >> 8) % 22); /* 1 .. 2 MiB */
		p = vk_vmalloc_aligned(size, align);
		break;
	case 3:
		/* Calls with a defined NULL outcome, then a real allocation. */
		if (vk_vmalloc(0) || vk_vmalloc_aligned(size, PAGE * 3) || vk_vmalloc(SIZE_MAX))
			ERR(w, "hostile allocation did not return NULL");
		vk_vfree(NULL);
		p = vk_vmalloc(size);
		break;
	default:
		p = vk_vmalloc(size);
		break;
	}
	if (!p) {
		w->null_allocs++;
		if (!failures_expected)
			ERR(w, "allocation of %zu bytes (align %zu) failed", size, align);
		return;
	}
	w->allocs++;
	if (align && (uintptr_t)p % align)
		ERR(w, "%p not aligned to %zu", (void *)p, align);
	if (zero)
		for (size_t i = 0; i < size; i++)
			if (p[i]) {
				ERR(w, "vk_vzalloc(%zu) byte %zu not zero", size, i);
				break;
			}
	s->p = p;
	s->size = size;
	s->seed = rnd(&w->rng);
	fill(w, s);
}

/* "realloc": a new mapping, memmove the old contents over, free the old. */
static void realloc_slot(struct worker *w, struct slot *s)
{
	if (!s->p)
		return;
	size_t nsize = random_size(w);
	unsigned char *np = vk_vmalloc(nsize);
	if (!np) {
		w->null_allocs++;
		if (!failures_expected)
			ERR(w, "allocation of %zu bytes failed", nsize);
		return;
	}
	size_t keep = nsize < s->size ? nsize : s->size;
	memmove(np, s->p, keep);
	struct slot old = *s;
	s->p = np;
	s->size = nsize;
	/* The copy must be exact; then the new mapping gets a pattern of its
	 * own (a seed describes a whole mapping). */
	for (size_t i = 0; i < keep; i++)
		if (np[i] != byte_at(&old, i)) {
			ERR(w, "memmove into a new mapping lost byte %zu", i);
			break;
		}
	s->seed = rnd(&w->rng);
	fill(w, s);
	release_slot(w, &old);
	w->allocs++;
	w->reallocs++;
}

/* Swap one of our mappings with one in the shared exchange. */
static void handoff(struct worker *w, struct slot *s)
{
	struct slot mine = *s;
	pthread_mutex_lock(&xlock);
	struct slot *x = &xchg[rnd(&w->rng) % EXCHANGE];
	*s = *x;
	*x = mine;
	pthread_mutex_unlock(&xlock);
	w->handoffs++;
	if (s->p && !verify(w, s, false))
		ERR(w, "mapping %p handed over corrupted", (void *)s->p);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct slot *s = &w->slots[rnd(&w->rng) % (uint64_t)nslots];
		unsigned op = (unsigned)(rnd(&w->rng) % 100);
		if (op < 35) {
			release_slot(w, s);
			alloc_slot(w, s);
		} else if (op < 60) {
			if (s->p && !verify(w, s, false))
				ERR(w, "contents of %p (size %zu) corrupted", (void *)s->p, s->size);
		} else if (op < 85) {
			release_slot(w, s);
		} else if (op < 90) {
			handoff(w, s);
		} else if (op < 95) {
			realloc_slot(w, s);
		} else if (op < 97) {
			vk_purge();
			w->purges++;
		} else {
			/* vk_vmalloc_size of an address that is not a mapping start. */
			if (s->p && s->size > 1 && vk_vmalloc_size(s->p + 1) != 0)
				ERR(w, "vk_vmalloc_size of an interior pointer is not 0");
		}
	}
	return NULL;
}

/* Shadow pages resident in the committed arena, asked of the OS. */
static long resident_shadow(void)
{
	struct vk_stats st;
	vk_get_stats(&st);
	size_t nwin = st.arena_committed >> 15;
	if (!nwin)
		return 0;
	/* Neither malloc (a new heap slab) nor mmap (routed into the arena,
	 * mmap.c) - both would add shadow pages of their own: a static
	 * vector, enough for 32 GiB of committed arena. */
	static unsigned char vec[1 << 20];
	if (nwin > sizeof(vec))
		return -1;
	uintptr_t sh = (st.arena_base >> 3) + 0x7fff8000UL;
	long n = 0;
	if (mincore((void *)sh, nwin * PAGE, vec) != 0)
		n = -1;
	else
		for (size_t i = 0; i < nwin; i++)
			n += vec[i] & 1;
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: stress [-t threads] [-d seconds] [-s seed] [-w walk_ms] "
			"[-n slots] [-S max_size] [-f every] [-a] [-q] [-X]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "t:d:s:w:n:S:f:aqX")) != -1) {
		switch (c) {
		case 't': nthreads = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 's': seed0 = strtoull(optarg, NULL, 0); break;
		case 'w': walk_ms = atol(optarg); break;
		case 'n': nslots = atoi(optarg); break;
		case 'S': max_size = strtoull(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		case 'f': fail_every = atol(optarg); failures_expected = 1; break;
		case 'a': failures_expected = 1; break;
		case 'X': selfcheck = 1; break;
		default: usage();
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || nslots < 1 || max_size < 1 || duration < 0)
		usage();
	const char *env = getenv("VKASAN_OPTIONS");
	if (!env || !strstr(env, "halt_on_error"))
		vk_set_option("halt_on_error", "0");

	struct vk_stats st0;
	vk_get_stats(&st0);
	if (!st0.arena_base) {
		fprintf(stderr, "stress: the arena is not available\n");
		return 1;
	}


	struct worker *ws = calloc((size_t)nthreads, sizeof(*ws));
	if (!ws)
		return 1;
	double t0 = now();
	for (int i = 0; i < nthreads; i++) {
		ws[i].id = i;
		ws[i].rng = mix(seed0 * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1) | 1;
		ws[i].slots = calloc((size_t)nslots, sizeof(struct slot));
		/* Under fault injection a thread's arena stack can fail to be
		 * allocated too: pthread_create says EAGAIN, try again. */
		int rc = EAGAIN;
		for (int tries = 0; ws[i].slots && rc == EAGAIN && tries < 100; tries++)
			rc = pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
		if (!ws[i].slots || rc) {
			fprintf(stderr, "stress: cannot start thread %d\n", i);
			return 1;
		}
	}

	/* After the program's own allocations (its structures, the threads'
	 * stacks and TLS): with the heap, fault injection makes malloc fail
	 * too, and this program is not the one under test when it does. */
	if (fail_every) {
		/* Once the workers run (their arena stacks take five OS calls
		 * each, which every 3rd call failing would never let through;
		 * test_stacks.c covers that).  Commit the first chunk of the
		 * arena first: growth takes two calls (arena, then its shadow)
		 * and is redone whole after a failure, so with every 2nd call
		 * failing it would never succeed. */
		vk_vfree(vk_vmalloc(1));
		vk_purge();
		char buf[32];
		snprintf(buf, sizeof(buf), "%ld", fail_every);
		if (vk_set_option("fail_mmap_every", buf))
			return 2;
	}

	/* The invariant walk while the workers run. */
	unsigned long walks = 0, bad_walks = 0;
	while (now() - t0 < duration) {
		struct timespec ts = { walk_ms / 1000, (walk_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if (walk_ms > 0) {
			int bad = vk_check_invariants();
			walks++;
			if (bad) {
				bad_walks++;
				fprintf(stderr, "stress: invariant walk %lu found %d problem(s)\n",
					walks, bad);
			}
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(ws[i].th, NULL);
	double elapsed = now() - t0;

	/* Quiescent: the walk must hold exactly now. */
	int bad_quiet = vk_check_invariants();
	if (bad_quiet)
		fprintf(stderr, "stress: invariant walk after the run: %d problem(s)\n", bad_quiet);

	/* Verify and free everything; switch failures off so the final purges
	 * can pay any release debt. */
	vk_set_option("fail_mmap_every", "0");
	struct worker fin = { .id = -1, .rng = 12345 };
	for (int i = 0; i < nthreads; i++)
		for (int k = 0; k < nslots; k++)
			release_slot(&fin, &ws[i].slots[k]);
	for (int k = 0; k < EXCHANGE; k++)
		release_slot(&fin, &xchg[k]);
	vk_purge();
	vk_purge();
	if (selfcheck) {
		/* One byte past the end of a fresh mapping: must be reported. */
		volatile unsigned char *p = vk_vmalloc(100);
		if (p) {
			(void)p[100];
			vk_vfree((void *)p);
		}
		vk_purge();
	}
	/* The address-space quarantine keeps purged ranges apart (cold, no
	 * shadow of their own): checked as they are, then handed back to free
	 * space, where they must merge into one region. */
	int bad_cold = vk_check_invariants();
	vk_set_option("vmalloc_quarantine", "0");
	vk_purge();

	struct vk_stats st;
	vk_get_stats(&st);
	long resident = resident_shadow();
	int bad_end = vk_check_invariants() + bad_cold;
	unsigned long errors = atomic_load(&total_errors);
	/* The heap's slabs (libc's stdio buffers live on) keep their shadow and
	 * split free space; vk_vmalloc's mappings must be all gone. */
	bool leak = st.live_areas || st.lazy_areas || st.live_bytes || st.lazy_bytes ||
		    st.free_regions > st.heap_mappings + 1 ||
		    st.shadow_pages != st.heap_shadow_pages || resident != (long)st.heap_shadow_pages;

	unsigned long allocs = 0, frees = 0, nulls = 0, verifies = 0, purges = 0, hand = 0;
	for (int i = 0; i < nthreads; i++) {
		allocs += ws[i].allocs;
		frees += ws[i].frees;
		nulls += ws[i].null_allocs;
		verifies += ws[i].verifies;
		purges += ws[i].purges;
		hand += ws[i].handoffs;
	}
	frees += fin.frees;
	if (!quiet || errors || leak || bad_walks || bad_quiet || bad_end || st.reports) {
		printf("stress: %d threads, %.1f s, seed %llu: %lu allocs (%lu NULL), %lu frees, "
		       "%lu verifies, %lu hand-offs, %lu explicit purges (%llu in all), %lu walks\n",
		       nthreads, elapsed, (unsigned long long)seed0, allocs, nulls, frees, verifies,
		       hand, purges, (unsigned long long)st.purges, walks);
		printf("stress: shadow pages populated %llu, released %llu; committed %llu MiB\n",
		       (unsigned long long)st.shadow_pages_populated_total,
		       (unsigned long long)st.shadow_pages_released_total,
		       (unsigned long long)(st.arena_committed >> 20));
		printf("stress: end state: live %llu, lazy %llu, free regions %llu, shadow pages "
		       "%llu (resident %ld); reports %llu; data errors %lu; bad walks %lu+%d+%d\n",
		       (unsigned long long)st.live_areas, (unsigned long long)st.lazy_areas,
		       (unsigned long long)st.free_regions, (unsigned long long)st.shadow_pages,
		       resident, (unsigned long long)st.reports, errors, bad_walks, bad_quiet,
		       bad_end);
	}
	for (int i = 0; i < nthreads; i++) /* the leak check at exit looks */
		free(ws[i].slots);
	free(ws);
	if (allocs == 0 || errors || leak || bad_walks || bad_quiet || bad_end || st.reports) {
		printf("stress: FAILED\n");
		return 1;
	}
	printf("stress: ok\n");
	return 0;
}
