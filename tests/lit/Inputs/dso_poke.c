/* An instrumented shared library for shared_lib.c: poke(n) writes byte n
 * of a 16-byte vk_vmalloc mapping. */
#include <string.h>
#include "vkasan.h"

int poke(int n)
{
	char *p = vk_vmalloc(16);
	((volatile char *)p)[n] = 1; // @POKE
	vk_vfree(p);
	return 0;
}

/* n bytes copied into a 16-byte mapping with memcpy. */
int poke_copy(int n)
{
	char src[64] = { 0 };
	char *p = vk_vmalloc(16);
	memcpy(p, src, (size_t)n);
	vk_vfree(p);
	return 0;
}
