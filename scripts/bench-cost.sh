#!/bin/bash
# The price of one hardening feature, from two benchmark configurations of the same kernel
# that differ only by it (scripts/bench.sh, KERNEL=debian-*): for each workload and size, what
# the feature adds per operation to rust_slab_hp and to SLUB, which pay it side by side in the
# same boots. Reads <on>/table.txt and <off>/table.txt (scripts/bench-report.sh), prints a
# table and writes it to <out>.txt and <out>.json.
# Usage: bench-cost.sh <feature> <on-dir> <off-dir> <out>
set -eu
feature=$1 on=$2 off=$3 out=$4
[ -f "$on/table.txt" ] && [ -f "$off/table.txt" ] || { echo "bench-cost.sh: no table in $on or $off" >&2; exit 1; }
awk -v feature="$feature" -v json="$out.json" '
	# Workload lines only: "<workload> <size> <rsh ns> <SLUB ns> <ratio> ...".
	FNR == 1 { file++ }
	$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9.]+$/ && $4 ~ /^[0-9.]+$/ {
		k = $1 " " $2
		if (file == 1) { ron[k] = $3; son[k] = $4; order[++n] = k }
		else { roff[k] = $3; soff[k] = $4 }
	}
	END {
		printf "%s: what it costs per operation (on minus off), ns/op\n", feature
		printf "%-10s %6s %9s %9s %9s   %9s %9s %9s\n", "workload", "size", "rsh on", "rsh off", "rsh +", "SLUB on", "SLUB off", "SLUB +"
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (!(k in roff))
				continue
			split(k, w, " ")
			printf "%-10s %6s %9.1f %9.1f %9.1f   %9.1f %9.1f %9.1f\n", w[1], w[2], ron[k], roff[k], ron[k] - roff[k], son[k], soff[k], son[k] - soff[k]
			js = js sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_on_ns\":%.1f,\"rsh_off_ns\":%.1f,\"rsh_cost_ns\":%.1f,\"slub_on_ns\":%.1f,\"slub_off_ns\":%.1f,\"slub_cost_ns\":%.1f}", (js == "" ? "" : ","), w[1], w[2], ron[k], roff[k], ron[k] - roff[k], son[k], soff[k], son[k] - soff[k])
		}
		printf "{\"feature\":\"%s\",\"workloads\":[%s]}\n", feature, js > json
	}
' "$on/table.txt" "$off/table.txt" | tee "$out.txt"
