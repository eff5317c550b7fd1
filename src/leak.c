/*
 * leak.c - kmemleak for the heap and the vmalloc arena: at exit (and on
 * vk_leak_check) find the live heap objects and vk_vmalloc mappings that
 * nothing references, and report them in kmemleak's shape.
 *
 * Steps, each a function below:
 *   0. prepare   (world running) the writable PT_LOAD segments of every
 *                module, the static TLS size; with leak_suppressions, the
 *                allocation stacks of live objects that the file suppresses
 *                (symbolizing takes the loader lock: never with the world
 *                stopped).
 *   1. stop      take the heap's locks and the arena's (so no stopped thread
 *                holds one), then stop every other thread: a signal whose
 *                handler saves its registers and stack pointer in a slot and
 *                parks on a futex until the scan is over.  ptrace, as
 *                LeakSanitizer does, needs a tracer process; the signal only
 *                needs the thread to leave it unblocked - a thread that does
 *                not answer in 1 s is named in the report and its stack is
 *                not scanned.
 *   2. collect   every live heap object (vki_heap_for_each_live) and busy
 *                vk_vmalloc mapping, in address order, into an array mapped
 *                from the OS (never the checked heap).  Heap mappings (slabs,
 *                large objects) are not objects of their own.
 *   3. mark      conservatively from the roots - writable segments, each
 *                thread's registers, its stack from sp (red zone included)
 *                to the top of its stack mapping, its static TLS and thread
 *                block around the thread pointer - and from ignored and
 *                suppressed objects: any aligned word pointing into an
 *                object (interior pointers too) keeps it, transitively.
 *                The arena is read only through the objects reached; the
 *                runtime's metadata (quarantine, stack depot, trees) lives in
 *                OS mappings that are not roots, so it hides nothing.
 *   4. classify  as LeakSanitizer: an unmarked object pointed to by another
 *                unmarked one is an indirect leak, the others direct.  The
 *                first 32 bytes of each are copied for the hex dump.
 *   5. resume    the threads, unlock, then symbolize and print, grouped by
 *                allocation stack (direct first, biggest total first).
 */
#include "vk_internal.h"

#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <ucontext.h>

#define STOP_SIG SIGPWR   /* as the Boehm collector: programs rarely use it */
#define MAX_THREADS 4096
#define MAX_SEGS 1024
#define MAX_IGNORED_MAPS 256
#define HEX_BYTES 32
#define RED_ZONE 128

enum { T_UNREACHED, T_REACHED, T_INDIRECT };

struct obj {
	uintptr_t start;
	size_t size;
	uint32_t stack;
	uint8_t tag, ignored;
};

struct leak {
	uintptr_t start;
	size_t size;
	uint32_t stack;
	uint8_t indirect, nhex;
	uint8_t hex[HEX_BYTES];
};

struct tslot {
	int tid;
	int state; /* 0 signalled, 1 stopped (registers saved), 2 left */
	uintptr_t sp, fs;
	greg_t regs[NGREG];
	uint64_t xmm[32]; /* a pointer may be in flight in a vector register */
};

/* One check at a time; everything below belongs to it. */
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uintptr_t lo, hi; } segs[MAX_SEGS];
static int nsegs;
static size_t tls_static;

static struct obj *objs;
static size_t nobjs, cap_objs;
static uint32_t *mstack;
static size_t msp;
static struct leak *leaks;
static size_t nleaks;
/* Quick filter: [first start, last end) kept as first start - 1, so that
 * this variable (in a scanned segment) does not itself keep the first. */
static uintptr_t lo_obj_m1, hi_obj;
#define lo_obj (lo_obj_m1 + 1)

static struct tslot *slots;
static int nthreads;
static int stop_go, stop_acks; /* futex words */

static uint32_t supp_stacks[4096]; /* sorted stack handles to suppress */
static int nsupp_stacks;
static unsigned long supp_hits; /* suppressed leaks in this check */
static uintptr_t ignored_maps[MAX_IGNORED_MAPS];
static uint32_t ignored_map_stack[MAX_IGNORED_MAPS];

/* ---------------------------------------------------------------- step 0 */

/* The dynamic linker's code: what it allocates (a thread's DTV, dynamic TLS
 * blocks) hangs off thread blocks that glibc caches with exited threads'
 * stacks, which are no thread's any more and not scanned; LeakSanitizer
 * treats the linker's allocations as reachable for the same reason. */
