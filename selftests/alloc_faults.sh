# Every allocation a command makes with this module's code on the stack fails in turn, through
# /proc/self/fail-nth: slab pages (fail_page_alloc), then kmalloc (failslab) for node metadata,
# the node table, kept-object bookkeeping and sysfs entries. Each injected failure is refused
# with ENOMEM and changes nothing (or, after a first slab was made, leaves exact counters), or
# is absorbed by a kernel fallback (kvmalloc to vmalloc, kmemleak's pool): the command then
# succeeds and is undone. The last attempt succeeds; nothing leaks (kmemleak).
. /selftests/lib.sh
have_kmemleak
rsh_load
state() { cat "$RSH_SYS"/*/* "$RSH_DBG/objects"; ls "$RSH_SYS"; }
unchanged() { expect_eq "$(state)" "$before" "state after a refused command"; }
rebase() { before=$(state); }
empty_256() {
	ctl free hp-256 any all
	ctl shrink hp-256
	rebase
}
exact() {
	kept=$(grep "^hp-256 " "$RSH_DBG/objects" | cut -d' ' -f2)
	expect_eq "$(total "$(stat hp-256 objects)")" "${kept:-0}" "objects vs kept"
	expect_eq "$(total "$(stat hp-256 total_objects)")" "$(($(total "$(stat hp-256 slabs)") * 31))" "capacity vs slabs"
	ctl verify hp-256
	empty_256
}

# Slab pages: one slab, then two (the second failing after 31 objects were handed out).
fault_setup fail_page_alloc
empty_256
inject_all "$RSH_CTL" "alloc hp-256 0 1 strict" unchanged empty_256
expect_eq "$(stat hp-256 objects)" "1 N0=1" "objects after one slab"
empty_256
inject_all "$RSH_CTL" "alloc hp-256 0 40 strict" exact empty_256
expect_eq "$(stat hp-256 slabs)" "2 N0=2" "slabs after two slabs"
empty_256

# kmalloc: bookkeeping of kept objects, then a whole cache with its sysfs directory.
fault_setup failslab
inject_all "$RSH_CTL" "alloc hp-256 0 1 strict" unchanged empty_256
expect_eq "$(stat hp-256 objects)" "1 N0=1" "objects after the bookkeeping"
empty_256
destroy_fz() {
	ctl destroy fz
	rebase
}
inject_all "$RSH_CTL" "create fz 100 8" unchanged destroy_fz
[ -d "$RSH_SYS/fz" ] || fail "fz has no directory after the successful attempt"
expect_eq "$(stat fz metadata_allocs)" "1 N0=1" "fz metadata"
ctl destroy fz

# Node metadata in NODE_ADDING_FIRST_MEMORY. An online that succeeds keeps its metadata for
# good, so after an absorbed failure the module is reloaded to start from none again.
b=$(node_blocks 1 | head -n1)
not_online() {
	expect_eq "$(stat hp-8 metadata_nodes)" 0 "hp-8 metadata after a refused online"
	expect_eq "$(stat hp-8 metadata_allocs)" "1 N0=1" "hp-8 metadata_allocs after a refused online"
	expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes after a refused online"
	expect_eq "$(block_state "$b")" offline "block after a refused online"
}
fresh_module() {
	expect_eq "$(set_block "$b" offline)" ok "offline after an absorbed failure"
	rsh_reload
	fault_setup failslab
}
inject_all "$MEMDIR/memory$b/state" online_movable not_online fresh_module
expect_eq "$(block_state "$b")" online "block after the successful online"
expect_eq "$(stat hp-8 metadata_allocs)" "2 N0=1 N1=1" "metadata after the successful online"
expect_eq "$(stat hp-8 metadata_reuses)" 0 "no reuse: nothing was left behind by refused onlines"
rsh_unload
kmemleak_scan
