/*
 * buggy.c - a small program with a real bug, for `make demo`.
 *
 * join() sizes its buffer for the words and the separators between them,
 * and forgets the terminating NUL: it writes one byte past the end of its
 * malloc() buffer.  Most of the time nothing visible happens (the byte
 * lands in the allocator's slack); built with vkasan-cc, whose heap lives
 * in the vmalloc arena (slabs are arena mappings), the write is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *join(const char *const *words, int n, char sep)
{
	size_t len = n - 1; /* the separators */
	for (int i = 0; i < n; i++)
		len += strlen(words[i]);
	char *out = malloc(len); /* bug: no room for the NUL */
	char *p = out;
	for (int i = 0; i < n; i++) {
		if (i)
			*p++ = sep;
		size_t k = strlen(words[i]);
		memcpy(p, words[i], k);
		p += k;
	}
	*p = '\0';
	return out;
}

int main(void)
{
	static const char *const words[] = { "shadow", "on", "demand" };
	char *s = join(words, 3, '-');
	printf("%s\n", s);
	free(s);
	return 0;
}