static struct { uintptr_t lo, hi; } ldso[4];
static int nldso;

static bool is_linker(const char *name)
{
	const char *base = name;
	for (const char *c = name; *c; c++)
		if (*c == '/')
			base = c + 1;
	return base[0] == 'l' && base[1] == 'd' && (base[2] == '-' || base[2] == '.');
}

static bool in_linker(uintptr_t pc)
{
	for (int i = 0; i < nldso; i++)
		if (pc - ldso[i].lo < ldso[i].hi - ldso[i].lo)
			return true;
	return false;
}

static int seg_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	bool linker = info->dlpi_name && is_linker(info->dlpi_name);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (linker && ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && nldso < 4) {
			ldso[nldso].lo = info->dlpi_addr + ph->p_vaddr;
			ldso[nldso].hi = ldso[nldso].lo + ph->p_memsz;
			nldso++;
		}
		if (ph->p_type == PT_TLS)
			tls_static += VKI_ROUND_UP(ph->p_memsz, ph->p_align ? ph->p_align : 1);
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || nsegs == MAX_SEGS)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		segs[nsegs].lo = lo;
		segs[nsegs].hi = lo + ph->p_memsz;
		nsegs++;
	}
	return 0;
}

/* ---------------------------------------------------------------- suppressions
 * (the file and the matching: leaksupp.c) */

