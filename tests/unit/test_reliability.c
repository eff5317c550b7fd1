/*
 * test_reliability.c - vkasan must never be what breaks (issue 5): the
 * failure points and hostile uses that test_failure.c and test_hostile.c do
 * not cover.
 *
 *   - fault injection: metadata chunk exhaustion, guard installation
 *     (guard_pages=1), the populate undo path over leftover (debt) shadow,
 *     a failed decommit at purge, failures while the runtime starts;
 *   - malformed VKASAN_OPTIONS: one-line warnings, the program runs;
 *   - options changed at run time while mappings exist;
 *   - fork() in a threaded program, the child keeps allocating;
 *   - calls from constructors before the runtime's own, from atexit
 *     handlers and destructors after the runtime's;
 *   - the invariant walk (and verify_every) racing other threads.
 *
 * Scenarios that need their own process (start-up options, crashes if the
 * runtime is wrong, exit handlers) re-run this binary with VTR_CHILD=<mode>:
 * a constructor that runs before the runtime's dispatches to the mode and
 * exits, so the test functions never run there.
 */
#include "vtx.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

/* ------------------------------------------------------------ helpers */


static uintptr_t win_addr(size_t w)
{
	return vtx_base() + w * WIN;
}

/* In a forked child: write every byte of [p, p + n).  True when the child
 * did so without dying (a guard page left in a mapping kills it). */
static bool writable_in_child(void *p, size_t n)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		vk_set_option("handle_segv", "0");
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		for (size_t i = 0; i < n; i++)
			((volatile char *)p)[i] = (char)i;
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* In a forked child: does writing the byte at p fault? */
static bool faults_in_child(void *p)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		vk_set_option("handle_segv", "0");
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)p = 1;
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

/*
 * Run this binary as VTR_CHILD=mode with VKASAN_OPTIONS=opts (unset when
 * NULL); collect its stdout and stderr (merged) into out.  Returns the
 * wait status, or -1.
 */
