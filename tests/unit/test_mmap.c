/*
 * test_mmap.c - the program's mappings are vmalloc space (issue 12): which
 * requests are routed into the arena, the shadow through munmap, partial
 * munmap, mprotect, mremap and MAP_FIXED over a part, reservations that
 * cost no shadow, fault injection of the routing, the invariant walk, and
 * the VMA count of many small mappings.  This binary links libvkasan.a, so
 * its own mmap calls are the runtime's.
 */
#include "vtx.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/mman.h>

#define RWP (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static bool in_arena(const void *p)
{
	struct vk_stats s = vt_stats();
	return (uintptr_t)p - s.arena_base < s.arena_size;
}

static struct vki_area_info info(const void *p)
{
	struct vki_area_info ai;
	vki_arena_describe((uintptr_t)p, &ai);
	return ai;
}

TEST(anonymous_is_routed_zero_and_guarded)
{
	char *p = mmap(NULL, 10000, RWP, ANON, -1, 0);
	EXPECT(p != MAP_FAILED && in_arena(p));
	for (int i = 0; i < 12288; i++)
		if (p[i]) {
			EXPECT(!"routed anonymous memory is not zero");
			break;
		}
	/* POSIX makes the page-rounded length accessible; then the guard. */
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + 12288, 0), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p + 12288, (uintptr_t)p + 16384, 0xF8), 0);
	struct vki_area_info ai = info(p);
	EXPECT_EQ(ai.owner, VKI_OWNER_MMAP);
	EXPECT_EQ(ai.state, VKI_AREA_BUSY);
	char how[160];
	EXPECT(vki_mmap_describe(&ai, how, sizeof(how)) && !strcmp(how, "mmap(anonymous)"));
	memset(p, 0x77, 12288);
	EXPECT_INVARIANTS();
	EXPECT_EQ(munmap(p, 10000), 0);
	/* Quarantined and poisoned, with the munmap stack. */
	ai = info(p);
	EXPECT_EQ(ai.state, VKI_AREA_LAZY);
	EXPECT(ai.free_stack != 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + 16384, 0xF8), 0);
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
	/* The next owner of the range gets zero pages. */
	char *q = mmap(NULL, 10000, RWP, ANON, -1, 0);
	EXPECT_EQ((uintptr_t)q, (uintptr_t)p);
	EXPECT_EQ(q[0] | q[5000] | q[12287], 0);
	EXPECT_EQ(munmap(q, 10000), 0);
	EXPECT_CLEAN();
}

