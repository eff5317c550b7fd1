/*
 * mmap.c - the program's mappings are vmalloc space.
 *
 * The runtime is linked into the executable, so the mmap, mmap64, munmap,
 * mremap, mprotect and madvise it defines here are the ones the program
 * calls (the C library's own calls, malloc's included, go through its
 * internal names and are not ours; the runtime reaches the kernel with raw
 * system calls, os.c).  Option mmap=0 passes every call on untouched.
 *
 * Routed: a request without MAP_FIXED, MAP_FIXED_NOREPLACE or an address
 * hint, anonymous or file-backed, private or shared, that is not
 * MAP_GROWSDOWN, MAP_HUGETLB, MAP_32BIT or MAP_STACK.  It gets an arena
 * mapping (owner VKI_OWNER_MMAP): its length rounded up to pages, then a
 * guard page.  What the pages are:
 *
 *   private anonymous read-write ("plain")   the arena's own committed pages,
 *                                            zero (decommitted at purge):
 *                                            no system call at all
 *   anything else                            the real mapping, placed with
 *                                            MAP_FIXED over the arena range
 *                                            ("real": on munmap the range is
 *                                            mapped back to arena pages)
 *
 * Shadow: populated (shared with neighbours) and unpoisoned for an
 * accessible mapping; none for a PROT_NONE one (a reservation costs no
 * shadow).  munmap poisons and quarantines the range like vk_vfree, so a
 * stale pointer is a use-after-free with the munmap stack; the purge then
 * gives back data pages and windows.
 *
 * A mapping is split into pieces (arena areas without guard pages, the
 * last one keeps it) where the program changes part of it: partial munmap,
 * mprotect, MAP_FIXED over a part.  Each piece has one protection; an
 * inaccessible piece (PROT_NONE) has no shadow of its own (noshadow), and
 * an access to it is not reported by the checks: it faults exactly as
 * without vkasan, and the program's SIGSEGV handler gets it (signal.c keeps
 * ours first and chains); only without one does the fault become a report.
 *
 * The owner's word of each piece (the area's priv): protection, whether the
 * pages are a real mapping, the kind (anonymous, shared, file) and an index
 * into a small table of file paths for reports.
 */
#include "vk_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>

#define MD_PROT_MASK 7u         /* PROT_READ | PROT_WRITE | PROT_EXEC */
#define MD_REAL 8u              /* a real mapping: restore arena pages at unmap */
#define MD_KIND_SHIFT 4         /* 2 bits: */
#define MD_ANON 0u              /*   private anonymous */
#define MD_SHARED 1u            /*   shared anonymous */
#define MD_FILE 2u              /*   a file (path index below) */
#define MD_PATH_SHIFT 8         /* path index, 0: unknown */

#define MD_KIND(d) (((d) >> MD_KIND_SHIFT) & 3u)
#define RW (PROT_READ | PROT_WRITE)

static inline bool prot_accessible(int prot)
{
	return (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) != 0;
}

/* ---------------------------------------------------------------- file paths */

/* Paths of mapped files, for reports; interned under the arena lock.  When
 * the table is full, later files print as "?". */
#define NPATHS 255
#define PATH_LEN 120
static char paths[NPATHS + 1][PATH_LEN];
static unsigned npaths;

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uint32_t path_index(int fd)
{
	char buf[PATH_LEN];
	if (vki_os_fd_path(fd, buf, sizeof(buf)) <= 0)
		return 0;
	vki_arena_lock();
	uint32_t i;
	for (i = 1; i <= npaths && !same(paths[i], buf); i++)
		;
	if (i > npaths) {
		if (npaths < NPATHS)
			vki_copy(paths[i = ++npaths], buf, sizeof(buf));
		else
			i = 0;
	}
	vki_arena_unlock();
	return i;
}

