// `make CC=vkasan-cc` on a project that knows nothing of vkasan (separate
// compile and link steps, its own CFLAGS): the program reports its bug.
// The project sets its own CFLAGS (no %opt): -O0 and -O2 would run the same.
// REQUIRES: O0
//
// RUN: rm -rf %t.proj && cp -r %S/Inputs/project %t.proj
// RUN: make -s -C %t.proj CC='%vkcc'
// RUN: nm %t.proj/table.o | FileCheck %s --check-prefix=NM-%vkmode
// NM-outline: U __asan_load4_noabort
// NM-inline: U __asan_report_load4_noabort
// RUN: not %run %t.proj/prog 2>&1 | FileCheck %s
// CHECK: BUG: KASAN: vmalloc-out-of-bounds in table_sum+0x
// CHECK-NEXT: Read of size 4 at addr 0x{{[0-9a-f]+}}028 by task prog/{{[0-9]+}}
// CHECK: Call Trace:
// CHECK-NEXT: {{^ }}table_sum+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}table.c:16
// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}main.c:7
// CHECK: created by:
// CHECK: {{^ }}table_new+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}table.c:8
// CHECK-NOT: sum
