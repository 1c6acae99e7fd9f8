# Before the kernel's own memory-hotplug selftest: rust_slab_hp loaded, verified objects on
# every node (one block of nodes 1 and 2 online as kernel memory, the other left offline for
# the selftest to online and offline). The next two tests continue from here.
. /selftests/lib.sh
rsh_load
for n in 1 2; do
	b=$(node_blocks $n | head -n1)
	[ "$(block_state "$b")" = online ] || expect_eq "$(set_block "$b" online_kernel)" ok "online memory$b"
done
for c in hp-64 hp-256 hp-8192; do
	for n in 0 1 2; do ctl alloc $c $n 40 strict; done
done
for n in 0 1 2; do
	expect_eq "$(node_stat hp-256 objects $n)" 40 "hp-256 objects on node $n"
done
ctl verify
