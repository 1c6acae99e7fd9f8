# Onlining a node again reuses its kept metadata ("already exists"): the reuse counter goes
# up, the allocation counter does not. A cache created while the node is offline gets the
# metadata at the next online instead.
. /selftests/lib.sh
rsh_load
online_node 1 online_movable
offline_node 1
ctl create late 128 8
expect_eq "$(stat late metadata_nodes)" 0 "late: no node-1 metadata while node 1 is offline"
online_node 1 online_movable
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	expect_eq "$(stat $c metadata_reuses)" "1 N1=1" "$c metadata_reuses"
	expect_eq "$(stat $c metadata_allocs)" "2 N0=1 N1=1" "$c metadata_allocs"
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
done
expect_eq "$(stat late metadata_allocs)" "2 N0=1 N1=1" "late: allocated at online"
expect_eq "$(stat late metadata_reuses)" 0 "late metadata_reuses"
expect_eq "$(cat "$RSH_SYS/node_adding_first_memory")" "2 N1=2" "adding_first events"
offline_node 1
online_node 1 online_movable
expect_eq "$(stat hp-8 metadata_reuses)" "2 N1=2" "second reuse"
expect_eq "$(stat late metadata_reuses)" "1 N1=1" "late: reused the second time"
rsh_unload
