#include "vkasan.h"
#include "table.h"

struct table *table_new(size_t n)
{
	struct table *t = vk_vmalloc(sizeof(*t));
	t->n = n;
	t->v = vk_vzalloc(n * sizeof(int));
	return t;
}

int table_sum(const struct table *t)
{
	int s = 0;
	for (size_t i = 0; i <= t->n; i++) /* off by one: the injected bug */
		s += ((const volatile int *)t->v)[i];
	return s;
}
