# Counters are exact after known allocations, frees and shrinks on node 0, and every object
# is on the node it was asked for and keeps its pattern.
. /selftests/lib.sh
rsh_load
c=hp-256 # 31 objects per slab
ctl alloc $c 0 100 strict
expect_eq "$(stat $c objects)" "100 N0=100" "objects"
expect_eq "$(stat $c slabs)" "4 N0=4" "slabs (3 full + 1 with 7)"
expect_eq "$(stat $c total_objects)" "124 N0=124" "total_objects"
expect_eq "$(stat $c partial)" "1 N0=1" "partial"
expect_eq "$(stat $c objects_partial)" "7 N0=7" "objects_partial"
expect_eq "$(grep "^$c " "$RSH_DBG/objects")" "$c 100 N0=100" "kept objects by node"
ctl verify $c
# The last 10: 7 empty the fourth slab (kept for reuse), 3 leave the third one partial.
ctl free $c 0 10
expect_eq "$(stat $c objects)" "90 N0=90" "objects after free"
expect_eq "$(stat $c slabs)" "4 N0=4" "slabs after free"
expect_eq "$(stat $c partial)" "2 N0=2" "partial after free"
expect_eq "$(stat $c objects_partial)" "28 N0=28" "objects_partial after free"
ctl shrink $c
expect_eq "$(stat $c slabs)" "3 N0=3" "slabs after shrink"
expect_eq "$(stat $c total_objects)" "93 N0=93" "total_objects after shrink"
expect_eq "$(stat $c partial)" "1 N0=1" "partial after shrink"
expect_eq "$(stat $c shrink_freed_slabs)" "1 N0=1" "shrink_freed_slabs"
ctl verify
ctl free $c any all
expect_eq "$(stat $c objects)" 0 "objects after freeing all"
expect_eq "$(stat $c slabs)" "3 N0=3" "empty slabs kept for reuse"
expect_eq "$(stat $c objects_partial)" 0 "objects_partial after freeing all"
ctl shrink all
expect_eq "$(stat $c slabs)" 0 "slabs after shrink all"
expect_eq "$(stat $c total_objects)" 0 "total_objects after shrink all"
expect_eq "$(stat $c shrink_freed_slabs)" "4 N0=4" "shrink_freed_slabs"
# Every size class works, including the order-4 ones.
for c in hp-8 hp-64 hp-4096 hp-8192; do
	objs=$(stat $c objs_per_slab)
	ctl alloc $c 0 $((objs + 1)) strict
	expect_eq "$(stat $c slabs)" "2 N0=2" "$c slabs"
	expect_eq "$(stat $c objects)" "$((objs + 1)) N0=$((objs + 1))" "$c objects"
done
ctl verify
rsh_unload