static int run_child(const char *mode, const char *opts, char *out, size_t outsz)
{
	int fd[2];
	if (pipe(fd))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		setenv("VTR_CHILD", mode, 1);
		if (opts)
			setenv("VKASAN_OPTIONS", opts, 1);
		else
			unsetenv("VKASAN_OPTIONS");
		char *argv[] = { "test_reliability", NULL };
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fd[1]);
	size_t len = 0;
	for (;;) {
		char tmp[4096];
		ssize_t r = read(fd[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && len + 1 < outsz; i++)
			out[len++] = tmp[i];
	}
	out[len] = 0;
	close(fd[0]);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* Send the reports of expected bugs to a scratch file, not the test log. */
static char quiet_path[96];

static void quiet_reports(bool on)
{
	if (on) {
		char base[64];
		snprintf(base, sizeof(base), "/tmp/vkasan-test-reliability");
		snprintf(quiet_path, sizeof(quiet_path), "%s.%d", base, (int)getpid());
		vk_set_option("log_path", base);
		vk_set_option("symbolize", "0"); /* nobody reads these stacks */
	} else {
		vk_set_option("symbolize", "1");
		vk_set_option("log_path", "stderr");
		vk_set_option("halt_on_error", "1");
		unlink(quiet_path);
	}
}

static bool exited_ok(int st)
{
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void show_output(const char *what, int st, const char *out)
{
	fprintf(stderr, "  %s: status %#x, output:\n", what, st);
	const char *l = out;
	for (int n = 0; *l && n < 12; n++) {
		const char *e = strchr(l, '\n');
		int len = e ? (int)(e - l) : (int)strlen(l);
		fprintf(stderr, "  | %.*s\n", len > 200 ? 200 : len, l);
		l += len + (e != NULL);
	}
}

/* Run mode in a child with opts; it must exit 0 having printed "child: ok". */
static void expect_child_ok(const char *mode, const char *opts, const char *what)
{
	static char out[8192];
	int st = run_child(mode, opts, out, sizeof(out));
	bool ok = exited_ok(st) && strstr(out, "child: ok");
	EXPECT(ok);
	if (!ok)
		show_output(what, st, out);
}

/* A mapping written with a pattern and checked again (the test is not
 * instrumented: these are plain accesses). */
static bool roundtrip(size_t n)
{
	unsigned char *p = vk_vmalloc(n);
	if (!p)
		return false;
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7);
	bool ok = vk_vmalloc_size(p) == n;
	for (size_t i = 0; i < n; i++)
		ok &= p[i] == (unsigned char)(i * 7);
	vk_vfree(p);
	return ok;
}

/* ------------------------------------------------------------ child modes */

static const char *child_mode;

/* Write a line with write(2): usable from exit handlers. */
static void say(const char *s)
{
	ssize_t r = write(1, s, strlen(s));
	(void)r;
}

/* Round trip through the whole API; prints "<where>: ok" or exits 1. */
static void api_roundtrip(const char *where)
{
	char line[128];
	bool ok = roundtrip(3000);
	unsigned char *z = vk_vzalloc(5000);
	ok &= z != NULL;
	for (size_t i = 0; z && i < 5000; i++)
		ok &= z[i] == 0;
	vk_vfree(z);
	void *a = vk_vmalloc_aligned(100, 1 << 16);
	ok &= a != NULL && (uintptr_t)a % (1 << 16) == 0;
	vk_vfree(a);
	vk_purge();
	ok &= vk_check_invariants() == 0;
	struct vk_stats s;
	vk_get_stats(&s);
	snprintf(line, sizeof(line), "%s: %s (live %llu)\n", where, ok ? "ok" : "FAILED",
		 (unsigned long long)s.live_areas);
	say(line);
	if (!ok)
		_exit(1);
}

/* opts: the program must run normally whatever VKASAN_OPTIONS says. */
static int child_opts(void)
{
	if (!roundtrip(1000) || !roundtrip(70000))
		return 1;
	vk_purge();
	if (vk_check_invariants())
		return 1;
	printf("child: ok\n");
	return 0;
}

/* initfail: fail_mmap_every=N from the start.  Whether or not the arena
 * came up, every call must behave and the process must not crash. */
static int child_initfail(void)
{
	struct vk_stats s;
	vk_get_stats(&s);
	int nulls = 0, good = 0;
	void *keep[64] = { 0 };
	for (int i = 0; i < 64; i++) {
		keep[i] = (i % 3 == 0) ? vk_vzalloc(100 + 1000 * (size_t)i)
			: (i % 3 == 1) ? vk_vmalloc(100 + 1000 * (size_t)i)
				       : vk_vmalloc_aligned(100, 1UL << (12 + i % 8));
		if (!keep[i])
			nulls++;
		else
			good++;
		if (i % 10 == 0)
			vk_purge();
	}
	for (int i = 0; i < 64; i++)
		vk_vfree(keep[i]);
	vk_vfree(NULL);
	vk_purge();
	(void)vk_vmalloc_size((void *)0x600000000000UL);
	vk_set_option("fail_mmap_every", "0");
	vk_purge();
	vtx_drain_cold(); /* purged ranges back to free space */
	vk_purge();
	if (vk_check_invariants())
		return 1;
	vk_get_stats(&s);
	bool up = s.arena_base != 0;
	/* The arena came up: now it must work and be clean. */
	if (up && (!roundtrip(5000) || s.live_areas || s.lazy_areas || s.shadow_pages ||
		   s.free_regions != 1))
		return 1;
	/* It did not: vk_vmalloc keeps failing cleanly. */
	if (!up && (vk_vmalloc(100) != NULL || good != 0))
		return 1;
	printf("child: ok (arena %s, %d NULL, %d mappings)\n", up ? "up" : "down", nulls, good);
	return 0;
}

/* atexit: the runtime is first used here, before its own constructor; an
 * atexit handler registered now runs after every handler the runtime
 * registers later, and a destructor of priority 101 after the others. */
static void *pre_main_mapping;

static void late_atexit(void)
{
	if (vk_vmalloc_size(pre_main_mapping) != 4000) {
		say("atexit: pre-main mapping lost\n");
		_exit(1);
	}
	vk_vfree(pre_main_mapping);
	pre_main_mapping = NULL;
	api_roundtrip("atexit");
}

__attribute__((destructor(101))) static void last_destructor(void)
{
	if (child_mode && !strcmp(child_mode, "atexit")) {
		api_roundtrip("destructor");
		/* A bad free here is still a report, not a crash. */
		vk_set_option("halt_on_error", "0");
		unsigned long r0 = vki_report_count();
		int local;
		vk_vfree(&local);
		say(vki_report_count() == r0 + 1 ? "destructor: report ok\n"
						  : "destructor: report missing\n");
	}
}

/* toggle_guard: guard pages switched off while a guarded mapping waits on
 * the lazy list.  Either the runtime refuses the change, or the purge still
 * removes the guard: the reused range must be writable. */
static int child_toggle_guard(void)
{
	vk_set_option("handle_segv", "0");
	signal(SIGSEGV, SIG_DFL);
	if (vk_set_option("guard_pages", "1") || vk_set_option("vmalloc_quarantine", "0"))
		return 1;
	char *p = vk_vmalloc(PG);
	vk_vfree(p);
	int rc = vk_set_option("guard_pages", "0");
	vk_purge();
	char *q = vk_vmalloc(2 * PG); /* covers p's guard page */
	if (q != p)
		return 1;
	memset(q, 1, 2 * PG);
	vk_vfree(q);
	printf("child: ok (set %s)\n", rc ? "refused" : "accepted");
	return 0;
}

/* toggle_shadow: shadow switched off and on again while mappings exist.
 * Either refused, or the shadow stays right: the walk holds and a new
 * mapping over the old range has its tail poisoned. */
static int child_toggle_shadow(void)
{
	char *p = vk_vmalloc(3 * PG);
	int rc1 = vk_set_option("shadow", "0");
	vk_vfree(p);
	vk_purge();
	int rc2 = vk_set_option("shadow", "1");
	int bad = vk_check_invariants();
	char *q = vk_vmalloc(100);
	long wrong = q ? vtx_check_live((uintptr_t)q, 100) : 1;
	vk_vfree(q);
	vk_purge();
	bad += vk_check_invariants();
	printf("child: %s (sets %s/%s, walk %d, wrong shadow bytes %ld)\n",
	       bad || wrong ? "FAILED" : "ok", rc1 ? "refused" : "accepted",
	       rc2 ? "refused" : "accepted", bad, wrong);
	return bad || wrong;
}

/* Threads doing vmalloc/write/check/vfree with the occasional purge. */
struct churn {
	pthread_t th;
	uint64_t seed;
	long iterations; /* 0: until stop */
	volatile int *stop;
	long errors;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	unsigned char *held[8] = { 0 };
	size_t sizes[8] = { 0 };
	for (long it = 0; c->iterations ? it < c->iterations : !*c->stop; it++) {
		uint64_t r = vtx_rand(&c->seed);
		int i = (int)(r % 8);
		if (held[i]) {
			for (size_t k = 0; k < sizes[i]; k += 97)
				c->errors += held[i][k] != (unsigned char)(k ^ (uintptr_t)held[i] >> 12);
			c->errors += vk_vmalloc_size(held[i]) != sizes[i];
			vk_vfree(held[i]);
			held[i] = NULL;
		} else {
			size_t n = 1 + (r >> 16) % (5 * PG);
			held[i] = (r >> 8) % 4 ? vk_vmalloc(n) : vk_vmalloc_aligned(n, 1UL << ((r >> 40) % 18));
			if (!held[i]) {
				c->errors++;
				continue;
			}
			sizes[i] = n;
			for (size_t k = 0; k < n; k += 97)
				held[i][k] = (unsigned char)(k ^ (uintptr_t)held[i] >> 12);
		}
		if (r % 64 == 0)
			vk_purge();
	}
	for (int i = 0; i < 8; i++)
		vk_vfree(held[i]);
	return NULL;
}

static long run_churn(int nthreads, long iterations, volatile int *stop, struct churn *c,
		      bool start_only)
{
	for (int i = 0; i < nthreads; i++) {
		c[i].seed = 0x1234567ULL * (uint64_t)(i + 1) + (uint64_t)getpid();
		c[i].iterations = iterations;
		c[i].stop = stop;
		c[i].errors = 0;
		if (pthread_create(&c[i].th, NULL, churn_main, &c[i]))
			return -1;
	}
	if (start_only)
		return 0;
	long errors = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(c[i].th, NULL);
		errors += c[i].errors;
	}
	return errors;
}

