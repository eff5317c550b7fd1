/*
 * test_failure.c - failure injection at the OS layer (issue 2, point 7).
 *
 * os.c counts every mapping call except the initial reservation and fails
 * each one whose count is a multiple of fail_mmap_every.  fail_nth(k) makes
 * the k-th next call fail deterministically: it sets fail_mmap_every=k and
 * spends calls (scratch metadata mappings) until one fails, so the counter
 * is then at a multiple of k.  Each scenario is run with the failure at the
 * 1st, 2nd, ... OS call of the operation until the operation makes fewer
 * calls than that.  After every failure: vk_vmalloc returned NULL and
 * counted it, the invariant walk holds, nothing leaks (shadow resident ==
 * the windows of what the test holds, free regions merged), and with
 * injection off the same request succeeds.
 */
#include "vtx.h"

/* These tests place mappings at exact addresses where lowest fit reuses
 * freed space: without the address-space quarantine (test_quarantine.c
 * tests it; vmalloc_quarantine=0 is the old behaviour). */
__attribute__((constructor)) static void no_quarantine(void)
{
	vk_set_option("vmalloc_quarantine", "0");
}
#include <signal.h>


/* Nothing leaked: the resident shadow is exactly what maps[] needs, the
 * walk holds, the counters agree. */
static void expect_no_leak(const struct vtx_map *maps, size_t n)
{
	long ideal;
	EXPECT_EQ(vtx_compare_ideal(maps, n, &ideal), 0);
	EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)ideal);
	EXPECT_INVARIANTS();
}

/* A first allocation: commit the first chunk, metadata, populate. */
TEST(fresh_start_each_call)
{
	/* This must be the first test: nothing committed yet. */
	EXPECT_EQ(vt_stats().arena_committed, 0);
	int failures_seen = 0;
	for (long k = 1; k <= 16; k++) {
		struct vk_stats s0 = vt_stats();
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(3 * PG);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		struct vk_stats s1 = vt_stats();
		if (!p) {
			failures_seen++;
			EXPECT(injected > 0);
			EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + 1);
			EXPECT_EQ(s1.live_areas, 0);
			EXPECT_EQ(s1.free_regions, 1);
			EXPECT_EQ(s1.shadow_pages, 0);
			EXPECT_EQ(vtx_os_total(), 0);
			EXPECT_INVARIANTS();
			p = vk_vmalloc(3 * PG);
			EXPECT(p != NULL);
		}
		EXPECT_EQ((uintptr_t)p, vtx_base());
		EXPECT_EQ(vtx_check_live((uintptr_t)p, 3 * PG), 0);
		vk_vfree(p);
		EXPECT_CLEAN();
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 1);
}

/* Populate fails for a mapping sharing its first window with a live one:
 * the shared page and the neighbour's bytes stay, the new pages go. */
TEST(populate_shared_window)
{
	struct vtx_map keep[2] = { { (uintptr_t)vk_vmalloc(PG), PG, 0 }, { 0, 0, 0 } };
	int failures_seen = 0;
	for (long k = 1; k <= 8; k++) {
		struct vk_stats s0 = vt_stats();
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(40 * PG);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!p) {
			failures_seen++;
			EXPECT_EQ(vt_stats().alloc_failures, s0.alloc_failures + 1);
			EXPECT_EQ(vtx_check_live(keep[0].p, PG), 0);
			expect_no_leak(keep, 1);
			EXPECT_EQ(vt_stats().free_regions, 1);
			p = vk_vmalloc(40 * PG);
		}
		EXPECT_EQ((uintptr_t)p, keep[0].p + 2 * PG);
		EXPECT_EQ(vtx_check_live((uintptr_t)p, 40 * PG), 0);
		keep[1].p = (uintptr_t)p;
		keep[1].n = 40 * PG;
		expect_no_leak(keep, 2);
		vk_vfree(p);
		vk_purge();
		expect_no_leak(keep, 1);
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 1);
	vk_vfree((void *)keep[0].p);
	EXPECT_CLEAN();
}

/* Growth of the arena beyond the committed chunks fails at each call. */
TEST(arena_growth)
{
	struct vtx_map keep[2] = { { (uintptr_t)vk_vmalloc(PG), PG, 0 }, { 0, 0, 0 } };
	int failures_seen = 0;
	for (long k = 1; k <= 8; k++) {
		struct vk_stats s0 = vt_stats();
		size_t n = (size_t)s0.arena_committed + 10 * VKI_COMMIT_CHUNK / 3;
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		void *p = vk_vmalloc(n);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		struct vk_stats s1 = vt_stats();
		if (!p) {
			failures_seen++;
			EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + 1);
			EXPECT_EQ(s1.free_regions, 1);
			EXPECT_EQ(s1.live_areas, 1);
			expect_no_leak(keep, 1);
			p = vk_vmalloc(n);
			s1 = vt_stats();
		}
		EXPECT(p != NULL);
		EXPECT_EQ((uintptr_t)p, keep[0].p + 2 * PG);
		EXPECT(s1.arena_committed >= (uint64_t)((uintptr_t)p + vtx_span(n) - vtx_base()));
		/* Touch the first and last page of the grown part. */
		((volatile char *)p)[0] = 1;
		((volatile char *)p)[n - 1] = 1;
		EXPECT_EQ(vk_vmalloc_size(p), n);
		keep[1].p = (uintptr_t)p;
		keep[1].n = n;
		expect_no_leak(keep, 2);
		vk_vfree(p);
		vk_purge();
		expect_no_leak(keep, 1);
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 1);
	vk_vfree((void *)keep[0].p);
	EXPECT_CLEAN();
}

