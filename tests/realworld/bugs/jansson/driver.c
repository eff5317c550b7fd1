/*
 * Trigger for jansson's injected bugs: parse from an exact-size heap buffer
 * (no terminating NUL), build and delete strings, and dump a long string
 * and a character outside the BMP with ASCII escapes.  Correct on an
 * unpatched jansson; each patch in this directory breaks one of the paths.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	static const char text[] = "{\"name\": \"vkasan\", \"list\": [1, 2.5, \"three\"]}";
	size_t n = sizeof(text) - 1;
	char *buf = malloc(n);
	memcpy(buf, text, n);
	json_error_t err;
	json_t *root = json_loadb(buf, n, 0, &err);
	free(buf);
	if (!root) {
		fprintf(stderr, "parse: %s\n", err.text);
		return 1;
	}
	char long_text[300];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = 0;
	json_object_set_new(root, "long", json_string(long_text));
	json_object_set_new(root, "smile", json_string("\xF0\x9F\x98\x80"));
	char *out = json_dumps(root, JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	if (!out || !strstr(out, "\\uD83D\\uDE00")) {
		fprintf(stderr, "dump failed\n");
		return 1;
	}
	printf("%zu bytes dumped\n", strlen(out));
	free(out);
	json_decref(root);
	return 0;
}
