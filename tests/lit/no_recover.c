// vkasan-cc --inline --no-recover: failed inline checks call the plain
// __asan_report_* entry points, which the compiler treats as noreturn (no
// code after the call).  Valid accesses of every width, on the arena, the
// stack and a global, print nothing; the first bad access is reported as in
// the default build and the program stops, with halt_on_error=0 too (it
// cannot resume), saying why.
//
// REQUIRES: inline
// RUN: %cc --no-recover %s -o %t
// RUN: %vkcc --no-recover --vkasan-flags | FileCheck %s --check-prefix=FLAGS-%cckind
// FLAGS-gcc: -fno-sanitize-recover=kernel-address
// FLAGS-clang: -mllvm -asan-recover=0
// RUN: nm %t | FileCheck %s --check-prefix=SYMS
// SYMS-NOT: __asan_report_{{[a-z0-9_]+}}_noabort
// SYMS: __asan_report_load1
// RUN: not %run %t 2>&1 | FileCheck %s --check-prefixes=CHECK,HALT %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 not %run %t 2>&1 | FileCheck %s --check-prefixes=CHECK,GO-ON %lines
#include <string.h>
#include "vktest.h"

struct odd {
	char b[13];
};
static char global_buf[40];

int main(void)
{
	char *p = vk_vmalloc(100); // @ALLOC
	char local[24];
	struct odd a, b;
	int w;

	for (w = 1; w <= 16; w *= 2) {
		vt_read(p + 100 - w, w);
		vt_write(p, w);
		vt_read(local + 24 - w, w);
		vt_write(global_buf + 40 - w, w);
	}
	memset(&a, 1, sizeof(a));
	b = a; // a 13-byte copy: checked as a range
	vt_read(&b.b[12], 1);
	// CHECK: valid accesses done, 0 reports
	vt_mark("valid accesses done, %d reports\n", (int)vt_reports());

	// CHECK: expect-report: Read of size 1 at addr [[A:0x[0-9a-f]+]]
	// CHECK: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}}
	// CHECK-NEXT: Read of size 1 at addr [[A]] by task
	// HALT-NOT: cannot go on
	// GO-ON: vkasan: this code was built with --no-recover: it cannot go on after a report
	// CHECK-NOT: after the report
	vt_expect("Read of size 1 at addr %p", (void *)(p + 100));
	vt_read(p + 100, 1);
	vt_mark("after the report\n");
	vk_vfree(p);
	return 0;
}