/* verify_threads: verify_every=1 runs the walk in every purge, whichever
 * thread purges; it must not find problems while others allocate. */
static int child_verify_threads(void)
{
	struct churn c[4];
	long errors = run_churn(4, 3000, NULL, c, false);
	vk_purge();
	struct vk_stats s;
	vk_get_stats(&s);
	printf("child: %s (%ld errors, %llu purges)\n", errors ? "FAILED" : "ok", errors,
	       (unsigned long long)s.purges);
	return errors != 0;
}

__attribute__((constructor(101))) static void child_dispatch(void)
{
	child_mode = getenv("VTR_CHILD");
	if (!child_mode)
		return;
	int rc = 2;
	if (!strcmp(child_mode, "opts"))
		rc = child_opts();
	else if (!strcmp(child_mode, "initfail"))
		rc = child_initfail();
	else if (!strcmp(child_mode, "toggle_guard"))
		rc = child_toggle_guard();
	else if (!strcmp(child_mode, "toggle_shadow"))
		rc = child_toggle_shadow();
	else if (!strcmp(child_mode, "verify_threads"))
		rc = child_verify_threads();
	else if (!strcmp(child_mode, "atexit")) {
		pre_main_mapping = vk_vmalloc(4000); /* before the runtime's constructor */
		if (!pre_main_mapping)
			_exit(1);
		memset(pre_main_mapping, 0x5a, 4000);
		atexit(late_atexit);
		api_roundtrip("constructor");
		rc = 0;
	}
	fflush(NULL);
	exit(rc);
}

