# A node onlined movable gets metadata but can hold no slab: requests for it fall back (and
# are counted) or fail when strict. Offlining it succeeds and keeps its metadata.
. /selftests/lib.sh
rsh_load
online_node 1 online_movable
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	expect_eq "$(stat $c metadata_nodes)" "0-1" "$c metadata_nodes"
	expect_eq "$(stat $c metadata_allocs)" "2 N0=1 N1=1" "$c metadata_allocs"
done
ctl alloc hp-256 1 10
expect_eq "$(stat hp-256 objects)" "10 N0=10" "fallback objects land on node 0"
expect_eq "$(stat hp-256 alloc_fallbacks)" "10 N1=10" "fallbacks counted for node 1"
ctl_err "Cannot allocate memory" "alloc hp-256 1 1 strict"
expect_eq "$(stat hp-256 objects)" "10 N0=10" "objects after a refused strict request"
offline_node 1
node_has_memory 1 && fail "node 1 still has memory"
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	expect_eq "$(stat $c metadata_nodes)" "0-1" "$c keeps node 1's metadata offline"
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
	expect_eq "$(stat $c metadata_bytes)" "$(($(node_stat $c metadata_bytes 0) * 2)) N0=$(node_stat $c metadata_bytes 0) N1=$(node_stat $c metadata_bytes 0)" "$c metadata_bytes"
	expect_eq "$(node_stat $c objects 1)" 0 "$c N1 objects"
	expect_eq "$(node_stat $c slabs 1)" 0 "$c N1 slabs"
done
ctl alloc hp-256 1 5
expect_eq "$(stat hp-256 alloc_fallbacks)" "15 N1=15" "fallbacks while offline"
ctl_err "Cannot allocate memory" "alloc hp-256 1 1 strict"
ctl verify
rsh_unload
