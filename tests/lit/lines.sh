#!/bin/sh
# lines.sh FILE... - FileCheck definitions for the lines that tests refer to.
#
# A source line tagged with a trailing "// @NAME" (NAME in capitals) gives
# "-D#NAME=<its line number>", so CHECK lines can say file.c:[[#NAME]] and
# stay right when lines are added above.  %lines expands to this output.
for f in "$@"; do
	grep -n '// @[A-Z][A-Z0-9_]*' "$f" |
		sed 's|^\([0-9]*\):.*// @\([A-Z][A-Z0-9_]*\).*|-D#\2=\1|'
done | tr '\n' ' '
