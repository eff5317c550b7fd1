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
 *
 * fork(): the child has only the forking thread, so every lock another
 * thread held would stay held for ever.  The arena lock (#3, a mutex held
 * across system calls) is taken before fork and released on both sides;
 * the spinlocks (report #2, depot #4) are never held across a fork by the
 * forking thread outside a report, and are reset in the child.  One handler,
 * calling each subsystem in lock order.
 */
#include "vk_internal.h"

static int init_state; /* 0 not yet, 1 running, 2 done (ok or failed) */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER; /* lock #1 */

static void fork_prepare(void)
{
	vki_arena_lock();
}

static void fork_parent(void)
{
	vki_arena_unlock();
}

static void fork_child(void)
{
	vki_thread_after_fork_child(); /* a new tid */
	vki_report_after_fork_child();
	vki_arena_after_fork_child();
	vki_depot_after_fork_child();
}

void vki_init(void)
{
	if (VKI_LIKELY(__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2))
		return;
	pthread_mutex_lock(&init_lock);
	if (init_state == 0) {
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
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_lock);
}

/* Priority 102: a program (or test) can set VKASAN_OPTIONS at 101. */
__attribute__((constructor(102))) static void init_ctor(void)
{
	vki_init();
}
