# Eight nodes and 64 caches: every hot-pluggable node goes online, offline and online again;
# every cache gets metadata for every node exactly once, reuses it once, frees none, and the
# node events are exact.
. /selftests/lib.sh
t0=$(cut -d. -f1 /proc/uptime)
nodes=$(hotplug_nodes)
expect_eq "$(echo $nodes)" "1 2 3 4 5 6 7" "hot-pluggable nodes"
spec=""
for i in $(seq 0 15); do spec="${spec}p$i:$((8 * (i + 1))):8,"; done
rsh_load "caches=${spec%,}"
for i in $(seq 16 63); do ctl create c$i $((16 * i)) 8; done
caches=$(ls "$RSH_SYS" | grep -E '^(p|c)[0-9]+$')
expect_eq "$(echo "$caches" | wc -l)" 64 "caches"
for c in $caches; do ctl alloc "$c" 0 10 strict; done
per_node() { # per_node <value>: "N1=v N2=v ... N7=v"
	for n in $nodes; do printf ' N%s=%s' "$n" "$1"; done
}
check_all() { # check_all <file> <expected>
	for c in $caches; do expect_eq "$(stat "$c" "$1")" "$2" "$c $1"; done
}
for n in $nodes; do online_node "$n" online_movable; done
t1=$(cut -d. -f1 /proc/uptime)
check_all metadata_allocs "8 N0=1$(per_node 1)"
check_all metadata_nodes 0-7
for n in $nodes; do offline_node "$n"; done
t2=$(cut -d. -f1 /proc/uptime)
check_all metadata_nodes 0-7
check_all metadata_frees 0
check_all objects "10 N0=10"
for n in $nodes; do online_node "$n" online_movable; done
t3=$(cut -d. -f1 /proc/uptime)
check_all metadata_reuses "7$(per_node 1)"
check_all metadata_allocs "8 N0=1$(per_node 1)"
for e in adding_first added_first; do
	expect_eq "$(cat "$RSH_SYS/node_${e}_memory")" "14$(per_node 2)" "$e events"
done
for e in removing_last removed_last; do
	expect_eq "$(cat "$RSH_SYS/node_${e}_memory")" "7$(per_node 1)" "$e events"
done
ctl verify
diag "7 hot-pluggable nodes, 64 caches: online all $((t1 - t0))s, offline all $((t2 - t1))s, online all again $((t3 - t2))s; test total $(($(cut -d. -f1 /proc/uptime) - t0))s"
rsh_unload
