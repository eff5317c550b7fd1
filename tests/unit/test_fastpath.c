/*
 * test_fastpath.c - the outline fast path (check.c): the sized checks read
 * shadow without the presence bitmap, and a read of an absent window is
 * resumed by the SIGSEGV handler at the check's slow path.  These tests
 * make that fault happen on purpose and check that the answer is the slow
 * path's: a report where the access is bad, silence where it is fine.
 */
#include "vt.h"

#include <stdint.h>

typedef void (*check_fn)(uintptr_t);
static const check_fn loads[] = { __asan_load1_noabort, __asan_load2_noabort,
				  __asan_load4_noabort, __asan_load8_noabort,
				  __asan_load16_noabort };
static const check_fn stores[] = { __asan_store1, __asan_store2, __asan_store4,
				   __asan_store8, __asan_store16 };
static const size_t widths[] = { 1, 2, 4, 8, 16 };

__attribute__((constructor(103))) static void setup_log(void)
{
	vt_log_to("fastpath", "0");
}

/* A freed, purged page: its window is absent, every check faults once. */
TEST(released_window_reports_through_the_fault)
{
	char *p = vk_vmalloc(4096);
	EXPECT(p != NULL);
	vk_vfree(p);
	vk_purge();
	EXPECT(!vki_window_present((uintptr_t)p));
	for (int w = 0; w < 5; w++) {
		unsigned long f0 = vki_check_fixup_count();
		off_t from = vt_log_size();
		EXPECT_REPORT(loads[w]((uintptr_t)p + 8));
		EXPECT_REPORT(stores[w]((uintptr_t)p + 64));
		EXPECT_EQ(vki_check_fixup_count(), f0 + 2);
		/* the trace starts at the caller, not in the runtime */
		char *t = vt_log_since(from);
		EXPECT(strstr(t, "BUG: KASAN: ") != NULL);
		EXPECT(strstr(t, "check_small") == NULL);
	}
}

/*
 * The last granules of a window whose neighbour above is absent: the 2- or
 * 3-byte shadow test reads into the absent page and faults.  The granule
 * there is a guard page's (vk_vmalloc's mappings end in one), so the slow
 * path must still report, exactly once per access.
 */
TEST(test_reaching_into_an_absent_window)
{
	char *held[64];
	int n = 0, found = 0;
	for (; n < 64 && !found; n++) {
		size_t size = 4096 * (1 + n % 7); /* some guard ends on a window edge */
		char *p = vk_vmalloc(size);
		EXPECT(p != NULL);
		held[n] = p;
		uintptr_t end = (uintptr_t)p + size + 4096; /* past the guard page */
		if (end % VKI_WINDOW_SIZE == 0 && !vki_window_present(end)) {
			unsigned long f0 = vki_check_fixup_count();
			for (int w = 1; w < 5; w++)
				EXPECT_REPORT(loads[w](end - 8));
			EXPECT_EQ(vki_check_fixup_count(), f0 + 4);
			loads[3]((uintptr_t)p + size - 8); /* the data below stays quiet */
			found = 1;
		}
	}
	EXPECT(found);
	while (n > 0)
		vk_vfree(held[--n]);
}

/* Disarmed (handle_segv=0, or the program's handler took over): the checks
 * consult the bitmap again and never fault. */
TEST(disarmed_checks_never_fault)
{
	char *p = vk_vmalloc(4096);
	vk_vfree(p);
	vk_purge();
	vki_check_arm(false);
	unsigned long f0 = vki_check_fixup_count();
	for (int w = 0; w < 5; w++)
		EXPECT_REPORT(loads[w]((uintptr_t)p));
	char *q = vk_vmalloc(100);
	for (int w = 0; w < 5; w++)
		if (widths[w] <= 100)
			loads[w]((uintptr_t)q);
	EXPECT_REPORT(loads[0]((uintptr_t)q + 100));
	EXPECT_EQ(vki_check_fixup_count(), f0);
	vki_check_arm(true);
	vk_vfree(q);
}

/* Partial granules and in-bounds accesses through the fast path. */
TEST(every_offset_of_a_small_mapping)
{
	for (size_t size = 1; size <= 40; size++) {
		char *p = vk_vmalloc(size);
		for (int w = 0; w < 5; w++)
			for (size_t off = 0; off < size + 16; off++) {
				unsigned long r0 = vki_report_count();
				loads[w]((uintptr_t)p + off);
				bool bad = off + widths[w] > size;
				EXPECT_EQ(vki_report_count() != r0, bad);
			}
		vk_vfree(p);
	}
}

VT_MAIN()