TEST(what_is_passed_through)
{
	/* With heap=0 (vt.h) malloc is glibc's, which maps big chunks through
	 * its internal mmap: not routed.  (With the heap on, a big malloc is
	 * a LARGE heap mapping: test_heap.c, large_objects.) */
	void *m = malloc(4 << 20);
	EXPECT(m && !in_arena(m));
	free(m);
	void *hint = (void *)0x200000000000UL;
	void *h = mmap(hint, PG, RWP, ANON, -1, 0);
	EXPECT(h != MAP_FAILED && !in_arena(h));
	munmap(h, PG);
	void *f = mmap(hint, PG, RWP, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ((uintptr_t)f, (uintptr_t)hint);
	munmap(f, PG);
	int flags[] = { MAP_GROWSDOWN, MAP_32BIT, MAP_STACK };
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		void *p = mmap(NULL, 4 * PG, RWP, ANON | flags[i], -1, 0);
		EXPECT(p != MAP_FAILED && !in_arena(p));
		munmap(p, 4 * PG);
	}
	/* MAP_FIXED into the arena, not over a mapping of ours: refused. */
	struct vk_stats s = vt_stats();
	void *x = mmap((void *)(s.arena_base + (64UL << 30)), PG, RWP, ANON | MAP_FIXED, -1, 0);
	EXPECT(x == MAP_FAILED && errno == EINVAL);
	/* munmap, mprotect, madvise outside the arena: the kernel's. */
	void *o = mmap(hint, 2 * PG, RWP, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(mprotect(o, PG, PROT_READ), 0);
	EXPECT_EQ(madvise(o, 2 * PG, MADV_DONTNEED), 0);
	EXPECT_EQ(munmap(o, 2 * PG), 0);
	EXPECT_CLEAN();
}

TEST(reservation_costs_no_shadow)
{
	size_t res = 8UL << 30;
	char *r = mmap(NULL, res, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
	EXPECT(r != MAP_FAILED && in_arena(r));
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_INVARIANTS();
	/* Commit 1 MiB in the middle: exactly its windows (32 when aligned). */
	char *c = r + (3UL << 30);
	EXPECT_EQ(mprotect(c, 1 << 20, RWP), 0);
	EXPECT_EQ(vt_stats().shadow_pages, 32);
	EXPECT_EQ(vtx_os_total(), 32);
	memset(c, 5, 1 << 20);
	EXPECT_EQ(vtx_check_range((uintptr_t)c, (uintptr_t)c + (1 << 20), 0), 0);
	EXPECT_INVARIANTS();
	/* The checks let accesses to the PROT_NONE parts fault by themselves. */
	EXPECT(vki_mmap_let_fault((uintptr_t)c - 1, 1));
	EXPECT(vki_mmap_let_fault((uintptr_t)c + (1 << 20), 8));
	EXPECT(!vki_mmap_let_fault((uintptr_t)c, 8));
	uint64_t before = vt_stats().reports;
	vki_check_range((uintptr_t)c - 64, 8, false, 0);
	vki_check_range((uintptr_t)c + (1 << 20) + 5, 1, true, 0);
	EXPECT_EQ(vt_stats().reports, before);
	/* The same through the outline fast path: its shadow read of the
	 * absent windows faults, the fixup resumes at the slow path, which
	 * still lets the access fault by itself (no report). */
	unsigned long f0 = vki_check_fixup_count();
	__asan_load8_noabort((uintptr_t)c - 64);
	__asan_store1((uintptr_t)c + (1 << 20) + 5);
	__asan_load16_noabort((uintptr_t)r + (1UL << 30));
	EXPECT_EQ(vki_check_fixup_count(), f0 + 3);
	EXPECT_EQ(vt_stats().reports, before);
	/* An unaligned commit: the windows it touches, no more. */
	char *u = r + (5UL << 30) + 3 * PG;
	EXPECT_EQ(mprotect(u, 10 * PG, RWP), 0);
	EXPECT_EQ(vt_stats().shadow_pages, 32 + 2);
	EXPECT_INVARIANTS();
	/* Inaccessible again: the windows go at once. */
	EXPECT_EQ(mprotect(c, 1 << 20, PROT_NONE), 0);
	EXPECT_EQ(vt_stats().shadow_pages, 2);
	EXPECT_EQ(vtx_os_total(), 2);
	EXPECT_INVARIANTS();
	EXPECT_EQ(munmap(r, res), 0);
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

TEST(partial_munmap_splits)
{
	char *p = mmap(NULL, 16 * PG, RWP, ANON, -1, 0);
	memset(p, 1, 16 * PG);
	EXPECT_EQ(munmap(p + 4 * PG, 4 * PG), 0);   /* middle */
	EXPECT_EQ(munmap(p, PG), 0);                /* head */
	EXPECT_EQ(munmap(p + 15 * PG, 100), 0);     /* tail, length rounded */
	EXPECT_EQ(info(p).state, VKI_AREA_LAZY);
	EXPECT_EQ(info(p + PG).state, VKI_AREA_BUSY);
	EXPECT_EQ(info(p + 5 * PG).state, VKI_AREA_LAZY);
	EXPECT_EQ(info(p + 8 * PG).state, VKI_AREA_BUSY);
	EXPECT_EQ(info(p + 15 * PG).state, VKI_AREA_LAZY);
	EXPECT_EQ(vtx_check_range((uintptr_t)p + PG, (uintptr_t)p + 4 * PG, 0), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p + 4 * PG, (uintptr_t)p + 8 * PG, 0xF8), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p + 8 * PG, (uintptr_t)p + 15 * PG, 0), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p + 15 * PG, (uintptr_t)p + 17 * PG, 0xF8), 0);
	EXPECT_EQ(p[PG] + p[14 * PG], 2); /* the rest kept its data */
	EXPECT_INVARIANTS();
	vk_purge();
	EXPECT_INVARIANTS();
	/* Unmapping across holes and the guard page is fine, as in the kernel. */
	EXPECT_EQ(munmap(p, 20 * PG), 0);
	EXPECT_EQ(munmap(p, 20 * PG), 0);
	EXPECT(munmap(p + 1, PG) == -1 && errno == EINVAL);
	/* A range starting in a guard page leaves the mapping below alone. */
	vk_purge();
	char *x = mmap(NULL, 2 * PG, RWP, ANON, -1, 0);
	char *y = mmap(NULL, 2 * PG, RWP, ANON, -1, 0);
	EXPECT_EQ((uintptr_t)y, (uintptr_t)x + 3 * PG);
	EXPECT_EQ(munmap(x + 2 * PG, 2 * PG), 0);
	EXPECT_EQ(info(x).state, VKI_AREA_BUSY);
	EXPECT_EQ(info(y).state, VKI_AREA_LAZY);
	EXPECT_EQ(info(y + PG).state, VKI_AREA_BUSY);
	munmap(x, 2 * PG);
	munmap(y, 2 * PG);
	EXPECT_CLEAN();
}

