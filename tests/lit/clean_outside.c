// Memory outside the arena is not vkasan's: instrumented accesses to stack,
// globals, malloc'd and mmap'd memory, and string functions on them, are
// never reported - not even a read past a global array into its neighbour.
// Copies between the arena and such memory are checked on the arena side only.
//
// RUN: %cc %s -o %t
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: outside: sum={{[0-9]+}} reports=0
#include <stdlib.h>
#include <sys/mman.h>
#include "vktest.h"

struct two { char a[10]; char b[22]; };
struct two global = { "abcdefghi", "0123456789" };
static char zeroes[4096];

int main(int argc, char **argv)
{
	char stack[300];
	char *heap = calloc(1, 1000);
	char *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = vk_vmalloc(300);
	uint64_t sum = 0;

	for (int w = 1; w <= 16; w *= 2)
		for (int off = 0; off + w <= 300; off++) {
			vt_write(stack + off, w);
			vt_write(heap + off, w);
			vt_write(anon + 8192 - 300 + off, w);
			sum += vt_read(stack + off, w) + vt_read(heap + off, w);
			sum += vt_read(zeroes + off, w) + vt_read(anon + off, w);
		}
	// Past global.a, into global.b: not the arena, so not vkasan's business.
	sum += vt_read(global.a + 12, 4);
	sum += strlen(argv[0]) + strlen(global.b) + (argc > 5);
	memset(stack, 'x', sizeof(stack));
	memcpy(heap, stack, sizeof(stack));
	memmove(heap + 1, heap, 500);
	memcpy(p, heap, 300);
	memcpy(stack, p, 300);
	memcpy(anon, p, 300);
	memset(p, 0, 300);
	snprintf(stack, sizeof(stack), "%s %d", global.a, (int)strlen(heap));
	sum += (uint8_t)stack[0];
	vk_vfree(p);
	free(heap);
	munmap(anon, 8192);
	printf("outside: sum=%llu reports=%d\n", (unsigned long long)sum, (int)vt_reports());
	return 0;
}
