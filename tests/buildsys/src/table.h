/* The project every build system test builds: a table with an off-by-one
 * read in table_sum, and a plugin (a shared library) with one in
 * plugin_fill, loaded with dlopen by `prog plugin PATH`. */
#include <stddef.h>

struct table {
	size_t n;
	int *v;
};

struct table *table_new(size_t n);
int table_sum(const struct table *t);
