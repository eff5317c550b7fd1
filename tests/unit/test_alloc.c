/*
 * test_alloc.c - the arena allocator: lowest fit, guard pages, alignment,
 * the lazy list and its threshold, vzalloc, vk_vmalloc_size, accounting.
 * Every test starts from and returns to an empty arena.
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

TEST(empty_at_start)
{
	EXPECT_CLEAN();
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.arena_base, VKI_ARENA_BASE);
	EXPECT_EQ(vki_arena_base, VKI_ARENA_BASE);
	EXPECT(s.arena_size >= VKI_ARENA_MIN);
	/* The arena's shadow lies in ASan's high shadow. */
	EXPECT(vki_mem_to_shadow(s.arena_base) >= 0x02008fff7000UL);
	EXPECT(vki_mem_to_shadow(s.arena_base + s.arena_size) <= 0x10007fff8000UL);
}

TEST(first_fit_is_arena_base)
{
	void *p = vk_vmalloc(100);
	EXPECT(p != NULL);
	EXPECT_EQ((uintptr_t)p, vtx_base());
	vk_vfree(p);
	EXPECT_CLEAN();
}

/* One guard page between consecutive mappings: one-page mappings 2 pages apart. */
TEST(guard_page_spacing)
{
	static const size_t sizes[] = { 1, 4096, 4097, 8192, 100000, 7, 12288, 4095 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = vk_vmalloc(sizes[i]);
		EXPECT(p[i] != NULL);
		EXPECT_EQ((uintptr_t)p[i] % PG, 0);
		if (i)
			EXPECT_EQ((uintptr_t)p[i], (uintptr_t)p[i - 1] + vtx_span(sizes[i - 1]));
	}
	/* A run of one-page mappings. */
	void *q[16];
	for (int i = 0; i < 16; i++) {
		q[i] = vk_vmalloc(PG);
		EXPECT(q[i] != NULL);
		if (i)
			EXPECT_EQ((uintptr_t)q[i] - (uintptr_t)q[i - 1], 2 * PG);
	}
	for (int i = 0; i < N; i++)
		vk_vfree(p[i]);
	for (int i = 0; i < 16; i++)
		vk_vfree(q[i]);
	EXPECT_CLEAN();
}

/* After frees and a purge, each allocation takes the lowest hole that fits. */
TEST(lowest_fit)
{
	/* Layout (pages, guard included): A1+1 B1+1 C2+1 D3+1 E1+1 F5+1 G1+1 */
	static const size_t pages[] = { 1, 1, 2, 3, 1, 5, 1 };
	void *m[7];
	for (int i = 0; i < 7; i++) {
		m[i] = vk_vmalloc(pages[i] * PG);
		EXPECT(m[i] != NULL);
	}
	uintptr_t top = (uintptr_t)m[6] + 2 * PG;
	/* Holes: B (2 pages), D (4 pages), F (6 pages). */
	vk_vfree(m[1]);
	vk_vfree(m[3]);
	vk_vfree(m[5]);
	vk_purge();
	EXPECT_INVARIANTS();

	void *x = vk_vmalloc(3 * PG); /* needs 4: B too small, D fits exactly */
	EXPECT_EQ((uintptr_t)x, (uintptr_t)m[3]);
	void *y = vk_vmalloc(PG); /* needs 2: B */
	EXPECT_EQ((uintptr_t)y, (uintptr_t)m[1]);
	void *z = vk_vmalloc(5 * PG + 1); /* needs 7: F (6) too small, above G */
	EXPECT_EQ((uintptr_t)z, top);
	void *w = vk_vmalloc(2 * PG); /* needs 3: F, low end */
	EXPECT_EQ((uintptr_t)w, (uintptr_t)m[5]);
	void *v = vk_vmalloc(2 * PG); /* needs 3: the rest of F, exactly */
	EXPECT_EQ((uintptr_t)v, (uintptr_t)m[5] + 3 * PG);
	void *u = vk_vmalloc(PG); /* no hole left below z's end */
	EXPECT_EQ((uintptr_t)u, top + vtx_span(5 * PG + 1));
	EXPECT_INVARIANTS();

	vk_vfree(m[0]);
	vk_vfree(m[2]);
	vk_vfree(m[4]);
	vk_vfree(m[6]);
	vk_vfree(x);
	vk_vfree(y);
	vk_vfree(z);
	vk_vfree(w);
	vk_vfree(v);
	vk_vfree(u);
	EXPECT_CLEAN();
}

