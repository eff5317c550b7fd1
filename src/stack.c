/*
 * stack.c - thread stacks in the arena (the kernel's VMAP_STACK), and the
 * stack guard report.
 *
 * pthread_create is interposed (the runtime is linked into the program, so
 * its definition comes first; the C library's is found once with dlsym).  A
 * thread the caller gave no stack of its own runs on an arena mapping:
 *
 *   start                                                              end
 *   | G0 | signal stack | G1 | stack: size bytes          | rec | (guard) |
 *                            lo                          hi        ^ arena's
 *
 *   G1   guard marker (a real fault): an overflow is reported as a stack
 *        guard hit, on the signal stack;
 *   G0   guard marker under the signal stack, so that a runaway handler
 *        faults rather than writing into the mapping below;
 *   rec  struct thread_rec: start routine, tid, name and exit stack.
 *
 * glibc keeps the thread descriptor and static TLS at the top of the stack,
 * and the thread starts right below: the top 16 KiB get their shadow with
 * the mapping (together with the last window), the rest when used.
 *
 * Its shadow follows the arena's life cycle with one difference: only the
 * first window and the top 16 KiB are backed at creation, every window in
 * between on first use (arena.c, "lazily backed windows").  An 8 MiB stack
 * spans 256 windows; backing them all would cost 1 MiB of shadow per
 * thread, while a thread that uses 20 KiB of stack now costs three pages.
 * Outline checks back a window when they find it absent; inline code
 * touching absent shadow faults, and vki_stack_fault backs the window and
 * resumes the instruction.
 *
 * The stack is freed when the thread has really finished with it: after
 * pthread_join (or a successful tryjoin/timedjoin) for a joinable thread;
 * for a detached one once the kernel has released the thread (checked at
 * the next pthread_create and at vk_purge).  Freeing poisons it and puts
 * it on the lazy list, so a pointer into a dead thread's stack is reported
 * as use-after-free naming the thread, with where it exited as the free
 * stack.  A reused range is a fresh mapping, or a freed stack taken back
 * with its backed shadow cleared ("reuse" below): nothing stale survives,
 * including the redzones of frames that never returned.
 *
 * Every interposed thread also gets its alternate signal stack as it
 * starts (in the mapping, recorded in struct vki_thread so that thread.c's
 * exit hook leaves it alone; or thread.c's own for threads on their own
 * stacks), so a fault on a full stack is reported.  The reap list, the
 * reuse ring and the start-record pool are under lock #6 (a leaf), held
 * across fork by init.c's handler.
 */
#include "vk_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <ucontext.h>

#define ALT_SIZE (256UL << 10)
#define REC_MAGIC 0x766b737461636b31UL /* "vkstack1" */

struct thread_rec {
	uint64_t magic;            /* REC_MAGIC ^ address of the record */
	void *(*fn)(void *);
	void *arg;
	uintptr_t lo, hi;          /* the stack */
	uint32_t tid;              /* set by the thread as it starts */
	uint32_t exit_stack;       /* where it exited */
	char name[16];             /* its name when it exited */
	struct thread_rec *next;   /* reap list (detached threads) */
};

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);
typedef int (*tryjoin_fn)(pthread_t, void **);
typedef int (*timedjoin_fn)(pthread_t, void **, const struct timespec *);
typedef int (*clockjoin_fn)(pthread_t, void **, clockid_t, const struct timespec *);
typedef int (*detach_fn)(pthread_t);
typedef void (*exit_fn)(void *) __attribute__((noreturn));

static struct {
	create_fn create;
	join_fn join;
	tryjoin_fn tryjoin;
	timedjoin_fn timedjoin;
	clockjoin_fn clockjoin;
	detach_fn detach;
	exit_fn exit;
} real;


/* ---------------------------------------------------------------- the real functions */

