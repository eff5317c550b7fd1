// vkasan-cc itself: compile-only, link-only, several sources, -o or a.out,
// -x, -S, -E, --version and -v passed through, --vkasan-help, the inline
// link object, a missing compiler, the shared runtime, and a shared library
// built with the wrapper (instrumented, runtime not inside).  Every step runs
// in both modes; the symbols the code references differ (outline: checks,
// inline: reports only, plus the global registration).
//
// The wrapper treats -O levels as any other flag it passes through (the
// rest of the suite compiles at -O2): -O0 only, for each compiler and mode.
// REQUIRES: O0
//
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: %vkcc %opt -g -c %s -o %t.dir/main.o
// RUN: nm %t.dir/main.o | FileCheck %s --check-prefix=NM
// NM-DAG: U memcpy
// NM-DAG: U vk_vmalloc
// RUN: nm %t.dir/main.o | FileCheck %s --check-prefix=NM-%vkmode
// NM-outline-DAG: U __asan_load4_noabort
// NM-outline-DAG: U __asan_store8_noabort
// NM-inline-DAG: U __asan_register_globals
// NM-inline-DAG: U __asan_report_load4_noabort
// NM-inline-DAG: U __asan_report_store8_noabort
// RUN: nm %t.dir/main.o | FileCheck %s --check-prefix=NOT-%vkmode
// NOT-outline-NOT: __asan_report
// NOT-outline-NOT: __asan_register_globals
// NOT-inline-NOT: __asan_load
// NOT-inline-NOT: __asan_store
// RUN: %vkcc %opt -g -c %S/Inputs/wrapper_lib.c -o %t.dir/lib.o
// RUN: %vkcc %t.dir/main.o %t.dir/lib.o -o %t.dir/prog
// RUN: not %run %t.dir/prog 2>&1 | FileCheck %s --check-prefix=BUG
//
// RUN: %vkcc %opt -g %s %S/Inputs/wrapper_lib.c -o %t.dir/prog2
// RUN: not %run %t.dir/prog2 2>&1 | FileCheck %s --check-prefix=BUG
// RUN: cd %t.dir && %vkcc %opt -g %s %S/Inputs/wrapper_lib.c && not %run ./a.out 2>&1 | FileCheck %s --check-prefix=BUG
// RUN: cp %s %t.dir/src-no-suffix
// RUN: %vkcc %opt -g -x c %t.dir/src-no-suffix -x c %S/Inputs/wrapper_lib.c -o %t.dir/prog3
// RUN: not %run %t.dir/prog3 2>&1 | FileCheck %s --check-prefix=BUG
//
// RUN: %vkcc %opt -S %s -o - | FileCheck %s --check-prefix=ASM-%vkmode
// ASM-outline: __asan_store8_noabort
// ASM-inline: 2147450880
// ASM-inline: __asan_report_store8_noabort
// RUN: %vkcc -E %s | FileCheck %s --check-prefix=PP
// PP: void *vk_vmalloc(size_t size);
//
// RUN: %vkcc --version | FileCheck %s --check-prefix=VERSION-%cckind
// VERSION-gcc: Free Software Foundation
// VERSION-clang: clang version
// RUN: %vkcc -v 2>&1 | FileCheck %s --check-prefix=V-%cckind
// V-gcc: gcc version
// V-clang: clang version
// RUN: %vkcc --vkasan-help | FileCheck %s --check-prefix=HELP
// HELP: usage: vkasan-cc
// HELP: --shared-runtime
// RUN: %vkcc --vkasan-verbose %t.dir/main.o %t.dir/lib.o -o %t.dir/prog-v 2>&1 | FileCheck %s --check-prefix=LINK-%vkmode
// LINK-outline-NOT: vkasan-inline.o
// LINK-inline: {{ }}{{.*}}/vkasan-inline.o {{.*}}libvkasan.a
// RUN: %vkcc --vkasan-verbose -c %s -o %t.dir/x.o 2>&1 | FileCheck %s --check-prefix=CC-%vkmode
// CC-outline: -fsanitize=kernel-address {{.*}}call-threshold{{.*}}=0
// CC-inline: -fsanitize=kernel-address {{.*}}call-threshold{{.*}}=100000 {{.*}}asan-stack{{.*}}=1 {{.*}}asan-globals{{.*}}=1
// CC-inline-NOT: vkasan-inline.o
// RUN: env VKASAN_CC=/nonexistent/cc not %vkcc -c %s -o %t.dir/x.o 2>&1 | FileCheck %s --check-prefix=NOCC
// NOCC: vkasan-cc: cannot run the compiler '/nonexistent/cc'
// RUN: not %vkcc --vkasan-bogus -c %s 2>&1 | FileCheck %s --check-prefix=BOGUS
// BOGUS: vkasan-cc: unknown option --vkasan-bogus
//
// RUN: %vkcc --shared-runtime %t.dir/main.o %t.dir/lib.o -o %t.dir/prog-so
// RUN: readelf -d %t.dir/prog-so | FileCheck %s --check-prefix=SO -DLIBDIR=%libdir
// SO-DAG: (NEEDED){{.*}}[libvkasan.so]
// SO-DAG: {{RPATH|RUNPATH}}{{.*}}{{\[}}[[LIBDIR]]]
// RUN: not %run %t.dir/prog-so 2>&1 | FileCheck %s --check-prefix=BUG
//
// RUN: %vkcc %opt -g -fPIC -shared %S/Inputs/wrapper_lib.c -o %t.dir/libwl.so
// RUN: nm -D %t.dir/libwl.so | FileCheck %s --check-prefix=DSO
// RUN: nm -D %t.dir/libwl.so | FileCheck %s --check-prefix=DSO-%vkmode
// DSO-outline: U __asan_store4_noabort
// DSO-inline: U __asan_report_store4_noabort
// DSO-NOT: T vk_vmalloc
// RUN: %vkcc %t.dir/main.o -L%t.dir -lwl -Wl,-rpath,%t.dir -o %t.dir/prog-dso
// RUN: not %run %t.dir/prog-dso 2>&1 | FileCheck %s --check-prefix=BUG
#include <stdint.h>
#include <string.h>
#include "vkasan.h"

void fill_table(uint32_t *t, int n);
volatile int n = 5;

int main(void)
{
	uint32_t *t = vk_vmalloc(n * sizeof(*t));
	uint64_t *u = vk_vmalloc(64);
	u[1] = t[0];
	memcpy(u, t, n);
	// BUG: BUG: KASAN: vmalloc-out-of-bounds in fill_table+0x
	// BUG-NEXT: Write of size 4 at addr {{0x[0-9a-f]+}}014 by task
	// BUG: Call Trace:
	// BUG: {{^ }}fill_table+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}{{( .*wrapper_lib.c:8)?$}}
	// BUG-NEXT: {{^ }}main+0x
	fill_table(t, n);
	return 0;
}
