/*
 * vtx.h - helpers shared by the allocator/shadow unit tests: window math,
 * reading shadow bytes, measuring shadow presence from the OS (mincore, not
 * the runtime's bitmap), an "ideal" window set computed from the mappings the
 * test itself knows are live, and re-exec with VKASAN_OPTIONS for tests that
 * need options fixed before the runtime initialises.
 */
#ifndef VTX_H
#define VTX_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "vt.h"

#define PG VKI_PAGE_SIZE
#define WIN VKI_WINDOW_SIZE

/* Bytes of arena a mapping of n bytes spans: pages plus one guard page. */
static inline size_t vtx_span(size_t n)
{
	return VKI_ROUND_UP(n, PG) + PG;
}

static inline uintptr_t vtx_base(void)
{
	return (uintptr_t)vt_stats().arena_base;
}

/* Window index of an arena address. */
static inline size_t vtx_win(uintptr_t a)
{
	return (a - vtx_base()) >> VKI_WINDOW_SHIFT;
}

/* Shadow byte of a; returns -1 when its window is absent (runtime's view). */
static inline int vtx_shadow(uintptr_t a)
{
	uint8_t v;
	if (!vki_shadow_peek(a, &v))
		return -1;
	return v;
}

/* Is the shadow page of window containing a resident, asked of the OS? */
static inline int vtx_os_present(uintptr_t a)
{
	unsigned char v = 0;
	uintptr_t s = VKI_ROUND_DOWN(vki_mem_to_shadow(a), PG);
	if (mincore((void *)s, PG, &v) != 0)
		return -1;
	return v & 1;
}

/*
 * Resident shadow pages among the windows of [base, base + nwin * WIN), asked
 * of the OS; fills present[] (one byte per window) when it is not NULL.
 */
static inline long vtx_os_count(uintptr_t base, size_t nwin, unsigned char *present)
{
	if (nwin == 0)
		return 0;
	unsigned char *vec = present ? present : malloc(nwin);
	if (!vec)
		abort();
	uintptr_t s = vki_mem_to_shadow(base);
	if (mincore((void *)s, nwin * PG, vec) != 0) {
		perror("mincore on shadow");
		if (!present)
			free(vec);
		return -1;
	}
	long n = 0;
	for (size_t i = 0; i < nwin; i++) {
		vec[i] &= 1;
		n += vec[i];
	}
	if (!present)
		free(vec);
	return n;
}

/* The committed part of the arena, in windows (mincore needs mapped shadow). */
static inline size_t vtx_committed_windows(void)
{
	struct vk_stats s = vt_stats();
	return s.arena_committed >> VKI_WINDOW_SHIFT;
}

/* Resident shadow pages of the whole committed arena, by mincore. */
static inline long vtx_os_total(void)
{
	return vtx_os_count(vtx_base(), vtx_committed_windows(), NULL);
}

/*
 * Check the shadow of a live mapping of n bytes at p: granules wholly inside
 * [p, p+n) read 0, a partial last granule n & 7, the rest of the mapping
 * (tail and guard page) 0xF8.  Returns the number of wrong bytes (prints the
 * first few).
 */
static inline long vtx_check_live(uintptr_t p, size_t n)
{
	long bad = 0;
	uintptr_t end = p + vtx_span(n);
	for (uintptr_t a = p; a < end; a += VKI_GRANULE) {
		int want;
		if (a + VKI_GRANULE <= p + n)
			want = 0;
		else if (a < p + n)
			want = (int)(n & 7);
		else
			want = 0xF8;
		int got = vtx_shadow(a);
		if (got != want) {
			if (bad < 4)
				fprintf(stderr, "  shadow of %#lx (mapping %#lx+%zu, off %lu): %d, want %d\n",
					(unsigned long)a, (unsigned long)p, n,
					(unsigned long)(a - p), got, want);
			bad++;
		}
	}
	return bad;
}

/* Every granule of [p, end) reads code (and its windows are present). */
static inline long vtx_check_range(uintptr_t p, uintptr_t end, int code)
{
	long bad = 0;
	for (uintptr_t a = p; a < end; a += VKI_GRANULE) {
		int got = vtx_shadow(a);
		if (got != code) {
			if (bad < 4)
				fprintf(stderr, "  shadow of %#lx: %d, want %d\n",
					(unsigned long)a, got, code);
			bad++;
		}
	}
	return bad;
}

/* ---- a set of mappings the test knows about, and the ideal window set ---- */

struct vtx_map {
	uintptr_t p;
	size_t n;
	size_t align;
};

/* Mark in ideal[] (nwin bytes) every window that [p, p + span(n)) touches. */
static inline void vtx_mark(unsigned char *ideal, size_t nwin, uintptr_t base,
			    uintptr_t p, size_t n)
{
	uintptr_t e = p + vtx_span(n);
	size_t w0 = (p - base) >> VKI_WINDOW_SHIFT;
	size_t w1 = (e - 1 - base) >> VKI_WINDOW_SHIFT;
	for (size_t w = w0; w <= w1 && w < nwin; w++)
		ideal[w] = 1;
}

/*
 * Compare the resident shadow pages (mincore) of the committed arena with
 * the windows touched by maps[0..n).  Returns the number of differing
 * windows (prints the first few) and stores the ideal count in *ideal_count.
 */
