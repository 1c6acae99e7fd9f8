# The README's demo: a node's memory goes offline and comes back while rust_slab_hp keeps its
# metadata; every step prints what a user would type and what the module reports, and is
# checked: a command that fails (or succeeds where the step shows a refusal) or a value other
# than the one the step expects fails the demo. `make demo` runs it in its own boot; `make
# test` runs it at the start of the uaf boot, which starts from the same fresh state.
. /selftests/lib.sh
say() { printf '\n== %s\n' "$*"; }
# run <command>: prints the command and its output; it must succeed.
run() {
	echo "\$ $*"
	_rc=0
	_out=$(sh -c "$*" 2>&1) || _rc=$?
	[ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/  /'
	[ "$_rc" = 0 ] || fail "step '$*' failed (exit $_rc)"
}
# refused <error text> <command>: prints the command and its output; it must fail so.
refused() {
	_want=$1
	shift
	echo "\$ $*"
	_rc=0
	_out=$(sh -c "$*" 2>&1) || _rc=$?
	printf '%s\n' "$_out" | sed 's/^/  /'
	[ "$_rc" != 0 ] || fail "step '$*' succeeded; it must be refused with '$_want'"
	case $_out in *"$_want"*) ;; *) fail "step '$*': expected '$_want'" ;; esac
}
# show <cache> <file> <expected value>: prints a statistics file, which must hold that value.
show() {
	_v=$(stat "$1" "$2")
	printf '  %-28s %s\n' "$1/$2" "$_v"
	expect_eq "$_v" "$3" "$1/$2"
}
# events <adding_first> <added_first> <removing_last> <removed_last>: the node-event counters.
events() {
	for _e in adding_first added_first removing_last removed_last; do
		_v=$(cat "$RSH_SYS/node_${_e}_memory")
		printf '  %-28s %s\n' "node_${_e}_memory" "$_v"
		expect_eq "$_v" "$1" "node_${_e}_memory"
		shift
	done
}
# last_events <line1> <line2>: the module's last two node-event lines in dmesg.
last_events() {
	run "dmesg | grep 'rust_slab_hp: node' | tail -n 2"
	expect_eq "$(echo "$_out" | sed 's/.*rust_slab_hp: //' | tr '\n' '|')" "$1|$2|" "last node events in dmesg"
}
say "Linux $(uname -r); NUMA nodes $(cat $NODEDIR/possible), with memory: $(cat $NODEDIR/has_memory)"
expect_eq "$(cat $NODEDIR/possible)" 0-2 "possible nodes"
expect_eq "$(cat $NODEDIR/has_memory)" 0 "nodes with memory at boot"
for n in $(hotplug_nodes); do
	echo "  node $n: memory blocks $(node_blocks "$n" | tr '\n' ' ')($(block_state "$(node_blocks "$n" | head -n1)"))"
	for b in $(node_blocks "$n"); do expect_eq "$(block_state "$b")" offline "memory$b at boot"; done
done
say "Load the module: five caches, metadata for node 0 only"
run insmod "$RSH_KO"
run ls "$RSH_SYS"
expect_eq "$(echo "$_out" | tr '\n' ' ')" "hp-256 hp-4096 hp-64 hp-8 hp-8192 memory_nodes node_added_first_memory node_adding_first_memory node_cancel_adding_first_memory node_cancel_removing_last_memory node_removed_last_memory node_removing_last_memory " "ls $RSH_SYS"
show hp-256 object_size 256
show hp-256 objs_per_slab 31
show hp-256 order 1
show hp-256 metadata_nodes 0
say "Allocate 100 objects of hp-256 on node 0"
run "echo 'alloc hp-256 0 100' > $RSH_CTL"
show hp-256 objects "100 N0=100"
show hp-256 slabs "4 N0=4"
show hp-256 total_objects "124 N0=124"
show hp-256 partial "1 N0=1"
show hp-256 objects_partial "7 N0=7"
say "Online node 1 as movable memory: the notifier allocates node-1 metadata"
for b in $(node_blocks 1); do run "echo online_movable > $MEMDIR/memory$b/state"; done
last_events "node 1: NODE_ADDING_FIRST_MEMORY" "node 1: NODE_ADDED_FIRST_MEMORY"
show hp-256 metadata_nodes 0-1
show hp-256 metadata_allocs "2 N0=1 N1=1"
events "1 N1=1" "1 N1=1" 0 0
say "Ask for node 1: movable memory cannot hold slabs, so the request falls back (counted)"
run "echo 'alloc hp-256 1 10' > $RSH_CTL"
show hp-256 objects "110 N0=110"
show hp-256 alloc_fallbacks "10 N1=10"
refused "Cannot allocate memory" "echo 'alloc hp-256 1 1 strict' > $RSH_CTL"
run rsh-slabinfo -n hp-256
say "Offline every block of node 1: metadata is KEPT (the Linux 5.12 rule)"
for b in $(node_blocks 1); do run "echo offline > $MEMDIR/memory$b/state"; done
last_events "node 1: NODE_REMOVING_LAST_MEMORY" "node 1: NODE_REMOVED_LAST_MEMORY"
show hp-256 metadata_nodes 0-1
show hp-256 metadata_frees 0
bytes=$(node_stat hp-256 metadata_bytes 0)
[ "$bytes" -gt 0 ] || fail "no metadata bytes for node 0"
show hp-256 metadata_bytes "$((2 * bytes)) N0=$bytes N1=$bytes"
show hp-256 objects "110 N0=110"
events "1 N1=1" "1 N1=1" "1 N1=1" "1 N1=1"
run rsh-slabinfo -n hp-256
say "Online node 1 again: the kept metadata is reused, nothing is allocated"
for b in $(node_blocks 1); do run "echo online_movable > $MEMDIR/memory$b/state"; done
show hp-256 metadata_reuses "1 N1=1"
show hp-256 metadata_allocs "2 N0=1 N1=1"
run rsh-slabinfo -n hp-256
say "Node 2 as kernel memory: slabs really land there"
for b in $(node_blocks 2); do run "echo online_kernel > $MEMDIR/memory$b/state"; done
run "echo 'alloc hp-256 2 50 strict' > $RSH_CTL"
show hp-256 objects "160 N0=110 N2=50"
show hp-256 slabs "6 N0=4 N2=2"
show hp-256 metadata_nodes 0-2
run "cat $RSH_DBG/objects"
expect_eq "$_out" "hp-256 160 N0=110 N2=50" "kept objects"
run "echo verify > $RSH_CTL && dmesg | grep 'rust_slab_hp: verify' | tail -n 1"
expect_eq "${_out##*rust_slab_hp: }" "verify: 160 objects checked, 0 bad" "verify"
say "Unload: every object and slab goes back; nothing is left in sysfs"
for b in $(node_blocks 1); do run "echo offline > $MEMDIR/memory$b/state"; done
run rmmod rust_slab_hp
refused "No such file or directory" "ls $RSH_SYS"