/* ------------------------------------------------------------ fault injection */

/*
 * The metadata pool runs dry: the next vk_vmalloc must map a new 2 MiB chunk
 * and that fails.  One-page mappings are placed back to back from the base;
 * with injection on for each call, a NULL where no window had to be backed
 * and no arena had to be committed can only be the metadata chunk.
 */
TEST(metadata_chunk_failure)
{
	EXPECT_CLEAN();
	enum { MAXN = 100000 };
	uintptr_t *m = calloc(MAXN, sizeof(*m));
	int n = 0, hit = 0;
	uintptr_t base = vtx_base();
	while (n < MAXN && !hit) {
		uintptr_t next = base + (uintptr_t)n * 2 * PG;
		struct vk_stats s0 = vt_stats();
		bool needs_os = !vki_window_present(next) ||
				next + 2 * PG > base + s0.arena_committed;
		EXPECT_EQ(vk_set_option("fail_mmap_every", "1"), 0);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(PG);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!p) {
			EXPECT(injected > 0);
			if (!needs_os) {
				hit = 1;
				struct vk_stats s1 = vt_stats();
				EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + 1);
				EXPECT_EQ(s1.live_areas, s0.live_areas);
				EXPECT_EQ(s1.free_regions, s0.free_regions);
				EXPECT_EQ(s1.shadow_pages, s0.shadow_pages);
				EXPECT_EQ(vtx_os_total(), (long)s0.shadow_pages);
				EXPECT_INVARIANTS();
			}
			p = vk_vmalloc(PG); /* injection off: must work */
		}
		EXPECT_EQ((uintptr_t)p, next);
		if ((uintptr_t)p != next)
			break;
		m[n++] = (uintptr_t)p;
	}
	EXPECT(hit);
	EXPECT_INVARIANTS();
	for (int i = 0; i < n; i++)
		vk_vfree((void *)m[i]);
	free(m);
	EXPECT_CLEAN();
}

/*
 * guard_pages=1: installing the guard fails (1st call), or backing the
 * shadow fails after the guard went in (2nd call) and the guard is taken
 * out again.  NULL, nothing leaks, and the range is usable: a later mapping
 * over it is writable everywhere, its own guard faults.
 */
TEST(guard_install_failure)
{
	vtx_quarantine_off(); /* exact addresses of reused space */
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("guard_pages", "1"), 0);
	void *keep = vk_vmalloc(PG);
	struct vtx_map maps[1] = { { (uintptr_t)keep, PG, 0 } };
	int failures_seen = 0;
	for (long k = 1; k <= 4; k++) {
		struct vk_stats s0 = vt_stats();
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		/* A window of its own: guard install, then populate. */
		void *p = vk_vmalloc_aligned(100, WIN);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!p) {
			failures_seen++;
			EXPECT(injected > 0);
			struct vk_stats s1 = vt_stats();
			EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + 1);
			EXPECT_EQ(s1.live_areas, 1);
			EXPECT_EQ(s1.lazy_areas, 0);
			EXPECT_EQ(s1.free_regions, 1);
			EXPECT_EQ(vtx_compare_ideal(maps, 1, NULL), 0);
			EXPECT_INVARIANTS();
		} else {
			EXPECT_EQ((uintptr_t)p, win_addr(1));
			vk_vfree(p);
			vk_purge();
		}
		/* The range again, three pages: covers where the guard was. */
		char *q = vk_vmalloc_aligned(3 * PG, WIN);
		EXPECT_EQ((uintptr_t)q, win_addr(1));
		if (q) {
			EXPECT(writable_in_child(q, 3 * PG));
			EXPECT(faults_in_child(q + 3 * PG)); /* its own guard works */
			vk_vfree(q);
		}
		vk_purge();
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 2);
	vk_vfree(keep);
	EXPECT_CLEAN();
	EXPECT_EQ(vk_set_option("guard_pages", "0"), 0);
	vtx_quarantine_on();
}

