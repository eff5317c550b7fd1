// A correct program that works the stack and globals hard must print no
// report in either mode: deep recursion with arrays in every frame, VLAs
// and allocas in loops, struct copies, memcpy/memset on locals and globals,
// qsort with callbacks, malloc'd buffers, vk_vmalloc memory, longjmp out of
// deep frames (the abandoned frames' redzones must not linger:
// __asan_handle_no_return), and four threads doing all of it at once.
//
// RUN: %cc %s -o %t -pthread
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// The same without recovery (--no-recover: noreturn report calls) is as clean:
// RUN: %cc --no-recover %s -o %t.nr -pthread
// RUN: %run %t.nr > %t.nr.out 2> %t.nr.err
// RUN: count 0 < %t.nr.err
// RUN: FileCheck %s < %t.nr.out
// CHECK: clean: 4 threads, sum {{[0-9]+}}, 0 errors, 0 reports, invariants 0
#include <alloca.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include "vktest.h"

struct rec {
	char name[13];
	int vals[7];
	short tail;
};

static struct rec table[64];
static char text[1000];
static int errors;
static __thread jmp_buf *escape;

static int cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	return x->vals[3] - y->vals[3];
}

VT_NOINLINE long deep(int n, unsigned seed)
{
	char buf[37];
	int ints[11];
	struct rec r;
	memset(buf, n, sizeof(buf));
	for (int i = 0; i < 11; i++)
		ints[i] = (int)(seed >> (i % 8)) + i;
	r = table[seed % 64];
	r.vals[6] += buf[36];
	if (n == 0) {
		if (seed % 3 == 0 && escape)
			longjmp(*escape, 1 + (int)(seed % 5));
		return buf[0] + ints[10] + r.vals[6];
	}
	char vla[n % 50 + 1];
	memset(vla, 1, sizeof(vla));
	long below = deep(n - 1, seed * 1103515245u + 12345u);
	return below + vla[n % 50] + buf[n % 37] + ints[n % 11] + r.tail;
}

static long round_trip(unsigned seed)
{
	jmp_buf here;
	volatile long got = 0;
	escape = &here;
	int r = setjmp(here);
	if (r == 0)
		got = deep(60 + (int)(seed % 40), seed);
	else
		got = r;
	escape = NULL;
	/* Fresh frames over the ones longjmp abandoned: must be clean. */
	char after[200];
	memset(after, 7, sizeof(after));
	return got + deep(30, seed + 1) + after[199];
}

static void *worker(void *arg)
{
	unsigned seed = 77u * (unsigned)(uintptr_t)arg + 1;
	long sum = 0;
	for (int round = 0; round < 200; round++) {
		sum += round_trip(seed + (unsigned)round);
		size_t n = 1 + (seed + (unsigned)round) % 300;
		char *heap = malloc(n), *vm = vk_vmalloc(n);
		char *a = alloca(n % 64 + 1);
		memset(heap, 3, n);
		memcpy(vm, heap, n);
		memset(a, 4, n % 64 + 1);
		sum += vm[n - 1] + heap[0] + a[n % 64];
		if (vm[n - 1] != 3)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
		free(heap);
		vk_vfree(vm);
		struct rec local[8];
		memcpy(local, table + (round % 56), sizeof(local));
		qsort(local, 8, sizeof(local[0]), cmp);
		sum += local[0].vals[3] + text[round % 1000];
	}
	return (void *)sum;
}

int main(void)
{
	for (int i = 0; i < 64; i++) {
		snprintf(table[i].name, sizeof(table[i].name), "rec-%d", i);
		for (int k = 0; k < 7; k++)
			table[i].vals[k] = (i * 37 + k * 11) % 101;
		table[i].tail = (short)i;
	}
	memset(text, 'a', sizeof(text));
	pthread_t t[4];
	long sum = 0;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	sum += (long)worker((void *)9);
	printf("clean: 4 threads, sum %ld, %d errors, %d reports, invariants %d\n", sum < 0 ? -sum : sum,
	       errors, (int)vt_reports(), vk_check_invariants());
	return 0;
}
