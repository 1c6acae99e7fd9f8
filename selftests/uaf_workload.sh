# Shared by uaf_fixed.sh and uaf_buggy.sh: readers of every cache's per-node statistics race
# with node 1 going offline and online; prints how many KASAN use-after-free reports the
# kernel log has afterwards.   Usage: . uaf_workload.sh [module parameters]
. /selftests/lib.sh
rsh_load "$@"
stop=/tmp/uaf.stop
rm -f $stop
reader() {
	while [ ! -e $stop ]; do
		cat "$RSH_SYS"/*/objects "$RSH_SYS"/*/slabs >/dev/null 2>&1 || true
	done
}
online_node 1 online_movable
reader & reader & reader & reader &
for i in 1 2 3; do
	offline_node 1
	online_node 1 online_movable
done
offline_node 1
touch $stop
wait
uaf_reports=$(dmesg | grep -c "BUG: KASAN: slab-use-after-free" || true)
echo "KASAN use-after-free reports: $uaf_reports"
