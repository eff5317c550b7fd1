/*
 * thread.c - the runtime's per-thread state and the one thread-exit hook.
 *
 * Everything the runtime keeps per thread is one struct vki_thread in one
 * initial-exec TLS variable (vk_internal.h lists the fields).  A thread
 * that enters the runtime (records a stack, gets a signal stack) arms one
 * thread-specific value once (vki_thread_note); its destructor runs when
 * the thread exits and tears down what the thread owns, each subsystem in
 * turn: it files the thread's name for later reports and unmaps its signal
 * stack.  Owners of memory with per-thread caches add their flush here.
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

/* The one thread-exit destructor. */
static void thread_exit(void *unused)
{
	task_file_name();
	vki_signal_thread_exit();
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
