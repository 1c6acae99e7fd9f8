# The central claim, asserted: statistics are read without mem_hotplug_lock, without the
# registry mutex and without any other lock memory hotplug holds, so a read never waits for
# hotplug. The test-only `hold_event` control makes the next node event sleep HOLD ms in the
# notifier with the hotplug core's device_hotplug_lock and mem_hotplug_lock and the module's
# registry mutex held. While an offline of node 1, then an online, is held so, every statistics
# file of every cache and every top-level file is read three times in a row, each read timed by
# stat_reader; a file's time is its quickest read. Each file's time must be within BOUND ms, a
# tenth of the hold. Why that bound, and why the quickest of three: a read takes a few
# milliseconds here (TCG, KASAN), but a loaded host deschedules the VM now and then (single
# reads of 200 ms of slab_size, which touches no lock, and of 1.8 s were seen); a read that
# waited for any of those locks would take the rest of the hold every time, and the hold must
# still be on when the reads are done: more than the bound by construction.
# In the same window a reader that waits for mem_hotplug_lock as get_online_mems() readers do
# (the `locked_read` control) must take until the hold is over: the measurement tells the two
# apart, so the test can fail.
. /selftests/lib.sh
hold=8000 bound=800
rsh_load
b=$(node_blocks 1 | head -n1)
files() { echo "$RSH_SYS"/*/* "$RSH_SYS"/node_* "$RSH_SYS"/memory_nodes; }
nfiles=$(files | wc -w)
expect_eq "$nfiles" $((5 * 21 + 7)) "statistics files of 5 caches and the top-level ones"
# value <key> <stat_reader output>
value() { echo "$2" | sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
# held <event> <block state>: takes node 1's block to that state with <event> held.
held() {
	dmesg -c >/dev/null
	ctl hold_event $hold
	(set_block "$b" "$2" >/tmp/held.result) &
	pid=$!
	trap 'kill $pid 2>/dev/null || true' EXIT
	n=0
	until dmesg | grep -q "rust_slab_hp: node 1: $1: holding the registry mutex for $hold ms"; do
		n=$((n + 1))
		[ $n -le 1200 ] || fail "$1 was never held"
		sleep 0.05 # polling the notifier's message, not a synchronisation
	done
	r=$(/selftests/stat_reader time -r 3 $(files)) || fail "a read failed during the hold: $r"
	expect_eq "$(value files "$r")" "$nfiles" "files read"
	max=$(value max_ns "$r")
	diag "$1 held: $nfiles files read 3 times in $(value total_ns "$r") ns: slowest file $max ns ($(value slowest "$r")), slowest single read $(value worst_ns "$r") ns"
	[ "$max" -lt $((bound * 1000000)) ] ||
		fail "reads waited for hotplug: the quickest of 3 reads of $(value slowest "$r") took $max ns with $1 held, more than $bound ms"
	if dmesg | grep -q "rust_slab_hp: node 1: $1: hold over"; then
		fail "the hold ended before the reads did: they show nothing"
	fi
	w=$(/selftests/stat_reader write "$RSH_CTL" "locked_read hp-64")
	expect_eq "$(value result "$w")" ok "locked_read"
	ns=$(value ns "$w")
	diag "$1 held: a reader waiting for mem_hotplug_lock took $ns ns"
	dmesg | grep -q "rust_slab_hp: node 1: $1: hold over" ||
		fail "the reader under mem_hotplug_lock returned before the hold was over"
	[ "$ns" -ge $((hold / 3 * 1000000)) ] ||
		fail "the reader under mem_hotplug_lock took $ns ns, less than a third of the $hold ms hold"
	wait $pid
	trap - EXIT
	expect_eq "$(cat /tmp/held.result)" ok "$2 memory$b"
}
expect_eq "$(set_block "$b" online_movable)" ok "online memory$b"
held NODE_REMOVING_LAST_MEMORY offline
held NODE_ADDING_FIRST_MEMORY online_movable
expect_eq "$(event node_removing_last_memory 1)" 1 "removing_last events"
expect_eq "$(event node_adding_first_memory 1)" 2 "adding_first events"
in_nodelist "$(stat hp-64 metadata_nodes)" 1 || fail "hp-64 has no node-1 metadata"
# Nothing held any more: the next event is not held.
dmesg -c >/dev/null
expect_eq "$(set_block "$b" offline)" ok "offline memory$b"
dmesg | grep -q "holding the registry mutex" && fail "an event was held without hold_event"
rsh_unload
