/*
 * vmap.c - page frames that appear at more than one address: vk_pages_alloc,
 * vk_vmap/vk_vunmap, vk_vm_map_ram/vk_vm_unmap_ram.
 *
 * The kernel's vmap maps pages that already exist (they have an address in
 * the linear map) at a new address in vmalloc space; KASAN must populate the
 * shadow of the new range as it does for vmalloc.  Here a page frame is a
 * page of one memfd per process:
 *
 *   vk_pages_alloc(n)  n frames at consecutive offsets of the memfd, mapped
 *                      (MAP_SHARED|MAP_FIXED) over a fresh arena mapping: the
 *                      frames' primary address, a page set;
 *   vk_vmap(pages, n)  a fresh arena mapping (shadow populated, exactly
 *                      n pages unpoisoned, like vk_vmalloc) with the frames
 *                      mapped over it, one mmap per run of consecutive
 *                      offsets: an alias;
 *   vk_vunmap(a)       the alias goes back to plain anonymous memory and is
 *                      freed like vk_vfree (poisoned, quarantined); the
 *                      frames and their other addresses stay valid.
 *
 * MADV_DONTNEED on a shared file mapping does not free the page, and the
 * range must be the arena's private anonymous memory again before it can be
 * handed out: so every alias is mapped anonymous again (not fault-injected)
 * before the arena takes it back.
 *
 * vk_vm_map_ram: small mappings (at most VK_VMAP_BLOCK_MAX pages) share
 * blocks, as the kernel's per-CPU vmap blocks do: one arena mapping of
 * BLOCK_PAGES pages, poisoned 0xF8 but for its live mappings, each exactly
 * unpoisoned and followed by one poisoned page (an overflow from one mapping
 * never lands in its neighbour).  Space in a block is handed out bump-wise;
 * when its last mapping goes, the block is freed like any mapping, and the
 * purge releases its shadow.
 *
 * A page set stays until it is freed and no alias maps its frames (the
 * kernel would warn; we keep the pages alive, then punch them out of the
 * memfd).  Records of sets, aliases and blocks live in pages of their own
 * (never malloc), in three trees under one lock.  Lock order: this lock is
 * never held while calling into arena.c; the invariant walk (arena lock
 * held) takes it.  After fork() the child gets a memfd of its own for new
 * frames; frames that existed are shared with the parent (MAP_SHARED).
 */
#include "vk_internal.h"

#define BLOCK_PAGES 64

/* A frame descriptor, the public struct vk_page: offset, and its set. */
struct frame {
	uint64_t off;
	struct pset *set;
};
_Static_assert(sizeof(struct frame) == sizeof(struct vk_page), "struct vk_page layout");

struct pset {
	struct vki_node node; /* key = (uintptr_t)frames */
	uintptr_t addr;       /* primary address */
	size_t n, metalen;
	long refs;            /* alias pages mapping its frames */
	bool freed;           /* vk_pages_free called; kept for its aliases */
	struct frame frames[];
};

struct alias {
	struct vki_node node; /* key = alias address */
	size_t n, metalen;
	struct frame *pages[];
};

struct block {
	struct vki_node node; /* key = block address */
	size_t next;          /* first page never handed out */
	int live;             /* mappings in it */
	bool removed;         /* out of the tree (a new block took its key) */
	uint8_t count[BLOCK_PAGES];           /* pages of the mapping starting at i */
	struct frame *pages[BLOCK_PAGES];     /* frame at page i */
};

static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static struct vki_tree sets, aliases, blocks;
static struct block *cur; /* the block new small mappings come from */
static int memfd = -1;
static uint64_t next_off, file_size;

static void lock(void)
{
	pthread_mutex_lock(&vlock);
	vki_self()->holding_vmap = true;
}

static void unlock(void)
{
	vki_self()->holding_vmap = false;
	pthread_mutex_unlock(&vlock);
}

