# CPU hotplug: a CPU going offline has its stash given back to the slabs (SLUB's
# slub_cpu_dead()), so objects parked there no longer hold their slabs and a shrink can free
# them; a CPU coming online gets its node, so its refills prefer its node's slabs.
. /selftests/lib.sh
[ -e /sys/devices/system/cpu/cpu1/online ] || skip "CPUs cannot go offline in this kernel"
cpu() { try_write /sys/devices/system/cpu/cpu$1/online $2; }
trap 'cpu 1 1 >/dev/null; cpu 2 1 >/dev/null' EXIT
rsh_load
online_node 2 online_kernel
# Node-2 objects parked in CPU 1's stash: node 0 has no hp-64 slab, so CPU 1's refill takes
# the partial slab of node 2 (after node 1, which has no memory) and parks what it does not
# hand out; then every other object of that slab is freed.
ctl alloc hp-64 2 10 strict
on_cpu 1 "alloc hp-64 cpu 1"
ctl free hp-64 any all
stashed=$(stat hp-64 cpu_stashed)
[ "$stashed" -ge 1 ] || fail "nothing parked in CPU 1's stash"
expect_eq "$(stat hp-64 objects)" "$stashed N2=$stashed" "parked node-2 objects"
expect_eq "$(cpu 1 0)" ok "CPU 1 offline"
expect_eq "$(stat hp-64 cpu_stashed)" 0 "cpu_stashed once CPU 1 is offline"
expect_eq "$(stat hp-64 objects)" 0 "objects once CPU 1's stash is flushed"
ctl shrink hp-64
expect_eq "$(stat hp-64 slabs)" 0 "slabs after the shrink"
expect_eq "$(cpu 1 1)" ok "CPU 1 online"
# A CPU onlined after the module loaded: CPU 2 (node 1) comes back and its refills take node
# 1's partial slab, not node 0's, which the refill would try first (lowest number) without
# knowing the CPU's node.
rsh_unload
expect_eq "$(cpu 2 0)" ok "CPU 2 offline"
rsh_load
expect_eq "$(cpu 2 1)" ok "CPU 2 online"
online_node 1 online_kernel
ctl alloc hp-64 0 10 strict
ctl alloc hp-64 1 10 strict
on_cpu 2 "alloc hp-64 cpu 10"
expect_eq "$(kept_line hp-64)" "hp-64 30 N0=10 N1=20" "objects allocated through CPU 2's stash"
ctl free hp-64 any all
ctl shrink all
rsh_unload