static bool supp_has(uint32_t h)
{
	int lo = 0, hi = nsupp_stacks;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (supp_stacks[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nsupp_stacks && supp_stacks[lo] == h;
}

/* Distinct stacks of live objects (an open hash set; 0 is no stack),
 * gathered under the locks, judged after. */
#define SEEN_CAP 16384
static uint32_t seen[SEEN_CAP];
static int nseen;

static void seen_add(uintptr_t start, size_t size, uint32_t stack, bool ignored, void *ctx)
{
	if (!stack || nseen >= SEEN_CAP / 2)
		return;
	uint32_t h = (stack * 2654435761U) & (SEEN_CAP - 1);
	while (seen[h] && seen[h] != stack)
		h = (h + 1) & (SEEN_CAP - 1);
	if (!seen[h]) {
		seen[h] = stack;
		nseen++;
	}
}

/* The leak candidates are heap objects (in SLAB and LARGE mappings) and
 * vk_vmalloc mappings; the program's mmap mappings, stacks and vmap aliases
 * are not (a program may keep an mmap'd table for ever, as LeakSanitizer
 * does not track mmap at all). */
static bool is_heap(const struct vki_area *a)
{
	return a->owner == VKI_OWNER_SLAB || a->owner == VKI_OWNER_LARGE;
}

static void seen_mapping(const struct vki_area *a, void *ctx)
{
	if (a->state != VKI_AREA_BUSY)
		return;
	if (a->owner == VKI_OWNER_VMALLOC)
		seen_add(a->node.key, a->size, a->alloc_stack, false, ctx);
	else if (is_heap(a))
		vki_heap_for_each_live(a->node.key, seen_add, ctx);
}

static void supp_prepare(void)
{
	nsupp_stacks = 0;
	if (!vki_leak_supp_load())
		return;
	nseen = 0;
	vki_fill(seen, 0, sizeof(seen));
	vki_heap_lock_all();
	vki_arena_lock();
	vki_arena_for_each(VKI_EACH_MAPPING, seen_mapping, NULL);
	vki_arena_unlock();
	vki_heap_unlock_all();
	for (int i = 0; i < SEEN_CAP; i++)
		if (seen[i] && nsupp_stacks < (int)(sizeof(supp_stacks) / sizeof(supp_stacks[0])) &&
		    vki_leak_supp_match(seen[i]))
			supp_stacks[nsupp_stacks++] = seen[i];
	for (int i = 1; i < nsupp_stacks; i++) /* insertion sort: few */
		for (int j = i; j > 0 && supp_stacks[j - 1] > supp_stacks[j]; j--) {
			uint32_t t = supp_stacks[j];
			supp_stacks[j] = supp_stacks[j - 1];
			supp_stacks[j - 1] = t;
		}
}

/* ---------------------------------------------------------------- step 1 */

static inline uintptr_t thread_pointer(void)
{
	uintptr_t fs;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	return fs;
}

static void stop_handler(int sig, siginfo_t *info, void *uc_)
{
	ucontext_t *uc = uc_;
	if (__atomic_load_n(&stop_go, __ATOMIC_ACQUIRE))
		return; /* late: the check is over */
	int tid = vki_os_gettid();
	struct tslot *t = NULL;
	int n = __atomic_load_n(&nthreads, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++)
		if (slots[i].tid == tid)
			t = &slots[i];
	if (!t || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != 0)
		return; /* not asked (a stray signal) */
	for (int i = 0; i < NGREG; i++)
		t->regs[i] = uc->uc_mcontext.gregs[i];
	if (uc->uc_mcontext.fpregs)
		vki_copy(t->xmm, uc->uc_mcontext.fpregs->_xmm, sizeof(t->xmm));
	else
		vki_fill(t->xmm, 0, sizeof(t->xmm));
	t->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	t->fs = thread_pointer();
	__atomic_store_n(&t->state, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&stop_acks, 1, __ATOMIC_ACQ_REL);
	vki_os_futex_wake(&stop_acks);
	while (!__atomic_load_n(&stop_go, __ATOMIC_ACQUIRE))
		vki_os_futex_wait(&stop_go, 0, -1);
	__atomic_store_n(&t->state, 2, __ATOMIC_RELEASE);
}

static bool handler_installed;

static bool slot_known(int tid)
{
	for (int i = 0; i < nthreads; i++)
		if (slots[i].tid == tid)
			return true;
	return false;
}

/* Signal every other thread, again until a listing shows no new one (a
 * thread may create another before it stops). */
static void stop_world(void)
{
	/* Installed once and kept: a signal that arrives after the check must
	 * not find the default action (SIGPWR's terminates). */
	if (!handler_installed) {
		struct sigaction sa;
		vki_fill(&sa, 0, sizeof(sa));
		sa.sa_sigaction = stop_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
		sigfillset(&sa.sa_mask);
		vki_os_sigaction(STOP_SIG, &sa, NULL);
		handler_installed = true;
	}
	stop_go = 0;
	stop_acks = 0;
	nthreads = 0;
	int self = vki_os_gettid();
	static int tids[MAX_THREADS];
	for (int round = 0; round < 16; round++) {
		int n = vki_os_list_tasks(tids, MAX_THREADS), added = 0;
		for (int i = 0; i < n && nthreads < MAX_THREADS; i++) {
			if (tids[i] == self || slot_known(tids[i]))
				continue;
			struct tslot *t = &slots[nthreads];
			t->tid = tids[i];
			t->state = 0;
			__atomic_store_n(&nthreads, nthreads + 1, __ATOMIC_RELEASE);
			if (vki_os_tgkill(t->tid, STOP_SIG) != 0)
				t->state = 3; /* gone */
			else
				added++;
		}
		/* Wait for this round's threads (1 s in all). */
		for (int ms = 0; ms < 1000; ms += 10) {
			int want = 0;
			for (int i = 0; i < nthreads; i++)
				want += __atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE) == 0;
			if (!want)
				break;
			int seen_acks = __atomic_load_n(&stop_acks, __ATOMIC_ACQUIRE);
			vki_os_futex_wait(&stop_acks, seen_acks, 10);
		}
		if (!added)
			break;
	}
}

static void resume_world(void)
{
	__atomic_store_n(&stop_go, 1, __ATOMIC_RELEASE);
	vki_os_futex_wake(&stop_go);
	/* Threads that stopped leave the handler before the slots go away; a
	 * late one (state 0 still) finds stop_go set and returns at once. */
	for (int i = 0; i < nthreads; i++)
		while (__atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE) == 1)
			vki_os_futex_wait(&stop_go, 0, 1);
}

/* ---------------------------------------------------------------- step 2 */

static void count_obj(uintptr_t start, size_t size, uint32_t stack, bool ignored, void *ctx)
{
	nobjs++;
}

static void count_mapping(const struct vki_area *a, void *ctx)
{
	if (a->state != VKI_AREA_BUSY)
		return;
	if (a->owner == VKI_OWNER_VMALLOC)
		nobjs++;
	else if (is_heap(a))
		vki_heap_for_each_live(a->node.key, count_obj, ctx);
}

static void add_obj(uintptr_t start, size_t size, uint32_t stack, bool ignored, void *ctx)
{
	if (nobjs == cap_objs)
		return;
	struct obj *o = &objs[nobjs++];
	o->start = start;
	o->size = size ? size : 1; /* malloc(0): a pointer to it still keeps it */
	o->stack = stack;
	o->tag = T_UNREACHED;
	o->ignored = ignored;
}

