/*
 * fuzz_api.c - libFuzzer harness for the vkasan API (issue 5).
 *
 * Each input is a program: a sequence of operations decoded from bytes,
 * run against the runtime and against a small reference model of what must
 * be true.  The model knows which mappings are live (16 slots), their sizes
 * and contents (a pattern from a per-mapping seed), and which ranges were
 * freed since the last purge (the quarantine).  Checked after every step:
 *
 *   - a new mapping is aligned as asked, overlaps no live mapping (guard
 *     pages included) and no range freed since the last purge, and has the
 *     requested size (vk_vmalloc_size); vk_vzalloc memory reads zero;
 *   - contents survive every other operation (purges, frees and allocations
 *     of neighbours, fault injection);
 *   - vk_vmalloc_size is 0 for anything that is not a live mapping start;
 *   - a bad free (interior pointer, double free, free space, memory outside
 *     the arena) gives exactly one report and changes nothing;
 *   - NULL only for impossible requests, or while fault injection is on
 *     and an injected failure happened during the call;
 *   - the counters (live mappings and bytes) agree with the model, and the
 *     invariant walk holds every 8 operations;
 *   - at the end of the input, with everything freed, failures off and two
 *     purges: no live or lazy mapping, one free region, no shadow page.
 *
 * Any violation aborts, which libFuzzer reports as a crash with the input.
 * The harness itself may be instrumented (vkasan-cc): then a shadow error
 * on a live mapping is a report, and an unexpected report aborts too.
 *
 * Byte code (each operation: one opcode byte, then its operands; a short
 * read at the end of the input gives zeros):
 *   op % 16:  0 vmalloc  1 vzalloc  2 aligned  (slot, size[2], [align])
 *             3 vfree slot  4 purge  5 rewrite slot  6 verify slot
 *             7 vmalloc_size probes  8 bad free (kind, offset)
 *             9 lazy_max  10 fault injection (every)  11 invariant walk
 *             12 memmove between slots  13 impossible requests
 *             14 realloc-like (slot, size): with op & 0x10 vk_vrealloc,
 *                else allocate, copy, free   15 vfree NULL / no-op calls
 *   op >= 240: the program's mappings (issue 12), 8 slots of up to 64 pages
 *   whose model is a state per page (unmapped, read-write with a byte
 *   value, PROT_NONE):
 *             240 mmap (mslot, pages, kind)  241 munmap all of it
 *             242 munmap part (mslot, page, n)  243 mprotect part (mslot,
 *             page, n, none?)  244 mremap MAYMOVE (mslot, pages)
 *             245 write pages (mslot, page, value)  246 verify mslot
 *   Checked: contents and protections survive everything else; a
 *   PROT_NONE page is left to fault (vki_mmap_let_fault), a read-write one
 *   is not; failures only as the kernel would fail, or under injection.
 *
 * Built two ways (tests/fuzz/Makefile): with clang -fsanitize=fuzzer for
 * fuzzing, and with -DFUZZ_REPLAY as a plain program that runs the inputs
 * named on its command line (files or directories) for make check.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkasan.h"
#include "vk_internal.h" /* vki_report_count, vki_os_fail_count */

#define SLOTS 16
#define PAGE 4096UL
#define MAX_SIZE (2UL << 20)
#define FULL_CHECK (64UL << 10) /* larger mappings are checked in samples */
#define MAX_FREED 256

struct slot {
	unsigned char *p;
	size_t size;
	uint64_t seed;
};

struct freed {
	uintptr_t start, end; /* the whole mapping, guard page included */
	uint64_t purges;      /* purge count when it was freed */
};

static struct slot slots[SLOTS];
static struct freed freed[MAX_FREED];
static int nfreed;
static long fail_every;
static const char *why_crash;

static void fail(const char *what, uintptr_t a, size_t n)
{
	fprintf(stderr, "fuzz_api: model violated: %s (addr %#lx, n %zu)\n", what,
		(unsigned long)a, n);
	why_crash = what;
	abort();
}

#define REQUIRE(cond, what, a, n)                                              \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(what, (uintptr_t)(a), (size_t)(n));               \
	} while (0)

/* ------------------------------------------------------------ input */

struct input {
	const uint8_t *d;
	size_t n, i;
};

