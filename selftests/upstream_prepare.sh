# Before the kernel's own memory-hotplug selftest: rust_slab_hp loaded, nodes 1 and 2 online
# as kernel memory, and verified objects on every node. The next two tests continue from here.
. /selftests/lib.sh
rsh_load
online_node 1 online_kernel
online_node 2 online_kernel
for c in hp-64 hp-256 hp-8192; do
	for n in 0 1 2; do ctl alloc $c $n 40 strict; done
done
for n in 0 1 2; do
	expect_eq "$(node_stat hp-256 objects $n)" 40 "hp-256 objects on node $n"
done
ctl verify
