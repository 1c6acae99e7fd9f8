#!/bin/bash
# `make bench`: builds the performance kernel (configs/perf.config) and the module against it,
# boots the NUMA VM and runs the in-kernel benchmark: rust_slab_hp and SLUB side by side, in
# the same run. Prints a table and writes build/bench/results.json.
#
# TCG emulates the CPU, so absolute times mean little; the ratios are what to read, and even
# they are distorted (atomics and memory barriers cost differently under TCG).
set -eu
export PROFILE=perf
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
kdir=$(kernel_dir)
make -C "$TOP" -s clean >/dev/null
make -C "$TOP" -s modules KDIR="$kdir" >"$LOGS/module-bench.log" 2>&1 || {
	tail -n 30 "$LOGS/module-bench.log" >&2
	die "module build failed"
}
rc=0
"$TOP/scripts/vm.sh" bench --timeout "${BENCH_TIMEOUT:-5400}" \
	--append "rsh.bench_iters=${RSH_BENCH_ITERS:-200000} rsh.bench_reps=${RSH_BENCH_REPS:-5}" || rc=$?
# The debug build is what the tests use: do not leave the perf module behind.
make -C "$TOP" -s clean >/dev/null
out=$BUILD/bench
mkdir -p "$out"
tr -d '\r' <"$BUILD/vm/$KERNEL-bench/ktap.log" | sed -n 's/^# BENCH //p' >"$out/raw.txt"
awk -v kernel="$KERNEL" '
	function val(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	/_ps=/ {
		r = val("rsh_ps"); s = val("slub_ps")
		printf "%-10s %6s %12.1f %12.1f %8.2f\n", $1, val("size"), r / 1000, s / 1000, (s > 0 ? r / s : 0)
		js = js sprintf("%s{\"workload\":\"%s\",\"size\":%s,\"rsh_ns\":%.1f,\"slub_ns\":%.1f,\"ratio\":%.3f}", (js == "" ? "" : ","), $1, val("size"), r / 1000, s / 1000, (s > 0 ? r / s : 0))
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
	BEGIN { printf "%-10s %6s %12s %12s %8s\n", "workload", "size", "rsh ns/op", "SLUB ns/op", "ratio" }
	END {
		printf "%s%s%s", layt, stt, ntt
		printf "metadata kept per cache: %s bytes per node (metadata_bytes)\n", mb
		printf "{\"kernel\":\"%s\",\"accel\":\"%s\",\"workloads\":[%s],\"layout\":[%s],\"statread\":[%s],\"notifier\":[%s]}\n", kernel, ENVIRON["RSH_ACCEL"] == "" ? "tcg" : ENVIRON["RSH_ACCEL"], js, lay, st, nt > "'"$out/results.json"'"
	}
' "$out/raw.txt" | tee "$out/table.txt"
say "results: ${out#"$TOP"/}/results.json"
exit $rc
