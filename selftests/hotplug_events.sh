# Onlining all of node 1 gives exactly one NODE_ADDING_FIRST_MEMORY and one
# NODE_ADDED_FIRST_MEMORY for node 1; offlining all of it one NODE_REMOVING_LAST_MEMORY and
# one NODE_REMOVED_LAST_MEMORY; onlining or offlining a node's other blocks gives none.
. /selftests/lib.sh
rsh_load
[ "$(node_blocks 1 | wc -l)" -ge 2 ] || fail "node 1 needs at least two memory blocks"
online_node 1 online_movable
expect_eq "$(cat "$RSH_SYS/node_adding_first_memory")" "1 N1=1" "adding_first after online"
expect_eq "$(cat "$RSH_SYS/node_added_first_memory")" "1 N1=1" "added_first after online"
for e in cancel_adding_first removing_last removed_last cancel_removing_last; do
	expect_eq "$(cat "$RSH_SYS/node_${e}_memory")" 0 "$e after online"
done
expect_eq "$(cat "$RSH_SYS/memory_nodes")" "0-1" "memory_nodes after online"
offline_node 1
expect_eq "$(cat "$RSH_SYS/node_removing_last_memory")" "1 N1=1" "removing_last after offline"
expect_eq "$(cat "$RSH_SYS/node_removed_last_memory")" "1 N1=1" "removed_last after offline"
expect_eq "$(cat "$RSH_SYS/node_adding_first_memory")" "1 N1=1" "adding_first after offline"
expect_eq "$(cat "$RSH_SYS/node_cancel_removing_last_memory")" 0 "cancel_removing_last"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes after offline"
for e in NODE_ADDING_FIRST_MEMORY NODE_ADDED_FIRST_MEMORY NODE_REMOVING_LAST_MEMORY NODE_REMOVED_LAST_MEMORY; do
	expect_eq "$(dmesg | grep -c "rust_slab_hp: node 1: $e\$")" 1 "dmesg lines for $e"
done
rsh_unload
[ ! -e "$RSH_SYS" ] || fail "$RSH_SYS left behind"
