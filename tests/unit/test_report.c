/*
 * test_report.c - the check ABI, the reports and the stack depot, in
 * process and without compiler instrumentation: the tests call the
 * __asan_* entry points and the exported memcpy/memset directly, send the
 * reports to a log file and read them back.  Halting and fault reports run
 * in forked children.
 */
#include "vt.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


typedef void (*check_fn)(uintptr_t);
static const check_fn loads[] = { __asan_load1_noabort, __asan_load2_noabort,
				  __asan_load4_noabort, __asan_load8_noabort,
				  __asan_load16_noabort };
static const check_fn stores[] = { __asan_store1_noabort, __asan_store2_noabort,
				   __asan_store4_noabort, __asan_store8_noabort,
				   __asan_store16_noabort };
static const size_t widths[] = { 1, 2, 4, 8, 16 };

/* All reports of this binary go to one log file; tests read what they add. */
__attribute__((constructor(103))) static void setup_log(void)
{
	vt_log_to("report", "0"); /* symbolize=0: fast; one test turns it on */
}

static unsigned long nreports(void)
{
	return vki_report_count();
}

/* ------------------------------------------------------------ checks */

TEST(in_bounds_accesses_are_quiet)
{
	unsigned long r0 = nreports();
	char *p = vk_vmalloc(4096);
	EXPECT(p != NULL);
	for (int w = 0; w < 5; w++)
		for (size_t off = 0; off + widths[w] <= 4096; off += 7) {
			loads[w]((uintptr_t)p + off);
			stores[w]((uintptr_t)p + off);
		}
	__asan_loadN_noabort((uintptr_t)p, 4096);
	__asan_storeN_noabort((uintptr_t)p + 1, 4095);
	__asan_loadN_noabort((uintptr_t)p + 4096, 0);
	EXPECT_EQ(nreports(), r0);
	vk_vfree(p);
}

TEST(one_past_the_end_reports_once)
{
	for (int w = 0; w < 5; w++) {
		char *p = vk_vmalloc(100);
		EXPECT_REPORT(loads[w]((uintptr_t)p + 100));
		EXPECT_REPORT(stores[w]((uintptr_t)p + 100));
		/* straddling the end: last byte bad, first byte fine */
		if (widths[w] > 1)
			EXPECT_REPORT(loads[w]((uintptr_t)p + 100 - widths[w] + 1));
		EXPECT_REPORT(__asan_loadN_noabort((uintptr_t)p, 101));
		vk_vfree(p);
	}
}

TEST(partial_granules_for_sizes_1_to_16)
{
	for (size_t size = 1; size <= 16; size++) {
		char *p = vk_vmalloc(size);
		unsigned long r0 = nreports();
		for (size_t off = 0; off < size; off++)
			__asan_load1_noabort((uintptr_t)p + off);
		for (int w = 0; w < 5; w++)
			if (widths[w] <= size)
				loads[w]((uintptr_t)p + size - widths[w]);
		__asan_loadN_noabort((uintptr_t)p, size);
		EXPECT_EQ(nreports(), r0);
		for (size_t off = size; off < 24; off++)
			EXPECT_REPORT(__asan_load1_noabort((uintptr_t)p + off));
		for (int w = 0; w < 5; w++)
			EXPECT_REPORT(stores[w]((uintptr_t)p + size - widths[w] + 1));
		EXPECT_REPORT(__asan_storeN_noabort((uintptr_t)p, size + 1));
		vk_vfree(p);
	}
}

/* Every width at every offset around the end of many sizes, against the
 * rule "bad iff some byte lies outside [p, p + size)". */
TEST(checks_match_the_reference_rule)
{
	static const size_t sizes[] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,   11,   12,
					13, 14, 15, 16, 17, 31, 32, 33, 4095, 4096, 4097 };
	static const size_t nwidths[] = { 3, 17, 33, 100 };
	long wrong = 0, cases = 0;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		size_t size = sizes[k];
		char *p = vk_vmalloc(size);
		for (long off = -16; off <= (long)size + 24; off++) {
			for (int w = 0; w < 9; w++) {
				size_t width = w < 5 ? widths[w] : nwidths[w - 5];
				bool bad = off < 0 || off + (long)width > (long)size;
				unsigned long r0 = nreports();
				if (w < 5)
					(off & 1 ? stores : loads)[w]((uintptr_t)p + off);
				else
					__asan_loadN_noabort((uintptr_t)p + off, width);
				wrong += nreports() - r0 != (unsigned long)bad;
				cases++;
			}
		}
		vk_vfree(p);
	}
	EXPECT_EQ(wrong, 0);
	EXPECT(cases > 5000);
	/* thousands of reports: keep the log small for the tests that read it */
	close(open(vt_log_file, O_WRONLY | O_TRUNC));
}