static void add_mapping(const struct vki_area *a, void *ctx)
{
	if (a->state != VKI_AREA_BUSY)
		return;
	if (is_heap(a))
		vki_heap_for_each_live(a->node.key, add_obj, ctx);
	if (a->owner != VKI_OWNER_VMALLOC)
		return;
	bool ign = false;
	for (int i = 0; i < MAX_IGNORED_MAPS; i++)
		if (ignored_maps[i] == a->node.key && ignored_map_stack[i] == a->alloc_stack)
			ign = true;
	add_obj(a->node.key, a->size, a->alloc_stack, ign, ctx);
}

static size_t map_len(size_t bytes)
{
	return VKI_ROUND_UP(bytes ? bytes : 1, VKI_PAGE_SIZE);
}

/* ---------------------------------------------------------------- step 3 */

/* An index over the sorted objects: ix[u] is the last object that starts
 * at or below lo_obj + (u << ix_shift), so that a lookup searches only the
 * objects of one bucket.  The shift is the smallest that keeps the index
 * within 4 entries per object (sparse arenas get coarse buckets). */
static uint32_t *ix;
static size_t ix_len, ix_bytes;
static unsigned ix_shift;

static void index_build(void)
{
	size_t span = hi_obj - lo_obj;
	ix_shift = 6;
	while ((span >> ix_shift) + 2 > 4 * nobjs + 4096)
		ix_shift++;
	ix_len = (span >> ix_shift) + 2;
	ix_bytes = map_len(ix_len * sizeof(*ix));
	ix = vki_os_map_anywhere(ix_bytes, VKI_OS_META);
	if (!ix)
		return;
	size_t i = 0;
	for (size_t u = 0; u < ix_len; u++) {
		uintptr_t base = lo_obj + ((uintptr_t)u << ix_shift);
		while (i + 1 < nobjs && objs[i + 1].start <= base)
			i++;
		ix[u] = (uint32_t)i;
	}
}

/* The object holding a, or -1. */
static inline long find_obj(uintptr_t a)
{
	if (a - lo_obj >= hi_obj - lo_obj)
		return -1;
	size_t lo = 0, hi = nobjs;
	if (ix) {
		size_t u = (a - lo_obj) >> ix_shift;
		lo = ix[u];
		hi = ix[u + 1] + 1;
	}
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (objs[mid].start <= a)
			lo = mid;
		else
			hi = mid;
	}
	const struct obj *o = &objs[lo];
	return a >= o->start && a - o->start < o->size ? (long)lo : -1;
}

static inline void reach(long i)
{
	if (i >= 0 && objs[i].tag != T_REACHED) {
		objs[i].tag = T_REACHED;
		mstack[msp++] = (uint32_t)i;
	}
}

/* The runtime's own globals that hold arena addresses (its bounds) are in
 * the program's data segment but are no references. */
static bool not_a_root(uintptr_t p)
{
	return p == (uintptr_t)&vki_arena_base || p == (uintptr_t)&vki_arena_end ||
	       p == (uintptr_t)vki_shadow_base_var();
}

static void scan_range(uintptr_t lo, uintptr_t hi)
{
	for (uintptr_t p = VKI_ROUND_UP(lo, 8); p + 8 <= hi; p += 8) {
		uintptr_t w = *(const uintptr_t *)p;
		if (w - lo_obj < hi_obj - lo_obj && !not_a_root(p)) {
			long i = find_obj(w);
			if (VKI_UNLIKELY(vki_opt.verbosity >= 3) && i >= 0 && objs[i].tag != T_REACHED)
				vki_printf("vkasan: leak check: %p reached from %p\n",
					   (void *)objs[i].start, (void *)p);
			reach(i);
		}
	}
}

static void drain(void)
{
	while (msp) {
		const struct obj *o = &objs[mstack[--msp]];
		scan_range(o->start, o->start + o->size);
	}
}

/* A thread's stack from sp and its thread block: never past the top of the
 * stack's mapping, nor (a non-main thread) far past its thread pointer, in
 * case the mapping merged with a neighbour.  A stack in the arena (a STACK
 * area, or an mmap'd one the program gave pthread) ends at its area's data
 * end: the arena's neighbours are no part of it, and its untouched pages
 * read as zero. */
