/*
 * signal.c - faults that escape the checks become KASAN reports.
 *
 * Checks never fault: they consult the presence bitmap before reading
 * shadow.  But uninstrumented code can touch a protected page of the arena
 * (a guard page with guard_pages=1, memory beyond the committed arena), and
 * inline-instrumented code reads shadow itself and so can touch a released
 * shadow page.  Either way the access is a memory-safety bug in vmalloc
 * space and deserves a report, not a bare "Segmentation fault":
 *
 *   fault address in                  report on
 *   -------------------------------   ----------------------------------
 *   the arena                         the address itself
 *   the arena's shadow                the granule that shadow describes
 *   anywhere else                     nothing: the previous handler (or
 *                                     the default action) gets the signal
 *
 * The handler runs on an alternate signal stack so that a fault on a full
 * stack still gets as far as the report.  Each thread gets its own, unless
 * the program gave it one: the thread that sets the runtime up at once, a
 * thread that pthread_create starts as it starts (stack.c: in its arena
 * stack mapping, or from here), any other on its first vk_vmalloc or
 * vk_vfree (vki_signal_thread_init, one TLS load after that).  The stack
 * is mapped by os.c, never malloc'd, and
 * unmapped by a thread-specific destructor when the thread exits, after
 * SS_DISABLE; never while the thread still runs on it (that one leaks: at
 * most one stack per such thread).  A fork()ed child keeps the calling
 * thread's.  A thread created some other way that never allocates or
 * frees has none, and a fault on its full stack dies without a report.
 *
 * A fault cannot be resumed, so the process exits after the report whatever
 * halt_on_error says.
 */
#include "vk_internal.h"

#include <signal.h>
#include <ucontext.h>

#define ALTSTACK_SIZE (256UL << 10)

static struct sigaction old_segv, old_bus;

static struct sigaction *old_action(int sig)
{
	return sig == SIGBUS ? &old_bus : &old_segv;
}

/* The arena address a fault at a is about, if it is vkasan's. */
static bool fault_target(uintptr_t a, uintptr_t *mem)
{
	if (!vki_arena_base)
		return false;
	if (vki_in_arena(a)) {
		*mem = a;
		return true;
	}
	if (a >= vki_mem_to_shadow(vki_arena_base) && a < vki_mem_to_shadow(vki_arena_end)) {
		*mem = vki_shadow_to_mem(a);
		return true;
	}
	return false;
}

/*
 * Not ours: hand the signal on as if we had never been installed.  A
 * previous handler is called directly; otherwise the previous disposition
 * is restored and a hardware fault simply happens again when we return,
 * while a signal sent with kill() is raised again.
 */
static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = old_action(sig);
	if (old->sa_flags & SA_SIGINFO) {
		if (old->sa_sigaction) {
			old->sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	struct sigaction dfl = *old;
	if (si->si_code > 0 && old->sa_handler == SIG_IGN)
		dfl.sa_handler = SIG_DFL; /* an ignored fault would loop forever */
	vki_os_sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		vki_os_raise(sig);
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t mem;
	if (vki_in_report()) /* the report itself faulted: keep what it has */
		vki_report_nested_fault((uintptr_t)si->si_addr);
	/* si_code > 0: raised by the hardware, not sent by a process.  A
	 * stack's lazily backed shadow is backed and the access resumed; a
	 * stack guard page is reported (stack.c). */
	else if (si->si_code > 0 && vki_stack_fault((uintptr_t)si->si_addr, uc))
		return;
	else if (si->si_code > 0 && fault_target((uintptr_t)si->si_addr, &mem)) {
		/* An inline check read released shadow: finish its read as
		 * poison and let the check report the exact access. */
		if (vki_fullshadow_resume(uc, (uintptr_t)si->si_addr))
			return;
		const ucontext_t *u = uc;
		bool is_write = (u->uc_mcontext.gregs[REG_ERR] & 2) != 0;
		vki_report_fault(mem, is_write, uc);
		/* Only reached when the report was suppressed (max_reports):
		 * the access cannot be resumed either way. */
	}
	chain(sig, si, uc);
}

int vki_signal_context_frames(void *ucontext, uintptr_t *frames, int max)
{
	const ucontext_t *u = ucontext;
	const greg_t *g = u->uc_mcontext.gregs;
	return vki_stack_capture_from((uintptr_t)g[REG_RIP], (uintptr_t)g[REG_RBP],
				      (uintptr_t)g[REG_RSP], frames, max);
}

/* ---------------------------------------------------------------- stacks */

static bool enabled; /* handle_segv: threads get stacks */
static pthread_key_t stack_key; /* value: this thread's stack, to unmap at exit */
static bool stack_key_ok;
__thread bool vki_signal_thread_ready __attribute__((tls_model("initial-exec")));

/* Thread exit: take our stack down, unless the thread is running on it. */
static void stack_exit(void *sp)
{
	void *cur;
	size_t size;
	bool on_it;
	if (!vki_os_altstack_get(&cur, &size, &on_it) && cur == sp) {
		if (on_it || vki_os_altstack_disable())
			return; /* leak it: freeing it would pull the floor away */
	} else {
		/* The program replaced or disabled ours, which it cannot do
		 * while on it; still, never unmap the stack we stand on. */
		char here;
		if ((uintptr_t)&here - (uintptr_t)sp < ALTSTACK_SIZE)
			return;
	}
	vki_os_unmap_stack(sp, ALTSTACK_SIZE);
}

/* An alternate stack for this thread, unless it has one (the program's). */
void vki_signal_thread_setup(void)
{
	vki_signal_thread_ready = true;
	if (!__atomic_load_n(&enabled, __ATOMIC_ACQUIRE) || !stack_key_ok)
		return;
	void *cur;
	size_t size;
	bool on_it;
	if (!vki_os_altstack_get(&cur, &size, &on_it))
		return;
	void *sp = vki_os_map_stack(ALTSTACK_SIZE);
	if (!sp)
		return;
	if (vki_os_altstack_set(sp, ALTSTACK_SIZE) || pthread_setspecific(stack_key, sp)) {
		vki_os_altstack_disable();
		vki_os_unmap_stack(sp, ALTSTACK_SIZE);
	}
}

void vki_signal_init(void)
{
	static bool done;
	vki_report_init();
	if (done || !vki_opt.handle_segv)
		return;
	done = true;
	stack_key_ok = pthread_key_create(&stack_key, stack_exit) == 0;
	__atomic_store_n(&enabled, true, __ATOMIC_RELEASE);
	vki_signal_thread_setup(); /* the thread setting the runtime up */
	struct sigaction sa = { 0 };
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	vki_os_sigaction(SIGSEGV, &sa, &old_segv);
	vki_os_sigaction(SIGBUS, &sa, &old_bus);
}
