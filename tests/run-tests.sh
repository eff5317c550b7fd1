#!/bin/sh
# Runs every unit test binary and the lit suite; the last line is
# "N passed, N failed" (CI reads it).  Usage: tests/run-tests.sh BUILD_DIR
B=${1:-build}
start=$(date +%s)
# stage NAME: how long the stage that just ended took (where the time goes).
stage() {
	now=$(date +%s)
	echo "  ($1: $((now - start)) s)"
	start=$now
}
passed=0
failed=0
log=$B/tests/unit.log
: > "$log"
# count NAME STATUS: add up the "PASS: "/"FAIL: " lines in $out; a program
# that failed without a FAIL line counts as one failure.
count() {
	printf '%s\n' "$out" >> "$log"
	p=$(printf '%s\n' "$out" | grep -c '^PASS: ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL: ')
	printf '%s\n' "$out" | grep -E '^(FAIL: |  )' | head -40
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $1 exited with status $2"
		printf '%s\n' "$out" | tail -20
		f=1
	fi
	echo "  $1: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$(timeout 600 "$t" 2>&1)
	count "$(basename "$t")" $?
done
stage "unit tests"
# The stress test's short mode and the fuzz corpus replay: they print
# "PASS: "/"FAIL: " lines like the unit tests (issue 5).
absb=$(cd "$B" && pwd)
for t in "tests/stress short" "tests/fuzz check"; do
	set -- $t
	[ -f "$1/Makefile" ] || continue
	out=$(make -s --no-print-directory -C "$1" B="$absb" "$2" 2>&1)
	count "$1 $2" $?
	stage "$1 $2"
done
# Real build systems (CMake, autotools, Meson, make with -flto and plugins)
# against an installed tree; a build system that is not installed is
# skipped (not counted), the others print PASS:/FAIL: lines.
if [ -f tests/buildsys/run.sh ]; then
	out=$(sh tests/buildsys/run.sh "$B" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep '^SKIP: '
	count "tests/buildsys" $rc
	stage "tests/buildsys"
fi
if [ -f tests/lit/run-lit.sh ]; then
	# The lit stage takes minutes: a progress line every 40 tests (and
	# each failure at once), so that it does not look hung.
	echo "  lit: {gcc, clang} x {-O0, -O2} x {outline, inline}, progress every 40 tests"
	sh tests/lit/run-lit.sh "$B" 2>&1 | tee "$B/tests/lit.log" | awk '
		/^[A-Z]+: .* \([0-9]+ of [0-9]+\)$/ {
			n++
			if ($1 != "PASS:" && $1 != "UNSUPPORTED:") { print "  lit: " $0; fflush() }
			if (n % 40 == 0) {
				t = $0; sub(/.*\(/, "", t); sub(/\)$/, "", t)
				print "  lit: " t " tests done"; fflush()
			}
		}'
	litout=$(cat "$B/tests/lit.log")
	printf '%s\n' "$litout" | grep -E '^(FAIL|XPASS|UNRESOLVED|TIMEOUT):' | head -60
	lp=$(printf '%s\n' "$litout" | sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	lf=$(printf '%s\n' "$litout" | sed -n 's/^ *\(Failed\|Unresolved\|Timed Out\|Unexpectedly Passed\) *: *\([0-9]*\).*/\2/p' | awk '{s+=$1} END {print s+0}')
	if [ "$lp" -eq 0 ] && [ "$lf" -eq 0 ]; then
		echo "lit produced no results:"; printf '%s\n' "$litout" | tail -20; lf=1
	fi
	echo "  lit: $lp passed, $lf failed"
	stage "lit"
	passed=$((passed + lp))
	failed=$((failed + lf))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
