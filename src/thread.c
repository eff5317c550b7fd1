/*
 * thread.c - the runtime's per-thread state and the one thread-exit hook.
 *
 * Everything the runtime keeps per thread is one struct vki_thread in one
 * initial-exec TLS variable (vk_internal.h lists the fields).  A thread
 * that enters the runtime (records a stack, gets a signal stack) arms one
 * thread-specific value once (vki_thread_note); its destructor runs when
 * the thread exits and tears down what the thread owns, each subsystem in
 * turn: it files the thread's name for later reports and unmaps its signal
 * stack (the alternate stack the fault handler runs on is per-thread state,
 * so it is here too; signal.c only switches it on; a thread on an arena
 * stack has it inside that mapping, vki_thread_arena_altstack, and only
 * its record here).  Owners of memory with per-thread caches add their flush here.
 *
 * Task names.  A report names the task that freed a mapping, which has often
 * exited by then, and asking the kernel for every vk_vfree would cost a
 * system call each time.  Instead the exit hook files the thread's name, as
 * it is then, in a small table by tid.  Live threads are asked through /proc
 * at report time.
 */
#include "vk_internal.h"

__thread struct vki_thread vki_thread_self __attribute__((tls_model("initial-exec")));

#define TASK_SLOTS 4096

struct task_slot {
	uint32_t tid; /* 0: empty; written last */
	char name[16];
};

static struct task_slot task_table[TASK_SLOTS];
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static bool exit_key_ok;

static void task_file_name(void)
{
	uint32_t tid = (uint32_t)vki_os_gettid();
	struct task_slot *s = &task_table[tid % TASK_SLOTS];
	char name[16];
	vki_os_thread_name(name, sizeof(name));
	__atomic_store_n(&s->tid, 0, __ATOMIC_RELAXED);
	for (size_t i = 0; i < sizeof(name); i++)
		s->name[i] = name[i];
	__atomic_store_n(&s->tid, tid, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- signal stacks */

/*
 * The fault handler (signal.c) runs on an alternate signal stack so that a
 * fault on a full stack still gets as far as the report.  Each thread gets
 * its own, unless the program gave it one: the thread that sets the runtime
 * up at once, any other when it first enters the runtime (vki_thread_enter:
 * vki_area_alloc, vki_area_free; one TLS load after that).  The stack is
 * mapped by os.c, never malloc'd, and unmapped by the thread-exit hook
 * after SS_DISABLE; never while the thread still runs on it (that one
 * leaks: at most one stack per such thread).  A fork()ed child keeps the
 * calling thread's.  A thread that never enters the runtime has none, and
 * a fault on its full stack dies without a report.
 */
#define ALTSTACK_SIZE (256UL << 10)

static bool altstack_on; /* handle_segv: threads get stacks */

/* Thread exit: take our stack down, unless the thread is running on it. */
static void altstack_exit(void)
{
	void *sp = vki_self()->altstack;
	if (!sp)
		return;
	vki_self()->altstack = NULL;
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
void vki_thread_setup(void)
{
	vki_self()->signal_ready = true;
	if (!__atomic_load_n(&altstack_on, __ATOMIC_ACQUIRE))
		return;
	void *cur;
	size_t size;
	bool on_it;
	if (!vki_os_altstack_get(&cur, &size, &on_it))
		return;
	void *sp = vki_os_map_stack(ALTSTACK_SIZE);
	if (!sp)
		return;
	if (vki_os_altstack_set(sp, ALTSTACK_SIZE)) {
		vki_os_altstack_disable();
		vki_os_unmap_stack(sp, ALTSTACK_SIZE);
		return;
	}
	vki_self()->altstack = sp;
	vki_thread_note(); /* unmapped by the thread-exit hook */
}

void vki_thread_arena_altstack(void *sp, size_t size)
{
	struct vki_thread *t = vki_self();
	/* Off, or the OS refused: vki_thread_enter decides on its first entry
	 * (none, or one of ours to unmap at exit). */
	if (!__atomic_load_n(&altstack_on, __ATOMIC_ACQUIRE) || vki_os_altstack_set(sp, size))
		return;
	t->signal_ready = true;
	t->altstack = NULL; /* nothing to unmap: the mapping is freed after join */
	t->altstack_arena = true;
}

void vki_thread_altstack_enable(void)
{
	__atomic_store_n(&altstack_on, true, __ATOMIC_RELEASE);
	vki_thread_setup(); /* the thread setting the runtime up */
}

/* The one thread-exit destructor. */
static void thread_exit(void *unused)
{
	task_file_name();
	vki_heap_thread_exit(); /* magazines and quarantine batch back */
	altstack_exit();
}

static void exit_key_create(void)
{
	exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

void vki_thread_note(void)
{
	struct vki_thread *t = vki_self();
	if (VKI_LIKELY(t->exit_noted))
		return;
	t->exit_noted = true;
	pthread_once(&exit_once, exit_key_create);
	if (exit_key_ok)
		pthread_setspecific(exit_key, (void *)1);
}

void vki_thread_after_fork_child(void)
{
	vki_self()->tid = 0;
	vki_self()->holding_arena = 0;
}

/* The name an exited thread left behind, if its slot still holds it. */
static bool task_from_table(uint32_t tid, char *buf, size_t size)
{
	struct task_slot *s = &task_table[tid % TASK_SLOTS];
	if (!tid || __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE) != tid)
		return false;
	char name[16];
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = s->name[i];
	name[sizeof(name) - 1] = 0;
	if (__atomic_load_n(&s->tid, __ATOMIC_ACQUIRE) != tid)
		return false;
	vki_snprintf(buf, size, "%s", name);
	return true;
}

void vki_task_name(uint32_t tid, char *buf, size_t size)
{
	if ((int)tid == vki_os_gettid()) {
		vki_os_thread_name(buf, size);
		return;
	}
	vki_snprintf(buf, size, "?");
	char path[64];
	vki_snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
	long n = tid ? vki_os_read_file(path, buf, size - 1) : -1;
	if (n <= 0) {
		if (!task_from_table(tid, buf, size))
			vki_snprintf(buf, size, "?");
		return;
	}
	buf[n] = 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = 0;
}

/* "name/tid" into the report, for reports and owners' print hooks. */
void vki_report_task(uint32_t tid)
{
	char name[32];
	vki_task_name(tid, name, sizeof(name));
	vki_report_printf("%s/%u", name, tid);
}