static unsigned get8(struct input *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static unsigned get16(struct input *in)
{
	unsigned lo = get8(in);
	return lo | get8(in) << 8;
}

/* A size from two bytes: mostly small, some around page edges, a few
 * large. */
static size_t get_size(struct input *in)
{
	unsigned v = get16(in);
	unsigned cls = v >> 13, x = v & 0x1fff;
	switch (cls) {
	case 0: case 1: case 2: return 1 + x % 256;
	case 3: return 1 + x;                                   /* < 8 KiB */
	case 4: return (1 + x % 16) * PAGE + (x >> 4) % 17 - 8; /* page edges */
	case 5: return 1 + (size_t)x * 31;                      /* < 256 KiB */
	case 6: return (1 + x % 64) * PAGE;
	default: return 1 + ((size_t)x * 256 + x) % MAX_SIZE;   /* < 2 MiB */
	}
}

/* ------------------------------------------------------------ contents */

/* Word k of the pattern; byte i is byte i % 8 of word i / 8. */
static inline uint64_t pat_word(uint64_t seed, size_t k)
{
	uint64_t x = (seed + k) * 0x9E3779B97F4A7C15ULL;
	return x ^ (x >> 29);
}

static inline unsigned char pat(uint64_t seed, size_t i)
{
	return (unsigned char)(pat_word(seed, i >> 3) >> (8 * (i & 7)));
}

/* Mappings start on a page: whole words with 8-byte stores, the tail
 * (a partial granule) byte by byte. */
static void fill(struct slot *s)
{
	size_t nw = s->size / 8;
	for (size_t k = 0; k < nw; k++)
		((uint64_t *)s->p)[k] = pat_word(s->seed, k);
	for (size_t i = nw * 8; i < s->size; i++)
		s->p[i] = pat(s->seed, i);
}

static void verify_range(const struct slot *s, size_t from, size_t to)
{
	size_t k0 = from / 8, k1 = to / 8;
	for (size_t k = k0; k < k1; k++)
		if (((const uint64_t *)s->p)[k] != pat_word(s->seed, k))
			fail("contents changed", (uintptr_t)s->p + k * 8, s->size);
	for (size_t i = k1 * 8 > from ? k1 * 8 : from; i < to; i++)
		if (s->p[i] != pat(s->seed, i))
			fail("contents changed", (uintptr_t)s->p + i, s->size);
}

/* Small mappings wholly; large ones at both ends and at one place that
 * moves with the seed. */
static void verify(const struct slot *s)
{
	if (s->size <= FULL_CHECK) {
		verify_range(s, 0, s->size);
		return;
	}
	size_t mid = (size_t)(s->seed % (s->size / PAGE)) * PAGE;
	verify_range(s, 0, PAGE);
	verify_range(s, mid, mid + PAGE < s->size ? mid + PAGE : s->size);
	verify_range(s, s->size - PAGE, s->size);
}

/* ------------------------------------------------------------ model */

static uint64_t purges_now(void)
{
	struct vk_stats st;
	vk_get_stats(&st);
	return st.purges;
}

static uintptr_t span_end(uintptr_t p, size_t size)
{
	return p + VKI_ROUND_UP(size, PAGE) + PAGE;
}

static void check_new_mapping(uintptr_t p, size_t size, size_t align)
{
	uintptr_t e = span_end(p, size);
	REQUIRE(p % PAGE == 0, "mapping not page aligned", p, size);
	REQUIRE(!align || p % align == 0, "mapping not aligned as asked", p, align);
	REQUIRE(vki_in_arena(p) && vki_in_arena(e - 1), "mapping outside the arena", p, size);
	REQUIRE(vk_vmalloc_size((void *)p) == size, "vk_vmalloc_size of a new mapping", p, size);
	for (int i = 0; i < SLOTS; i++) {
		const struct slot *s = &slots[i];
		if (s->p && (uintptr_t)s->p < e && p < span_end((uintptr_t)s->p, s->size))
			fail("new mapping overlaps a live one", p, size);
	}
	/* The quarantine: freed ranges come back only after a purge. */
	uint64_t purges = purges_now();
	int k = 0;
	for (int i = 0; i < nfreed; i++) {
		if (freed[i].purges != purges)
			continue; /* purged since: may be reused */
		if (freed[i].start < e && p < freed[i].end)
			fail("freed range handed out before a purge", p, size);
		freed[k++] = freed[i];
	}
	nfreed = k;
}

/* purges: the count before the vk_vfree (which may purge by itself). */
static void note_freed(uintptr_t p, size_t size, uint64_t purges)
{
	if (nfreed == MAX_FREED) {
		memmove(freed, freed + 1, sizeof(freed[0]) * (MAX_FREED - 1));
		nfreed--;
	}
	freed[nfreed].start = p;
	freed[nfreed].end = span_end(p, size);
	freed[nfreed].purges = purges;
	nfreed++;
}

/* An allocation returned NULL: fine for impossible requests, or when an
 * injected failure happened during the call. */
static void check_null(size_t size, size_t align, unsigned long fails_before)
{
	if (fail_every && vki_os_fail_count() != fails_before)
		return;
	/* Lazily freed space is purged on demand, so only a request larger
	 * than what is free in the whole arena may fail: ours stay small. */
	fail("vk_vmalloc returned NULL without cause", align, size);
}

static void slot_free(struct slot *s)
{
	if (!s->p)
		return;
	verify(s);
	uint64_t purges = purges_now();
	vk_vfree(s->p);
	note_freed((uintptr_t)s->p, s->size, purges);
	REQUIRE(vk_vmalloc_size(s->p) == 0, "vk_vmalloc_size of a freed mapping", s->p, s->size);
	s->p = NULL;
}

/* vk_vrealloc: in place (the same address, pages gained only from free
 * space) or moved (the old range quarantined); the common prefix kept, the
 * new size exact in the shadow; NULL leaves the mapping as it was. */
static void slot_vrealloc(struct slot *s, size_t nsz)
{
	verify(s);
	unsigned long f0 = vki_os_fail_count();
	uint64_t purges = purges_now();
	struct slot old = *s;
	unsigned char *np = vk_vrealloc(s->p, nsz);
	if (!np) {
		check_null(nsz, 0, f0);
		REQUIRE(vk_vmalloc_size(s->p) == s->size, "failed vrealloc changed the size",
			s->p, s->size);
		verify(s);
		return;
	}
	s->p = NULL; /* not an overlap with itself */
	check_new_mapping((uintptr_t)np, nsz, 0);
	if (np != old.p)
		note_freed((uintptr_t)old.p, old.size, purges);
	for (size_t i = 0; i < (nsz < old.size ? nsz : old.size); i++)
		if (np[i] != pat(old.seed, i))
			fail("vrealloc lost contents", (uintptr_t)np + i, nsz);
	REQUIRE(!vk_region_is_poisoned(np, nsz), "vrealloc: new size not accessible", np, nsz);
	REQUIRE(vk_region_is_poisoned(np + nsz, 1) == np + nsz, "vrealloc: tail accessible",
		np, nsz);
	s->p = np;
	s->size = nsz;
	s->seed = old.seed ^ 0x3333;
	fill(s);
}

static void slot_alloc(struct slot *s, int kind, size_t size, size_t align, uint64_t seed)
{
	slot_free(s);
	unsigned long f0 = vki_os_fail_count();
	unsigned char *p;
	if (kind == 0)
		p = vk_vmalloc(size);
	else if (kind == 1)
		p = vk_vzalloc(size);
	else
		p = vk_vmalloc_aligned(size, align);
	if (!p) {
		check_null(size, align, f0);
		return;
	}
	check_new_mapping((uintptr_t)p, size, align < PAGE ? 0 : align);
	if (kind == 1)
		for (size_t i = 0; i < size; i++)
			if (p[i])
				fail("vk_vzalloc memory not zero", (uintptr_t)p + i, size);
	s->p = p;
	s->size = size;
	s->seed = seed;
	fill(s);
}

/* ------------------------------------------------------------ mappings */

#include <errno.h>
#include <sys/mman.h>

#define MSLOTS 8
#define MPAGES 64
enum { M_UNMAPPED, M_RW, M_NONE };

struct mslot {
	unsigned char *p;
	size_t pages;
	bool split; /* a part was changed: mremap may see pieces (EFAULT) */
	bool shared; /* grown shared memory would be past its end (SIGBUS) */
	uint8_t state[MPAGES], val[MPAGES];
};

static struct mslot mslots[MSLOTS];

/* Mapped pages and pieces-at-least, for check_counters. */
static void mslot_counts(uint64_t *areas, uint64_t *bytes)
{
	for (int i = 0; i < MSLOTS; i++)
		for (size_t k = 0; k < mslots[i].pages; k++)
			if (mslots[i].state[k] != M_UNMAPPED) {
				*bytes += PAGE;
				if (k == 0 || mslots[i].state[k - 1] == M_UNMAPPED)
					(*areas)++;
			}
}

static void mslot_verify(const struct mslot *m)
{
	for (size_t k = 0; k < m->pages; k++) {
		unsigned char *pg = m->p + k * PAGE;
		if (m->state[k] == M_RW) {
			REQUIRE(pg[0] == m->val[k] && pg[PAGE - 1] == m->val[k] &&
					pg[k * 61 % PAGE] == m->val[k],
				"mapping contents changed", pg, k);
			REQUIRE(!vki_mmap_let_fault((uintptr_t)pg, 8), "read-write page left to fault",
				pg, k);
		} else if (m->state[k] == M_NONE) {
			REQUIRE(vki_mmap_let_fault((uintptr_t)pg + 8, 1), "PROT_NONE page checked", pg, k);
		}
	}
}

static void mslot_unmap(struct mslot *m, size_t from, size_t n)
{
	if (!m->p || from >= m->pages)
		return;
	if (n > m->pages - from)
		n = m->pages - from;
	/* Holes may belong to later mappings by now: unmap only what is ours
	 * (the first run of mapped pages, and the rest if it succeeds). */
	while (n && m->state[from] == M_UNMAPPED)
		from++, n--;
	size_t run = 0;
	while (run < n && m->state[from + run] != M_UNMAPPED)
		run++;
	if (!run)
		goto done;
	if (run < n) {
		mslot_unmap(m, from + run, n - run);
		if (!m->p)
			return;
		n = run;
	}
	int r = munmap(m->p + from * PAGE, n * PAGE);
	if (r) {
		REQUIRE(errno == ENOMEM && fail_every, "munmap failed", m->p, n);
		m->split = true; /* no metadata for a split (injection): nothing unmapped */
		return;
	}
	for (size_t k = from; k < from + n; k++)
		m->state[k] = M_UNMAPPED;
	if (from || n < m->pages)
		m->split = true;
done:;
	bool any = false;
	for (size_t k = 0; k < m->pages; k++)
		any |= m->state[k] != M_UNMAPPED;
	if (!any)
		memset(m, 0, sizeof(*m));
}

static void mslot_map(struct mslot *m, size_t pages, unsigned kind)
{
	mslot_unmap(m, 0, MPAGES);
	if (m->p)
		return;
	unsigned long f0 = vki_os_fail_count();
	int prot = kind & 1 ? PROT_NONE : PROT_READ | PROT_WRITE;
	int flags = (kind & 2 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
	unsigned char *p = mmap(NULL, pages * PAGE - (kind >> 2) % 100, prot, flags, -1, 0);
	if (p == MAP_FAILED) {
		REQUIRE(errno == ENOMEM && fail_every && vki_os_fail_count() != f0,
			"mmap failed without cause", 0, pages);
		return;
	}
	struct vk_stats st;
	vk_get_stats(&st);
	REQUIRE((uintptr_t)p - st.arena_base < st.arena_size, "mmap not routed", p, pages);
	m->p = p;
	m->pages = pages;
	m->split = false;
	m->shared = kind & 2;
	for (size_t k = 0; k < pages; k++) {
		m->state[k] = kind & 1 ? M_NONE : M_RW;
		m->val[k] = 0;
	}
	mslot_verify(m); /* fresh memory is zero */
}

static void mslot_protect(struct mslot *m, size_t from, size_t n, bool none)
{
	if (!m->p || from >= m->pages || !n)
		return;
	if (n > m->pages - from)
		n = m->pages - from;
	bool mapped = true;
	for (size_t k = from; k < from + n; k++)
		mapped &= m->state[k] != M_UNMAPPED;
	if (!mapped)
		return; /* a hole may be another mapping's by now */
	int r = mprotect(m->p + from * PAGE, n * PAGE, none ? PROT_NONE : PROT_READ | PROT_WRITE);
	if (r) {
		REQUIRE(errno == ENOMEM && fail_every, "mprotect failed", m->p, n);
		m->split = true; /* pieces may have split before the failure */
		return;
	}
	for (size_t k = from; k < from + n; k++)
		m->state[k] = none ? M_NONE : M_RW;
	if (from || n < m->pages)
		m->split = true;
}

static void mslot_remap(struct mslot *m, size_t pages)
{
	if (!m->p)
		return;
	bool whole = true;
	for (size_t k = 0; k < m->pages; k++)
		whole &= m->state[k] != M_UNMAPPED;
	if (!whole)
		return;
	if (m->shared && pages > m->pages)
		pages = m->pages;
	unsigned long f0 = vki_os_fail_count();
	unsigned char *q = mremap(m->p, m->pages * PAGE, pages * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		REQUIRE((errno == EFAULT && m->split) ||
				(errno == ENOMEM && fail_every && vki_os_fail_count() != f0),
			"mremap failed without cause", m->p, pages);
		return;
	}
	for (size_t k = m->pages; k < pages; k++) {
		m->state[k] = m->state[m->pages - 1];
		m->val[k] = 0; /* the grown part is new zero memory */
	}
	m->p = q;
	m->pages = pages;
	mslot_verify(m);
}

static void mslot_write(struct mslot *m, size_t from, unsigned char v)
{
	for (size_t k = from; m->p && k < m->pages && k < from + 4; k++)
		if (m->state[k] == M_RW) {
			memset(m->p + k * PAGE, v, PAGE);
			m->val[k] = v;
		}
}

static void mapping_op(unsigned sub, struct input *in)
{
	struct mslot *m = &mslots[get8(in) % MSLOTS];
	switch (sub) {
	case 0: {
		size_t pages = 1 + get8(in) % MPAGES;
		mslot_map(m, pages, get8(in));
		break;
	}
	case 1:
		mslot_unmap(m, 0, MPAGES);
		break;
	case 2: {
		size_t from = get8(in) % MPAGES;
		mslot_unmap(m, from, 1 + get8(in) % 8);
		break;
	}
	case 3: {
		size_t from = get8(in) % MPAGES, n = 1 + get8(in) % 16;
		mslot_protect(m, from, n, get8(in) & 1);
		break;
	}
	case 4:
		mslot_remap(m, 1 + get8(in) % MPAGES);
		break;
	case 5: {
		size_t from = get8(in) % MPAGES;
		mslot_write(m, from, (unsigned char)get8(in));
		break;
	}
	default:
		break;
	}
	if (m->p)
		mslot_verify(m);
}

static void check_counters(void)
{
	struct vk_stats st;
	vk_get_stats(&st);
	uint64_t live = 0, bytes = 0, marea = 0, mbytes = 0;
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p) {
			live++;
			bytes += slots[i].size;
		}
	mslot_counts(&marea, &mbytes);
	bytes += mbytes;
	/* Mappings split into pieces where their parts differ: at least one
	 * area per run of mapped pages. */
	REQUIRE(marea ? st.live_areas >= live + marea : st.live_areas == live,
		"live_areas disagrees with the model", 0, st.live_areas);
	REQUIRE(st.live_bytes == bytes, "live_bytes disagrees with the model", 0, st.live_bytes);
}

static void set_fail_every(long n)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%ld", n);
	if (vk_set_option("fail_mmap_every", buf))
		abort();
	fail_every = n;
}

