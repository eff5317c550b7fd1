/*
 * test_heap.c - the heap (slab.c, quarantine.c, malloc.c): object shadow,
 * quarantine, slabs going back to the arena with their shadow, fault
 * injection (malloc returns NULL, nothing leaks), bad frees, the metadata
 * check, threads.  The heap is on here (VT_HEAP): malloc is the runtime's.
 */
#define VT_HEAP
#include "vt.h"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "vtx.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <vkasan/linux.h>

static uint8_t shadow_of(const void *p)
{
	uint8_t v = 0xee;
	vki_shadow_peek((uintptr_t)p, &v);
	return v;
}

/* Objects and mappings of the heap now, with the quarantine drained. */
static struct vk_stats settled(void)
{
	vk_purge();
	return vt_stats();
}

TEST(shadow_of_objects)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 13, 16, 60, 64, 100, 1000, 4095, 5000, 32768, 40000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *p = malloc(n);
		EXPECT(p && ((uintptr_t)p & 15) == 0);
		EXPECT(vki_in_arena((uintptr_t)p));
		for (size_t k = 0; k + 8 <= n; k += 8)
			EXPECT_EQ(shadow_of(p + k), 0);
		if (n & 7)
			EXPECT_EQ(shadow_of(p + (n & ~7UL)), n & 7);
		uint8_t after = shadow_of(p + ((n + 7) & ~7UL));
		EXPECT(after == VKI_SHADOW_SLAB_REDZONE || after == VKI_SHADOW_VMALLOC_INVALID);
		EXPECT_EQ(malloc_usable_size(p), n);
		free(p);
		EXPECT(n > 32768 || shadow_of(p) == VKI_SHADOW_SLAB_FREE);
	}
	EXPECT_INVARIANTS();
}

TEST(quarantine_holds_then_drains)
{
	char *p = malloc(40);
	free(p);
	int reused = 0;
	void *keep[2000];
	for (int i = 0; i < 2000; i++) {
		keep[i] = malloc(40);
		reused |= keep[i] == p;
	}
	EXPECT(!reused);
	for (int i = 0; i < 2000; i++)
		free(keep[i]);
	struct vk_stats s = settled();
	EXPECT_EQ(s.heap_quarantine_bytes, 0);
	EXPECT_INVARIANTS();
}

TEST(slabs_and_shadow_go_back)
{
	struct vk_stats s0 = settled();
	enum { N = 5000 };
	static void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = malloc(16 + (i % 64) * 30);
	struct vk_stats s1 = vt_stats();
	EXPECT(s1.heap_mappings > s0.heap_mappings + 10);
	EXPECT(s1.heap_objects >= s0.heap_objects + N);
	EXPECT_INVARIANTS();
	for (int i = 0; i < N; i++)
		free(p[i]);
	struct vk_stats s2 = settled();
	EXPECT_EQ(s2.heap_objects, s0.heap_objects);
	/* Slabs of this test are back in the arena, their shadow released. */
	EXPECT(s2.heap_mappings <= s0.heap_mappings + 2);
	EXPECT(s2.shadow_pages <= s0.shadow_pages + 4);
	EXPECT_EQ(s2.shadow_pages - s2.heap_shadow_pages, 0);
	EXPECT_INVARIANTS();
}

TEST(large_objects)
{
	struct vk_stats s0 = settled();
	char *p = malloc(100000);
	EXPECT(((uintptr_t)p & 4095) == 0);
	EXPECT_EQ(shadow_of(p + 99992), 0);
	EXPECT_EQ(shadow_of(p + 100000), VKI_SHADOW_VMALLOC_INVALID);
	EXPECT_EQ(vt_stats().heap_mappings, s0.heap_mappings + 1);
	free(p);
	EXPECT_EQ(shadow_of(p), VKI_SHADOW_SLAB_FREE);
	EXPECT(vt_stats().heap_quarantine_bytes >= 100000 || vt_stats().heap_quarantine_bytes == 0);
	struct vk_stats s1 = settled();
	EXPECT_EQ(s1.heap_mappings, s0.heap_mappings);
	EXPECT_INVARIANTS();
	/* A big malloc is the heap's own LARGE mapping in the arena, not a
	 * program mapping routed by mmap.c (test_mmap's glibc case is heap=0). */
	char *big = malloc(4 << 20);
	struct vki_area_info ai;
	EXPECT(big && vki_arena_describe((uintptr_t)big, &ai));
	EXPECT_EQ(ai.owner, VKI_OWNER_LARGE);
	EXPECT_EQ(vk_vmalloc_size(big), 0); /* not vk_vmalloc's either */
	free(big);
}

