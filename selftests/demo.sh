# The README's demo: a node's memory goes offline and comes back while rust_slab_hp keeps its
# metadata; every step prints what a user would type and what the module reports.
. /selftests/lib.sh
say() { printf '\n== %s\n' "$*"; }
run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 | sed 's/^/  /'
}
show() { # show <cache> <file...>
	_c=$1
	shift
	for _f in "$@"; do printf '  %-28s %s\n' "$_c/$_f" "$(stat "$_c" "$_f")"; done
}
events() {
	for _e in adding_first added_first removing_last removed_last; do
		printf '  %-28s %s\n' "node_${_e}_memory" "$(cat "$RSH_SYS/node_${_e}_memory")"
	done
}
say "Linux $(uname -r); NUMA nodes $(cat $NODEDIR/possible), with memory: $(cat $NODEDIR/has_memory)"
for n in $(hotplug_nodes); do
	echo "  node $n: memory blocks $(node_blocks "$n" | tr '\n' ' ')($(block_state "$(node_blocks "$n" | head -n1)"))"
done
say "Load the module: five caches, metadata for node 0 only"
run insmod "$RSH_KO"
run ls "$RSH_SYS"
show hp-256 object_size objs_per_slab order metadata_nodes
say "Allocate 100 objects of hp-256 on node 0"
run "echo 'alloc hp-256 0 100' > $RSH_CTL"
show hp-256 objects slabs total_objects partial objects_partial
say "Online node 1 as movable memory: the notifier allocates node-1 metadata"
for b in $(node_blocks 1); do run "echo online_movable > $MEMDIR/memory$b/state"; done
run "dmesg | grep 'rust_slab_hp: node' | tail -n 2"
show hp-256 metadata_nodes metadata_allocs
events
say "Ask for node 1: movable memory cannot hold slabs, so the request falls back (counted)"
run "echo 'alloc hp-256 1 10' > $RSH_CTL"
show hp-256 objects alloc_fallbacks
run "echo 'alloc hp-256 1 1 strict' > $RSH_CTL"
run rsh-slabinfo -n hp-256
say "Offline every block of node 1: metadata is KEPT (the Linux 5.12 rule)"
for b in $(node_blocks 1); do run "echo offline > $MEMDIR/memory$b/state"; done
run "dmesg | grep 'rust_slab_hp: node' | tail -n 2"
show hp-256 metadata_nodes metadata_frees metadata_bytes objects
events
run rsh-slabinfo -n hp-256
say "Online node 1 again: the kept metadata is reused, nothing is allocated"
for b in $(node_blocks 1); do run "echo online_movable > $MEMDIR/memory$b/state"; done
show hp-256 metadata_reuses metadata_allocs
run rsh-slabinfo -n hp-256
say "Node 2 as kernel memory: slabs really land there"
for b in $(node_blocks 2); do run "echo online_kernel > $MEMDIR/memory$b/state"; done
run "echo 'alloc hp-256 2 50 strict' > $RSH_CTL"
show hp-256 objects slabs metadata_nodes
run "cat $RSH_DBG/objects"
run "echo verify > $RSH_CTL && dmesg | grep 'rust_slab_hp: verify' | tail -n 1"
say "Unload: every object and slab goes back; nothing is left in sysfs"
for b in $(node_blocks 1); do run "echo offline > $MEMDIR/memory$b/state"; done
run rmmod rust_slab_hp
run "ls $RSH_SYS"
