/*
 * test_stacks.c - thread and fiber stacks in the arena (issue 14).
 *
 * The unit tests link libvkasan.a, whose pthread_create comes before the C
 * library's: every thread created here runs on an arena stack.  Checked:
 * a thread costs a few shadow pages however large its stack; its shadow
 * is backed as it is used and released after the join; detached threads'
 * stacks are freed once the kernel is done with them; a stack that cannot
 * be allocated (fault injection at every OS call of pthread_create) makes
 * pthread_create fail with EAGAIN and leaks nothing; vk_stack_alloc and
 * vk_stack_free, including bad frees.
 */
#include "vtx.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>

void __asan_loadN(uintptr_t a, size_t size);
void __asan_storeN(uintptr_t a, size_t size);

/* Everything freed and purged: no mapping, no shadow, walk holds. */
static void expect_empty(void)
{
	vk_purge();
	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.live_areas, 0);
	EXPECT_EQ(s.lazy_areas, 0);
	EXPECT_EQ(s.shadow_pages, 0);
	EXPECT_EQ(vtx_os_total(), 0);
	EXPECT_INVARIANTS();
}

static void *nothing(void *arg)
{
	return arg;
}

/* An arena stack of 8 MiB: a mapping of its own, and still only a few
 * shadow pages while the thread runs. */
static pthread_barrier_t bar;
static uintptr_t seen_sp;

static void *wait_twice(void *arg)
{
	char here;
	seen_sp = (uintptr_t)&here;
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	return arg;
}

TEST(thread_runs_on_a_cheap_arena_stack)
{
	struct vk_stats s0 = vt_stats();
	pthread_t t;
	pthread_barrier_init(&bar, NULL, 2);
	EXPECT_EQ(pthread_create(&t, NULL, wait_twice, NULL), 0);
	pthread_barrier_wait(&bar);
	struct vk_stats s1 = vt_stats();
	EXPECT(vki_in_arena(seen_sp));
	EXPECT_EQ(s1.live_areas, s0.live_areas + 1);
	EXPECT(s1.live_bytes - s0.live_bytes >= (8UL << 20));
	EXPECT(s1.shadow_pages - s0.shadow_pages <= 3); /* first and last window */
	EXPECT_INVARIANTS();
	pthread_barrier_wait(&bar);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	pthread_barrier_destroy(&bar);
	EXPECT_EQ(vt_stats().live_areas, s0.live_areas);
	expect_empty();
}

/* Checks on the stack back its windows as they are used: 1 MiB touched,
 * about 32 windows backed, no report; all released after join and purge. */
static void *use_a_megabyte(void *arg)
{
	char big[1 << 20];
	for (size_t i = 0; i < sizeof(big); i += 4096) {
		__asan_storeN((uintptr_t)&big[i], 4096);
		big[i] = 1;
	}
	__asm__ volatile("" ::"r"(big) : "memory");
	*(long *)arg = (long)vt_stats().shadow_pages;
	return NULL;
}

TEST(stack_shadow_backed_on_use)
{
	long pages = 0;
	unsigned long r0 = vki_report_count();
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, use_a_megabyte, &pages), 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(vki_report_count(), r0);
	EXPECT(pages >= 32 && pages <= 40);
	expect_empty();
}

/* The same through the outline fast path (a sized entry point): its shadow
 * test of an absent window of the live stack faults, the fixup resumes it
 * at the slow path, which backs the window and finds the access good. */
void __asan_store8_noabort(uintptr_t a);

static void *use_a_megabyte_fast(void *arg)
{
	char big[1 << 20];
	unsigned long f0 = vki_check_fixup_count();
	for (size_t i = 0; i < sizeof(big); i += 4096) {
		__asan_store8_noabort((uintptr_t)&big[i]);
		big[i] = 1;
	}
	__asm__ volatile("" ::"r"(big) : "memory");
	((long *)arg)[0] = (long)vt_stats().shadow_pages;
	((long *)arg)[1] = (long)(vki_check_fixup_count() - f0);
	return NULL;
}

TEST(stack_shadow_backed_through_the_fast_path)
{
	long got[2] = { 0, 0 };
	unsigned long r0 = vki_report_count();
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, use_a_megabyte_fast, got), 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(vki_report_count(), r0);
	EXPECT(got[0] >= 32 && got[0] <= 40);
	EXPECT(got[1] >= 28); /* nearly every new window came through a fixup */
	expect_empty();
}

/* A pointer into a joined thread's stack is a use-after-free. */
static void *leak_local(void *arg)
{
	char local[64];
	local[0] = 1;
	uintptr_t p = (uintptr_t)local;
	*(uintptr_t *)arg = p;
	return NULL;
}

TEST(joined_stack_is_poisoned)
{
	char *p = NULL;
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, leak_local, &p), 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT(p && vki_in_arena((uintptr_t)p));
	EXPECT_REPORT(__asan_loadN((uintptr_t)p, 8));
	expect_empty();
}

/* A freed thread stack waits poisoned until two more were freed after it,
 * then a new thread of the same size runs on it (no OS call), accessible
 * again and exact for the walk. */
