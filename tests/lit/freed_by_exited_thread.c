// "Freed by task <name>/<tid>:" must name the freeing thread even after it
// has exited - the usual case: a worker frees a buffer and finishes, and a
// stale pointer is used later.  The name has to be recorded at free time;
// /proc/self/task/<tid>/comm is gone by report time (and the tid may have
// been reused by another thread).
//
// RUN: %cc %s -o %t -pthread
// RUN: not %run %t 2>&1 | FileCheck %s
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include "vktest.h"

static char *shared;

static void *freer(void *arg)
{
	pthread_setname_np(pthread_self(), "vk-freer");
	vt_mark("freer tid=%ld\n", (long)syscall(SYS_gettid));
	// CHECK: freer tid=[[TID:[0-9]+]]
	// CHECK: BUG: KASAN: use-after-free in vt_read+0x
	// CHECK: Freed by task vk-freer/[[TID]]:
	// CHECK-NEXT: {{^ }}freer+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}freed_by_exited_thread.c:[[@LINE+1]]
	vk_vfree(shared);
	VT_NO_TAIL();
	return arg;
}

int main(void)
{
	pthread_t t;
	shared = vk_vmalloc(100);
	pthread_create(&t, NULL, freer, NULL);
	pthread_join(t, NULL);
	vt_expect("Read of size 1 at addr %p", (void *)shared);
	vt_read(shared, 1);
	return 0;
}
