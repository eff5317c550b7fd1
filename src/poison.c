/*
 * poison.c - manual poisoning: AddressSanitizer's interface and ours.
 *
 * A custom allocator (a pool, a bump arena, an object cache) carves objects
 * out of memory it got in one piece, and only it knows which parts are in
 * use.  It tells the sanitizer by poisoning the parts that are not:
 *
 *   __asan_poison_memory_region / __asan_unpoison_memory_region
 *                    what existing projects call when they see
 *                    __SANITIZE_ADDRESS__ or __has_feature(address_sanitizer);
 *   vk_poison / vk_unpoison
 *                    the same, with a name for the object ("struct node").
 *
 * Both record who did it: each call leaves a record [start, end) with the
 * stack of the call, in an interval map (an AVL tree of disjoint ranges),
 * and a poisoning inherits the stack of the unpoisoning it undoes.  A report
 * on poisoned memory then says who poisoned it and who last unpoisoned it -
 * for an allocator, who freed the object and who allocated it - which
 * AddressSanitizer cannot say (google/sanitizers #191).
 *
 * Shadow semantics are AddressSanitizer's, granule by granule (8 bytes):
 *   poison   a granule wholly inside the range becomes 0xF7; the granule
 *            holding the start keeps its bytes below the start accessible;
 *            the granule holding the end is poisoned only if none of its
 *            accessible bytes lie beyond the end (a hole cannot be said).
 *   unpoison granules inside become 0; the granule holding the start becomes
 *            wholly accessible; the one holding the end accessible up to it.
 *
 * What can be poisoned: memory of a live arena mapping, clamped to its
 * requested size (so an unpoison never opens the tail or the guard page);
 * in inline mode also application memory the full shadow covers.  Anything
 * else is left alone (a note with verbosity >= 1): it is not checked.
 *
 * Memory is bounded: records come from our own chunks (never malloc), at
 * most MAX_RECORDS; when they are all in use the oldest record is dropped
 * (its range is then reported without stacks).  A freed mapping drops its
 * records (vki_poison_forget from the arena's free path).
 */
#include "vk_internal.h"

#define MAX_RECORDS (1UL << 16)
#define CHUNK_BYTES (256UL << 10)

struct rec {
	struct vki_node node; /* key = start */
	uintptr_t end;
	uint32_t poison_stack, poison_tid;
	uint32_t unpoison_stack, unpoison_tid;
	const char *name;
	struct rec *older, *newer; /* age list: oldest is evicted first */
	uint8_t poisoned;          /* else the record is of an unpoisoning */
};

static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;
static struct vki_tree recs;
static struct rec *oldest, *newest;
static struct rec *free_recs;
static unsigned long mapped, in_use, evicted;

#define REC(n) ((struct rec *)(n))

static void lock(void)
{
	pthread_mutex_lock(&plock);
	vki_self()->holding_poison = true;
}

static void unlock(void)
{
	vki_self()->holding_poison = false;
	pthread_mutex_unlock(&plock);
}

/* init.c's fork handler, after the arena lock (#3 before #7). */
void vki_poison_fork_prepare(void)
{
	lock();
}

void vki_poison_fork_parent(void)
{
	unlock();
}

void vki_poison_fork_child(void)
{
	vki_self()->holding_poison = false;
	pthread_mutex_init(&plock, NULL);
}

static void age_unlink(struct rec *r)
{
	if (r->older)
		r->older->newer = r->newer;
	else
		oldest = r->newer;
	if (r->newer)
		r->newer->older = r->older;
	else
		newest = r->older;
	r->older = r->newer = NULL;
}

static void age_append(struct rec *r)
{
	r->older = newest;
	r->newer = NULL;
	if (newest)
		newest->newer = r;
	else
		oldest = r;
	newest = r;
}

static void rec_free(struct rec *r)
{
	vki_tree_remove(&recs, &r->node);
	age_unlink(r);
	r->older = free_recs;
	free_recs = r;
	in_use--;
}