TEST(guard_page_and_before_start)
{
	char *p = vk_vmalloc(4096);
	EXPECT_REPORT(__asan_load8_noabort((uintptr_t)p + 4096));
	EXPECT_REPORT(__asan_load1_noabort((uintptr_t)p + 8191));
	/* The page before p is the previous mapping's guard, or free space. */
	if ((uintptr_t)p > vki_arena_base)
		EXPECT_REPORT(__asan_load1_noabort((uintptr_t)p - 1));
	vk_vfree(p);
}

TEST(absent_window_reports_without_faulting)
{
	/* The top of a 1 TiB arena is never populated by this test. */
	uintptr_t far = vki_arena_end - 4 * VKI_WINDOW_SIZE;
	EXPECT(!vki_window_present(far));
	for (int w = 0; w < 5; w++)
		EXPECT_REPORT(loads[w](far));
	EXPECT_REPORT(__asan_storeN_noabort(far, 100000));
	/* released at purge: use after free and purge reports, never faults */
	char *p = vk_vmalloc(64 << 10);
	vk_vfree(p);
	vk_purge();
	if (!vki_window_present((uintptr_t)p + (32 << 10)))
		EXPECT_REPORT(__asan_load4_noabort((uintptr_t)p + (32 << 10)));
}

TEST(outside_the_arena_never_reports)
{
	unsigned long r0 = nreports();
	long local[4] = { 0 };
	char *m = malloc(64);
	uintptr_t spots[] = { (uintptr_t)local, (uintptr_t)m, 0, 8, vki_arena_end,
			      vki_arena_end + 4096, vki_arena_base - 16, UINTPTR_MAX - 7 };
	for (size_t i = 0; i < sizeof(spots) / sizeof(*spots); i++) {
		for (int w = 0; w < 5; w++) {
			loads[w](spots[i]);
			stores[w](spots[i]);
		}
		__asan_loadN_noabort(spots[i], 8);
	}
	__asan_loadN_noabort(vki_arena_base - 4096, 4096);
	__asan_loadN_noabort(vki_arena_end, 1 << 20);
	__asan_report_load4_noabort((uintptr_t)local);
	__asan_report_store_n_noabort((uintptr_t)m, 64);
	EXPECT_EQ(nreports(), r0);
	free(m);
	/* straddling the arena's end: the part inside is checked */
	EXPECT_REPORT(__asan_load16_noabort(vki_arena_end - 8));
	EXPECT_REPORT(__asan_loadN_noabort(vki_arena_end - 8, 64));
}

TEST(use_after_free_reports)
{
	char *p = vk_vmalloc(200);
	vk_vfree(p);
	EXPECT_REPORT(__asan_load1_noabort((uintptr_t)p));
	EXPECT_REPORT(__asan_store8_noabort((uintptr_t)p + 64));
}

/* ------------------------------------------------------------ mem* */

TEST(memcpy_memset_memmove_overflow)
{
	char *p = vk_vmalloc(100);
	char src[200];
	memset(src, 'x', sizeof(src));
	/* through pointers, so the compiler cannot inline the builtins */
	void *(*volatile cpy)(void *, const void *, size_t) = memcpy;
	void *(*volatile mov)(void *, const void *, size_t) = memmove;
	void *(*volatile set)(void *, int, size_t) = memset;
	unsigned long r0 = nreports();
	cpy(p, src, 100);
	set(p, 1, 100);
	mov(p + 1, p, 99);
	EXPECT_EQ(nreports(), r0);
	EXPECT_REPORT(cpy(p, src, 101));
	EXPECT_REPORT(cpy(src, p, 101));
	EXPECT_REPORT(set(p + 50, 0, 51));
	EXPECT_REPORT(mov(p + 1, p, 100));
	EXPECT_REPORT(__asan_memcpy(p + 99, src, 2));
	EXPECT_REPORT(__asan_memset(p - 1, 0, 2));
	vk_vfree(p);
}