TEST(mremap_grow_shrink_move)
{
	char *p = mmap(NULL, 4 * PG, RWP, ANON, -1, 0);
	memset(p, 7, 4 * PG);
	/* Shrink in place: the tail is unmapped. */
	EXPECT_EQ((uintptr_t)mremap(p, 4 * PG, 2 * PG, 0), (uintptr_t)p);
	EXPECT_EQ(info(p + 3 * PG).state, VKI_AREA_LAZY);
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + 2 * PG, 0), 0);
	/* Growing needs MREMAP_MAYMOVE (the guard page follows). */
	EXPECT(mremap(p, 2 * PG, 8 * PG, 0) == MAP_FAILED && errno == ENOMEM);
	char *q = mremap(p, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
	EXPECT(q != MAP_FAILED && in_arena(q) && q != p);
	EXPECT_EQ(q[0] + q[2 * PG - 1], 14);
	EXPECT_EQ(q[2 * PG] | q[8 * PG - 1], 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)q, (uintptr_t)q + 8 * PG, 0), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)q + 8 * PG, (uintptr_t)q + 9 * PG, 0xF8), 0);
	EXPECT_EQ(info(p).state, VKI_AREA_LAZY);
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + 2 * PG, 0xF8), 0);
	EXPECT_INVARIANTS();
	/* Move out of the arena with MREMAP_FIXED. */
	void *out = mmap((void *)0x210000000000UL, 8 * PG, PROT_NONE,
			 ANON | MAP_FIXED_NOREPLACE, -1, 0);
	char *r = mremap(q, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, out);
	EXPECT_EQ((uintptr_t)r, (uintptr_t)out);
	EXPECT_EQ(r[0], 7);
	EXPECT_EQ(info(q).state, VKI_AREA_LAZY);
	munmap(r, 8 * PG);
	/* MREMAP_DONTUNMAP: the old range stays mapped (empty) and live. */
	char *d = mmap(NULL, 2 * PG, RWP, ANON, -1, 0);
	d[0] = 3;
	char *d2 = mremap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	EXPECT(d2 != MAP_FAILED && in_arena(d2));
	EXPECT_EQ(d2[0], 3);
	EXPECT_EQ(d[0], 0);
	EXPECT_EQ(info(d).state, VKI_AREA_BUSY);
	EXPECT_INVARIANTS();
	munmap(d, 2 * PG);
	munmap(d2, 2 * PG);
	/* Not a mapping of ours in the arena: EFAULT. */
	EXPECT(mremap(p, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
	EXPECT_CLEAN();
}

TEST(double_mapped_ring_buffer)
{
	size_t n = 16 * PG;
	int fd = memfd_create("vkring", 0);
	EXPECT(fd >= 0 && ftruncate(fd, n) == 0);
	char *r = mmap(NULL, 2 * n, PROT_NONE, ANON, -1, 0);
	EXPECT(in_arena(r));
	EXPECT_EQ(vt_stats().shadow_pages, 0);
	EXPECT_EQ((uintptr_t)mmap(r, n, RWP, MAP_SHARED | MAP_FIXED, fd, 0), (uintptr_t)r);
	EXPECT_EQ((uintptr_t)mmap(r + n, n, RWP, MAP_SHARED | MAP_FIXED, fd, 0), (uintptr_t)(r + n));
	r[n - 1] = 'a';
	EXPECT_EQ(r[2 * n - 1], 'a');
	r[2 * n - 2] = 'b';
	EXPECT_EQ(r[n - 2], 'b');
	EXPECT_EQ(vtx_check_range((uintptr_t)r, (uintptr_t)r + 2 * n, 0), 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)r + 2 * n, (uintptr_t)r + 2 * n + PG, 0xF8), 0);
	struct vki_area_info ai = info(r + n);
	char how[160];
	EXPECT(vki_mmap_describe(&ai, how, sizeof(how)) && !strncmp(how, "mmap(file /memfd:vkring", 23));
	EXPECT_INVARIANTS();
	EXPECT_EQ(munmap(r, 2 * n), 0);
	/* Unmapped: arena pages again, not the file's. */
	vk_purge();
	close(fd);
	EXPECT_CLEAN();
}

