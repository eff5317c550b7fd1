/*
 * bench.h - what the benchmark programs share: a clock, a small random
 * number generator, and one allocation backend chosen at compile time.
 *
 * Each benchmark source is compiled once per backend with one of
 *   -DBENCH_VK      vk_vmalloc / vk_vfree (linked with libvkasan)
 *   -DBENCH_MMAP    one raw mmap + munmap per allocation
 *   -DBENCH_MALLOC  glibc malloc / free (also used with -fsanitize=address)
 * so the workload code is the same for every backend.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PAGE 4096UL

#if defined(BENCH_VK) + defined(BENCH_MMAP) + defined(BENCH_MALLOC) != 1
#error "define exactly one of BENCH_VK, BENCH_MMAP, BENCH_MALLOC"
#endif

#ifdef BENCH_VK
#include "vkasan.h"
#endif

#if defined(__SANITIZE_ADDRESS__) && defined(BENCH_MALLOC)
/*
 * AddressSanitizer builds: huge alignments (align_shift) must fail with NULL,
 * not abort; leak checking at exit is noise here.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:detect_leaks=0";
}
#endif

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * CPU time of the calling thread: what the check kernels are timed with.
 * Time the thread spends preempted on the loaded machine is not in it; its
 * page faults and system calls are.
 */
static inline double bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xorshift64*: fast, good enough for sizes and indices, seedable per thread. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline void bench_die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

/*
 * The backend.  bench_free() is told the size, which only the mmap backend
 * needs.  bench_alloc_aligned() returns NULL for an alignment it cannot
 * honour (the huge ones of align_shift), never aborts.
 */
#if defined(BENCH_VK)
#define BENCH_BACKEND "vkasan"
static inline void *bench_alloc(size_t size) { return vk_vmalloc(size); }
static inline void *bench_alloc_aligned(size_t size, size_t align)
{
	return vk_vmalloc_aligned(size, align);
}
static inline void bench_free(void *p, size_t size) { (void)size; vk_vfree(p); }
static inline void bench_quiesce(void) { vk_purge(); }

#elif defined(BENCH_MMAP)
#define BENCH_BACKEND "mmap"
static inline void *bench_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}
/* Over-allocate by the alignment, then unmap the head and tail. */
static inline void *bench_alloc_aligned(size_t size, size_t align)
{
	size_t len;
	uintptr_t p, a;

	if (align <= BENCH_PAGE)
		return bench_alloc(size);
	if (__builtin_add_overflow(size, align, &len))
		return NULL;
	p = (uintptr_t)bench_alloc(len);
	if (!p)
		return NULL;
	a = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > p)
		munmap((void *)p, a - p);
	if (a + size < p + len)
		munmap((void *)(a + size), p + len - (a + size));
	return (void *)a;
}
static inline void bench_free(void *p, size_t size) { munmap(p, size); }
static inline void bench_quiesce(void) {}

#else /* BENCH_MALLOC */
#ifdef __SANITIZE_ADDRESS__
#define BENCH_BACKEND "asan"
#else
#define BENCH_BACKEND "malloc"
#endif
static inline void *bench_alloc(size_t size) { return malloc(size); }
static inline void *bench_alloc_aligned(size_t size, size_t align)
{
	void *p;

	if (align < sizeof(void *))
		align = sizeof(void *);
#ifdef __SANITIZE_ADDRESS__
	/*
	 * libasan's posix_memalign maps size + alignment and poisons the shadow
	 * of the whole head: 2^33 takes seconds, two threads doing it were
	 * OOM-killed here, and near 2^63 gcc 12's libasan dies on an internal
	 * CHECK.  Refuse alignments above 1 GiB (align_shift counts them as
	 * failures, as it does every backend's huge ones).
	 */
	if (align > (1UL << 30))
		return NULL;
#endif
	return posix_memalign(&p, align, size) ? NULL : p;
}
static inline void bench_free(void *p, size_t size) { (void)size; free(p); }
static inline void bench_quiesce(void) {}
#endif

#endif /* BENCH_H */
