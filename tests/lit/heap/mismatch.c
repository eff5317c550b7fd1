// alloc-dealloc-mismatch: malloc / operator delete, operator new / free,
// operator new[] / operator delete.  The operators are called by their
// mangled names, as C++ code calls them.
//
// RUN: %cc %s -o %t
// RUN: not %run %t malloc-delete 2>&1 | FileCheck %s --check-prefix=MD %lines
// RUN: not %run %t new-free 2>&1 | FileCheck %s --check-prefix=NF
// RUN: not %run %t newarray-delete 2>&1 | FileCheck %s --check-prefix=ND
// RUN: %run %t matched 2>&1 | FileCheck %s --check-prefix=OK
#include <stdlib.h>
#include "vktest.h"

void *_Znwm(size_t);
void *_Znam(size_t);
void _ZdlPv(void *);
void _ZdaPv(void *);
void _ZdlPvm(void *, size_t);

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "malloc-delete")) {
		char *p = malloc(10); // @ALLOC
		// MD: expect-report: Free of addr
		// MD-NEXT: {{^={66}$}}
		// MD-NEXT: BUG: KASAN: alloc-dealloc-mismatch in main+0x
		// MD: The object was allocated by malloc and is being freed by operator delete
		// MD: Allocated by task vktest/{{[0-9]+}}:
		// MD-NEXT: {{^ }}main+0x{{[0-9a-f]+}}/0x{{[0-9a-f]+}} {{.*}}mismatch.c:[[#ALLOC]]
		vt_expect("Free of addr %p by task", (void *)p);
		_ZdlPv(p);
	}
	if (!strcmp(mode, "new-free")) {
		char *p = _Znwm(10);
		// NF: BUG: KASAN: alloc-dealloc-mismatch in main+0x
		// NF: The object was allocated by operator new and is being freed by free
		vt_expect("Free of addr %p by task", (void *)p);
		free(p);
	}
	if (!strcmp(mode, "newarray-delete")) {
		char *p = _Znam(10);
		// ND: BUG: KASAN: alloc-dealloc-mismatch in main+0x
		// ND: The object was allocated by operator new [] and is being freed by operator delete
		vt_expect("Free of addr %p by task", (void *)p);
		_ZdlPv(p);
	}
	if (!strcmp(mode, "matched")) {
		_ZdlPv(_Znwm(10));
		_ZdlPvm(_Znwm(10), 10);
		_ZdaPv(_Znam(10));
		free(malloc(10));
		// OK: matched reports=0
		vt_mark("matched reports=%d\n", (int)vt_reports());
		return 0;
	}
	return 1;
}
