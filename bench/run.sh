#!/bin/sh
# run.sh - runs the whole benchmark suite once and prints one table.
#
#   sh run.sh quick|full BINDIR RESULTSDIR
#
# Every measurement is a fresh process (options such as shadow=0 and
# upstream_release=1 are given through VKASAN_OPTIONS before it starts).
# Backends and variants are interleaved per workload and kernel, so that
# the machine's noise hits them alike.  Raw lines go to
# RESULTSDIR/raw-MODE.csv.tmp, every run's stderr to RESULTSDIR/log-MODE.tmp;
# report.awk makes the table (stdout and NAME.txt), NAME.csv, and plot
# makes NAME.png, where NAME is bench (full) or bench-quick.
#
# CHECK_VARIANTS (from the Makefile) lists the check-cost builds, plain first.
#
# Targets measured elsewhere (other lanes' scripts) plug in here: every
# executable or readable bench/extra/*.sh is run as
#   sh SCRIPT quick|full BINDIR
# and its stdout lines of the form
#   target,NAME,LIMIT,MEASURED,met|MISSED|shown
# (no commas inside the fields) become rows of the Targets table; its other
# stdout lines and its stderr go to the log.  A script that exits non-zero
# is listed under the runs that failed.
set -u

mode=${1:-quick}
bin=${2:?BINDIR}
res=${3:?RESULTSDIR}
here=$(cd "$(dirname "$0")" && pwd)
variants=${CHECK_VARIANTS:-plain vkasan asan}
unset VKASAN_OPTIONS ASAN_OPTIONS

case $mode in
quick)
	name=bench-quick
	loops=20000 cap=0.2 alloc_rounds=2 # alloc: ops per run, seconds at most
	pages_count=4000 churn_count=8000 run_ops=20000
	check_scale=1 check_reps=2 check_rounds=3 ;;
full)
	name=bench
	loops=1000000 cap=3 alloc_rounds=3 # the kernel's 1,000,000 where it fits the cap
	pages_count=20000 churn_count=40000 run_ops=100000
	check_scale=4 check_reps=3 check_rounds=3 ;;
*)
	echo "usage: run.sh quick|full BINDIR RESULTSDIR" >&2
	exit 2 ;;
esac

mkdir -p "$res"
raw=$res/raw-$mode.csv.tmp
log=$res/log-$mode.tmp
: > "$raw"
: > "$log"
start=$(date +%s)

info() { printf 'info,%s,%s\n' "$1" "$(printf '%s' "$2" | tr ',' ';')" >> "$raw"; }
info machine "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) x $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
info compiler "$(${CC:-cc} --version | head -1)"
info mode "$mode (alloc: $loops ops per run, capped at ${cap}s, best of $alloc_rounds; shadow: $pages_count/$churn_count mappings; check: scale $check_scale, best of $check_rounds x $check_reps)"
info date "$(date -u '+%Y-%m-%d %H:%M UTC')"

# run WHAT ENV CMD...: one measurement; its stdout lines are the data.
run() {
	what=$1 env=$2
	shift 2
	echo "## $what: $env $*" >> "$log"
	if [ ! -x "$1" ]; then
		echo "fail,$what,not built: $(basename "$1")" >> "$raw"
		return
	fi
	out=$(env $env timeout 600 "$@" 2>> "$log")
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "fail,$what,exit status $rc: $env $(basename "$1") ${*#"$1"}" >> "$raw"
		echo "  FAILED ($rc): $env $*   (log: $log)" >&2
		tail -5 "$log" | sed 's/^/    /' >&2
	fi
	[ -n "$out" ] && printf '%s\n' "$out" >> "$raw"
}

echo "vkasan benchmarks ($mode) - allocator throughput"
round=1
while [ $round -le $alloc_rounds ]; do
	for w in fix_size full_fit long_busy_list random_size fix_align random_size_align align_shift; do
		printf '  %s (round %s):' "$w" "$round"
		for t in 1 2; do
			printf ' %s thread(s)' "$t"
			run alloc "BENCH_RUN=1" "$bin/alloc_bench-vk" $w $t $loops $cap vkasan
			run alloc "VKASAN_OPTIONS=shadow=0" "$bin/alloc_bench-vk" $w $t $loops $cap shadow=0
			run alloc "VKASAN_OPTIONS=vmalloc_quarantine=0" "$bin/alloc_bench-vk" $w $t $loops $cap quarantine=0
			run alloc "BENCH_RUN=1" "$bin/alloc_bench-mmap" $w $t $loops $cap mmap
			run alloc "BENCH_RUN=1" "$bin/alloc_bench-malloc" $w $t $loops $cap malloc
			run alloc "BENCH_RUN=1" "$bin/alloc_bench-asan" $w $t $loops $cap asan
		done
		echo
	done
	round=$((round + 1))
done

echo "  shadow memory"
for s in pages1 pages2 pages4 pages16 churn; do
	n=$pages_count
	[ $s = churn ] && n=$churn_count
	run shadow "BENCH_RUN=1" "$bin/shadow_bench-vk" $s $n vkasan
	run shadow "VKASAN_OPTIONS=upstream_release=1" "$bin/shadow_bench-vk" $s $n upstream
	run shadow "BENCH_RUN=1" "$bin/shadow_bench-asan" $s $n asan
done

echo "  resident shadow over a run ($run_ops ops, no explicit purge)"
run shadow "BENCH_RUN=1" "$bin/shadow_bench-vk" run $run_ops vkasan
run shadow "VKASAN_OPTIONS=release_delay=0" "$bin/shadow_bench-vk" run $run_ops eager
run shadow "BENCH_RUN=1" "$bin/shadow_bench-asan" run $run_ops asan

echo "  check cost: $variants"
for k in byte_loop word_loop memcpy hash_table lz77 csv_parse tokenize; do
	round=1
	while [ $round -le $check_rounds ]; do
		for v in $variants; do
			run check "BENCH_RUN=1" "$bin/check_bench-$v" $check_scale $check_reps $v $k
		done
		round=$((round + 1))
	done
done

# Other lanes' targets (see the top of this file).
for x in "$here"/extra/*.sh; do
	[ -f "$x" ] || continue
	echo "  extra: $(basename "$x")"
	echo "## extra: $x $mode $bin" >> "$log"
	xout=$(timeout 1200 sh "$x" "$mode" "$bin" 2>> "$log")
	rc=$?
	printf '%s\n' "$xout" | grep '^target,' >> "$raw"
	printf '%s\n' "$xout" | grep -v '^target,' >> "$log"
	[ $rc -ne 0 ] && echo "fail,extra,$(basename "$x") exit status $rc" >> "$raw"
done

info "run time" "$(($(date +%s) - start)) s"
echo
awk -v csv="$res/$name.csv" -f "$here/report.awk" "$raw" | tee "$res/$name.txt"
if "$bin/plot" "$res/$name.csv" "$res/$name.png" "vkasan benchmarks ($mode)"; then
	echo "table: $res/$name.txt  csv: $res/$name.csv  plot: $res/$name.png"
else
	echo "table: $res/$name.txt  csv: $res/$name.csv  (plot failed)"
fi
