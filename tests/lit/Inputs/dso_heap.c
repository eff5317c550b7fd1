/* An instrumented library for heap/dlopen_late.c: frees what its host
 * malloc'd, hands back what it malloc'd, and says whether the heap
 * served it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vkasan.h>

char *swap_block(char *host_block)
{
	free(host_block); /* libc's block: must go back to libc */
	char *p = malloc(40);
	strcpy(p, "from the library");
	struct vk_stats s;
	vk_get_stats(&s);
	fprintf(stderr, "lib: heap_objects=%lu\n", (unsigned long)s.heap_objects);
	return p;
}