/* init.c's fork handler, after the arena lock (#3 before #6). */
void vki_vmap_fork_prepare(void)
{
	lock();
}

void vki_vmap_fork_parent(void)
{
	unlock();
}

void vki_vmap_fork_child(void)
{
	vki_self()->holding_vmap = false;
	pthread_mutex_init(&vlock, NULL);
	/* The memfd is shared with the parent: new frames need a file of our own. */
	if (memfd >= 0)
		vki_os_close(memfd);
	memfd = -1;
	next_off = file_size = 0;
}

/* An arena mapping of ours goes back (vki_area_free); a refusal is the
 * caller's bug, reported at pc (0: our own clean-up, cannot be refused). */
static void area_free(uintptr_t addr, uint32_t stack, uintptr_t pc)
{
	if (!vki_area_free(addr, VKI_OWNER_VMAP, stack) && pc)
		vki_report_free(addr, vki_area_free_bug(addr), pc);
}

static void *meta(size_t len)
{
	return vki_os_map_anywhere(VKI_ROUND_UP(len, VKI_PAGE_SIZE), VKI_OS_META);
}

static void meta_unmap(void *p, size_t len)
{
	vki_os_unmap(p, VKI_ROUND_UP(len, VKI_PAGE_SIZE));
}

/* Offsets for n pages of the memfd (lock held); false on failure. */
static bool take_offsets(size_t len, uint64_t *off)
{
	if (memfd < 0 && (memfd = vki_os_memfd("vkasan-pages")) < 0)
		return false;
	if (next_off + len > file_size) {
		uint64_t want = VKI_ROUND_UP(next_off + len, 64UL << 20);
		if (vki_os_ftruncate(memfd, want))
			return false;
		file_size = want;
	}
	*off = next_off;
	next_off += len;
	return true;
}

/* Map frames[0..n) over [addr, addr + n pages), a run of consecutive
 * offsets per call.  On failure the part done is anonymous again. */
static int map_frames(uintptr_t addr, struct frame *const *f, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && f[j]->off == f[i]->off + (j - i) * VKI_PAGE_SIZE)
			j++;
		if (vki_os_map_memfd(addr + i * VKI_PAGE_SIZE, (j - i) * VKI_PAGE_SIZE, memfd,
				     f[i]->off)) {
			vki_os_arena_restore(addr, j * VKI_PAGE_SIZE);
			return -1;
		}
		i = j;
	}
	return 0;
}

/* Back to the arena's own memory.  If even that fails the range must not be
 * reused: it is left to the caller to keep it (returns false). */
static bool unalias(uintptr_t addr, size_t len)
{
	if (vki_os_arena_restore(addr, len) == 0)
		return true;
	vki_printf("vkasan: cannot map [%p, %p) anonymous again; the range is kept\n",
		   (void *)addr, (void *)(addr + len));
	return false;
}

/* Set of a frame pointer given by the caller, or NULL (lock held). */
static struct pset *set_of(const struct vk_page *p)
{
	uintptr_t a = (uintptr_t)p;
	struct pset *s = (struct pset *)vki_tree_floor(&sets, a);
	if (!s || a >= (uintptr_t)(s->frames + s->n) ||
	    (a - (uintptr_t)s->frames) % sizeof(struct frame))
		return NULL;
	return s;
}

/* The last reference is gone: the frames leave the memfd (lock held). */
static void set_release(struct pset *s)
{
	vki_tree_remove(&sets, &s->node);
	if (memfd >= 0)
		vki_os_punch_hole(memfd, s->frames[0].off, s->n * VKI_PAGE_SIZE);
	meta_unmap(s, s->metalen);
}

/* Take a reference on every frame (lock held); false if one is bad. */
static bool frames_get(struct vk_page *const *pages, size_t n, struct frame **out)
{
	for (size_t i = 0; i < n; i++) {
		struct pset *s = set_of(pages[i]);
		if (!s || s->freed) {
			vki_printf("vkasan: vmap: page %zu (%p) is not a live frame from "
				   "vk_pages_alloc\n", i, (const void *)pages[i]);
			for (size_t k = 0; k < i; k++)
				out[k]->set->refs--;
			return false;
		}
		out[i] = (struct frame *)pages[i];
		s->refs++;
	}
	return true;
}

