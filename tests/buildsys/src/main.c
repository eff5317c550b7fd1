#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "table.h"

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "plugin")) {
		void *h = dlopen(argv[2], RTLD_NOW);
		if (!h) {
			printf("dlopen: %s\n", dlerror());
			return 3;
		}
		void (*fill)(int) = (void (*)(int))dlsym(h, "plugin_fill");
		fill(32);
		return 0;
	}
	struct table *t = table_new(10);
	printf("sum %d\n", table_sum(t));
	return 0;
}
