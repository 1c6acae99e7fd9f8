# When a metadata allocation fails in NODE_ADDING_FIRST_MEMORY (failslab through
# /proc/self/fail-nth, limited to allocations made from this module's code), the online is
# refused with ENOMEM and no cache changes; the kernel cancels, and a retry succeeds.
. /selftests/lib.sh
F=/sys/kernel/debug/failslab
[ -e $F/require-start ] || skip "no failslab stack filter in this kernel"
rsh_load "caches=a:64:8,b:128:8,c:256:8"
# Only kmalloc allocations with this module's code on the stack count, including GFP_KERNEL
# ones; no page allocation does (fail-nth counts every kind of fault that passes its filter,
# and fail_page_alloc's default filter passes everything: an order-1 slab page taken without
# reclaim now and then would take the count and fail silently, __GFP_NOWARN).
fault_setup failslab
echo 1 >$F/verbose
# /proc/self/fail-nth counts the allocations that pass the stack filter. In
# NODE_ADDING_FIRST_MEMORY the module allocates a small table, then one node structure per
# cache lacking one: the 3rd allocation is cache b's, after cache a's succeeded, so the
# all-or-nothing undo has something to undo.
b=$(node_blocks 1 | head -n1)
# fail-nth is per task and not inherited: both writes come from the same subshell.
r=$( (
	echo 3 >/proc/self/fail-nth
	echo online_movable >"$MEMDIR/memory$b/state"
) 2>&1) && r=ok
r=${r#*write error: }
expect_eq "$r" "Cannot allocate memory" "online with a failing metadata allocation"
expect_eq "$(block_state "$b")" offline "block state after the refused online"
dmesg | grep -q "FAULT_INJECTION: forcing a failure" || fail "failslab never fired"
dmesg | grep -q "rust_slab_hp: node 1: refusing online" || fail "no refusal message"
for c in a b c; do
	expect_eq "$(stat $c metadata_nodes)" 0 "$c metadata_nodes after the refusal"
	expect_eq "$(stat $c metadata_allocs)" "1 N0=1" "$c metadata_allocs after the refusal"
done
expect_eq "$(cat "$RSH_SYS/node_adding_first_memory")" "1 N1=1" "adding_first"
expect_eq "$(cat "$RSH_SYS/node_cancel_adding_first_memory")" "1 N1=1" "cancel_adding_first"
expect_eq "$(cat "$RSH_SYS/node_added_first_memory")" 0 "added_first"
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes after the refusal"
online_node 1 online_movable
for c in a b c; do
	expect_eq "$(stat $c metadata_nodes)" "0-1" "$c metadata_nodes after the retry"
	expect_eq "$(stat $c metadata_allocs)" "2 N0=1 N1=1" "$c metadata_allocs after the retry"
	expect_eq "$(stat $c metadata_reuses)" 0 "$c metadata_reuses after the retry"
done
rsh_unload
