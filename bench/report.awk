# report.awk - turns the raw lines of one benchmark run into the table
# (stdout) and the results CSV (file named by -v csv=PATH).  Given the raw
# files of several runs it keeps the best figure of all (info lines joined).
#
# Raw lines (from alloc_bench, shadow_bench, check_bench and run.sh):
#   alloc,<workload>,<threads>,<backend>,<ops>,<seconds>,<ops_per_s>,<failures>
#   shadow,<scenario>,<point>,<label>,<live>,<resident_kib>,<ideal_kib>,<unshared_kib>
#   shadowrun,<scenario>,<op>,<label>,<live>,<resident_kib>,<ideal_kib>,<counted_kib>
#   target,<name>,<limit>,<measured>,met|MISSED|shown   (bench/extra/*.sh)
#   check,<kernel>,<variant>,<seconds>,<checksum>
#   fail,<section>,<what>                          a run that did not finish
#   info,<key>,<value>                             machine, mode, command
#
# CSV columns: section,benchmark,param,variant,value,unit,ratio,note
#   alloc:  param = threads, value = ops/s, ratio = time per op / vkasan's
#   shadow: param = point, value = KiB resident (or live mappings), ratio =
#           value / ideal
#   shadowrun: param = op (samples over one run, no explicit purge), variant
#           = ideal | vkasan (release_delay=4) | eager (release_delay=0) |
#           asan, value = KiB resident, ratio = value / ideal
#   check:  value = seconds (best), ratio = slowdown over plain
#   target: param = limit, value = measured, note = met | MISSED | shown |
#           unreliable (a figure only noise can produce, e.g. shadow=0 slower)
BEGIN {
	FS = ","
	nalloc_b = split("vkasan shadow=0 quarantine=0 mmap malloc asan", alloc_b, " ")
	nshadow_v = split("ideal vkasan upstream unshared asan", shadow_v, " ")
	nsr_v = split("vkasan eager asan", sr_v, " ")
}

function add(list, key, arr) { if (!(key in arr)) { arr[key] = 1; list[++list[0]] = key } }
function sig(v) {
	if (v == "" ) return "-"
	if (v >= 1000) return sprintf("%.0f", v)
	if (v >= 100) return sprintf("%.0f", v)
	if (v >= 10) return sprintf("%.1f", v)
	if (v >= 1) return sprintf("%.2f", v)
	return sprintf("%.3f", v)
}
function csvrow(sec, bench, param, var, val, unit, ratio, note) {
	printf "%s,%s,%s,%s,%s,%s,%s,%s\n", sec, bench, param, var, val, unit, ratio, note > csv
}
function target(name, limit, val, ok, shown, noisy) {
	ntarget++
	tname[ntarget] = name; tlimit[ntarget] = limit; tval[ntarget] = val
	tres[ntarget] = noisy ? "unreliable" : shown ? "shown" : ok ? "met" : "MISSED"
	if (!shown && !ok && !noisy) missed++
	if (noisy) nnoisy++
}

$1 == "info" {   # several raw files (best of several runs): one line per key, all values
	if (!($2 in info)) { infokeys[++ninfo] = $2; info[$2] = $3 }
	else if (info[$2] != $3) info[$2] = info[$2] " | " $3
	next
}
$1 == "target" {
	if ($5 != "met" && $5 != "MISSED" && $5 != "shown") { fails[++nfail] = "extra: bad target line: " $0; next }
	xtarget[++nxt] = $0
	next
}
$1 == "shadowrun" {
	if (!(($3) in sr_seen)) { sr_seen[$3] = 1; sr_op[++nsr] = $3 }
	sr[$3, $4] = $6 + 0; sr_has[$4] = 1
	if ($4 == "vkasan" || !(($3) in sr_ideal)) if ($7 != "") sr_ideal[$3] = $7 + 0
	if ($4 != "asan" && $8 != "" && $8 + 0 != $6 + 0) sr_count_differs++
	next
}
$1 == "fail" { fails[++nfail] = $2 ": " $3; next }
$1 == "alloc" {
	add(aw, $2, aw_seen); add(at, $3, at_seen)
	if (($2, $3, $4) in ops && ops[$2, $3, $4] >= $7 + 0) next   # best round wins
	ops[$2, $3, $4] = $7 + 0; aops[$2, $3, $4] = $5; afail[$2, $3, $4] = $8
	next
}
$1 == "shadow" {
	add(ss, $2, ss_seen)
	if (!(($2, $3) in sp_seen)) { sp_seen[$2, $3] = 1; np[$2]++; spt[$2, np[$2]] = $3 }
	live[$2, $3] = $5
	res[$2, $3, $4] = $6
	if ($4 == "vkasan") { ideal[$2, $3] = $7; unshared[$2, $3] = $8 }
	next
}
$1 == "check" {
	add(ck, $2, ck_seen); add(cv, $3, cv_seen)
	if (($2, $3) in csum && csum[$2, $3] != $5) csum_unstable = csum_unstable " " $2 "/" $3
	if (($2, $3) in ctime && ctime[$2, $3] <= $4 + 0) next        # best run wins
	ctime[$2, $3] = $4 + 0; csum[$2, $3] = $5
	next
}

