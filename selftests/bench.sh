# `make bench`: rust_slab_hp against SLUB in the same VM run (on the performance kernel). Prints
# "BENCH <result>" lines the host turns into a table and JSON; fails only if a run fails.
. /selftests/lib.sh
rsh_load "caches=stats:64:8"
# Node 1 as kernel memory: the remote node of the node-targeted workload.
online_node 1 online_kernel
bench_workloads pair batch64 batch4096 pair2 cross remote1
bench_layout
# Statistics reads: idle, then while node 2 goes offline and online in a loop on CPU 0.
ctl alloc stats 0 1000
ctl statread stats idle 5000
ctl statread stats locked 5000
idle_lines=$(wc -l <"$RSH_DBG/bench")
stop=/tmp/bench.stop
rm -f $stop
b=$(node_blocks 2 | head -n1)
(
	while [ ! -e $stop ]; do
		set_block "$b" online_movable >/dev/null
		set_block "$b" offline >/dev/null
	done
) &
loop=$!
taskset -p 1 $loop >/dev/null 2>&1 || true
ctl statread stats idle 5000
ctl statread stats locked 5000
touch $stop
wait
# The notifier's time for a node's first memory and last memory with 64 caches.
for i in $(seq 1 63); do ctl create "n$i" $((8 * i)) 8; done
online_node 2 online_movable
offline_node 2
grep -E 'NODE_(ADDING_FIRST|REMOVING_LAST)_MEMORY' "$RSH_DBG/timings" | sed 's/^/BENCH notifier caches=64 /'
echo "BENCH metadata_bytes_per_node $(stat stats metadata_bytes)"
sed -n "1,${idle_lines}p" "$RSH_DBG/bench" | sed 's/^/BENCH /'
sed -n "$((idle_lines + 1)),\$p" "$RSH_DBG/bench" | sed 's/^statread/BENCH statread_hotplug/'

rsh_unload
