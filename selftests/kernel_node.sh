# A node onlined as kernel memory holds slabs: exact counters for objects on node 2, a block
# holding live slabs refuses to go offline (EBUSY, before any notifier) and every object still
# verifies; after freeing and shrinking, the same block goes offline. Node 2 also gets its
# metadata at its first online. Runs last: the kernel's own per-node data pins node 2's first
# block for the rest of the boot.
. /selftests/lib.sh
rsh_load
expect_eq "$(stat hp-256 metadata_nodes)" 0 "node 2 has no metadata before its first online"
online_node 2 online_kernel
node_has_memory 2 || fail "node 2 has no memory"
expect_eq "$(stat hp-256 metadata_nodes)" "0,2" "metadata after the first online"
expect_eq "$(stat hp-256 metadata_allocs)" "2 N0=1 N2=1" "metadata_allocs after the first online"
ctl alloc hp-256 2 100 strict
expect_eq "$(stat hp-256 objects)" "100 N2=100" "objects on node 2"
expect_eq "$(stat hp-256 slabs)" "4 N2=4" "slabs on node 2"
expect_eq "$(stat hp-256 objects_partial)" "7 N2=7" "objects_partial on node 2"
expect_eq "$(stat hp-256 alloc_fallbacks)" 0 "no fallback for a kernel-zone node"
expect_eq "$(grep '^hp-256 ' "$RSH_DBG/objects")" "hp-256 100 N2=100" "kept objects on node 2"
ctl free hp-256 any all
ctl shrink hp-256
# Which node-2 blocks can go offline before we allocate there (kernel data may pin some).
free_blocks=""
for b in $(node_blocks 2); do
	if [ "$(set_block "$b" offline)" = ok ]; then
		free_blocks="$free_blocks $b"
		r=$(set_block "$b" online_kernel)
		[ "$r" = ok ] || fail "re-online memory$b: $r"
	fi
done
[ -n "$free_blocks" ] || fail "every node-2 block is pinned before the test allocates"
diag "offlinable node-2 blocks before allocating: $free_blocks"
# Freshly onlined memory is used last (it goes to the tail of the free lists), so allocate
# 4 MiB at a time until our slabs reach one of those blocks: it then refuses to go offline.
ctl create big 32768 8
busy=""
round=0
while [ -z "$busy" ]; do
	round=$((round + 1))
	[ $round -le 60 ] || fail "no node-2 block got our slabs after $((round * 4)) MiB"
	ctl alloc big 2 128 strict
	for b in $free_blocks; do
		r=$(set_block "$b" offline)
		case $r in
		ok) r=$(set_block "$b" online_kernel) && [ "$r" = ok ] || fail "re-online memory$b: $r" ;;
		"Device or resource busy") busy=$b ;;
		*) fail "offline memory$b: $r" ;;
		esac
		[ -z "$busy" ] || break
	done
done
diag "memory$busy holds our slabs after $((round * 4)) MiB"
expect_eq "$(total "$(stat big objects)")" $((round * 128)) "big objects"
expect_eq "$(node_stat big objects 2)" $((round * 128)) "big objects on node 2"
removing=$(event node_removing_last_memory 2)
expect_eq "$(set_block "$busy" offline)" "Device or resource busy" "offline again"
expect_eq "$(block_state "$busy")" online "state after the refused offline"
expect_eq "$(event node_removing_last_memory 2)" "$removing" "no notifier event for a refused offline"
ctl verify
ctl free big any all
ctl shrink big
expect_eq "$(stat big slabs)" 0 "big slabs after free and shrink"
expect_eq "$(set_block "$busy" offline)" ok "offline once our slabs are gone"
rsh_unload