bool vki_mmap_describe(const struct vki_area_info *ai, char *buf, size_t size)
{
	if (ai->owner != VKI_OWNER_MMAP)
		return false;
	uint32_t d = (uint32_t)ai->priv, p = d >> MD_PATH_SHIFT;
	const char *none = ai->state == VKI_AREA_BUSY && ai->noshadow ? ", PROT_NONE" : "";
	if (MD_KIND(d) == MD_FILE)
		vki_snprintf(buf, size, "mmap(file %s)%s", p && p <= npaths ? paths[p] : "?", none);
	else
		vki_snprintf(buf, size, "mmap(%s)%s", MD_KIND(d) == MD_SHARED ? "shared" : "anonymous",
			     none);
	return true;
}

/* ---------------------------------------------------------------- pieces */

static bool routing(void)
{
	vki_init();
	return vki_opt.mmap && vki_arena_base;
}

/* [s, e) meets the arena. */
static bool touches_arena(uintptr_t s, uintptr_t e)
{
	return vki_arena_base && s < vki_arena_end && e > vki_arena_base;
}

static bool is_piece(const struct vki_area *a)
{
	return a && a->owner == VKI_OWNER_MMAP;
}

/* Under the lock: [s, e) is wholly the data of live pieces, one after the
 * other (one mapping: no guard page in between). */
static bool covered(uintptr_t s, uintptr_t e)
{
	for (uintptr_t p = s; p < e;) {
		struct vki_area *a = vki_arena_busy_from(p);
		if (!is_piece(a) || a->node.key > p || p >= vki_area_data_end(a))
			return false;
		p = vki_area_data_end(a);
	}
	return true;
}

/* Under the lock, [s, e) covered: split so that pieces begin at s and end
 * at e.  0, or -1 (no metadata; a split already made stays, harmless). */
static int isolate(uintptr_t s, uintptr_t e)
{
	struct vki_area *a = vki_arena_busy_from(s);
	if (a->node.key < s && !vki_arena_split(a, s))
		return -1;
	a = vki_arena_busy_from(e - 1);
	if (vki_area_data_end(a) > e && !vki_arena_split(a, e))
		return -1;
	return 0;
}

/* The pieces of an isolated [s, e), in order. */
#define FOR_EACH_PIECE(a, s, e)                                                   \
	for (struct vki_area *a = vki_arena_busy_from(s); a && a->node.key < (e); \
	     a = vki_arena_busy_from(a->end))

/* After a failed change: pieces whose pages are still inaccessible lose
 * the shadow given to them in advance. */
static void undo_shadow(uintptr_t s, uintptr_t e)
{
	FOR_EACH_PIECE(a, s, e)
		if (!prot_accessible((int)(a->priv & MD_PROT_MASK)))
			vki_arena_set_shadow(a, false);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---------------------------------------------------------------- mmap */

static void *pass_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return vki_os_mmap(addr, len, prot, flags, fd, off);
}

/* A new mapping in the arena. */
static void *route(size_t len, int prot, int flags, int fd, off_t off, uint32_t stack)
{
	size_t rlen = VKI_ROUND_UP(len, VKI_PAGE_SIZE);
	int type = flags & MAP_TYPE;
	bool anon = flags & MAP_ANONYMOUS;
	bool plain = anon && type == MAP_PRIVATE && prot == RW &&
		     !(flags & ~(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE));
	uint32_t kind = !anon ? MD_FILE : type == MAP_PRIVATE ? MD_ANON : MD_SHARED;
	uint32_t d = ((uint32_t)prot & MD_PROT_MASK) | (plain ? 0 : MD_REAL) |
		     kind << MD_KIND_SHIFT;
	if (kind == MD_FILE)
		d |= path_index(fd) << MD_PATH_SHIFT;
	struct vki_area_req req = { .size = rlen, .align = VKI_PAGE_SIZE, .owner = VKI_OWNER_MMAP,
				    .stack = stack, .priv = d, .shadow = prot_accessible(prot),
				    .zero = plain };
	void *p = vki_area_alloc_ex(&req);
	if (!p) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	if (plain || !vki_os_map_fixed((uintptr_t)p, rlen, prot, flags, fd, off))
		return p;
	/* Refused (bad fd, offset, flags; or injected): whatever the kernel
	 * left there becomes arena pages again, and the range is freed. */
	int err = errno;
	vki_os_arena_restore((uintptr_t)p, rlen);
	vki_arena_lock();
	vki_arena_retire(vki_arena_busy_from((uintptr_t)p), stack);
	vki_arena_purge_if_needed();
	vki_arena_unlock();
	errno = err;
	return MAP_FAILED;
}

