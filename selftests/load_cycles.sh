# 50 insmod/rmmod cycles interleaved with node 1 going offline and online, with readers
# looping over the statistics and one holding a file open across rmmod: reads of a removed
# file fail cleanly, nothing leaks (kmemleak), no entry is left behind.
. /selftests/lib.sh
have_kmemleak
stop=/tmp/cycles.stop
rm -f $stop
reader() {
	while [ ! -e $stop ]; do
		cat "$RSH_SYS"/hp-*/objects "$RSH_SYS"/node_* >/dev/null 2>&1 || true
	done
}
reader &
reader &
b=$(node_blocks 1 | head -n1)
for i in $(seq 1 50); do
	rsh_load
	ctl alloc hp-64 0 20
	ctl alloc hp-8192 any 3
	case $((i % 3)) in
	0) expect_eq "$(set_block "$b" online_movable)" ok "cycle $i: online" ;;
	1) [ "$(block_state "$b")" = offline ] || expect_eq "$(set_block "$b" offline)" ok "cycle $i: offline" ;;
	esac
	exec 3<"$RSH_SYS/hp-64/objects"
	exec 4<"$RSH_SYS/node_adding_first_memory"
	rsh_unload
	# The open files outlive the module: reading them must fail, not crash.
	if cat <&3 >/dev/null 2>&1; then fail "cycle $i: read of a removed statistics file succeeded"; fi
	cat <&4 >/dev/null 2>&1 || true
	exec 3<&- 4<&-
	[ ! -e "$RSH_SYS" ] || fail "cycle $i: $RSH_SYS left behind"
	[ ! -e "$RSH_DBG" ] || fail "cycle $i: $RSH_DBG left behind"
done
touch $stop
wait
[ "$(block_state "$b")" = offline ] || set_block "$b" offline >/dev/null
kmemleak_scan
