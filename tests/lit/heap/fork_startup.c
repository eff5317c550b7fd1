// fork() while another thread is setting the heap up: the fork waits for
// the start-up, so that the child finds the heap set up (or not started)
// and its start locks free.  Before, the child inherited malloc.c's and
// slab.c's start-up locks held by a thread that does not exist there, and
// its first malloc waited for ever.
//
// Deterministic: thread A is the first to allocate; a seccomp filter of its
// own turns its membarrier(2) calls, which the heap's set-up makes with
// both start-up locks held, into notifications that thread S answers only
// 300 ms later.  The main thread forks while A is held there; the child
// allocates under a 5 s alarm.  Until then nothing may start the heap
// elsewhere: the threads are created while environ is NULL (malloc.c
// serves such early calls - their TLS - from its start-up buffer), and
// the main thread prints with write(2), not stdio (which would malloc).
//
// REQUIRES: outline
// RUN: %cc %s -o %t -pthread
// RUN: %run %t > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// CHECK: start-up held on thread A
// CHECK-NEXT: child: malloc ok
// CHECK-NEXT: child exited 0
// CHECK-NEXT: thread A: malloc ok
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int listener = -1; /* A's notification fd (< -1: no filter) */
static int go, inside, a_done;

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(2);
}

static void *thread_a(void *arg)
{
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		usleep(1000);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int fd = -2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	__atomic_store_n(&listener, fd < 0 ? -2 : fd, __ATOMIC_RELEASE);
	char *p = malloc(16); /* starts the heap: held inside its set-up */
	__asm__ volatile("" : "+r"(p)); /* no folding of the pair at -O2 */
	memset(p, 1, 16);
	free(p);
	__atomic_store_n(&a_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Answers A's notifications: the first one 300 ms late. */
static void *thread_s(void *arg)
{
	int fd;
	while ((fd = __atomic_load_n(&listener, __ATOMIC_ACQUIRE)) == -1)
		usleep(1000);
	if (fd < 0) {
		__atomic_store_n(&inside, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	int first = 1;
	for (;;) {
		if (__atomic_load_n(&a_done, __ATOMIC_ACQUIRE)) {
			if (first) /* A never reached the heap's set-up */
				__atomic_store_n(&inside, -2, __ATOMIC_RELEASE);
			break;
		}
		struct pollfd pf = { fd, POLLIN, 0 };
		int n = poll(&pf, 1, first ? 5000 : 100);
		if (n <= 0) {
			if (first) { /* A never reached the heap's set-up */
				__atomic_store_n(&inside, -2, __ATOMIC_RELEASE);
				return NULL;
			}
			continue;
		}
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			continue;
		if (first) {
			first = 0;
			__atomic_store_n(&inside, 1, __ATOMIC_RELEASE);
			usleep(300000); /* the fork comes meanwhile */
		}
		struct seccomp_notif_resp resp;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static pthread_t ta, ts;

/* Before the runtime's constructors (102, 103), which would start the heap
 * on this thread. */
__attribute__((constructor(101))) static void setup(void)
{
	char **env = environ;
	environ = NULL; /* their start-up allocations: the start-up buffer */
	pthread_create(&ts, NULL, thread_s, NULL);
	pthread_create(&ta, NULL, thread_a, NULL);
	environ = env;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	int in;
	while (!(in = __atomic_load_n(&inside, __ATOMIC_ACQUIRE)))
		usleep(1000);
	if (in < 0) {
		say(in == -1 ? "no seccomp user notification\n"
			     : "the heap was set up before thread A\n");
		_exit(1);
	}
	say("start-up held on thread A\n");
	pid_t pid = fork();
	if (pid == 0) {
		alarm(5);
		char *p = malloc(100);
		__asm__ volatile("" : "+r"(p));
		memset(p, 2, 100);
		free(p);
		say("child: malloc ok\n");
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "child exited %d\n", WEXITSTATUS(st));
	else
		snprintf(buf, sizeof(buf), "child killed by signal %d\n", WTERMSIG(st));
	say(buf);
	pthread_join(ta, NULL);
	pthread_join(ts, NULL);
	say("thread A: malloc ok\n");
}

int main(void)
{
	return 0;
}
