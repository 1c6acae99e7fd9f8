#!/bin/bash
# Turns the benchmark's "BENCH ..." lines (<dir>/raw.txt) into a table (<dir>/table.txt, also
# printed) and <dir>/results.json. Workloads a run did not measure are simply absent.
#
# raw.txt may hold several boots' lines, each tagged run=<n>: a workload's figure is then the
# median of the boots' medians (TCG moves a whole boot's cell at times; one boot cannot
# decide a ratio), its range the fastest and slowest repetition of all boots, and the JSON
# keeps every boot's ratio. Statistics reads and notifier times: median p50 and p99, largest
# max.
# Usage: bench-report.sh <dir> <kernel> <accel>
set -eu
out=$1 kernel=$2 accel=$3
awk -v kernel="$kernel" -v accel="$accel" '
	function val(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	# The median of the n values in the space-separated list l.
	function med(l,   v, n, i, j, t) {
		n = split(l, v, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function lo(a, b) { return a == "" || b + 0 < a + 0 ? b : a }
	function hi(a, b) { return a == "" || b + 0 > a + 0 ? b : a }
	function key(k) { if (!(k in seen)) { seen[k] = 1; order[++nk] = k } return k }
	/_ps=/ {
		k = key($1 " " val("size")); name[k] = $1; size[k] = val("size")
		r = val("rsh_ps"); s = val("slub_ps")
		rl[k] = rl[k] " " r; sl[k] = sl[k] " " s
		rat[k] = rat[k] (rat[k] == "" ? "" : ",") sprintf("%.3f", s > 0 ? r / s : 0)
		rmin[k] = lo(rmin[k], val("rsh_min_ps")); rmax[k] = hi(rmax[k], val("rsh_max_ps"))
		smin[k] = lo(smin[k], val("slub_min_ps")); smax[k] = hi(smax[k], val("slub_max_ps"))
		runs[k]++
		next
	}
	/^layout/ {
		k = key("layout " val("size")); lay_line[k] = $0
		next
	}
	/^statread/ {
		k = key($1); p50[k] = p50[k] " " val("p50_ns"); p99[k] = p99[k] " " val("p99_ns"); mx[k] = hi(mx[k], val("max_ns"))
		next
	}
	/^notifier/ {
		k = key("notifier " $3); ev[k] = $3; nlast[k] = nlast[k] " " val("last_ns"); nmax[k] = hi(nmax[k], val("max_ns"))
		next
	}
	/^metadata_bytes_per_node/ { $1 = ""; sub(/ run=[0-9]+$/, ""); mb = substr($0, 2) }
	END {
		printf "%-10s %6s %12s %12s %8s %12s %12s %5s\n", "workload", "size", "rsh ns/op", "SLUB ns/op", "ratio", "rsh range", "SLUB range", "boots"
		# Workloads first, then the rest, each in the order the benchmark printed them.
		for (pass = 1; pass <= 2; pass++) for (i = 1; i <= nk; i++) {
			k = order[i]
			if ((k in runs) != (pass == 1))
				continue
			if (k in runs) {
				r = med(rl[k]); s = med(sl[k])
				printf "%-10s %6s %12.1f %12.1f %8.2f %12s %12s %5d\n", name[k], size[k], r / 1000, s / 1000, (s > 0 ? r / s : 0), sprintf("%.0f-%.0f", rmin[k] / 1000, rmax[k] / 1000), sprintf("%.0f-%.0f", smin[k] / 1000, smax[k] / 1000), runs[k]
				js = js sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_ns\":%.1f,\"slub_ns\":%.1f,\"ratio\":%.3f,\"rsh_min_ns\":%.1f,\"rsh_max_ns\":%.1f,\"slub_min_ns\":%.1f,\"slub_max_ns\":%.1f,\"boot_ratios\":[%s]}", (js == "" ? "" : ","), name[k], size[k], r / 1000, s / 1000, (s > 0 ? r / s : 0), rmin[k] / 1000, rmax[k] / 1000, smin[k] / 1000, smax[k] / 1000, rat[k])
			} else if (k in lay_line) {
				$0 = lay_line[k]
				rw = 4096 * 2 ^ val("rsh_order") - val("rsh_objs") * val("rsh_stride"); sw = 4096 * 2 ^ val("slub_order") - val("slub_objs") * val("slub_stride")
				lay = lay sprintf("%s{\"size\":%s,\"rsh_objs_per_slab\":%s,\"rsh_order\":%s,\"slub_objs_per_slab\":%s,\"slub_order\":%s,\"rsh_waste_bytes\":%d,\"slub_waste_bytes\":%d}", (lay == "" ? "" : ","), val("size"), val("rsh_objs"), val("rsh_order"), val("slub_objs"), val("slub_order"), rw, sw)
				printf "layout     %6s  objs/slab %4s (order %s, %5d B waste)  SLUB %4s (order %s, %5d B waste)\n", val("size"), val("rsh_objs"), val("rsh_order"), rw, val("slub_objs"), val("slub_order"), sw
			} else if (k in p50) {
				st = st sprintf("%s{\"read\":\"%s\",\"p50_ns\":%s,\"p99_ns\":%s,\"max_ns\":%s}", (st == "" ? "" : ","), k, med(p50[k]), med(p99[k]), mx[k])
				printf "%-26s p50 %8s ns  p99 %8s ns  max %9s ns\n", k, med(p50[k]), med(p99[k]), mx[k]
			} else if (k in ev) {
				nt = nt sprintf("%s{\"event\":\"%s\",\"caches\":64,\"last_ns\":%s,\"max_ns\":%s}", (nt == "" ? "" : ","), ev[k], med(nlast[k]), nmax[k])
				printf "notifier %-28s with 64 caches: %s ns (slowest %s ns)\n", ev[k], med(nlast[k]), nmax[k]
			}
		}
		if (mb != "") printf "metadata kept per cache: %s bytes per node (metadata_bytes)\n", mb
		printf "{\"kernel\":\"%s\",\"accel\":\"%s\",\"workloads\":[%s],\"layout\":[%s],\"statread\":[%s],\"notifier\":[%s]}\n", kernel, accel, js, lay, st, nt > "'"$out/results.json"'"
	}
' "$out/raw.txt" | tee "$out/table.txt"