static void frames_put(struct frame *const *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pset *s = f[i]->set;
		if (--s->refs == 0 && s->freed)
			set_release(s);
	}
}

/* ---------------------------------------------------------------- pages */

VKI_EXPORT struct vk_page *vk_pages_alloc(size_t n)
{
	uint32_t stack = vki_stack_save(0);
	vki_init();
	if (!n || n > (1UL << 30) || !vki_arena_base)
		return NULL;
	size_t len = n * VKI_PAGE_SIZE, metalen = sizeof(struct pset) + n * sizeof(struct frame);
	struct pset *s = meta(metalen);
	if (!s)
		return NULL;
	lock();
	bool ok = take_offsets(len, &s->frames[0].off);
	unlock();
	uintptr_t addr = ok ? (uintptr_t)vki_area_alloc(len, VKI_PAGE_SIZE, VKI_OWNER_VMAP, stack)
			    : 0;
	if (!addr) {
		meta_unmap(s, metalen);
		return NULL;
	}
	if (vki_os_map_memfd(addr, len, memfd, s->frames[0].off)) {
		if (unalias(addr, len))
			area_free(addr, stack, 0);
		meta_unmap(s, metalen);
		return NULL;
	}
	s->addr = addr;
	s->n = n;
	s->metalen = metalen;
	for (size_t i = 0; i < n; i++) {
		s->frames[i].off = s->frames[0].off + i * VKI_PAGE_SIZE;
		s->frames[i].set = s;
	}
	s->node.key = (uintptr_t)s->frames;
	lock();
	vki_tree_insert(&sets, &s->node);
	unlock();
	return (struct vk_page *)s->frames;
}

VKI_EXPORT void *vk_page_address(const struct vk_page *page)
{
	lock();
	struct pset *s = set_of(page);
	void *a = s && !s->freed
			  ? (void *)(s->addr + (size_t)((const struct frame *)page - s->frames) *
						       VKI_PAGE_SIZE)
			  : NULL;
	unlock();
	return a;
}

VKI_EXPORT void vk_pages_free(struct vk_page *pages)
{
	if (!pages)
		return;
	uint32_t stack = vki_stack_save(0);
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	lock();
	struct pset *s = set_of(pages);
	if (!s || s->freed || (struct frame *)pages != s->frames) {
		unlock();
		vki_report_free((uintptr_t)pages, VKI_INVALID_FREE, pc);
		return;
	}
	s->freed = true;
	uintptr_t addr = s->addr;
	size_t len = s->n * VKI_PAGE_SIZE;
	unlock();
	if (unalias(addr, len))
		area_free(addr, stack, pc);
	lock();
	if (s->refs == 0)
		set_release(s);
	unlock();
}

/* ---------------------------------------------------------------- vmap */

static void *vmap_alias(struct vk_page *const *pages, size_t n, uint32_t stack)
{
	vki_init();
	if (!n || n > (1UL << 30) || !pages || !vki_arena_base)
		return NULL;
	size_t metalen = sizeof(struct alias) + n * sizeof(struct frame *);
	struct alias *r = meta(metalen);
	if (!r)
		return NULL;
	lock();
	bool ok = frames_get(pages, n, r->pages);
	unlock();
	uintptr_t addr = ok ? (uintptr_t)vki_area_alloc(n * VKI_PAGE_SIZE, VKI_PAGE_SIZE,
							 VKI_OWNER_VMAP, stack)
			    : 0;
	if (addr && map_frames(addr, r->pages, n)) {
		area_free(addr, stack, 0);
		addr = 0;
	}
	lock();
	if (!addr) {
		if (ok)
			frames_put(r->pages, n);
		unlock();
		meta_unmap(r, metalen);
		return NULL;
	}
	r->n = n;
	r->metalen = metalen;
	r->node.key = addr;
	vki_tree_insert(&aliases, &r->node);
	unlock();
	return (void *)addr;
}

