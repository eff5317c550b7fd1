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
 * stack still gets as far as the report.  The stacks are per-thread state
 * and live in thread.c (vki_thread_enter; a thread on an arena stack has
 * its signal stack inside that mapping, stack.c); this file only switches
 * them on.
 *
 * A fault cannot be resumed, so the process exits after the report whatever
 * halt_on_error says.
 */
#include "vk_internal.h"

#include <signal.h>

static struct sigaction old_segv, old_bus;
static bool installed; /* our handler is in place: the program's are kept above */

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
	if (vki_in_arena_shadow(a)) {
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
	struct sigaction dfl;
	vki_copy(&dfl, old, sizeof(dfl)); /* not "= *old": clang calls memcpy */
	if (si->si_code > 0 && old->sa_handler == SIG_IGN)
		dfl.sa_handler = SIG_DFL; /* an ignored fault would loop forever */
	vki_os_sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		vki_os_raise(sig);
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t mem;
	/* An outline check's shadow test read an absent window: its fixup
	 * takes it to the slow path (check.c). */
	if (si->si_code > 0 && vki_check_fault_fixup(uc, (uintptr_t)si->si_addr))
		return;
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
		/* A PROT_NONE page of the program's own mapping (a write
		 * barrier, a lazy loader): its handler decides, and only
		 * without one is it a report. */
		int mine = mem == (uintptr_t)si->si_addr ? vki_mmap_fault_is_program(mem) : 0;
		if (mine == 2 || (mine == 1 && vki_signal_program_handles(sig))) {
			chain(sig, si, uc);
			return;
		}
		vki_report_fault(mem, vki_arch_fault_is_write(uc), uc);
		/* Only reached when the report was suppressed (max_reports):
		 * the access cannot be resumed either way. */
	}
	chain(sig, si, uc);
}

/* ---------------------------------------------------------------- the program's handler */

/*
 * mmap.c's sigaction and signal land here for SIGSEGV and SIGBUS once our
 * handler is installed: the program's handler is kept as the one we chain
 * to, and ours stays first, so that inline checks reading released shadow
 * still resume (the program's handler would not know that address) and a
 * fault in the program's own PROT_NONE page still reaches the program.
 */
bool vki_signal_program_handles(int sig)
{
	const struct sigaction *old = old_action(sig);
	if (old->sa_flags & SA_SIGINFO)
		return old->sa_sigaction != NULL;
	return old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN;
}

int vki_signal_program_action(int sig, const struct sigaction *act, struct sigaction *old)
{
	/* handle_segv=0 set at run time: the program's call goes through. */
	if ((sig != SIGSEGV && sig != SIGBUS) || !__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return -1;
	if (!vki_opt.handle_segv) {
		vki_check_arm(false); /* the program's handler will not resume checks */
		return -1;
	}
	struct sigaction *keep = old_action(sig);
	/* Copies of a struct sigaction (152 bytes) through vki_copy: clang
	 * compiles a plain assignment that large into a call of memcpy, the
	 * runtime's own checked one. */
	struct sigaction prev;
	vki_copy(&prev, keep, sizeof(prev));
	if (act) {
		/* Block the signal while swapping, so that the handler never
		 * sees half a struct. */
		sigset_t block, saved;
		sigemptyset(&block);
		sigaddset(&block, sig);
		pthread_sigmask(SIG_BLOCK, &block, &saved);
		vki_copy(keep, act, sizeof(*keep));
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
	}
	if (old)
		vki_copy(old, &prev, sizeof(*old));
	return 0;
}

int vki_signal_context_frames(void *ucontext, uintptr_t *frames, int max)
{
	uintptr_t pc, fp, sp;
	vki_arch_context_regs(ucontext, &pc, &fp, &sp);
	return vki_stack_capture_from(pc, fp, sp, frames, max);
}

void vki_signal_init(void)
{
	static bool done;
	if (done || !vki_opt.handle_segv)
		return;
	done = true;
	vki_thread_altstack_enable(); /* from now on threads get signal stacks */
	struct sigaction sa = { 0 };
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	vki_os_sigaction(SIGSEGV, &sa, &old_segv);
	vki_os_sigaction(SIGBUS, &sa, &old_bus);
	__atomic_store_n(&installed, true, __ATOMIC_RELEASE);
	vki_check_arm(true);
}
