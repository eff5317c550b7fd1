#include "vkasan.h"

void plugin_fill(int n)
{
	char *p = vk_vmalloc(n);
	for (int i = 0; i <= n; i++) /* off by one: the injected bug */
		((volatile char *)p)[i] = 0;
	vk_vfree(p);
}
