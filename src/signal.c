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
 * The handler runs on an alternate signal stack (the main thread's, set up
 * here if the program has none) so that a fault on a full stack still gets
 * as far as the report.  A fault cannot be resumed, so the process exits
 * after the report whatever halt_on_error says.
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
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t mem;
	if (vki_in_report()) /* the report itself faulted: keep what it has */
		vki_report_nested_fault((uintptr_t)si->si_addr);
	/* si_code > 0: raised by the hardware, not sent by a process. */
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

/* An alternate stack for this thread, unless the program set one. */
static void setup_altstack(void)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return;
	char *mem = vki_os_map_anywhere(ALTSTACK_SIZE + VKI_PAGE_SIZE, VKI_OS_META);
	if (!mem)
		return;
	/* The lowest page faults, so an overflow of the handler is loud. */
	vki_os_guard_install((uintptr_t)mem, VKI_PAGE_SIZE, VKI_OS_META);
	stack_t ss = { .ss_sp = mem + VKI_PAGE_SIZE, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL))
		vki_os_unmap(mem, ALTSTACK_SIZE + VKI_PAGE_SIZE);
}

void vki_signal_init(void)
{
	static bool done;
	vki_report_init();
	if (done || !vki_opt.handle_segv)
		return;
	done = true;
	setup_altstack();
	struct sigaction sa = { 0 };
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}
