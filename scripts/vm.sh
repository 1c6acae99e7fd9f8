#!/bin/bash
# Boots the NUMA test VM on the harness kernel and runs one selftest suite in it.
#
# Usage: vm.sh <suite> [--nodes N] [--timeout SECONDS] [--append "kernel args"] [--tag NAME]
#              [--follow]   (print the tests' output while they run)
#              [--cpu-on-node1]  (a third running CPU, CPU 2, on node 1, with node 2 nearer
#                                 to node 1 than node 0 is; needs --nodes 2, the default)
#        vm.sh adhoc --tests "test1 test2 ..." [options]   (any tests, in that order)
#
# Topology: node 0 has the boot memory (1 GiB) and both running CPUs; nodes 1..N have memory
# only on a cold-plugged 256 MiB pc-dimm each (two 128 MiB blocks), booted with movable_node
# so every block starts offline and can be onlined and offlined from inside the guest.
# QEMU writes a hot-pluggable SRAT range only for its last node, so each of nodes 1..N also
# gets an absent (never plugged) CPU slot: its SRAT CPU entry is what makes Linux know the
# node before its memory arrives.
#
# The console goes to <out>/console.log, the KTAP output to <out>/ktap.log; then the judge
# (scripts/judge.sh) decides and prints the results. TCG by default: KVM only with
# RSH_ACCEL=kvm (guests hang at boot under KVM on the machines this was built on).
set -eu
. "$(dirname "$0")/lib.sh"

suite=${1:?usage: vm.sh <suite> [--nodes N] [--timeout S] [--append ARGS] [--tag NAME]}
shift
nodes=2 timeout=600 append="" tag=$suite follow=0 tests="" running=2 dist=""
while [ $# -gt 0 ]; do
	case $1 in
	--follow)
		follow=1
		shift
		continue
		;;
	--cpu-on-node1)
		# CPU 2 is socket 2, which the topology below puts on node 1. Distances: 1-2 is 15,
		# every other pair 20 (QEMU wants one direction of every pair).
		running=3
		dist="0:1:20 0:2:20 1:2:15"
		shift
		continue
		;;
	--nodes) nodes=$2 ;;
	--timeout) timeout=$2 ;;
	--append) append=$2 ;;
	--tag) tag=$2 ;;
	--tests) tests=$2 ;;
	*) die "vm.sh: unknown option $1" ;;
	esac
	shift 2
done
[ -n "$tests" ] || [ -f "$TOP/selftests/suites/$suite" ] || die "no suite selftests/suites/$suite"
[ "$nodes" -ge 1 ] && [ "$nodes" -le 7 ] || die "--nodes must be 1..7"
[ -z "$dist" ] || [ "$nodes" = 2 ] || die "--cpu-on-node1 needs --nodes 2"

KDIR=$(kernel_dir)
out=$BUILD/vm/$KERNEL-$tag
rm -rf "$out" && mkdir -p "$out"
if [ -n "$tests" ]; then
	echo "$tests" | tr ' ' '\n' >"$out/suite"
	suite_file=$out/suite
else
	suite_file=$TOP/selftests/suites/$suite
fi
"$TOP/scripts/initramfs.sh" "$out/initramfs.cpio" "$KDIR" "$suite_file" "$suite"

accel=${RSH_ACCEL:-tcg}
cpus=$((2 + nodes))
args=(-accel "$accel" -machine pc -nographic -no-reboot
	-smp "$running,maxcpus=$cpus,sockets=$cpus,cores=1,threads=1"
	-m "1G,slots=$nodes,maxmem=$((1 + nodes))G"
	-object memory-backend-ram,id=m0,size=1G -numa node,nodeid=0,memdev=m0
	-numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=1)
for n in $(seq 1 "$nodes"); do
	args+=(-numa "node,nodeid=$n" -numa "cpu,node-id=$n,socket-id=$((n + 1))"
		-object "memory-backend-ram,id=d$n,size=256M" -device "pc-dimm,id=dimm$n,memdev=d$n,node=$n")
done
for d in $dist; do
	args+=(-numa "dist,src=${d%%:*},dst=$(echo "$d" | cut -d: -f2),val=${d##*:}")
done
image=$(kernel_image "$KDIR")
if [ -e "$KDIR/rsh-vmlinuz" ]; then
	# Debian's stock kernel binary, unmodified (scripts/debian-kernel.sh). It onlines hot-added
	# memory by itself (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO): the tests start offline.
	append="memhp_default_state=offline $append"
fi
# KASAN reports every error, not only the first of the boot: after a test's announced report
# (uaf_buggy) the rest of the boot is still checked.
! grep -q '^CONFIG_KASAN=y' "$KDIR/.config" || append="kasan_multi_shot $append"
# KUnit suites run when the kunit test asks (through debugfs), not at every module load.
! grep -q '^CONFIG_KUNIT=y' "$KDIR/.config" || append="kunit.autorun=0 $append"
args+=(-kernel "$image" -initrd "$out/initramfs.cpio"
	-append "console=ttyS0 movable_node panic=-1 printk.time=1 no_timer_check rsh.suite=$suite $append"
	-serial "file:$out/console.log" -serial "file:$out/ktap.log" -monitor none)

say "VM $KERNEL/$tag: suite '$suite', $((nodes + 1)) nodes, $accel, timeout ${timeout}s"
start=$(date +%s)
rc=0
: >"$out/ktap.log"
timeout --kill-after=10 "$timeout" qemu-system-x86_64 "${args[@]}" >"$out/qemu.log" 2>&1 &
qpid=$!
if [ "$follow" = 1 ]; then
	# The tests' diagnostics, live; tail ends with QEMU.
	# (CRs go in sed, which is unbuffered: `tr` in a pipe would hold lines back for minutes.)
	tail -n +1 -f --pid="$qpid" "$out/ktap.log" | sed -u -n -e 's/\r//g' -e '/^# done$/d' -e 's/^# \{0,1\}//p' || true
fi
wait "$qpid" || rc=$?
elapsed=$(($(date +%s) - start))
echo "$rc $elapsed" >"$out/qemu.status"
say "  VM $KERNEL/$tag finished in ${elapsed}s (qemu exit $rc)"
exec "$TOP/scripts/judge.sh" "$out" "$KERNEL/$tag"
