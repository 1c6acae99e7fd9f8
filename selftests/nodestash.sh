# The node-exact fast path (node stashes): objects churned through node 2's stash are all on
# node 2 and keep their patterns; the CPUs (of node 0) free them back to node 2's stash, not to
# their own, so at most one stash of them is left (the CPU stashes and the depot would hold
# twice that); they count in cpu_stashed and as allocated on node 2 (SLUB's convention), and a
# shrink, what NODE_REMOVING_LAST_MEMORY does, gives them all back. Runs after kernel_node,
# which leaves node 2 with kernel memory.
. /selftests/lib.sh
rsh_load
node_has_memory 2 || online_node 2 online_kernel
for c in hp-64 hp-4096; do
	case $c in hp-64) cap=64 ;; *) cap=16 ;; esac
	ctl churn $c 3000 2
	stashed=$(stat $c cpu_stashed)
	[ "$stashed" -ge 1 ] && [ "$stashed" -le $cap ] ||
		fail "$c: $stashed objects stashed, want 1..$cap (node 2's stash only)"
	expect_eq "$(stat $c objects)" "$stashed N2=$stashed" "$c: the stashed objects are node 2's"
	ctl shrink $c
	expect_eq "$(stat $c cpu_stashed)" 0 "$c cpu_stashed after shrink"
	expect_eq "$(stat $c objects)" 0 "$c objects after shrink"
	expect_eq "$(stat $c slabs)" 0 "$c slabs after shrink"
done
# Both fast paths on one cache: the node stash and the CPU stashes keep to their own objects.
ctl churn hp-256 2000 2
ctl churn hp-256 2000
ctl churn hp-256 2000 2
ctl shrink hp-256
expect_eq "$(stat hp-256 objects)" 0 "hp-256 objects after both fast paths and a shrink"
# A node without memory refuses, as alloc ... strict does; bad arguments are refused and
# change nothing.
! node_has_memory 1 || offline_node 1
ctl_err "Cannot allocate memory" "churn hp-64 10 1"
ctl_err "Invalid argument" "churn hp-64 10 any"
ctl_err "Invalid argument" "churn hp-64 10 99"
ctl_err "Invalid argument" "churn hp-64 10 2 extra"
expect_eq "$(stat hp-64 objects)" 0 "hp-64 objects after refused churns"
rsh_unload
