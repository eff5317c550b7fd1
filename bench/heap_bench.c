/*
 * heap_bench.c - the heap against AddressSanitizer's allocator, same source.
 *
 *   heap_bench small N THREADS   N random malloc/free of 16 B..4 KiB per thread,
 *                                64 live per thread; prints Mops/s
 *   heap_bench prodcons N        one thread mallocs, another frees; Mops/s
 *   heap_bench live N            N live 32-byte objects; prints RSS in MiB
 *   heap_bench uaf N             free an object, N malloc/free pairs of
 *                                others, then read it: a report (exit != 0)
 *                                means the bug was caught
 *
 * Built by bench/heap.sh with vkasan-cc and with clang -fsanitize=address.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static long n_ops;

static void *small(void *arg)
{
	unsigned r = (unsigned)(unsigned long)arg;
	char *live[64] = { 0 };
	for (long i = 0; i < n_ops; i++) {
		r = r * 1103515245u + 12345u;
		int k = (r >> 8) & 63;
		size_t sz = 16u << ((r >> 16) % 9); /* 16 B .. 4 KiB */
		free(live[k]);
		live[k] = malloc(sz);
		live[k][0] = (char)i;
	}
	for (int k = 0; k < 64; k++)
		free(live[k]);
	return NULL;
}

#define RING 1024
static void *ring[RING];
static volatile long head, tail;

static void *consumer(void *arg)
{
	for (long i = 0; i < n_ops; i++) {
		while (__atomic_load_n(&tail, __ATOMIC_ACQUIRE) == i)
			sched_yield(); /* 2 loaded cores: let the producer run */
		free(ring[i % RING]);
		__atomic_store_n(&head, i + 1, __ATOMIC_RELEASE);
	}
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "small";
	n_ops = argc > 2 ? atol(argv[2]) : 1000000;
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	if (!strcmp(mode, "small")) {
		pthread_t t[8];
		double t0 = now();
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, small, (void *)(long)(i + 1));
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		double dt = now() - t0;
		printf("%.2f Mops/s  peak-rss %.1f MiB\n", threads * n_ops / dt / 1e6,
		       rss_kib() / 1024.0);
	} else if (!strcmp(mode, "prodcons")) {
		pthread_t c;
		double t0 = now();
		pthread_create(&c, NULL, consumer, NULL);
		for (long i = 0; i < n_ops; i++) {
			while (i - __atomic_load_n(&head, __ATOMIC_ACQUIRE) >= RING)
				sched_yield();
			ring[i % RING] = malloc(16 + (i & 255));
			__atomic_store_n(&tail, i + 1, __ATOMIC_RELEASE);
		}
		pthread_join(c, NULL);
		printf("%.2f Mops/s\n", n_ops / (now() - t0) / 1e6);
	} else if (!strcmp(mode, "live")) {
		long before = rss_kib();
		char **v = malloc(n_ops * sizeof(*v));
		for (long i = 0; i < n_ops; i++) {
			v[i] = malloc(32);
			v[i][0] = (char)i;
		}
		long sum = 0; /* the objects are used: no folding them away */
		for (long i = 0; i < n_ops; i++)
			sum += v[i][0];
		printf("%.1f MiB for %ld live 32-byte objects (%ld)\n", (rss_kib() - before) / 1024.0,
		       n_ops, sum & 1);
	} else if (!strcmp(mode, "uaf")) {
		char *p = malloc(32);
		free(p);
		for (long i = 0; i < n_ops; i++)
			free(malloc(16 + (i & 127)));
		fprintf(stderr, "read after %ld pairs\n", n_ops);
		volatile char c = p[1];
		(void)c;
		printf("missed\n");
		return 0;
	}
	return 0;
}
