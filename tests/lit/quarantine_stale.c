// The address-space quarantine (vmalloc_quarantine): a stale pointer into a
// freed one-page mapping is still reported after 100,000 intervening
// one-page vk_vmalloc/vk_vfree pairs (24 automatic purges, 800 MiB of
// address space), as use-after-free of THAT mapping: its allocation and free
// lines, not those of the loop's last occupant of the address.  With
// vmalloc_quarantine=0 (the old behaviour) lowest fit had handed the range
// to the loop long before, and the report names the loop.  (bench/
// quarantine_bench.c runs the 1,000,000 pairs of issue 15.)
//
// RUN: %cc %s -o %t
// RUN: not %run %t > %t.out 2>&1
// RUN: FileCheck %s %lines < %t.out
// RUN: env VKASAN_OPTIONS=vmalloc_quarantine=0 not %run %t > %t.off 2>&1
// RUN: FileCheck %s --check-prefix=OFF %lines < %t.off
#include "vktest.h"

VT_NOINLINE char *make_page(void)
{
	char *p = vk_vmalloc(4096); // @ALLOC
	VT_NO_TAIL();
	return p;
}

VT_NOINLINE void drop_page(char *p)
{
	vk_vfree(p); // @FREE
	VT_NO_TAIL();
}

VT_NOINLINE void churn(long n)
{
	for (long i = 0; i < n; i++) {
		void *q = vk_vmalloc(4096); // @LOOPALLOC
		vk_vfree(q); // @LOOPFREE
	}
	VT_NO_TAIL();
}

int main(void)
{
	char *p = make_page();
	p[0] = 1;
	drop_page(p);
	churn(100000);
	struct vk_stats s;
	vk_get_stats(&s);
	vt_mark("purges>20: %s\n", s.purges > 20 ? "yes" : "no");
	// CHECK: purges>20: yes
	// CHECK: expect-report: Read of size 1 at addr [[P:0x[0-9a-f]+]]
	// CHECK-NEXT: {{^={66}$}}
	// CHECK-NEXT: BUG: KASAN: use-after-free in vt_read+0x
	// CHECK: The buggy address belongs to the virtual mapping at
	// CHECK-NEXT: {{^ \[}}{{0x[0-9a-f]+}}, {{0x[0-9a-f]+}}) created by:
	// CHECK-NEXT: {{^ }}make_page+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}quarantine_stale.c:[[#ALLOC]]
	// CHECK: Freed by task vktest/{{[0-9]+}}:
	// CHECK-NEXT: {{^ }}drop_page+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}quarantine_stale.c:[[#FREE]]
	// CHECK: The buggy address is located 10 bytes inside of
	// CHECK-NEXT: freed 4096-byte region
	// CHECK-NOT: not reached
	// OFF: expect-report: Read of size 1
	// OFF: BUG: KASAN: use-after-free in vt_read+0x
	// OFF: created by:
	// OFF-NEXT: {{^ }}churn+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}quarantine_stale.c:[[#LOOPALLOC]]
	// OFF: Freed by task
	// OFF-NEXT: {{^ }}churn+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}quarantine_stale.c:[[#LOOPFREE]]
	vt_expect("Read of size 1 at addr %p", (void *)(p + 10));
	vt_read(p + 10, 1);
	vt_mark("not reached\n");
	return 0;
}