/*
 * Leave shadow behind in free space (both releases of a purge fail: the
 * "debt"), then allocate over it.  Populate then backs two separate runs
 * of absent windows around the leftover ones; when the second run fails
 * the first must be given back (the undo path), leaving no window that no
 * mapping needs except the debt, and no bit without a page.
 */
TEST(populate_undo_over_debt)
{
	vtx_quarantine_off(); /* exact addresses of reused space */
	EXPECT_CLEAN();
	int failures_seen = 0;
	for (long k = 1; k <= 3; k++) {
		uintptr_t a1 = (uintptr_t)vk_vmalloc(20 * PG);                    /* windows 0..2 */
		uintptr_t a2 = (uintptr_t)vk_vmalloc_aligned(20 * PG, 16 * WIN); /* 16..18 */
		EXPECT_EQ(a1, win_addr(0));
		EXPECT_EQ(a2, win_addr(16));
		vk_vfree((void *)a1);
		vk_vfree((void *)a2);
		fail_nth(1); /* every call fails: both releases */
		vk_purge();
		injection_off();
		EXPECT_EQ(vtx_os_count(vtx_base(), 32, NULL), 6);
		EXPECT_EQ(vt_stats().shadow_pages, 6);
		EXPECT_INVARIANTS();

		/* Windows 0..20: runs 3..15 and 19..20 must be backed. */
		struct vk_stats s0 = vt_stats();
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(20 * WIN);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!p) {
			failures_seen++;
			EXPECT_EQ(vt_stats().alloc_failures, s0.alloc_failures + 1);
			EXPECT_EQ(vt_stats().live_areas, 0);
			/* Only the leftover windows may be there, by bitmap and OS. */
			long extra = 0;
			for (size_t w = 0; w < 32; w++) {
				bool debt = w <= 2 || (w >= 16 && w <= 18);
				if (!debt)
					extra += vki_window_present(win_addr(w)) +
						 vtx_os_present(win_addr(w));
			}
			EXPECT_EQ(extra, 0);
			EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)vtx_os_total());
			EXPECT_INVARIANTS();
			p = vk_vmalloc(20 * WIN);
		}
		EXPECT_EQ((uintptr_t)p, vtx_base());
		EXPECT_EQ(vtx_check_live((uintptr_t)p, 20 * WIN), 0);
		vk_vfree(p);
		EXPECT_CLEAN(); /* the purge pays the debt */
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 2);
	vtx_quarantine_on();
}

/*
 * The purge releases the shadow but cannot give the data pages back: they
 * stay resident (memory is not returned, nothing else is wrong), and a
 * vk_vzalloc over them is still all zero.
 */
TEST(decommit_failure)
{
	vtx_quarantine_off(); /* exact addresses of reused space */
	EXPECT_CLEAN();
	unsigned char *p = vk_vmalloc(4 * PG);
	memset(p, 0xAB, 4 * PG);
	vk_vfree(p);
	/* decommit (the purge's 1st call, outside the lock) fails, the shadow
	 * release (2nd) works: one scratch call first, so the 2nd next fails */
	fail_nth(2);
	void *scratch = vki_os_map_anywhere(PG, VKI_OS_META);
	EXPECT(scratch != NULL);
	vki_os_unmap(scratch, PG);
	unsigned long f0 = vki_os_fail_count();
	vk_purge();
	injection_off();
	EXPECT_EQ(vki_os_fail_count() - f0, 1);
	EXPECT_INVARIANTS();
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	unsigned char vec[4] = { 0 };
	EXPECT_EQ(mincore(p, 4 * PG, vec), 0);
	EXPECT_EQ(vec[0] & 1, 1); /* the decommit really did not happen */
	unsigned char *z = vk_vzalloc(4 * PG);
	EXPECT(z == p);
	long nonzero = 0;
	for (size_t i = 0; z && i < 4 * PG; i++)
		nonzero += z[i] != 0;
	EXPECT_EQ(nonzero, 0);
	vk_vfree(z);
	EXPECT_CLEAN();
	vtx_quarantine_on();
}

