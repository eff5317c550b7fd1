/*
 * init.c - start-up order and the one fork handler.
 *
 * Start-up, once, from the first call into the runtime or the constructor,
 * whichever comes first:
 *
 *   1  options      defaults, then $VKASAN_OPTIONS (nothing else is read
 *                   before: the arena's size and the shadow are options)
 *   2  arena        reserve the arena and its shadow range (arena.c)
 *   3  full shadow  inline mode: the rest of the shadow layout around the
 *                   arena's (fullshadow.c), told whether step 2 worked
 *   4  freeze       start-up-only options are fixed from now on
 *   5  reports      the report stream (log_path)
 *   6  signals      the fault handler and this thread's signal stack
 *   7  fork         the fork handler below
 *   8  note         verbosity>=1: the start-up line (options.c)
 *
 * The heap (slab.c) is not a step: malloc.c sets it up right after this,
 * from the first malloc (or its constructor, whichever comes first), once
 * the options say heap=1.  vki_init itself never calls malloc, but the C
 * library may while it runs (dlsym of a name that is not there builds an
 * error message with malloc): such calls, made by the thread that is in
 * here (vki_self()->in_init), are served from malloc.c's start-up buffer
 * instead of waiting for init_lock, which that thread holds.
 *
 * One runtime per process: a copy of it that finds another one already in
 * the global scope stays idle (see another_runtime).  At exit, in order:
 *   1  the program's exit handlers and static destructors (registered after
 *      our constructor, so run before what it registers)
 *   2  the leak check (leak.c), an exit handler registered by init_ctor: it
 *      prints its report through the report stream and counts as a report
 *   3  the other destructors, then, after every other one, the verbosity
 *      summary and the exit status: exitcode when leaks were reported
 *      (unless leak_report_only) or, with fail_on_report, any report was
 *      (init_at_exit).
 *
 * fork(): the child has only the forking thread, so every lock another
 * thread held would stay held for ever.  The arena lock (#3, a mutex held
 * across system calls) is taken before fork and released on both sides;
 * so are the heap's locks (malloc.c's and slab.c's start-up locks first:
 * a heap start-up in progress on another thread is waited for; then
 * quarantine.c's and slab.c's), before it (lock order),
 * and the vmap (#7) and poison (#8) mutexes after it (with the heap's
 * locks held, vki_heap_lock_all also waits for other threads' lock-free
 * heap steps, so that no object's metadata is half written in the child);
 * the spinlocks (report #2, depot #4) are never held across a fork by the
 * forking thread outside a report, and are reset in the child; the stack
 * lock (#6, stack.c's lists) is taken before fork too (after the arena
 * lock) and reset in the child.  One handler,
 * calling each subsystem in lock order.
 */
#include "vk_internal.h"

#include <dlfcn.h>
#include <stdlib.h>

static int init_state; /* 0 not yet, 1 running, 2 done (ok or failed) */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER; /* lock #1 */

/* The fork handler runs only once vki_init registered it (step 7): a
 * thread still in vki_init at fork() had only the start-up note left, and
 * held init_lock, which the child's next call into the runtime would wait
 * for for ever.  (Not when the forking thread is that thread: a fork from
 * a signal handler, which goes on in the child.) */
