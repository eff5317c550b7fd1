#!/bin/sh
# mmap_run.sh BIN RES [quick] - the mmap benchmark (mmap_bench.c): vkasan,
# raw system calls and AddressSanitizer side by side, one run each, niced.
# Writes RES/mmap.txt.
bin=$1
res=$2
quick=$3
cycles=1000
n=100000
[ "$quick" = quick ] && cycles=100 && n=10000
unset VKASAN_OPTIONS
export ASAN_OPTIONS=detect_leaks=0
out=$res/mmap${quick:+-quick}.txt
{
echo "mmap benchmark: vkasan vs raw system calls vs AddressSanitizer (one run each,"
echo "nice'd, on a shared machine: timings are noisy; $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "1. google/sanitizers #1777: $cycles x (mmap 64 MiB, touch every 64 KiB, munmap)"
echo "   resident set (KiB) every $((cycles / 10)) cycles; vkasan: resident shadow pages after purge"
for v in "vk" "asan" "asan hint" "raw"; do
	set -- $v
	echo "   -- $1 ${2:-}"
	nice "$bin/mmap_bench-$1" cycles $cycles $2 | sed 's/^/      /'
done
echo
echo "2. 8 GiB PROT_NONE reservation, 1 MiB committed (bound: its windows + 1 each side)"
for v in vk asan raw; do
	printf '   %-5s ' $v
	nice "$bin/mmap_bench-$v" reserve
done
echo
echo "3. one million live anonymous mappings of 100 bytes: VMAs (vm.max_map_count 65530)"
for v in vk raw; do
	printf '   %-5s ' $v
	nice "$bin/mmap_bench-$v" million 1000000
done
echo
echo "4. anonymous mmap + write + munmap, $n cycles: ns per cycle (raw/vkasan > 1: vkasan faster)"
for touch in page one; do
	if [ $touch = page ]; then echo "   one byte per page:"; else echo "   one byte per mapping:"; fi
	for size in 4096 65536 1048576; do
		cyc=$n
		[ $size -ge 1048576 ] && cyc=$((n / 10))
		line="     size $size:"
		for v in raw vk asan; do
			ns=$(nice "$bin/mmap_bench-$v" speed $size $cyc $([ $touch = one ] && echo one) | sed -n 's/.*ns_per_cycle=//p')
			eval "ns_$v=$ns"
			line="$line $v=$ns"
		done
		ratio=$(awk -v r="$ns_raw" -v k="$ns_vk" 'BEGIN { printf "%.2f", r / k }')
		echo "$line  raw/vkasan=${ratio}x"
	done
done
} | tee "$out"
