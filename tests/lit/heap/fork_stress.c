// fork() while other threads allocate and free: every child runs the heap's
// invariant walk at once, on the heap exactly as fork() left it.  Before the
// fork handler waited for the threads' lock-free heap steps (the metadata of
// an object being taken from a per-thread magazine, freed or recycled is
// written without a lock), a child could find an object with half-written
// metadata ("object metadata check failed").  More threads than cores, so
// that some are preempted at any point of their steps when fork() comes;
// a small quarantine, so that objects go back to their slabs (recycled)
// all the time too.  The children then allocate and free, and walk again.
// Every other round the parent walks its heap while the workers run (the
// walk waits for their steps the same way).  Once per compiler and level:
// the instrumentation mode does not matter here.
//
// REQUIRES: outline
// RUN: %cc %s -o %t -pthread
// RUN: env VKASAN_OPTIONS=quarantine_size=65536 %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: forks=120 bad_children=0 bad_parent_walks=0 parent_invariants=0
//
// Where membarrier(2) is refused (a seccomp filter), the steps fence
// themselves: the same holds, in a shorter run.
// RUN: %cc %s -o %t.nomb -pthread -DNO_MEMBARRIER -DFORKS=40
// RUN: env VKASAN_OPTIONS=quarantine_size=65536 %run %t.nomb > %t.nomb.out 2> %t.nomb.err
// RUN: count 0 < %t.nomb.err
// RUN: FileCheck %s --check-prefix=NOMB < %t.nomb.out
// NOMB: forks=40 bad_children=0 bad_parent_walks=0 parent_invariants=0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vkasan.h"

#define THREADS 8
#ifndef FORKS
#define FORKS 120
#endif

#ifdef NO_MEMBARRIER
/* The kernel refuses membarrier(2) (as a seccomp filter may): the heap's
 * steps fence themselves instead, before the runtime starts (102). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
__attribute__((constructor(101))) static void refuse_membarrier(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(3);
	if (syscall(SYS_membarrier, 0, 0, 0) != -1 || errno != ENOSYS)
		_exit(4);
}
#endif

static int stop, paused;

static void *worker(void *arg)
{
	unsigned r = (unsigned)(uintptr_t)arg;
	void *keep[16] = { 0 };
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (__atomic_load_n(&paused, __ATOMIC_RELAXED)) {
			usleep(100); /* the child runs alone meanwhile */
			continue;
		}
		r = r * 1103515245 + 12345;
		size_t n = 1 + (r >> 8) % (r & 0x10000 ? 3000 : 200);
		char *p = malloc(n);
		memset(p, 1, n);
		unsigned k = (r >> 20) % 16;
		free(keep[k]);
		keep[k] = p;
	}
	for (int k = 0; k < 16; k++)
		free(keep[k]);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	int bad = 0, walks_bad = 0;
	for (int k = 0; k < FORKS; k++) {
		__atomic_store_n(&paused, 0, __ATOMIC_RELAXED);
		usleep(500); /* let the workers run into their steps */
		if (k % 2)    /* and a walk of the parent's, while they run */
			walks_bad += vk_check_invariants() != 0;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			/* The workers' objects in flight have no thread here. */
			vk_set_option("detect_leaks", "0");
			int inv = vk_check_invariants();
			for (int i = 0; i < 200; i++)
				free(malloc(i * 13 + 1));
			inv += vk_check_invariants();
			_exit(inv != 0);
		}
		__atomic_store_n(&paused, 1, __ATOMIC_RELAXED);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("forks=%d bad_children=%d bad_parent_walks=%d parent_invariants=%d\n", FORKS, bad,
	       walks_bad, vk_check_invariants());
	return 0;
}