/* fail_mmap_every=N in VKASAN_OPTIONS: the runtime's own start-up calls
 * fail (1: the presence bitmap, 2: the first metadata chunk) or later ones
 * do.  The program runs; vk_vmalloc fails cleanly or works. */
TEST(failures_during_startup)
{
	static char out[1 << 16];
	for (int n = 1; n <= 6; n++) {
		char opts[64];
		snprintf(opts, sizeof(opts), "fail_mmap_every=%d:halt_on_error=0", n);
		int st = run_child("initfail", opts, out, sizeof(out));
		bool ok = exited_ok(st) && strstr(out, "child: ok");
		EXPECT(ok);
		if (!ok)
			show_output(opts, st, out);
		/* The arena is down only when a start-up call failed. */
		if (n <= 2)
			EXPECT(strstr(out, "arena down") != NULL);
		else
			EXPECT(strstr(out, "arena up") != NULL);
	}
}

/* ------------------------------------------------------------ options */

/*
 * Malformed VKASAN_OPTIONS: the child runs normally (exit 0, "child: ok")
 * and every problem is one warning on a line of its own, starting with
 * "vkasan: ".  min_warnings: how many problems there are at least.
 */
static void expect_options_survive(const char *opts, int min_warnings)
{
	static char out[1 << 17];
	int st = run_child("opts", opts, out, sizeof(out));
	int warnings = 0, others = 0, ok = 0;
	for (char *l = out; *l;) {
		char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (!strncmp(l, "child: ok", 9) && len == 9)
			ok++;
		else if (!strncmp(l, "vkasan: ", 8) && len < 1200 && e)
			warnings++;
		else
			others++;
		l += len + (e != NULL);
	}
	bool good = exited_ok(st) && ok == 1 && others == 0 && warnings >= min_warnings;
	EXPECT(good);
	if (!good) {
		char shown[128];
		snprintf(shown, sizeof(shown), "VKASAN_OPTIONS='%.40s%s' (%d warnings, %d stray lines)",
			 opts, strlen(opts) > 40 ? "..." : "", warnings, others);
		show_output(shown, st, out);
	}
}

TEST(malformed_options)
{
	expect_options_survive("", 0);
	expect_options_survive(":::,,,  ", 0);
	expect_options_survive("nonsense=1", 1);
	expect_options_survive("halt_on_error", 1);
	expect_options_survive("=", 1);
	expect_options_survive("=5:==:=a=b", 2);
	expect_options_survive("lazy_max=99999999999999999999999999", 1);
	expect_options_survive("lazy_max=", 1);
	expect_options_survive("lazy_max=-1", 1);
	expect_options_survive("lazy_max=12q", 1);
	expect_options_survive("exitcode=99999999999", 1);
	expect_options_survive("halt_on_error=maybe:symbolize=2", 2); /* yes is a boolean */
	expect_options_survive("arena_size=1", 1);
	expect_options_survive("arena_size=0", 1);
	expect_options_survive("arena_size=1x", 1);
	expect_options_survive("arena_size=16t", 1);
	expect_options_survive("stack_depth=100000", 1);
	expect_options_survive("stack_depth=0", 1);
	expect_options_survive("verify_every=-3:max_reports=-1", 0);
	expect_options_survive("log_path=", 0);
	expect_options_survive("a=1:b=2:c=3:halt_on_error=0:d", 4);
	expect_options_survive("\x01\x02\xff=\x7f:\xc3\xa9=1", 2);
	/* Control characters inside a name must not split the warning. */
	expect_options_survive("foo\nbar=1", 1);
	expect_options_survive("foo\tbar=1", 1);
	/* Very long names and values: each warning still ends its line. */
	static char longopt[3000 + 64];
	memset(longopt, 'x', 3000);
	strcpy(longopt + 3000, "=1:lazy_max=bad");
	expect_options_survive(longopt, 2);
	static char longval[2100];
	strcpy(longval, "log_path=");
	memset(longval + 9, 'p', 2000);
	longval[2009] = 0;
	expect_options_survive(longval, 1);
	/* Many options. */
	static char many[64 * 1024];
	size_t len = 0;
	for (int i = 0; len + 32 < sizeof(many); i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "verbosity=0:lazy_max=%d:", 1 << (i % 26));
	expect_options_survive(many, 0);
}

/* vk_set_option at run time with hostile values: the calls are refused or
 * clamped, nothing breaks. */