/*
 * dlsym(RTLD_NEXT) finds the C library's definitions behind ours.  It may
 * allocate (dlerror state) only when a lookup fails, so it is done once,
 * from the first call (the program's first pthread_create, normally on the
 * main thread before any other thread exists), and published atomically.
 */
static void resolve(void)
{
	static int done;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return;
	real.create = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
	real.join = (join_fn)dlsym(RTLD_NEXT, "pthread_join");
	real.tryjoin = (tryjoin_fn)dlsym(RTLD_NEXT, "pthread_tryjoin_np");
	real.timedjoin = (timedjoin_fn)dlsym(RTLD_NEXT, "pthread_timedjoin_np");
	real.clockjoin = (clockjoin_fn)dlsym(RTLD_NEXT, "pthread_clockjoin_np");
	real.detach = (detach_fn)dlsym(RTLD_NEXT, "pthread_detach");
	real.exit = (exit_fn)dlsym(RTLD_NEXT, "pthread_exit");
	if (!real.create || !real.join || !real.detach || !real.exit)
		vki_die("vkasan: cannot find the C library's pthread functions (dlsym)\n");
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- records */

static struct thread_rec *rec_at(uintptr_t area_end)
{
	struct thread_rec *r = (struct thread_rec *)(area_end - 2 * VKI_PAGE_SIZE);
	return r->magic == (REC_MAGIC ^ (uintptr_t)r) ? r : NULL;
}

/* The record of the live thread stack holding addr (a pthread_t is the
 * thread descriptor, at the top of its stack). */
static struct thread_rec *rec_of(uintptr_t addr, uintptr_t *start)
{
	struct vki_area_info ai;
	if (!vki_arena_describe(addr, &ai) || ai.owner != VKI_OWNER_STACK ||
	    ai.state != VKI_AREA_BUSY)
		return NULL;
	*start = ai.start;
	return rec_at(ai.end);
}

/* Lock #6 (vk_internal.h): the reap list, the reuse ring and the pool of
 * start records; a leaf, held for a few loads and stores only. */
static vki_spin_t stack_lock = VKI_SPIN_INIT;
static struct thread_rec *reap_list;

#define lock(l) vki_spin_lock(l)
#define unlock(l) vki_spin_unlock(l)

/* ---------------------------------------------------------------- reuse
 *
 * A thread stack costs five OS calls a glibc stack from glibc's cache does
 * not (shadow, two guard markers, and at the purge their removal and the
 * shadow's release), and its data pages are given back at the purge.  So a
 * freed thread stack waits on the lazy list as any freed mapping (poisoned:
 * a stale pointer into it is reported), and once REUSE_DEPTH more have been
 * freed after it, a new thread of the same stack size takes it back as it
 * is, if no purge took it first (arena.c: vki_arena_revive_stack).  The
 * kernel keeps two freed VMAP stacks per CPU for the same reason.
 */
#define REUSE_RING 8
#define REUSE_DEPTH 2
static uintptr_t ring[REUSE_RING]; /* starts of freed thread stacks, oldest first */
static unsigned ring_head, ring_count;

static void stack_free(uintptr_t start, uint32_t exit_stack, uint32_t tid, uintptr_t pc)
{
	if (!vki_arena_free_stack(start, exit_stack, tid)) {
		vki_report_free(start, vki_area_free_bug(start), pc);
		return;
	}
	lock(&stack_lock);
	/* An entry for the same start is stale (a purge took that stack and
	 * the range was handed out again): this one is the newest. */
	unsigned keep = 0;
	for (unsigned i = 0; i < ring_count; i++) {
		uintptr_t s = ring[(ring_head + i) % REUSE_RING];
		if (s != start)
			ring[(ring_head + keep++) % REUSE_RING] = s;
	}
	ring_count = keep;
	if (ring_count == REUSE_RING) { /* the oldest stays for the purge */
		ring_head = (ring_head + 1) % REUSE_RING;
		ring_count--;
	}
	ring[(ring_head + ring_count++) % REUSE_RING] = start;
	unlock(&stack_lock);
}

/* A freed stack of size total to run on, or 0. */
static uintptr_t stack_reuse(size_t total, uint32_t stack, const size_t *guards, int nguards)
{
	for (;;) {
		lock(&stack_lock);
		if (ring_count <= REUSE_DEPTH) {
			unlock(&stack_lock);
			return 0;
		}
		uintptr_t start = ring[ring_head];
		ring_head = (ring_head + 1) % REUSE_RING;
		ring_count--;
		unlock(&stack_lock);
		if (vki_arena_revive_stack(start, total, stack, guards, nguards))
			return start;
	}
}

static void stack_release(pthread_t t, uintptr_t pc)
{
	uintptr_t start;
	struct thread_rec *r = rec_of((uintptr_t)t, &start);
	if (r)
		stack_free(start, r->exit_stack, r->tid, pc);
}

/* ---------------------------------------------------------------- detached threads */

static void reap_add(struct thread_rec *r)
{
	lock(&stack_lock);
	r->next = reap_list;
	reap_list = r;
	unlock(&stack_lock);
}

void vki_stack_reap(void)
{
	if (!__atomic_load_n(&reap_list, __ATOMIC_RELAXED))
		return;
	struct thread_rec *done = NULL;
	lock(&stack_lock);
	for (struct thread_rec **pp = &reap_list; *pp;) {
		struct thread_rec *r = *pp;
		uint32_t tid = __atomic_load_n(&r->tid, __ATOMIC_ACQUIRE);
		if (tid && vki_os_task_gone((int)tid)) {
			*pp = r->next;
			r->next = done;
			done = r;
		} else {
			pp = &r->next;
		}
	}
	unlock(&stack_lock);
	while (done) {
		struct thread_rec *r = done;
		done = r->next;
		stack_free(r->lo - 2 * VKI_PAGE_SIZE - ALT_SIZE, r->exit_stack, r->tid, 0);
	}
}

/* fork() (init.c's one handler, in lock order): the lists are consistent
 * in the child because the lock is held across the fork. */
void vki_stack_fork_prepare(void)
{
	lock(&stack_lock);
}

void vki_stack_fork_parent(void)
{
	unlock(&stack_lock);
}

void vki_stack_fork_child(void)
{
	vki_spin_reset(&stack_lock);
}

/* ---------------------------------------------------------------- start and exit */

static void note_exit(struct thread_rec *r, uint32_t stack)
{
	if (!r->exit_stack)
		r->exit_stack = stack;
	vki_os_thread_name(r->name, sizeof(r->name));
}

static void *thread_start(void *arg)
{
	struct thread_rec *r = arg;
	vki_self()->stack_rec = r;
	__atomic_store_n(&r->tid, (uint32_t)vki_os_gettid(), __ATOMIC_RELEASE);
	/* The signal stack lives in the mapping (thread.c knows: nothing to
	 * unmap at exit). */
	vki_thread_arena_altstack((void *)(r->lo - VKI_PAGE_SIZE - ALT_SIZE), ALT_SIZE);
	vki_thread_note(); /* reports name it after it exits */
	void *ret = r->fn(r->arg);
	note_exit(r, vki_stack_save(0));
	return ret;
}

/* Threads on stacks of their own still get a signal stack (signal.c's). */
struct plain_start {
	void *(*fn)(void *);
	void *arg;
	struct plain_start *next;
};

#define PLAIN_SLOTS 256
static struct plain_start plain_pool[PLAIN_SLOTS], *plain_free;
static int plain_init;

static struct plain_start *plain_get(void)
{
	lock(&stack_lock);
	if (!plain_init) {
		plain_init = 1;
		for (int i = 0; i < PLAIN_SLOTS; i++) {
			plain_pool[i].next = plain_free;
			plain_free = &plain_pool[i];
		}
	}
	struct plain_start *p = plain_free;
	if (p)
		plain_free = p->next;
	unlock(&stack_lock);
	return p;
}

static void *plain_thread_start(void *arg)
{
	struct plain_start *p = arg;
	void *(*fn)(void *) = p->fn;
	void *fa = p->arg;
	lock(&stack_lock);
	p->next = plain_free;
	plain_free = p;
	unlock(&stack_lock);
	vki_thread_enter();
	return fn(fa);
}

static int create_plain(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct plain_start *p = vki_opt.handle_segv ? plain_get() : NULL;
	if (!p) /* pool exhausted: the thread gets its signal stack on its first vk_vmalloc */
		return real.create(t, attr, fn, arg);
	p->fn = fn;
	p->arg = arg;
	int rc = real.create(t, attr, plain_thread_start, p);
	if (rc) {
		lock(&stack_lock);
		p->next = plain_free;
		plain_free = p;
		unlock(&stack_lock);
	}
	return rc;
}

/* ---------------------------------------------------------------- the interposed functions */

static bool has_own_stack(const pthread_attr_t *attr)
{
	void *addr = NULL;
	size_t size = 0;
	/* glibc answers stackaddr - stacksize, both 0 when none was set: the
	 * top of the stack is 0.  (getstackaddr would say so plainly but makes
	 * the linker warn in every program.) */
	return attr && pthread_attr_getstack(attr, &addr, &size) == 0 &&
	       (uintptr_t)addr + size != 0;
}

VKI_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
			      void *arg)
{
	resolve();
	vki_init();
	vki_stack_reap();
	if (!vki_opt.arena_stacks || !vki_arena_base || has_own_stack(attr))
		return create_plain(t, attr, fn, arg);

	pthread_attr_t a;
	size_t size = 0;
	int detach = PTHREAD_CREATE_JOINABLE;
	if (attr) {
		/* A shallow copy: glibc's attribute may point to a CPU set we
		 * must neither free nor duplicate (so the copy is not
		 * destroyed).  Setting the stack touches only the copy. */
		vki_copy(&a, attr, sizeof(a));
		pthread_attr_getdetachstate(attr, &detach);
	} else {
		pthread_attr_init(&a); /* no allocation: nothing to destroy */
	}
	pthread_attr_getstacksize(&a, &size); /* the default when unset (RLIMIT_STACK) */
	size = VKI_ROUND_UP(size ? size : 8UL << 20, VKI_PAGE_SIZE);
	size_t total = VKI_PAGE_SIZE + ALT_SIZE + VKI_PAGE_SIZE + size + VKI_PAGE_SIZE;
	if (total < size)
		return EINVAL;
	const size_t guards[2] = { 0, VKI_PAGE_SIZE + ALT_SIZE };
	uint32_t stack = vki_stack_save(0);
	uintptr_t start = stack_reuse(total, stack, guards, 2);
	if (!start) {
		struct vki_area_req req = {
			.size = total, .align = VKI_PAGE_SIZE, .owner = VKI_OWNER_STACK,
			.stack = stack, .shadow = true, .lazy = true, .eager_top = 16UL << 10,
			.markers_below = guards, .nmarkers = 2,
		};
		start = (uintptr_t)vki_area_alloc_ex(&req);
	}
	if (!start)
		return EAGAIN;
	uintptr_t lo = start + 2 * VKI_PAGE_SIZE + ALT_SIZE, hi = lo + size;
	struct thread_rec *r = (struct thread_rec *)(start + total - VKI_PAGE_SIZE);
	vki_fill(r, 0, sizeof(*r));
	r->magic = REC_MAGIC ^ (uintptr_t)r;
	r->fn = fn;
	r->arg = arg;
	r->lo = lo;
	r->hi = hi;
	int rc = pthread_attr_setstack(&a, (void *)lo, size);
	if (!rc)
		rc = real.create(t, &a, thread_start, r);
	if (rc) {
		r->magic = 0;
		vki_arena_free_stack(start, 0, 0);
		return rc;
	}
	if (detach == PTHREAD_CREATE_DETACHED)
		reap_add(r);
	return 0;
}

