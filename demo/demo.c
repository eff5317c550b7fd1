/*
 * demo.c - vkasan's shadow life cycle, in numbers.
 *
 * Plain C (not instrumented), linked with libvkasan.a.  It allocates a batch
 * of small mappings, frees some, purges, frees the rest, and after each step
 * counts the arena's shadow pages three ways:
 *
 *   OS       pages the kernel says are resident (mincore on the shadow range)
 *   runtime  vk_get_stats().shadow_pages
 *   ideal    windows (32 KiB of arena = one 4 KiB shadow page) that intersect
 *            a live or lazily freed mapping, computed here from the demo's
 *            own list of mappings (each one followed by its guard page)
 *
 * and compares with what one shadow page per mapping would cost.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vkasan.h"

#define PAGE 4096UL
#define WINDOW (8 * PAGE) /* arena bytes described by one shadow page */
#define SHADOW_OFFSET 0x7fff8000UL
#define N 2000

static uintptr_t shadow_of(uintptr_t a)
{
	return (a >> 3) + SHADOW_OFFSET;
}

struct mapping {
	char *p;
	size_t size;
	int state; /* 0 live, 1 lazily freed, 2 purged or not yet allocated */
};

/* The demo shows vk_vmalloc's shadow life cycle on its own, so its table
 * counts vk_vmalloc mappings only: its own malloc (stdio, the mincore
 * vector) stays with libc here.  Programs built with vkasan-cc get the
 * checked heap, whose slabs follow the same life cycle. */
const char *vk_default_options(void)
{
	return "heap=0";
}

static struct mapping m[N];
static int problems;

/* Shadow pages resident in the arena's shadow range, asked of the kernel. */
static long os_shadow_pages(void)
{
	struct vk_stats s;
	vk_get_stats(&s);
	uintptr_t lo = shadow_of(s.arena_base);
	size_t len = s.arena_committed >> 3;
	size_t npages = (len + PAGE - 1) / PAGE;
	unsigned char *vec = malloc(npages);
	long n = 0;
	if (!vec || mincore((void *)lo, len, vec) != 0) {
		perror("mincore on the shadow range");
		exit(1);
	}
	for (size_t i = 0; i < npages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return x < y ? -1 : x > y;
}

/* Windows that intersect a mapping not yet purged (guard page included). */
static long ideal_shadow_pages(void)
{
	static unsigned long w[N * 16];
	long n = 0, distinct = 0;
	for (int i = 0; i < N; i++) {
		if (m[i].state == 2)
			continue;
		uintptr_t start = (uintptr_t)m[i].p;
		uintptr_t end = start + (m[i].size + PAGE - 1) / PAGE * PAGE + PAGE;
		for (uintptr_t a = start / WINDOW; a <= (end - 1) / WINDOW; a++)
			w[n++] = a;
	}
	qsort(w, n, sizeof(w[0]), cmp_ulong);
	for (long i = 0; i < n; i++)
		distinct += i == 0 || w[i] != w[i - 1];
	return distinct;
}

/* One line of the table, and the checks that make the numbers mean something. */
static void row(const char *what)
{
	struct vk_stats s;
	vk_get_stats(&s);
	long os = os_shadow_pages(), ideal = ideal_shadow_pages();
	int inv = vk_check_invariants();
	printf("%-30s %5llu %5llu %7ld %8llu %6ld %8llu %6s\n", what,
	       (unsigned long long)s.live_areas, (unsigned long long)s.lazy_areas, os,
	       (unsigned long long)s.shadow_pages, ideal, (unsigned long long)s.free_regions,
	       inv ? "FAILED" : "ok");
	if (inv || os != (long)s.shadow_pages || os != ideal) {
		printf("  ^ expected OS == runtime == ideal and a clean invariant walk\n");
		problems++;
	}
}

static const char *shadow_bytes(const void *p, char *buf)
{
	const uint8_t *s = (const uint8_t *)shadow_of((uintptr_t)p);
	sprintf(buf, "%02x %02x %02x %02x", s[0], s[1], s[2], s[3]);
	return buf;
}

int main(void)
{
	struct vk_stats s;
	char b1[16], b2[16];
	unsigned seed = 12345;

	for (int i = 0; i < N; i++)
		m[i].state = 2;
	vk_get_stats(&s);
	printf("vkasan demo: on-demand, shared, lazily released shadow for vmalloc space\n");
	printf("arena at 0x%llx; shadow(a) = (a >> 3) + 0x7fff8000; one 4 KiB shadow page\n"
	       "covers a 32 KiB window of the arena; every mapping has a guard page.\n\n",
	       (unsigned long long)s.arena_base);
	printf("%-30s %5s %5s %7s %8s %6s %8s %6s\n", "", "live", "lazy", "shadow:", "runtime",
	       "ideal", "free", "check");
	printf("%-30s %5s %5s %7s %8s %6s %8s %6s\n", "step", "", "", "OS", "", "", "regions",
	       "");
	row("0. start");

	/* 1. A batch of small mappings: 100 bytes to 6 KiB, one or two pages. */
	long naive = 0;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245 + 12345;
		m[i].size = 100 + (seed >> 8) % 6000;
		m[i].p = vk_vmalloc(m[i].size);
		if (!m[i].p) {
			printf("vk_vmalloc(%zu) failed\n", m[i].size);
			return 1;
		}
		m[i].state = 0;
		memset(m[i].p, 0x5a, m[i].size);
		naive += 1; /* one shadow page per mapping: the unshared way */
	}
	row("1. 2000 small vk_vmalloc()s");
	vk_get_stats(&s);
	printf("   shared: %llu shadow pages; one page per mapping would be %ld (%.1fx more)\n",
	       (unsigned long long)s.shadow_pages, naive, (double)naive / s.shadow_pages);

	/* 2. Free the first half of the arena, and every other mapping of the rest. */
	for (int i = 0; i < N; i++)
		if (i < N / 2 || i % 2) {
			vk_vfree(m[i].p);
			m[i].state = 1;
		}
	row("2. vk_vfree() 1500 of them");
	printf("   lazily freed: shadow kept and poisoned; shadow of a freed mapping: %s,\n"
	       "   of a live one: %s\n", shadow_bytes(m[N - 1].p, b1), shadow_bytes(m[N - 2].p, b2));

	/* 3. Purge: only windows that no live mapping touches go. */
	long before = os_shadow_pages();
	vk_purge();
	for (int i = 0; i < N; i++)
		if (m[i].state == 1)
			m[i].state = 2;
	row("3. vk_purge()");
	vk_get_stats(&s);
	printf("   released %ld pages, the windows no live mapping uses (system calls: %llu);\n"
	       "   the %llu pages kept are shared with a live neighbour\n",
	       before - os_shadow_pages(), (unsigned long long)s.shadow_release_calls,
	       (unsigned long long)s.shadow_pages);

	/* 4. Free everything: no shadow left, the arena is one free region again. */
	for (int i = 0; i < N; i++)
		if (m[i].state == 0) {
			vk_vfree(m[i].p);
			m[i].state = 2;
		}
	vk_purge();
	row("4. vk_vfree() the rest, purge");
	vk_get_stats(&s);
	printf("   %llu shadow pages ever populated, %llu released, %llu purges\n\n",
	       (unsigned long long)s.shadow_pages_populated_total,
	       (unsigned long long)s.shadow_pages_released_total, (unsigned long long)s.purges);
	if (problems || s.shadow_pages || s.free_regions != 1) {
		printf("demo: the numbers above are wrong\n");
		return 1;
	}
	return 0;
}