/* Reference byte copy, volatile so it stays a loop. */
static void ref_move(volatile char *d, const volatile char *s, size_t n)
{
	char tmp[700];
	for (size_t i = 0; i < n; i++)
		tmp[i] = s[i];
	for (size_t i = 0; i < n; i++)
		d[i] = tmp[i];
}

TEST(mem_functions_copy_correctly)
{
	static char a[1024], b[1024], want[1024];
	void *(*volatile cpy)(void *, const void *, size_t) = memcpy;
	void *(*volatile mov)(void *, const void *, size_t) = memmove;
	void *(*volatile set)(void *, int, size_t) = memset;
	int bad = 0;
	for (size_t n = 0; n <= 300; n += (n < 70 ? 1 : 13)) {
		for (int soff = 0; soff < 3; soff++)
			for (int doff = 0; doff < 3; doff++) {
				for (int i = 0; i < 1024; i++)
					a[i] = (char)(i * 7 + n), b[i] = want[i] = (char)~i;
				ref_move(want + 8 + doff, a + soff, n);
				if (cpy(b + 8 + doff, a + soff, n) != b + 8 + doff)
					bad++;
				bad += memcmp(b, want, 1024) != 0;
				/* overlapping both ways, inside one buffer */
				for (int delta = -9; delta <= 9; delta += 3) {
					for (int i = 0; i < 1024; i++)
						a[i] = want[i] = (char)(i ^ n);
					ref_move(want + 300 + delta, want + 300, n);
					mov(a + 300 + delta, a + 300, n);
					bad += memcmp(a, want, 1024) != 0;
				}
				for (int i = 0; i < 1024; i++)
					b[i] = want[i] = 5;
				for (size_t i = 0; i < n; i++)
					want[100 + doff + i] = (char)0xab;
				set(b + 100 + doff, 0xab, n);
				bad += memcmp(b, want, 1024) != 0;
			}
	}
	EXPECT_EQ(bad, 0);
}

/* ------------------------------------------------------------ frees */

TEST(double_and_invalid_free)
{
	char *p = vk_vmalloc(300);
	vk_vfree(p);
	EXPECT_REPORT(vk_vfree(p));
	char *q = vk_vmalloc(300);
	EXPECT_REPORT(vk_vfree(q + 16));
	int local;
	EXPECT_REPORT(vk_vfree(&local));
	char *m = malloc(32);
	EXPECT_REPORT(vk_vfree(m));
	free(m);
	vk_vfree(q);
}

/* ------------------------------------------------------------ depot */

static __attribute__((noinline)) uint32_t save_here(void)
{
	uint32_t h = vki_stack_save(0);
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return h;
}

static __attribute__((noinline)) uint32_t site_a(void)
{
	uint32_t h = save_here();
	__asm__ volatile("" ::: "memory");
	return h;
}

static __attribute__((noinline)) uint32_t site_b(void)
{
	uint32_t h = save_here();
	__asm__ volatile("" ::: "memory");
	return h;
}

TEST(depot_dedups_stacks)
{
	uint32_t a1 = 0, a2 = 0, b1;
	/* volatile: one call site, not an unrolled pair */
	for (volatile int i = 0; i < 2; i++) {
		uint32_t h = site_a();
		if (i == 0)
			a1 = h;
		else
			a2 = h;
	}
	b1 = site_b();
	EXPECT(a1 != 0);
	EXPECT_EQ(a1, a2);
	EXPECT(b1 != 0);
	EXPECT(a1 != b1);
	/* the first frame is the call site in save_here's caller */
	uintptr_t fa[64], fb[64];
	int na = vki_stack_fetch(a1, fa, 64), nb = vki_stack_fetch(b1, fb, 64);
	EXPECT(na >= 2);
	EXPECT(nb >= 2);
	EXPECT(fa[0] - (uintptr_t)site_a < 64);
	EXPECT(fb[0] - (uintptr_t)site_b < 64);
	size_t used = 0;
	for (volatile int i = 0; i < 1000; i++) {
		site_a();
		if (i == 0)
			used = vki_stack_depot_bytes();
	}
	EXPECT_EQ(vki_stack_depot_bytes(), used);
}

TEST(depot_respects_stack_depth)
{
	vk_set_option("stack_depth", "1");
	uint32_t h = site_b();
	uintptr_t f[64];
	EXPECT_EQ(vki_stack_fetch(h, f, 64), 1);
	vk_set_option("stack_depth", "32");
}

