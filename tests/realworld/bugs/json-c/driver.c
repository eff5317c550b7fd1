/*
 * Trigger for json-c's injected bugs: parse from an exact-size heap buffer
 * (no terminating NUL) with json_tokener_parse_ex, including a \u escape of a
 * three-byte character and a key of exactly 30 bytes (the tokener's print
 * buffer, 32 bytes, then holds 30 and its NUL: the last byte before it
 * grows), serialize the result, free everything.  Correct on
 * an unpatched json-c.
 */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	static const char text[] =
		"{\"abcdefghijklmnopqrstuvwxyz0123\": 30, \"euro\": \"\\u20ac\", \"text\": \"a string longer than a print buffer's first 32 bytes\","
		" \"list\": [1, 2.5, true, null, \"four\"]}";
	int n = (int)sizeof(text) - 1;
	char *buf = malloc(n);
	memcpy(buf, text, n);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = json_tokener_parse_ex(tok, buf, n);
	free(buf);
	if (!obj) {
		fprintf(stderr, "parse: %s\n", json_tokener_error_desc(json_tokener_get_error(tok)));
		return 1;
	}
	json_tokener_free(tok);
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY);
	printf("%zu bytes serialized\n", strlen(s));
	json_object_put(obj);
	return 0;
}
