/*
 * test_vmap.c - page frames, vmap, vm_map_ram, vrealloc and poison records
 * under fault injection (issue 13).
 *
 * Each operation is run with the k-th OS call failing, k = 1, 2, ... until
 * it makes fewer calls than that.  After a failure: NULL, the invariant walk
 * holds, and once everything the test holds is given back nothing is left
 * (no live or lazy mapping, no shadow, no memfd mapping in the arena).
 * Outside injection: an alias range is plain anonymous memory again after
 * vunmap, the frames stay readable at their own address, and the poison
 * records stay bounded however many calls are made.
 */
#include "vtx.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>

/* Is any part of [a, a + len) still a mapping of the page memfd? */
static bool memfd_mapped(uintptr_t a, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strstr(line, "vkasan-pages") &&
		    lo < a + len && a < hi)
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static bool arena_has_memfd(void)
{
	struct vk_stats s = vt_stats();
	return memfd_mapped(s.arena_base, s.arena_size);
}

TEST(vmap_both_addresses)
{
	struct vk_page *pg = vk_pages_alloc(3);
	EXPECT(pg != NULL);
	char *p = vk_page_address(pg);
	struct vk_page *order[3] = { pg + 2, pg, pg + 1 };
	char *v = vk_vmap(order, 3);
	EXPECT(v != NULL);
	strcpy(p + 2 * PG, "two");
	strcpy(p, "zero");
	EXPECT(!strcmp(v, "two"));
	EXPECT(!strcmp(v + PG, "zero"));
	v[PG] = 'Z';
	EXPECT(p[0] == 'Z');
	EXPECT_EQ(vtx_check_live((uintptr_t)v, 3 * PG), 0);
	EXPECT_INVARIANTS();
	vk_vunmap(v);
	EXPECT(!memfd_mapped((uintptr_t)v, 3 * PG));
	EXPECT(!strcmp(p + 2 * PG, "two"));
	vk_pages_free(pg);
	EXPECT(!arena_has_memfd());
	EXPECT_CLEAN();
}

TEST(pages_freed_while_aliased)
{
	/* The kernel would warn; the frames live on for the alias. */
	struct vk_page *pg = vk_pages_alloc(1);
	char *p = vk_page_address(pg);
	strcpy(p, "kept");
	char *v = vk_vmap(&pg, 1);
	vk_pages_free(pg);
	EXPECT(!strcmp(v, "kept"));
	EXPECT(vk_vmap(&pg, 1) == NULL); /* freed frames: refused */
	vk_vunmap(v);
	EXPECT(!arena_has_memfd());
	EXPECT_CLEAN();
}

TEST(wrong_free_functions)
{
	/* An alias or frames freed with vk_vfree, a vmalloc mapping given to
	 * vk_vunmap, a wrong count to vm_unmap_ram: each one report, nothing
	 * changes (a shared mapping must never reach free space). */
	struct vk_page *pg = vk_pages_alloc(2);
	char *p = vk_page_address(pg);
	char *v = vk_vmap(&pg, 1);
	char *r = vk_vm_map_ram(&pg, 1);
	char *m = vk_vmalloc(100);
	EXPECT_REPORT(vk_vfree(v));
	EXPECT_REPORT(vk_vfree(p));
	EXPECT_REPORT(vk_vfree(r));
	EXPECT_REPORT(vk_vunmap(m));
	EXPECT_REPORT(vk_vunmap(r));
	EXPECT_REPORT(vk_vm_unmap_ram(r, 2));
	EXPECT_REPORT(vk_vm_unmap_ram(m, 1));
	EXPECT_REPORT(vk_vrealloc(v, 10));
	vk_set_option("halt_on_error", "1");
	strcpy(p, "ok");
	EXPECT(!strcmp(v, "ok") && !strcmp(r, "ok"));
	EXPECT_INVARIANTS();
	vk_vm_unmap_ram(r, 1);
	vk_vunmap(v);
	vk_pages_free(pg);
	vk_vfree(m);
	EXPECT(!arena_has_memfd());
	EXPECT_CLEAN();
}