/* The program's mmap mappings (owner MMAP, routed into the arena) beside
 * the heap's: the heap's walk and describe leave them alone, the invariant
 * walk still holds, and a free() of one is an invalid-free, not a
 * double-free even once it is unmapped. */
TEST(mmap_beside_heap)
{
	char *o = malloc(100);
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vki_area_info ai;
	EXPECT(m != MAP_FAILED && vki_arena_describe((uintptr_t)m, &ai));
	EXPECT_EQ(ai.owner, VKI_OWNER_MMAP);
	m[0] = 1;
	EXPECT_INVARIANTS();
	EXPECT_EQ(vki_heap_size(m), 0);
	EXPECT_EQ(munmap(m, 3 * 4096), 0);
	EXPECT_INVARIANTS();
	free(o);
}

/* Every allocation path under injected mmap failures: NULL with ENOMEM,
 * never a crash, and after freeing all, nothing left behind. */
TEST(fault_injection_no_leak)
{
	struct vk_stats s0 = settled();
	for (long k = 1; k <= 12; k++) {
		static void *p[3000];
		int n = 0, nulls = 0;
		fail_nth(k);
		for (int i = 0; i < 3000; i++) {
			size_t sz = i % 7 == 0 ? 40000 + i : 16 + (size_t)(i * 37) % 9000;
			errno = 0;
			void *q = malloc(sz);
			if (!q) {
				EXPECT_EQ(errno, ENOMEM);
				nulls++;
			} else {
				memset(q, 1, sz);
				p[n++] = q;
			}
		}
		injection_off();
		EXPECT(nulls > 0);
		for (int i = 0; i < n; i++)
			free(p[i]);
		struct vk_stats s = settled();
		EXPECT_EQ(s.heap_objects, s0.heap_objects);
		EXPECT(s.heap_mappings <= s0.heap_mappings + 2);
		EXPECT_INVARIANTS();
	}
}

TEST(bad_frees_report)
{
	char local[16];
	char *p = malloc(64);
	EXPECT_REPORT(free(p + 1));
	EXPECT_REPORT(free(local));
	free(p);
	EXPECT_REPORT(free(p));
	void *v = vk_vmalloc(100);
	EXPECT_REPORT(free(v));
	vk_vfree(v);
	char *q = malloc(10);
	EXPECT_REPORT(vk_vfree(q));
	free(q);
	vk_set_option("halt_on_error", "1");
	EXPECT_INVARIANTS();
}

/* A write to an object's metadata outside instrumented code (this file is
 * not instrumented) is found at the next free: a clear error, no report of
 * made-up stacks. */
TEST(metadata_check)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		char *p = malloc(24);
		struct vk_stats s;
		vk_get_stats(&s);
		/* A kmalloc-32 slab is one 64 KiB unit (60 KiB + guard page); its
		 * tail from about 38 KiB on holds the metadata: trash it all. */
		uintptr_t slab = (uintptr_t)p & ~0xffffUL;
		vki_fill((void *)(slab + 0x9700), 0x41, 0xf000 - 0x9700); /* unchecked */
		free(p);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

static void *churn(void *arg)
{
	void **slots = arg;
	for (int i = 0; i < 20000; i++) {
		int k = i % 64;
		void *p = __atomic_exchange_n(&slots[k], malloc(1 + i % 3000), __ATOMIC_ACQ_REL);
		free(p);
	}
	return NULL;
}

TEST(threads_cross_free)
{
	static void *slots[64];
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, slots);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 64; i++)
		free(slots[i]);
	EXPECT_INVARIANTS();
	EXPECT_EQ(vt_stats().reports, vki_report_count());
}

static int ctor_calls;
static void ctor(void *p)
{
	ctor_calls++;
	memset(p, 0x33, 100);
}

TEST(kmem_cache)
{
	struct kmem_cache *c = kmem_cache_create("unit_cache", 100, 0, 0, ctor);
	EXPECT(c != NULL);
	char *a = kmem_cache_alloc(c, GFP_KERNEL);
	EXPECT(ctor_calls > 0 && a[99] == 0x33);
	EXPECT_EQ(shadow_of(a + 96), 4);
	EXPECT_REPORT(kmem_cache_free(c, a + 8));
	vk_set_option("halt_on_error", "1");
	kmem_cache_free(c, a);
	char *z = kmem_cache_zalloc(c, GFP_KERNEL);
	EXPECT(z[0] == 0 && z[99] == 0);
	kmem_cache_free(c, z);
	kmem_cache_destroy(c);
	EXPECT(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	EXPECT_INVARIANTS();
}

VT_MAIN()