static void *depot_thread(void *arg)
{
	uint32_t *out = arg, first = 0;
	for (int i = 0; i < 2000; i++) {
		uint32_t h = site_a(); /* one call site */
		if (i == 0)
			first = h;
		else if (h != first)
			first = 0;
	}
	*out = first;
	return NULL;
}

TEST(depot_is_consistent_across_threads)
{
	pthread_t t[4];
	uint32_t h[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, depot_thread, &h[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		EXPECT(h[i] != 0);
		EXPECT_EQ(h[i], h[0]); /* same stack from every thread: one record */
	}
}

/* ------------------------------------------------------------ text */

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, prefix, len);
	return n;
}

static const char *line_starting(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, prefix, len))
			return l;
	return NULL;
}

static __attribute__((noinline)) void bad_reader(char *p, size_t off)
{
	__asan_load1_noabort((uintptr_t)p + off);
	__asm__ volatile("" ::: "memory");
}

static const char sep[] = "==================================================================\n";

TEST(report_text_out_of_bounds)
{
	vk_set_option("symbolize", "1");
	char *p = vk_vmalloc(3000);
	off_t from = vt_log_size();
	EXPECT_REPORT(bad_reader(p, 3005));
	char *t = vt_log_since(from);
	EXPECT(!strncmp(t, sep, sizeof(sep) - 1));
	EXPECT(line_starting(t, "BUG: KASAN: vmalloc-out-of-bounds in bad_reader+0x") != NULL);
	char want[128], name[32];
	vki_os_thread_name(name, sizeof(name));
	snprintf(want, sizeof(want), "Read of size 1 at addr 0x%lx by task %s/%d\n",
		 (unsigned long)(p + 3005), name, vki_os_gettid());
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "\n\nCall Trace:\n bad_reader+0x") != NULL);
	EXPECT(strstr(t, "test_report.c:") != NULL); /* symbolized file:line */
	snprintf(want, sizeof(want),
		 "The buggy address belongs to the virtual mapping at\n [0x%lx, 0x%lx) created by:\n",
		 (unsigned long)p, (unsigned long)(p + 4096));
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "created by:\n report_text_out_of_bounds+0x") != NULL);
	snprintf(want, sizeof(want),
		 "The buggy address is located 5 bytes to the right of\n 3000-byte region [0x%lx, 0x%lx)\n",
		 (unsigned long)p, (unsigned long)(p + 3000));
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "Freed by task") == NULL);
	EXPECT(strstr(t, "\nMemory state around the buggy address:\n") != NULL);
	/* 5 rows, the middle one marked; '^' under the granule of p + 3005 */
	EXPECT_EQ(count_lines_starting(t, " 0x6"), 4);
	EXPECT_EQ(count_lines_starting(t, ">0x6"), 1);
	const char *row = line_starting(t, ">0x");
	if (row) {
		uintptr_t row_addr = strtoul(row + 1, NULL, 16);
		EXPECT_EQ(row_addr, ((uintptr_t)p + 3000) & ~127UL);
		const char *marker = strchr(row, '\n') + 1;
		const char *caret = strchr(marker, '^');
		EXPECT(caret != NULL && caret < strchr(marker, '\n'));
		int col = (int)(caret - marker);
		int gran = (int)(((uintptr_t)p + 3000 - row_addr) / 8);
		EXPECT_EQ(col, (int)(strchr(row, ':') - row) + 2 + 3 * gran);
		/* the marked byte is the first f8 after the 00s */
		EXPECT(!strncmp(row + col, "f8", 2));
		EXPECT(!strncmp(row + col - 3, "00", 2));
	}
	const char *end = strstr(t, "Memory state");
	EXPECT(end && strstr(end, sep) != NULL);
	vk_vfree(p);
	vk_set_option("symbolize", "0");
}

TEST(report_text_partial_granule_and_write)
{
	char *p = vk_vmalloc(13);
	off_t from = vt_log_size();
	EXPECT_REPORT(__asan_store4_noabort((uintptr_t)p + 10));
	char *t = vt_log_since(from);
	char want[96];
	snprintf(want, sizeof(want), "Write of size 4 at addr 0x%lx by task ", (unsigned long)(p + 10));
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "BUG: KASAN: vmalloc-out-of-bounds in ") != NULL);
	/* first row of the mapping: 00 05 f8 ..., '^' under the 05 */
	const char *row = line_starting(t, ">0x");
	EXPECT(row && strstr(row, ": 00 05 f8 f8") == strchr(row, ':'));
	if (row) {
		const char *marker = strchr(row, '\n') + 1;
		int col = (int)(strchr(marker, '^') - marker);
		EXPECT(!strncmp(row + col, "05", 2));
	}
	vk_vfree(p);
}

