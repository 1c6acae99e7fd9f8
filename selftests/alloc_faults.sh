# Every allocation a command makes from this module's code fails in turn (failslab and
# fail_page_alloc through /proc/self/fail-nth): slab pages, node metadata, sysfs entries.
# Each failure is ENOMEM and leaves the counters exact; the next attempt succeeds; nothing
# leaks (kmemleak).
. /selftests/lib.sh
[ -e /sys/kernel/debug/kmemleak ] || skip "no kmemleak"
echo clear >/sys/kernel/debug/kmemleak
rsh_load
fault_setup
state() { cat "$RSH_SYS"/*/* "$RSH_DBG/objects"; ls "$RSH_SYS"; }
# retry <command> <check>: fails the n-th allocation for n = 1, 2, ... until the command
# succeeds; after each failure runs <check>.
retry() {
	n=0
	while :; do
		n=$((n + 1))
		[ $n -le 400 ] || fail "'$1' still failing after $n injected failures"
		r=$(nth_write $n "$RSH_CTL" "$1")
		[ "$r" = ok ] && break
		expect_eq "$r" "Cannot allocate memory" "'$1' with allocation $n failing"
		$2
	done
	diag "'$1': $((n - 1)) allocation failure points, each refused cleanly"
}
# An allocation needing one new slab: any failure changes nothing.
before=$(state)
unchanged() { expect_eq "$(state)" "$before" "state after a failed command"; }
retry "alloc hp-256 0 1 strict" unchanged
expect_eq "$(stat hp-256 objects)" "1 N0=1" "objects after the successful retry"
# An allocation needing two slabs: a failure after the first slab gives every object back;
# the counters stay exact and every kept object verifies.
exact() {
	c=hp-256
	kept=$(grep "^$c " "$RSH_DBG/objects" | cut -d' ' -f2)
	expect_eq "$(total "$(stat $c objects)")" "${kept:-0}" "objects vs kept"
	expect_eq "$(total "$(stat $c total_objects)")" "$(($(total "$(stat $c slabs)") * 31))" "capacity vs slabs"
	ctl verify $c
}
retry "alloc hp-256 0 40 strict" exact
expect_eq "$(stat hp-256 objects)" "41 N0=41" "objects after the two-slab retry"
# Creating a cache: metadata, node table, counters, the sysfs directory and its files.
before=$(state)
retry "create fz 100 8" unchanged
[ -d "$RSH_SYS/fz" ] || fail "fz has no directory after the successful retry"
expect_eq "$(stat fz metadata_allocs)" "1 N0=1" "fz metadata"
ctl destroy fz
# Onlining node 1: every metadata allocation of NODE_ADDING_FIRST_MEMORY.
b=$(node_blocks 1 | head -n1)
n=0
while :; do
	n=$((n + 1))
	[ $n -le 50 ] || fail "online still failing after $n injected failures"
	r=$(nth_write $n "$MEMDIR/memory$b/state" online_movable)
	[ "$r" = ok ] && break
	expect_eq "$r" "Cannot allocate memory" "online with allocation $n failing"
	expect_eq "$(stat hp-8 metadata_nodes)" 0 "hp-8 metadata after the refused online"
	expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes after the refused online"
done
diag "online: $((n - 1)) allocation failure points"
expect_eq "$(stat hp-8 metadata_allocs)" "2 N0=1 N1=1" "metadata after the successful online"
expect_eq "$(event node_cancel_adding_first_memory 1)" "$((n - 1))" "cancellations"
ctl free hp-256 any all
rsh_unload
kmemleak_scan