/* ------------------------------------------------------------ bad frees */

static char *report_log;   /* reports of expected bugs go here */
static unsigned long expected_reports;

static void expect_one_report(const void *p)
{
	unsigned long r0 = vki_report_count();
	vk_vfree(p);
	REQUIRE(vki_report_count() == r0 + 1, "bad free did not give exactly one report", p, 0);
	expected_reports++;
	if (report_log && expected_reports % 256 == 0 && truncate(report_log, 0))
		report_log = NULL; /* the log is O_APPEND: writing goes on */
}

static void bad_free(struct input *in)
{
	unsigned kind = get8(in), off = get16(in);
	struct slot *s = &slots[kind % SLOTS];
	int local;
	switch ((kind >> 4) % 6) {
	case 0: /* interior pointer of a live mapping, guard page included */
		if (s->p)
			expect_one_report(s->p + 1 + off % (VKI_ROUND_UP(s->size, PAGE) + PAGE - 1));
		break;
	case 1: /* double free: a range freed since the last purge */
		if (nfreed && freed[nfreed - 1].purges == purges_now()) {
			uintptr_t a = freed[nfreed - 1].start;
			bool live = false;
			for (int i = 0; i < SLOTS; i++)
				live |= (uintptr_t)slots[i].p == a;
			if (!live)
				expect_one_report((void *)a);
		}
		break;
	case 2: /* free space far above anything the model holds */
		expect_one_report((void *)(vki_arena_base + (vki_arena_end - vki_arena_base) / 2 +
					   (uintptr_t)off * PAGE));
		break;
	case 3:
		expect_one_report(&local);
		break;
	case 4:
		expect_one_report((void *)(uintptr_t)(off + 1));
		break;
	default: /* a heap pointer */
	{
		void *h = malloc(16);
		expect_one_report(h);
		free(h);
		break;
	}
	}
}

