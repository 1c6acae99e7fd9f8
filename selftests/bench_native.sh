# `make bench-native`: the benchmark of bench.sh at native speed, in User-Mode Linux, which has
# no NUMA and no memory hotplug: only the workloads that need neither. Prints "BENCH <result>"
# lines the host turns into a table and JSON; fails only if a run fails.
. /selftests/lib.sh
iters=${RSH_BENCH_ITERS:-200000}
reps=${RSH_BENCH_REPS:-5}
rsh_load "caches=stats:64:8"
for size in 32 256 4096; do
	for w in pair batch64 batch4096 pair2 cross; do
		ctl bench "$w" "$size" "$iters" "$reps"
	done
done
for size in 32 256 4096; do
	ctl create "lay$size" "$size" 8
	case $size in 4096) k=kmalloc-4k ;; *) k=kmalloc-$size ;; esac
	echo "BENCH layout size=$size rsh_objs=$(stat lay$size objs_per_slab) rsh_order=$(stat lay$size order) rsh_stride=$(stat lay$size slab_size) slub_objs=$(cat /sys/kernel/slab/$k/objs_per_slab) slub_order=$(cat /sys/kernel/slab/$k/order) slub_stride=$(cat /sys/kernel/slab/$k/slab_size)"
	ctl destroy "lay$size"
done
ctl alloc stats 0 1000
ctl statread stats idle 5000
sed 's/^/BENCH /' "$RSH_DBG/bench"
rsh_unload
