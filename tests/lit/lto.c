// gcc -flto in a Makefile-style build, compile and link as separate steps
// (issue 16, point 1): gcc instruments at link time under LTO, so the link
// line, which has objects only, must keep the instrumentation flags, or the
// program has no checks at all.
// REQUIRES: gcc
//
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %cc -flto -c %s -o %t.d/main.o
// RUN: %cc -flto -c %S/Inputs/wrapper_lib.c -o %t.d/lib.o
// RUN: %vkcc %opt -flto %t.d/main.o %t.d/lib.o -o %t.d/prog
// RUN: nm %t.d/prog | FileCheck %s --check-prefix=NM-%vkmode
// NM-outline: __asan_store4_noabort
// NM-inline: __asan_report_store4_noabort
// RUN: not %run %t.d/prog 2>&1 | FileCheck %s
// CHECK: BUG: KASAN: vmalloc-out-of-bounds in
// CHECK-NEXT: Write of size 4 at addr 0x{{[0-9a-f]+}}014 by task prog
//
// -flto=auto on the link line: the flags stay too.
// RUN: %vkcc %opt -flto=auto %t.d/main.o %t.d/lib.o -o %t.d/prog2
// RUN: not %run %t.d/prog2 2>&1 | FileCheck %s
#include <stdint.h>
#include "vkasan.h"

void fill_table(uint32_t *t, int n);
volatile int n = 5;

int main(void)
{
	uint32_t *t = vk_vmalloc(n * sizeof(*t));
	fill_table(t, n);
	return 0;
}
