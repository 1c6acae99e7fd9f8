# Allocations for any node take objects from the CPU's own node first, then from the other
# nodes by distance (SLUB's get_partial() order): CPU 2 is on node 1, and node 2 is nearer to
# node 1 than node 0 is (scripts/vm.sh --cpu-on-node1). Every node has a partial slab; the
# slow path (`alloc ... any`) and the CPU stash's refill (`alloc ... cpu`) both take node 1's
# objects on CPU 2 and node 0's on CPU 0, and node 2's on CPU 2 once node 1 has none.
. /selftests/lib.sh
rsh_load
online_node 1 online_kernel
online_node 2 online_kernel
for n in 0 1 2; do ctl alloc hp-64 $n 10 strict; done
on_cpu 2 "alloc hp-64 any 5"
expect_eq "$(kept_line hp-64)" "hp-64 35 N0=10 N1=15 N2=10" "slow path on CPU 2"
on_cpu 2 "alloc hp-64 cpu 5"
expect_eq "$(kept_line hp-64)" "hp-64 40 N0=10 N1=20 N2=10" "CPU 2's stash"
on_cpu 0 "alloc hp-64 any 5"
expect_eq "$(kept_line hp-64)" "hp-64 45 N0=15 N1=20 N2=10" "slow path on CPU 0"
on_cpu 0 "alloc hp-64 cpu 5"
expect_eq "$(kept_line hp-64)" "hp-64 50 N0=20 N1=20 N2=10" "CPU 0's stash"
# Node 1 without hp-64 slabs: node 2 (distance 15) comes before node 0 (distance 20).
ctl free hp-64 1 all
ctl shrink hp-64
expect_eq "$(node_stat hp-64 slabs 1)" 0 "node 1 slabs after the shrink"
on_cpu 2 "alloc hp-64 any 5"
expect_eq "$(kept_line hp-64)" "hp-64 35 N0=20 N2=15" "slow path on CPU 2, node 1 empty"
on_cpu 2 "alloc hp-64 cpu 5"
expect_eq "$(kept_line hp-64)" "hp-64 40 N0=20 N2=20" "CPU 2's stash, node 1 empty"
ctl verify
ctl free hp-64 any all
ctl shrink all
rsh_unload