/* MAP_FIXED over [addr, addr + len) inside the arena: only over the
 * program's own live mappings (a double-mapped ring buffer over its own
 * reservation).  Anywhere else it would unmap vkasan's arena: refused. */
static void *fixed_over(uintptr_t s, size_t len, int prot, int flags, int fd, off_t off,
			uint32_t stack)
{
	uintptr_t e = s + VKI_ROUND_UP(len, VKI_PAGE_SIZE);
	if ((s & (VKI_PAGE_SIZE - 1)) || e <= s) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	bool anon = flags & MAP_ANONYMOUS;
	uint32_t kind = !anon ? MD_FILE : (flags & MAP_TYPE) == MAP_PRIVATE ? MD_ANON : MD_SHARED;
	uint32_t d = ((uint32_t)prot & MD_PROT_MASK) | MD_REAL | kind << MD_KIND_SHIFT;
	if (kind == MD_FILE)
		d |= path_index(fd) << MD_PATH_SHIFT;
	bool access = prot_accessible(prot);
	vki_arena_lock();
	if (!covered(s, e)) {
		vki_arena_unlock();
		static bool warned;
		if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
			vki_printf("vkasan: warning: MAP_FIXED at %p inside the vmalloc arena but "
				   "not over a mapping of the program's: refused (EINVAL)\n",
				   (void *)s);
		errno = EINVAL;
		return MAP_FAILED;
	}
	int err = ENOMEM;
	if (isolate(s, e))
		goto out;
	if (access)
		FOR_EACH_PIECE(a, s, e)
			if (vki_arena_set_shadow(a, true)) {
				undo_shadow(s, e);
				goto out;
			}
	if (vki_os_map_fixed(s, e - s, prot, flags, fd, off)) {
		err = errno;
		undo_shadow(s, e);
		goto out;
	}
	uint32_t tid = (uint32_t)vki_os_gettid();
	FOR_EACH_PIECE(a, s, e) {
		a->priv = d;
		a->alloc_stack = stack;
		a->alloc_tid = tid;
		if (!access)
			vki_arena_set_shadow(a, false);
	}
	vki_arena_unlock();
	return (void *)s;
out:
	vki_arena_unlock();
	errno = err;
	return MAP_FAILED;
}

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
		     uint32_t stack)
{
	if (!routing())
		return pass_mmap(addr, len, prot, flags, fd, off);
	uintptr_t a = (uintptr_t)addr;
	if ((flags & MAP_FIXED) && touches_arena(a, a + len))
		return fixed_over(a, len, prot, flags, fd, off, stack);
	/* Not routed: a fixed or hinted address is the program's choice;
	 * MAP_GROWSDOWN needs the kernel's stack guard gap below it, MAP_HUGETLB
	 * huge pages (the arena has none), MAP_32BIT the low 2 GiB, and
	 * MAP_STACK is a thread or coroutine stack, whose frames instrumented
	 * code poisons and unpoisons. */
	if (addr || !len || (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN |
				      MAP_HUGETLB | MAP_32BIT | MAP_STACK)) ||
	    len > (vki_arena_end - vki_arena_base) / 2)
		return pass_mmap(addr, len, prot, flags, fd, off);
	int type = flags & MAP_TYPE;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return pass_mmap(addr, len, prot, flags, fd, off);
	return route(len, prot, flags, fd, off, stack);
}

VKI_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off, vki_stack_save(0));
}

VKI_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off, vki_stack_save(0));
}

/* ---------------------------------------------------------------- munmap */

/* Under the lock: unmap the pieces of [s, e); what is not the program's
 * mapping (guard pages, free space, other owners) is left alone, as the
 * kernel leaves unmapped holes alone.  Splits first, so that running out of
 * metadata fails the call before anything is unmapped.  0 or -1 (errno). */