VKI_EXPORT void *vk_vmap(struct vk_page *const *pages, size_t n)
{
	return vmap_alias(pages, n, vki_stack_save(0));
}

/* Not ours: the report the arena would give for freeing it. */
static void bad_unmap(uintptr_t addr, uintptr_t pc)
{
	struct vki_area_info ai;
	bool lazy = vki_arena_describe(addr, &ai) && ai.state == VKI_AREA_LAZY &&
		    ai.start == addr;
	vki_report_free(addr, lazy ? VKI_DOUBLE_FREE : VKI_INVALID_FREE, pc);
}

static void vunmap(uintptr_t addr, uint32_t stack, uintptr_t pc)
{
	lock();
	struct alias *r = (struct alias *)vki_tree_find(&aliases, addr);
	if (!r) {
		unlock();
		bad_unmap(addr, pc);
		return;
	}
	vki_tree_remove(&aliases, &r->node);
	unlock();
	if (unalias(addr, r->n * VKI_PAGE_SIZE))
		area_free(addr, stack, pc);
	lock();
	frames_put(r->pages, r->n);
	unlock();
	meta_unmap(r, r->metalen);
}

VKI_EXPORT void vk_vunmap(const void *addr)
{
	if (!addr)
		return;
	vunmap((uintptr_t)addr, vki_stack_save(0), (uintptr_t)__builtin_return_address(0));
}

/* ---------------------------------------------------------------- vm_map_ram */

/*
 * A block's last mapping went (no lock held): the arena takes it back
 * first, and only then does it leave our tree.  Until then the walk (which
 * sees the arena's live area) finds it here and checks it as a block, all
 * poisoned; a block out of our tree but live in the arena would look like
 * a plain mapping that is not accessible (and a fork child would keep it
 * so).  Nothing is handed out from it meanwhile: it is no longer cur.
 */
static void block_drop(struct block *b, uint32_t stack, uintptr_t pc)
{
	area_free(b->node.key, stack, pc);
	lock();
	if (!b->removed)
		vki_tree_remove(&blocks, &b->node);
	unlock();
	meta_unmap(b, sizeof(*b));
}

/* A block with room for n pages and a gap page, new if need be; lock held
 * on entry and on return (dropped while the arena makes a new block). */
static struct block *block_with_room(size_t n, uint32_t stack)
{
	if (cur && cur->next + n + 1 <= BLOCK_PAGES)
		return cur;
	unlock();
	struct block *b = meta(sizeof(*b));
	uintptr_t addr = b ? (uintptr_t)vki_area_alloc(BLOCK_PAGES * VKI_PAGE_SIZE,
							VKI_PAGE_SIZE, VKI_OWNER_VMAP, stack)
			   : 0;
	lock();
	if (!addr) {
		if (b)
			meta_unmap(b, sizeof(*b));
		return NULL;
	}
	/* Nothing is mapped in it yet: all poisoned, under our lock so that
	 * the walk sees either a plain new mapping or a block. */
	if (vki_opt.shadow)
		vki_shadow_poison(addr, addr + BLOCK_PAGES * VKI_PAGE_SIZE,
				  VKI_SHADOW_VMALLOC_INVALID);
	b->node.key = addr;
	/* A block whose arena mapping was freed and purged may still be in
	 * the tree under this key (block_drop has not taken it out yet). */
	struct block *old = (struct block *)vki_tree_find(&blocks, addr);
	if (old) {
		vki_tree_remove(&blocks, &old->node);
		old->removed = true;
	}
	vki_tree_insert(&blocks, &b->node);
	cur = b; /* a block left behind keeps serving until its mappings go */
	return b;
}

