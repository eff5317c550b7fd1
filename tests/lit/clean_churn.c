// Heavy churn: thousands of mappings of random sizes allocated, written,
// read and freed in random order, purges now and then; the invariant walk
// holds after every purge and the program prints nothing.  At the end,
// everything freed and purged: no shadow page left, one free region.
//
// RUN: %cc %s -o %t
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: churn: 20000 rounds, {{[1-9][0-9]*}} purges, 0 invariant failures, 0 reports
// The heap (libc's stdout buffer) may keep slabs: their shadow and the free
// regions they split off are not counted.
// CHECK-NEXT: end: live=0 lazy=0 shadow_pages=0 merged=1
#include <stdlib.h>
#include "vktest.h"

#define SLOTS 512

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	static char *slot[SLOTS];
	static size_t len[SLOTS];
	int purges = 0, bad = 0;

	for (int round = 0; round < 20000; round++) {
		int i = next() % SLOTS;
		if (slot[i]) {
			// Check the first and last bytes still hold what was written.
			if (vt_read(slot[i], 1) != (uint8_t)i ||
			    vt_read(slot[i] + len[i] - 1, 1) != (uint8_t)i)
				printf("slot %d corrupted\n", i);
			vk_vfree(slot[i]);
			slot[i] = NULL;
		} else {
			size_t n = next() % 8 ? 1 + next() % 600 : 1 + next() % 40000;
			slot[i] = next() % 4 ? vk_vmalloc(n) : vk_vmalloc_aligned(n, 1UL << (12 + next() % 5));
			len[i] = n;
			if (!slot[i]) {
				printf("vk_vmalloc(%zu) failed\n", n);
				continue;
			}
			memset(slot[i], i, n);
			vt_write(slot[i] + n - 1, 1);
			slot[i][n - 1] = (char)i;
		}
		if (round % 1000 == 999) {
			vk_purge();
			purges++;
			bad += vk_check_invariants() != 0;
		}
	}
	printf("churn: 20000 rounds, %d purges, %d invariant failures, %d reports\n", purges, bad,
	       (int)vt_reports());
	for (int i = 0; i < SLOTS; i++)
		vk_vfree(slot[i]);
	vk_purge();
	/* The address-space quarantine keeps purged ranges apart: back to
	 * free space, they merge into one region again. */
	vk_set_option("vmalloc_quarantine", "0");
	vk_purge();
	struct vk_stats s;
	vk_get_stats(&s);
	printf("end: live=%llu lazy=%llu shadow_pages=%llu merged=%d\n",
	       (unsigned long long)s.live_areas, (unsigned long long)s.lazy_areas,
	       (unsigned long long)(s.shadow_pages - s.heap_shadow_pages),
	       s.free_regions <= s.heap_mappings + 1);
	return 0;
}
