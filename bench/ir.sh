#!/bin/sh
# ir.sh - instruction counts of the check kernels' inline instrumentation,
# under callgrind: noise-free, unlike the wall-clock table.
#
#   sh ir.sh BUILD_DIR RESULTS_DIR        (make -C bench B=... ir)
#
# Valgrind runs neither libasan nor a vkasan --inline program (both map the
# shadow gap, where valgrind has its own memory and the client's stack), so
# check_bench.c is compiled by gcc with AddressSanitizer's inline checks and
# linked with ir_stub.c, a do-nothing runtime (see there).  First the script
# checks on the disassembly that each kernel's code is the same, instruction
# for instruction (call targets and addresses aside), as vkasan's:
#   vkasan-cc --inline              == gcc -fsanitize=address -fsanitize-recover=address
#   vkasan-cc --inline --no-recover == gcc -fsanitize=address
# Then one callgrind run per kernel and build, counting the kernel's run
# function and what it calls (glibc's memcpy, strchr... the same in every
# build: no interceptors here).  Output: results/check-ir.txt.
set -u
B=${1:?BUILD_DIR}
res=${2:?RESULTS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$B/bench/ir
mkdir -p "$tmp" "$res"
out=$res/check-ir.txt
command -v valgrind >/dev/null || { echo "ir.sh: valgrind not found" >&2; exit 2; }
CC=${CC:-cc}
F="-std=gnu11 -O2 -g -fno-omit-frame-pointer -D_GNU_SOURCE"
$CC $F -c "$here/ir_stub.c" -o "$tmp/ir_stub.o" || exit 1
build() { # NAME FLAGS...
	n=$1
	shift
	$CC $F -DBENCH_MALLOC "$@" -c "$here/check_bench.c" -o "$tmp/$n.o" &&
		$CC "$tmp/$n.o" "$tmp/ir_stub.o" -o "$tmp/cb-$n" || exit 1
}
build plain
build asan -fsanitize=address
build asan-recover -fsanitize=address -fsanitize-recover=address
"$B/bin/vkasan-cc" --inline $F -DBENCH_VK "$here/check_bench.c" -o "$tmp/cb-inline" || exit 1
"$B/bin/vkasan-cc" --inline --no-recover $F -DBENCH_VK "$here/check_bench.c" -o "$tmp/cb-inline-norec" || exit 1

# One function's instructions, addresses, call targets and global offsets
# replaced, the report calls' _noabort and @plt dropped.
norm() {
	objdump -d --no-show-raw-insn "$1" | awk -v f="<$2>:" '$2 == f { on = 1; next } on && /^$/ { exit } on' |
		sed -E 's/^ *[0-9a-f]+:\t//; s/[0-9a-f]+ <[^>]*>/X/g; s/0x[0-9a-f]+\(%rip\)/Y(%rip)/; s/#.*//; s/_noabort//; s/@plt//'
}

kernels="byte_loop:bytes_run word_loop:words_run memcpy:copy_run hash_table:hash_run lz77:lz_run csv_parse:csv_run tokenize:tok_run"
{
	echo "Check kernels: instructions (callgrind Ir, the kernel's run function and its callees, scale 1, one run)"
	echo "asan = gcc -fsanitize=address (= vkasan-cc --inline --no-recover), asan-recover ="
	echo "gcc -fsanitize=address -fsanitize-recover=address (= vkasan-cc --inline), both with a"
	echo "do-nothing runtime (bench/ir_stub.c): the instrumentation's own cost, no interceptors."
	echo
	printf '%-11s %-18s %14s %14s %14s %9s %9s %9s\n' kernel "same code as vk?" plain asan asan-recover asan/pl rec/pl rec/asan
} > "$out"
for kf in $kernels; do
	k=${kf%%:*} f=${kf#*:}
	same=yes
	[ "$(norm "$tmp/cb-inline" "$f")" = "$(norm "$tmp/cb-asan-recover" "$f")" ] || same=no
	[ "$(norm "$tmp/cb-inline-norec" "$f")" = "$(norm "$tmp/cb-asan" "$f")" ] || same="$same/no"
	[ "$same" = yes ] && same="yes (both)"
	line=$(printf '%-11s %-18s' "$k" "$same")
	for v in plain asan asan-recover; do
		ir=$(nice valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$f" \
			"$tmp/cb-$v" 1 1 "$v" "$k" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
		eval "ir_$(echo "$v" | tr - _)=\${ir:-0}"
		line="$line $(printf '%14s' "${ir:--}")"
	done
	line="$line $(awk -v p="$ir_plain" -v a="$ir_asan" -v r="$ir_asan_recover" \
		'BEGIN { if (p > 0 && a > 0) printf "%9.3f %9.3f %9.3f", a / p, r / p, r / a }')"
	echo "$line" >> "$out"
	echo "$line"
done
cat "$out" | head -6 >&2
echo "written: $out" >&2
