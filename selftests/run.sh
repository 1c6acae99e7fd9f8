#!/bin/sh
# Runs the tests of one suite (selftests/suites/<name>, one test per line) and prints KTAP.
# Each test runs in its own shell with `set -eu`; its output becomes diagnostics. The kernel
# log gets begin/end markers so that the host can tie kernel reports to tests. A test starts
# from a clean state (module unloaded, hot-pluggable memory offline) unless its name is
# prefixed with "+" in the suite: it then continues from where the previous test left off.
set -eu
. /selftests/lib.sh
suite=$1
tests=$(grep -v '^#' "/selftests/suites/$suite" | grep -v '^$')
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
for t in $tests; do
	i=$((i + 1))
	case $t in
	+*) t=${t#+} ;;
	*) reset_state ;;
	esac
	kmsg "begin $t"
	rc=0
	(cd /tmp && sh -eu "/selftests/$t.sh") >/tmp/test.out 2>&1 </dev/null || rc=$?
	sed 's/^/# /' /tmp/test.out
	kmsg "end $t"
	case $rc in
	0) echo "ok $i $t" ;;
	4) echo "ok $i $t # SKIP" ;;
	*) echo "not ok $i $t # exit $rc" ;;
	esac
done
