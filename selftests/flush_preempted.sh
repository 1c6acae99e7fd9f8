# A flush never spins on a stash holder that is not running. A SCHED_FIFO task on CPU 0 takes
# node 1's memory online and offline, and so runs NODE_REMOVING_LAST_MEMORY, which flushes every
# stash, while fast-path churn (an ordinary task) runs on CPU 0 too. The FIFO task preempts the
# churn wherever it is, inside a stash too; a flush that spun on that stash's flag kept CPU 0
# from the holder until the scheduler's RT throttling gave ordinary tasks their share: about
# 950 ms (measured on Debian's 7.3.4 kernels, generic and PREEMPT_RT). A flush that sleeps
# between tries lets the holder finish at once.
. /selftests/lib.sh
cycles=${RSH_FLUSH_CYCLES:-40}
rsh_load
stop=/tmp/fifo.stop
rm -f $stop /tmp/fifo.churn.*
trap 'touch $stop; wait' EXIT
(
	ok=0 bad=0
	while [ ! -e $stop ]; do
		if taskset -c 0 sh -c "echo 'churn hp-64 2000' >$RSH_CTL" 2>/dev/null; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
	done
	echo "$ok $bad" >/tmp/fifo.churn.counts
) &
b=$(node_blocks 1 | head -n1)
state=$MEMDIR/memory$b/state
/selftests/rt_run 0 50 sh -c "for i in \$(seq 1 $cycles); do
	echo online_movable >$state && echo offline >$state || exit 1
done" || fail "online/offline cycles of memory$b at SCHED_FIFO on CPU 0"
touch $stop
wait
trap - EXIT
read -r ok bad </tmp/fifo.churn.counts
diag "churn on CPU 0: $ok runs of 2000 objects, $bad failed"
expect_eq "$bad" 0 "failed churn runs"
[ "$ok" -ge 1 ] || fail "the churn never ran"
expect_eq "$(event node_removing_last_memory 1)" "$cycles" "NODE_REMOVING_LAST_MEMORY events"
max=$(sed -n 's/^NODE_REMOVING_LAST_MEMORY .*max_ns=\([0-9]*\)$/\1/p' "$RSH_DBG/timings")
diag "slowest NODE_REMOVING_LAST_MEMORY: $((max / 1000)) us"
# 200 ms: a fifth of what one wait for RT throttling costs, and some hundred times what a
# flush takes here when no holder is preempted.
[ "$max" -lt 200000000 ] || fail "NODE_REMOVING_LAST_MEMORY took $((max / 1000000)) ms: the flush waited for a preempted stash holder by spinning"
ctl shrink all
expect_eq "$(stat hp-64 objects)" 0 "hp-64 objects after the churn and a shrink"
rsh_unload
