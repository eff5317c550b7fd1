// Stack redzones (inline mode): a local array read one past its end, an int
// array written past its end, an underflow into the frame's left redzone, a
// write through a pointer handed to a callee (the report is in the callee,
// the frame described is the caller's), and a use after the variable's
// scope.  Each report names the frame and its objects, as KASAN does.
// (Outline mode reports nothing outside the arena: clean_outside.c.)
//
// REQUIRES: inline
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t 2>&1 | FileCheck %s --check-prefix=CHECK-inline %lines
// RUN: env VKASAN_OPTIONS=exitcode=0 %run %t 2>&1 | FileCheck %s --check-prefix=HALT-inline
// HALT-inline: BUG: KASAN: stack-out-of-bounds in stack_read+0x
// HALT-inline-NOT: BUG: KASAN
// HALT-inline-NOT: reports=
#include "vktest.h"

static volatile int sink, seventeen = 17, five = 5, minus1 = -1, ten = 10, zero = 0;

VT_NOINLINE int stack_read(int i)
{
	char buf[17];
	memset(buf, 1, sizeof(buf));
	vt_expect("Read of size 1 at addr %p", (void *)&buf[i]);
	return buf[i]; // @READ
}

VT_NOINLINE void stack_write(int i)
{
	long pad[3];
	int arr[5];
	vt_write(pad, 8);
	vt_expect("Write of size 4 at addr %p", (void *)&arr[i]);
	arr[i] = 1; // @WRITE
	vt_read(arr, 4);
}

VT_NOINLINE int stack_under(int i)
{
	char buf[40];
	memset(buf, 2, sizeof(buf));
	vt_expect("Read of size 1 at addr %p", (void *)&buf[i]);
	return buf[i];
}

VT_NOINLINE void via_callee(int i)
{
	char name[10];
	memset(name, 'x', sizeof(name));
	vt_expect("Write of size 1 at addr %p", (void *)&name[i]);
	vt_write(name + i, 1); // @CALLEE
	VT_NO_TAIL();
}

static int *volatile scoped; /* hides the dangling pointer from -Wall */

VT_NOINLINE int scope(int i)
{
	{
		int x[4] = { 1, 2, 3, 4 };
		scoped = x;
		vt_read(scoped, 4);
	}
	vt_expect("Read of size 4 at addr %p", (void *)&scoped[i]);
	return scoped[i]; // @SCOPE
}

int main(void)
{
	vt_mark("pid=%d\n", getpid());
	// CHECK-inline: pid=[[PID:[0-9]+]]
	sink = stack_read(seventeen);
	// CHECK-inline: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-out-of-bounds in stack_read+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-inline-NEXT: Read of size 1 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: Call Trace:
	// CHECK-inline-NEXT: {{^ }}stack_read+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_oob.c:[[#READ]]
	// CHECK-inline-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_oob.c:[[@LINE-7]]
	// CHECK-inline: The buggy address belongs to stack of task vktest/[[PID]]
	// CHECK-inline-NEXT: {{^}} and is located at offset 49 in frame:
	// CHECK-inline-NEXT: {{^}} stack_read+0x0/0x{{[0-9a-f]+}}
	// CHECK-inline-EMPTY:
	// CHECK-inline-NEXT: This frame has 1 object:
	// CHECK-inline-NEXT: {{^}} [32, 49) 'buf'
	// CHECK-inline-NOT: virtual mapping
	// CHECK-inline: Memory state around the buggy address:
	// CHECK-inline-NEXT: {{^ }}0x{{[0-9a-f]+}}: {{.*}}

	stack_write(five);
	// CHECK-inline: expect-report: Write of size 4 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-out-of-bounds in stack_write+0x
	// CHECK-inline-NEXT: Write of size 4 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: {{^ }}stack_write+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_oob.c:[[#WRITE]]
	// CHECK-inline: The buggy address belongs to stack of task vktest/[[PID]]
	// CHECK-inline-NEXT: {{^}} and is located at offset {{[0-9]+}} in frame:
	// CHECK-inline-NEXT: {{^}} stack_write+0x0/0x{{[0-9a-f]+}}
	// CHECK-inline: This frame has 2 objects:
	// CHECK-inline-DAG: {{^}} [{{[0-9]+}}, {{[0-9]+}}) 'arr'
	// CHECK-inline-DAG: {{^}} [{{[0-9]+}}, {{[0-9]+}}) 'pad'
	// CHECK-inline: {{^={66}$}}

	sink = stack_under(minus1);
	// CHECK-inline: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-out-of-bounds in stack_under+0x
	// CHECK-inline: {{^}} and is located at offset {{31|47}} in frame:
	// CHECK-inline-NEXT: {{^}} stack_under+0x0/0x{{[0-9a-f]+}}
	// CHECK-inline: This frame has 1 object:
	// CHECK-inline-NEXT: {{^}} [{{32|48}}, {{72|88}}) 'buf'

	via_callee(ten);
	// CHECK-inline: expect-report: Write of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-out-of-bounds in vt_write+0x
	// CHECK-inline: Call Trace:
	// CHECK-inline-NEXT: {{^ }}vt_write+0x
	// CHECK-inline-NEXT: {{^ }}via_callee+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_oob.c:[[#CALLEE]]
	// CHECK-inline: and is located at offset 42 in frame:
	// CHECK-inline-NEXT: {{^}} via_callee+0x0/0x{{[0-9a-f]+}}
	// CHECK-inline: {{^}} [32, 42) 'name'

	sink = scope(zero);
	// CHECK-inline: expect-report: Read of size 4 at addr [[A:0x[0-9a-f]+]]
	// CHECK-inline-NEXT: {{^={66}$}}
	// CHECK-inline-NEXT: BUG: KASAN: stack-use-after-scope in scope+0x
	// CHECK-inline-NEXT: Read of size 4 at addr [[A]] by task vktest/[[PID]]
	// CHECK-inline: {{^ }}scope+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}stack_oob.c:[[#SCOPE]]
	// CHECK-inline: and is located at offset 32 in frame:
	// CHECK-inline: {{^}} [32, 48) 'x'
	// CHECK-inline: {{^>}}{{0x[0-9a-f]+}}: {{.*}}f8 f8{{.*}}

	vt_mark("reports=%d\n", (int)vt_reports());
	// CHECK-inline: reports=5
	return 0;
}