/* A record, from the free list, a new chunk, or by evicting the oldest. */
static struct rec *rec_alloc(void)
{
	if (!free_recs && mapped < MAX_RECORDS) {
		struct rec *c = vki_os_map_anywhere(CHUNK_BYTES, VKI_OS_META);
		if (c) {
			size_t n = CHUNK_BYTES / sizeof(*c);
			for (size_t i = 0; i < n; i++) {
				c[i].older = free_recs;
				free_recs = &c[i];
			}
			mapped += n;
		}
	}
	if (!free_recs) {
		if (!oldest)
			return NULL;
		rec_free(oldest);
		evicted++;
	}
	struct rec *r = free_recs;
	free_recs = r->older;
	vki_fill(r, 0, sizeof(*r));
	in_use++;
	return r;
}

/* Make [s, e) covered by no record.  spare: a record for the right part
 * of one that straddles the whole range (given back if not needed). */
static void cut(uintptr_t s, uintptr_t e, struct rec *spare)
{
	struct rec *r = REC(vki_tree_floor(&recs, s));
	if (r && r->node.key < s && r->end > s) {
		if (r->end > e) {
			if (spare) {
				*spare = *r;
				spare->node = (struct vki_node){ .key = e };
				vki_tree_insert(&recs, &spare->node);
				age_append(spare);
				spare = NULL;
			}
		}
		r->end = s;
	}
	while ((r = REC(vki_tree_ceil(&recs, s))) && r->node.key < e) {
		if (r->end > e) {
			/* Nothing else lies in [s, e) now: moving its key keeps order. */
			r->node.key = e;
			break;
		}
		rec_free(r);
	}
	if (spare) {
		spare->older = free_recs;
		free_recs = spare;
		in_use--;
	}
}

static void record(uintptr_t s, uintptr_t e, bool poisoned, uint32_t stack, const char *name)
{
	uint32_t tid = (uint32_t)vki_os_gettid();
	lock();
	struct rec *r = rec_alloc(), *spare = rec_alloc();
	/* The allocation stack of the object being poisoned, if we saw it. */
	struct rec *prev = REC(vki_tree_floor(&recs, s));
	uint32_t ustack = 0, utid = 0;
	const char *pname = NULL;
	if (prev && prev->end > s) {
		ustack = prev->unpoison_stack; /* its own, or the one it inherited */
		utid = prev->unpoison_tid;
		pname = prev->name;
	}
	cut(s, e, spare);
	if (r) {
		r->node.key = s;
		r->end = e;
		r->poisoned = poisoned;
		r->name = name ? name : pname;
		if (poisoned) {
			r->poison_stack = stack;
			r->poison_tid = tid;
			r->unpoison_stack = ustack;
			r->unpoison_tid = utid;
		} else {
			r->unpoison_stack = stack;
			r->unpoison_tid = tid;
		}
		vki_tree_insert(&recs, &r->node);
		age_append(r);
	}
	unlock();
}

void vki_poison_forget(uintptr_t start, uintptr_t end)
{
	lock();
	struct rec *spare = rec_alloc();
	cut(start, end, spare);
	unlock();
}

bool vki_poison_lookup(uintptr_t addr, struct vki_poison_info *out)
{
	if (vki_self()->holding_poison) /* a fault while we hold the lock: say nothing */
		return false;
	lock();
	struct rec *r = REC(vki_tree_floor(&recs, addr));
	bool found = r && addr < r->end && r->poisoned;
	if (found) {
		out->start = r->node.key;
		out->end = r->end;
		out->poison_stack = r->poison_stack;
		out->poison_tid = r->poison_tid;
		out->unpoison_stack = r->unpoison_stack;
		out->unpoison_tid = r->unpoison_tid;
		out->name = r->name;
	}
	unlock();
	return found;
}

