/* dlopen()s argv[1] and calls its poke(argv[2]) (poke_copy with a third
 * argument "copy").  Built with plain cc (an
 * uninstrumented host) or with vkasan-cc (a host with its own runtime). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 3;
	}
	int (*poke)(int) = (int (*)(int))dlsym(h, argc > 3 ? "poke_copy" : "poke");
	fprintf(stderr, "host: calling poke(%s)\n", argv[2]);
	poke(atoi(argv[2]));
	fprintf(stderr, "host: done\n");
	return 0;
}