/* Release at purge fails: the walk tolerates the leftover (still 0xF8,
 * flagged as debt), the range is free, and the next purge gives it back. */
TEST(release_at_purge)
{
	int failures_seen = 0;
	for (long k = 1; k <= 8; k++) {
		uintptr_t a = (uintptr_t)vk_vmalloc(PG);
		uintptr_t b = (uintptr_t)vk_vmalloc(30 * PG);
		uintptr_t c = (uintptr_t)vk_vmalloc(PG);
		struct vtx_map keep[1] = { { c, PG, 0 } };
		vk_vfree((void *)a);
		vk_vfree((void *)b);
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		vk_purge();
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		failures_seen += injected > 0;
		struct vk_stats s = vt_stats();
		EXPECT_EQ(s.lazy_areas, 0);
		EXPECT_EQ(s.free_regions, 2); /* below c, above c */
		EXPECT_INVARIANTS();
		/* Whatever stayed resident reads 0xF8 (nothing accessible). */
		for (uintptr_t w = a; w < c; w += WIN)
			if (vki_window_present(w))
				EXPECT_EQ(vtx_check_range(w, w + WIN < c ? w + WIN : c, 0xF8), 0);
		EXPECT_EQ(vtx_check_live(c, PG), 0);
		/* The freed space is allocatable again right away. */
		void *x = vk_vmalloc(PG);
		EXPECT_EQ((uintptr_t)x, a);
		vk_vfree(x);
		vk_purge(); /* no failures now: debt paid */
		expect_no_leak(keep, 1);
		vk_vfree((void *)c);
		EXPECT_CLEAN();
		if (!injected)
			break;
	}
	EXPECT(failures_seen >= 1);
}

/*
 * The release after a failed release (the "debt" sweep) fails too.  The
 * sweep covers a whole free region, in which windows that were never
 * backed (or were already released) lie between the leftover ones; a
 * failure must not mark those as present.  If it did, a later mapping
 * there would skip populating and unpoison a page that is not there.
 */
static void release_fails_twice_body(void)
{
	uintptr_t a1 = (uintptr_t)vk_vmalloc(20 * PG);                    /* windows 0..2 */
	uintptr_t a2 = (uintptr_t)vk_vmalloc_aligned(20 * PG, 16 * WIN); /* 16..18 */
	uintptr_t b = (uintptr_t)vk_vmalloc_aligned(PG, 64 * WIN);       /* 64 */
	EXPECT_EQ(vtx_win(a1), 0);
	EXPECT_EQ(vtx_win(a2), 16);
	EXPECT_EQ(vtx_win(b), 64);
	struct vtx_map keep[1] = { { b, PG, 0 } };
	vk_vfree((void *)a1);
	vk_vfree((void *)a2);
	fail_nth(1);
	EXPECT_EQ(vk_set_option("fail_mmap_every", "1"), 0); /* every call fails */
	vk_purge();              /* both releases fail: windows 0..2, 16..18 left */
	injection_off();
	EXPECT_INVARIANTS();
	EXPECT_EQ(vtx_os_count(vtx_base(), 64, NULL), 6);
	EXPECT_EQ(vt_stats().shadow_pages, 7);
	fail_nth(1);
	vk_purge();              /* the sweep over [0, 64 windows) fails */
	injection_off();
	/* Windows 3..15 were never backed: still absent, by bitmap and OS. */
	long phantom = 0;
	for (int w = 3; w < 16; w++) {
		phantom += vki_window_present(vtx_base() + (uintptr_t)w * WIN);
		EXPECT_EQ(vtx_os_present(vtx_base() + (uintptr_t)w * WIN), 0);
	}
	EXPECT_EQ(phantom, 0);
	EXPECT_INVARIANTS();
	EXPECT_EQ(vt_stats().shadow_pages, (uint64_t)vtx_os_total());
	vk_purge();              /* now it works */
	expect_no_leak(keep, 1);
	if (phantom == 0) {      /* (else the next line would fault) */
		void *p = vk_vmalloc(16 * WIN); /* windows 0..16 */
		EXPECT_EQ((uintptr_t)p, vtx_base());
		EXPECT_EQ(vtx_check_live((uintptr_t)p, 16 * WIN), 0);
		vk_vfree(p);
	}
	vk_vfree((void *)b);
	EXPECT_CLEAN();
}

