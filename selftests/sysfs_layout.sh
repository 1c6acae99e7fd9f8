# Every statistics file exists, is world-readable and read-only, and has SLUB's format; the
# layout values are exact for the harness VM (4 possible CPUs: SLUB's min_objects is 16).
. /selftests/lib.sh
rsh_load
files="align alloc_fallbacks cpu_stashed metadata_allocs metadata_bytes metadata_frees metadata_nodes metadata_reuses
object_size objects objects_partial objs_per_slab order partial poison red_zone sanity_checks shrink_freed_slabs
slab_size slabs total_objects"
per_node="alloc_fallbacks metadata_allocs metadata_bytes metadata_frees metadata_reuses objects
objects_partial partial shrink_freed_slabs slabs total_objects"
# name size align stride objs_per_slab order. With a 64-byte in-slab header, each cache takes
# the smallest order giving at least as many objects per slab as SLUB's calculate_order()
# would (hp-256: SLUB 16 at order 0, we 15 there, so order 1 with 31).
layout="hp-8 8 8 8 1016 1
hp-64 64 8 64 127 1
hp-256 256 64 256 31 1
hp-4096 4096 4096 4096 15 4
hp-8192 8192 8 8192 7 4"
echo "$layout" | while read -r c size align stride objs order; do
	expect_eq "$(ls "$RSH_SYS/$c" | tr '\n' ' ')" "$(echo $files) " "$c: files"
	for f in $files; do
		expect_eq "$(ls -l "$RSH_SYS/$c/$f" | cut -c1-10)" "-r--r--r--" "$c/$f mode"
		v=$(cat "$RSH_SYS/$c/$f")
		case " $(echo $per_node) " in
		*" $f "*) echo "$v" | grep -Eqx '[0-9]+( N[0-9]+=[1-9][0-9]*)*' || fail "$c/$f: bad format '$v'" ;;
		*) echo "$v" | grep -Eqx '[0-9]+|[0-9,-]+' || fail "$c/$f: bad format '$v'" ;;
		esac
	done
	expect_eq "$(stat "$c" object_size)" "$size" "$c object_size"
	expect_eq "$(stat "$c" align)" "$align" "$c align"
	expect_eq "$(stat "$c" slab_size)" "$stride" "$c slab_size"
	expect_eq "$(stat "$c" objs_per_slab)" "$objs" "$c objs_per_slab"
	expect_eq "$(stat "$c" order)" "$order" "$c order"
	for f in objects total_objects slabs partial objects_partial metadata_reuses metadata_frees \
		alloc_fallbacks shrink_freed_slabs cpu_stashed sanity_checks red_zone poison; do
		expect_eq "$(stat "$c" "$f")" 0 "$c $f at load"
	done
	expect_eq "$(stat "$c" metadata_nodes)" 0 "$c metadata_nodes at load"
	expect_eq "$(stat "$c" metadata_allocs)" "1 N0=1" "$c metadata_allocs at load"
done
for e in node_adding_first_memory node_added_first_memory node_cancel_adding_first_memory \
	node_removing_last_memory node_removed_last_memory node_cancel_removing_last_memory; do
	expect_eq "$(ls -l "$RSH_SYS/$e" | cut -c1-10)" "-r--r--r--" "$e mode"
	expect_eq "$(cat "$RSH_SYS/$e")" 0 "$e at load"
done
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0 "memory_nodes"
# No kernel addresses anywhere in the statistics.
if grep -r -E '0x[0-9a-f]{8}|ffff[0-9a-f]{8}' "$RSH_SYS" >/dev/null 2>&1; then
	fail "statistics expose an address"
fi
# Not writable, even by root.
[ "$(try_write "$RSH_SYS/hp-8/objects" 1)" != ok ] || fail "objects accepted a write"
rsh_unload
