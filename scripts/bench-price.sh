#!/bin/bash
# What each of rust_slab_hp's hardening features costs it, from one configuration's price boots
# (scripts/bench.sh, KERNEL=debian-*; selftests/bench_price.sh): the module (full) and its
# price builds (no_freeptr, no_random, no_checks: the same test build without one feature) ran
# the same workloads in the same boot, each beside SLUB. Per feature, workload and size: our
# ns/op with and without it and the difference, its price; SLUB's ns/op in the same runs. SLUB's
# own price cannot be shown: the stock kernel has the same two features compiled in, with no
# switch to boot without them, so SLUB pays them in every run. What its two columns do show
# is how much the same SLUB moved between the runs with and without our feature: the noise of
# our difference. Every figure is the median over rounds and boots of a run's median.
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
		r[f, k] = r[f, k] " " val("rsh_ps"); s[f, k] = s[f, k] " " val("slub_ps"); runs[f, k]++
	}
	END {
		nf = split("no_freeptr no_random no_checks", feat, " ")
		what["no_freeptr"] = "free-pointer encoding and its check on use (CONFIG_SLAB_FREELIST_HARDENED)"
		what["no_random"] = "freelist randomisation (CONFIG_SLAB_FREELIST_RANDOM)"
		what["no_checks"] = "bad-free checks on the free paths (cache id, object boundary, double free at the head)"
		name["no_freeptr"] = "freelist_hardened"; name["no_random"] = "freelist_random"; name["no_checks"] = "bad_free_checks"
		js = ""
		for (i = 1; i <= nf; i++) {
			g = feat[i]
			printf "%s, %s: what it costs per operation, ns/op\n", what[g], label
			printf "%-10s %6s %9s %9s %8s %6s   %9s %9s %8s   %s\n", "workload", "size", "rsh with", "rsh w/o", "rsh +", "%", "SLUB a", "SLUB b", "a - b", "SLUB +"
			w = ""
			for (j = 1; j <= n; j++) {
				k = order[j]
				if (!(("full", k) in r) || !((g, k) in r))
					continue
				split(k, kw, " ")
				rw = med(r["full", k]) / 1000; ro = med(r[g, k]) / 1000
				sa = med(s["full", k]) / 1000; sb = med(s[g, k]) / 1000
				printf "%-10s %6s %9.1f %9.1f %8.1f %5.1f%%   %9.1f %9.1f %8.1f   %s\n", kw[1], kw[2], rw, ro, rw - ro, (rw > 0 ? 100 * (rw - ro) / rw : 0), sa, sb, sa - sb, "compiled in"
				w = w sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_with_ns\":%.1f,\"rsh_without_ns\":%.1f,\"rsh_cost_ns\":%.1f,\"slub_in_with_runs_ns\":%.1f,\"slub_in_without_runs_ns\":%.1f,\"slub_drift_ns\":%.1f,\"slub_cost_ns\":null,\"runs\":%d}", (w == "" ? "" : ","), kw[1], kw[2], rw, ro, rw - ro, sa, sb, sa - sb, (runs["full", k] < runs[g, k] ? runs["full", k] : runs[g, k]))
			}
			printf "\n"
			js = js sprintf("%s{\"feature\":\"%s\",\"build\":\"%s\",\"workloads\":[%s]}", (js == "" ? "" : ","), name[g], g, w)
		}
		printf "rsh with / w/o: rust_slab_hp with the feature and without it (its price build), same boot\n"
		printf "SLUB a / b: SLUB in the runs with and without our feature; a - b is noise (the same SLUB)\n"
		printf "SLUB +: not separable, the stock kernel has the feature compiled in and no switch for it\n"
		printf "{\"kernel\":\"%s\",\"accel\":\"%s\",\"slub_cost\":\"compiled in: the stock kernel has CONFIG_SLAB_FREELIST_HARDENED and CONFIG_SLAB_FREELIST_RANDOM and no boot switch for them\",\"features\":[%s]}\n", label, accel, js > json
	}
' "$dir/raw.txt" | tee "$dir/price.txt"