int vki_poison_verify(void)
{
	lock();
	int bad = vki_tree_verify(&recs, "poison");
	uintptr_t prev_end = 0;
	for (struct vki_node *n = vki_tree_first(&recs); n; n = vki_tree_next(&recs, n)) {
		if (n->key < prev_end || REC(n)->end <= n->key) {
			vki_printf("vkasan: invariant: poison record [%p, %p) overlaps or is empty\n",
				   (void *)n->key, (void *)REC(n)->end);
			bad++;
		}
		prev_end = REC(n)->end;
	}
	if (recs.count != in_use) {
		vki_printf("vkasan: invariant: %lu poison records in use, %lu in the tree\n",
			   in_use, (unsigned long)recs.count);
		bad++;
	}
	unlock();
	return bad;
}

/* ---------------------------------------------------------------- shadow */

/* Accessible bytes at the start of a granule with shadow value v. */
static unsigned prefix(uint8_t v)
{
	return v == 0 ? VKI_GRANULE : v < VKI_GRANULE ? v : 0;
}

static void poison_shadow(uintptr_t beg, uintptr_t end)
{
	uint8_t *sb = (uint8_t *)vki_mem_to_shadow(beg), *se = (uint8_t *)vki_mem_to_shadow(end);
	unsigned bo = beg & (VKI_GRANULE - 1), eo = end & (VKI_GRANULE - 1);
	if (sb == se) { /* inside one granule */
		unsigned p = prefix(*sb);
		if (p > bo && p <= eo)
			*sb = bo ? (uint8_t)bo : VKI_SHADOW_USER_POISON;
		return;
	}
	if (bo) {
		if (prefix(*sb) > bo)
			*sb = (uint8_t)bo;
		sb++;
	}
	vki_fill(sb, VKI_SHADOW_USER_POISON, (size_t)(se - sb));
	if (eo) {
		unsigned p = prefix(*se);
		if (p && p <= eo)
			*se = VKI_SHADOW_USER_POISON;
	}
}

static void unpoison_shadow(uintptr_t beg, uintptr_t end)
{
	uint8_t *sb = (uint8_t *)vki_mem_to_shadow(beg), *se = (uint8_t *)vki_mem_to_shadow(end);
	unsigned bo = beg & (VKI_GRANULE - 1), eo = end & (VKI_GRANULE - 1);
	if (sb == se) {
		if (prefix(*sb) < eo)
			*sb = (uint8_t)eo;
		return;
	}
	if (bo)
		*sb++ = 0;
	vki_fill(sb, 0, (size_t)(se - sb));
	if (eo && prefix(*se) < eo)
		*se = (uint8_t)eo;
}

/* Clamp [*beg, *end) to memory we may poison; false when there is none. */
static bool poisonable(uintptr_t *beg, uintptr_t *end, bool mark)
{
	if (!vki_opt.shadow && vki_in_arena(*beg))
		return false;
	uintptr_t start;
	size_t size;
	if (vki_arena_live(*beg, &start, &size, mark)) {
		if (*end > start + size || *end < *beg)
			*end = start + size;
		return *beg < *end;
	}
	uint8_t v;
	if (!vki_in_arena(*beg) && !vki_in_arena(*end - 1) && vki_fullshadow_peek(*beg, &v) &&
	    vki_fullshadow_peek(*end - 1, &v))
		return true;
	if (vki_opt.verbosity)
		vki_printf("vkasan: poisoning [%p, %p) ignored: not memory vkasan checks\n",
			   (void *)*beg, (void *)*end);
	return false;
}

static void do_poison(const volatile void *p, size_t size, bool poison, const char *name,
		      uint32_t stack)
{
	vki_init();
	uintptr_t beg = (uintptr_t)p, end = beg + size;
	if (!size || end < beg || !vki_arena_base || !poisonable(&beg, &end, poison))
		return;
	if (poison)
		poison_shadow(beg, end);
	else
		unpoison_shadow(beg, end);
	record(beg, end, poison, stack, name);
}