TEST(report_text_use_after_free)
{
	char *p = vk_vmalloc(64);
	vk_vfree(p);
	off_t from = vt_log_size();
	EXPECT_REPORT(bad_reader(p, 8));
	char *t = vt_log_since(from);
	EXPECT(strstr(t, "BUG: KASAN: use-after-free in bad_reader+0x") != NULL);
	EXPECT(strstr(t, "The buggy address belongs to the virtual mapping at\n") != NULL);
	char want[128], name[32];
	vki_os_thread_name(name, sizeof(name));
	snprintf(want, sizeof(want), "\nFreed by task %s/%d:\n report_text_use_after_free+0x",
		 name, vki_os_gettid());
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "located 8 bytes inside of\n freed 64-byte region") != NULL);
}

static int freer_tid;

static void *freer_thread(void *p)
{
	pthread_setname_np(pthread_self(), "vt-freer");
	freer_tid = vki_os_gettid();
	vk_vfree(p);
	return NULL;
}

TEST(report_names_an_exited_freeing_thread)
{
	char *p = vk_vmalloc(64);
	pthread_t t;
	pthread_create(&t, NULL, freer_thread, p);
	pthread_join(t, NULL); /* gone before the report */
	off_t from = vt_log_size();
	EXPECT_REPORT(bad_reader(p, 0));
	char want[64];
	snprintf(want, sizeof(want), "\nFreed by task vt-freer/%d:\n freer_thread+0x", freer_tid);
	EXPECT(strstr(vt_log_since(from), want) != NULL);
}

TEST(report_text_wild_and_absent)
{
	uintptr_t far = vki_arena_end - 8 * VKI_WINDOW_SIZE + 24;
	off_t from = vt_log_size();
	EXPECT_REPORT(__asan_load8_noabort(far));
	char *t = vt_log_since(from);
	EXPECT(strstr(t, "BUG: KASAN: wild-memory-access in ") != NULL);
	EXPECT(strstr(t, "Read of size 8 at addr ") != NULL);
	EXPECT(strstr(t, "belongs to no mapping") != NULL);
	const char *row = line_starting(t, ">0x");
	EXPECT(row && strstr(row, ": -- -- --") == strchr(row, ':'));
}

TEST(report_text_double_and_invalid_free)
{
	char *p = vk_vmalloc(500);
	vk_vfree(p);
	off_t from = vt_log_size();
	EXPECT_REPORT(vk_vfree(p));
	char *t = vt_log_since(from);
	EXPECT(line_starting(t, "BUG: KASAN: double-free in report_text_double_and_invalid_free+0x") != NULL);
	char want[96];
	snprintf(want, sizeof(want), "Free of addr 0x%lx by task ", (unsigned long)p);
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "Call Trace:\n report_text_double_and_invalid_free+0x") != NULL);
	EXPECT(strstr(t, "Freed by task ") != NULL);
	EXPECT(strstr(t, "created by:\n") != NULL);

	int local;
	from = vt_log_size();
	EXPECT_REPORT(vk_vfree(&local));
	t = vt_log_since(from);
	EXPECT(line_starting(t, "BUG: KASAN: invalid-free in ") != NULL);
	snprintf(want, sizeof(want), "Free of addr 0x%lx by task ", (unsigned long)&local);
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "outside the vmalloc arena") != NULL);
	EXPECT(strstr(t, "Memory state") == NULL);
}

TEST(report_count_in_stats_and_max_reports)
{
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.reports, nreports());
	char *p = vk_vmalloc(8);
	char lim[32];
	snprintf(lim, sizeof(lim), "%lu", nreports() + 1);
	vk_set_option("max_reports", lim);
	unsigned long r0 = nreports();
	off_t from = vt_log_size();
	__asan_load1_noabort((uintptr_t)p + 8);
	__asan_load1_noabort((uintptr_t)p + 8);
	__asan_load1_noabort((uintptr_t)p + 8);
	EXPECT_EQ(nreports(), r0 + 1);
	EXPECT_EQ(count_lines_starting(vt_log_since(from), "BUG: KASAN:"), 1);
	vk_set_option("max_reports", "0");
	vk_vfree(p);
}