TEST(release_fails_twice)
{
	vtx_in_child(release_fails_twice_body, "release_fails_twice");
	EXPECT_CLEAN();
}

/* Random workload with every Nth OS call failing. */
static void random_with_failures(long every, uint64_t seed)
{
	enum { MAXL = 300 };
	static struct vtx_map live[MAXL];
	int nlive = 0;
	long nulls = 0, errors = 0;
	uint64_t af0 = vt_stats().alloc_failures;
	char buf[16];
	snprintf(buf, sizeof(buf), "%ld", every);
	EXPECT_EQ(vk_set_option("fail_mmap_every", buf), 0);
	for (int step = 0; step < 4000; step++) {
		uint64_t r = vtx_rand(&seed);
		if (r % 50 == 0) {
			vk_purge();
			/* every window a live mapping touches is there */
			for (int i = 0; i < nlive; i++)
				for (uintptr_t a = VKI_ROUND_DOWN(live[i].p, WIN);
				     a < live[i].p + vtx_span(live[i].n); a += WIN)
					errors += vtx_os_present(a) != 1;
			if (step % 500 == 0)
				errors += vk_check_invariants() != 0;
		} else if ((r % 2 && nlive) || nlive == MAXL) {
			int i = (int)((r >> 8) % (uint64_t)nlive);
			errors += vtx_check_live(live[i].p, live[i].n) != 0;
			vk_vfree((void *)live[i].p);
			live[i] = live[--nlive];
		} else {
			size_t n = 1 + (r >> 8) % (3 * WIN);
			void *p = (r >> 40) % 3 ? vk_vmalloc(n) : vk_vzalloc(n);
			if (!p) {
				nulls++;
				continue;
			}
			errors += vtx_check_live((uintptr_t)p, n) != 0;
			live[nlive].p = (uintptr_t)p;
			live[nlive].n = n;
			nlive++;
		}
	}
	injection_off();
	EXPECT_EQ(errors, 0);
	EXPECT(nulls > 0);
	EXPECT_EQ(vt_stats().alloc_failures - af0, (uint64_t)nulls);
	vk_purge();
	vk_purge();
	expect_no_leak(live, (size_t)nlive);
	/* Later calls work. */
	void *p = vk_vmalloc(5 * WIN);
	EXPECT(p != NULL);
	vk_vfree(p);
	while (nlive)
		vk_vfree((void *)live[--nlive].p);
	EXPECT_CLEAN();
}

static void random_every_2_body(void)
{
	random_with_failures(2, 1);
}

TEST(random_every_2)
{
	vtx_in_child(random_every_2_body, "random_every_2");
	EXPECT_CLEAN();
}

static void random_every_3_body(void)
{
	random_with_failures(3, 2);
}

TEST(random_every_3)
{
	vtx_in_child(random_every_3_body, "random_every_3");
	EXPECT_CLEAN();
}

static void random_every_7_body(void)
{
	random_with_failures(7, 3);
}

TEST(random_every_7)
{
	vtx_in_child(random_every_7_body, "random_every_7");
	EXPECT_CLEAN();
}

static void random_every_13_body(void)
{
	EXPECT_EQ(vk_set_option("lazy_max", "200000"), 0);
	random_with_failures(13, 4);
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
}

TEST(random_every_13_small_lazy_max)
{
	vtx_in_child(random_every_13_body, "random_every_13_small_lazy_max");
	EXPECT_CLEAN();
}

/*
 * guard_pages=1: the guard page is a real fault.  If removing it at purge
 * fails, the page must not come back as part of a later mapping while
 * still faulting.  The write is done in a child so a fault does not kill
 * the test.
 */
TEST(guard_pages_remove_failure)
{
	EXPECT_EQ(vk_set_option("guard_pages", "1"), 0);
	int bad_children = 0, failures_seen = 0;
	for (long k = 1; k <= 5; k++) {
		uintptr_t a = (uintptr_t)vk_vmalloc(PG);
		EXPECT_EQ(a, vtx_base());
		vk_vfree((void *)a);
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		vk_purge();
		failures_seen += vki_os_fail_count() != f0;
		injection_off();
		EXPECT_INVARIANTS();
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			vk_set_option("handle_segv", "0");
			signal(SIGSEGV, SIG_DFL);
			char *p = vk_vmalloc(2 * PG); /* covers a's guard page */
			if (!p)
				_exit(3);
			memset(p, 1, 2 * PG);
			_exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			fprintf(stderr, "  k=%ld: child writing a reused guard page: %s %d\n", k,
				WIFSIGNALED(st) ? "signal" : "exit",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			bad_children++;
		}
		EXPECT_CLEAN();
	}
	EXPECT(failures_seen >= 2);
	EXPECT_EQ(bad_children, 0);
	EXPECT_EQ(vk_set_option("guard_pages", "0"), 0);
}

VT_MAIN()