VKI_EXPORT void *vk_vm_map_ram(struct vk_page *const *pages, size_t n)
{
	uint32_t stack = vki_stack_save(0);
	if (n > VK_VMAP_BLOCK_MAX)
		return vmap_alias(pages, n, stack);
	vki_init();
	if (!n || !pages || !vki_arena_base)
		return NULL;
	lock();
	struct block *b = block_with_room(n, stack);
	struct frame *f[VK_VMAP_BLOCK_MAX];
	if (!b || !frames_get(pages, n, f)) {
		unlock();
		return NULL;
	}
	size_t i = b->next;
	uintptr_t addr = b->node.key + i * VKI_PAGE_SIZE;
	if (map_frames(addr, f, n)) {
		frames_put(f, n);
		bool empty = b->live == 0; /* a new block: give it back */
		if (empty && cur == b)
			cur = NULL;
		unlock();
		if (empty)
			block_drop(b, stack, 0);
		return NULL;
	}
	b->next = i + n + 1;
	b->count[i] = (uint8_t)n;
	for (size_t k = 0; k < n; k++)
		b->pages[i + k] = f[k];
	b->live++;
	if (vki_opt.shadow)
		vki_shadow_unpoison(addr, n * VKI_PAGE_SIZE);
	unlock();
	return (void *)addr;
}

VKI_EXPORT void vk_vm_unmap_ram(const void *mem, size_t n)
{
	uint32_t stack = vki_stack_save(0);
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	uintptr_t addr = (uintptr_t)mem;
	if (n > VK_VMAP_BLOCK_MAX) {
		vunmap(addr, stack, pc);
		return;
	}
	lock();
	struct block *b = (struct block *)vki_tree_floor(&blocks, addr);
	size_t i = b ? (addr - b->node.key) / VKI_PAGE_SIZE : 0;
	if (!b || i >= BLOCK_PAGES) { /* not in a block: whatever else it is */
		unlock();
		bad_unmap(addr, pc);
		return;
	}
	if (addr & (VKI_PAGE_SIZE - 1) || !n || b->count[i] != n) {
		unlock();
		vki_report_free(addr, VKI_INVALID_FREE, pc);
		return;
	}
	if (vki_opt.shadow)
		vki_shadow_poison(addr, addr + n * VKI_PAGE_SIZE, VKI_SHADOW_VMALLOC_INVALID);
	unalias(addr, n * VKI_PAGE_SIZE); /* on failure the block is simply kept */
	frames_put(b->pages + i, n);
	b->count[i] = 0;
	bool gone = --b->live == 0;
	if (gone && cur == b)
		cur = NULL;
	unlock();
	if (gone)
		block_drop(b, stack, pc);
}

/* ---------------------------------------------------------------- reports */

/* What the VMAP mapping holding addr is: an alias, a place in a vm_map_ram
 * block, or the frames' own mapping.  Nothing when this thread holds our
 * lock (a fault inside vmap.c). */