TEST(pages_alloc_fault_injection)
{
	int failures = 0;
	for (long k = 1; k <= 40; k++) {
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		struct vk_page *pg = vk_pages_alloc(4);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!pg) {
			failures++;
			EXPECT(injected > 0);
			EXPECT_INVARIANTS();
		} else {
			memset(vk_page_address(pg), 1, 4 * PG);
			vk_pages_free(pg);
		}
		EXPECT(!arena_has_memfd());
		EXPECT_CLEAN();
		if (!injected)
			break;
	}
	EXPECT(failures > 0);
}

TEST(vmap_fault_injection)
{
	struct vk_page *pg = vk_pages_alloc(4);
	struct vk_page *two[4] = { pg + 3, pg + 1, pg + 2, pg }; /* three runs */
	int failures = 0;
	for (long k = 1; k <= 40; k++) {
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		char *v = vk_vmap(two, 4);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (!v) {
			failures++;
			EXPECT(injected > 0);
		} else {
			EXPECT_EQ(vtx_check_live((uintptr_t)v, 4 * PG), 0);
			vk_vunmap(v);
		}
		EXPECT_INVARIANTS();
		vk_purge();
		EXPECT_EQ(vt_stats().live_areas, 1); /* the frames only */
		if (!injected)
			break;
	}
	EXPECT(failures > 0);
	vk_pages_free(pg);
	EXPECT(!arena_has_memfd());
	EXPECT_CLEAN();
}

TEST(vm_map_ram_fault_injection)
{
	struct vk_page *pg = vk_pages_alloc(2);
	struct vk_page *pages[2] = { pg, pg + 1 };
	int failures = 0;
	for (long k = 1; k <= 40; k++) {
		char *keep = vk_vm_map_ram(pages, 1); /* the block exists... */
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		char *a = vk_vm_map_ram(pages, 2);
		char *fresh = k & 1 ? NULL : vk_vm_map_ram(pages, 1);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		failures += !a;
		EXPECT_INVARIANTS();
		if (a)
			vk_vm_unmap_ram(a, 2);
		if (fresh)
			vk_vm_unmap_ram(fresh, 1);
		vk_vm_unmap_ram(keep, 1);
		EXPECT_INVARIANTS();
		vk_purge();
		EXPECT_EQ(vt_stats().live_areas, 1); /* the frames only */
		if (!injected)
			break;
	}
	EXPECT(failures > 0);
	/* A new block under injection, too. */
	for (long k = 1; k <= 40; k++) {
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		char *a = vk_vm_map_ram(pages, 2);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		if (a)
			vk_vm_unmap_ram(a, 2);
		vk_purge();
		EXPECT_EQ(vt_stats().live_areas, 1);
		EXPECT_INVARIANTS();
		if (!injected)
			break;
	}
	vk_pages_free(pg);
	EXPECT(!arena_has_memfd());
	EXPECT_CLEAN();
}

TEST(vrealloc_fault_injection)
{
	for (long k = 1; k <= 40; k++) {
		char *p = vk_vmalloc(5000);
		memset(p, 7, 5000);
		char *wall = k & 1 ? vk_vmalloc(10) : NULL; /* odd: must move */
		fail_nth(k);
		unsigned long f0 = vki_os_fail_count();
		char *q = vk_vrealloc(p, 300000);
		unsigned long injected = vki_os_fail_count() - f0;
		injection_off();
		EXPECT_INVARIANTS();
		if (!q) { /* p untouched */
			EXPECT(injected > 0);
			EXPECT_EQ(vk_vmalloc_size(p), 5000);
			EXPECT_EQ(vtx_check_live((uintptr_t)p, 5000), 0);
			q = p;
		} else {
			EXPECT_EQ(vk_vmalloc_size(q), 300000);
			EXPECT_EQ(vtx_check_live((uintptr_t)q, 300000), 0);
			EXPECT(q[4999] == 7);
		}
		vk_vfree(q);
		vk_vfree(wall);
		EXPECT_CLEAN();
		if (!injected)
			break;
	}
}