#define RET_PC ((uintptr_t)__builtin_return_address(0))

VKI_EXPORT int pthread_join(pthread_t t, void **ret)
{
	resolve();
	int rc = real.join(t, ret);
	if (!rc)
		stack_release(t, RET_PC);
	return rc;
}

VKI_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
	resolve();
	if (!real.tryjoin)
		return ENOSYS;
	int rc = real.tryjoin(t, ret);
	if (!rc)
		stack_release(t, RET_PC);
	return rc;
}

VKI_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	resolve();
	if (!real.timedjoin)
		return ENOSYS;
	int rc = real.timedjoin(t, ret, abstime);
	if (!rc)
		stack_release(t, RET_PC);
	return rc;
}

VKI_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
				    const struct timespec *abstime)
{
	resolve();
	if (!real.clockjoin)
		return ENOSYS;
	int rc = real.clockjoin(t, ret, clock, abstime);
	if (!rc)
		stack_release(t, RET_PC);
	return rc;
}

VKI_EXPORT int pthread_detach(pthread_t t)
{
	resolve();
	uintptr_t start;
	struct thread_rec *r = rec_of((uintptr_t)t, &start); /* before: t is valid now */
	int rc = real.detach(t);
	if (!rc && r)
		reap_add(r);
	return rc;
}