TEST(freed_stack_is_reused_after_two_more)
{
	expect_empty();
	uintptr_t p[4] = { 0 };
	for (int i = 0; i < 4; i++) {
		pthread_t t;
		EXPECT_EQ(pthread_create(&t, NULL, leak_local, &p[i]), 0);
		EXPECT_EQ(pthread_join(t, NULL), 0);
		if (i == 2) /* A's stack is still poisoned */
			EXPECT_REPORT(__asan_loadN(p[0], 8));
	}
	EXPECT_EQ(p[3], p[0]); /* the 4th thread ran on the 1st one's stack */
	EXPECT(p[1] != p[0] && p[2] != p[0]);
	EXPECT_INVARIANTS();
	expect_empty();
}

/* Detached threads: freed by the next create or purge after they end. */
static int ended;

static void *end_detached(void *arg)
{
	__atomic_add_fetch(&ended, 1, __ATOMIC_RELEASE);
	return arg;
}

TEST(detached_stacks_are_reaped)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 50; i++) {
		pthread_t t;
		EXPECT_EQ(pthread_create(&t, i & 1 ? &a : NULL, end_detached, NULL), 0);
		if (!(i & 1))
			EXPECT_EQ(pthread_detach(t), 0);
	}
	pthread_attr_destroy(&a);
	while (__atomic_load_n(&ended, __ATOMIC_ACQUIRE) < 50)
		sched_yield();
	/* Ended is not gone: wait until the kernel released them all. */
	for (int tries = 0; tries < 2000 && vt_stats().live_areas; tries++) {
		vk_purge();
		usleep(1000);
	}
	expect_empty();
}

/* A caller-supplied stack is left alone. */
TEST(own_stack_is_not_replaced)
{
	static char stack[1 << 20] __attribute__((aligned(4096)));
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, stack, sizeof(stack));
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, &a, wait_twice, NULL), 0);
	pthread_barrier_wait(&bar);
	EXPECT(seen_sp - (uintptr_t)stack < sizeof(stack));
	EXPECT_EQ(vt_stats().live_areas, 0);
	pthread_barrier_wait(&bar);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	pthread_barrier_destroy(&bar);
	pthread_attr_destroy(&a);
}

/* arena_stacks=0: glibc's stacks. */
TEST(option_off)
{
	EXPECT_EQ(vk_set_option("arena_stacks", "0"), 0);
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, wait_twice, NULL), 0);
	pthread_barrier_wait(&bar);
	EXPECT(!vki_in_arena(seen_sp));
	pthread_barrier_wait(&bar);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	pthread_barrier_destroy(&bar);
	EXPECT_EQ(vk_set_option("arena_stacks", "1"), 0);
}

/* Fault injection at the 1st, 2nd, ... OS call of pthread_create: EAGAIN
 * and nothing leaked, until it makes fewer calls than that. */
TEST(stack_allocation_fails_cleanly)
{
	expect_empty();
	int failed = 0;
	for (long k = 1; k <= 16; k++) {
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		pthread_t t;
		int rc = pthread_create(&t, NULL, nothing, NULL);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (rc == 0) {
			EXPECT_EQ(pthread_join(t, NULL), 0);
		} else {
			EXPECT_EQ(rc, EAGAIN);
			EXPECT(injected > 0);
			failed++;
		}
		expect_empty();
		if (!injected)
			break;
	}
	EXPECT(failed >= 2);
	/* And with injection off it works. */
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, nothing, NULL), 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	expect_empty();
}

/* Fiber stacks: guard below, usable, poisoned when freed; bad frees. */
TEST(fiber_stack_alloc_free)
{
	char *p = vk_stack_alloc(100000);
	EXPECT(p && vki_in_arena((uintptr_t)p) && ((uintptr_t)p & (PG - 1)) == 0);
	if (!p)
		return;
	unsigned long r0 = vki_report_count();
	__asan_storeN((uintptr_t)p, 100000 & ~(PG - 1)); /* backs windows, no report */
	memset(p, 1, 100000);
	EXPECT_EQ(vki_report_count(), r0);
	EXPECT_REPORT(__asan_loadN((uintptr_t)p - 8, 8)); /* the guard page */
	EXPECT_INVARIANTS();
	EXPECT_REPORT(vk_stack_free(p + 8)); /* invalid */
	vk_stack_free(p);
	EXPECT_REPORT(__asan_loadN((uintptr_t)p + 50000, 8));
	EXPECT_REPORT(vk_stack_free(p)); /* double */
	EXPECT_EQ(vk_stack_alloc(0), NULL);
	expect_empty();
}

/* A thread's stack is not a fiber stack: vk_stack_free refuses it. */
static void *give_sp(void *arg)
{
	char here;
	seen_sp = (uintptr_t)&here;
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	return arg;
}

TEST(thread_stack_is_not_vk_stack_free_s)
{
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, give_sp, NULL), 0);
	pthread_barrier_wait(&bar);
	uintptr_t lo = VKI_ROUND_DOWN(seen_sp, PG) - (8UL << 20) + PG; /* somewhere */
	struct vki_area_info ai;
	EXPECT(vki_arena_describe(seen_sp, &ai) && ai.owner == VKI_OWNER_STACK);
	(void)lo;
	EXPECT_REPORT(vk_stack_free((void *)(ai.start + PG)));
	pthread_barrier_wait(&bar);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	pthread_barrier_destroy(&bar);
	expect_empty();
}

VT_MAIN()
