// The kernel's vmalloc_oob test: a mapping of PAGE_SIZE/2 - 8 - 5 bytes.
// Byte 0 and the last byte are fine; the byte just past the end is caught
// (it shares a granule with the last bytes: shadow 03), and so is the byte 5
// past the end (the next granule, f8).
//
// RUN: %cc %s -o %t
// RUN: not %run %t 2>&1 | FileCheck %s %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t 2>&1 | FileCheck %s --check-prefix=ALL %lines
// (the run that goes on after reports leaves its mapping: detect_leaks=0)
#include "vktest.h"

int main(void)
{
	size_t size = 4096 / 2 - 8 - 5;
	// CHECK: pid=[[PID:[0-9]+]] p=[[P:0x[0-9a-f]+]]000 end=[[END:0x[0-9a-f]+]]
	char *p = vk_vmalloc(size); // @ALLOC
	vt_read(p, 1);
	vt_read(p + size - 1, 1);
	vt_mark("pid=%d p=%p end=%p\n", getpid(), (void *)p, (void *)(p + 4096));

	// CHECK: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-NEXT: Read of size 1 at addr [[A]] by task vktest/[[PID]]
	// CHECK: Call Trace:
	// CHECK: {{^ }}vt_read+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vktest.h:{{[0-9]+}}
	// CHECK-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vmalloc_oob.c:[[@LINE+2]]
	vt_expect("Read of size 1 at addr %p", (void *)(p + size));
	vt_read(p + size, 1);
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: {{^ \[}}[[P]]000, [[END]]) created by:
	// CHECK: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}vmalloc_oob.c:[[#ALLOC]]
	// CHECK-NOT: Freed by task
	// CHECK: The buggy address is located 0 bytes to the right of
	// CHECK-NEXT: {{^ }}2035-byte region {{\[}}[[P]]000, [[P]]7f3)
	// CHECK: Memory state around the buggy address:
	// CHECK: {{^ }}[[P]]700: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
	// CHECK-NEXT: {{^>}}[[P]]780: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 03 f8
	// CHECK-NEXT: {{^ +\^$}}
	// CHECK-NEXT: {{^ }}[[P]]800: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
	// CHECK: {{^={66}$}}
	// CHECK-NOT: expect-report
	// CHECK-NOT: reports=

	// ALL: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// ALL-NEXT: ===
	// ALL-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+
	// ALL-NEXT: Read of size 1 at addr [[A]] by task vktest/
	// ALL: expect-report: Read of size 1 at addr [[B:0x[0-9a-f]+]]
	// ALL-NEXT: ===
	// ALL-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+
	// ALL-NEXT: Read of size 1 at addr [[B]] by task vktest/
	// ALL: Memory state around the buggy address:
	// ALL: {{^>0x[0-9a-f]+}}780: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 03 f8
	vt_expect("Read of size 1 at addr %p", (void *)(p + size + 5));
	vt_read(p + size + 5, 1);
	// ALL: reports=2
	vt_mark("reports=%d\n", (int)vt_reports());
	return 0;
}
