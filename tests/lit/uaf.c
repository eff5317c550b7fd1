// Use after free.  Before a purge the freed mapping is quarantined, poisoned
// f8: use-after-free, with the allocation and the free stacks.  After
// vk_purge() the range is still kept out of reuse by the address-space
// quarantine (vmalloc_quarantine): its shadow is released or, in a window a
// live neighbour shares, f8, and an access is use-after-free of the mapping,
// with its stacks (COLD).  With vmalloc_quarantine=0 the range is free space
// once purged: wild-memory-access, reported from the check, not a crash.
//
// RUN: %cc %s -o %t
// RUN: not %run %t read > %t.read 2>&1
// RUN: FileCheck %s --check-prefixes=CHECK,READ < %t.read %lines
// RUN: FileCheck %s --check-prefix=TRACE-READ < %t.read %lines
// RUN: not %run %t write > %t.write 2>&1
// RUN: FileCheck %s --check-prefixes=CHECK,WRITE < %t.write %lines
// RUN: FileCheck %s --check-prefix=TRACE-WRITE < %t.write %lines
// RUN: env VKASAN_OPTIONS=vmalloc_quarantine=0 not %run %t purged 2>&1 | FileCheck %s --check-prefix=PURGED %lines
// RUN: env VKASAN_OPTIONS=halt_on_error=0:vmalloc_quarantine=0 %run %t purged 2>&1 | FileCheck %s --check-prefix=GO-ON %lines
// GO-ON: BUG: KASAN: wild-memory-access in vt_read+0x
// GO-ON: not reached
// RUN: env VKASAN_OPTIONS=vmalloc_quarantine=0 not %run %t purged-shared 2>&1 | FileCheck %s --check-prefix=SHARED %lines
// RUN: not %run %t purged-shared 2>&1 | FileCheck %s --check-prefix=COLD %lines
// COLD: shadow_pages=1 keep=
// COLD: expect-report: Write of size 1 at addr [[T:0x[0-9a-f]+]]
// COLD-NEXT: {{^={66}$}}
// COLD-NEXT: BUG: KASAN: use-after-free in vt_write+0x
// COLD: The buggy address belongs to the virtual mapping at
// COLD-NEXT: {{^ \[}}[[T]], {{0x[0-9a-f]+}}) created by:
// COLD: {{^ }}make_table+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#ALLOC]]
// COLD: Freed by task vktest/{{[0-9]+}}:
// COLD: {{^ }}drop_table+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#FREE]]
// COLD: freed 100-byte region
// COLD: {{^>}}[[T]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
// COLD-NOT: not reached
#include <stdlib.h>
#include "vktest.h"

VT_NOINLINE char *make_table(size_t n)
{
	char *t = vk_vmalloc(n); // @ALLOC
	VT_NO_TAIL();
	return t;
}

VT_NOINLINE void drop_table(char *t)
{
	vk_vfree(t); // @FREE
	VT_NO_TAIL();
}

// Separate callers, so that no compiler merges the two calls into one.
VT_NOINLINE void read_freed(char *t)
{
	vt_read(t, 4); // TRACE-READ: {{^ }}read_freed+0x{{.*}}uaf.c:[[@LINE]]
	VT_NO_TAIL();
}

VT_NOINLINE void write_freed(char *t)
{
	vt_write(t, 4); // TRACE-WRITE: {{^ }}write_freed+0x{{.*}}uaf.c:[[@LINE]]
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	vt_mark("pid=%d\n", getpid());
	// CHECK: pid=[[PID:[0-9]+]]
	// PURGED: pid=[[PID:[0-9]+]]
	// SHARED: pid=[[PID:[0-9]+]]

	if (!strcmp(mode, "read") || !strcmp(mode, "write")) {
		char *t = make_table(100);
		drop_table(t);
		int w = mode[0] == 'w';
		// CHECK: expect-report: {{Read|Write}} of size 4 at addr [[T:0x[0-9a-f]+]]
		// CHECK-NEXT: {{^={66}$}}
		// CHECK-NEXT: BUG: KASAN: use-after-free in {{vt_read|vt_write}}+0x
		// READ-NEXT: Read of size 4 at addr [[T]] by task vktest/[[PID]]
		// WRITE-NEXT: Write of size 4 at addr [[T]] by task vktest/[[PID]]
		// CHECK: Call Trace:
		// CHECK: The buggy address belongs to the virtual mapping at
		// CHECK-NEXT: {{^ \[}}[[T]], {{0x[0-9a-f]+}}) created by:
		// CHECK: {{^ }}make_table+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#ALLOC]]
		// CHECK: Freed by task vktest/[[PID]]:
		// CHECK: {{^ }}drop_table+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[#FREE]]
		vt_expect("%s of size 4 at addr %p", w ? "Write" : "Read", (void *)t);
		w ? write_freed(t) : read_freed(t);
		// CHECK: Memory state around the buggy address:
		// CHECK: {{^>}}[[T]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
		// CHECK-NEXT: {{^ +\^$}}
		// CHECK-NOT: not reached
	} else if (!strcmp(mode, "purged")) {
		// A 64 KiB mapping alone: its middle windows are released at purge.
		char *t = make_table(64 << 10);
		memset(t, 0x11, 64 << 10);
		drop_table(t);
		vk_purge();
		struct vk_stats s;
		vk_get_stats(&s);
		vt_mark("shadow_pages=%llu\n", (unsigned long long)s.shadow_pages);
		// PURGED: shadow_pages=0
		// PURGED: expect-report: Read of size 8 at addr [[T:0x[0-9a-f]+]]
		// PURGED-NEXT: {{^={66}$}}
		// PURGED-NEXT: BUG: KASAN: wild-memory-access in vt_read+0x
		// PURGED-NEXT: Read of size 8 at addr [[T]] by task vktest/[[PID]]
		// PURGED: Call Trace:
		// PURGED: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}uaf.c:[[@LINE+4]]
		// PURGED-NOT: The buggy address belongs to the virtual mapping
		// PURGED-NOT: Freed by task
		vt_expect("Read of size 8 at addr %p", (void *)(t + 40000));
		vt_read(t + 40000, 8);
		// PURGED: Memory state around the buggy address:
		// PURGED: {{^={66}$}}
		// PURGED-NOT: not reached
	} else if (!strcmp(mode, "purged-shared")) {
		// The window stays present (a live neighbour shares it): f8.
		char *t = make_table(100);
		char *keep = make_table(100);
		drop_table(t);
		vk_purge();
		struct vk_stats s;
		vk_get_stats(&s);
		vt_mark("shadow_pages=%llu keep=%p\n", (unsigned long long)s.shadow_pages, (void *)keep);
		// SHARED: shadow_pages=1 keep=
		// SHARED: expect-report: Write of size 1 at addr [[T:0x[0-9a-f]+]]
		// SHARED-NEXT: {{^={66}$}}
		// SHARED-NEXT: BUG: KASAN: wild-memory-access in vt_write+0x
		// SHARED-NEXT: Write of size 1 at addr [[T]] by task vktest/[[PID]]
		// SHARED-NOT: The buggy address belongs to the virtual mapping
		// SHARED-NOT: Freed by task
		// SHARED: Memory state around the buggy address:
		// SHARED: {{^>}}[[T]]: f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
		// SHARED-NOT: not reached
		vt_expect("Write of size 1 at addr %p", (void *)t);
		vt_write(t, 1);
	}
	vt_mark("not reached\n");
	return 0;
}
