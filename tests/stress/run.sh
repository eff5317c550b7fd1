#!/bin/sh
# run.sh OUT MODE - run the stress configurations of MODE (short or long)
# with the binaries in OUT (stress-gcc, stress-clang).  Prints one line per
# configuration, "PASS: stress:NAME" or "FAIL: stress:NAME" (the unit-test
# format that tests/run-tests.sh counts), the run's output on failure, and
# "stress: N passed, N failed" at the end; exits non-zero if any failed.
#
# A configuration is: name, binary, expected exit status, VKASAN_OPTIONS,
# stress arguments.  STRESS_SEED (default: 1 for short, the time for long)
# repeats or varies runs; STRESS_SECONDS (default 60) is the long duration.
OUT=$1
MODE=${2:-short}
passed=0
failed=0

run() {
	name=$1 bin=$OUT/$2 want=$3 opts=$4
	shift 4
	if [ ! -x "$bin" ]; then
		echo "FAIL: stress:$name ($bin not built)"
		failed=$((failed + 1))
		return
	fi
	log=$OUT/$name.log
	# The time limit is generous: the runs stop by themselves.
	VKASAN_OPTIONS=$opts timeout 900 "$bin" -s "${STRESS_SEED:-$seed}" "$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ] && { [ "$want" -ne 0 ] || grep -q '^stress: ok$' "$log"; }; then
		echo "PASS: stress:$name"
		passed=$((passed + 1))
	else
		echo "FAIL: stress:$name (exit $rc, expected $want; VKASAN_OPTIONS=$opts $*)"
		sed -n '1,12p' "$log" | sed 's/^/  | /'
		tail -4 "$log" | sed 's/^/  | /'
		failed=$((failed + 1))
	fi
}

case $MODE in
short)
	seed=1
	d=2
	;;
long)
	seed=$(date +%s)
	d=${STRESS_SECONDS:-60}
	echo "stress: seed $seed (set STRESS_SEED to repeat)"
	;;
*)
	echo "usage: run.sh OUT short|long" >&2
	exit 2
	;;
esac

# name              binary        exit  VKASAN_OPTIONS                        arguments
run default         stress-gcc    0     ""                                     -t 4 -d $d
run clang           stress-clang  0     ""                                     -t 4 -d $d
run guard-pages     stress-gcc    0     "guard_pages=1"                        -t 4 -d $d
run small-arena     stress-gcc    0     "arena_size=64m:lazy_max=8m"           -t 4 -d $d -a -S 4194304 -n 64
run no-decommit     stress-gcc    0     "decommit=0:lazy_max=1m"               -t 3 -d $d
run shadow-off      stress-gcc    0     "shadow=0"                             -t 3 -d 1
run verify-1thread  stress-gcc    0     "verify_every=1:lazy_max=256k"         -t 1 -d $d -w 0
# Fault injection while threads run (fail_mmap_every set after start-up).
run faults-7        stress-gcc    0     "lazy_max=1m"                          -t 4 -d $d -f 7
run faults-3-guard  stress-gcc    0     "guard_pages=1:lazy_max=1m"            -t 4 -d $d -f 3
# The invariant walk racing allocations: explicit walks every 5 ms, and the walk
# that verify_every=1 runs inside purges of any thread.
run walk-often      stress-gcc    0     ""                                     -t 4 -d $d -w 5
run verify-threads  stress-gcc    0     "verify_every=1:lazy_max=1m"           -t 4 -d $d -w 0
# Thread stacks: the workers run on arena stacks by default (every config
# above); here explicitly with the walk in every purge and more threads than
# cores, and once with glibc's stacks for comparison.
run arena-stacks    stress-clang  0     "arena_stacks=1:verify_every=1:lazy_max=2m" -t 8 -d $d -w 0
run glibc-stacks    stress-gcc    0     "arena_stacks=0"                       -t 4 -d $d
run inline-stacks   stress-inline 0     "verify_every=1:lazy_max=2m"           -t 8 -d $d -w 0
# Self-check: one out-of-bounds read at the end must be reported (exit 1).
run selfcheck       stress-gcc    1     ""                                     -t 2 -d 0.3 -X
if [ "$MODE" = long ]; then
	run many-threads  stress-gcc  0     "lazy_max=4m"                          -t 16 -d $d -n 16
	run big-sizes     stress-clang 0    "lazy_max=64m"                         -t 4 -d $d -S 33554432 -n 16
	run faults-2      stress-clang 0    "lazy_max=512k"                        -t 4 -d $d -f 2
	run faults-13-sa  stress-gcc  0     "arena_size=128m:lazy_max=2m"          -t 4 -d $d -f 13 -S 4194304
fi
echo "stress: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
