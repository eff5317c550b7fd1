// Reads and writes of 1, 2, 4, 8 and 16 bytes at the end of mappings of every
// partial-granule size (size % 8 = 1..7, and 0), page-sized ones included:
//   - the last `width` bytes:                fine, no report
//   - straddling the end (one byte past):    reported, at the access's start
//   - just past the end:                     reported
// Every access is counted in-process (vk_get_stats().reports) and every
// report is tied to its access by an expect-report line (report_shape.py).
//
// Inline mode has one known blind spot, the one AddressSanitizer and the
// kernel's inline KASAN have: a 2-, 4- or 8-byte check reads the shadow of
// its first byte only (the compiler takes the access as naturally aligned),
// so an unaligned access that starts in a fully valid granule and ends past
// the end goes unseen.  Those are counted as "unseen" and must not report;
// everything else must be reported as in outline mode, except that clang
// checks an unaligned 16-byte access at its first and last bytes and, when
// only the last is bad, reports that byte's address (as AddressSanitizer
// does).
//
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=0:symbolize=0 %run %t 2>&1 | FileCheck %s --check-prefixes=CHECK,CHECK-%vkmode
// CHECK-NOT: MISMATCH
// CHECK-NOT: BUG: KASAN: {{[^v]}}
// CHECK-outline: good=134 bad=276 reports=276 unseen=0
// CHECK-inline: good=134 bad=248 reports=248 unseen=28
// CHECK-NOT: MISMATCH
#include "vktest.h"

static int good, bad, unseen, mismatches;

/* Does this mode's check see the bad access at offset off of a size-byte
 * mapping? */
static int seen(size_t size, size_t off, int width)
{
#ifdef VK_LIT_INLINE
	if (width >= 2 && width <= 8 && (off & ~(size_t)7) + 8 <= size)
		return 0;
#endif
	return 1;
}

/* The address the report gives for a bad access at a whose first byte is
 * valid. */
static char *straddle_addr(char *a, int width)
{
#if defined(VK_LIT_INLINE) && defined(__clang__)
	if (width == 16 && ((uintptr_t)a & 15))
		return a + width - 1;
#endif
	return a;
}

static void one(char *a, int width, int is_write, int want_report, char *report_at)
{
	uint64_t before = vt_reports();
	if (want_report)
		vt_expect("%s of size %d at addr %p", is_write ? "Write" : "Read", width,
			  (void *)report_at);
	if (is_write)
		vt_write(a, width);
	else
		vt_read(a, width);
	uint64_t got = vt_reports() - before;
	if (got != (uint64_t)want_report) {
		vt_mark("MISMATCH: %s of %d at %p: %d reports, expected %d\n",
			is_write ? "write" : "read", width, (void *)a, (int)got, want_report);
		mismatches++;
	}
	if (want_report)
		bad++;
	else
		good++;
}

int main(void)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 17, 18, 19, 20, 21, 22,
					23, 24, 4095, 4096 };
	static const int widths[] = { 1, 2, 4, 8, 16 };
	// A live neighbour below, so that nothing here is the arena's first byte.
	char *below = vk_vmalloc(100);

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];
		char *p = vk_vmalloc(size);
		for (unsigned j = 0; j < sizeof(widths) / sizeof(widths[0]); j++) {
			size_t w = widths[j];
			for (int wr = 0; wr <= 1; wr++) {
				if (size >= w)
					one(p + size - w, w, wr, 0, NULL);
				if (w > 1 && size >= w - 1) {
					char *a = p + size - w + 1;
					if (seen(size, size - w + 1, w))
						one(a, w, wr, 1, straddle_addr(a, w));
					else {
						one(a, w, wr, 0, NULL);
						good--;
						unseen++;
					}
				}
				one(p + size, w, wr, 1, p + size);
			}
		}
		vk_vfree(p);
	}
	vk_vfree(below);
	vt_mark("good=%d bad=%d reports=%d unseen=%d\n", good, bad, (int)vt_reports(), unseen);
	return mismatches != 0;
}