/* ------------------------------------------------------------ one input */

static void setup_once(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	vk_set_option("halt_on_error", "0");
	vk_set_option("symbolize", "0");
	const char *dir = getenv("FUZZ_REPORT_LOG");
	if (dir && *dir) {
		static char path[512];
		vk_set_option("log_path", dir);
		snprintf(path, sizeof(path), "%s.%d", dir, (int)getpid());
		report_log = path;
	}
	struct vk_stats st;
	vk_get_stats(&st);
	if (!st.arena_base) {
		fprintf(stderr, "fuzz_api: the arena is not available\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	struct input in = { data, size, 0 };
	unsigned long reports0 = vki_report_count();
	unsigned long expected0 = expected_reports;
	nfreed = 0;
	int steps = 0;
	while (in.i < in.n && steps < 2000) {
		unsigned op = get8(&in);
		steps++;
		if (op >= 240) {
			mapping_op(op - 240, &in);
			check_counters();
			if (steps % 8 == 0)
				REQUIRE(vk_check_invariants() == 0, "invariant walk", 0, (size_t)steps);
			continue;
		}
		switch (op % 16) {
		case 0:
		case 1:
		case 2: {
			struct slot *s = &slots[get8(&in) % SLOTS];
			size_t sz = get_size(&in);
			size_t align = (op % 16 == 2) ? 1UL << (get8(&in) % 23) : 0;
			slot_alloc(s, (int)(op % 16), sz, align, (uint64_t)in.i * 0x1000193 + op);
			break;
		}
		case 3:
			slot_free(&slots[get8(&in) % SLOTS]);
			break;
		case 4:
			vk_purge();
			break;
		case 5: {
			struct slot *s = &slots[get8(&in) % SLOTS];
			if (s->p) {
				verify(s);
				s->seed = s->seed * 31 + 7;
				fill(s);
			}
			break;
		}
		case 6: {
			struct slot *s = &slots[get8(&in) % SLOTS];
			if (s->p)
				verify(s);
			break;
		}
		case 7: {
			struct slot *s = &slots[get8(&in) % SLOTS];
			unsigned off = get16(&in);
			if (s->p) {
				REQUIRE(vk_vmalloc_size(s->p) == s->size, "vk_vmalloc_size", s->p, s->size);
				REQUIRE(vk_vmalloc_size(s->p + 1 + off % s->size) == 0,
					"vk_vmalloc_size of an interior pointer", s->p, off);
			}
			REQUIRE(vk_vmalloc_size((void *)(uintptr_t)off) == 0,
				"vk_vmalloc_size outside the arena", off, 0);
			break;
		}
		case 8:
			bad_free(&in);
			break;
		case 9: {
			static const char *values[] = { "0", "4096", "65536", "1m", "32m", "1g" };
			vk_set_option("lazy_max", values[get8(&in) % 6]);
			break;
		}
		case 10:
			set_fail_every((long)(get8(&in) % 10)); /* 0: off */
			break;
		case 11:
			REQUIRE(vk_check_invariants() == 0, "invariant walk", 0, 0);
			break;
		case 12: {
			struct slot *a = &slots[get8(&in) % SLOTS], *b = &slots[get8(&in) % SLOTS];
			if (a->p && b->p && a != b) {
				size_t n = a->size < b->size ? a->size : b->size;
				verify(a);
				memmove(b->p, a->p, n);
				for (size_t i = 0; i < n; i++)
					if (b->p[i] != pat(a->seed, i))
						fail("memmove between mappings", (uintptr_t)b->p + i, n);
				/* b now holds a's prefix: refill to its own pattern. */
				fill(b);
			}
			break;
		}
		case 13: {
			static const size_t huge[] = { 0, SIZE_MAX, SIZE_MAX - PAGE + 1,
						       (size_t)1 << 63, (size_t)1 << 41 };
			size_t h = huge[get8(&in) % 5];
			REQUIRE(!vk_vmalloc(h), "impossible vk_vmalloc succeeded", 0, h);
			REQUIRE(!vk_vzalloc(h), "impossible vk_vzalloc succeeded", 0, h);
			REQUIRE(!vk_vmalloc_aligned(PAGE, 3 * PAGE), "bad alignment accepted", 0, 0);
			REQUIRE(!vk_vmalloc_aligned(PAGE, (size_t)1 << 62), "huge alignment accepted", 0, 0);
			break;
		}
		case 14: {
			struct slot *s = &slots[get8(&in) % SLOTS];
			size_t nsz = get_size(&in);
			if (!s->p)
				break;
			if (op & 0x10) {
				slot_vrealloc(s, nsz);
				break;
			}
			unsigned long f0 = vki_os_fail_count();
			unsigned char *np = vk_vmalloc(nsz);
			if (!np) {
				check_null(nsz, 0, f0);
				break;
			}
			check_new_mapping((uintptr_t)np, nsz, 0);
			memcpy(np, s->p, nsz < s->size ? nsz : s->size);
			struct slot old = *s;
			s->p = np;
			s->size = nsz;
			for (size_t i = 0; i < (nsz < old.size ? nsz : old.size); i++)
				if (np[i] != pat(old.seed, i))
					fail("memcpy into a new mapping", (uintptr_t)np + i, nsz);
			s->seed = old.seed ^ 0x5555;
			fill(s);
			slot_free(&old);
			break;
		}
		default:
			vk_vfree(NULL);
			vk_purge();
			break;
		}
		check_counters();
		if (steps % 8 == 0)
			REQUIRE(vk_check_invariants() == 0, "invariant walk", 0, (size_t)steps);
	}

	/* Everything back: the arena must be empty and clean. */
	set_fail_every(0);
	for (int i = 0; i < SLOTS; i++)
		slot_free(&slots[i]);
	for (int i = 0; i < MSLOTS; i++) {
		mslot_unmap(&mslots[i], 0, MPAGES);
		REQUIRE(!mslots[i].p, "munmap at the end", 0, i);
	}
	vk_purge();
	REQUIRE(vk_check_invariants() == 0, "invariants with cold ranges", 0, 0);
	vk_set_option("vmalloc_quarantine", "0"); /* cold ranges back to free space */
	vk_purge();
	vk_set_option("vmalloc_quarantine", "10G"); /* the default again */
	vk_set_option("lazy_max", "32m");
	struct vk_stats st;
	vk_get_stats(&st);
	REQUIRE(st.live_areas == 0 && st.lazy_areas == 0, "mappings left", 0, st.live_areas);
	/* The heap's slabs (libc's buffers, the harness's own allocations) stay
	 * with their shadow; vk_vmalloc's must all be gone. */
	REQUIRE(st.free_regions <= st.heap_mappings + 1, "free space not merged", 0, st.free_regions);
	REQUIRE(st.shadow_pages == st.heap_shadow_pages, "shadow pages left", 0, st.shadow_pages);
	REQUIRE(vk_check_invariants() == 0, "invariant walk at the end", 0, 0);
	REQUIRE(vki_report_count() - reports0 == expected_reports - expected0,
		"unexpected report", 0, vki_report_count() - reports0);
	return 0;
}

#ifdef FUZZ_REPLAY
/* Run the inputs named on the command line (files, or directories of
 * files) once each; prints one line per input and a summary. */
#include <dirent.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	int inputs = 0, errors = 0;
	for (int a = 1; a < argc; a++) {
		struct stat sb;
		if (stat(argv[a], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[a]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char p[4096];
				snprintf(p, sizeof(p), "%s/%s", argv[a], e->d_name);
				errors += run_file(p);
				inputs++;
			}
			if (d)
				closedir(d);
		} else {
			errors += run_file(argv[a]);
			inputs++;
		}
	}
	printf("fuzz_api: %d inputs replayed, %lu expected reports, %d unreadable\n", inputs,
	       expected_reports, errors);
	return errors != 0 || inputs == 0;
}
#endif