static void scan_thread(uintptr_t sp, uintptr_t fs)
{
	uintptr_t lo = sp - RED_ZONE, hi, mlo = 0, mhi = 0;
	if (VKI_UNLIKELY(vki_opt.verbosity >= 3))
		vki_printf("vkasan: leak check: thread sp %p fs %p\n", (void *)sp, (void *)fs);
	long i = find_obj(sp);
	bool found = false;
	if (i >= 0) { /* a stack the program allocated from the heap */
		const struct obj *o = &objs[i];
		scan_range(lo < o->start ? o->start : lo, o->start + o->size);
	} else if (vki_in_arena(sp)) { /* the arena lock is held */
		const struct vki_area *a = vki_arena_busy_from(sp);
		if (a && a->node.key <= sp && sp < vki_area_data_end(a) && !a->noshadow) {
			mlo = a->node.key;
			mhi = vki_area_data_end(a);
			found = true;
		}
	} else {
		found = vki_os_find_mapping(sp, &mlo, &mhi) == 0;
	}
	if (found) {
		hi = mhi;
		if (fs > sp && fs < mhi && fs + VKI_PAGE_SIZE < mhi)
			hi = fs + VKI_PAGE_SIZE;
		scan_range(lo < mlo ? mlo : lo, hi);
	}
	drain();
	/* Static TLS lies just below the thread pointer, the thread block above. */
	if (fs && !vki_in_arena(fs) && vki_os_find_mapping(fs, &mlo, &mhi) == 0) {
		uintptr_t tlo = fs - tls_static - 2048, thi = fs + VKI_PAGE_SIZE;
		scan_range(tlo < mlo || tlo > fs ? mlo : tlo, thi > mhi ? mhi : thi);
		drain();
	}
}

/* The program's mmap mappings in the arena are roots: a program may keep
 * its heap pointers in an mmap'd table (LeakSanitizer leaves mmap alone;
 * here those pages are the arena's, and mmap.c knows each piece).  Only
 * readable anonymous pieces (vki_mmap_scannable), and of those only the
 * resident pages (untouched ones are zero).  They are copied out with
 * vki_os_read_self, a run of pages at a time, then page by page where a
 * run fails: a page the program made unreadable behind our back (a guard
 * marker from its madvise) is skipped instead of faulting.  The copy
 * buffer is an OS mapping (no root), unmapped after the check. */
#define COPY_PAGES 64
static unsigned char incore[4096];
static uintptr_t *copybuf;

static void scan_copy(uintptr_t addr, size_t len)
{
	if (!copybuf) {
		scan_range(addr, addr + len); /* no buffer: the piece said readable */
		return;
	}
	if (vki_os_read_self(addr, copybuf, len) == (long)len) {
		scan_range((uintptr_t)copybuf, (uintptr_t)copybuf + len);
		return;
	}
	for (size_t off = 0; off < len; off += VKI_PAGE_SIZE)
		if (vki_os_read_self(addr + off, copybuf, VKI_PAGE_SIZE) == VKI_PAGE_SIZE)
			scan_range((uintptr_t)copybuf, (uintptr_t)copybuf + VKI_PAGE_SIZE);
}

static void scan_mmap(const struct vki_area *a, void *ctx)
{
	if (a->state != VKI_AREA_BUSY || !vki_mmap_scannable(a))
		return;
	uintptr_t lo = a->node.key, hi = vki_area_data_end(a);
	const size_t chunk = sizeof(incore) * VKI_PAGE_SIZE;
	for (uintptr_t c = lo; c < hi; c += chunk) {
		size_t len = hi - c < chunk ? hi - c : chunk;
		size_t np = len / VKI_PAGE_SIZE;
		bool all = vki_os_mincore(c, len, incore) != 0; /* cannot tell: all */
		for (size_t p = 0; p < np;) {
			if (!all && !(incore[p] & 1)) {
				p++;
				continue;
			}
			size_t q = p + 1;
			while (q < np && q - p < COPY_PAGES && (all || (incore[q] & 1)))
				q++;
			scan_copy(c + p * VKI_PAGE_SIZE, (q - p) * VKI_PAGE_SIZE);
			p = q;
		}
		drain();
	}
	drain();
}

/* The checking thread: its callee-saved registers and stack pointer as
 * run_check found them, so that the stale words of the checker's own deeper
 * frames (which held object addresses while collecting) are not roots. */
static uintptr_t self_regs[7];

static void scan_self(void)
{
	scan_range((uintptr_t)self_regs, (uintptr_t)(self_regs + 6));
	scan_thread(self_regs[6] + RED_ZONE, thread_pointer());
}

