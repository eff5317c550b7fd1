// A pointer into the stack of a thread that has exited and was joined: its
// arena stack was poisoned and quarantined at the join, so the access is a
// use-after-free, and the report names the thread whose stack it was (and
// its thread function), "freed" where it exited.  With arena_stacks=0 the
// stack is glibc's and nothing is reported (outline mode checks only the
// arena).
//
// RUN: %cc %s -o %t -pthread
// RUN: not %run %t 2>&1 | FileCheck %s %lines
// RUN: env VKASAN_OPTIONS=arena_stacks=0 %run %t 2>&1 | FileCheck %s --check-prefix=OFF-%vkmode
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include "vktest.h"

static char *leaked;

VT_NOINLINE void keep(char *p)
{
	leaked = p;
}

static void *victim(void *arg)
{
	char local[64];
	pthread_setname_np(pthread_self(), "vk-victim");
	vt_mark("victim tid=%ld\n", (long)syscall(SYS_gettid));
	memset(local, 7, sizeof(local));
	keep(local);
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, victim, NULL); // @CREATE
	pthread_join(t, NULL);
	vt_mark("main pid=%d\n", getpid());
	// CHECK: victim tid=[[TID:[0-9]+]]
	// CHECK: main pid=[[PID:[0-9]+]]
	// CHECK-NEXT: expect-report: Read of size 8 at addr [[A:0x[0-9a-f]+]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: use-after-free in vt_read+0x
	// CHECK-NEXT: Read of size 8 at addr [[A]] by task vktest/[[PID]]
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: [0x{{[0-9a-f]+}}, 0x{{[0-9a-f]+}}) created by:
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_dead_thread.c:[[#CREATE]]
	// CHECK: Freed by task vk-victim/[[TID]]:
	// CHECK: The buggy address belongs to the stack of thread vk-victim/[[TID]], which has exited
	// CHECK-NEXT: [0x{{[0-9a-f]+}}, 0x{{[0-9a-f]+}}), thread function victim+0x0/0x
	// CHECK-NEXT: The buggy address is located {{[0-9]+}} bytes below the top of the stack
	// CHECK: {{^={66}$}}
	// CHECK-NOT: done
	// OFF-outline: done
	// OFF-inline: done
	if ((uintptr_t)leaked >> 40 == 0x60) /* on an arena stack */
		vt_expect("Read of size 8 at addr %p", (void *)(leaked + 8));
	vt_read(leaked + 8, 8);
	vt_mark("done\n");
	return 0;
}