static int unmap_locked(uintptr_t s, uintptr_t e, uint32_t stack)
{
	struct vki_area *a = vki_arena_busy_from(s);
	if (is_piece(a) && a->node.key < s && s < vki_area_data_end(a) && !vki_arena_split(a, s))
		return fail(ENOMEM);
	a = vki_arena_busy_from(e - 1);
	if (is_piece(a) && a->node.key < e && e < vki_area_data_end(a) && !vki_arena_split(a, e))
		return fail(ENOMEM);
	for (uintptr_t p = s; p < e;) {
		a = vki_arena_busy_from(p);
		if (!a || a->node.key >= e)
			break;
		p = a->end;
		if (!is_piece(a) || a->node.key < s) /* s in its guard page */
			continue;
		uintptr_t de = vki_area_data_end(a);
		if ((a->priv & MD_REAL) && vki_os_arena_restore(a->node.key, de - a->node.key)) {
			vki_arena_purge_if_needed(); /* the pieces retired so far */
			return -1; /* as the kernel: ENOMEM, this piece still mapped */
		}
		vki_arena_retire(a, stack);
	}
	vki_arena_purge_if_needed();
	return 0;
}

VKI_EXPORT int munmap(void *addr, size_t len)
{
	uintptr_t s = (uintptr_t)addr, e = s + VKI_ROUND_UP(len, VKI_PAGE_SIZE);
	if (!routing() || !touches_arena(s, e))
		return vki_os_munmap(addr, len);
	if ((s & (VKI_PAGE_SIZE - 1)) || e <= s || s < vki_arena_base || e > vki_arena_end)
		return fail(EINVAL);
	uint32_t stack = vki_stack_save(0);
	vki_arena_lock();
	int r = unmap_locked(s, e, stack);
	vki_arena_unlock();
	return r;
}

/* ---------------------------------------------------------------- mprotect, madvise */

VKI_EXPORT int mprotect(void *addr, size_t len, int prot)
{
	uintptr_t s = (uintptr_t)addr, e = s + VKI_ROUND_UP(len, VKI_PAGE_SIZE);
	if (!routing() || !touches_arena(s, e) || !len)
		return vki_os_mprotect(addr, len, prot);
	if ((s & (VKI_PAGE_SIZE - 1)) || e <= s)
		return fail(EINVAL);
	bool access = prot_accessible(prot);
	int err = ENOMEM;
	vki_arena_lock();
	if (!covered(s, e) || isolate(s, e))
		goto out;
	/* Shadow first (it can fail), then the pages: an access checked
	 * between the two passes the check and meets the old protection. */
	if (access)
		FOR_EACH_PIECE(a, s, e)
			if (vki_arena_set_shadow(a, true)) {
				undo_shadow(s, e);
				goto out;
			}
	if (vki_os_protect(s, e - s, prot)) {
		err = errno;
		undo_shadow(s, e);
		goto out;
	}
	FOR_EACH_PIECE(a, s, e) {
		a->priv = (a->priv & ~MD_PROT_MASK) | ((uint32_t)prot & MD_PROT_MASK);
		if (prot != RW)
			a->priv |= MD_REAL; /* its own VMA now */
		if (!access)
			vki_arena_set_shadow(a, false);
	}
	vki_arena_unlock();
	return 0;
out:
	vki_arena_unlock();
	return fail(err);
}

VKI_EXPORT int madvise(void *addr, size_t len, int advice)
{
	uintptr_t s = (uintptr_t)addr, e = s + VKI_ROUND_UP(len, VKI_PAGE_SIZE);
	if (!routing() || !touches_arena(s, e) || !len)
		return vki_os_madvise(addr, len, advice);
	vki_arena_lock();
	if (!covered(s, e)) {
		vki_arena_unlock();
		return fail(ENOMEM);
	}
	int r = vki_os_madvise(addr, len, advice);
	/* Advice that only drops or fetches pages keeps the VMA as it is; any
	 * other (DONTFORK, HUGEPAGE, guard markers ...) makes it the program's:
	 * mapped back to arena pages at unmap. */
	if (!r && advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_WILLNEED &&
	    advice != MADV_COLD && advice != MADV_PAGEOUT)
		for (uintptr_t p = s; p < e;) {
			struct vki_area *a = vki_arena_busy_from(p);
			a->priv |= MD_REAL;
			p = vki_area_data_end(a);
		}
	vki_arena_unlock();
	return r;
}