END {
	print "section,benchmark,param,variant,value,unit,ratio,note" > csv
	if (ninfo) {
		for (i = 1; i <= ninfo; i++)
			printf "%-8s %s\n", infokeys[i] ":", info[infokeys[i]]
		print ""
	}

	# ---------------------------------------------------------------- alloc
	if (aw[0]) {
		print "Allocator throughput: the kernel's lib/test_vmalloc.c workloads"
		print "(Mops/s; in parentheses: time per op relative to vkasan, >1 = vkasan faster)"
		printf "%-18s %3s", "workload", "thr"
		for (b = 1; b <= nalloc_b; b++) printf " %15s", alloc_b[b]
		print ""
		for (i = 1; i <= aw[0]; i++) for (j = 1; j <= at[0]; j++) {
			w = aw[i]; t = at[j]; vk = ops[w, t, "vkasan"]
			if (!((w, t, "vkasan") in ops) && !((w, t, "mmap") in ops)) continue
			printf "%-18s %3s", w, t
			for (b = 1; b <= nalloc_b; b++) {
				k = alloc_b[b]
				if (!((w, t, k) in ops)) { printf " %15s", "-"; continue }
				r = (ops[w, t, k] > 0 && vk > 0) ? vk / ops[w, t, k] : ""
				cell = sig(ops[w, t, k] / 1e6)
				if (k != "vkasan") cell = cell " (" sig(r) ")"
				printf " %15s", cell
				csvrow("alloc", w, t, k, ops[w, t, k], "ops/s", r == "" ? "" : sprintf("%.4f", r),
				       afail[w, t, k] > 0 ? afail[w, t, k] " failed allocations" : "")
			}
			print ""
		}
		print ""
		for (j = 1; j <= at[0]; j++) {
			t = at[j]
			if ((("fix_size", t, "vkasan") in ops) && (("fix_size", t, "shadow=0") in ops)) {
				r = ops["fix_size", t, "shadow=0"] / ops["fix_size", t, "vkasan"]
				# shadow=0 does strictly less work: below 1 the machine's
				# noise decided, and the row says so instead of "met".
				if (r < 0.95)
					target("fix_size time, shadow on / off, " t " thr", "<= 1.10x",
					       sprintf("%.2fx (off slower: noise)", r), 0, 0, 1)
				else
					target("fix_size time, shadow on / off, " t " thr", "<= 1.10x", sprintf("%.2fx", r), r <= 1.10)
			}
		}
		for (j = 1; j <= at[0]; j++) {
			t = at[j]; nmet = 0; nall = 0; short = ""; worst = ""
			for (i = 1; i <= aw[0]; i++) {
				w = aw[i]
				if (!((w, t, "mmap") in ops) || !((w, t, "vkasan") in ops)) continue
				r = ops[w, t, "vkasan"] / ops[w, t, "mmap"]
				nall++
				if (worst == "" || r < worst) { worst = r; worst_w = w }
				if (r >= 2) nmet++
				else short = short sprintf(" %s %.2fx", w, r)
			}
			if (nall)
				target("vkasan >= 2x faster than mmap+munmap, " t " thr", "all " nall " workloads",
				       nmet " of " nall sprintf("; worst %s %.2fx", worst_w, worst), nmet == nall)
			if (short != "") shortfall[t] = short
		}
		for (j = 1; j <= at[0]; j++) {
			t = at[j]
			if ((("long_busy_list", t, "vkasan") in ops) && (("fix_size", t, "vkasan") in ops)) {
				r = ops["fix_size", t, "vkasan"] / ops["long_busy_list", t, "vkasan"]
				target("long_busy_list / fix_size time per op, " t " thr", "<= 1.5x", sprintf("%.2fx", r), r <= 1.5)
			}
		}
		# The same targets without the address-space quarantine (the
		# default keeps freed address space out of reuse: every mapping
		# then lands on fresh windows), shown beside them.
		for (j = 1; j <= at[0]; j++) {
			t = at[j]; q = "quarantine=0"
			if ((("fix_size", t, q) in ops) && (("fix_size", t, "shadow=0") in ops))
				target("  vmalloc_quarantine=0: fix_size shadow on / off, " t " thr", "<= 1.10x",
				       sprintf("%.2fx", ops["fix_size", t, "shadow=0"] / ops["fix_size", t, q]), 0, 1)
			if ((("long_busy_list", t, q) in ops) && (("fix_size", t, q) in ops))
				target("  vmalloc_quarantine=0: long_busy_list / fix_size, " t " thr", "<= 1.5x",
				       sprintf("%.2fx", ops["fix_size", t, q] / ops["long_busy_list", t, q]), 0, 1)
			nmet = 0; nall = 0
			for (i = 1; i <= aw[0]; i++) {
				w = aw[i]
				if (!((w, t, "mmap") in ops) || !((w, t, q) in ops)) continue
				nall++
				if (ops[w, t, q] / ops[w, t, "mmap"] >= 2) nmet++
			}
			if (nall)
				target("  vmalloc_quarantine=0: >= 2x faster than mmap+munmap, " t " thr",
				       "all " nall " workloads", nmet " of " nall, 0, 1)
		}
	}

	# ---------------------------------------------------------------- shadow
	if (ss[0]) {
		print "Shadow memory resident after each purge (KiB, asked of the OS: mincore on the arena's"
		print "shadow; AddressSanitizer: Rss of its shadow mappings).  ideal = windows in use;"
		print "unshared = one shadow page per mapping (no sharing); upstream = upstream_release=1"
		printf "%-8s %-10s %6s", "scenario", "point", "live"
		for (v = 1; v <= nshadow_v; v++) printf " %9s", shadow_v[v]
		printf " %9s\n", "vk=ideal"
		mism = 0; npoints = 0; nonzero = 0
		for (i = 1; i <= ss[0]; i++) for (p = 1; p <= np[ss[i]]; p++) {
			s = ss[i]; pt = spt[s, p]; id = ideal[s, pt]
			printf "%-8s %-10s %6s", s, pt, live[s, pt]
			csvrow("shadow", s, pt, "live", live[s, pt], "mappings", "", "")
			for (v = 1; v <= nshadow_v; v++) {
				k = shadow_v[v]
				val = k == "ideal" ? id : k == "unshared" ? unshared[s, pt] : res[s, pt, k]
				if (val == "" && !(k == "ideal" && (s, pt) in ideal)) { printf " %9s", "-"; continue }
				printf " %9s", val
				csvrow("shadow", s, pt, k, val, "KiB", id > 0 ? sprintf("%.3f", val / id) : "", "")
			}
			if ((s, pt, "vkasan") in res) {
				npoints++
				ok = res[s, pt, "vkasan"] == id
				if (!ok) mism++
				if (pt == "all-freed" && res[s, pt, "vkasan"] != 0) nonzero++
				printf " %9s", ok ? "yes" : "NO"
			}
			print ""
		}
		print ""
		if (npoints) {
			target("resident shadow == ideal after every explicit purge", "0 of " npoints " differ", mism " differ", mism == 0)
			target("vkasan resident after all freed (scenarios)", "0 KiB", nonzero ? nonzero " not 0" : "0 KiB", nonzero == 0)
		}
		if (("churn", "all-freed", "upstream") in res && ("churn", "all-freed", "vkasan") in res) {
			for (p = 1; p <= np["churn"]; p++) if (spt["churn", p] ~ /^round/) last = spt["churn", p]
			if (last != "") {
				u = res["churn", last, "upstream"]; k = res["churn", last, "vkasan"]
				target("churn " last ": widening rule vs upstream rule", "saving shown",
				       k " vs " u " KiB" (u > 0 ? sprintf(" (-%.0f%%)", 100 * (u - k) / u) : ""), 1, 1)
			}
			target("churn all freed: widening rule vs upstream rule", "saving shown",
			       res["churn", "all-freed", "vkasan"] " vs " res["churn", "all-freed", "upstream"] " KiB", 1, 1)
		}
	}

	# ---------------------------------------------------------------- shadow over a run
	if (nsr) {
		print "Resident shadow over a run (KiB; mixed-size churn, automatic purges only, no vk_purge):"
		print "vkasan = default rule (release_delay=4), eager = release_delay=0 (the old rule),"
		print "ideal = windows of the live mappings (lazily freed ones not counted)"
		ex = -1; exe = -1; exa = ""
		for (i = 1; i <= nsr; i++) {
			op = sr_op[i]; id = sr_ideal[op]
			csvrow("shadowrun", "run", op, "ideal", id, "KiB", "1.000", "")
			for (k = 1; k <= nsr_v; k++) if ((op, sr_v[k]) in sr)
				csvrow("shadowrun", "run", op, sr_v[k], sr[op, sr_v[k]], "KiB",
				       id > 0 ? sprintf("%.3f", sr[op, sr_v[k]] / id) : "", "")
			if ((op, "vkasan") in sr) {
				d = sr[op, "vkasan"] - id
				if (d > ex) { ex = d; ex_op = op; ex_id = id }
				sum_v += sr[op, "vkasan"]; sum_i += id; nv++
				if ((op, "eager") in sr && sr[op, "vkasan"] - sr[op, "eager"] > exe) {
					exe = sr[op, "vkasan"] - sr[op, "eager"]; exe_op = op
				}
			}
			if ((op, "eager") in sr) { sum_e += sr[op, "eager"]; ne++ }
			if ((op, "asan") in sr) { sum_a += sr[op, "asan"]; na++; if (sr[op, "asan"] > peak_a) peak_a = sr[op, "asan"] }
			if ((op, "vkasan") in sr && sr[op, "vkasan"] > peak_v) peak_v = sr[op, "vkasan"]
			if ((op, "eager") in sr && sr[op, "eager"] > peak_e) peak_e = sr[op, "eager"]
			if (id > peak_i) peak_i = id
		}
		printf "%-26s %10s %10s %10s %10s\n", "", "ideal", "vkasan", "eager", "asan"
		printf "%-26s %10s %10s %10s %10s\n", "mean over " nsr " samples",
		       nv ? sprintf("%.0f", sum_i / nv) : "-", nv ? sprintf("%.0f", sum_v / nv) : "-",
		       ne ? sprintf("%.0f", sum_e / ne) : "-", na ? sprintf("%.0f", sum_a / na) : "-"
		printf "%-26s %10s %10s %10s %10s\n", "peak", peak_i, nv ? peak_v : "-", ne ? peak_e : "-", na ? peak_a : "-"
		if (sr_count_differs) print "WARNING: vk_stats.shadow_pages differs from mincore at " sr_count_differs " samples"
		print ""
		if (ex >= 0) {
			target("run: largest excess of resident shadow over ideal", "stated",
			       ex " KiB at op " ex_op (ex_id > 0 ? sprintf(" (+%.0f%%)", 100 * ex / ex_id) : ""), 1, 1)
			if (exe > -1e18 && ne)
				target("run: largest excess of release_delay=4 over =0", "stated", exe " KiB at op " exe_op, 1, 1)
		}
	}

	# ---------------------------------------------------------------- check
	if (ck[0]) {
		print "Check cost: memory-heavy kernels (ms, best run; in parentheses: slowdown over plain)"
		printf "%-12s", "kernel"
		for (v = 1; v <= cv[0]; v++) printf " %15s", cv[v]
		print ""
		for (i = 1; i <= ck[0]; i++) {
			k = ck[i]; base = ctime[k, "plain"]
			printf "%-12s", k
			for (v = 1; v <= cv[0]; v++) {
				var = cv[v]
				if (!((k, var) in ctime)) { printf " %15s", "-"; continue }
				r = base > 0 ? ctime[k, var] / base : ""
				cell = sig(ctime[k, var] * 1000)
				if (var != "plain" && r != "") { cell = cell " (" sig(r) "x)"; lg[var] += log(r); ng[var]++ }
				note = (k, "plain") in csum && csum[k, var] != csum[k, "plain"] ? "checksum differs from plain" : ""
				if (note != "") bad_sum = bad_sum " " k "/" var
				printf " %15s", cell
				csvrow("check", k, "", var, ctime[k, var], "s", r == "" ? "" : sprintf("%.4f", r), note)
			}
			print ""
		}
		printf "%-12s", "geomean"
		for (v = 1; v <= cv[0]; v++) {
			var = cv[v]
			if (ng[var]) { gm[var] = exp(lg[var] / ng[var]); printf " %15s", "(" sig(gm[var]) "x)"
				csvrow("check", "geomean", "", var, "", "", sprintf("%.4f", gm[var]), "") }
			else printf " %15s", ""
		}
		print "\n"
		if (bad_sum != "") print "WARNING: checksums differ from the plain build:" bad_sum "\n"
		if (csum_unstable != "") print "WARNING: checksums differ between runs:" csum_unstable "\n"
		if (("vkasan" in gm) && ("asan-outline" in gm)) {
			r = gm["vkasan"] / gm["asan-outline"]
			target("outline slowdown / asan outline slowdown (geomean)", "<= 1.05x", sprintf("%.2fx", r), r <= 1.05)
		}
		if (("inline" in gm) && ("asan" in gm)) {
			r = gm["inline"] / gm["asan"]
			target("inline slowdown / asan inline slowdown (geomean)", "<= 1.05x", sprintf("%.2fx", r), r <= 1.05)
		}
		# Like for like (the instrumented code is then the same, instruction
		# for instruction): shown, the target is the row above.
		if (("inline-norec" in gm) && ("asan" in gm)) {
			r = gm["inline-norec"] / gm["asan"]
			target("inline --no-recover / asan inline (geomean)", "<= 1.05x", sprintf("%.2fx", r), r <= 1.05, 1)
		}
		if (("inline" in gm) && ("asan-recover" in gm)) {
			r = gm["inline"] / gm["asan-recover"]
			target("inline / asan -fsanitize-recover (geomean)", "<= 1.05x", sprintf("%.2fx", r), r <= 1.05, 1)
		}
	}

	# ---------------------------------------------------------------- targets
	for (i = 1; i <= nxt; i++) {
		split(xtarget[i], xf, ",")
		target(xf[2], xf[3], xf[4], xf[5] == "met", xf[5] == "shown")
	}
	if (ntarget) {
		print "Targets"
		printf "%-56s %-16s %-34s %s\n", "target", "limit", "measured", "result"
		for (i = 1; i <= ntarget; i++) {
			printf "%-56s %-16s %-34s %s\n", tname[i], tlimit[i], tval[i], tres[i]
			csvrow("target", tname[i], tlimit[i], "", tval[i], "", "", tres[i])
		}
		print ""
	}
	if (!nxt) {
		print "Not measured here (no bench/extra/*.sh gave them): the longest arena-lock hold"
		print "(< 100 us, issue 15 item 2) and a stale pointer after 1,000,000 pairs (item 3)."
		print ""
	}
	for (t in shortfall) print "vkasan less than 2x faster than mmap+munmap, " t " thr:" shortfall[t]
	if (length(shortfall)) print ""
	if (nfail) {
		print "Runs that failed (see the log):"
		for (i = 1; i <= nfail; i++) print "  " fails[i]
		print ""
	}
	printf "%d targets met, %d missed, %d unreliable (noise), %d runs failed\n",
	       ntarget - missed - nshown() - nnoisy, missed, nnoisy, nfail
}
function nshown(   i, n) { n = 0; for (i = 1; i <= ntarget; i++) if (tres[i] == "shown") n++; return n }