static inline long vtx_compare_ideal(const struct vtx_map *maps, size_t n, long *ideal_count)
{
	uintptr_t base = vtx_base();
	size_t nwin = vtx_committed_windows();
	unsigned char *ideal = calloc(nwin ? nwin : 1, 1);
	unsigned char *got = malloc(nwin ? nwin : 1);
	if (!ideal || !got)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!maps[i].p)
			continue;
		vtx_mark(ideal, nwin, base, maps[i].p, maps[i].n);
	}
	long diff = 0, icount = 0;
	if (vtx_os_count(base, nwin, got) < 0)
		diff = 1;
	else {
		for (size_t w = 0; w < nwin; w++) {
			icount += ideal[w];
			if (ideal[w] != got[w]) {
				if (diff < 4)
					fprintf(stderr, "  window %zu (%#lx): resident %d, ideal %d\n",
						w, (unsigned long)(base + w * WIN), got[w], ideal[w]);
				diff++;
			}
		}
	}
	if (ideal_count)
		*ideal_count = icount;
	free(ideal);
	free(got);
	return diff;
}

/* xorshift64*: the seeded PRNG of the random workloads. */
static inline uint64_t vtx_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Lines in /proc/self/maps (one per VMA). */
static inline long vtx_map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	long n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * Run this binary with VKASAN_OPTIONS=opts: options such as arena_size are
 * fixed when the runtime initialises, which may be before any constructor
 * of the test runs, so re-exec the program with the variable set.  Call
 * from a constructor; the marker variable stops the recursion.
 */
static inline void vtx_reexec_with(const char *opts, char **argv)
{
	if (getenv("VTX_REEXEC"))
		return;
	setenv("VTX_REEXEC", "1", 1);
	setenv("VKASAN_OPTIONS", opts, 1);
	execv("/proc/self/exe", argv);
	perror("execv /proc/self/exe");
	exit(2);
}

#define VTX_OPTIONS(opts)                                                      \
	__attribute__((constructor(101))) static void vtx_reexec_ctor(         \
		int argc, char **argv, char **envp)                            \
	{                                                                      \
		(void)argc;                                                    \
		(void)envp;                                                    \
		vtx_reexec_with(opts, argv);                                   \
	}

/*
 * Run fn in a forked child (the arena is copied with the process), so a
 * crash or a corrupted runtime fails this test only.  The child's EXPECT
 * failures and its death by a signal count as this test's failure.
 */
static inline void vtx_in_child(void (*fn)(void), const char *what)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		vt_failed_now = 0;
		fn();
		fflush(NULL);
		_exit(vt_failed_now ? 1 : 0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		perror("fork/waitpid");
		vt_failed_now = 1;
		return;
	}
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "  %s: child died of signal %d\n", what, WTERMSIG(st));
		vt_failed_now = 1;
	} else if (WEXITSTATUS(st) != 0) {
		fprintf(stderr, "  %s: child failed (exit %d)\n", what, WEXITSTATUS(st));
		vt_failed_now = 1;
	}
}

/* The address-space quarantine (arenaq.c) keeps purged ranges out of free
 * space: hand them all back (budget 0, purge), then restore the budget. */
static inline void vtx_drain_cold(void)
{
	char old[32];
	snprintf(old, sizeof(old), "%zu", vki_opt.vmalloc_quarantine);
	vk_set_option("vmalloc_quarantine", "0");
	vk_purge();
	vk_set_option("vmalloc_quarantine", old);
}

/* Tests of lowest fit reusing freed space at exact addresses run without
 * the quarantine (vmalloc_quarantine=0: the old behaviour); vtx_quarantine_on
 * puts the default back. */
#define VTX_QUARANTINE_DEFAULT "10G"
static inline void vtx_quarantine_off(void)
{
	vtx_drain_cold();
	vk_set_option("vmalloc_quarantine", "0");
}
static inline void vtx_quarantine_on(void)
{
	vk_set_option("vmalloc_quarantine", VTX_QUARANTINE_DEFAULT);
}

/* The arena is back to its empty state: nothing live or lazy, one free
 * region, no shadow (runtime's count and the OS's). */
#define EXPECT_CLEAN()                                                         \
	do {                                                                   \
		vtx_drain_cold();                                              \
		struct vk_stats vtx_s = vt_stats();                            \
		EXPECT_EQ(vtx_s.live_areas, 0);                                \
		EXPECT_EQ(vtx_s.lazy_areas, 0);                                \
		EXPECT_EQ(vtx_s.lazy_bytes, 0);                                \
		EXPECT_EQ(vtx_s.free_regions, 1);                              \
		EXPECT_EQ(vtx_s.shadow_pages, 0);                              \
		EXPECT_EQ(vtx_os_total(), 0);                                  \
		EXPECT_INVARIANTS();                                           \
	} while (0)

/* Fault injection: make the k-th next OS mapping call fail.  Sets
 * fail_mmap_every=k and spends scratch calls until one fails, so that the
 * counter sits at a multiple of k (only reservations escape injection, so
 * the scratch calls are META). */
static __attribute__((unused)) void fail_nth(long k)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%ld", k);
	EXPECT_EQ(vk_set_option("fail_mmap_every", buf), 0);
	for (long i = 0; i <= k; i++) {
		void *p = vki_os_map_anywhere(PG, VKI_OS_META);
		if (!p)
			return;
		vki_os_unmap(p, PG);
	}
	EXPECT(!"fail_nth: no injected failure seen");
}

static __attribute__((unused)) void injection_off(void)
{
	EXPECT_EQ(vk_set_option("fail_mmap_every", "0"), 0);
}

#endif
