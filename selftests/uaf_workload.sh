# Shared by uaf_fixed.sh and uaf_buggy.sh, so that both run the same experiment: readers of
# every cache's per-node statistics race with node 1 going offline and online, each read
# holding its node pointers 20 ms (stats_read_delay_ms) before using them, the window a
# concurrent offline needs to free one under it. Prints how many KASAN use-after-free reports
# the kernel log has afterwards.   Usage: . uaf_workload.sh [more module parameters]
. /selftests/lib.sh
delay_ms=20
rsh_load stats_read_delay_ms=$delay_ms "$@"
stop=/tmp/uaf.stop
rm -f $stop
reader() {
	while [ ! -e $stop ]; do
		cat "$RSH_SYS"/*/objects "$RSH_SYS"/*/slabs >/dev/null 2>&1 || true
	done
}
online_node 1 online_movable
# The window is there: every read of a cache with metadata for nodes 0 and 1 waits twice (the
# quickest of five, as a read may be slow for other reasons under TCG; without the delay one
# takes a few milliseconds).
f=$RSH_SYS/hp-8/objects
ns=$(/selftests/stat_reader time -r 5 "$f" | sed -n 's/.*max_ns=\([0-9]*\).*/\1/p')
[ "$ns" -ge $((2 * delay_ms * 1000000)) ] || fail "a stats read took $ns ns, less than 2 x $delay_ms ms"
diag "the quickest of five stats reads of hp-8/objects took $ns ns"
reader &
r1=$!
reader &
r2=$!
reader &
r3=$!
reader &
r4=$!
trap 'touch $stop; kill $r1 $r2 $r3 $r4 2>/dev/null || true' EXIT
for i in 1 2 3; do
	offline_node 1
	online_node 1 online_movable
done
offline_node 1
touch $stop
wait $r1 $r2 $r3 $r4
uaf_reports=$(dmesg | grep -c "BUG: KASAN: slab-use-after-free" || true)
echo "KASAN use-after-free reports: $uaf_reports (stats reads held node pointers $delay_ms ms)"
