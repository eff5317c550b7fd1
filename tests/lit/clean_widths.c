// A clean program prints nothing: every access width at every offset of
// mappings of many sizes, the whole mapping through memcpy/memset/memmove,
// vzalloc and aligned mappings, neighbours packed in one shadow window.
//
// RUN: %cc %s -o %t
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: clean: 436248 accesses, 0 reports
#include <stdlib.h>
#include "vktest.h"

int main(void)
{
	static const int widths[] = { 1, 2, 4, 8, 16 };
	static char *keep[301];
	long accesses = 0;
	char *buf = malloc(70000);

	for (size_t size = 1; size <= 300; size++) {
		char *p = size % 3 ? vk_vmalloc(size) : vk_vzalloc(size);
		if (size % 3 == 0)
			for (size_t i = 0; i < size; i++)
				if (vt_read(p + i, 1) != 0)
					printf("vzalloc byte %zu not zero\n", i);
		for (int j = 0; j < 5; j++)
			for (size_t off = 0; off + widths[j] <= size; off++) {
				vt_write(p + off, widths[j]);
				vt_read(p + off, widths[j]);
				accesses += 2;
			}
		memset(p, 0x7e, size);
		memcpy(buf, p, size);
		memcpy(p, buf, size);
		memmove(p + 1, p, size - 1);
		memmove(p, p + 1, size - 1);
		keep[size] = p;
		if (size % 50 == 0) // free in batches: holes between live mappings
			for (size_t k = size - 49; k <= size; k += 2)
				vk_vfree(keep[k]), keep[k] = NULL;
	}
	for (int k = 1; k <= 300; k++)
		vk_vfree(keep[k]);

	// Page-sized, large and aligned mappings: first and last bytes.
	static const size_t big[] = { 4095, 4096, 4097, 65536, 65537, 1 << 20 };
	for (unsigned i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		char *p = vk_vmalloc_aligned(big[i], 1UL << (12 + i));
		if ((uintptr_t)p & ((1UL << (12 + i)) - 1))
			printf("misaligned %p\n", (void *)p);
		for (int j = 0; j < 5; j++) {
			vt_write(p, widths[j]);
			vt_write(p + big[i] - widths[j], widths[j]);
			vt_read(p + big[i] - widths[j], widths[j]);
			accesses += 3;
		}
		memset(p, 1, big[i]);
		vk_vfree(p);
	}
	vk_purge();
	printf("clean: %ld accesses, %d reports\n", accesses, (int)vt_reports());
	free(buf);
	return 0;
}
