// Stack overflow hits a guard page and is reported in the kernel's words, on
// the alternate signal stack, naming the task: a thread on an arena stack
// (its guard page is a real fault marker below the stack), and the main
// thread, whose stack stays where the kernel put it (the guard gap below it,
// found from /proc/self/maps and RLIMIT_STACK).  Outline and inline alike:
// in inline mode the recursion also backs the stack's shadow window by
// window as frames poison their redzones.
//
// RUN: %cc %s -o %t -pthread
// RUN: not %run %t thread 2>&1 | FileCheck %s --check-prefix=THREAD %lines
// RUN: not %run %t main 2>&1 | FileCheck %s --check-prefix=MAIN %lines
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include "vktest.h"

static volatile int sink, never = -1;

VT_NOINLINE int recurse(int n)
{
	volatile char buf[200];
	if (n == never)
		return 0;
	buf[n % 200] = (char)n; // @FRAME
	sink = recurse(n + 1) + buf[n % 200]; // @CALL
	return sink;
}

static void *worker(void *arg)
{
	pthread_setname_np(pthread_self(), "vk-deep");
	vt_mark("worker tid=%ld\n", (long)syscall(SYS_gettid));
	return (void *)(long)recurse(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "main")) {
		// A small limit: the overflow comes quickly.
		struct rlimit rl = { 1 << 20, 1 << 20 };
		setrlimit(RLIMIT_STACK, &rl);
		vt_mark("main pid=%d\n", getpid());
		// MAIN: main pid=[[PID:[0-9]+]]
		// MAIN-NEXT: {{^={66}$}}
		// MAIN-NEXT: BUG: stack guard page was hit at [[A:0x[0-9a-f]+]] (stack is 0x{{[0-9a-f]+}}-0x{{[0-9a-f]+}})
		// MAIN-NEXT: {{Read|Write}} at addr [[A]] by task vktest/[[PID]]
		// MAIN: Call Trace:
		// The frame that overflowed: recurse's, or that of the runtime's
		// check it was calling (it runs on the same stack).
		// MAIN-NEXT: {{^ (recurse|check_[a-z_]+|__asan_[a-z0-9_]+)\+0x[0-9a-f]+/0x[0-9a-f]+ .*(stack_guard|check)\.c:[0-9]+$}}
		// MAIN: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_guard.c:{{[0-9]+}}
		// MAIN-NEXT: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_guard.c:[[#CALL]]
		// MAIN: {{^={66}$}}
		// MAIN-NOT: not reached
		recurse(0);
	} else {
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 1 << 20); /* reached sooner */
		pthread_t t;
		pthread_create(&t, &a, worker, NULL);
		// THREAD: worker tid=[[TID:[0-9]+]]
		// THREAD-NEXT: {{^={66}$}}
		// THREAD-NEXT: BUG: stack guard page was hit at [[A:0x[0-9a-f]+]] (stack is [[LO:0x[0-9a-f]+]]-0x{{[0-9a-f]+}})
		// THREAD-NEXT: {{Read|Write}} at addr [[A]] by task vk-deep/[[TID]]
		// THREAD: Call Trace:
		// The frame that overflowed: recurse's, or that of the runtime's
		// check it was calling (it runs on the same stack).
		// THREAD-NEXT: {{^ (recurse|check_[a-z_]+|__asan_[a-z0-9_]+)\+0x[0-9a-f]+/0x[0-9a-f]+ .*(stack_guard|check)\.c:[0-9]+$}}
		// THREAD: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_guard.c:{{[0-9]+}}
		// THREAD-NEXT: {{^ }}recurse+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_guard.c:[[#CALL]]
		// THREAD: {{^={66}$}}
		// THREAD-NOT: not reached
		pthread_join(t, NULL);
	}
	vt_mark("not reached\n");
	return 0;
}
