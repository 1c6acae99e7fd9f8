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
for t in tmp0 tmp1 tmp2; do try_write "$RSH_CTL" "destroy $t" >/dev/null; done
ctl verify
ctl shrink all
for c in hp-64 hp-256 hp-8192; do
	kept=$(grep "^$c " "$RSH_DBG/objects" | cut -d' ' -f2)
	expect_eq "$(total "$(stat $c objects)")" "${kept:-0}" "$c objects vs kept"
	expect_eq "$(stat $c cpu_stashed)" 0 "$c cpu_stashed after the shrink"
done
diag "$cycles CPU 1 offline/online cycles with node 1 coming and going"
ctl free hp-64 any all
ctl free hp-256 any all
ctl free hp-8192 any all
ctl shrink all
for c in hp-64 hp-256 hp-8192; do
	expect_eq "$(stat $c slabs)" 0 "$c slabs after freeing and shrinking"
done
rsh_unload
