# Readers loop over every statistics file of every cache while allocators churn (through the
# CPU and node stashes too), caches are created and destroyed, and node 1 goes offline and
# online RSH_RACE_CYCLES times (200): no kernel report (the judge checks), every object
# verifies, counters add up. Each cycle onlines and offlines one block, which is all of node
# 1's memory: every cycle is a first-memory / last-memory transition, at half the cost of
# moving both blocks. Every stress operation's outcome is counted (lib.sh, stress_check): every
# loop made at least one iteration in every ten cycles, so each operation succeeded at least
# cycles/10 times (20); the only errors are the churner's two expected ones; no read failed.
# Right after each online every cache, those created during the race included, has node-1
# metadata: the churner's, and one the test creates while node 1 is offline in every cycle,
# whose node-1 metadata must come from the online itself.
. /selftests/lib.sh
cycles=${RSH_RACE_CYCLES:-200}
rsh_load
stress_start tmp 1
b=$(node_blocks 1 | head -n1)
t0=$(cut -d. -f1 /proc/uptime)
checks=0
for i in $(seq 1 "$cycles"); do
	ctl create "tmpm$i" 128 8
	read -r m <"$RSH_SYS/tmpm$i/metadata_nodes"
	expect_eq "$m" 0 "cycle $i: metadata of tmpm$i, created while node 1 is offline"
	r=$(set_block "$b" online_movable)
	[ "$r" = ok ] || fail "cycle $i: online memory$b: $r"
	stress_metadata 1
	r=$(set_block "$b" offline)
	[ "$r" = ok ] || fail "cycle $i: offline memory$b: $r"
	ctl destroy "tmpm$i"
	if [ $((i % 10)) = 0 ] || [ "$i" = "$cycles" ]; then
		stress_progress
		checks=$((checks + 1))
		progress "race: $i of $cycles cycles in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	fi
done
diag "$cycles offline/online cycles of node 1 in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
stress_stop
stress_check "$checks"
# Counters add up: once the per-CPU stashes are flushed, every allocated object is one the
# controls keep (stress_settle); every node event happened once per cycle.
metadata_checks() {
	c=$1
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
	expect_eq "$(stat $c metadata_allocs)" "2 N0=1 N1=1" "$c metadata_allocs"
	expect_eq "$(stat $c metadata_reuses)" "$((cycles - 1)) N1=$((cycles - 1))" "$c metadata_reuses"
	inuse=0
	for n in 0 1 2; do inuse=$((inuse + $(node_stat $c objects $n))); done
	expect_eq "$inuse" "$(total "$(stat $c objects)")" "$c per-node objects add up"
}
stress_settle metadata_checks
for e in adding_first added_first removing_last removed_last; do
	expect_eq "$(cat "$RSH_SYS/node_${e}_memory")" "$cycles N1=$cycles" "$e events"
done
stress_empty
rsh_unload
