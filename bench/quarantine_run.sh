#!/bin/sh
# quarantine_run.sh BIN RES [PAIRS] - the address-space quarantine (issue 15
# item 3) side by side: quarantine_bench with the default vmalloc_quarantine
# and with vmalloc_quarantine=0 (the old behaviour), interleaved, 3 runs
# each; the time is the best of 3 (the machine is shared: wall clock is
# noisy), the memory figures are those of the last run.  Writes
# RES/quarantine.txt.
BIN=$1
RES=$2
N=${3:-1000000}
mkdir -p "$RES"
out=$RES/quarantine.txt
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for i in 1 2 3; do
	for q in default 0; do
		if [ $q = default ]; then opts=""; else opts="vmalloc_quarantine=$q"; fi
		VKASAN_OPTIONS=$opts "$BIN/quarantine_bench" "$N" >> "$raw"
	done
done
{
	echo "quarantine: $N one-page vk_vmalloc/vk_vfree pairs after a freed one-page mapping p;"
	echo "is a read of p reported as use-after-free of p's own mapping (its alloc and free stacks)?"
	echo "time: best of 3, interleaved; memory (kB): before -> after the pairs, last run"
	awk '
	{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		q = v["quarantine"]
		if (!(q in best) || v["ns_pair"] + 0 < best[q]) best[q] = v["ns_pair"] + 0
		bad[q] += v["stale_ok"] != 1
		line[q] = $0
		for (k in v) last[q, k] = v[k]
		if (!(q in seen)) { seen[q] = 1; order[n++] = q }
	}
	END {
		printf "%-22s %12s %10s %8s %10s %14s %14s %14s %14s %14s\n", "vmalloc_quarantine", "ns/pair(best)", \
			"stale UAF", "records", "", "VmRSS", "VmPTE", "arena data", "shadow", "record meta"
		for (j = 0; j < n; j++) {
			q = order[j]
			printf "%-22s %12d %10s %8d %10s %14s %14s %14s %14s %14s\n", q, best[q], \
				bad[q] ? "NO" : "yes", last[q, "cold_areas"], "", last[q, "rss_kb"], \
				last[q, "pte_kb"], last[q, "data_kb"], last[q, "shadow_kb"], last[q, "cold_meta_kb"]
		}
		if (("default" in best) && ("0" in best) && best["0"] > 0)
			printf "cost of the quarantine: %.2fx the time per pair of vmalloc_quarantine=0\n", \
				best["default"] / best["0"]
	}' "$raw"
} | tee "$out"
