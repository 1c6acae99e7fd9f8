# `make bench-native`: the benchmark of bench.sh at native speed, in User-Mode Linux, which has
# no NUMA and no memory hotplug: only the workloads that need neither. Prints "BENCH <result>"
# lines the host turns into a table and JSON; fails only if a run fails.
. /selftests/lib.sh
rsh_load "caches=stats:64:8"
bench_workloads pair batch64 batch4096 pair2 cross
bench_layout
ctl alloc stats 0 1000
ctl statread stats idle 5000
sed 's/^/BENCH /' "$RSH_DBG/bench"
rsh_unload
