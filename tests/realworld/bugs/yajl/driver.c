/*
 * Trigger for yajl's injected bugs: parse a document given in two exact-size
 * heap chunks, the first ending inside a number, then generate more than
 * 2 KiB of JSON with strings that need escapes.  Correct on an unpatched
 * yajl.
 */
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *heap_copy(const char *s, size_t *n)
{
	*n = strlen(s);
	unsigned char *p = malloc(*n);
	memcpy(p, s, *n);
	return p;
}

int main(void)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	const char *chunks[] = {"{\"a\": [1, \"two\\n\", 2.5e3, 123", "45], \"b\": true}"};
	for (int i = 0; i < 2; i++) {
		size_t n;
		unsigned char *p = heap_copy(chunks[i], &n);
		yajl_status st = yajl_parse(h, p, n);
		free(p);
		if (st != yajl_status_ok) {
			fprintf(stderr, "parse error\n");
			return 1;
		}
	}
	if (yajl_complete_parse(h) != yajl_status_ok)
		return fprintf(stderr, "parse incomplete\n"), 1;
	yajl_free(h);

	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_map_open(g);
	for (int i = 0; i < 100; i++) {
		char key[16];
		snprintf(key, sizeof(key), "key%d", i);
		yajl_gen_string(g, (const unsigned char *)key, strlen(key));
		{
			const char *v = "tab\there \x01 quote\"";
			yajl_gen_string(g, (const unsigned char *)v, strlen(v));
		}
	}
	yajl_gen_map_close(g);
	const unsigned char *out;
	size_t len;
	yajl_gen_get_buf(g, &out, &len);
	printf("%zu bytes generated\n", len);
	yajl_gen_free(g);
	return 0;
}