static unsigned long unstopped;

/* Allocated by the dynamic linker: the first frame of its stack is there.
 * The last answer is kept (objects of one stack often come together). */
static bool by_linker(uint32_t stack)
{
	static uint32_t last = 0;
	static bool last_answer;
	if (!nldso || !stack)
		return false;
	if (stack == last)
		return last_answer;
	uintptr_t f[1];
	last = stack;
	last_answer = vki_stack_fetch(stack, f, 1) == 1 && in_linker(f[0]);
	return last_answer;
}

static void mark(void)
{
	for (int s = 0; s < nsegs; s++) {
		scan_range(segs[s].lo, segs[s].hi);
		drain();
	}
	vki_arena_for_each(VKI_EACH_MAPPING, scan_mmap, NULL);
	scan_self();
	unstopped = 0;
	for (int t = 0; t < nthreads; t++) {
		struct tslot *ts = &slots[t];
		if (__atomic_load_n(&ts->state, __ATOMIC_ACQUIRE) != 1) {
			unstopped += ts->state == 0;
			continue;
		}
		scan_range((uintptr_t)ts->regs, (uintptr_t)(ts->regs + NGREG));
		scan_range((uintptr_t)ts->xmm, (uintptr_t)(ts->xmm + 32));
		scan_thread(ts->sp, ts->fs);
	}
	supp_hits = 0;
	for (size_t i = 0; i < nobjs; i++) {
		struct obj *o = &objs[i];
		if (o->tag == T_REACHED)
			continue;
		if (o->ignored || by_linker(o->stack))
			reach((long)i);
		else if (nsupp_stacks && supp_has(o->stack)) {
			supp_hits++;
			reach((long)i);
		}
	}
	drain();
}

/* ---------------------------------------------------------------- step 4 */

static void classify(void)
{
	for (size_t i = 0; i < nobjs; i++) {
		const struct obj *o = &objs[i];
		if (o->tag == T_REACHED)
			continue;
		for (uintptr_t p = VKI_ROUND_UP(o->start, 8); p + 8 <= o->start + o->size; p += 8) {
			long j = find_obj(*(const uintptr_t *)p);
			if (j >= 0 && (size_t)j != i && objs[j].tag == T_UNREACHED)
				objs[j].tag = T_INDIRECT;
		}
	}
	nleaks = 0;
	for (size_t i = 0; i < nobjs; i++) {
		const struct obj *o = &objs[i];
		if (o->tag == T_REACHED)
			continue;
		struct leak *l = &leaks[nleaks++];
		l->start = o->start;
		l->size = o->size;
		l->stack = o->stack;
		l->indirect = o->tag == T_INDIRECT;
		l->nhex = (uint8_t)(o->size < HEX_BYTES ? o->size : HEX_BYTES);
		vki_copy(l->hex, (const void *)o->start, l->nhex);
	}
}

/* ---------------------------------------------------------------- step 5 */

struct group {
	uint32_t stack;
	uint8_t indirect;
	size_t first, count, bytes;
};

static void print_hex(const struct leak *l)
{
	vki_report_printf("  hex dump (first %u bytes):\n", (unsigned)l->nhex);
	for (unsigned r = 0; r < l->nhex; r += 16) {
		char line[16 * 3 + 2 + 16 + 1], *c = line;
		for (unsigned k = r; k < r + 16; k++) {
			if (k < l->nhex)
				c += vki_snprintf(c, 4, "%02x ", l->hex[k]);
			else
				c += vki_snprintf(c, 4, "   ");
		}
		*c++ = ' ';
		for (unsigned k = r; k < r + 16 && k < l->nhex; k++)
			*c++ = l->hex[k] >= 0x20 && l->hex[k] < 0x7f ? (char)l->hex[k] : '.';
		*c = 0;
		vki_report_printf("    %s\n", line);
	}
}