VKI_EXPORT void pthread_exit(void *ret)
{
	resolve();
	struct thread_rec *r = vki_self()->stack_rec;
	if (r)
		note_exit(r, vki_stack_save(0));
	real.exit(ret);
}

/* ---------------------------------------------------------------- reports */

#define P vki_report_printf

/* The usable stack of a STACK mapping: a thread's from its record, a
 * fiber's (fiber.c: | G0 | stack | guard |) from the mapping. */
static void usable(uintptr_t start, uintptr_t end, const struct thread_rec *r, uintptr_t *lo,
		   uintptr_t *hi)
{
	*lo = r ? r->lo : start + VKI_PAGE_SIZE;
	*hi = r ? r->hi : end - VKI_PAGE_SIZE;
}

bool vki_stack_of_thread(const struct vki_area_info *ai)
{
	return rec_at(ai->end) != NULL;
}

bool vki_stack_bounds(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	struct vki_area_info ai;
	if (!vki_arena_describe(addr, &ai) || ai.owner != VKI_OWNER_STACK)
		return false;
	usable(ai.start, ai.end, rec_at(ai.end), lo, hi);
	return addr >= *lo && addr < *hi;
}

/* Whose stack it is: the part of the print hook after the mapping. */
static void print_whose(uintptr_t addr, const struct vki_area_info *ai)
{
	const struct thread_rec *r = rec_at(ai->end);
	uintptr_t lo, hi;
	usable(ai->start, ai->end, r, &lo, &hi);
	bool dead = ai->state == VKI_AREA_LAZY;
	if (r) {
		P("The buggy address belongs to the stack of thread ");
		if (r->tid && r->name[0])
			P("%s/%u", r->name, r->tid);
		else if (r->tid)
			vki_report_task(r->tid);
		else
			P("(not started)");
		P("%s\n", dead ? ", which has exited" : "");
		char fn[256];
		vki_symbolize_function((uintptr_t)r->fn, true, fn, sizeof(fn));
		P(" [0x%lx, 0x%lx), thread function %s\n", (unsigned long)lo, (unsigned long)hi, fn);
	} else {
		P("The buggy address belongs to a fiber stack%s\n", dead ? ", freed" : "");
		P(" [0x%lx, 0x%lx)\n", (unsigned long)lo, (unsigned long)hi);
	}
	if (addr < lo)
		P("The buggy address is located %lu bytes below the stack\n\n",
		  (unsigned long)(lo - addr));
	else if (addr >= hi)
		P("The buggy address is located %lu bytes above the stack\n\n",
		  (unsigned long)(addr - hi));
	else
		P("The buggy address is located %lu bytes below the top of the stack\n\n",
		  (unsigned long)(hi - addr));
}

