// Dynamic allocas (inline mode): the compiler asks the runtime to poison
// around each one (__asan_alloca_poison: ca on the left, cb on the right,
// the partial granule in between) and to unpoison them when the frame goes
// (__asan_allocas_unpoison).  A VLA read past its end, an alloca written
// before its start, and a loop of VLAs that must stay clean.
//
// REQUIRES: inline
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=0 %run %t 2>&1 | FileCheck %s %lines
#include <alloca.h>
#include "vktest.h"

static volatile int sink, n13 = 13, n40 = 40, minus1 = -1;

VT_NOINLINE int vla(int n, int i)
{
	char buf[n];
	memset(buf, 1, n);
	vt_expect("Read of size 1 at addr %p", (void *)&buf[i]);
	return buf[i]; // @VLA
}

VT_NOINLINE void under(int n, int i)
{
	char *p = __builtin_alloca(n);
	memset(p, 2, n);
	vt_expect("Write of size 1 at addr %p", (void *)&p[i]);
	p[i] = 0; // @UNDER
	vt_read(p, 1);
}

/* Many VLAs of changing sizes in one frame, each used to its last byte. */
VT_NOINLINE int loop(void)
{
	int sum = 0;
	for (int k = 1; k < 300; k++) {
		char buf[k];
		memset(buf, k, k);
		sum += buf[k - 1] + buf[0];
	}
	return sum;
}

int main(void)
{
	vt_mark("pid=%d\n", getpid());
	// CHECK: pid=[[PID:[0-9]+]]
	sink = loop();
	sink = vla(n13, n13);
	// CHECK: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: alloca-out-of-bounds in vla+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-NEXT: Read of size 1 at addr [[A]] by task vktest/[[PID]]
	// CHECK: Call Trace:
	// CHECK-NEXT: {{^ }}vla+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}alloca_oob.c:[[#VLA]]
	// CHECK: The buggy address belongs to stack of task vktest/[[PID]]
	// CHECK-NOT: virtual mapping
	// CHECK: Memory state around the buggy address:
	// CHECK: {{^>}}0x{{[0-9a-f]+}}: {{.*}}00 05 cb cb{{.*}}
	sink = loop();
	under(n40, minus1);
	// CHECK: expect-report: Write of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: alloca-out-of-bounds in under+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-NEXT: Write of size 1 at addr [[A]] by task vktest/[[PID]]
	// CHECK: {{^ }}under+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}alloca_oob.c:[[#UNDER]]
	// CHECK: {{^>}}0x{{[0-9a-f]+}}: {{.*}}ca ca ca ca{{.*}}
	sink = loop();
	vt_mark("reports=%d\n", (int)vt_reports());
	// CHECK: reports=2
	return 0;
}
