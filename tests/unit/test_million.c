/*
 * test_million.c - scale (issue 2, point 5): 1,000,000 live one-page
 * mappings on a default system (vm.max_map_count 65530: the process must
 * stay far below it in VMAs), then all freed, purged, and nothing left.
 * O(log n) is checked by counting, not timing: the AVL heights of the trees
 * with a million nodes, and 100k vmalloc/vfree pairs that must complete
 * with a million live (an O(n) step would take ~10^11 operations), also
 * with half a million free holes that are all too small (a lowest-fit
 * search without the subtree maximum would scan them all every time).
 */
#include "vtx.h"

/* These tests place mappings at exact addresses where lowest fit reuses
 * freed space: without the address-space quarantine (test_quarantine.c
 * tests it; vmalloc_quarantine=0 is the old behaviour). */
__attribute__((constructor)) static void no_quarantine(void)
{
	vk_set_option("vmalloc_quarantine", "0");
}

enum { N = 1000000, PAIRS = 100000 };
static uintptr_t m[N];

struct heights {
	int max_height;
	size_t count;
};

static void note_height(const struct vki_area *a, void *ctx)
{
	struct heights *h = ctx;
	if (a->node.height > h->max_height)
		h->max_height = a->node.height;
	h->count++;
}

static struct heights tree_heights(int which)
{
	struct heights h = { 0, 0 };
	vki_arena_lock();
	vki_arena_for_each(which, note_height, &h);
	vki_arena_unlock();
	return h;
}

/* AVL: height <= 1.4405 log2(n + 2) - 0.3277; and >= log2(n + 1). */
static void expect_log_height(struct heights h)
{
	int lg_floor = 63 - __builtin_clzl(h.count + 1);     /* floor(log2(n + 1)) */
	int lg_ceil = 64 - __builtin_clzl(h.count + 1);      /* >= log2(n + 2) */
	EXPECT(h.max_height <= (int)(1.4405 * lg_ceil));
	EXPECT(h.max_height >= lg_floor);
}

TEST(million_one_page_mappings)
{
	EXPECT_CLEAN();
	long maps0 = vtx_map_count();
	uintptr_t base = vtx_base();
	long bad = 0;
	for (long i = 0; i < N; i++) {
		m[i] = (uintptr_t)vk_vmalloc(PG);
		bad += m[i] != base + (uintptr_t)i * 2 * PG;
		if (!m[i]) {
			fprintf(stderr, "  vk_vmalloc failed at mapping %ld\n", i);
			break;
		}
	}
	EXPECT_EQ(bad, 0);
	/* Touch a sample of the data pages, and check their shadow. */
	for (long i = 0; i < N; i += 997) {
		memset((void *)m[i], 0x11, PG);
		bad += vtx_check_live(m[i], PG);
	}
	EXPECT_EQ(bad, 0);

	struct vk_stats s = vt_stats();
	EXPECT_EQ(s.live_areas, N);
	EXPECT_EQ(s.live_bytes, (uint64_t)N * PG);
	EXPECT_EQ(s.shadow_pages, N / 4); /* four mappings per window */
	EXPECT_EQ(vtx_os_total(), N / 4);
	EXPECT_EQ(s.free_regions, 1);
	long maps = vtx_map_count();
	printf("  %d live mappings: %ld VMAs in /proc/self/maps (%ld before), max_map_count 65530\n",
	       N, maps, maps0);
	EXPECT(maps > 0 && maps < 1000);
	EXPECT_INVARIANTS();

	struct heights busy = tree_heights(VKI_EACH_MAPPING);
	EXPECT_EQ(busy.count, N);
	expect_log_height(busy);
	printf("  busy tree: %zu nodes, height %d\n", busy.count, busy.max_height);

	/* 100k pairs with a million live. */
	uintptr_t top = base + (uintptr_t)N * 2 * PG;
	bad = 0;
	for (long i = 0; i < PAIRS; i++) {
		uintptr_t p = (uintptr_t)vk_vmalloc(PG);
		bad += p < top;
		vk_vfree((void *)p);
	}
	EXPECT_EQ(bad, 0);
	vk_purge();
	EXPECT_EQ(vt_stats().live_areas, N);

	/* Free every other mapping: half a million 8 KiB holes. */
	for (long i = 0; i < N; i += 2)
		vk_vfree((void *)m[i]);
	vk_purge();
	s = vt_stats();
	EXPECT_EQ(s.free_regions, N / 2 + 1);
	EXPECT_EQ(s.shadow_pages, N / 4); /* every window keeps two live */
	EXPECT_EQ(vtx_os_total(), N / 4);
	struct heights fr = tree_heights(VKI_EACH_FREE);
	EXPECT_EQ(fr.count, N / 2 + 1);
	expect_log_height(fr);
	printf("  free tree: %zu nodes, height %d\n", fr.count, fr.max_height);
	EXPECT_INVARIANTS();

	/* Two pages need 12 KiB: no hole fits, every search ends at the top. */
	bad = 0;
	for (long i = 0; i < PAIRS; i++) {
		uintptr_t p = (uintptr_t)vk_vmalloc(2 * PG);
		bad += p < top;
		vk_vfree((void *)p);
	}
	EXPECT_EQ(bad, 0);
	/* One page fits the lowest hole exactly. */
	uintptr_t q = (uintptr_t)vk_vmalloc(PG);
	EXPECT_EQ(q, m[0]);
	vk_vfree((void *)q);

	for (long i = 1; i < N; i += 2)
		vk_vfree((void *)m[i]);
	vk_purge();
	EXPECT_CLEAN();
	s = vt_stats();
	EXPECT_EQ(s.shadow_pages_populated_total, s.shadow_pages_released_total);
	maps = vtx_map_count();
	EXPECT(maps <= maps0 + 8);
}

VT_MAIN()