static void print_group(const struct group *g)
{
	const struct leak *l = &leaks[g->first];
	char comm[32];
	vki_os_thread_name(comm, sizeof(comm));
	vki_report_printf("unreferenced object 0x%lx (size %lu):\n", (unsigned long)l->start,
		   (unsigned long)l->size);
	vki_report_printf("  comm \"%s\", pid %d\n", comm, vki_os_getpid());
	if (l->indirect)
		vki_report_printf("  indirect: referenced only from other unreferenced objects\n");
	print_hex(l);
	vki_report_printf("  backtrace:\n");
	uintptr_t frames[64];
	int n = vki_stack_fetch(l->stack, frames, 64);
	vki_symbolize_batch(frames, n, false);
	for (int i = 0; i < n; i++) {
		vki_report_printf("    [<0x%016lx>]", (unsigned long)frames[i]);
		vki_print_frames(&frames[i], 1);
	}
	if (!n)
		vki_report_printf("    (stack not recorded)\n");
	vki_symbolize_reset();
	if (g->count > 1)
		vki_report_printf("%lu more objects with the same allocation stack (total %lu bytes)\n",
			   (unsigned long)(g->count - 1), (unsigned long)g->bytes);
	vki_report_printf("\n");
}

static bool group_before(const struct group *a, const struct group *b)
{
	if (a->indirect != b->indirect)
		return !a->indirect;
	return a->bytes > b->bytes;
}

static void report(void)
{
	/* Groups in an open hash on (stack, indirect), mapped from the OS. */
	size_t hcap = 64;
	while (hcap < 2 * nleaks)
		hcap *= 2;
	struct group *g = vki_os_map_anywhere(map_len(hcap * sizeof(*g)), VKI_OS_META);
	if (!g) {
		vki_report_printf("vkasan: %lu unreferenced objects (no memory to group them)\n",
			   (unsigned long)nleaks);
		return;
	}
	size_t ng = 0;
	for (size_t i = 0; i < nleaks; i++) {
		const struct leak *l = &leaks[i];
		uint64_t key = (uint64_t)l->stack << 1 | l->indirect;
		size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (hcap - 1);
		while (g[h].count && ((uint64_t)g[h].stack << 1 | g[h].indirect) != key)
			h = (h + 1) & (hcap - 1);
		if (!g[h].count) {
			g[h].stack = l->stack;
			g[h].indirect = l->indirect;
			g[h].first = i;
			ng++;
		}
		g[h].count++;
		g[h].bytes += l->size;
	}
	/* Compact, then sort (shell sort: no allocation, any count). */
	size_t k = 0;
	for (size_t h = 0; h < hcap; h++)
		if (g[h].count)
			g[k++] = g[h];
	for (size_t gap = ng / 2; gap; gap /= 2)
		for (size_t i = gap; i < ng; i++)
			for (size_t j = i; j >= gap && group_before(&g[j], &g[j - gap]); j -= gap) {
				struct group t = g[j];
				g[j] = g[j - gap];
				g[j - gap] = t;
			}
	size_t direct = 0, indirect = 0, bytes = 0;
	for (size_t i = 0; i < ng; i++) {
		print_group(&g[i]);
		bytes += g[i].bytes;
		if (g[i].indirect)
			indirect += g[i].count;
		else
			direct += g[i].count;
	}
	vki_report_printf("vkasan: %lu unreferenced objects (%lu bytes): %lu direct, %lu indirect\n",
		   (unsigned long)nleaks, (unsigned long)bytes, (unsigned long)direct,
		   (unsigned long)indirect);
	vki_os_unmap(g, map_len(hcap * sizeof(*g)));
}

/* ---------------------------------------------------------------- the check */