TEST(set_option_hostile_values)
{
	EXPECT_CLEAN();
	struct vk_stats s0 = vt_stats();
	EXPECT(vk_set_option(NULL, "1") != 0);
	EXPECT(vk_set_option("lazy_max", NULL) != 0);
	EXPECT(vk_set_option("", "") != 0);
	EXPECT(vk_set_option("no_such_option", "1") != 0);
	EXPECT(vk_set_option("lazy_max", "lots") != 0);
	EXPECT_EQ(vki_opt.lazy_max, 32UL << 20);
	/* arena_size is fixed at start-up: setting it later changes nothing. */
	vk_set_option("arena_size", "64m");
	EXPECT(roundtrip(10000));
	EXPECT_EQ(vt_stats().arena_size, s0.arena_size);
	vk_set_option("arena_size", "1t");
	/* Out-of-range stack depths are clamped by the depot. */
	quiet_reports(true);
	EXPECT_EQ(vk_set_option("stack_depth", "100000"), 0);
	EXPECT(roundtrip(100));
	char *p = vk_vmalloc(100);
	vk_vfree(p);
	EXPECT_REPORT(vk_vfree(p)); /* double free: prints stacks */
	EXPECT_EQ(vk_set_option("stack_depth", "-5"), 0);
	EXPECT(roundtrip(100));
	EXPECT_REPORT(vk_vfree(p));
	EXPECT_EQ(vk_set_option("stack_depth", "32"), 0);
	quiet_reports(false);
	/* lazy_max=0: every vk_vfree purges. */
	EXPECT_EQ(vk_set_option("lazy_max", "0"), 0);
	for (int i = 0; i < 50; i++)
		EXPECT(roundtrip(1 + (size_t)i * 999));
	EXPECT_EQ(vt_stats().lazy_areas, 0);
	EXPECT_EQ(vk_set_option("lazy_max", "32m"), 0);
	EXPECT_CLEAN();
}

TEST(guard_pages_switched_off_with_lazy_mapping)
{
	expect_child_ok("toggle_guard", "halt_on_error=1", "toggle_guard");
}

TEST(shadow_switched_off_and_on)
{
	expect_child_ok("toggle_shadow", "halt_on_error=0", "toggle_shadow");
}

/* ------------------------------------------------------------ bad pointers */

/* More pointers that are not mappings: the edges of the address space and
 * of the arena.  One report each, nothing changes. */
TEST(vfree_of_edge_pointers)
{
	EXPECT_CLEAN();
	struct vk_stats s = vt_stats();
	uintptr_t end = (uintptr_t)(s.arena_base + s.arena_size);
	void *keep = vk_vmalloc(PG);
	const uintptr_t bad[] = {
		1, 4096, UINTPTR_MAX, UINTPTR_MAX - 4095, (uintptr_t)1 << 63,
		vtx_base() - 1, vtx_base() - PG, end - 1, end - PG, end, end + PG,
		(uintptr_t)keep + PG, (uintptr_t)keep - PG + 2 * PG + 1,
	};
	quiet_reports(true);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(vk_vmalloc_size((void *)bad[i]), 0);
		EXPECT_REPORT(vk_vfree((void *)bad[i]));
	}
	quiet_reports(false);
	EXPECT_EQ(vk_vmalloc_size(keep), PG);
	EXPECT_EQ(vt_stats().live_areas, 1);
	EXPECT_INVARIANTS();
	vk_vfree(keep);
	EXPECT_CLEAN();
}

/* ------------------------------------------------------------ threads */

/* The walk while other threads allocate and free: it must report nothing. */
TEST(walk_concurrent_with_allocations)
{
	EXPECT_CLEAN();
	volatile int stop = 0;
	struct churn c[3];
	EXPECT_EQ(run_churn(3, 0, &stop, c, true), 0);
	int problems = 0, walks = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		problems += vk_check_invariants();
		walks++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 700);
	stop = 1;
	long errors = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(c[i].th, NULL);
		errors += c[i].errors;
	}
	EXPECT_EQ(errors, 0);
	EXPECT_EQ(problems, 0);
	EXPECT(walks > 10);
	EXPECT_CLEAN();
}

/* Two threads free the same mapping at once, many times: one free wins,
 * the other is one double-free report; nothing else happens. */
enum { RACE_ROUNDS = 300 };
static pthread_barrier_t race_barrier;
static void *volatile race_target;

