#include <stdio.h>
#include <string.h>
#include "pool.h"

int main(void)
{
	struct pool p;
	if (pool_create(&p, 4096))
		return 2;
	char *name = pool_alloc(&p, 32);
	strcpy(name, "request");
	pool_reset(&p);
	volatile char c = name[3]; /* the bug: the pool was reset */
	fprintf(stderr, "read %c\n", c);
	pool_destroy(&p);
	fprintf(stderr, "done\n");
	return 0;
}
