#!/bin/sh
# bench/heap.sh BUILD_DIR: the heap (vkasan-cc, outline and inline) against
# AddressSanitizer (clang -fsanitize=address), same source, -O2.  Writes
# bench/results/heap.txt.  The machine may be loaded: the figures say so.
set -e
B=$1
here=$(dirname "$0")
out=$here/results/heap.txt
tmp=${TMPDIR:-/tmp}/vk-heap-bench.$$
mkdir -p "$tmp"
VKASAN_CC=clang "$B/bin/vkasan-cc" -O2 -g "$here/heap_bench.c" -o "$tmp/vk" -pthread
VKASAN_CC=clang "$B/bin/vkasan-cc" --inline -O2 -g "$here/heap_bench.c" -o "$tmp/vki" -pthread
clang -O2 -g -fsanitize=address "$here/heap_bench.c" -o "$tmp/asan" -pthread
run() { # name command...
	printf '%-34s' "$1"; shift
	for b in vk vki asan; do
		r=$( (/usr/bin/time -f "%M" "$tmp/$b" "$@" 2>"$tmp/err" | tr '\n' ' ') || true)
		printf ' | %-28s' "$r maxrss $(tail -1 "$tmp/err")K"
	done
	echo
}
{
	echo "heap benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-34s | %-28s | %-28s | %-28s\n' workload "vkasan outline" "vkasan inline" "asan"
	run "small 16B-4K, 1 thread, 2M ops" small 2000000 1
	run "small 16B-4K, 2 threads, 2M ops" small 2000000 2
	run "producer/consumer, 1M" prodcons 1000000
	run "1M live 32-byte objects" live 1000000
	for n in 1000000 5000000; do
		printf '%-34s' "uaf caught after $n pairs"
		for b in vk vki asan; do
			if "$tmp/$b" uaf $n >/dev/null 2>"$tmp/err"; then r=missed; else
				r=$(grep -c -E "use-after-free" "$tmp/err" | sed 's/^0$/no-report/;s/^[1-9].*/caught/'); fi
			printf ' | %-28s' "$r"
		done
		echo
	done
} | tee "$out"
rm -rf "$tmp"
