/*
 * stackdepot.c - stack capture and a bounded, deduplicated store of stacks.
 *
 * Every vk_vmalloc and vk_vfree records where it was called from, so a
 * report can say who created and who freed a mapping.  Programs allocate
 * from few call sites, so the same stacks come back again and again: each
 * distinct stack is stored once and named by a 32-bit handle that fits in
 * the mapping's metadata.
 *
 * Capture walks the frame-pointer chain (the runtime and vkasan-cc code keep
 * frame pointers).  Code built without them leaves arbitrary values in rbp,
 * so every step is checked before it is followed: the frame must lie on the
 * current thread's stack, above the previous one, and be word aligned; the
 * walk stops at the first frame that is not.  It costs a few nanoseconds per
 * frame; _Unwind_Backtrace would be exact but costs microseconds.
 *
 * Storage, reserved once and never grown (no malloc, bounded memory):
 *
 *   buckets  2^20 x uint32    head handle of each hash chain
 *   pool     64 MiB of words  records, bump-allocated, never freed:
 *              word 0: next handle in chain (low 32) | frame count (high 32)
 *              word 1: 64-bit hash
 *              words 2..: return addresses
 *
 * A handle is the record's word index in the pool (0 means "no stack").
 * Records are immutable once published, so lookups walk chains without a
 * lock; inserts take a spinlock, look again, append, and publish the new
 * chain head with a release store.  When the pool is full, new stacks get
 * handle 0 and reports say the stack is unknown.
 */
#include "vk_internal.h"

#define DEPOT_BUCKET_BITS 20
#define DEPOT_BUCKETS (1UL << DEPOT_BUCKET_BITS)
#define DEPOT_POOL_BYTES (64UL << 20)
#define DEPOT_POOL_WORDS (DEPOT_POOL_BYTES / sizeof(uint64_t))
#define DEPOT_MAX_FRAMES 64

struct depot {
	uint32_t *buckets;
	uint64_t *pool;
	size_t used; /* words handed out; word 0 is never a record */
};

static struct depot *depot;
static vki_spin_t depot_lock = VKI_SPIN_INIT; /* lock #4 */

extern void *__libc_stack_end; /* glibc: top of the main thread's stack */

/* ------------------------------------------------------------ capture */

/*
 * Where the stack holding sp ends.  A thread's descriptor sits at the top of
 * its stack (glibc, both for stacks it allocates and for user stacks); the
 * main thread's stack ends at __libc_stack_end.  Anything else (coroutine
 * stacks, sigaltstack): allow a short walk only.
 */
static uintptr_t stack_top(uintptr_t sp)
{
	uintptr_t self = (uintptr_t)pthread_self();
	if (sp < self && self - sp < (1UL << 30))
		return self;
	uintptr_t main_top = (uintptr_t)__libc_stack_end;
	if (sp < main_top && main_top - sp < (1UL << 30))
		return main_top;
	return sp + (16UL << 10);
}

