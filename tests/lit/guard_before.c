// Accesses in the guard page after a mapping, and just before its start.
// The byte before a mapping is the previous neighbour's guard page while that
// neighbour lives (vmalloc-out-of-bounds, naming the neighbour), and free
// space once the neighbour is freed and purged (wild-memory-access).
//
// RUN: %cc %s -o %t
// RUN: not %run %t guard 2>&1 | FileCheck %s --check-prefix=GUARD %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:detect_leaks=0 %run %t guard-end 2>&1 | FileCheck %s --check-prefix=GEND %lines
// (guard-end leaves a and b mapped: detect_leaks=0 there)
// RUN: not %run %t before-live 2>&1 | FileCheck %s --check-prefix=LIVE %lines
// (vmalloc_quarantine=0: a purged range is free space; with the quarantine
// it is still the freed mapping, as in before-lazy.)
// RUN: env VKASAN_OPTIONS=vmalloc_quarantine=0 not %run %t before-purged 2>&1 | FileCheck %s --check-prefix=PURGED %lines
// RUN: not %run %t before-lazy 2>&1 | FileCheck %s --check-prefix=LAZY %lines
#include "vktest.h"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *a = vk_vmalloc(5000); // @ALLOC_A [a, a + 0x2000), then a guard page
	char *b = vk_vmalloc(4096); // right after a's guard page
	vt_mark("pid=%d a=%p b=%p\n", getpid(), (void *)a, (void *)b);
	if (b != a + 0x3000)
		vt_mark("MISMATCH: b is not right after a's guard page\n");

	if (!strcmp(mode, "guard")) {
		// GUARD: pid=[[PID:[0-9]+]] a=0x[[#%x,A:]] b=
		// GUARD-NOT: MISMATCH
		// GUARD: expect-report: Write of size 8 at addr 0x[[#%x,A+0x2064]]
		// GUARD-NEXT: {{^={66}$}}
		// GUARD-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_write+0x
		// GUARD-NEXT: Write of size 8 at addr 0x[[#%x,A+0x2064]] by task vktest/[[PID]]
		// GUARD: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}guard_before.c:[[@LINE+4]]
		// GUARD: The buggy address belongs to the virtual mapping at
		// GUARD-NEXT: {{^ \[}}0x[[#%x,A]], 0x[[#%x,A+0x2000]]) created by:
		vt_expect("Write of size 8 at addr %p", (void *)(a + 8192 + 100));
		vt_write(a + 8192 + 100, 8);
		// GUARD: {{^>}}0x[[#%x,A+0x2000]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
		// GUARD-NOT: not reached
	} else if (!strcmp(mode, "guard-end")) {
		// The last byte of the guard page, then the first byte of b: fine.
		// GEND: pid={{[0-9]+}} a=0x[[#%x,A:]] b=
		// GEND: expect-report: Read of size 1 at addr 0x[[#%x,A+0x2fff]]
		// GEND-NEXT: {{^={66}$}}
		// GEND-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
		// GEND-NEXT: Read of size 1 at addr 0x[[#%x,A+0x2fff]] by task vktest/
		// GEND: {{^ \[}}0x[[#%x,A]], 0x[[#%x,A+0x2000]]) created by:
		vt_expect("Read of size 1 at addr %p", (void *)(a + 0x2fff));
		vt_read(a + 0x2fff, 1);
		vt_read(b, 8);
		vt_read(b + 4088, 8);
		// GEND: reports=1
		vt_mark("reports=%d\n", (int)vt_reports());
		return 0;
	} else if (!strcmp(mode, "before-live")) {
		// LIVE: pid=[[PID:[0-9]+]] a=0x[[#%x,A:]] b=
		// LIVE: expect-report: Read of size 1 at addr 0x[[#%x,A+0x2fff]]
		// LIVE-NEXT: {{^={66}$}}
		// LIVE-NEXT: BUG: KASAN: vmalloc-out-of-bounds in vt_read+0x
		// LIVE-NEXT: Read of size 1 at addr 0x[[#%x,A+0x2fff]] by task vktest/[[PID]]
		// LIVE: The buggy address belongs to the virtual mapping at
		// LIVE-NEXT: {{^ \[}}0x[[#%x,A]], 0x[[#%x,A+0x2000]]) created by:
		// LIVE: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}guard_before.c:[[#ALLOC_A]]
		// LIVE: {{^>}}0x[[#%x,A+0x2f80]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
		// LIVE-NEXT: {{^ +\^$}}
		// LIVE-NEXT: {{^ }}0x[[#%x,A+0x3000]]: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		vt_expect("Read of size 1 at addr %p", (void *)(b - 1));
		vt_read(b - 1, 1);
	} else if (!strcmp(mode, "before-purged")) {
		// LIVE-NOT: not reached
		// PURGED: pid=[[PID:[0-9]+]] a=0x[[#%x,A:]] b=
		// PURGED: expect-report: Read of size 2 at addr 0x[[#%x,A+0x2ffe]]
		// PURGED-NEXT: {{^={66}$}}
		// PURGED-NEXT: BUG: KASAN: wild-memory-access in vt_read+0x
		// PURGED-NEXT: Read of size 2 at addr 0x[[#%x,A+0x2ffe]] by task vktest/[[PID]]
		// PURGED-NOT: The buggy address belongs to the virtual mapping
		// PURGED: Memory state around the buggy address:
		// PURGED: {{^>}}0x[[#%x,A+0x2f80]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
		// PURGED-NEXT: {{^ +\^$}}
		// PURGED-NEXT: {{^ }}0x[[#%x,A+0x3000]]: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		// PURGED-NOT: not reached
		vk_vfree(a);
		vk_purge();
		vt_expect("Read of size 2 at addr %p", (void *)(b - 2));
		vt_read(b - 2, 2);
	} else if (!strcmp(mode, "before-lazy")) {
		// Freed, not purged: the guard page belongs to a freed mapping.
		// LAZY: pid=[[PID:[0-9]+]] a=0x[[#%x,A:]] b=
		// LAZY: expect-report: Read of size 1 at addr 0x[[#%x,A+0x2fff]]
		// LAZY-NEXT: {{^={66}$}}
		// LAZY-NEXT: BUG: KASAN: use-after-free in vt_read+0x
		// LAZY-NEXT: Read of size 1 at addr 0x[[#%x,A+0x2fff]] by task vktest/[[PID]]
		// LAZY: {{^ \[}}0x[[#%x,A]], 0x[[#%x,A+0x2000]]) created by:
		// LAZY: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}guard_before.c:[[#ALLOC_A]]
		// LAZY: Freed by task vktest/[[PID]]:
		// LAZY: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}guard_before.c:[[@LINE+2]]
		// LAZY-NOT: not reached
		vk_vfree(a);
		vt_expect("Read of size 1 at addr %p", (void *)(b - 1));
		vt_read(b - 1, 1);
	}
	vt_mark("not reached\n");
	return 0;
}