TEST(poison_records_bounded)
{
	char *p = vk_vmalloc(1 << 20);
	/* Far more calls than records: the oldest are dropped, the tree stays
	 * disjoint, and the newest still answer. */
	for (int i = 0; i < 200000; i++)
		vk_poison(p + (i % 65536) * 16, 8, NULL);
	vk_unpoison(p, 1 << 20, NULL);
	EXPECT(vk_region_is_poisoned(p, 1 << 20) == NULL);
	for (int i = 0; i < 70000; i++)
		vk_poison(p + i * 8, 8, "obj");
	struct vki_poison_info pi;
	EXPECT(vki_poison_lookup((uintptr_t)p + 69999 * 8, &pi));
	EXPECT(!strcmp(pi.name, "obj"));
	EXPECT(pi.poison_stack != 0);
	EXPECT_INVARIANTS();
	vk_vfree(p);
	EXPECT(!vki_poison_lookup((uintptr_t)p + 69999 * 8, &pi));
	EXPECT_CLEAN();
}

TEST(poison_only_checked_memory)
{
	char buf[64] = { 0 };
	vk_poison(buf, sizeof(buf), NULL); /* no full shadow here: ignored */
	EXPECT(vk_region_is_poisoned(buf, sizeof(buf)) == NULL);
	char *p = vk_vmalloc(100);
	vk_unpoison(p, 4096, NULL); /* clamped: the tail stays poisoned */
	EXPECT(vk_region_is_poisoned(p, 101) == p + 100);
	vk_poison(p + 50, 1000, NULL); /* clamped to the mapping */
	EXPECT(vk_region_is_poisoned(p, 100) == p + 50);
	EXPECT_INVARIANTS();
	vk_vfree(p);
	vk_poison(p, 100, NULL); /* freed: ignored */
	EXPECT_CLEAN();
}

/*
 * fork() while another thread keeps the vmap (#6) and poison (#7) locks
 * busy: init.c's one handler takes them after the arena lock, so the child
 * never finds one held; it gets a memfd of its own, and its frames, aliases
 * and poisoning work.  The parent's frames are shared (MAP_SHARED).
 */
static volatile int churn_stop;

static void *churn(void *arg)
{
	char *p = vk_vmalloc(4096);
	while (!churn_stop) {
		struct vk_page *pg = vk_pages_alloc(1);
		void *v = pg ? vk_vm_map_ram(&pg, 1) : NULL;
		vk_poison(p + 64, 64, "churn");
		vk_unpoison(p + 64, 64, "churn");
		if (v)
			vk_vm_unmap_ram(v, 1);
		vk_pages_free(pg);
	}
	vk_vfree(p);
	return arg;
}

TEST(fork_with_vmap_and_poison_busy)
{
	struct vk_page *pg = vk_pages_alloc(1);
	char *shared = vk_page_address(pg);
	pthread_t t;
	EXPECT_EQ(pthread_create(&t, NULL, churn, NULL), 0);
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct vk_page *q = vk_pages_alloc(2);
			char *v = q ? vk_vmap(&q, 1) : NULL;
			char *m = vk_vmalloc(128);
			vk_poison(m + 32, 32, "child");
			int ok = q && v && vk_region_is_poisoned(m, 128) == m + 32 &&
				 vk_check_invariants() == 0;
			shared[i] = (char)(ok ? 'y' : 'n');
			_exit(ok ? 0 : 1);
		}
		int st = -1;
		EXPECT(pid > 0 && waitpid(pid, &st, 0) == pid);
		EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		EXPECT(shared[i] == 'y');
	}
	churn_stop = 1;
	pthread_join(t, NULL);
	EXPECT_INVARIANTS();
	vk_pages_free(pg);
	EXPECT_CLEAN();
}

VT_MAIN()