static void *racer_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < RACE_ROUNDS; i++) {
		pthread_barrier_wait(&race_barrier); /* target is set */
		vk_vfree(race_target);
		pthread_barrier_wait(&race_barrier); /* both frees done */
	}
	return NULL;
}

TEST(concurrent_double_free)
{
	EXPECT_CLEAN();
	quiet_reports(true);
	vk_set_option("halt_on_error", "0");
	unsigned long r0 = vki_report_count();
	pthread_t th[2];
	pthread_barrier_init(&race_barrier, NULL, 3);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, racer_main, NULL);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		race_target = vk_vmalloc(1 + (size_t)i * 13);
		pthread_barrier_wait(&race_barrier);
		pthread_barrier_wait(&race_barrier);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&race_barrier);
	unsigned long reports = vki_report_count() - r0;
	quiet_reports(false);
	EXPECT_EQ(reports, RACE_ROUNDS);
	EXPECT_EQ(vt_stats().live_areas, 0);
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

TEST(verify_every_with_threads)
{
	expect_child_ok("verify_threads", "verify_every=1:lazy_max=65536", "verify_every=1 with 4 threads");
}

/*
 * fork() while three threads allocate and free.  Each child: the mapping
 * the forking thread holds is intact and freeable, the invariant walk
 * holds (the state was copied whole: the arena lock is held across fork),
 * and the child keeps allocating from two new threads and its main thread.
 * The threads of the parent do not exist in the child: their mappings stay
 * live there, which is right.
 */
TEST(fork_in_threaded_program)
{
	EXPECT_CLEAN();
	unsigned char *keep = vk_vmalloc(5000);
	memset(keep, 0x5a, 5000);
	volatile int stop = 0;
	struct churn c[3];
	EXPECT_EQ(run_churn(3, 0, &stop, c, true), 0);
	int bad_children = 0;
	for (int i = 0; i < 12; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(30); /* a lock held across fork would hang here */
			int fail = 0;
			for (int k = 0; k < 5000; k++)
				fail |= keep[k] != 0x5a;
			fail |= (vk_vmalloc_size(keep) != 5000) << 1;
			fail |= (vk_check_invariants() != 0) << 2;
			struct vk_stats s0 = vt_stats();
			struct churn cc[2];
			if (run_churn(2, 2000, NULL, cc, true))
				fail |= 8;
			for (int k = 0; k < 200; k++)
				fail |= !roundtrip(1 + (size_t)k * 313) << 4;
			long errors = 0;
			for (int k = 0; k < 2; k++) {
				pthread_join(cc[k].th, NULL);
				errors += cc[k].errors;
			}
			fail |= (errors != 0) << 5;
			vk_vfree(keep);
			vk_purge();
			struct vk_stats s1 = vt_stats();
			fail |= (s1.live_areas != s0.live_areas - 1) << 6;
			fail |= (s1.lazy_areas != 0 || s1.reports != s0.reports) << 7;
			fail |= (vk_check_invariants() != 0) << 8;
			fflush(NULL);
			_exit(fail);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !exited_ok(st)) {
			fprintf(stderr, "  fork %d: child status %#x (exit code bits: 1 data, 2 size, "
					"4 walk, 8 threads, 16 roundtrip, 32 churn, 64/128 counts, "
					"256 walk at end)\n", i, st);
			bad_children++;
		}
	}
	stop = 1;
	long errors = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(c[i].th, NULL);
		errors += c[i].errors;
	}
	EXPECT_EQ(errors, 0);
	EXPECT_EQ(bad_children, 0);
	for (int k = 0; k < 5000; k++)
		if (keep[k] != 0x5a) {
			EXPECT(!"parent's mapping changed by a child");
			break;
		}
	vk_vfree(keep);
	EXPECT_CLEAN();
}

/* ------------------------------------------------------------ exit */

/* The runtime used from a constructor that runs before its own, from an
 * atexit handler registered before the runtime's, and from the last
 * destructor (print_stats=1 adds the runtime's own exit work). */
TEST(calls_before_init_and_after_exit_handlers)
{
	static char out[16384];
	int st = run_child("atexit", "print_stats=1:halt_on_error=0", out, sizeof(out));
	bool ok = exited_ok(st) && strstr(out, "constructor: ok") && strstr(out, "atexit: ok") &&
		  strstr(out, "destructor: ok") && strstr(out, "destructor: report ok");
	EXPECT(ok);
	if (!ok)
		show_output("atexit child", st, out);
}

VT_MAIN()
