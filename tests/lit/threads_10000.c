// 10,000 threads, created and joined in waves of 16, each on an arena stack
// of the default size (8 MiB) with a guard page, each using some of it
// (a local array written and read through checks).  No report; the shadow
// a thread costs is a few pages, and after the last join and a purge the
// shadow is exact (the invariant walk holds) and all of it is released.
// Detached threads are freed once the kernel is done with them.
//
// RUN: %cc %s -o %t -pthread
// RUN: %run %t 2>&1 | FileCheck %s
// CHECK: peak shadow pages per thread: {{[1-5]$}}
// CHECK-NEXT: after purge: live=0 lazy=0 shadow=0 invariants=0
// CHECK-NEXT: detached: live=0 invariants=0
// CHECK-NOT: KASAN
#include <pthread.h>
#include <sched.h>
#include "vktest.h"

#define WAVE 16
static volatile long sink;

static void *worker(void *arg)
{
	char buf[2048];
	long i = (long)arg;
	for (size_t k = 0; k < sizeof(buf); k++)
		buf[k] = (char)(i + k);
	long sum = 0;
	for (size_t k = 0; k < sizeof(buf); k += 64)
		sum += vt_read(&buf[k], 8);
	sink += sum;
	return NULL;
}

static int ended;

static void *detached(void *arg)
{
	__atomic_add_fetch(&ended, 1, __ATOMIC_RELEASE);
	return arg;
}

int main(void)
{
	struct vk_stats s;
	unsigned long peak = 0;
	for (long n = 0; n < 10000; n += WAVE) {
		pthread_t t[WAVE];
		for (int k = 0; k < WAVE; k++)
			if (pthread_create(&t[k], NULL, worker, (void *)(n + k))) {
				vt_mark("pthread_create failed\n");
				return 1;
			}
		vk_get_stats(&s);
		/* the stacks' shadow: the heap's slabs (threads malloc their
		 * TLS and the runtime its magazines) are counted apart */
		if (s.shadow_pages - s.heap_shadow_pages > peak)
			peak = s.shadow_pages - s.heap_shadow_pages;
		for (int k = 0; k < WAVE; k++)
			pthread_join(t[k], NULL);
	}
	/* The shadow of a wave's stacks (and of the quarantine) at its peak. */
	vt_mark("peak shadow pages per thread: %lu\n", (peak + WAVE - 1) / WAVE);
	vk_purge();
	vk_get_stats(&s);
	vt_mark("after purge: live=%llu lazy=%llu shadow=%llu invariants=%d\n",
		(unsigned long long)s.live_areas, (unsigned long long)s.lazy_areas,
		(unsigned long long)s.shadow_pages, vk_check_invariants());
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int k = 0; k < 100; k++) {
		pthread_t t;
		pthread_create(&t, &a, detached, NULL);
	}
	while (__atomic_load_n(&ended, __ATOMIC_ACQUIRE) < 100)
		sched_yield();
	for (int tries = 0; tries < 5000; tries++) {
		vk_purge();
		vk_get_stats(&s);
		if (!s.live_areas)
			break;
		usleep(1000);
	}
	vt_mark("detached: live=%llu invariants=%d\n", (unsigned long long)s.live_areas,
		vk_check_invariants());
	return 0;
}