/*
 * The owner STACK's report hooks.  describe: a freed stack (a dead thread's,
 * a freed fiber's) is use-after-free; in a live one the inline redzones of
 * its frames mean what they mean on any stack (vki_bug_type's stack-*,
 * 0xF8 inside the usable stack is use-after-scope), and 0xF8 elsewhere (its
 * guard and signal-stack pages, the tail) is out-of-bounds of the mapping.
 */
static void stack_describe(struct vki_desc *d)
{
	if (d->kind != VKI_BUG_ACCESS)
		return;
	const struct vki_area_info *ai = &d->area;
	bool live = ai->state == VKI_AREA_BUSY;
	if (!live) {
		d->bug_type = "use-after-free";
		return;
	}
	if (!d->present) {
		d->bug_type = "wild-memory-access";
		return;
	}
	uintptr_t lo, hi;
	usable(ai->start, ai->end, rec_at(ai->end), &lo, &hi);
	if (d->code >= 1 && d->code <= 7)
		d->bug_type = "vmalloc-out-of-bounds";
	else if (d->code == VKI_SHADOW_STACK_USE_AFTER_SCOPE)
		d->bug_type = d->bad >= lo && d->bad < hi ? "stack-use-after-scope"
							  : "vmalloc-out-of-bounds";
}

