# memory-notifier-error-inject makes MEM_GOING_ONLINE fail after our NODE_ADDING_FIRST_MEMORY
# succeeded (the kernel then sends NODE_CANCEL_ADDING_FIRST_MEMORY) and MEM_GOING_OFFLINE fail
# after NODE_REMOVING_LAST_MEMORY (then NODE_CANCEL_REMOVING_LAST_MEMORY). The metadata stays,
# the node's allocatable state is right, counters are exact, and the next real change works.
. /selftests/lib.sh
modprobe memory-notifier-error-inject || fail "cannot load memory-notifier-error-inject"
E=/sys/kernel/debug/notifier-error-inject/memory/actions
[ -d $E ] || fail "no $E"
rsh_load
b1=$(node_blocks 1 | head -n1)
# A failed online of node 2 as kernel memory.
b2=$(node_blocks 2 | head -n1)
echo -12 >$E/MEM_GOING_ONLINE/error
expect_eq "$(set_block "$b2" online_kernel)" "Cannot allocate memory" "online with MEM_GOING_ONLINE failing"
expect_eq "$(event node_adding_first_memory 2)" 1 "adding_first"
expect_eq "$(event node_cancel_adding_first_memory 2)" 1 "cancel_adding_first"
expect_eq "$(event node_added_first_memory 2)" 0 "added_first"
expect_eq "$(stat hp-256 metadata_nodes)" "0,2" "metadata kept after the cancel"
expect_eq "$(stat hp-256 metadata_allocs)" "2 N0=1 N2=1" "metadata allocated once"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "node 2 not treated as having memory"
ctl_err "Cannot allocate memory" "alloc hp-256 2 1 strict"
ctl alloc hp-256 2 3
expect_eq "$(stat hp-256 alloc_fallbacks)" "3 N2=3" "fallbacks for the cancelled node"
# The real online reuses the metadata and makes the node allocatable.
echo 0 >$E/MEM_GOING_ONLINE/error
expect_eq "$(set_block "$b2" online_kernel)" ok "online after the injection"
expect_eq "$(stat hp-256 metadata_reuses)" "1 N2=1" "metadata reused"
expect_eq "$(stat hp-256 metadata_allocs)" "2 N0=1 N2=1" "no second allocation"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" "0,2" "node 2 has memory"
ctl alloc hp-256 2 5 strict
expect_eq "$(node_stat hp-256 objects 2)" 5 "objects on node 2"
# A failed offline of node 1's last memory.
expect_eq "$(set_block "$b1" online_movable)" ok "online node 1"
echo -12 >$E/MEM_GOING_OFFLINE/error
expect_eq "$(set_block "$b1" offline)" "Cannot allocate memory" "offline with MEM_GOING_OFFLINE failing"
expect_eq "$(block_state "$b1")" online "node 1 state after the failed offline"
expect_eq "$(event node_removing_last_memory 1)" 1 "removing_last"
expect_eq "$(event node_cancel_removing_last_memory 1)" 1 "cancel_removing_last"
expect_eq "$(event node_removed_last_memory 1)" 0 "removed_last"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" "0-2" "node 1 still has memory"
expect_eq "$(stat hp-256 metadata_nodes)" "0-2" "metadata after the cancelled offline"
ctl alloc hp-256 1 2
expect_eq "$(stat hp-256 alloc_fallbacks)" "5 N1=2 N2=3" "movable node 1 still falls back"
echo 0 >$E/MEM_GOING_OFFLINE/error
expect_eq "$(set_block "$b1" offline)" ok "offline after the injection"
expect_eq "$(event node_removing_last_memory 1)" 2 "removing_last after the real offline"
expect_eq "$(event node_removed_last_memory 1)" 1 "removed_last after the real offline"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" "0,2" "node 1 without memory"
expect_eq "$(stat hp-256 metadata_frees)" 0 "metadata_frees"
ctl verify
rsh_unload
rmmod memory_notifier_error_inject
