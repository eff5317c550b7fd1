/*
 * test_signal.c - the fault handler's alternate signal stacks.  Every
 * thread that pthread_create starts gets one as it starts (stack.c), every
 * other thread that enters the runtime (vk_vmalloc, vk_vfree) on its first
 * call, so a fault in the arena is reported even from a thread whose own
 * stack is nearly exhausted; a program's own stack is kept; threads that come and go
 * leave no mappings behind; fork() children keep the caller's.  Faults run
 * in forked children: a fault report always ends the process.
 */
#include "vtx.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

/* This thread's alternate signal stack, if it has one. */
static bool altstack(void **sp, size_t *size)
{
	stack_t ss;
	if (sigaltstack(NULL, &ss) || (ss.ss_flags & SS_DISABLE))
		return false;
	if (sp)
		*sp = ss.ss_sp;
	if (size)
		*size = ss.ss_size;
	return true;
}

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static bool libc_create; /* the C library's pthread_create: no signal stack at start */

static void run_thread(void *(*fn)(void *), void *arg, size_t stack_size)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (stack_size)
		pthread_attr_setstacksize(&a, stack_size);
	pthread_t t;
	create_fn create = libc_create ? (create_fn)dlsym(RTLD_NEXT, "pthread_create")
				       : pthread_create;
	EXPECT_EQ(create(&t, &a, fn, arg), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
}

/* ------------------------------------------------------------ who gets one */

struct seen {
	bool before, after;
	size_t size;
	void *p; /* to free, for first_vfree */
};

static void *first_vmalloc(void *arg)
{
	struct seen *s = arg;
	s->before = altstack(NULL, NULL);
	void *p = vk_vmalloc(100);
	s->after = altstack(NULL, &s->size);
	vk_vfree(p);
	return NULL;
}

static void *first_vfree(void *arg)
{
	struct seen *s = arg;
	s->before = altstack(NULL, NULL);
	vk_vfree(s->p);
	s->after = altstack(NULL, &s->size);
	return NULL;
}

TEST(main_thread_has_an_altstack)
{
	EXPECT(altstack(NULL, NULL));
}

TEST(pthread_create_thread_has_an_altstack_at_start)
{
	struct seen s = { 0 };
	run_thread(first_vmalloc, &s, 0);
	EXPECT(s.before);
	EXPECT(s.after);
	EXPECT(s.size >= 64 * 1024);
	EXPECT_EQ(vk_set_option("arena_stacks", "0"), 0); /* glibc's stack: signal.c's */
	s.before = false;
	run_thread(first_vmalloc, &s, 0);
	EXPECT(s.before);
	EXPECT_EQ(vk_set_option("arena_stacks", "1"), 0);
}

/* A thread started by the C library's pthread_create, not ours. */
TEST(thread_gets_an_altstack_on_first_vmalloc_or_vfree)
{
	struct seen s = { 0 };
	libc_create = true;
	run_thread(first_vmalloc, &s, 0);
	EXPECT(!s.before);
	EXPECT(s.after);
	EXPECT(s.size >= 64 * 1024);

	struct seen f = { .p = vk_vmalloc(100) };
	run_thread(first_vfree, &f, 0);
	EXPECT(!f.before);
	EXPECT(f.after);
	libc_create = false;
}

static void *own_altstack(void *arg)
{
	size_t n = 64 * 1024;
	void *mine = malloc(n);
	stack_t ss = { .ss_sp = mine, .ss_size = n, .ss_flags = 0 };
	EXPECT_EQ(sigaltstack(&ss, NULL), 0);
	vk_vfree(vk_vmalloc(100));
	void *sp = NULL;
	EXPECT(altstack(&sp, NULL));
	*(bool *)arg = sp == mine;
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	free(mine);
	return NULL;
}

TEST(program_altstack_is_kept)
{
	bool kept = false;
	run_thread(own_altstack, &kept, 0);
	EXPECT(kept);
}

/* ------------------------------------------------------------ a fault on a full stack */

static char log_prefix[64];
static bool disable_altstack; /* control: without one, no report */

/* Recurse until less than 768 bytes of this thread's stack are left (less
 * than any signal frame), then touch the arena where nothing is committed. */
static VKI_NOINLINE int deep(uintptr_t lo, int depth)
{
	volatile char pad[256];
	pad[0] = (char)depth;
	if ((uintptr_t)pad - lo > 768)
		return deep(lo, depth + 1) + pad[0];
	volatile char *far = (volatile char *)(vki_arena_end - VKI_WINDOW_SIZE + 40);
	return *far + pad[0];
}

static void *deep_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "vt-deep");
	vk_vfree(vk_vmalloc(100)); /* enters the runtime: gets its stack */
	if (disable_altstack) {
		stack_t ss = { .ss_flags = SS_DISABLE };
		sigaltstack(&ss, NULL);
	}
	char here;
	uintptr_t lo, hi; /* an arena stack (stack.c), or glibc's mapping */
	if (!vki_stack_bounds((uintptr_t)&here, &lo, &hi) &&
	    vki_os_find_mapping((uintptr_t)&here, &lo, &hi))
		_exit(3);
	deep(lo, 0);
	_exit(4); /* not reached: the fault ends the process */
	return arg;
}

