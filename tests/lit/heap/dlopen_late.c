// libvkasan.so loaded late: a plain (uninstrumented) program malloc'd with
// libc's malloc before it dlopen()s an instrumented library.  The library
// is bound to libvkasan.so's malloc/free (RTLD_DEEPBIND: its own
// dependencies first), frees the host's block and gives one back for the
// host to free.  Mixing allocators would make that free a false
// invalid-free (or free a heap block into libc); the heap stays off when
// ours is not the process's malloc, and everything goes to libc.
//
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %cc -fPIC -shared %S/../Inputs/dso_heap.c -o %t.d/libheap.so
// RUN: %cckind -g %s -o %t.d/host -ldl
// RUN: %run %t.d/host %t.d/libheap.so deep 2>&1 | FileCheck %s
// RUN: %run %t.d/host %t.d/libheap.so 2>&1 | FileCheck %s
// CHECK-NOT: KASAN
// CHECK: lib: heap_objects=0
// CHECK: host: got "from the library"
// CHECK-NOT: KASAN
// CHECK: host: done
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char *mine = malloc(24); /* libc's */
	strcpy(mine, "host");
	int flags = RTLD_NOW | (argc > 2 ? RTLD_DEEPBIND : 0);
	void *h = dlopen(argv[1], flags);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 3;
	}
	char *(*swap)(char *) = (char *(*)(char *))dlsym(h, "swap_block");
	char *theirs = swap(mine);
	fprintf(stderr, "host: got \"%s\"\n", theirs);
	free(theirs);
	fprintf(stderr, "host: done\n");
	return 0;
}