/*
 * Lowest fit against a model: occupied ranges (live and lazily freed, guard
 * pages included) in an array; the expected address of an allocation is the
 * lowest aligned start of a gap that holds it.  Lazy ranges become free
 * only at a purge.
 */
struct occ {
	uintptr_t s, e;
	int lazy;
};
static struct occ occ[2000];
static int nocc;

static uintptr_t model_fit(size_t span, size_t align)
{
	uintptr_t cur = vtx_base();
	for (int i = 0; i <= nocc; i++) {
		uintptr_t a = VKI_ROUND_UP(cur, align);
		uintptr_t lim = i < nocc ? occ[i].s : vtx_base() + vt_stats().arena_size;
		if (a <= lim && lim - a >= span)
			return a;
		if (i < nocc)
			cur = occ[i].e;
	}
	return 0;
}

static void model_insert(uintptr_t s, uintptr_t e)
{
	int i = nocc;
	while (i > 0 && occ[i - 1].s > s) {
		occ[i] = occ[i - 1];
		i--;
	}
	occ[i].s = s;
	occ[i].e = e;
	occ[i].lazy = 0;
	nocc++;
}

static void model_purge(void)
{
	int j = 0;
	for (int i = 0; i < nocc; i++)
		if (!occ[i].lazy)
			occ[j++] = occ[i];
	nocc = j;
}

TEST(lowest_fit_model)
{
	uint64_t seed = 12345;
	nocc = 0;
	long mismatches = 0;
	for (int step = 0; step < 4000; step++) {
		uint64_t r = vtx_rand(&seed);
		int live = 0;
		for (int i = 0; i < nocc; i++)
			live += !occ[i].lazy;
		if (r % 16 == 0) {
			vk_purge();
			model_purge();
			/* One free region per gap between occupied ranges. */
			uint64_t gaps = 1;
			uintptr_t cur = vtx_base();
			for (int i = 0; i < nocc; i++) {
				gaps += occ[i].s > cur;
				cur = occ[i].e;
			}
			EXPECT_EQ(vt_stats().free_regions, gaps);
		} else if ((r % 16 < 7 && live > 0) || nocc >= 1900) {
			int k = (int)((r >> 8) % (uint64_t)live);
			for (int i = 0; i < nocc; i++)
				if (!occ[i].lazy && k-- == 0) {
					vk_vfree((void *)occ[i].s);
					occ[i].lazy = 1;
					break;
				}
		} else {
			size_t n = 1 + (r >> 8) % (6 * PG);
			size_t align = (r >> 40) % 4 == 0 ? 1UL << (12 + (r >> 44) % 6) : PG;
			uintptr_t want = model_fit(vtx_span(n), align);
			/* Aligned requests: like the kernel, the descent looks for a
			 * region of span + align - PAGE, taking a smaller aligned one
			 * only if it passes it; so the result lies between the true
			 * lowest fit and the lowest region that large. */
			uintptr_t bound = align == PG ? want : model_fit(vtx_span(n) + align - PG, PG);
			if (bound)
				bound = VKI_ROUND_UP(bound, align);
			void *p = align == PG ? vk_vmalloc(n) : vk_vmalloc_aligned(n, align);
			uintptr_t got = (uintptr_t)p;
			bool ok = got && got % align == 0 && got >= want && got <= bound;
			for (int i = 0; ok && i < nocc; i++)
				ok = got + vtx_span(n) <= occ[i].s || got >= occ[i].e;
			if (!ok && mismatches++ < 5)
				fprintf(stderr, "  step %d: vmalloc(%zu, align %zu) = %p, lowest fit %#lx, bound %#lx\n",
					step, n, align, p, (unsigned long)want, (unsigned long)bound);
			if (!p)
				break;
			/* Keep the model consistent with reality either way. */
			model_insert(got, got + vtx_span(n));
		}
	}
	EXPECT_EQ(mismatches, 0);
	EXPECT_INVARIANTS();
	for (int i = 0; i < nocc; i++)
		if (!occ[i].lazy)
			vk_vfree((void *)occ[i].s);
	nocc = 0;
	EXPECT_CLEAN();
}

