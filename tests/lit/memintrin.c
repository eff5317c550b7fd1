// memcpy, memset and memmove that run past the end of a mapping (instrumented
// code calls the plain functions; the runtime checks them).  The report gives
// the whole range: its start and its size, in the function that made the call.
//
// RUN: %cc %s -o %t
// RUN: not %run %t memcpy-dst 2>&1 | FileCheck %s --check-prefixes=CHECK,CPYDST %lines
// RUN: not %run %t memcpy-src 2>&1 | FileCheck %s --check-prefixes=CHECK,CPYSRC %lines
// RUN: not %run %t memset 2>&1 | FileCheck %s --check-prefixes=CHECK,SET %lines
// RUN: not %run %t memmove 2>&1 | FileCheck %s --check-prefixes=CHECK,MOVE %lines
// RUN: not %run %t memcpy-uaf 2>&1 | FileCheck %s --check-prefixes=CHECK,UAF %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t all 2>&1 | FileCheck %s --check-prefix=ALL %lines
// (the run that goes on after reports leaves its mappings: detect_leaks=0)
#include <stdlib.h>
#include "vktest.h"

VT_NOINLINE void copy(void *d, const void *s, size_t n)
{
	memcpy(d, s, n); // @MEMCPY
	VT_NO_TAIL();
}

VT_NOINLINE void fill(void *d, int c, size_t n)
{
	memset(d, c, n); // @MEMSET
	VT_NO_TAIL();
}

VT_NOINLINE void move(void *d, const void *s, size_t n)
{
	memmove(d, s, n); // @MEMMOVE
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int all = !strcmp(mode, "all");
	char local[256];
	char *p = vk_vmalloc(200);
	vt_mark("pid=%d p=%p\n", getpid(), (void *)p);
	// CHECK: pid=[[PID:[0-9]+]] p=0x[[#%x,P:]]
	// CHECK: expect-report:
	// CHECK-NEXT: {{^={66}$}}

	// In bounds, to the last byte: no report.
	copy(p, local, 200);
	copy(local, p, 200);
	fill(p, 0, 200);
	move(p + 1, p, 199);
	move(p, p + 1, 199);

	if (!strcmp(mode, "memcpy-dst") || all) {
		// CPYDST-NEXT: BUG: KASAN: vmalloc-out-of-bounds in copy+0x
		// CPYDST-NEXT: Write of size 101 at addr 0x[[#%x,P+0x064]] by task vktest/[[PID]]
		// CPYDST: Call Trace:
		// CPYDST: {{^ }}copy+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[#MEMCPY]]
		// CPYDST: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[@LINE+5]]
		// A range is described from its first bad byte (issue 16):
		// CPYDST: The first bad byte of the access, 0x[[#%x,P+0xc8]] (at offset 100), is located 0 bytes to the right of
		// CPYDST-NEXT: {{^}} 200-byte region [0x[[#%x,P]], 0x[[#%x,P+0xc8]])
		vt_expect("Write of size 101 at addr %p", (void *)(p + 100));
		copy(p + 100, local, 101);
	}
	if (!strcmp(mode, "memcpy-src") || all) {
		// CPYSRC-NEXT: BUG: KASAN: vmalloc-out-of-bounds in copy+0x
		// CPYSRC-NEXT: Read of size 51 at addr 0x[[#%x,P+0x096]] by task vktest/[[PID]]
		// CPYSRC: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[@LINE+2]]
		vt_expect("Read of size 51 at addr %p", (void *)(p + 150));
		copy(local, p + 150, 51);
	}
	if (!strcmp(mode, "memset") || all) {
		// SET-NEXT: BUG: KASAN: vmalloc-out-of-bounds in fill+0x
		// SET-NEXT: Write of size 191 at addr 0x[[#%x,P+0x00a]] by task vktest/[[PID]]
		// SET: {{^ }}fill+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[#MEMSET]]
		// SET: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[@LINE+3]]
		// SET: The first bad byte of the access, 0x[[#%x,P+0xc8]] (at offset 190), is located 0 bytes to the right of
		vt_expect("Write of size 191 at addr %p", (void *)(p + 10));
		fill(p + 10, 0x33, 191);
	}
	if (!strcmp(mode, "memmove") || all) {
		// MOVE-NEXT: BUG: KASAN: vmalloc-out-of-bounds in move+0x
		// MOVE-NEXT: Write of size 200 at addr 0x[[#%x,P+0x001]] by task vktest/[[PID]]
		// MOVE: {{^ }}move+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[#MEMMOVE]]
		// MOVE: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}memintrin.c:[[@LINE+2]]
		vt_expect("Write of size 200 at addr %p", (void *)(p + 1));
		move(p + 1, p, 200);
	}
	if (!strcmp(mode, "memcpy-uaf") || all) {
		char *q = vk_vmalloc(64);
		vk_vfree(q);
		// UAF-NEXT: BUG: KASAN: use-after-free in copy+0x
		// UAF-NEXT: Read of size 64 at addr 0x[[#%x,P+0x2000]] by task vktest/[[PID]]
		// UAF: Freed by task vktest/[[PID]]:
		vt_expect("Read of size 64 at addr %p", (void *)q);
		copy(local, q, 64);
	}
	// CHECK-NOT: not reached
	// ALL: reports=5
	if (!all)
		vt_mark("not reached\n");
	vt_mark("reports=%d\n", (int)vt_reports());
	return 0;
}
