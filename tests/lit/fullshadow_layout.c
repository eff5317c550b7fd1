// The address space an inline program gets (fullshadow.c): AddressSanitizer's
// x86_64 shadow layout, mapped before main, around the arena's own dynamic
// shadow; virtual only (the resident set stays small).  An outline program
// maps none of it.  With a smaller arena the rest of the arena's shadow
// range is ordinary zero shadow, and with shadow=0 the arena is accessible
// to inline checks (the allocator alone, nothing checked).
//
// RUN: %cc %s -o %t
// RUN: env VKASAN_OPTIONS=detect_leaks=0 %run %t 2>&1 | FileCheck %s --check-prefix=CHECK-%vkmode
// RUN: env VKASAN_OPTIONS=arena_size=64M:detect_leaks=0 %run %t small 2>&1 | FileCheck %s --check-prefix=SMALL-%vkmode
// RUN: env VKASAN_OPTIONS=shadow=0:detect_leaks=0 %run %t noshadow 2>&1 | FileCheck %s --check-prefix=NOSHADOW
// (the program never frees its mapping: detect_leaks=0)
#include <stdlib.h>
#include "vktest.h"

/* The mapping that holds a, as "lo-hi perms", or "none". */
static void show(const char *what, uintptr_t a)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi;
	char perms[8];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
			printf("%s: %lx-%lx %s\n", what, lo, hi, perms);
			fclose(f);
			return;
		}
	fclose(f);
	printf("%s: none\n", what);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Read a shadow byte without a check (a check of a shadow address would
 * read the shadow gap). */
__attribute__((no_sanitize_address, noinline)) static int shadow_byte(uintptr_t a)
{
	return *(volatile unsigned char *)((a >> 3) + 0x7fff8000);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *p = vk_vmalloc(100);
	if (!strcmp(mode, "small")) {
		uintptr_t past = 0x600000000000UL + (64UL << 20);
		show("past-arena-shadow", (past >> 3) + 0x7fff8000);
#ifdef VK_LIT_INLINE
		printf("past-arena-shadow byte: %d\n", shadow_byte(past));
#endif
		// (merged with the high shadow above: same kind of mapping)
		// SMALL-inline: past-arena-shadow: c00807f8000-10007fff8000 rw-p
		// SMALL-inline: past-arena-shadow byte: 0
		// SMALL-outline: past-arena-shadow: none
		return 0;
	}
	if (!strcmp(mode, "noshadow")) {
		vt_write(p + 200, 1);
		vt_read(p + 4000, 8);
		printf("noshadow: %d reports\n", (int)vt_reports());
		// NOSHADOW: noshadow: 0 reports
		return 0;
	}
	show("low-shadow", 0x7fff8000UL);
	show("shadow-gap", 0x8fff7000UL);
	show("high-shadow-below", 0x02008fff7000UL);
	show("arena-shadow", 0x0c007fff8000UL);
	show("high-shadow-above", 0x0c207fff8000UL);
	show("high-memory", 0x10007fff8000UL);
	long rss = rss_kib();
	printf("rss %s\n", rss > 0 && rss < 32 * 1024 ? "below 32 MiB" : "too large");
	// CHECK-inline: low-shadow: 7fff8000-8fff7000 rw-p
	// CHECK-inline: shadow-gap: 8fff7000-2008fff7000 ---p
	// CHECK-inline: high-shadow-below: 2008fff7000-c007fff8000 rw-p
	// CHECK-inline: arena-shadow: c007fff8000-{{[0-9a-f]+}} rw-p
	// CHECK-inline: high-shadow-above: c207fff8000-10007fff8000 rw-p
	// CHECK-inline: high-memory: none
	// CHECK-outline: low-shadow: none
	// CHECK-outline: shadow-gap: none
	// CHECK-outline: high-shadow-below: none
	// CHECK-outline: arena-shadow: c007fff8000-{{[0-9a-f]+}} rw-p
	// CHECK-outline: high-shadow-above: none
	// CHECK-outline: high-memory: none
	// CHECK-%vkmode: rss below 32 MiB
	vk_vfree(p);
	return 0;
}
