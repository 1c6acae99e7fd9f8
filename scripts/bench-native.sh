#!/bin/bash
# `make bench-native`: the in-kernel benchmark of `make bench` at native speed. The machines
# this was developed on have no working KVM and TCG distorts what atomics and barriers cost, so
# this runs the same module and the same `bench` control commands in User-Mode Linux
# (ARCH=um): kernel code runs unemulated as a host process. UML has no NUMA and no memory
# hotplug, so the module is built without its notifier (--cfg rsh_no_hotplug) and the
# workloads that need nodes (remote allocation, reads during hotplug, notifier timings) are
# left out. Prints a table and writes build/bench/native/results.json.
set -eu
export PROFILE=uml
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
kdir=$(kernel_dir)
make -C "$TOP" -s clean >/dev/null
build_module bench-native ARCH=um
out=$BUILD/bench/native
run=$BUILD/vm/$KERNEL-bench-native
mkdir -p "$out" "$run"
"$TOP/scripts/initramfs.sh" "$run/initramfs.cpio" "$kdir" "$TOP/selftests/suites/bench-native" bench-native
make -C "$TOP" -s clean >/dev/null
timeout=${BENCH_TIMEOUT:-1800}
say "UML 7.3/bench-native: 2 CPUs, native speed, timeout ${timeout}s"
start=$(date +%s)
rc=0
# The kernel log goes to the console (stdout), the KTAP output to the second serial line (fd 3);
# UML runs SMP only with its seccomp userspace mode.
timeout -k 10 "$timeout" "$kdir/linux" mem=1G ncpus=2 seccomp=on initrd="$run/initramfs.cpio" \
	rsh.suite=bench-native rsh.bench_iters="${RSH_BENCH_ITERS:-200000}" \
	rsh.bench_reps="${RSH_BENCH_REPS:-11}" con=null con0=null,fd:1 ssl=null ssl1=null,fd:3 \
	</dev/null > >(cat >"$run/console.log") 2>&1 3> >(cat >"$run/ktap.log") || rc=$?
# (Pipes, not files: UML polls its channels with epoll, which refuses regular files.)
wait
say "  UML finished in $(($(date +%s) - start))s (exit $rc)"
tr -d '\r' <"$run/ktap.log" | grep -E '^(not )?ok ' || true
grep -q '^ok 1 bench_native' "$run/ktap.log" || {
	tail -n 40 "$run/console.log" >&2
	die "the native benchmark did not complete (see ${run#"$TOP"/})"
}
tr -d '\r' <"$run/ktap.log" | sed -n 's/^# BENCH //p' >"$out/raw.txt"
"$TOP/scripts/bench-report.sh" "$out" "$KERNEL" uml
say "results: ${out#"$TOP"/}/results.json"
