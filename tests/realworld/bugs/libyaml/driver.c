/*
 * Trigger for libyaml's injected bugs: read input.yaml into a heap buffer of
 * its exact size, parse it from that string, and emit every event again into
 * a memory buffer.  Correct on an unpatched libyaml.
 */
#include <yaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	FILE *f = fopen(argc > 1 ? argv[1] : "input.yaml", "rb");
	if (!f)
		return perror("input"), 1;
	static unsigned char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text), f);
	fclose(f);
	unsigned char *in = malloc(n);
	memcpy(in, text, n);

	yaml_parser_t parser;
	yaml_emitter_t emitter;
	static unsigned char out[1 << 17];
	size_t written = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, in, n);
	yaml_emitter_initialize(&emitter);
	yaml_emitter_set_output_string(&emitter, out, sizeof(out), &written);
	int events = 0, done = 0;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "parse error: %s\n", parser.problem);
			return 1;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		events++;
		if (!yaml_emitter_emit(&emitter, &ev)) {
			fprintf(stderr, "emit error: %s\n", emitter.problem);
			return 1;
		}
	}
	yaml_parser_delete(&parser);
	yaml_emitter_delete(&emitter);
	free(in);
	printf("%d events, %zu bytes emitted\n", events, written);
	return 0;
}
