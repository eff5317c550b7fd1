// Leaks found at exit, in kmemleak's shape: an object whose pointer was
// dropped is reported with its allocation stack and a hex dump of its first
// bytes; objects of one stack are grouped; an object reachable only from a
// leaked one is an indirect leak, and so is a cycle of objects nothing else
// points to (as LeakSanitizer counts them); a vk_vmalloc mapping leaks too.
// The process exits with the exitcode unless leak_report_only=1; with
// detect_leaks=0 nothing is checked.  vk_leak_check() returns the count.
//
// RUN: %cc %s -o %t
// RUN: not %run %t drop 2>&1 | FileCheck %s --check-prefix=DROP %lines
// RUN: not %run %t many 2>&1 | FileCheck %s --check-prefix=MANY
// RUN: not %run %t chain 2>&1 | FileCheck %s --check-prefix=CHAIN
// RUN: not %run %t cycle 2>&1 | FileCheck %s --check-prefix=CYCLE
// RUN: not %run %t vmalloc 2>&1 | FileCheck %s --check-prefix=VMALLOC %lines
// RUN: env VKASAN_OPTIONS=leak_report_only=1 %run %t drop 2>&1 | FileCheck %s --check-prefix=DROP %lines
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t drop 2>&1 | FileCheck %s --check-prefix=OFF --allow-empty
// RUN: env VKASAN_OPTIONS=exitcode=7 %run %t drop; test $? = 7
// RUN: not %run %t api 2>&1 | FileCheck %s --check-prefix=API
#include <stdlib.h>
#include "leaktest.h"

struct node {
	struct node *next;
	char text[40];
};

void *volatile sink; /* where a pointer passes on its way to being dropped */

VT_NOINLINE void *alloc_one(size_t n)
{
	char *p = malloc(n); // @ALLOC
	memcpy(p, "vkasan leak test: abcdefghijklmnopqrstuvwxyz", n < 44 ? n : 44);
	return p;
}

VT_NOINLINE void drop(size_t n)
{
	sink = alloc_one(n);
	sink = NULL;
	VT_NO_TAIL();
}

VT_NOINLINE void chain(int cycle)
{
	struct node *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	a->next = b;
	b->next = cycle ? a : NULL;
	sink = a;
	sink = NULL;
	VT_NO_TAIL();
}

VT_NOINLINE void vmalloc_drop(void)
{
	sink = vk_vmalloc(5000); // @VALLOC
	sink = NULL;
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "drop"))
		drop(48);
	// DROP: unreferenced object 0x{{6[0-9a-f]+}} (size 48):
	// DROP-NEXT: comm "vktest", pid {{[0-9]+}}
	// DROP-NEXT: hex dump (first 32 bytes):
	// DROP-NEXT: 76 6b 61 73 61 6e 20 6c 65 61 6b 20 74 65 73 74  vkasan leak test
	// DROP-NEXT: 3a 20 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e  : abcdefghijklmn
	// DROP-NEXT: backtrace:
	// DROP-NEXT: [<0x{{[0-9a-f]+}}>] alloc_one+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}report.c:[[#ALLOC]]
	// DROP-NEXT: [<0x{{[0-9a-f]+}}>] drop+0x
	// DROP-NEXT: [<0x{{[0-9a-f]+}}>] main+0x
	// DROP: vkasan: 1 unreferenced objects (48 bytes): 1 direct, 0 indirect
	// OFF-NOT: unreferenced
	if (!strcmp(mode, "many"))
		for (volatile int i = 0; i < 5; i++)
			drop(24);
	// MANY: unreferenced object 0x{{[0-9a-f]+}} (size 24):
	// MANY: hex dump (first 24 bytes):
	// MANY: 4 more objects with the same allocation stack (total 120 bytes)
	// MANY: vkasan: 5 unreferenced objects (120 bytes): 5 direct, 0 indirect
	if (!strcmp(mode, "chain"))
		chain(0);
	// CHAIN: unreferenced object 0x{{[0-9a-f]+}} (size 48):
	// CHAIN-NOT: indirect:
	// CHAIN: backtrace:
	// CHAIN: unreferenced object 0x{{[0-9a-f]+}} (size 48):
	// CHAIN-NEXT: comm
	// CHAIN-NEXT: indirect: referenced only from other unreferenced objects
	// CHAIN: vkasan: 2 unreferenced objects (96 bytes): 1 direct, 1 indirect
	if (!strcmp(mode, "cycle"))
		chain(1);
	// CYCLE: vkasan: 2 unreferenced objects (96 bytes): 0 direct, 2 indirect
	if (!strcmp(mode, "vmalloc"))
		vmalloc_drop();
	// VMALLOC: unreferenced object 0x{{6[0-9a-f]+}} (size 5000):
	// VMALLOC: backtrace:
	// VMALLOC-NEXT: [<0x{{[0-9a-f]+}}>] vmalloc_drop+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}report.c:[[#VALLOC]]
	// VMALLOC: vkasan: 1 unreferenced objects (5000 bytes): 1 direct, 0 indirect
	if (!strcmp(mode, "api")) {
		for (volatile int i = 0; i < 2; i++)
			drop(32);
		vt_scrub();
		int n = vk_leak_check();
		vt_mark("vk_leak_check=%d\n", n);
		// API: 1 more objects with the same allocation stack (total 64 bytes)
		// API: vkasan: 2 unreferenced objects (64 bytes): 2 direct, 0 indirect
		// API-NEXT: vk_leak_check=2
		// API: vkasan: 2 unreferenced objects (64 bytes): 2 direct, 0 indirect
		// API-NOT: vk_leak_check
	}
	vt_scrub();
	return 0;
}
