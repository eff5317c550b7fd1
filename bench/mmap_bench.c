/*
 * mmap_bench.c - the program's own mmap under vkasan (issue 12), against
 * raw system calls and AddressSanitizer.  One source, built three ways:
 *
 *   mmap_bench-vk    vkasan-cc (its mmap/munmap are routed into the arena)
 *   mmap_bench-raw   plain gcc: glibc's mmap, i.e. the system calls
 *   mmap_bench-asan  -fsanitize=address
 *
 * Modes (one per process, key=value lines on stdout):
 *
 *   cycles N [hint]  google/sanitizers #1777: N times mmap 64 MiB, touch
 *                    one byte per 64 KiB, munmap; every N/10 cycles the
 *                    resident set (statm) and, under vkasan, the resident
 *                    shadow pages.  "hint": each mmap gets a new address
 *                    hint (the pattern of the issue; vkasan passes hinted
 *                    requests through, so it is run without).
 *   reserve          8 GiB PROT_NONE reservation, 1 MiB committed with
 *                    mprotect and written: shadow pages, resident set.
 *   speed SIZE N [one]  N times mmap SIZE anonymous, write one byte per
 *                    page (or, with "one", a single byte), munmap: ns per
 *                    cycle.
 *   million N        N live anonymous mappings of 100 bytes, every 64th written:
 *                    VMAs in /proc/self/maps (vm.max_map_count is 65530).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#ifdef BENCH_VK
#include "vkasan.h"
#endif

#define MB (1UL << 20)

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * 4;
}

static long shadow_pages(void)
{
#ifdef BENCH_VK
	vk_purge();
	struct vk_stats s;
	vk_get_stats(&s);
	return (long)s.shadow_pages;
#else
	return -1;
#endif
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cycles(long n, int hint)
{
	size_t len = 64 * MB;
	long peak_shadow = 0;
	for (long i = 0; i < n; i++) {
		void *h = hint ? (void *)(0x300000000000UL + (uintptr_t)i * (len + MB)) : NULL;
		volatile char *p = mmap(h, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (size_t o = 0; o < len; o += 64 << 10)
			p[o] = 1;
#ifdef BENCH_VK
		struct vk_stats s;
		vk_get_stats(&s);
		if ((long)s.shadow_pages > peak_shadow)
			peak_shadow = (long)s.shadow_pages;
#endif
		munmap((void *)p, len);
		if ((i + 1) % (n / 10 ? n / 10 : 1) == 0)
			printf("cycle=%ld rss_kb=%ld shadow_pages=%ld\n", i + 1, rss_kb(), shadow_pages());
	}
	printf("peak_live_shadow_pages=%ld ideal_live=%lu\n", peak_shadow,
	       (unsigned long)(len / (32 << 10) + 1));
	return 0;
}

static int reserve(void)
{
	size_t res = 8UL << 30;
	long rss0 = rss_kb();
	char *r = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return 1;
	char *c = r + (3UL << 30) + 4096; /* not window aligned: one window more */
	if (mprotect(c, MB, PROT_READ | PROT_WRITE))
		return 1;
	memset(c, 1, MB);
	printf("reserve shadow_pages=%ld bound=%lu rss_growth_kb=%ld\n", shadow_pages(),
	       (unsigned long)(MB / (32 << 10) + 2), rss_kb() - rss0);
	return 0;
}

static int speed(size_t size, long n, int one)
{
	size_t stride = one ? size : 4096;
	double t0 = now();
	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (size_t o = 0; o < size; o += stride)
			p[o] = 1;
		munmap((void *)p, size);
	}
	printf("speed size=%zu ns_per_cycle=%.0f\n", size, (now() - t0) * 1e9 / n);
	return 0;
}

static long vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int million(long n)
{
	char **m = calloc((size_t)n, sizeof(*m));
	if (!m) {
		printf("million live=0 calloc of the pointer array failed\n");
		return 1;
	}
	long v0 = vmas();
	double t0 = now();
	for (long i = 0; i < n; i++) {
		m[i] = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m[i] == MAP_FAILED) {
			printf("million live=%ld mmap failed (vmas %ld)\n", i, vmas());
			while (i-- > 0)
				munmap(m[i], 100);
			free(m); /* nothing left behind for the leak check at exit */
			return 1;
		}
		if (i % 64 == 0)
			m[i][99] = 1; /* a few: a million touched pages are 4 GiB */
	}
	double t1 = now();
	long v1 = vmas();
	for (long i = 0; i < n; i++)
		munmap(m[i], 100);
	free(m); /* the leak check at exit (vkasan build) would report it */
	printf("million live=%ld vmas_before=%ld vmas_live=%ld map_s=%.2f unmap_s=%.2f\n", n, v0, v1,
	       t1 - t0, now() - t1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "million"))
		return million(atol(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "cycles"))
		return cycles(atol(argv[2]), argc > 3 && !strcmp(argv[3], "hint"));
	if (argc >= 2 && !strcmp(argv[1], "reserve"))
		return reserve();
	if (argc >= 4 && !strcmp(argv[1], "speed"))
		return speed((size_t)atol(argv[2]), atol(argv[3]), argc > 4 && !strcmp(argv[4], "one"));
	fprintf(stderr, "usage: mmap_bench cycles N [hint] | reserve | speed SIZE N [one] | million N\n");
	return 2;
}