/* A frame's redzone on a live stack is described like any stack's
 * (redzone.c: the frame and its variables); otherwise the mapping, its
 * stacks, and whose stack it is. */
static void stack_print(const struct vki_desc *d)
{
	const struct vki_area_info *ai = &d->area;
	const char *t = d->bug_type;
	bool frame = d->kind == VKI_BUG_ACCESS && ai->state == VKI_AREA_BUSY &&
		     (!vki_strncmp(t, "stack-", 6) || !vki_strncmp(t, "alloca-", 7));
	if (frame && vki_redzone_describe(d->addr, d->bad))
		return;
	/* [start, end) without the guard page, as the kernel shows a vm area */
	P("The buggy address belongs to the virtual mapping at\n");
	P(" [0x%lx, 0x%lx) created by:\n", (unsigned long)ai->start,
	  (unsigned long)(ai->end - VKI_PAGE_SIZE));
	vki_report_stack(ai->alloc_stack);
	P("\n");
	if (ai->state == VKI_AREA_LAZY) {
		P("Freed by task ");
		vki_report_task(ai->free_tid);
		P(":\n");
		vki_report_stack(ai->free_stack);
		P("\n");
	}
	print_whose(d->addr, ai);
}

const struct vki_owner_ops vki_stack_ops = {
	.name = "stack",
	.describe = stack_describe,
	.print = stack_print,
};

/* The main thread's stack, as the kernel placed it: its top, and the lowest
 * address RLIMIT_STACK lets it reach (learnt at start-up). */
extern void *__libc_stack_end;

