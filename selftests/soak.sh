# The soak (make soak, not in CI): the race workload on every hot-pluggable node for
# RSH_SOAK_SECONDS, with a progress line every minute and a summary at the end. As in race,
# every stress operation's outcome is counted and checked (lib.sh, stress_check), and every
# cache has a node's metadata right after its online.
. /selftests/lib.sh
duration=${RSH_SOAK_SECONDS:-1800}
rsh_load
splats() { dmesg | grep -cE 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|suspected memory leak|possible (circular|recursive) locking' || true; }
stress_start soak any
start=$(cut -d. -f1 /proc/uptime)
next=$((start + 60))
cycles=0 rounds=0 verified=0 now=$start
while [ $((now - start)) -lt "$duration" ]; do
	for n in $(hotplug_nodes); do
		b=$(node_blocks "$n" | head -n1)
		# A cache created while the node is offline: its metadata must come from the online.
		ctl create soakm 128 8
		r=$(set_block "$b" online_movable)
		[ "$r" = ok ] || fail "online memory$b: $r"
		stress_metadata "$n"
		r=$(set_block "$b" offline)
		[ "$r" = ok ] || fail "offline memory$b: $r"
		ctl destroy soakm
		cycles=$((cycles + 1))
	done
	stress_progress
	rounds=$((rounds + 1))
	now=$(cut -d. -f1 /proc/uptime)
	if [ "$now" -ge "$next" ]; then
		ctl verify
		v=$(dmesg | sed -n 's/.*rust_slab_hp: verify: \([0-9]*\) objects checked.*/\1/p' | tail -n1)
		verified=$((verified + v))
		progress "soak: $((now - start))/${duration}s: $cycles node offline/online cycles, $verified objects verified, $(splats) kernel reports"
		next=$((now + 60))
	fi
done
stress_stop
stress_check "$rounds"
no_metadata_frees() { expect_eq "$(stat $1 metadata_frees)" 0 "$1 metadata_frees"; }
stress_settle no_metadata_frees
v=$(dmesg | sed -n 's/.*rust_slab_hp: verify: \([0-9]*\) objects checked.*/\1/p' | tail -n1)
verified=$((verified + v))
rsh_unload
echo "soak summary: $((now - start))s, $cycles node offline/online cycles, $verified objects verified, $(splats) kernel reports"
[ "$(splats)" = 0 ] || fail "kernel reports during the soak"
