#!/bin/sh
# run.sh PROGRAM [ARGS...] - how the lit tests run a test program (%run).
#
# - A time limit (VK_LIT_TIMEOUT seconds, default 60): lit 14 cannot time
#   out a test without psutil.
# - The program's exit status passes through, and so does a death by a
#   signal (re-raised here), so that `not %run` fails on a crash or a
#   timeout instead of counting it as the expected failure.
# - Every KASAN report the program printed on stderr is checked for the
#   fields all reports must have (report_shape.py).  A malformed report
#   kills this script with SIGABRT, which `not` does not excuse either.
#
# The program's stderr is replayed after it ends: test programs print their
# markers to stderr so that markers and reports keep their order.  %run
# opens fd 3 on the test script's stderr, so that what goes wrong here shows
# in lit's output even when stderr goes into FileCheck.
here=$(dirname "$0")
ulimit -c 0

say() {
	printf '%s\n' "$*" >&2
	if { true >&3; } 2>/dev/null; then
		printf '%s\n' "$*" >&3
	fi
}

err=$(mktemp "${TMPDIR:-/tmp}/vk-lit.XXXXXX") || exit 125
timeout -k 5 "${VK_LIT_TIMEOUT:-60}" "$@" 2>"$err"
rc=$?
cat "$err" >&2
shape=0
if grep -q -e 'KASAN' -e '^expect-report: ' "$err"; then
	problems=$(python3 -S "$here/report_shape.py" "$err")
	shape=$?
fi
rm -f "$err"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	say "run.sh: $1 timed out"
	kill -ABRT $$
fi
if [ "$shape" -ne 0 ]; then
	say "$problems"
	say "run.sh: $1 printed a malformed report"
	kill -ABRT $$
fi
if [ "$rc" -gt 128 ]; then
	say "run.sh: $1 killed by signal $((rc - 128))"
	kill -"$((rc - 128))" $$
	kill -ABRT $$
fi
exit "$rc"
