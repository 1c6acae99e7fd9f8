#!/bin/bash
# `make bench`: builds the performance kernel (configs/perf.config) and the module against it,
# boots the NUMA VM (BENCH_BOOTS times) and runs the in-kernel benchmark: rust_slab_hp and
# SLUB side by side, in the same run. Prints a table and writes build/bench/results.json.
#
# KVM where a probe shows it works (RSH_ACCEL=tcg or kvm skips the probe), TCG otherwise. TCG
# emulates the CPU, so absolute times mean little; the ratios are what to read, and even they
# are distorted (atomics and memory barriers cost differently under TCG).
set -eu
export PROFILE=perf
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
if [ -z "${RSH_ACCEL:-}" ]; then
	RSH_ACCEL=tcg
	if kvm_works "$(kernel_dir)/arch/x86/boot/bzImage"; then
		RSH_ACCEL=kvm
	else
		say "KVM probe: no guest under KVM here (build/logs/kvm-probe.log), using TCG"
	fi
	export RSH_ACCEL
fi
make -C "$TOP" -s clean >/dev/null
build_module bench
# Several boots (BENCH_BOOTS, 3): under TCG a whole boot's cell sometimes runs slow, so the
# report takes the median of the boots' medians.
boots=${BENCH_BOOTS:-3}
out=$BUILD/bench
mkdir -p "$out"
: >"$out/raw.txt"
rc=0
for b in $(seq 1 "$boots"); do
	"$TOP/scripts/vm.sh" bench --tag "bench-$b" --timeout "${BENCH_TIMEOUT:-5400}" \
		--append "rsh.bench_iters=${RSH_BENCH_ITERS:-200000} rsh.bench_reps=${RSH_BENCH_REPS:-11}" || rc=$?
	tr -d '\r' <"$BUILD/vm/$KERNEL-bench-$b/ktap.log" | sed -n "s/^# BENCH \(.*\)/\1 run=$b/p" >>"$out/raw.txt"
done
# The debug build is what the tests use: do not leave the perf module behind.
make -C "$TOP" -s clean >/dev/null
"$TOP/scripts/bench-report.sh" "$out" "$KERNEL" "${RSH_ACCEL:-tcg}"
say "results: ${out#"$TOP"/}/results.json"
exit $rc
