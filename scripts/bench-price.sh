#!/bin/bash
# What each of rust_slab_hp's hardening features costs it, from one configuration's price boots
# (scripts/bench.sh, KERNEL=debian-*; selftests/bench_price.sh): the module (full) and its
# price builds (no_freeptr, no_random, no_checks: the same test build without one feature) ran
# the same workloads in the same boot, in rounds, each beside SLUB. Per feature, workload and
# size, in ns per operation:
#   rsh with, rsh w/o  our median with the feature and without it (median over rounds and boots
#                      of each run's median); "rsh +" is their difference;
#   price              the same difference read against SLUB in the same cells: (our ratio to
#                      SLUB with the feature - the ratio without) x SLUB's median, which takes
#                      out what slowed both sides alike (the host, a slow spell of the boot);
#   SLUB a, SLUB b     SLUB in the runs with and without our feature: the same SLUB, so a - b
#                      is the drift between the two sets of runs, the noise of "rsh +";
#   SLUB +             SLUB's own price of the feature: not measurable here. The stock kernel
#                      has CONFIG_SLAB_FREELIST_HARDENED and CONFIG_SLAB_FREELIST_RANDOM compiled
#                      in (its bad-free checks in kmem_cache_free() and set_freepointer() are
#                      the former's) and no switch to boot without them: SLUB pays them in
#                      every run, and in both columns.
# Reads <dir>/raw.txt ("flavour=<f> round=<n> <workload> size=<s> rsh_ps=... slub_ps=...
# run=<boot>"), prints the tables and writes them to <dir>/price.txt and <dir>/price.json.
# Usage: bench-price.sh <dir> <label> <accel>
set -eu
dir=$1 label=$2 accel=$3
[ -s "$dir/raw.txt" ] || { echo "bench-price.sh: no results in $dir/raw.txt" >&2; exit 1; }
awk -v label="$label" -v accel="$accel" -v json="$dir/price.json" '
	function val(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	# The median of the values in the space-separated list l.
	function med(l,   v, n, i, j, t) {
		n = split(l, v, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	$1 ~ /^flavour=/ && /rsh_ps=/ {
		f = val("flavour"); k = $3 " " val("size")
		if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		rp = val("rsh_ps"); sp = val("slub_ps")
		r[f, k] = r[f, k] " " rp; s[f, k] = s[f, k] " " sp; runs[f, k]++
		if (sp > 0) q[f, k] = q[f, k] " " rp / sp
	}
	END {
		nf = split("no_freeptr no_random no_checks", feat, " ")
		what["no_freeptr"] = "free-pointer encoding and its check on use (CONFIG_SLAB_FREELIST_HARDENED)"
		what["no_random"] = "freelist randomisation (CONFIG_SLAB_FREELIST_RANDOM)"
		what["no_checks"] = "bad-free checks where frees reach a slab (cache id, object boundary, double free at the head)"
		name["no_freeptr"] = "freelist_hardened"; name["no_random"] = "freelist_random"; name["no_checks"] = "bad_free_checks"
		js = ""
		for (i = 1; i <= nf; i++) {
			g = feat[i]
			printf "%s\n%s, ns/op\n", what[g], label
			printf "%-10s %5s %8s %8s %7s %7s %6s  %8s %8s %8s  %s\n", "workload", "size", "rsh with", "rsh w/o", "rsh +", "price", "%", "SLUB a", "SLUB b", "a - b", "SLUB +"
			w = ""
			for (j = 1; j <= n; j++) {
				k = order[j]
				if (!(("full", k) in r) || !((g, k) in r) || !(("full", k) in q) || !((g, k) in q))
					continue
				split(k, kw, " ")
				rw = med(r["full", k]) / 1000; ro = med(r[g, k]) / 1000
				sa = med(s["full", k]) / 1000; sb = med(s[g, k]) / 1000
				sl = med(s["full", k] " " s[g, k]) / 1000
				pr = (med(q["full", k]) - med(q[g, k])) * sl
				printf "%-10s %5s %8.1f %8.1f %7.1f %7.1f %5.1f%%  %8.1f %8.1f %8.1f  %s\n", kw[1], kw[2], rw, ro, rw - ro, pr, (rw > 0 ? 100 * pr / rw : 0), sa, sb, sa - sb, "compiled in"
				w = w sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_with_ns\":%.1f,\"rsh_without_ns\":%.1f,\"rsh_diff_ns\":%.1f,\"rsh_price_ns\":%.1f,\"slub_in_with_runs_ns\":%.1f,\"slub_in_without_runs_ns\":%.1f,\"slub_drift_ns\":%.1f,\"slub_price_ns\":null,\"runs_with\":%d,\"runs_without\":%d}", (w == "" ? "" : ","), kw[1], kw[2], rw, ro, rw - ro, pr, sa, sb, sa - sb, runs["full", k], runs[g, k])
			}
			printf "\n"
			js = js sprintf("%s{\"feature\":\"%s\",\"build\":\"%s\",\"workloads\":[%s]}", (js == "" ? "" : ","), name[g], g, w)
		}
		printf "rsh with / w/o: ours with and without the feature (its price build), same boot; rsh + = with - w/o\n"
		printf "price: rsh + read against SLUB in the same cells, (ratio with - ratio w/o) x SLUB; %% of rsh with\n"
		printf "SLUB a / b: SLUB in the runs with and without our feature; a - b is drift (the same SLUB)\n"
		printf "SLUB +: not measurable, the stock kernel has the feature compiled in and no switch for it\n"
		printf "{\"kernel\":\"%s\",\"accel\":\"%s\",\"slub_price\":\"compiled in: the stock kernel has CONFIG_SLAB_FREELIST_HARDENED and CONFIG_SLAB_FREELIST_RANDOM and no boot switch for them\",\"features\":[%s]}\n", label, accel, js > json
	}
' "$dir/raw.txt" | tee "$dir/price.txt"
