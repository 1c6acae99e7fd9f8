#!/bin/sh
# Runs the tests of one suite (selftests/suites/<name>, one test per line) and prints KTAP.
# Each test runs in its own shell with `set -eu` and in its own process group; its output
# becomes diagnostics. The kernel log gets begin/end markers so that the host can tie kernel
# reports to tests. A test starts from a clean state (module unloaded, hot-pluggable memory
# offline) unless its name is prefixed with "+" in the suite: it then continues from where the
# previous test left off. Every boot ends with kmemleak_sweep, a leak scan of the whole kernel.
set -eu
. /selftests/lib.sh
suite=$1
tests="$(grep -v '^#' "/selftests/suites/$suite" | grep -v '^$')
kmemleak_sweep"
echo "KTAP version 1"
echo "1..$(echo "$tests" | wc -l)"
i=0
# Every test starts from the same state: module not loaded, hot-pluggable memory offline
# (blocks pinned by the kernel's own data stay online; tests that pin some run last).
reset_state() {
	if is_loaded; then rmmod rust_slab_hp || echo "# reset: rmmod failed"; fi
	for n in $(hotplug_nodes); do
		for b in $(node_blocks "$n"); do
			[ "$(block_state "$b")" = offline ] || set_block "$b" offline >/dev/null
		done
	done
}
# group_members <pgid>: the live (not zombie) processes of a process group.
group_members() {
	_g=$1
	for _s in /proc/[0-9]*/stat; do
		{ read -r _l <"$_s"; } 2>/dev/null || continue
		# "pid (comm) state ppid pgrp ...": comm may hold spaces, so cut after its ")".
		set -- ${_l##*) }
		[ "$3" = "$_g" ] && [ "$1" != Z ] && { _p=${_s%/stat}; echo "${_p#/proc/}"; }
	done
	return 0
}
# stop_group <pgid>: kills what a test left running (background loops of a test that failed
# or forgot them) before the next test starts; prints how many processes there were.
stop_group() {
	_left=$(group_members "$1" | wc -l)
	[ "$_left" = 0 ] || {
		kill -TERM "-$1" 2>/dev/null || true
		_n=0
		while [ -n "$(group_members "$1")" ]; do
			_n=$((_n + 1))
			[ $_n -le 100 ] || {
				kill -KILL "-$1" 2>/dev/null || true
				[ $_n -le 200 ] || break
			}
			sleep 0.1 # polling the group's end, not a synchronisation
		done
	}
	echo "$_left"
}
for t in $tests; do
	i=$((i + 1))
	case $t in
	+*) t=${t#+} ;;
	*) reset_state ;;
	esac
	kmsg "begin $t"
	rc=0
	# A subshell is no process group leader, so setsid() makes it one without forking: the
	# test's process group id is the subshell's pid.
	(cd /tmp && exec setsid sh -eu "/selftests/$t.sh") >/tmp/test.out 2>&1 </dev/null &
	pid=$!
	wait "$pid" || rc=$?
	left=$(stop_group "$pid")
	sed 's/^/# /' /tmp/test.out
	[ "$left" = 0 ] || echo "# runner: stopped $left background process(es) the test left running"
	kmsg "end $t"
	reason=$(sed -n 's/^SKIP: //p' /tmp/test.out | tail -n1)
	if [ "$rc" = 0 ] && [ "$left" != 0 ]; then
		echo "not ok $i $t # left $left background process(es) running"
	elif [ "$rc" = 0 ]; then
		echo "ok $i $t"
	elif [ "$rc" = 4 ] && [ -n "$reason" ]; then
		echo "ok $i $t # SKIP $reason"
	elif [ "$rc" = 4 ]; then
		echo "not ok $i $t # skipped without saying why"
	else
		echo "not ok $i $t # exit $rc"
	fi
done
