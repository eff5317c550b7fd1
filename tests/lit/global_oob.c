// Global redzones (inline mode): the compiler puts a redzone after each
// global and registers them; the runtime poisons the redzones (f9).  An int
// array read one past its end, a static char array written in its partial
// last granule, and memcpy/memset running over globals and locals (checked
// by the runtime's memcpy, which uses the full shadow in inline mode).
// Reports name the variable as KASAN does ("belongs to the variable:").
// (Outline mode reports nothing outside the arena: clean_outside.c.)
//
// REQUIRES: inline
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t 2>&1 | FileCheck %s --check-prefix=CHECK-inline %lines
#include "vktest.h"

int table[10] = { 1 }; // @TABLE
static char msg[13] = "hello, world";
char big_src[100];
static volatile int sink, ten = 10, thirteen = 13, n101 = 101, n33 = 33;

VT_NOINLINE int get(const int *t, int i)
{
	return t[i]; // @GET
}

VT_NOINLINE void put(char *m, int i)
{
	m[i] = '!';
}

VT_NOINLINE void copy_local(int n)
{
	char local[32];
	vt_expect("Write of size %d at addr %p", n, (void *)local);
	memset(local, 0, n); // @MEMSET
	vt_read(local, 1);
}

int main(void)
{
	vt_mark("pid=%d\n", getpid());
	// CHECK-inline: pid=[[PID:[0-9]+]]
	vt_expect("Read of size 4 at addr %p", (void *)&table[10]);
	sink = get(table, ten);
	// CHECK-inline: expect-report: Read of size 4 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: global-out-of-bounds in get+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-inline-NEXT: Read of size 4 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: Call Trace:
	// CHECK-inline-NEXT: {{^ }}get+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}global_oob.c:[[#GET]]
	// CHECK-inline-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}global_oob.c:[[@LINE-7]]
	// CHECK-inline: The buggy address belongs to the variable:
	// CHECK-inline-NEXT: {{^}} table+0x28/0x28
	// CHECK-inline-EMPTY:
	// CHECK-inline-NEXT: The buggy address is located 0 bytes to the right of
	// CHECK-inline-NEXT: {{^}} 40-byte global variable 'table' {{\[}}[[T:0x[0-9a-f]+]], [[A]]) defined at {{.*}}global_oob.c:[[#TABLE]]
	// CHECK-inline-NOT: virtual mapping
	// CHECK-inline: Memory state around the buggy address:
	// CHECK-inline: {{^>}}0x{{[0-9a-f]+}}: {{.*}}f9{{.*}}

	vt_expect("Write of size 1 at addr %p", (void *)&msg[13]);
	put(msg, thirteen);
	// CHECK-inline: expect-report: Write of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: global-out-of-bounds in put+0x
	// CHECK-inline-NEXT: Write of size 1 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: The buggy address belongs to the variable:
	// CHECK-inline-NEXT: {{^}} msg+0xd/0xd
	// CHECK-inline: {{^}} 13-byte global variable 'msg'
	// CHECK-inline: {{^>}}0x{{[0-9a-f]+}}: {{.*}}05 f9{{.*}}

	char dst[128];
	vt_expect("Read of size 101 at addr %p", (void *)big_src);
	memcpy(dst, big_src, n101); // @MEMCPY
	vt_read(dst, 1);
	// CHECK-inline: expect-report: Read of size 101 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: global-out-of-bounds in main+0x
	// CHECK-inline-NEXT: Read of size 101 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: Call Trace:
	// CHECK-inline-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}global_oob.c:[[#MEMCPY]]
	// CHECK-inline: The buggy address belongs to the variable:
	// CHECK-inline-NEXT: {{^}} big_src+0x0/0x64
	// CHECK-inline: The buggy address is located 0 bytes inside of
	// CHECK-inline-NEXT: {{^}} 100-byte global variable 'big_src'

	copy_local(n33);
	// CHECK-inline: expect-report: Write of size 33 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-out-of-bounds in copy_local+0x
	// CHECK-inline-NEXT: Write of size 33 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: {{^ }}copy_local+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}global_oob.c:[[#MEMSET]]
	// CHECK-inline: and is located at offset 32 in frame:
	// CHECK-inline: {{^}} [32, 64) 'local'

	vt_mark("reports=%d\n", (int)vt_reports());
	// CHECK-inline: reports=4
	return 0;
}
