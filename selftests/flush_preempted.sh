# A flush never spins on a stash holder that is not running. A task holds CPU 0's stash of
# hp-64 asleep (the test-only `hold_stash` control: to a flush it looks like a holder preempted
# inside the fast path, or blocked on Node::lists on PREEMPT_RT), and meanwhile a SCHED_FIFO
# task on CPU 0 flushes the stashes: by a shrink, then by taking node 1's last memory offline
# (NODE_REMOVING_LAST_MEMORY, with the hotplug locks held). A flush that spins burns CPU 0 for
# the rest of the hold and, once the holder wakes, keeps it from running there until the
# scheduler lets ordinary tasks in (up to about 950 ms, measured on Debian's 7.3.4 kernels);
# one that sleeps between tries uses next to no CPU and lets the holder finish. Asserted on
# the flushing task's own CPU time, which a spinning flush fills.
. /selftests/lib.sh
rsh_load
trap 'wait' EXIT

# hold <ms>: CPU 0's stash of hp-64 held asleep for <ms>, in the background; returns once it is.
hold() {
	dmesg -c >/dev/null
	taskset -c 0 sh -c "echo 'hold_stash hp-64 $1' >$RSH_CTL" &
	_n=0
	until dmesg | grep -q "rust_slab_hp: hp-64: holding the stash of CPU 0"; do
		_n=$((_n + 1))
		[ $_n -le 1000 ] || fail "hold_stash never took CPU 0's stash"
	done
}

# fifo_cpu_ms <command>: runs <command> at SCHED_FIFO on CPU 0; prints the CPU time it used
# (user + system, from /proc/<pid>/stat, in USER_HZ ticks of 10 ms).
fifo_cpu_ms() {
	_t=$(/selftests/rt_run 0 50 sh -c "$1 && cut -d' ' -f14,15 /proc/\$\$/stat") ||
		fail "'$1' at SCHED_FIFO on CPU 0"
	set -- $_t
	echo $((($1 + $2) * 10))
}

ctl churn hp-64 1000
hold 4000
ms=$(fifo_cpu_ms "echo 'shrink hp-64' >$RSH_CTL")
wait
diag "a shrink waiting for a held stash used $ms ms of CPU"
[ "$ms" -lt 1000 ] || fail "a shrink used $ms ms of CPU while a stash was held for 4000 ms: the flush spun"
expect_eq "$(stat hp-64 cpu_stashed)" 0 "hp-64 cpu_stashed after the shrink"
expect_eq "$(stat hp-64 slabs)" 0 "hp-64 slabs after the shrink"

# The same wait inside the node notifier, with the memory hotplug locks held: offlining takes
# about a second of CPU here before NODE_REMOVING_LAST_MEMORY, so the hold is longer.
b=$(node_blocks 1 | head -n1)
expect_eq "$(set_block "$b" online_movable)" ok "online memory$b, node 1's only memory"
ctl churn hp-64 1000
hold 8000
ms=$(fifo_cpu_ms "echo offline >$MEMDIR/memory$b/state")
wait
trap - EXIT
max=$(sed -n 's/^NODE_REMOVING_LAST_MEMORY .*max_ns=\([0-9]*\)$/\1/p' "$RSH_DBG/timings")
diag "NODE_REMOVING_LAST_MEMORY waited $((max / 1000000)) ms for the held stash; the offline used $ms ms of CPU"
[ "$max" -ge 1000000000 ] || fail "NODE_REMOVING_LAST_MEMORY took $((max / 1000000)) ms: it never met the held stash"
[ "$ms" -lt $((max / 1000000 / 2)) ] ||
	fail "the offline used $ms ms of CPU, NODE_REMOVING_LAST_MEMORY $((max / 1000000)) ms of it waiting: the flush spun"
expect_eq "$(stat hp-64 cpu_stashed)" 0 "hp-64 cpu_stashed after NODE_REMOVING_LAST_MEMORY"
rsh_unload
