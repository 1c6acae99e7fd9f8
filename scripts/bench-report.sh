#!/bin/bash
# Turns the benchmark's "BENCH ..." lines (<dir>/raw.txt) into a table (<dir>/table.txt, also
# printed) and <dir>/results.json. Workloads a run did not measure are simply absent.
# Usage: bench-report.sh <dir> <kernel> <accel>
set -eu
out=$1 kernel=$2 accel=$3
awk -v kernel="$kernel" -v accel="$accel" '
	function val(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	/_ps=/ {
		r = val("rsh_ps"); s = val("slub_ps")
		rr = sprintf("%.0f-%.0f", val("rsh_min_ps") / 1000, val("rsh_max_ps") / 1000)
		sr = sprintf("%.0f-%.0f", val("slub_min_ps") / 1000, val("slub_max_ps") / 1000)
		printf "%-10s %6s %12.1f %12.1f %8.2f %12s %12s\n", $1, val("size"), r / 1000, s / 1000, (s > 0 ? r / s : 0), rr, sr
		js = js sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_ns\":%.1f,\"slub_ns\":%.1f,\"ratio\":%.3f,\"rsh_min_ns\":%.1f,\"rsh_max_ns\":%.1f,\"slub_min_ns\":%.1f,\"slub_max_ns\":%.1f}", (js == "" ? "" : ","), $1, val("size"), r / 1000, s / 1000, (s > 0 ? r / s : 0), val("rsh_min_ps") / 1000, val("rsh_max_ps") / 1000, val("slub_min_ps") / 1000, val("slub_max_ps") / 1000)
		next
	}
	/^layout/ {
		lay = lay sprintf("%s{\"size\":%s,\"rsh_objs_per_slab\":%s,\"rsh_order\":%s,\"slub_objs_per_slab\":%s,\"slub_order\":%s,\"rsh_waste_bytes\":%d,\"slub_waste_bytes\":%d}", (lay == "" ? "" : ","), val("size"), val("rsh_objs"), val("rsh_order"), val("slub_objs"), val("slub_order"), 4096 * 2 ^ val("rsh_order") - val("rsh_objs") * val("rsh_stride"), 4096 * 2 ^ val("slub_order") - val("slub_objs") * val("slub_stride"))
		layt = layt sprintf("layout     %6s  objs/slab %4s (order %s, %5d B waste)  SLUB %4s (order %s, %5d B waste)\n", val("size"), val("rsh_objs"), val("rsh_order"), 4096 * 2 ^ val("rsh_order") - val("rsh_objs") * val("rsh_stride"), val("slub_objs"), val("slub_order"), 4096 * 2 ^ val("slub_order") - val("slub_objs") * val("slub_stride"))
		next
	}
	/^statread/ {
		st = st sprintf("%s{\"read\":\"%s\",\"p50_ns\":%s,\"p99_ns\":%s,\"max_ns\":%s}", (st == "" ? "" : ","), $1, val("p50_ns"), val("p99_ns"), val("max_ns"))
		stt = stt sprintf("%-26s p50 %8s ns  p99 %8s ns  max %9s ns\n", $1, val("p50_ns"), val("p99_ns"), val("max_ns"))
		next
	}
	/^notifier/ {
		nt = nt sprintf("%s{\"event\":\"%s\",\"caches\":64,\"last_ns\":%s,\"max_ns\":%s}", (nt == "" ? "" : ","), $3, val("last_ns"), val("max_ns"))
		ntt = ntt sprintf("notifier %-28s with 64 caches: %s ns\n", $3, val("last_ns"))
		next
	}
	/^metadata_bytes_per_node/ { $1 = ""; mb = substr($0, 2) }
	BEGIN { printf "%-10s %6s %12s %12s %8s %12s %12s\n", "workload", "size", "rsh ns/op", "SLUB ns/op", "ratio", "rsh range", "SLUB range" }
	END {
		printf "%s%s%s", layt, stt, ntt
		if (mb != "") printf "metadata kept per cache: %s bytes per node (metadata_bytes)\n", mb
		printf "{\"kernel\":\"%s\",\"accel\":\"%s\",\"workloads\":[%s],\"layout\":[%s],\"statread\":[%s],\"notifier\":[%s]}\n", kernel, accel, js, lay, st, nt > "'"$out/results.json"'"
	}
' "$out/raw.txt" | tee "$out/table.txt"