/* A lazily freed range is not handed out again before a purge. */
TEST(lazy_not_reused_before_purge)
{
	void *a = vk_vmalloc(PG);
	void *b = vk_vmalloc(PG);
	EXPECT_EQ((uintptr_t)a, vtx_base());
	struct vk_stats s0 = vt_stats();
	vk_vfree(a);
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.lazy_areas, s0.lazy_areas + 1);
	EXPECT_EQ(s1.lazy_bytes, s0.lazy_bytes + 2 * PG);
	EXPECT_EQ(s1.live_areas, s0.live_areas - 1);
	EXPECT_EQ(s1.live_bytes, s0.live_bytes - PG);
	/* Many allocations, none in [a, a + 2 pages). */
	void *c[64];
	for (int i = 0; i < 64; i++) {
		c[i] = vk_vmalloc(1 + i * 100);
		EXPECT(c[i] != NULL);
		EXPECT((uintptr_t)c[i] >= (uintptr_t)b + 2 * PG);
	}
	EXPECT_EQ(vt_stats().purges, s1.purges);
	vk_purge();
	struct vk_stats s2 = vt_stats();
	EXPECT_EQ(s2.purges, s1.purges + 1);
	EXPECT_EQ(s2.lazy_areas, 0);
	EXPECT_EQ(s2.lazy_bytes, 0);
	void *d = vk_vmalloc(PG);
	EXPECT_EQ((uintptr_t)d, (uintptr_t)a);
	vk_vfree(b);
	vk_vfree(d);
	for (int i = 0; i < 64; i++)
		vk_vfree(c[i]);
	EXPECT_CLEAN();
}

/* Alignment 4K..1G honoured; the huge ones fail cleanly. */
TEST(alignment)
{
	void *pad = vk_vmalloc(PG); /* so that base alignment is not free */
	EXPECT(pad != NULL);
	for (int shift = 12; shift <= 30; shift++) {
		size_t al = 1UL << shift;
		size_t n = 1 + (shift * 777) % (3 * PG);
		void *p = vk_vmalloc_aligned(n, al);
		EXPECT(p != NULL);
		if (!p)
			continue;
		EXPECT_EQ((uintptr_t)p % al, 0);
		EXPECT_EQ(vk_vmalloc_size(p), n);
		EXPECT_EQ(vtx_check_live((uintptr_t)p, n), 0);
		memset(p, 0x5a, n);
		vk_vfree(p);
	}
	vk_purge();
	EXPECT_INVARIANTS();
	/* Below a page means a page. */
	for (size_t al = 1; al < PG; al <<= 1) {
		void *p = vk_vmalloc_aligned(10, al);
		EXPECT(p != NULL);
		EXPECT_EQ((uintptr_t)p % PG, 0);
		vk_vfree(p);
	}
	/* Bigger than the arena: NULL, counted, nothing left behind. */
	struct vk_stats s0 = vt_stats();
	size_t nfail = 0;
	for (int shift = 41; shift < 64; shift++) {
		if ((1UL << shift) <= s0.arena_size)
			continue;
		void *p = vk_vmalloc_aligned(PG, 1UL << shift);
		EXPECT(p == NULL);
		nfail++;
	}
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.alloc_failures, s0.alloc_failures + nfail);
	EXPECT_EQ(s1.live_areas, s0.live_areas);
	EXPECT_EQ(s1.shadow_pages, s0.shadow_pages);
	EXPECT_INVARIANTS();
	/* Aligned allocations leave the space before them free: a small
	 * allocation afterwards still goes just after pad. */
	vk_purge();
	void *big = vk_vmalloc_aligned(PG, 1UL << 20);
	void *small = vk_vmalloc(PG);
	EXPECT_EQ((uintptr_t)big % (1UL << 20), 0);
	EXPECT_EQ((uintptr_t)small, (uintptr_t)pad + 2 * PG);
	vk_vfree(big);
	vk_vfree(small);
	vk_vfree(pad);
	EXPECT_CLEAN();
}

