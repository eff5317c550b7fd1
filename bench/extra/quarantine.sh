#!/bin/sh
# Issue 15 item 3: a stale pointer into a freed one-page mapping after
# 1,000,000 one-page vk_vmalloc/vk_vfree pairs (quarantine_run.sh, which
# also writes results/quarantine.txt), as Targets rows.
set -u
mode=${1:-quick}
bin=${2:?BINDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
make -C "$here" --no-print-directory B="$(dirname "$bin")" "$bin/quarantine_bench" >&2 || exit 1
out=$(sh "$here/quarantine_run.sh" "$bin" "$here/results" 1000000) || exit 1
printf '%s\n' "$out" >&2
printf '%s\n' "$out" | awk '
$1 == "default" {
	split($5, rss, "->"); split($8, sh, "->"); split($9, meta, "->"); split($6, pte, "->")
	printf "target,stale pointer after 1M one-page pairs reported as use-after-free of its mapping,yes,%s,%s\n", $3, $3 == "yes" ? "met" : "MISSED"
	printf "target,resident memory growth over the 1M pairs (VmRSS; of it record metadata / shadow / page tables),bounded; stated,%d KiB (%d / %d / %d KiB),shown\n", rss[2] - rss[1], meta[2] - meta[1], sh[2] - sh[1], pte[2] - pte[1]
	ns = $2
}
$1 == "0" { ns0 = $2 }
END {
	if (ns && ns0)
		printf "target,time per one-page pair: quarantine on / vmalloc_quarantine=0,stated,%.2fx (%d vs %d ns),shown\n", ns / ns0, ns, ns0
}'