/* Fork; the child runs deep_thread on a 128 KiB stack; its log in *text. */
static int fault_in_child(char **text)
{
	snprintf(log_prefix, sizeof(log_prefix), "/tmp/vkasan-test-signal-%d", (int)getpid());
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		vk_set_option("log_path", log_prefix);
		vk_set_option("symbolize", "0");
		vk_set_option("exitcode", "35");
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 128 * 1024);
		pthread_t t;
		if (pthread_create(&t, &a, deep_thread, NULL))
			_exit(2);
		pthread_join(t, NULL);
		_exit(5);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	char file[96];
	snprintf(file, sizeof(file), "%s.%d", log_prefix, (int)pid);
	*text = vt_read_file(file, 0);
	unlink(file);
	return st;
}

TEST(fault_on_a_nearly_full_thread_stack_is_reported)
{
	char *t;
	disable_altstack = false;
	int st = fault_in_child(&t);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 35);
	EXPECT(strstr(t, "BUG: KASAN: wild-memory-access in deep+0x") != NULL);
	EXPECT(strstr(t, " by task vt-deep/") != NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 35)
		fprintf(stderr, "  child status %#x, log:\n%s\n", st, t);

	/* The control: the same fault without the stack dies unreported. */
	disable_altstack = true;
	st = fault_in_child(&t);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	EXPECT(strstr(t, "KASAN") == NULL);
	disable_altstack = false;
}

/* ------------------------------------------------------------ no leaks */

static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmSize:", 7))
			kb = atol(line + 7);
	if (f)
		fclose(f);
	return kb;
}

static int churn_without_stack; /* threads that found no altstack */

static void *churn_thread(void *arg)
{
	void *p = vk_vmalloc(100 + (size_t)(uintptr_t)arg);
	if (!altstack(NULL, NULL))
		__atomic_add_fetch(&churn_without_stack, 1, __ATOMIC_RELAXED);
	vk_vfree(p);
	return NULL;
}

/* n threads, 8 at a time, each with one vk_vmalloc and vk_vfree. */
static void churn(int n)
{
	for (int i = 0; i < n; i += 8) {
		pthread_t t[8];
		for (int j = 0; j < 8; j++)
			EXPECT_EQ(pthread_create(&t[j], NULL, churn_thread, (void *)(uintptr_t)j), 0);
		for (int j = 0; j < 8; j++)
			pthread_join(t[j], NULL);
	}
}

TEST(thread_churn_leaves_no_mappings)
{
	churn(64); /* warm up: glibc's stack cache, the arena's first chunk */
	vk_purge();
	long lines0 = vtx_map_count(), kb0 = vm_size_kb();
	churn_without_stack = 0;
	churn(2000);
	vk_purge();
	long lines1 = vtx_map_count(), kb1 = vm_size_kb();
	EXPECT_EQ(churn_without_stack, 0);
	/* A leaked stack is 260 KiB: 2000 would be 500 MiB, and usually one
	 * line each (adjacent ones may merge, hence VmSize too). */
	EXPECT(lines1 - lines0 <= 16);
	EXPECT(kb1 - kb0 <= 32 * 1024);
	if (lines1 - lines0 > 16 || kb1 - kb0 > 32 * 1024)
		fprintf(stderr, "  maps lines %ld -> %ld, VmSize %ld -> %ld kB\n", lines0, lines1,
			kb0, kb1);
}

/* pthread_exit from a handler running on the altstack: the destructor must
 * not pull the stack from under the thread (glibc unwinds to the thread's
 * own stack first; either way nothing may crash). */
static void exit_handler(int sig)
{
	(void)sig;
	pthread_exit(NULL);
}

static void *exit_on_altstack(void *arg)
{
	vk_vfree(vk_vmalloc(100));
	pthread_kill(pthread_self(), SIGUSR1);
	return arg;
}

static void exits_on_altstack(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = exit_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 50; i++)
		run_thread(exit_on_altstack, NULL, 0);
	churn(8);
	EXPECT_EQ(churn_without_stack, 0);
}

TEST(thread_exit_from_a_handler_on_the_altstack)
{
	vtx_in_child(exits_on_altstack, "pthread_exit on the altstack");
}

/* ------------------------------------------------------------ fork */

static void *fork_from_thread(void *arg)
{
	vk_vfree(vk_vmalloc(100));
	void *sp = NULL;
	altstack(&sp, NULL);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		void *csp = NULL;
		bool ok = altstack(&csp, NULL) && csp == sp;
		char *p = vk_vmalloc(5000);
		ok = ok && p;
		if (p)
			p[4999] = 1; /* the stack page is still mapped: touch it too */
		volatile char *s = sp;
		s[0] = 1;
		vk_vfree(p);
		_exit(ok ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	*(int *)arg = st;
	return NULL;
}

TEST(fork_child_keeps_the_callers_altstack)
{
	int st = -1;
	run_thread(fork_from_thread, &st, 0);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

VT_MAIN()
