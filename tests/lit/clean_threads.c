// Four threads allocate, use and free mappings at once, and purge now and
// then; neighbours of different threads share shadow pages.  No report, the
// invariant walk holds afterwards, and nothing is left once all is freed.
//
// RUN: %cc %s -o %t -pthread
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: threads: 4 x 4000 rounds, 0 errors, 0 reports, invariants 0
// CHECK-NEXT: end: live=0 shadow_pages=0
#include <pthread.h>
#include <stdlib.h>
#include "vktest.h"

#define SLOTS 64

static int errors;

static void *worker(void *arg)
{
	uint64_t rng = 0x2545f4914f6cdd1dull * (1 + (uintptr_t)arg);
	char *slot[SLOTS] = { 0 };
	size_t len[SLOTS];
	uint8_t tag = (uint8_t)(uintptr_t)arg + 1;

	for (int round = 0; round < 4000; round++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int i = rng % SLOTS;
		if (slot[i]) {
			for (size_t k = 0; k < len[i]; k += 61)
				if (vt_read(slot[i] + k, 1) != tag)
					__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
			vk_vfree(slot[i]);
			slot[i] = NULL;
		} else {
			len[i] = 1 + (rng >> 20) % 3000;
			slot[i] = vk_vmalloc(len[i]);
			if (!slot[i]) {
				__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
				continue;
			}
			memset(slot[i], tag, len[i]);
			vt_write(slot[i] + len[i] - 1, 1);
			slot[i][len[i] - 1] = tag;
		}
		if (round % 500 == 0)
			vk_purge();
	}
	for (int i = 0; i < SLOTS; i++)
		vk_vfree(slot[i]);
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	int inv = vk_check_invariants();
	printf("threads: 4 x 4000 rounds, %d errors, %d reports, invariants %d\n", errors,
	       (int)vt_reports(), inv);
	vk_purge();
	struct vk_stats s;
	vk_get_stats(&s);
	/* shadow of vk_vmalloc's mappings: the heap's slabs (stdio) may stay */
	printf("end: live=%llu shadow_pages=%llu\n", (unsigned long long)s.live_areas,
	       (unsigned long long)(s.shadow_pages - s.heap_shadow_pages));
	return 0;
}
