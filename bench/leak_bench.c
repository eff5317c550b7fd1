/*
 * leak_bench.c - the cost of a leak check: N live objects (default
 * 1,000,000 of 32 bytes), all reachable (chains of 1,000 hanging off one
 * array in a global), then the check run in-process three times; prints
 * the best and median in ms.  Built twice: with vkasan-cc (-DBENCH_VK,
 * vk_leak_check) and with -fsanitize=address (LeakSanitizer's
 * __lsan_do_recoverable_leak_check).  Neither finds a leak here: what is
 * measured is the scan of every root and object, which is what the check
 * at exit costs a program with that many live objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef BENCH_VK
#include "vkasan.h"
#define CHECK() vk_leak_check()
#define NAME "vkasan"
#else
#include <sanitizer/lsan_interface.h>
#define CHECK() __lsan_do_recoverable_leak_check()
#define NAME "lsan"
#endif

struct obj {
	struct obj *next;
	long payload[3];
};

struct obj **chains;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long per = 1000, nchains = (n + per - 1) / per;
	chains = calloc(nchains, sizeof(*chains));
	for (long i = 0; i < n; i++) {
		struct obj *o = malloc(sizeof(*o));
		o->next = chains[i / per];
		o->payload[0] = i;
		chains[i / per] = o;
	}
	double t[3];
	int found = 0;
	for (int r = 0; r < 3; r++) {
		double t0 = now_ms();
		found += CHECK();
		t[r] = now_ms() - t0;
	}
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (t[j] < t[i]) {
				double x = t[i];
				t[i] = t[j];
				t[j] = x;
			}
	printf("%s objects=%ld check_ms best=%.1f median=%.1f leaks=%d\n", NAME, n + 1, t[0],
	       t[1], found);
	return 0;
}