static uintptr_t first_poisoned(uintptr_t beg, size_t size)
{
	vki_init();
	for (uintptr_t a = beg; a - beg < size; a++) {
		uint8_t v;
		bool known = vki_in_arena(a) ? vki_shadow_peek(a, &v) : vki_fullshadow_peek(a, &v);
		if (!known) {
			if (vki_in_arena(a) && vki_opt.shadow)
				return a; /* absent shadow: nothing lives there */
			continue;
		}
		if (v && (v & 0x80 || (a & (VKI_GRANULE - 1)) >= v))
			return a;
		if (!v) /* a whole accessible granule: skip it */
			a = (a | (VKI_GRANULE - 1));
	}
	return 0;
}

/* ---------------------------------------------------------------- API */

VKI_EXPORT void vk_poison(const void *p, size_t size, const char *name)
{
	do_poison(p, size, true, name, vki_stack_save(0));
}

VKI_EXPORT void vk_unpoison(const void *p, size_t size, const char *name)
{
	do_poison(p, size, false, name, vki_stack_save(0));
}

VKI_EXPORT const void *vk_region_is_poisoned(const void *p, size_t size)
{
	return (const void *)first_poisoned((uintptr_t)p, size);
}

VKI_EXPORT void __asan_poison_memory_region(void const volatile *p, size_t size)
{
	do_poison(p, size, true, NULL, vki_stack_save(0));
}

VKI_EXPORT void __asan_unpoison_memory_region(void const volatile *p, size_t size)
{
	do_poison(p, size, false, NULL, vki_stack_save(0));
}

VKI_EXPORT int __asan_address_is_poisoned(void const volatile *p)
{
	return first_poisoned((uintptr_t)p, 1) != 0;
}

VKI_EXPORT void *__asan_region_is_poisoned(void *p, size_t size)
{
	return (void *)first_poisoned((uintptr_t)p, size);
}

/* ---------------------------------------------------------------- report */

/*
 * report.c's describe, after the owner's hook, for an address of any owner:
 * the access's first bad byte in a range poisoned by hand makes it a
 * use-after-poison.  The shadow says 0xF7 there, or only "partly
 * accessible" for the granule holding the range's start (ASan's rounding);
 * a record says who poisoned it.  0xF7 without a record (evicted) is a
 * use-after-poison too, from the one switch, without stacks.
 */
void vki_poison_describe(struct vki_desc *d)
{
	struct vki_poison_info pi;
	if (d->kind != VKI_BUG_ACCESS || !d->present ||
	    !(d->code == VKI_SHADOW_USER_POISON || d->code < VKI_GRANULE))
		return;
	if (!vki_poison_lookup(d->bad_byte, &pi))
		return;
	d->poisoned = true;
	d->bug_type = vki_bug_type(true, VKI_SHADOW_USER_POISON);
}

static void print_task_stack(const char *what, uint32_t tid, uint32_t stack)
{
	vki_report_printf("%s by task ", what);
	vki_report_task(tid);
	vki_report_printf(":\n");
	uintptr_t frames[64];
	int n = vki_stack_fetch(stack, frames, 64);
	if (n) {
		vki_symbolize_batch(frames, n, false);
		vki_print_frames(frames, n);
	} else {
		vki_report_printf(" (stack not recorded)\n");
	}
	vki_report_printf("\n");
}

bool vki_poison_print(uintptr_t addr)
{
	struct vki_poison_info pi;
	if (!vki_poison_lookup(addr, &pi))
		return false;
	print_task_stack("The buggy address was poisoned", pi.poison_tid, pi.poison_stack);
	if (pi.unpoison_stack)
		print_task_stack("It was last unpoisoned", pi.unpoison_tid, pi.unpoison_stack);
	vki_report_printf("The buggy address is located %lu bytes inside of\n",
			  (unsigned long)(addr - pi.start));
	vki_report_printf(" poisoned %lu-byte region [0x%lx, 0x%lx)%s%s%s\n\n",
			  (unsigned long)(pi.end - pi.start), (unsigned long)pi.start,
			  (unsigned long)pi.end, pi.name ? " of '" : "", pi.name ? pi.name : "",
			  pi.name ? "'" : "");
	return true;
}