/* ---------------------------------------------------------------- mremap */

/*
 * Shrinking unmaps the tail.  Growing or moving needs MREMAP_MAYMOVE (the
 * guard page and the neighbour follow a mapping; in place it is ENOMEM, a
 * refusal the kernel may give as well): a new arena mapping is taken and
 * the kernel moves the pages there (MREMAP_FIXED), whatever they are;
 * the old range becomes arena pages again, poisoned and quarantined
 * (use-after-free with the mremap stack).  MREMAP_DONTUNMAP keeps the old
 * range mapped (empty), so it stays live.  MREMAP_FIXED to an address
 * outside the arena moves the pages out of it; into the arena it is refused.
 */
static void *do_mremap(uintptr_t old, size_t oldlen, size_t newlen, int flags, uintptr_t dst,
		       uint32_t stack)
{
	size_t olen = VKI_ROUND_UP(oldlen, VKI_PAGE_SIZE), nlen = VKI_ROUND_UP(newlen, VKI_PAGE_SIZE);
	uintptr_t e = old + olen;
	if ((old & (VKI_PAGE_SIZE - 1)) || !olen || !nlen || e <= old)
		return errno = EINVAL, MAP_FAILED;
	if ((flags & MREMAP_FIXED) && touches_arena(dst, dst + nlen))
		return errno = EINVAL, MAP_FAILED;
	vki_arena_lock();
	struct vki_area *a = vki_arena_busy_from(old);
	if (!covered(old, e) || a->node.key > old || vki_area_data_end(a) < e) {
		vki_arena_unlock(); /* not one mapping of the program's */
		return errno = EFAULT, MAP_FAILED;
	}
	uint32_t d = (uint32_t)a->priv;
	bool access = !a->noshadow;
	if (!(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && nlen <= olen) {
		int r = nlen == olen ? 0 : unmap_locked(old + nlen, e, stack);
		vki_arena_unlock();
		return r ? MAP_FAILED : (void *)old;
	}
	vki_arena_unlock();
	if (!(flags & MREMAP_MAYMOVE))
		return errno = ENOMEM, MAP_FAILED;
	void *to = (void *)dst;
	if (!(flags & MREMAP_FIXED)) {
		struct vki_area_req req = { .size = nlen, .align = VKI_PAGE_SIZE,
					    .owner = VKI_OWNER_MMAP, .stack = stack,
					    .priv = d | MD_REAL, .shadow = access };
		to = vki_area_alloc_ex(&req);
		if (!to)
			return errno = ENOMEM, MAP_FAILED;
	}
	int err = EFAULT;
	vki_arena_lock();
	a = vki_arena_busy_from(old);
	if (!covered(old, e) || a->node.key > old || vki_area_data_end(a) < e) /* raced */
		goto undo;
	err = ENOMEM;
	if (isolate(old, e))
		goto undo;
	a = vki_arena_busy_from(old);
	if (vki_os_mremap((void *)old, olen, nlen,
			  (flags & MREMAP_DONTUNMAP) | MREMAP_MAYMOVE | MREMAP_FIXED, to) == MAP_FAILED) {
		err = errno;
		goto undo;
	}
	if (!(flags & MREMAP_DONTUNMAP)) {
		/* The kernel left a hole: arena pages again, then quarantine. */
		if (vki_os_arena_restore(old, olen))
			vki_arena_set_shadow(a, false); /* keep the hole owned */
		else
			vki_arena_retire(a, stack);
		vki_arena_purge_if_needed();
	}
	vki_arena_unlock();
	return to;
undo:
	if (!(flags & MREMAP_FIXED)) {
		vki_os_arena_restore((uintptr_t)to, nlen);
		vki_arena_retire(vki_arena_busy_from((uintptr_t)to), stack);
		vki_arena_purge_if_needed(); /* a big piece's poison waits for it */
	}
	vki_arena_unlock();
	errno = err;
	return MAP_FAILED;
}

VKI_EXPORT void *mremap(void *old, size_t oldlen, size_t newlen, int flags, ...)
{
	void *dst = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		dst = va_arg(ap, void *);
		va_end(ap);
	}
	uintptr_t o = (uintptr_t)old;
	if (!routing() || !touches_arena(o, o + (oldlen ? oldlen : 1))) {
		if (routing() && (flags & MREMAP_FIXED) &&
		    touches_arena((uintptr_t)dst, (uintptr_t)dst + newlen))
			return errno = EINVAL, MAP_FAILED; /* would unmap arena pages */
		return vki_os_mremap(old, oldlen, newlen, flags, dst);
	}
	return do_mremap(o, oldlen, newlen, flags, (uintptr_t)dst, vki_stack_save(0));
}

