// Suppressions: a leak_suppressions file of "leak:pattern" lines (or plain
// patterns; '#' starts a comment) matched against the function names of
// the allocation stack; what a suppressed object points to is not reported
// either.  vk_leak_ignore and kmemleak_not_leak (<vkasan/linux.h>) mark one
// object.  Without the file, the same program reports the suppressed ones.
//
// RUN: %cc %s -o %t
// RUN: printf 'leak:leaky_lib_*\n# a comment\n\n  plain_pattern_fn  \n' > %t.supp
// RUN: not env VKASAN_OPTIONS=leak_suppressions=%t.supp %run %t 2>&1 | FileCheck %s
// RUN: not %run %t 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not env VKASAN_OPTIONS=leak_suppressions=%t.missing %run %t 2>&1 | FileCheck %s --check-prefix=MISSING
#include <stdlib.h>
#include <vkasan/linux.h>
#include "leaktest.h"

void *volatile sink;

VT_NOINLINE void *child_of_suppressed(void) { void *p = malloc(16); VT_NO_TAIL(); return p; }

VT_NOINLINE void leaky_lib_function(void)
{
	void **p = malloc(32);
	p[0] = child_of_suppressed();
	sink = p;
	sink = NULL;
	VT_NO_TAIL();
}

VT_NOINLINE void plain_pattern_fn(void)
{
	sink = malloc(48);
	sink = NULL;
	VT_NO_TAIL();
}

VT_NOINLINE void not_suppressed(void)
{
	sink = malloc(56);
	sink = NULL;
	VT_NO_TAIL();
}

VT_NOINLINE void ignored(void)
{
	void *a = malloc(64), *b = kmalloc(72, GFP_KERNEL);
	vk_leak_ignore(a);
	kmemleak_not_leak(b);
	sink = a;
	sink = b;
	sink = NULL;
	VT_NO_TAIL();
}

int main(void)
{
	leaky_lib_function();
	plain_pattern_fn();
	not_suppressed();
	ignored();
	vt_scrub();
	return 0;
}
// CHECK-NOT: unreferenced object
// CHECK: unreferenced object 0x{{[0-9a-f]+}} (size 56):
// CHECK-NOT: unreferenced object
// CHECK: vkasan: 1 unreferenced objects (56 bytes): 1 direct, 0 indirect

// ALL-DAG: ] leaky_lib_function+
// ALL-DAG: ] child_of_suppressed+
// ALL-DAG: ] plain_pattern_fn+
// ALL-DAG: ] not_suppressed+
// ALL: vkasan: 4 unreferenced objects (152 bytes): 3 direct, 1 indirect

// MISSING: vkasan: cannot read leak_suppressions file
// MISSING: vkasan: 4 unreferenced objects