static void guard_report(uintptr_t fault, uintptr_t lo, uintptr_t hi, void *uc)
{
	if (!vki_report_begin())
		return;
	const ucontext_t *u = uc;
	bool is_write = (u->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	uintptr_t frames[64];
	int n = vki_signal_context_frames(uc, frames, 64);
	vki_symbolize_batch(frames, n, true);
	P("BUG: stack guard page was hit at 0x%lx (stack is 0x%lx-0x%lx)\n", (unsigned long)fault,
	  (unsigned long)lo, (unsigned long)hi);
	P("%s at addr 0x%lx by task ", is_write ? "Write" : "Read", (unsigned long)fault);
	vki_report_task((uint32_t)vki_os_gettid());
	P("\n\nCall Trace:\n");
	vki_print_frames_ex(frames, n, true);
	P("\n");
	vki_report_end(true);
}

/* A fault just below the main thread's stack, which the kernel would not
 * grow any further (RLIMIT_STACK, or a mapping in the way). */
static bool main_guard(uintptr_t fault, void *uc)
{
	uintptr_t top = (uintptr_t)__libc_stack_end, lo, hi;
	const ucontext_t *u = uc;
	uintptr_t sp = (uintptr_t)u->uc_mcontext.gregs[REG_RSP];
	/* The stack pointer next to the fault (cheap tests first: programs
	 * may take faults of their own by the thousand). */
	if (!top || fault >= top || sp >= top || sp > fault + (64UL << 10) ||
	    sp + (64UL << 10) < fault || vki_os_gettid() != vki_os_getpid())
		return false;
	/* Just below the stack mapping (the kernel's guard gap is 1 MiB): an
	 * overflow, not a wild pointer. */
	if (vki_os_find_mapping(top - 1, &lo, &hi) || fault >= lo ||
	    lo - fault > (1UL << 20) + VKI_PAGE_SIZE)
		return false;
	guard_report(fault, lo, hi, uc);
	return true;
}

bool vki_stack_fault(uintptr_t fault, void *uc)
{
	if (!vki_arena_base)
		return false;
	if (!vki_in_arena(fault)) {
		uintptr_t mem = vki_shadow_to_mem(fault);
		if (fault >= vki_mem_to_shadow(vki_arena_base) &&
		    fault < vki_mem_to_shadow(vki_arena_end))
			return vki_arena_fill_window(mem); /* inline code, a live stack */
		return main_guard(fault, uc);
	}
	struct vki_area_info ai;
	if (!vki_arena_describe(fault, &ai) || ai.owner != VKI_OWNER_STACK ||
	    ai.state != VKI_AREA_BUSY)
		return false;
	const struct thread_rec *r = rec_at(ai.end);
	uintptr_t lo, hi;
	usable(ai.start, ai.end, r, &lo, &hi);
	if (r && fault < ai.start + VKI_PAGE_SIZE) /* G0: the signal stack overflowed */
		guard_report(fault, ai.start + VKI_PAGE_SIZE, ai.start + VKI_PAGE_SIZE + ALT_SIZE, uc);
	else if (fault >= lo - VKI_PAGE_SIZE && fault < lo) /* the stack overflowed */
		guard_report(fault, lo, hi, uc);
	return false;
}

/* ---------------------------------------------------------------- stale poison */

static void clear_run(uint8_t *s, uint8_t *e)
{
	while (s < e && ((uintptr_t)s & 7))
		if (*s)
			*s++ = 0;
		else
			s++;
	for (; s + 8 <= e; s += 8)
		if (*(uint64_t *)s)
			*(uint64_t *)s = 0;
	for (; s < e; s++)
		if (*s)
			*s = 0;
}

void vki_stack_clear_shadow(uintptr_t lo, uintptr_t hi)
{
	lo = VKI_ROUND_UP(lo, VKI_GRANULE);
	hi = VKI_ROUND_DOWN(hi, VKI_GRANULE);
	while (lo < hi) {
		uintptr_t wend = VKI_ROUND_DOWN(lo, VKI_WINDOW_SIZE) + VKI_WINDOW_SIZE;
		if (wend > hi || wend < lo)
			wend = hi;
		if (vki_arena_base && vki_in_arena(lo)) {
			if (vki_window_present(lo))
				clear_run((uint8_t *)vki_mem_to_shadow(lo),
					  (uint8_t *)vki_mem_to_shadow(wend));
		} else {
			uint8_t unused;
			if (vki_fullshadow_peek(lo, &unused))
				clear_run((uint8_t *)vki_mem_to_shadow(lo),
					  (uint8_t *)vki_mem_to_shadow(wend));
		}
		lo = wend;
	}
}