/* ---------------------------------------------------------------- faults */

/* The live piece holding addr in its data, if any. */
static bool live_piece(uintptr_t addr, struct vki_area_info *ai)
{
	return vki_in_arena(addr) && vki_arena_describe(addr, ai) && ai->owner == VKI_OWNER_MMAP &&
	       ai->state == VKI_AREA_BUSY &&
	       addr < (ai->noguard ? ai->end : ai->end - VKI_PAGE_SIZE);
}

bool vki_mmap_let_fault(uintptr_t addr, size_t size)
{
	if (!vki_arena_base || !vki_opt.mmap)
		return false;
	struct vki_area_info ai;
	uintptr_t last = addr + (size ? size - 1 : 0);
	return (live_piece(addr, &ai) && ai.noshadow) || (live_piece(last, &ai) && ai.noshadow);
}

/* The report hooks of the MMAP owner (owners[] in report.c): the bug types
 * of any virtual mapping; a checked access to PROT_NONE pages is no bug
 * (it faults by itself, as without vkasan, and the fault goes to the
 * program); the mapping printed with what made it. */
static void mmap_owner_describe(struct vki_desc *d)
{
	vki_vmalloc_ops.describe(d);
	if (d->kind == VKI_BUG_ACCESS && !d->fault && vki_mmap_let_fault(d->addr, d->size))
		d->let_fault = true;
}

static void mmap_owner_print(const struct vki_desc *d)
{
	char how[160];
	vki_report_vm_area(d, vki_mmap_describe(&d->area, how, sizeof(how)) ? how : NULL);
}

const struct vki_owner_ops vki_mmap_ops = {
	.name = "mmap",
	.describe = mmap_owner_describe,
	.print = mmap_owner_print,
};

bool vki_mmap_scannable(const struct vki_area *a)
{
	uint32_t d = (uint32_t)a->priv;
	return a->owner == VKI_OWNER_MMAP && !a->noshadow && MD_KIND(d) != MD_FILE &&
	       (d & (PROT_READ | PROT_WRITE));
}

int vki_mmap_fault_is_program(uintptr_t addr)
{
	struct vki_area_info ai;
	if (!vki_arena_base || !vki_opt.mmap || !live_piece(addr, &ai))
		return 0;
	return ai.noshadow ? 1 : 2;
}

/* ---------------------------------------------------------------- sigaction */

/*
 * A program that installs its SIGSEGV or SIGBUS handler after us would
 * replace ours; then an inline check reading released shadow, or a fault
 * on a freed mapping, would reach the program's handler with an address it
 * knows nothing about.  Ours stays installed instead and chains to the
 * program's for every fault that is not vkasan's (signal.c).
 */
static int program_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (vki_signal_program_action(sig, act, old) == 0)
		return 0;
	return vki_os_sigaction(sig, act, old);
}

VKI_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return program_sigaction(sig, act, old);
}

VKI_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;
	vki_fill(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART; /* BSD semantics, as the C library's signal() */
	sigemptyset(&sa.sa_mask);
	if (program_sigaction(sig, &sa, &old)) /* not through the PLT: rt-check */
		return SIG_ERR;
	return old.sa_handler;
}
