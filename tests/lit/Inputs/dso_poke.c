/* An instrumented shared library for shared_lib.c: poke(n) writes byte n
 * of a 16-byte vk_vmalloc mapping. */
#include "vkasan.h"

int poke(int n)
{
	char *p = vk_vmalloc(16);
	((volatile char *)p)[n] = 1; // @POKE
	vk_vfree(p);
	return 0;
}
