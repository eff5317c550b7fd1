// print_stats=1 prints the heap's counters at exit, the same as
// vk_get_stats says at the end of main (nothing allocates or frees in
// between: the program writes with write(2), not stdio): live objects and
// their bytes, the quarantine's queue, the slabs and the large objects,
// whose sum is the heap's mappings.
//
// REQUIRES: outline
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=print_stats=1 %run %t 2>&1 | FileCheck %s
// CHECK: main: objects=[[#OBJ:]] bytes=[[#BYTES:]] quarantine=[[#Q:]] slabs=[[#SLABS:]] large=[[#LARGE:]] mappings=[[#MAPS:]] ok
// CHECK: vkasan statistics (pid
// CHECK: heap_mappings{{ +}}[[#MAPS]]{{$}}
// CHECK-NEXT: heap_shadow_pages{{ +}}[[#]]{{$}}
// CHECK-NEXT: heap_objects{{ +}}[[#OBJ]]{{$}}
// CHECK-NEXT: heap_bytes{{ +}}[[#BYTES]]{{$}}
// CHECK-NEXT: heap_quarantine_bytes{{ +}}[[#Q]]{{$}}
// CHECK-NEXT: heap_slabs{{ +}}[[#SLABS]]{{$}}
// CHECK-NEXT: heap_large_objects{{ +}}[[#LARGE]]{{$}}
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vkasan.h"

/* Kept (not leaks) and not folded away: the program's own globals. */
char *keep[10];
char *big;

int main(void)
{
	struct vk_stats s0, s;
	vk_get_stats(&s0);
	for (int i = 0; i < 10; i++) {
		keep[i] = malloc(100);
		__asm__ volatile("" : : "r"(keep[i]) : "memory");
	}
	big = malloc(1 << 20); /* a large object */
	memset(big, 1, 1 << 20);
	/* To the quarantine: this thread's batch joins its queue, which the
	 * counter counts, after 509 objects. */
	for (int i = 0; i < 600; i++) {
		char *p = malloc(200);
		__asm__ volatile("" : "+r"(p)); /* no folding of the pair at -O2 */
		free(p);
	}
	vk_get_stats(&s);
	int ok = s.heap_objects == s0.heap_objects + 11 &&
		 s.heap_bytes == s0.heap_bytes + 10 * 100 + (1 << 20) &&
		 s.heap_quarantine_bytes >= s0.heap_quarantine_bytes + 509 * 200 &&
		 s.heap_slabs >= 2 && s.heap_large_objects == s0.heap_large_objects + 1 &&
		 s.heap_slabs + s.heap_large_objects == s.heap_mappings;
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "main: objects=%llu bytes=%llu quarantine=%llu slabs=%llu large=%llu "
			 "mappings=%llu %s\n",
			 (unsigned long long)s.heap_objects, (unsigned long long)s.heap_bytes,
			 (unsigned long long)s.heap_quarantine_bytes,
			 (unsigned long long)s.heap_slabs, (unsigned long long)s.heap_large_objects,
			 (unsigned long long)s.heap_mappings, ok ? "ok" : "WRONG");
	if (write(2, line, (size_t)n) != n)
		return 2;
	return 0;
}
