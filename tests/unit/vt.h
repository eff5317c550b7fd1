/*
 * vt.h - the unit-test harness: TEST() functions registered by constructor,
 * EXPECT*() that record a failure and go on, EXPECT_REPORT(expr) that checks
 * that evaluating expr printed exactly one KASAN report.  Each test prints
 * "PASS: file:name" or "FAIL: file:name"; tests/run-tests.sh counts them.
 */
#ifndef VT_H
#define VT_H

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vkasan.h"
#include "vk_internal.h"

/*
 * The unit tests of the vmalloc arena check exact addresses, free regions,
 * OS calls and shadow pages of an arena that only they use; libc's own
 * allocations would put slabs in it.  So they leave malloc to libc (heap=0);
 * the heap's tests (test_heap.c) define VT_HEAP and keep it on.
 */
#ifndef VT_HEAP
const char *vk_default_options(void)
{
	return "heap=0";
}
#endif

typedef void (*vt_fn)(void);
struct vt_case { const char *name; vt_fn fn; };
static struct vt_case vt_cases[256];
static int vt_ncases, vt_failed_now;

#define TEST(tname)                                                           \
	static void tname(void);                                              \
	__attribute__((constructor)) static void vt_reg_##tname(void)         \
	{                                                                     \
		vt_cases[vt_ncases].name = #tname;                            \
		vt_cases[vt_ncases++].fn = tname;                             \
	}                                                                     \
	static void tname(void)

#define EXPECT(cond)                                                          \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "  %s:%d: expected %s\n", __FILE__,   \
				__LINE__, #cond);                             \
			vt_failed_now = 1;                                    \
		}                                                             \
	} while (0)

#define EXPECT_EQ(a, b)                                                       \
	do {                                                                  \
		unsigned long long vt_a = (unsigned long long)(a);            \
		unsigned long long vt_b = (unsigned long long)(b);            \
		if (vt_a != vt_b) {                                           \
			fprintf(stderr, "  %s:%d: %s == %llu, expected %s == %llu\n", \
				__FILE__, __LINE__, #a, vt_a, #b, vt_b);      \
			vt_failed_now = 1;                                    \
		}                                                             \
	} while (0)

/* Evaluate expr with reports not halting; expect exactly one new report. */
#define EXPECT_REPORT(expr)                                                   \
	do {                                                                  \
		vk_set_option("halt_on_error", "0");                          \
		unsigned long vt_r0 = vki_report_count();                     \
		expr;                                                         \
		unsigned long vt_r1 = vki_report_count();                     \
		if (vt_r1 != vt_r0 + 1) {                                     \
			fprintf(stderr, "  %s:%d: %s gave %lu reports, expected 1\n", \
				__FILE__, __LINE__, #expr, vt_r1 - vt_r0);    \
			vt_failed_now = 1;                                    \
		}                                                             \
	} while (0)

#define EXPECT_INVARIANTS() EXPECT_EQ(vk_check_invariants(), 0)

static inline struct vk_stats vt_stats(void)
{
	struct vk_stats s;
	vk_get_stats(&s);
	return s;
}

/* The text of a file from offset from on (a report log), in a static
 * buffer of 1 MiB; "" when it cannot be read. */
static __attribute__((unused)) char *vt_read_file(const char *path, off_t from)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, from) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* Reports of a test binary that reads them back go to one log file:
 * vt_log_to(tag, symbolize) from a constructor, then vt_log_size() before
 * and vt_log_since(offset) after the code under test.  The file is removed
 * at exit. */
static char vt_log_prefix[64];
static char vt_log_file[96];

static __attribute__((unused)) void vt_log_to(const char *tag, const char *symbolize)
{
	snprintf(vt_log_prefix, sizeof(vt_log_prefix), "/tmp/vkasan-test-%s-%d", tag,
		 (int)getpid());
	snprintf(vt_log_file, sizeof(vt_log_file), "%s.%d", vt_log_prefix, (int)getpid());
	vk_set_option("log_path", vt_log_prefix);
	vk_set_option("halt_on_error", "0");
	vk_set_option("symbolize", symbolize);
}

__attribute__((destructor)) static void vt_log_remove(void)
{
	if (vt_log_file[0])
		unlink(vt_log_file);
}

static __attribute__((unused)) off_t vt_log_size(void)
{
	struct stat st;
	return stat(vt_log_file, &st) == 0 ? st.st_size : 0;
}

static __attribute__((unused)) char *vt_log_since(off_t from)
{
	return vt_read_file(vt_log_file, from);
}

/* Run all tests, or those named on the command line. */
static int vt_main(int argc, char **argv, const char *file)
{
	int failed = 0;
	for (int i = 0; i < vt_ncases; i++) {
		if (argc > 1) {
			int want = 0;
			for (int j = 1; j < argc; j++)
				want |= !strcmp(argv[j], vt_cases[i].name);
			if (!want)
				continue;
		}
		vt_failed_now = 0;
		vt_cases[i].fn();
		printf("%s: %s:%s\n", vt_failed_now ? "FAIL" : "PASS", file, vt_cases[i].name);
		fflush(stdout);
		failed += vt_failed_now;
	}
	return failed != 0;
}

#define VT_MAIN()                                                             \
	int main(int argc, char **argv) { return vt_main(argc, argv, __FILE__); }

#endif
