// MAP_SHARED anonymous memory is routed into the arena and stays shared
// across fork: the child's writes are seen by the parent, checked and
// clean on both sides; private routed memory stays private.
//
// RUN: %cc %s -o %t
// RUN: %run %t 2>&1 | FileCheck %s
#include <sys/mman.h>
#include <sys/wait.h>
#include "vktest.h"

int main(void)
{
	volatile int *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		s[2047] = 42;
		q[0] = 9;
		_exit(vt_reports() != 0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	// CHECK: in arena=1 child=0 shared=42 private=0 reports=0
	vt_mark("in arena=%d child=%d shared=%d private=%d reports=%d\n",
		(uintptr_t)s >> 44 == 6, WEXITSTATUS(st), s[2047], q[0], (int)vt_reports());
	munmap((void *)s, 8192);
	munmap((void *)q, 8192);
	return 0;
}
