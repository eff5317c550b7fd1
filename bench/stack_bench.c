/*
 * stack_bench.c - what thread and fiber stacks in the arena cost (issue 14).
 *
 *   thread create+join   one thread at a time, its start routine touches
 *                        4 KiB of its stack; per thread, median of 5 runs
 *   switch round trip    swapcontext to a coroutine and back, plain and
 *                        with the AddressSanitizer fiber interface around
 *                        each switch; per round trip
 *
 * Built three ways (bench/Makefile, target "stacks"): plain (no vkasan: glibc
 * stacks, glibc swapcontext), vkasan-cc (outline) and vkasan-cc --inline.
 * The vkasan builds measure threads on arena stacks (arena_stacks=1, the
 * default) and on glibc's (arena_stacks=0), set at run time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#ifdef BENCH_VK
#include "vkasan.h"
#endif

void __sanitizer_start_switch_fiber(void **fake, const void *bottom, size_t size)
	__attribute__((weak));
void __sanitizer_finish_switch_fiber(void *fake, const void **bottom_old, size_t *size_old)
	__attribute__((weak));

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median5(double *v)
{
	qsort(v, 5, sizeof(*v), cmp);
	return v[2];
}

static volatile long sink;

static void *touch(void *arg)
{
	char buf[4096];
	memset(buf, (int)(long)arg, sizeof(buf));
	sink += buf[100];
	return NULL;
}

static double threads_us(int n)
{
	double v[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		for (int i = 0; i < n; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, touch, (void *)(long)i))
				abort();
			pthread_join(t, NULL);
		}
		v[r] = (now() - t0) / n * 1e6;
	}
	return median5(v);
}

/* ---------------------------------------------------------------- fibers */

static ucontext_t main_ctx, co_ctx;
static int use_api;
static char *co_stack;
static size_t co_size = 64 << 10;
static const void *main_bottom;
static size_t main_size;

static void co_main(void)
{
	if (use_api)
		__sanitizer_finish_switch_fiber(NULL, &main_bottom, &main_size);
	for (;;) {
		char buf[64];
		memset(buf, 1, sizeof(buf));
		sink += buf[3];
		void *fake;
		if (use_api)
			__sanitizer_start_switch_fiber(&fake, main_bottom, main_size);
		swapcontext(&co_ctx, &main_ctx);
		if (use_api)
			__sanitizer_finish_switch_fiber(fake, NULL, NULL);
	}
}

static double switch_ns(int n, int api)
{
	use_api = api && __sanitizer_start_switch_fiber;
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = co_stack;
	co_ctx.uc_stack.ss_size = co_size;
	co_ctx.uc_link = NULL;
	makecontext(&co_ctx, co_main, 0);
	double v[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		for (int i = 0; i < n; i++) {
			void *fake;
			if (use_api)
				__sanitizer_start_switch_fiber(&fake, co_stack, co_size);
			swapcontext(&main_ctx, &co_ctx);
			if (use_api)
				__sanitizer_finish_switch_fiber(fake, NULL, NULL);
		}
		v[r] = (now() - t0) / n * 1e9;
	}
	return median5(v);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "plain";
	int nthreads = argc > 2 ? atoi(argv[2]) : 2000;
	int nswitch = argc > 3 ? atoi(argv[3]) : 200000;
#ifdef BENCH_VK
	vk_set_option("arena_stacks", "1");
	printf("%-8s thread create+join, arena stacks: %8.2f us\n", name, threads_us(nthreads));
	vk_set_option("arena_stacks", "0");
	printf("%-8s thread create+join, glibc stacks: %8.2f us\n", name, threads_us(nthreads));
	co_stack = vk_stack_alloc(co_size);
#else
	printf("%-8s thread create+join, glibc stacks: %8.2f us\n", name, threads_us(nthreads));
	co_stack = malloc(co_size);
#endif
	printf("%-8s swapcontext round trip:          %8.1f ns\n", name, switch_ns(nswitch, 0));
	if (__sanitizer_start_switch_fiber)
		printf("%-8s round trip with fiber interface: %8.1f ns\n", name,
		       switch_ns(nswitch, 1));
	return 0;
}