static void *reporting_thread(void *arg)
{
	char *p = arg;
	for (int i = 0; i < 25; i++)
		__asan_load2_noabort((uintptr_t)p + 99);
	return NULL;
}

TEST(concurrent_reports_do_not_interleave)
{
	char *p = vk_vmalloc(100);
	unsigned long r0 = nreports();
	off_t from = vt_log_size();
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, reporting_thread, p);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(nreports(), r0 + 100);
	/* every report: separator, BUG line, ... , separator, in one piece */
	const char *l = vt_log_since(from);
	int reports = 0, broken = 0;
	while (*l) {
		if (strncmp(l, sep, sizeof(sep) - 1)) {
			broken++;
			break;
		}
		l += sizeof(sep) - 1;
		broken += strncmp(l, "BUG: KASAN: vmalloc-out-of-bounds in reporting_thread", 53) != 0;
		const char *end = strstr(l, sep);
		if (!end)
			break;
		const char *bug2 = strstr(l + 1, "BUG: KASAN");
		broken += bug2 && bug2 < end; /* another report inside this one */
		l = end + sizeof(sep) - 1;
		reports++;
	}
	EXPECT_EQ(reports, 100);
	EXPECT_EQ(broken, 0);
	vk_vfree(p);
}

/* ------------------------------------------------------------ halting, faults */

/* Run fn in a child; return its wait status; its log text in *text. */
static int in_child(void (*fn)(void), const char *opts_name, const char *opts_val, char **text)
{
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s-child", vt_log_prefix);
	pid_t pid = fork();
	if (pid == 0) {
		vk_set_option("log_path", prefix);
		if (opts_name)
			vk_set_option(opts_name, opts_val);
		fn();
		_exit(77);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	char file[128];
	snprintf(file, sizeof(file), "%s.%d", prefix, (int)pid);
	*text = vt_read_file(file, 0);
	unlink(file);
	return st;
}

static void child_oob(void)
{
	vk_set_option("halt_on_error", "1");
	vk_set_option("exitcode", "42");
	char *p = vk_vmalloc(10);
	__asan_load1_noabort((uintptr_t)p + 10);
}

static void child_wild_fault(void)
{
	/* far above the committed part of the arena: PROT_NONE */
	volatile char *far = (volatile char *)(vki_arena_end - VKI_WINDOW_SIZE + 40);
	(void)*far;
}

static void child_shadow_fault(void)
{
	/* the shadow of a window nobody populated: absent, so it faults */
	uintptr_t addr = vki_arena_end - 2 * VKI_WINDOW_SIZE + 64;
	volatile char *s = (volatile char *)vki_mem_to_shadow(addr);
	*s = 1;
}

static void child_plain_segv(void)
{
	volatile int *bad = (volatile int *)16;
	(void)*bad;
}

TEST(halt_on_error_exits_with_exitcode)
{
	char *t;
	int st = in_child(child_oob, NULL, NULL, &t);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	EXPECT(strstr(t, "BUG: KASAN: vmalloc-out-of-bounds") != NULL);
	st = in_child(child_oob, "abort_on_error", "1", &t);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

TEST(faults_in_arena_and_shadow_become_reports)
{
	char *t;
	int st = in_child(child_wild_fault, "exitcode", "33", &t);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 33);
	EXPECT(strstr(t, "BUG: KASAN: wild-memory-access in child_wild_fault+0x") != NULL);
	char want[96];
	snprintf(want, sizeof(want), "Read of unknown size at addr 0x%lx by task ",
		 (unsigned long)(vki_arena_end - VKI_WINDOW_SIZE + 40));
	EXPECT(strstr(t, want) != NULL);
	EXPECT(strstr(t, "Call Trace:\n child_wild_fault+0x") != NULL);

	st = in_child(child_shadow_fault, "exitcode", "34", &t);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 34);
	snprintf(want, sizeof(want), "Write of unknown size at addr 0x%lx by task ",
		 (unsigned long)(vki_arena_end - 2 * VKI_WINDOW_SIZE + 64));
	EXPECT(strstr(t, want) != NULL);

	/* not vkasan's: the program still dies of SIGSEGV, silently */
	st = in_child(child_plain_segv, NULL, NULL, &t);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	EXPECT(strstr(t, "KASAN") == NULL);
}

VT_MAIN()
