/*
 * quarantine_bench.c - issue 15's quarantine target: a stale pointer into a
 * freed one-page mapping is still reported, as use-after-free of THAT
 * mapping, after N (default 1,000,000) intervening one-page vk_vmalloc /
 * vk_vfree pairs; what it costs in time and resident memory.
 *
 * Built with vkasan-cc (the stale read is an instrumented access).  Run it
 * with VKASAN_OPTIONS=vmalloc_quarantine=0 for the old behaviour;
 * quarantine_run.sh runs both, interleaved, best of 3.  One line of
 * key=value pairs:
 *
 *   quarantine  the option's value (vk_set_option is not read back: from
 *               $VKASAN_OPTIONS as the runner sets it)
 *   ns_pair     wall time of the N pairs / N
 *   stale_ok    1 when the report is use-after-free and names make_stale
 *               (allocation) and free_stale (free), not churn
 *   rss/pte     VmRSS and VmPTE (kB, /proc/self/status) before and after
 *   data        resident arena pages (mincore over the committed arena), kB
 *   shadow      resident shadow pages (vk_stats, which the unit tests check
 *               against mincore), kB
 *   cold_meta   resident bytes of the quarantine's records, kB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <vkasan.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	size_t k = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':')
			v = atol(line + k + 1);
	if (f)
		fclose(f);
	return v;
}

/* Resident pages of the committed arena, in kB. */
static long arena_resident_kb(void)
{
	struct vk_stats s;
	vk_get_stats(&s);
	static unsigned char vec[16384];
	long pages = 0;
	for (unsigned long off = 0; off < s.arena_committed; off += sizeof(vec) * 4096UL) {
		unsigned long len = s.arena_committed - off;
		if (len > sizeof(vec) * 4096UL)
			len = sizeof(vec) * 4096UL;
		if (mincore((void *)(s.arena_base + off), len, vec))
			return -1;
		for (unsigned long i = 0; i < len / 4096; i++)
			pages += vec[i] & 1;
	}
	return pages * 4;
}

struct mem {
	long rss, pte, data, shadow, cold_meta, cold_areas;
};

static void measure(struct mem *m)
{
	struct vk_stats s;
	vk_get_stats(&s);
	m->rss = status_kb("VmRSS");
	m->pte = status_kb("VmPTE");
	m->data = arena_resident_kb();
	m->shadow = (long)s.shadow_pages * 4;
	m->cold_meta = (long)(s.cold_meta_bytes / 1024);
	m->cold_areas = (long)s.cold_areas;
}

__attribute__((noinline)) static char *make_stale(void)
{
	char *p = vk_vmalloc(4096);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) static void free_stale(char *p)
{
	vk_vfree(p);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void churn(long n)
{
	for (long i = 0; i < n; i++) {
		void *q = vk_vmalloc(4096);
		vk_vfree(q);
	}
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static char stale_read(volatile char *p)
{
	return p[10];
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *opts = getenv("VKASAN_OPTIONS");
	const char *q = opts ? strstr(opts, "vmalloc_quarantine=") : NULL;
	char qv[32] = "default";
	if (q)
		sscanf(q + strlen("vmalloc_quarantine="), "%31[^:, ]", qv);
	char log[64];
	snprintf(log, sizeof(log), "/tmp/quarantine_bench.%d", (int)getpid());
	vk_set_option("log_path", log);
	vk_set_option("halt_on_error", "0");

	struct mem before, after;
	char *p = make_stale();
	p[0] = 1;
	free_stale(p);
	measure(&before);
	double t0 = now();
	churn(n);
	double t1 = now();
	measure(&after);
	(void)stale_read(p);

	/* The report, from the log file (log_path appends .pid). */
	char path[96], buf[1 << 15];
	snprintf(path, sizeof(path), "%s.%d", log, (int)getpid());
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[len] = 0;
	if (f)
		fclose(f);
	if (!getenv("QB_KEEP"))
		unlink(path);
	const char *created = strstr(buf, "created by:");
	const char *freed = strstr(buf, "Freed by task");
	int ok = strstr(buf, "BUG: KASAN: use-after-free") && created && freed &&
		 strstr(created, "make_stale") && strstr(freed, "free_stale") &&
		 !strstr(buf, "churn");
	printf("quarantine=%s pairs=%ld ns_pair=%.0f stale_ok=%d cold_areas=%ld "
	       "rss_kb=%ld->%ld pte_kb=%ld->%ld data_kb=%ld->%ld shadow_kb=%ld->%ld "
	       "cold_meta_kb=%ld->%ld\n",
	       qv, n, (t1 - t0) / n * 1e9, ok, after.cold_areas, before.rss, after.rss, before.pte,
	       after.pte, before.data, after.data, before.shadow, after.shadow, before.cold_meta,
	       after.cold_meta);
	return ok ? 0 : 1;
}
