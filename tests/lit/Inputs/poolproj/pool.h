#ifndef POOL_H
#define POOL_H
#include <stddef.h>

struct pool {
	char *mem;
	size_t size, used;
};

int pool_create(struct pool *p, size_t size);
void *pool_alloc(struct pool *p, size_t n);
void pool_reset(struct pool *p);
void pool_destroy(struct pool *p);
#endif
