// Reports name the task that did the bad access, the kernel's way:
// "by task <name>/<tid>", with the name set by pthread_setname_np().  A
// use-after-free also names the task that freed the mapping.
//
// RUN: %cc %s -o %t -pthread
// RUN: not %run %t access 2>&1 | FileCheck %s --check-prefix=ACCESS %lines
// RUN: not %run %t freed 2>&1 | FileCheck %s --check-prefix=FREED %lines
// (freed_by_exited_thread.c: the same after the freeing thread has exited)
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include "vktest.h"

static char *shared;

static void *worker(void *arg)
{
	pthread_setname_np(pthread_self(), "vk-worker");
	vt_mark("worker tid=%ld\n", (long)syscall(SYS_gettid));
	vt_expect("Write of size 2 at addr %p", (void *)(shared + 4096));
	vt_write(shared + 4096, 2); // @WRITE
	return arg;
}

static pthread_barrier_t freed;

// Frees, then stays alive until the process exits after the report.
static void *freer(void *arg)
{
	pthread_setname_np(pthread_self(), "vk-freer");
	vt_mark("freer tid=%ld\n", (long)syscall(SYS_gettid));
	vk_vfree(shared); // @FREE
	pthread_barrier_wait(&freed);
	for (;;)
		pause();
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t t;
	shared = vk_vmalloc(4096); // @ALLOC
	vt_mark("main pid=%d\n", getpid());
	if (!strcmp(mode, "access")) {
		// ACCESS: main pid=[[PID:[0-9]+]]
		// ACCESS: worker tid=[[TID:[0-9]+]]
		// ACCESS-NEXT: expect-report: Write of size 2 at addr [[A:0x[0-9a-f]+]]
		// ACCESS-NEXT: {{^={66}$}}
		// ACCESS-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_write+0x
		// ACCESS-NEXT: Write of size 2 at addr [[A]] by task vk-worker/[[TID]]
		// ACCESS: Call Trace:
		// ACCESS: {{^ }}worker+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}thread_name.c:[[#WRITE]]
		// ACCESS: created by:
		// ACCESS: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}thread_name.c:[[#ALLOC]]
		// ACCESS-NOT: joined
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(mode, "freed")) {
		// FREED: main pid=[[PID:[0-9]+]]
		// FREED: freer tid=[[TID:[0-9]+]]
		// FREED: expect-report: Read of size 8 at addr [[A:0x[0-9a-f]+]]
		// FREED-NEXT: {{^={66}$}}
		// FREED-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// FREED-NEXT: Read of size 8 at addr [[A]] by task vktest/[[PID]]
		// FREED: Freed by task vk-freer/[[TID]]:
		// FREED: {{^ }}freer+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}thread_name.c:[[#FREE]]
		// FREED-NOT: joined
		pthread_barrier_init(&freed, NULL, 2);
		pthread_create(&t, NULL, freer, NULL);
		pthread_barrier_wait(&freed);
		vt_expect("Read of size 8 at addr %p", (void *)(shared + 8));
		vt_read(shared + 8, 8);
	}
	vt_mark("joined\n");
	return 0;
}
