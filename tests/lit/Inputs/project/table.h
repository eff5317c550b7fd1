#include <stddef.h>
struct table {
	size_t n;
	int *v;
};
struct table *table_new(size_t n);
int table_sum(const struct table *t);
