/*
 * test_owner.c - the runtime's structure as other owners of memory use it
 * (docs/DESIGN.md §1, §4, §8): arena areas allocated through
 * vki_area_alloc carry their owner tag and the owner's word into
 * vki_arena_describe, vki_area_free refuses another owner's mapping, the
 * per-thread struct is per thread, the one spinlock type excludes, failures
 * are counted without lost updates, and the runtime's own string helpers
 * agree with the C library.
 */
#include "vt.h"

#include <pthread.h>
#include <sys/syscall.h>

__attribute__((constructor(103))) static void setup_log(void)
{
	vt_log_to("owner", "0");
}

TEST(area_alloc_tags_the_owner)
{
	char *p = vki_area_alloc(100, 0, VKI_OWNER_VMALLOC, 0);
	EXPECT(p != NULL);
	struct vki_area_info ai;
	EXPECT(vki_arena_describe((uintptr_t)p + 50, &ai));
	EXPECT_EQ(ai.owner, VKI_OWNER_VMALLOC);
	EXPECT_EQ(ai.state, VKI_AREA_BUSY);
	EXPECT_EQ(ai.start, (uintptr_t)p);
	EXPECT_EQ(ai.size, 100);
	EXPECT_EQ(vk_vmalloc_size(p), 100);
	EXPECT(vki_area_free((uintptr_t)p, VKI_OWNER_VMALLOC, 0));
	EXPECT(vki_arena_describe((uintptr_t)p, &ai));
	EXPECT_EQ(ai.state, VKI_AREA_LAZY);
	EXPECT_EQ(ai.owner, VKI_OWNER_VMALLOC);
	EXPECT_INVARIANTS();
}

/* The requested bytes are accessible on return, the tail is not. */
TEST(area_alloc_aligned_and_unpoisoned)
{
	size_t align = 1UL << 20;
	char *p = vki_area_alloc(5001, align, VKI_OWNER_VMALLOC, 0);
	EXPECT(p != NULL);
	EXPECT_EQ((uintptr_t)p % align, 0);
	uint8_t s = 0xff;
	EXPECT(vki_shadow_peek((uintptr_t)p, &s));
	EXPECT_EQ(s, 0);
	EXPECT(vki_shadow_peek((uintptr_t)p + 5000, &s));
	EXPECT_EQ(s, 1); /* one byte of the last granule */
	EXPECT(vki_shadow_peek((uintptr_t)p + 5008, &s));
	EXPECT_EQ(s, VKI_SHADOW_VMALLOC_INVALID);
	EXPECT(vki_area_alloc(10, 3 * 4096, VKI_OWNER_VMALLOC, 0) == NULL); /* not a power of 2 */
	EXPECT(vki_area_free((uintptr_t)p, VKI_OWNER_VMALLOC, 0));
	EXPECT_INVARIANTS();
}

/* An owner cannot free another owner's mapping: nothing happens, and the
 * owner reports.  vk_vfree of a pointer that is not a live vmalloc mapping
 * start is an invalid free, a second vk_vfree a double free. */
TEST(free_checks_the_owner)
{
	char *p = vk_vmalloc(64);
	EXPECT(p != NULL);
	EXPECT(!vki_area_free((uintptr_t)p, VKI_OWNER_OUTSIDE, 0));
	struct vki_area_info ai;
	EXPECT(vki_arena_describe((uintptr_t)p, &ai));
	EXPECT_EQ(ai.state, VKI_AREA_BUSY);
	EXPECT_EQ(vki_area_free_bug((uintptr_t)p + 8), VKI_INVALID_FREE);
	vk_vfree(p);
	EXPECT_EQ(vki_area_free_bug((uintptr_t)p), VKI_DOUBLE_FREE);
	off_t at = vt_log_size();
	EXPECT_REPORT(vk_vfree(p));
	const char *log = vt_log_since(at);
	EXPECT(strstr(log, "BUG: KASAN: double-free in ") != NULL);
	EXPECT(strstr(log, "The buggy address belongs to the virtual mapping at") != NULL);
	EXPECT(strstr(log, "Freed by task ") != NULL);
	EXPECT_INVARIANTS();
}

