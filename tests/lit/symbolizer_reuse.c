// Many reports in one run (halt_on_error=0): one llvm-symbolizer, started at
// the first report and kept until exit, serves them all, so every report
// still has file:line and 100 reports take a fraction of a second (a
// symbolizer per report took ~60 ms each: 7 s; the time limit here is 5 s).
// A forked child's reports get a symbolizer of the child's own, and the
// parent's is not the parent's child: waiting for all children returns.
//
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=halt_on_error=0 VK_LIT_TIMEOUT=5 %run %t > %t.out 2>&1
// RUN: FileCheck %s %lines < %t.out
// RUN: test $(grep -c '^BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x' %t.out) -eq 100
// RUN: test $(grep -c '^ site_[ab]+0x' %t.out) -eq 100
#include <stdlib.h>
#include <sys/wait.h>
#include "vktest.h"

VT_NOINLINE void site_a(char *p)
{
	vt_read(p + 10, 1); // @SITE_A
	VT_NO_TAIL();
}

VT_NOINLINE void site_b(char *p)
{
	vt_read(p + 11, 1); // @SITE_B
	VT_NO_TAIL();
}

int main(void)
{
	char *p = vk_vmalloc(10);
	// CHECK-COUNT-40: {{^ }}site_a+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}symbolizer_reuse.c:[[#SITE_A]]{{$}}
	for (int i = 0; i < 40; i++)
		site_a(p);
	// CHECK: forking
	vt_mark("forking\n");
	int before = (int)vt_reports();
	pid_t pid = fork();
	if (pid == 0) {
		// CHECK-COUNT-20: {{^ }}site_b+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}symbolizer_reuse.c:[[#SITE_B]]{{$}}
		for (int i = 0; i < 20; i++)
			site_b(p);
		// CHECK: child: reports=20
		vt_mark("child: reports=%d\n", (int)vt_reports() - before);
		_exit(0);
	}
	int reaped = 0;
	while (wait(NULL) > 0)
		reaped++;
	// CHECK: parent: reaped 1
	vt_mark("parent: reaped %d\n", reaped);
	// CHECK-COUNT-40: {{^ }}site_a+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}symbolizer_reuse.c:[[#SITE_A]]{{$}}
	for (int i = 0; i < 40; i++)
		site_a(p);
	// CHECK: parent: reports=80
	vt_mark("parent: reports=%d\n", (int)vt_reports());
	vk_vfree(p);
	return 0;
}