static VKI_NOINLINE int run_check(bool at_exit)
{
	if (!vki_arena_base)
		return 0;
	if (vki_opt.verbosity >= 3)
		vki_report_open_log(); /* the roots are said while the world is stopped */
	__asm__ volatile("mov %%rbx, 0(%0)\n\tmov %%rbp, 8(%0)\n\tmov %%r12, 16(%0)\n\t"
			 "mov %%r13, 24(%0)\n\tmov %%r14, 32(%0)\n\tmov %%r15, 40(%0)\n\t"
			 "mov %%rsp, 48(%0)"
			 : : "r"(self_regs) : "memory");
	vki_signal_thread_init();
	pthread_mutex_lock(&check_lock);
	nsegs = 0;
	nldso = 0;
	tls_static = 0;
	dl_iterate_phdr(seg_cb, NULL);
	supp_prepare();

	size_t slots_len = map_len(MAX_THREADS * sizeof(struct tslot));
	if (!slots) /* kept: a late stopped thread may still look at it */
		slots = vki_os_map_anywhere(slots_len, VKI_OS_META);
	if (!slots) {
		pthread_mutex_unlock(&check_lock);
		vki_report_printf("vkasan: no memory for the leak check\n");
		return 0;
	}
	vki_heap_lock_all();
	vki_arena_lock();
	vki_arena_hold_leak_check(); /* lock_stats: the stop-the-world hold, apart */
	stop_world();

	nobjs = 0;
	vki_arena_for_each(VKI_EACH_MAPPING, count_mapping, NULL);
	cap_objs = nobjs;
	size_t objs_len = map_len(cap_objs * sizeof(struct obj));
	size_t ms_len = map_len(cap_objs * sizeof(uint32_t));
	size_t leaks_len = map_len(cap_objs * sizeof(struct leak));
	objs = vki_os_map_anywhere(objs_len, VKI_OS_META);
	mstack = vki_os_map_anywhere(ms_len, VKI_OS_META);
	leaks = vki_os_map_anywhere(leaks_len, VKI_OS_META);
	copybuf = vki_os_map_anywhere(COPY_PAGES * VKI_PAGE_SIZE, VKI_OS_META);
	bool ok = objs && mstack && leaks;
	nleaks = 0;
	if (ok) {
		nobjs = 0;
		vki_arena_for_each(VKI_EACH_MAPPING, add_mapping, NULL);
		lo_obj_m1 = nobjs ? objs[0].start - 1 : 0;
		hi_obj = nobjs ? objs[nobjs - 1].start + objs[nobjs - 1].size : 0;
		msp = 0;
		ix = NULL;
		index_build(); /* without it (no memory), a binary search of all */
		mark();
		classify();
	}

	resume_world();
	vki_arena_unlock();
	vki_heap_unlock_all();

	/* The report stream (log_path): one report, counted at exit unless
	 * leak_report_only (then leaks do not change the exit status). */
	bool say = !ok || unstopped || nleaks || vki_opt.verbosity >= 2;
	if (say)
		vki_report_stream_open();
	if (!ok)
		vki_report_printf("vkasan: no memory for the leak check\n");
	if (unstopped)
		vki_report_printf("vkasan: leak check: %lu thread(s) did not stop (%s blocked?); "
			   "their stacks were not scanned\n", unstopped, "SIGPWR");
	if (nleaks)
		report();
	if (vki_opt.verbosity >= 2) /* 1: only the start-up line and the summary */
		vki_report_printf("vkasan: leak check: %lu objects, %d segments, %d threads, %lu leaked\n",
			   (unsigned long)nobjs, nsegs, nthreads, (unsigned long)nleaks);
	if (supp_hits && vki_opt.verbosity >= 2)
		vki_report_printf("vkasan: %lu leaked objects suppressed\n", supp_hits);
	if (say)
		vki_report_stream_close(at_exit && nleaks && !vki_opt.leak_report_only);
	int n = (int)(nleaks > INT32_MAX ? INT32_MAX : nleaks);
	if (objs)
		vki_os_unmap(objs, objs_len);
	if (mstack)
		vki_os_unmap(mstack, ms_len);
	if (ix)
		vki_os_unmap(ix, ix_bytes);
	ix = NULL;
	if (leaks)
		vki_os_unmap(leaks, leaks_len);
	if (copybuf)
		vki_os_unmap(copybuf, COPY_PAGES * VKI_PAGE_SIZE); /* unmapped: nothing stays */
	copybuf = NULL;
	objs = NULL;
	leaks = NULL;
	mstack = NULL;
	vki_fill(self_regs, 0, sizeof(self_regs));
	pthread_mutex_unlock(&check_lock);
	return n;
}

VKI_EXPORT int vk_leak_check(void)
{
	return run_check(false);
}

VKI_EXPORT void vk_leak_ignore(const void *p)
{
	if (!p || vki_heap_leak_ignore(p))
		return;
	struct vki_area_info ai;
	if (!vki_in_arena((uintptr_t)p) || !vki_arena_describe((uintptr_t)p, &ai) ||
	    ai.state != VKI_AREA_BUSY || ai.owner != VKI_OWNER_VMALLOC)
		return;
	/* A vk_vmalloc mapping: remembered by start and allocation stack (the
	 * area has no room for a flag); a slot is reused round robin. */
	static unsigned next;
	unsigned i = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % MAX_IGNORED_MAPS;
	ignored_maps[i] = ai.start;
	ignored_map_stack[i] = ai.alloc_stack;
}

/* At exit (init.c's exit handler, after the program's own exit handlers
 * and static destructors): the number of leaks reported. */
int vki_leak_check_at_exit(void)
{
	return run_check(true);
}