static bool print_frames_of(uintptr_t addr)
{
	if (vki_self()->holding_vmap)
		return false;
	lock();
	bool said = true;
	struct alias *r = (struct alias *)vki_tree_floor(&aliases, addr);
	struct block *b = (struct block *)vki_tree_floor(&blocks, addr);
	struct pset *s = NULL;
	for (struct vki_node *n = vki_tree_first(&sets); n; n = vki_tree_next(&sets, n))
		if (addr - ((struct pset *)n)->addr < ((struct pset *)n)->n * VKI_PAGE_SIZE)
			s = (struct pset *)n;
	if (r && addr < r->node.key + (r->n + 1) * VKI_PAGE_SIZE) {
		vki_report_printf("It is a vmap alias of %zu page frame(s) [0x%lx, 0x%lx)\n\n", r->n,
				  (unsigned long)r->node.key,
				  (unsigned long)(r->node.key + r->n * VKI_PAGE_SIZE));
	} else if (b && addr < b->node.key + (BLOCK_PAGES + 1) * VKI_PAGE_SIZE) {
		size_t i = (addr - b->node.key) / VKI_PAGE_SIZE, k = i + 1;
		while (k > 0 && !b->count[k - 1])
			k--;
		vki_report_printf("It is in a vm_map_ram block of %d page(s) [0x%lx, 0x%lx)",
				  BLOCK_PAGES, (unsigned long)b->node.key,
				  (unsigned long)(b->node.key + BLOCK_PAGES * VKI_PAGE_SIZE));
		if (k > 0) {
			uintptr_t ms = b->node.key + (k - 1) * VKI_PAGE_SIZE;
			uintptr_t me = ms + b->count[k - 1] * VKI_PAGE_SIZE;
			if (addr < me)
				vki_report_printf(", %lu bytes inside", (unsigned long)(addr - ms));
			else
				vki_report_printf(", %lu bytes to the right", (unsigned long)(addr - me));
			vki_report_printf(" of its %u-page mapping [0x%lx, 0x%lx)", b->count[k - 1],
					  (unsigned long)ms, (unsigned long)me);
		}
		vki_report_printf("\n\n");
	} else if (s) {
		vki_report_printf("It holds %zu page frame(s) from vk_pages_alloc%s\n\n", s->n,
				  s->freed ? ", freed" : "");
	} else {
		said = false;
	}
	unlock();
	return said;
}

/* The bug type as for vk_vmalloc memory: by the mapping's state. */
static void vmap_describe(struct vki_desc *d)
{
	vki_vmalloc_ops.describe(d);
}

/* The virtual mapping as vmalloc's, then what it maps. */
static void vmap_print(const struct vki_desc *d)
{
	vki_report_vm_area(d, NULL);
	print_frames_of(d->addr);
}

const struct vki_owner_ops vki_vmap_ops = {
	.name = "vmap",
	.describe = vmap_describe,
	.print = vmap_print,
};

/* ---------------------------------------------------------------- the walk */

static int expect(uintptr_t s, uintptr_t e, uint8_t code, bool user_poison, const char *what)
{
	for (uintptr_t a = s; a < e; a += VKI_GRANULE) {
		uint8_t v;
		if (!vki_shadow_peek(a, &v)) {
			vki_printf("vkasan: invariant: vm_map_ram block: no shadow at %p\n", (void *)a);
			return 1;
		}
		if (v != code && !(user_poison && code == 0 &&
				   (v == VKI_SHADOW_USER_POISON || v < VKI_GRANULE))) {
			vki_printf("vkasan: invariant: vm_map_ram block: %s at %p (0x%x)\n", what,
				   (void *)a, v);
			return 1;
		}
	}
	return 0;
}

int vki_vmap_verify_area(uintptr_t start, uintptr_t end, size_t size, bool user_poison)
{
	lock();
	struct block *b = (struct block *)vki_tree_find(&blocks, start);
	if (!b) {
		unlock();
		return -1; /* an alias or a page set: a plain mapping */
	}
	int bad = 0;
	for (size_t i = 0; i < BLOCK_PAGES; i++) {
		uintptr_t a = start + i * VKI_PAGE_SIZE;
		size_t n = b->count[i];
		if (n) {
			bad += expect(a, a + n * VKI_PAGE_SIZE, 0, user_poison, "mapping not accessible");
			i += n - 1;
		} else {
			bad += expect(a, a + VKI_PAGE_SIZE, VKI_SHADOW_VMALLOC_INVALID, false,
				      "gap not poisoned");
		}
	}
	bad += expect(start + BLOCK_PAGES * VKI_PAGE_SIZE, end, VKI_SHADOW_VMALLOC_INVALID, false,
		      "guard not poisoned");
	if (b->live < 0 || (size_t)b->live > BLOCK_PAGES / 2) {
		vki_printf("vkasan: invariant: vm_map_ram block %p has %d mappings\n",
			   (void *)start, b->live);
		bad++;
	}
	unlock();
	return bad;
}