TEST(owner_word_reaches_the_report)
{
	char *p = vk_vmalloc(64);
	EXPECT(p != NULL);
	EXPECT(vki_area_set_priv((uintptr_t)p, VKI_OWNER_VMALLOC, 0x1234));
	EXPECT(!vki_area_set_priv((uintptr_t)p, VKI_OWNER_OUTSIDE, 0x5678));
	struct vki_area_info ai;
	EXPECT(vki_arena_describe((uintptr_t)p + 10, &ai));
	EXPECT_EQ(ai.priv, 0x1234);
	vk_vfree(p);
}

/* ---------------------------------------------------------------- threads */

enum { THREADS = 4, ROUNDS = 20000 };
static vki_spin_t spin = VKI_SPIN_INIT;
static unsigned long spin_count;

struct seen {
	struct vki_thread *self;
	int tid, real_tid;
};

static void *worker(void *arg)
{
	struct seen *s = arg;
	s->self = vki_self();
	s->tid = vki_os_gettid();
	s->real_tid = (int)syscall(SYS_gettid);
	for (int i = 0; i < ROUNDS; i++) {
		vki_spin_lock(&spin);
		spin_count++;
		vki_spin_unlock(&spin);
	}
	for (int i = 0; i < 500; i++) {
		EXPECT(vk_vmalloc_aligned(1, 3) == NULL); /* counted outside the arena */
		EXPECT(vk_vmalloc(0) == NULL);             /* counted inside */
	}
	return NULL;
}

TEST(per_thread_state_spinlock_and_failure_count)
{
	pthread_t t[THREADS];
	struct seen s[THREADS];
	uint64_t f0 = vt_stats().alloc_failures;
	for (int i = 0; i < THREADS; i++)
		EXPECT_EQ(pthread_create(&t[i], NULL, worker, &s[i]), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(spin_count, (unsigned long)THREADS * ROUNDS);
	EXPECT_EQ(vt_stats().alloc_failures - f0, (uint64_t)THREADS * 1000);
	for (int i = 0; i < THREADS; i++) {
		EXPECT_EQ(s[i].tid, s[i].real_tid);
		EXPECT(s[i].self != vki_self());
		for (int j = 0; j < i; j++)
			EXPECT(s[i].self != s[j].self);
	}
	EXPECT_EQ(vki_self()->holding_arena, 0);
	EXPECT_EQ(vki_in_report(), false);
}

/* ---------------------------------------------------------------- strings */

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

TEST(string_helpers_agree_with_libc)
{
	static const char *const words[] = { "", "a", "ab", "abc", "abd", "b", "\x80x",
					     "/usr/bin/llvm-symbolizer", "file.c:12:3" };
	enum { N = sizeof(words) / sizeof(words[0]) };
	for (int i = 0; i < N; i++) {
		const char *a = words[i];
		EXPECT_EQ(vki_strlen(a), strlen(a));
		EXPECT(vki_strchr(a, ':') == strchr(a, ':'));
		EXPECT(vki_strchr(a, 0) == strchr(a, 0));
		EXPECT(vki_strrchr(a, '/') == strrchr(a, '/'));
		for (int j = 0; j < N; j++) {
			const char *b = words[j];
			EXPECT_EQ(sign(vki_strcmp(a, b)), sign(strcmp(a, b)));
			for (size_t n = 0; n < 4; n++)
				EXPECT_EQ(sign(vki_strncmp(a, b, n)), sign(strncmp(a, b, n)));
			size_t m = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
			EXPECT_EQ(sign(vki_memcmp(a, b, m)), sign(memcmp(a, b, m)));
		}
	}
}

VT_MAIN()