/* The lazy total passing lazy_max triggers a purge without vk_purge(). */
TEST(lazy_max_threshold)
{
	EXPECT_EQ(vk_set_option("lazy_max", "1048576"), 0);
	EXPECT_EQ(vki_opt.lazy_max, 1048576);
	enum { N = 200 };
	void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = vk_vmalloc(PG); /* 8 KiB each with the guard */
		EXPECT(p[i] != NULL);
	}
	struct vk_stats s0 = vt_stats();
	/* 128 * 8 KiB = 1 MiB: not past the threshold yet. */
	for (int i = 0; i < 128; i++)
		vk_vfree(p[i]);
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.purges, s0.purges);
	EXPECT_EQ(s1.lazy_bytes, 128 * 2 * PG);
	/* One more passes it; the purge happens at this free or, at the
	 * latest, at the next allocation. */
	vk_vfree(p[128]);
	void *q = vk_vmalloc(PG);
	struct vk_stats s2 = vt_stats();
	EXPECT(s2.purges > s1.purges);
	EXPECT(s2.lazy_bytes <= 1048576);
	EXPECT(q != NULL);
	/* The purged space is reused: lowest fit gives the base. */
	EXPECT_EQ((uintptr_t)q, vtx_base());
	for (int i = 129; i < N; i++)
		vk_vfree(p[i]);
	vk_vfree(q);
	EXPECT(vt_stats().lazy_bytes <= 1048576 + 2 * PG);
	EXPECT_EQ(vk_set_option("lazy_max", "33554432"), 0);
	EXPECT_CLEAN();
}

/* vzalloc memory reads zero, also when it reuses dirty memory. */
static void vzalloc_case(const char *decommit)
{
	EXPECT_EQ(vk_set_option("decommit", decommit), 0);
	size_t n = 5 * PG + 123;
	unsigned char *a = vk_vmalloc(n);
	EXPECT(a != NULL);
	memset(a, 0xA5, n);
	vk_vfree(a);
	vk_purge();
	unsigned char *b = vk_vzalloc(n);
	EXPECT_EQ((uintptr_t)b, (uintptr_t)a); /* same, dirty, range */
	size_t nz = 0;
	for (size_t i = 0; i < n; i++)
		nz += b[i] != 0;
	EXPECT_EQ(nz, 0);
	EXPECT_EQ(vtx_check_live((uintptr_t)b, n), 0);
	EXPECT_EQ(vk_vmalloc_size(b), n);
	memset(b, 0xA5, n);
	vk_vfree(b);
	/* Shorter reuse of the same range, not page aligned. */
	vk_purge();
	unsigned char *c = vk_vzalloc(PG + 1);
	EXPECT_EQ((uintptr_t)c, (uintptr_t)a);
	nz = 0;
	for (size_t i = 0; i < PG + 1; i++)
		nz += c[i] != 0;
	EXPECT_EQ(nz, 0);
	vk_vfree(c);
	EXPECT_EQ(vk_set_option("decommit", "1"), 0);
	EXPECT_CLEAN();
}

TEST(vzalloc_zeroed_decommit)
{
	vzalloc_case("1");
}

TEST(vzalloc_zeroed_no_decommit)
{
	vzalloc_case("0");
}

TEST(vmalloc_size)
{
	static const size_t sizes[] = { 1, 8, 13, 4096, 4097, 65536 + 3 };
	void *p[6];
	for (int i = 0; i < 6; i++) {
		p[i] = vk_vmalloc(sizes[i]);
		EXPECT_EQ(vk_vmalloc_size(p[i]), sizes[i]);
	}
	void *al = vk_vmalloc_aligned(777, 1 << 16);
	EXPECT_EQ(vk_vmalloc_size(al), 777);
	/* Not the start of a live mapping: 0. */
	EXPECT_EQ(vk_vmalloc_size(NULL), 0);
	EXPECT_EQ(vk_vmalloc_size((char *)p[3] + 1), 0);
	EXPECT_EQ(vk_vmalloc_size((char *)p[3] + PG), 0); /* guard page */
	int local;
	EXPECT_EQ(vk_vmalloc_size(&local), 0);
	EXPECT_EQ(vk_vmalloc_size((void *)(vtx_base() + (1UL << 39))), 0);
	vk_vfree(p[2]);
	EXPECT_EQ(vk_vmalloc_size(p[2]), 0); /* lazily freed */
	vk_purge();
	EXPECT_EQ(vk_vmalloc_size(p[2]), 0);
	for (int i = 0; i < 6; i++)
		if (i != 2)
			vk_vfree(p[i]);
	vk_vfree(al);
	EXPECT_CLEAN();
}