TEST(shared_anonymous_across_fork)
{
	volatile int *s = mmap(NULL, PG, RWP, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT(in_arena((void *)s));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		s[10] = 42;
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	EXPECT_EQ(s[10], 42);
	EXPECT_EQ(munmap((void *)s, PG), 0);
	EXPECT_CLEAN();
}

TEST(madvise_and_file_msync)
{
	char *p = mmap(NULL, 4 * PG, RWP, ANON, -1, 0);
	memset(p, 9, 4 * PG);
	EXPECT_EQ(madvise(p, 4 * PG, MADV_DONTNEED), 0);
	EXPECT_EQ(p[0] | p[4 * PG - 1], 0);
	EXPECT_EQ(vtx_check_range((uintptr_t)p, (uintptr_t)p + 4 * PG, 0), 0);
	EXPECT(madvise(p + 4 * PG, PG, MADV_DONTNEED) == -1 && errno == ENOMEM); /* guard */
	EXPECT_EQ(madvise(p, PG, MADV_DONTFORK), 0);
	munmap(p, 4 * PG);
	char path[] = "/tmp/vkasan-mmap-XXXXXX";
	int fd = mkstemp(path);
	EXPECT(fd >= 0 && ftruncate(fd, 2 * PG) == 0);
	char *f = mmap(NULL, 2 * PG, RWP, MAP_SHARED, fd, 0);
	EXPECT(f != MAP_FAILED && in_arena(f));
	memcpy(f + PG, "hello", 5);
	EXPECT_EQ(msync(f, 2 * PG, MS_SYNC), 0);
	char buf[6] = { 0 };
	EXPECT_EQ(pread(fd, buf, 5, PG), 5);
	EXPECT(!strcmp(buf, "hello"));
	struct vki_area_info ai = info(f);
	char how[160];
	vki_mmap_describe(&ai, how, sizeof(how));
	EXPECT(!strncmp(how, "mmap(file /tmp/vkasan-mmap-", 27));
	EXPECT_EQ(munmap(f, 2 * PG), 0);
	/* A bad fd: the routing is undone. */
	EXPECT(mmap(NULL, PG, RWP, MAP_SHARED, 12345, 0) == MAP_FAILED && errno == EBADF);
	close(fd);
	unlink(path);
	EXPECT_CLEAN();
}

/* Every Nth OS call fails; mmap then fails with ENOMEM and nothing leaks. */
TEST(fault_injection)
{
	int failed = 0, ok = 0;
	for (long k = 2; k <= 7; k++) {
		fail_nth(k);
		void *m[40];
		for (int i = 0; i < 40; i++) {
			int prot = i % 3 == 0 ? PROT_NONE : RWP;
			int fl = i % 4 == 1 ? MAP_SHARED | MAP_ANONYMOUS : ANON;
			m[i] = mmap(NULL, (size_t)(i + 1) * 5000, prot, fl, -1, 0);
			if (m[i] == MAP_FAILED) {
				EXPECT_EQ(errno, ENOMEM);
				failed++;
				continue;
			}
			ok++;
			if (prot == PROT_NONE && mprotect(m[i], PG, RWP) == 0)
				((char *)m[i])[0] = 1;
			if (prot != PROT_NONE)
				((char *)m[i])[i] = 1;
		}
		for (int i = 0; i < 40; i++)
			if (m[i] != MAP_FAILED)
				munmap(m[i], (size_t)(i + 1) * 5000);
		injection_off();
		vk_purge();
		EXPECT_INVARIANTS();
	}
	EXPECT(failed > 0 && ok > 0);
	EXPECT_CLEAN();
}

/* Many small live mappings stay few VMAs (plain anonymous pages are the
 * arena's own), and the invariant walk holds. */
TEST(hundred_thousand_mappings)
{
	enum { N = 100000 };
	static char *m[N];
	long vmas0 = vtx_map_count();
	for (int i = 0; i < N; i++) {
		m[i] = mmap(NULL, 100, RWP, ANON, -1, 0);
		if (m[i] == MAP_FAILED) {
			EXPECT(!"mmap failed");
			return;
		}
		m[i][99] = 1;
	}
	long vmas = vtx_map_count();
	EXPECT(vmas - vmas0 < 100);
	EXPECT_EQ(vt_stats().live_areas, N);
	EXPECT_INVARIANTS();
	for (int i = 0; i < N; i += 2)
		munmap(m[i], 100);
	vk_purge();
	EXPECT_INVARIANTS();
	for (int i = 1; i < N; i += 2)
		munmap(m[i], 100);
	EXPECT_CLEAN();
}

/* vk_vfree of the program's mapping is an invalid free; it stays mapped. */
TEST(vfree_of_a_mapping_is_invalid)
{
	char *p = mmap(NULL, PG, RWP, ANON, -1, 0);
	EXPECT_REPORT(vk_vfree(p));
	EXPECT_EQ(info(p).state, VKI_AREA_BUSY);
	p[0] = 1;
	EXPECT_EQ(munmap(p, PG), 0);
	EXPECT_CLEAN();
}

static void handler_a(int sig) { (void)sig; }
static void handler_b(int sig, siginfo_t *si, void *uc) { (void)sig, (void)si, (void)uc; }

/* The program's SIGSEGV handler is kept above ours: sigaction and signal
 * report the program's own, the kernel keeps ours. */
TEST(sigaction_keeps_ours_first)
{
	struct sigaction kern, old, sa = { 0 };
	sa.sa_handler = handler_a;
	sigemptyset(&sa.sa_mask);
	EXPECT_EQ(sigaction(SIGSEGV, &sa, &old), 0);
	EXPECT(old.sa_handler == SIG_DFL);
	EXPECT(vki_signal_program_handles(SIGSEGV));
	EXPECT(signal(SIGSEGV, SIG_DFL) == handler_a);
	EXPECT(!vki_signal_program_handles(SIGSEGV));
	sa.sa_sigaction = handler_b;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	EXPECT_EQ(sigaction(SIGBUS, NULL, &old), 0);
	EXPECT(old.sa_sigaction == handler_b);
	/* The kernel's view: still vkasan's handler, for both. */
	vki_os_sigaction(SIGSEGV, NULL, &kern);
	EXPECT(kern.sa_sigaction != handler_b && kern.sa_handler != SIG_DFL);
	vki_os_sigaction(SIGBUS, NULL, &kern);
	EXPECT(kern.sa_sigaction != handler_b);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	EXPECT_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	/* Other signals are the kernel's business. */
	EXPECT(signal(SIGUSR1, handler_a) != SIG_ERR);
	vki_os_sigaction(SIGUSR1, NULL, &kern);
	EXPECT(kern.sa_handler == handler_a);
	signal(SIGUSR1, SIG_DFL);
}

/* Two threads mapping, protecting, remapping and unmapping at once. */
static void *churn(void *arg)
{
	uint64_t seed = (uintptr_t)arg;
	for (int i = 0; i < 3000; i++) {
		size_t n = (1 + vtx_rand(&seed) % 8) * PG;
		char *p = mmap(NULL, n, i % 5 ? RWP : PROT_NONE, ANON, -1, 0);
		if (p == MAP_FAILED)
			return (void *)1;
		if (i % 5 == 0 && mprotect(p, PG, RWP))
			return (void *)2;
		p[0] = 1;
		if (n > PG && munmap(p + PG, PG))
			return (void *)3;
		if (munmap(p, n))
			return (void *)4;
	}
	return NULL;
}

TEST(threads)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 2; i++) {
		void *r;
		pthread_join(t[i], &r);
		EXPECT(r == NULL);
	}
	EXPECT_INVARIANTS();
	EXPECT_CLEAN();
}

VT_MAIN()