static int walk(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *frames, int max,
		int skip)
{
	int n = 0;
	while (n < max) {
		if (fp < lo || fp + 16 > hi || (fp & 7))
			break;
		const uintptr_t *f = (const uintptr_t *)fp;
		uintptr_t next = f[0], ret = f[1];
		if (ret < VKI_PAGE_SIZE || ret >= (1UL << 47))
			break;
		if (skip > 0)
			skip--;
		else
			frames[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

static int clamp_depth(int max)
{
	long d = vki_opt.stack_depth;
	if (d <= 0)
		d = 1;
	if (d > DEPOT_MAX_FRAMES)
		d = DEPOT_MAX_FRAMES;
	return max < d ? max : (int)d;
}

/*
 * skip = 0: the first frame is the return address of our caller, i.e. the
 * call site in our caller's caller (for vk_vmalloc: the user's call).
 */
VKI_NOINLINE int vki_stack_capture(uintptr_t *frames, int max, int skip)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	/* Our own frame's saved rbp is the caller's frame. */
	fp = *(const uintptr_t *)fp;
	return walk(fp, (uintptr_t)__builtin_frame_address(0), stack_top(fp), frames, max,
		    skip);
}

/* For the fault handler: walk the interrupted code's chain. */
int vki_stack_capture_from(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *frames,
			   int max)
{
	if (max <= 0)
		return 0;
	frames[0] = pc;
	return 1 + walk(fp, sp, stack_top(sp), frames + 1, max - 1, 0);
}

/* ------------------------------------------------------------ the depot */

/* From the fork handler (init.c): the thread that held the lock does not
 * exist in the child. */
void vki_depot_after_fork_child(void)
{
	vki_spin_reset(&depot_lock);
}

static struct depot *depot_get(void)
{
	struct depot *d = __atomic_load_n(&depot, __ATOMIC_ACQUIRE);
	if (VKI_LIKELY(d))
		return d;
	size_t bsize = DEPOT_BUCKETS * sizeof(uint32_t);
	char *m = vki_os_map_anywhere(bsize + DEPOT_POOL_BYTES + VKI_PAGE_SIZE, VKI_OS_META);
	if (!m)
		return NULL; /* retried on the next save */
	/* The header lives in the pool mapping's spare page (no malloc). */
	struct depot *nd = (struct depot *)(m + bsize + DEPOT_POOL_BYTES);
	nd->buckets = (uint32_t *)m;
	nd->pool = (uint64_t *)(m + bsize);
	nd->used = 1;
	struct depot *expected = NULL;
	if (!__atomic_compare_exchange_n(&depot, &expected, nd, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		vki_os_unmap(m, bsize + DEPOT_POOL_BYTES + VKI_PAGE_SIZE);
		return expected;
	}
	return nd;
}

static uint64_t hash_frames(const uintptr_t *frames, int n)
{
	uint64_t h = 0x243f6a8885a308d3ULL ^ (uint64_t)n;
	for (int i = 0; i < n; i++) {
		h ^= frames[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

static uint32_t chain_find(const struct depot *d, uint32_t head, uint64_t h,
			   const uintptr_t *frames, int n)
{
	for (uint32_t r = head; r;) {
		const uint64_t *rec = d->pool + r;
		uint64_t w0 = rec[0];
		if (rec[1] == h && (int)(w0 >> 32) == n) {
			int i = 0;
			while (i < n && rec[2 + i] == frames[i])
				i++;
			if (i == n)
				return r;
		}
		r = (uint32_t)w0;
	}
	return 0;
}

static void lock(void)
{
	vki_spin_lock(&depot_lock);
}

static void unlock(void)
{
	vki_spin_unlock(&depot_lock);
}

static uint32_t depot_put(const uintptr_t *frames, int n)
{
	struct depot *d = depot_get();
	if (!d || n <= 0)
		return 0;
	uint64_t h = hash_frames(frames, n);
	uint32_t *bucket = &d->buckets[h >> (64 - DEPOT_BUCKET_BITS)];
	uint32_t head = __atomic_load_n(bucket, __ATOMIC_ACQUIRE);
	uint32_t r = chain_find(d, head, h, frames, n);
	if (VKI_LIKELY(r))
		return r;
	lock();
	head = __atomic_load_n(bucket, __ATOMIC_ACQUIRE);
	r = chain_find(d, head, h, frames, n);
	if (!r && d->used + 2 + (size_t)n <= DEPOT_POOL_WORDS) {
		r = (uint32_t)d->used;
		uint64_t *rec = d->pool + r;
		rec[0] = (uint64_t)head | ((uint64_t)n << 32);
		rec[1] = h;
		for (int i = 0; i < n; i++)
			rec[2 + i] = frames[i];
		d->used += 2 + (size_t)n;
		__atomic_store_n(bucket, r, __ATOMIC_RELEASE);
	}
	unlock();
	return r;
}

VKI_NOINLINE uint32_t vki_stack_save(int skip)
{
	uintptr_t frames[DEPOT_MAX_FRAMES];
	vki_thread_note(); /* so a report can name this thread after it exits */
	/* Skip our caller's own frame too: its caller is the interesting one. */
	int n = vki_stack_capture(frames, clamp_depth(DEPOT_MAX_FRAMES), skip + 1);
	return depot_put(frames, n);
}

int vki_stack_fetch(uint32_t handle, uintptr_t *frames, int max)
{
	struct depot *d = __atomic_load_n(&depot, __ATOMIC_ACQUIRE);
	if (!d || !handle || handle >= DEPOT_POOL_WORDS)
		return 0;
	const uint64_t *rec = d->pool + handle;
	int n = (int)(rec[0] >> 32);
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++)
		frames[i] = rec[2 + i];
	return n;
}

/* Bytes of the pool in use, for statistics and tests. */
size_t vki_stack_depot_bytes(void)
{
	struct depot *d = __atomic_load_n(&depot, __ATOMIC_ACQUIRE);
	return d ? __atomic_load_n(&d->used, __ATOMIC_RELAXED) * sizeof(uint64_t) : 0;
}