TEST(accounting)
{
	struct vk_stats s0 = vt_stats();
	void *a = vk_vmalloc(100);
	void *b = vk_vmalloc(3 * PG + 5);
	struct vk_stats s1 = vt_stats();
	EXPECT_EQ(s1.live_areas, s0.live_areas + 2);
	EXPECT_EQ(s1.live_bytes, s0.live_bytes + 100 + 3 * PG + 5);
	vk_vfree(b);
	struct vk_stats s2 = vt_stats();
	EXPECT_EQ(s2.live_areas, s0.live_areas + 1);
	EXPECT_EQ(s2.live_bytes, s0.live_bytes + 100);
	EXPECT_EQ(s2.lazy_areas, s0.lazy_areas + 1);
	EXPECT_EQ(s2.lazy_bytes, s0.lazy_bytes + 5 * PG);
	vk_vfree(a);
	vk_purge();
	struct vk_stats s3 = vt_stats();
	EXPECT_EQ(s3.live_areas, 0);
	EXPECT_EQ(s3.live_bytes, 0);
	EXPECT_EQ(s3.lazy_areas, 0);
	EXPECT_EQ(s3.lazy_bytes, 0);
	EXPECT_EQ(s3.purges, s2.purges + 1);
	EXPECT_EQ(s3.shadow_pages_populated_total - s0.shadow_pages_populated_total,
		  s3.shadow_pages_released_total - s0.shadow_pages_released_total);
	EXPECT_CLEAN();
}

/* Memory handed out is writable over its whole requested size, and
 * mappings do not overlap (pattern survives neighbours' writes). */
TEST(memory_usable)
{
	enum { N = 50 };
	unsigned char *p[N];
	size_t n[N];
	for (int i = 0; i < N; i++) {
		n[i] = 1 + (size_t)i * 1237;
		p[i] = vk_vmalloc(n[i]);
		EXPECT(p[i] != NULL);
		memset(p[i], i + 1, n[i]);
	}
	for (int i = 0; i < N; i++) {
		size_t bad = 0;
		for (size_t j = 0; j < n[i]; j++)
			bad += p[i][j] != (unsigned char)(i + 1);
		EXPECT_EQ(bad, 0);
		vk_vfree(p[i]);
	}
	EXPECT_CLEAN();
}

/* guard_pages=1 makes the guard page fault for uninstrumented code too;
 * by default it is plain memory (only the shadow guards it). */
static int write_guard_in_child(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		vk_set_option("handle_segv", "0");
		signal(SIGSEGV, SIG_DFL);
		char *p = vk_vmalloc(100);
		if (!p)
			_exit(3);
		p[99] = 1;
		((volatile char *)p)[PG] = 1; /* the guard page */
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 100 + WEXITSTATUS(st);
}

TEST(guard_pages_option)
{
	EXPECT_EQ(write_guard_in_child(), 100);
	EXPECT_EQ(vk_set_option("guard_pages", "1"), 0);
	EXPECT_EQ(write_guard_in_child(), SIGSEGV);
	/* In this process: guards come and go with mappings; a purged guard
	 * page is plain memory again when reused. */
	char *a = vk_vmalloc(PG);
	vk_vfree(a);
	vk_purge();
	EXPECT_EQ(vk_set_option("guard_pages", "0"), 0);
	char *b = vk_vmalloc(2 * PG);
	EXPECT_EQ((uintptr_t)b, (uintptr_t)a);
	memset(b, 1, 2 * PG);
	vk_vfree(b);
	EXPECT_CLEAN();
}

VT_MAIN()
