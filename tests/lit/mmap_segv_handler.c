// A program's own SIGSEGV handler (a GC write barrier, a lazy loader): it
// is installed after vkasan, gets the fault of a PROT_NONE page of its
// reservation with the page's own address (never a shadow address), makes
// the page writable and returns; the access is retried and succeeds.  No
// report, in outline and inline mode alike.  Installed with signal() too.
//
// RUN: %cc %s -o %t
// RUN: %run %t sigaction 2>&1 | FileCheck %s
// RUN: %run %t signal 2>&1 | FileCheck %s
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "vktest.h"

static char *res;
static size_t res_len = 64UL << 20;
static volatile int faults, bad_addr;
static volatile char *last;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;
	faults++;
	if (a < res || a >= res + res_len) {
		bad_addr++;
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	mprotect((void *)((uintptr_t)a & ~4095UL), 4096, PROT_READ | PROT_WRITE);
}

static void on_segv_plain(int sig)
{
	faults++;
	mprotect((void *)((uintptr_t)last & ~4095UL), 4096, PROT_READ | PROT_WRITE);
}

int main(int argc, char **argv)
{
	res = mmap(NULL, res_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!strcmp(argv[1], "sigaction")) {
		struct sigaction sa = { 0 }, old;
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGSEGV, NULL, &old);
		if (old.sa_sigaction != on_segv)
			return 3;
	} else {
		signal(SIGSEGV, on_segv_plain);
	}
	// Touch pages far apart: each faults once, then is writable.
	for (int i = 0; i < 20; i++) {
		last = res + (size_t)i * (3 << 20) + 123;
		vt_write(last, 8);
		vt_write(last, 8);
	}
	uint64_t sum = 0;
	for (int i = 0; i < 20; i++)
		sum += vt_read(res + (size_t)i * (3 << 20) + 123, 1);
	// CHECK: faults=20 bad=0 sum=1800 reports=0
	vt_mark("faults=%d bad=%d sum=%lu reports=%d\n", faults, bad_addr, (unsigned long)sum,
		(int)vt_reports());
	return 0;
}
