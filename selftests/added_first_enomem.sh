# The module loaded between a node's NODE_ADDING_FIRST_MEMORY and NODE_ADDED_FIRST_MEMORY (the
# test-only `skip_adding` control makes it miss the first), with the metadata allocation of
# NODE_ADDED_FIRST_MEMORY failing (failslab, fail-nth): the memory comes online anyway, but
# the node is not targeted (memory_nodes), allocations whose new slab lands there fall back to
# another node instead of failing, and the metadata is allocated at the next chance (here, a
# cache creation). CPU 2 is on node 1, so its new slabs come from node 1 first.
. /selftests/lib.sh
rsh_load
fault_setup failslab
ctl skip_adding 1
b=$(node_blocks 1 | head -n1)
dmesg -c >/dev/null
r=$(nth_write 1 "$MEMDIR/memory$b/state" online_kernel)
expect_eq "$r" "ok|0" "online with NODE_ADDING missed and NODE_ADDED's allocation failing"
expect_eq "$(block_state "$b")" online "memory$b after the online"
dmesg | grep -q "rust_slab_hp: node 1: NODE_ADDING_FIRST_MEMORY not handled" || fail "NODE_ADDING_FIRST_MEMORY was handled"
dmesg | grep -q "rust_slab_hp: node 1: node metadata allocation failed; allocations fall back to other nodes" ||
	fail "no warning about the failed allocation"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes: node 1 is not targeted"
for c in hp-64 hp-256; do
	expect_eq "$(stat $c metadata_nodes)" 0 "$c metadata_nodes"
done
# CPU 2's new slabs come from node 1 first: they must fall back to node 0, not fail.
on_cpu 2 "alloc hp-64 any 100"
expect_eq "$(kept_line hp-64)" "hp-64 100 N0=100" "objects allocated on CPU 2"
on_cpu 2 "alloc hp-256 cpu 50"
expect_eq "$(kept_line hp-256)" "hp-256 50 N0=50" "objects allocated through CPU 2's stash"
expect_eq "$(stat hp-64 objects)" "100 N0=100" "hp-64 objects"
# The next chance: a cache creation allocates the missing metadata for every cache.
ctl create later 64 8
dmesg | grep -q "rust_slab_hp: node 1: metadata allocated after all" || fail "no retry message"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0-1 "memory_nodes after the retry"
for c in hp-64 hp-256 later; do
	expect_eq "$(stat $c metadata_nodes)" 0-1 "$c metadata_nodes after the retry"
done
expect_eq "$(stat hp-64 metadata_allocs)" "2 N0=1 N1=1" "hp-64 metadata_allocs after the retry"
# From now on CPU 2's allocations are local.
on_cpu 2 "alloc later any 10"
expect_eq "$(kept_line later)" "later 10 N1=10" "objects CPU 2 allocates once node 1 has metadata"
ctl verify
ctl free hp-64 any all
ctl free hp-256 any all
ctl destroy later
rsh_unload
