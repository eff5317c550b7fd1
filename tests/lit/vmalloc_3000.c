// The first version's test: vmalloc(3000), then a read of byte 3100.
// 3000 is a multiple of 8, so the tail granules are all f8.
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
// Without -g: functions from the symbol table, no file:line.
// RUN: %vkcc %opt -I%S/Inputs %s -o %t.nog
// RUN: not %run %t.nog 2>&1 | FileCheck %s --check-prefix=NOG %lines
// NOG: Call Trace:
// NOG-NEXT: {{^ read_byte_3100\+0x[0-9a-f]+/0x[0-9a-f]+$}}
// NOG-NEXT: {{^ main\+0x[0-9a-f]+/0x[0-9a-f]+$}}
#include "vktest.h"

VT_NOINLINE char read_byte_3100(const volatile char *p)
{
	return p[3100]; // @READ
}

int main(void)
{
	char *p = vk_vmalloc(3000); // @ALLOC
	memset(p, 1, 3000);
	vt_mark("pid=%d p=%p end=%p\n", getpid(), (void *)p, (void *)(p + 4096));
	// CHECK: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]000 end=[[END:0x[0-9a-f]+]]
	// CHECK: expect-report: Read of size 1 at addr [[P]]c1c
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: vmalloc-out-of-bounds in read_byte_3100+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-NEXT: Read of size 1 at addr [[P]]c1c by task vktest/[[PID]]
	// CHECK: Call Trace:
	// CHECK: {{^ }}read_byte_3100+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vmalloc_3000.c:[[#READ]]
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vmalloc_3000.c:[[@LINE+2]]
	vt_expect("Read of size 1 at addr %p", (void *)(p + 3100));
	read_byte_3100(p);
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: {{^ \[}}[[P]]000, [[END]]) created by:
	// CHECK: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vmalloc_3000.c:[[#ALLOC]]
	// CHECK: The buggy address is located 100 bytes to the right of
	// CHECK-NEXT: {{^ }}3000-byte region {{\[}}[[P]]000, [[P]]bb8)
	// CHECK: Memory state around the buggy address:
	// CHECK: {{^ }}[[P]]b00: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
	// CHECK-NEXT: {{^ }}[[P]]b80: 00 00 00 00 00 00 00 f8 f8 f8 f8 f8 f8 f8 f8 f8
	// CHECK-NEXT: {{^>}}[[P]]c00: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
	// CHECK-NEXT: {{^ +\^$}}
	// CHECK: {{^={66}$}}
	// CHECK-NOT: not reached
	vt_mark("not reached\n");
	return 0;
}
