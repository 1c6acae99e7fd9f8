# CPU 1 goes offline and online again and again while the race workload runs (readers of every
# statistics file, allocators through the CPU and node stashes, caches created and destroyed;
# every outcome counted, see lib.sh's stress_check) and node 1's memory comes and goes: no
# kernel report (the judge checks), every loop keeps making progress and succeeds, every kept
# object verifies, every cache has node-1 metadata right after each online, and once the
# stashes are flushed every allocated object is one the controls keep.
. /selftests/lib.sh
cycles=${RSH_CPU_CYCLES:-15}
cpu1=/sys/devices/system/cpu/cpu1/online
[ -e $cpu1 ] || skip "CPU 1 cannot go offline in this kernel"
rsh_load
stress_start tmp 1
# The workload's trap, and CPU 1 back online whatever happens.
trap 'stress_abort; echo 1 >$cpu1 2>/dev/null || true' EXIT
b=$(node_blocks 1 | head -n1)
checks=0
for i in $(seq 1 "$cycles"); do
	r=$(try_write $cpu1 0)
	[ "$r" = ok ] || fail "cycle $i: CPU 1 offline: $r"
	r=$(set_block "$b" online_movable)
	[ "$r" = ok ] || fail "cycle $i: online memory$b: $r"
	stress_metadata 1
	r=$(try_write $cpu1 1)
	[ "$r" = ok ] || fail "cycle $i: CPU 1 online: $r"
	r=$(set_block "$b" offline)
	[ "$r" = ok ] || fail "cycle $i: offline memory$b: $r"
	if [ $((i % 5)) = 0 ] || [ "$i" = "$cycles" ]; then
		stress_progress
		checks=$((checks + 1))
	fi
done
stress_stop
trap - EXIT
stress_check "$checks"
stashes_empty() { expect_eq "$(stat $1 cpu_stashed)" 0 "$1 cpu_stashed after the shrink"; }
stress_settle stashes_empty
diag "$cycles CPU 1 offline/online cycles with node 1 coming and going"
stress_empty
rsh_unload
