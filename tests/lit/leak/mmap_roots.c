// The program's mmap mappings are roots: a heap pointer kept only in an
// mmap'd table (private or shared anonymous, or deep in a big mapping whose
// other pages were never touched, or next to a page the program made
// unreadable with a guard marker, MADV_GUARD_INSTALL, where the kernel has
// them) keeps its object: pages are copied out, never read in place.  The check reads only
// readable pieces: a table made PROT_NONE is not read (no fault; its
// object is reported), nor is a file mapping.  Control: once the table is
// unmapped, the object is reported.  The mappings themselves are never
// reported: LeakSanitizer does not track mmap either.
//
// RUN: %cc %s -o %t
// RUN: %run %t private 2>&1 | FileCheck %s --check-prefix=KEPT --allow-empty
// RUN: %run %t shared 2>&1 | FileCheck %s --check-prefix=KEPT --allow-empty
// RUN: %run %t big 2>&1 | FileCheck %s --check-prefix=KEPT --allow-empty
// RUN: %run %t guard 2>&1 | FileCheck %s --check-prefix=KEPT --allow-empty
// RUN: not %run %t unmapped 2>&1 | FileCheck %s --check-prefix=GONE
// RUN: not %run %t none 2>&1 | FileCheck %s --check-prefix=GONE
#include <stdlib.h>
#include <sys/mman.h>
#include "leaktest.h"

#define BIG (1UL << 30)

VT_NOINLINE void **table(size_t len, int flags)
{
	void **t = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		abort();
	return t;
}

/* The only pointer to a new object goes to *slot (encoded nowhere else). */
VT_NOINLINE void put(void **slot)
{
	*slot = malloc(100);
	VT_NO_TAIL();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	void **t = NULL;
	size_t len = 4096;
	if (!strcmp(mode, "shared"))
		t = table(len, MAP_SHARED);
	else if (!strcmp(mode, "big"))
		t = table(len = BIG, MAP_PRIVATE | MAP_NORESERVE);
	else if (!strcmp(mode, "guard"))
		t = table(len = 3 * 4096, MAP_PRIVATE);
	else
		t = table(len, MAP_PRIVATE);
	void **slot = !strcmp(mode, "big") ? t + BIG / sizeof(void *) - 7 : t + 3;
	put(slot);
	if (!strcmp(mode, "unmapped"))
		munmap(t, len);
	if (!strcmp(mode, "none"))
		mprotect(t, len, PROT_NONE);
	if (!strcmp(mode, "guard")) {
		t[600] = t; /* resident */
		madvise((char *)t + 4096, 4096, 102 /* MADV_GUARD_INSTALL; EINVAL before 6.13 */);
	}
	t = slot = NULL;
	vt_scrub();
	return 0;
	// KEPT-NOT: unreferenced
	// GONE: unreferenced object 0x{{[0-9a-f]+}} (size 100):
	// GONE: vkasan: 1 unreferenced objects (100 bytes): 1 direct, 0 indirect
}