static void init_after_fork_child(void)
{
	if (vki_self()->in_init)
		return;
	pthread_mutex_init(&init_lock, NULL);
	if (init_state == 1)
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

/* Weak: a program that links libvkasan.a itself (not through vkasan-cc),
 * with libc before it, keeps libc's malloc, and malloc.c (which defines
 * malloc) must not be pulled into its link by these references alone. */
#pragma weak vki_malloc_fork_prepare
#pragma weak vki_malloc_fork_parent
#pragma weak vki_malloc_fork_child

static void fork_prepare(void)
{
	if (vki_malloc_fork_prepare)
		vki_malloc_fork_prepare(); /* #2.1: the heap's start (malloc.c) */
	vki_heap_lock_all();       /* #2.2-2.7: set-up, quarantine, caches, large objects, headers */
	vki_arena_lock();          /* #3 */
	vki_stack_fork_prepare();  /* #6 */
	vki_vmap_fork_prepare();   /* #7 */
	vki_poison_fork_prepare(); /* #8 */
}

static void fork_parent(void)
{
	vki_poison_fork_parent();
	vki_vmap_fork_parent();
	vki_stack_fork_parent();
	vki_arena_unlock();
	vki_heap_unlock_all();
	if (vki_malloc_fork_parent)
		vki_malloc_fork_parent();
}

static void fork_child(void)
{
	init_after_fork_child();
	vki_thread_after_fork_child(); /* a new tid */
	vki_report_after_fork_child();
	vki_stack_fork_child();
	vki_arena_after_fork_child();
	vki_depot_after_fork_child();
	vki_vmap_fork_child();   /* its own memfd for new frames */
	vki_poison_fork_child();
	vki_heap_after_fork_child();
	if (vki_malloc_fork_child)
		vki_malloc_fork_child();
}

/*
 * One runtime per process.  A program linked with libvkasan.a exports the
 * runtime's symbols (vkasan-cc links it so), and a shared library built with
 * vkasan-cc -shared needs libvkasan.so: when both meet, every instrumented
 * module binds to the program's copy, found first, and libvkasan.so must
 * stay idle instead of fighting over the arena.  It is the idle one when the
 * global scope's vk_version is not its own.  (dlsym of a symbol that exists
 * does not allocate.)
 */
VKI_EXPORT const char *vk_version(void)
{
	return VKASAN_VERSION;
}

extern const char *vki_version_self(void) __attribute__((alias("vk_version"), visibility("hidden")));

static bool another_runtime(void)
{
	void *f = dlsym(RTLD_DEFAULT, "vk_version");
	return f && f != (void *)vki_version_self;
}

void vki_init(void)
{
	if (VKI_LIKELY(__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2))
		return;
	pthread_mutex_lock(&init_lock);
	vki_self()->in_init = true;
	if (init_state == 0 && another_runtime()) {
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE); /* idle copy */
	} else if (init_state == 0) {
		init_state = 1;
		vki_options_init();
		int ok = vki_arena_setup() == 0;
		vki_fullshadow_arena_ready(ok); /* inline mode: shadow around the arena's */
		vki_options_freeze();
		if (ok) {
			vki_report_init();
			vki_signal_init();
		}
		pthread_atfork(fork_prepare, fork_parent, fork_child);
		vki_options_startup_note();
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
	}
	vki_self()->in_init = false;
	pthread_mutex_unlock(&init_lock);
}

static int leaks_at_exit; /* leaks reported by the check at exit */

/* The leak check at exit (step 2 above).  Not after a report that halts
 * (that exit is the report's), nor in a runtime copy that stayed idle. */
static void init_leak_check(void)
{
	if (!vki_arena_base || !vki_opt.detect_leaks)
		return;
	if (vki_report_count() && vki_opt.halt_on_error)
		return;
	leaks_at_exit = vki_leak_check_at_exit();
}

/* Priority 102: a program (or test) can set VKASAN_OPTIONS at 101. */
__attribute__((constructor(102))) static void init_ctor(void)
{
	vki_init();
	atexit(init_leak_check);
}

/*
 * At exit: the verbosity summary, and fail_on_report.  Priority 101 runs
 * after the other destructors (print_stats first).  A copy of the runtime
 * that never set an arena up (libvkasan.so idle next to a program's own
 * runtime) says nothing.
 */
__attribute__((destructor(101))) static void init_at_exit(void)
{
	if (!vki_arena_base)
		return;
	unsigned long n = vki_report_count();
	if (vki_opt.verbosity >= 1 || (n && vki_opt.fail_on_report)) {
		vki_report_open_log();
		struct vk_stats st;
		vk_get_stats(&st);
		if (vki_opt.verbosity >= 1)
			vki_printf("vkasan: exit of pid %d: %lu report(s), %lu live mapping(s) "
				   "(%lu bytes), %lu shadow page(s) present, %lu purge(s)\n",
				   vki_os_getpid(), n, (unsigned long)st.live_areas,
				   (unsigned long)st.live_bytes, (unsigned long)st.shadow_pages,
				   (unsigned long)st.purges);
	}
	if (leaks_at_exit && !vki_opt.leak_report_only)
		vki_os_exit_now((int)vki_opt.exitcode); /* as LeakSanitizer: leaks fail the run */
	if (n && vki_opt.fail_on_report) {
		vki_printf("vkasan: %lu report(s) printed; exit status %d (fail_on_report=1)\n", n,
			   (int)vki_opt.exitcode);
		vki_os_exit_now((int)vki_opt.exitcode);
	}
}
