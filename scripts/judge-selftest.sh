#!/bin/bash
# Tests of the judge itself: fake VM logs with a failed test, a kernel report inside and
# outside a test, an expected report that did or did not appear, a timeout and a crash must
# each be caught; a skip must count as a skip; a clean run must pass. Prints one line per case
# and writes <out>/results. JUDGE=<script> runs the cases against another judge (an older one,
# to see a new case fail).
set -eu
. "$(dirname "$0")/lib.sh"
JUDGE=${JUDGE:-$TOP/scripts/judge.sh}
out=$BUILD/judge-selftest
rm -rf "$out" && mkdir -p "$out"
: >"$out/results"

# fake <case> <qemu rc> <ktap text> <console text>
fake() {
	d=$out/$1
	mkdir -p "$d"
	# CR LF, as the guest's serial ports write them.
	printf '%s\n' "$3" | sed 's/$/\r/' >"$d/ktap.log"
	printf '%s\n' "$4" | sed 's/$/\r/' >"$d/console.log"
	echo "$2 1" >"$d/qemu.status"
}
# check <case> <pass|fail> <what> [text the judge's verdict must contain] [a line its results
# file must have]
check() {
	if "$JUDGE" "$out/$1" "fake" >"$out/$1/judge.out" 2>&1; then got=pass; else got=fail; fi
	if [ "$got" = "$2" ] && grep -qF -- "${4:-ok - fake}" "$out/$1/judge.out" &&
		{ [ -z "${5:-}" ] || grep -qxF -- "$5" "$out/$1/results" 2>/dev/null; }; then
		echo "PASS harness/$1" >>"$out/results"
		echo "ok - harness: $1 ($3)"
	else
		echo "FAIL harness/$1" >>"$out/results"
		echo "not ok - harness: $1 ($3: judge said $got)"
		sed 's/^/    /' "$out/$1/judge.out"
	fi
}

K2='KTAP version 1
1..2
ok 1 a
ok 2 b
# done'
C2='rust_slab_hp-selftest: begin a
rust_slab_hp-selftest: end a
rust_slab_hp-selftest: begin b
rust_slab_hp-selftest: end b
rust_slab_hp-selftest: done'

fake clean 0 "$K2" "$C2"
check clean pass "a clean run passes"
fake not-ok 0 "$(echo "$K2" | sed 's/^ok 2 b/not ok 2 b # exit 1/')" "$C2"
check not-ok fail "a failed test fails the run" "not ok - fake: b # test failed"
fake splat-in-test 0 "$K2" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/BUG: KASAN: slab-use-after-free in foo\n&/')"
check splat-in-test fail "a KASAN report inside a passing test fails it" "not ok - fake: b # 1 unexpected kernel report"
fake splat-at-boot 0 "$K2" "WARNING: CPU: 0 PID: 1 at mm/slub.c:1 bar
$C2"
check splat-at-boot fail "a WARNING outside any test fails the run" "not ok - fake: kernel-log"
while IFS='|' read -r name s; do
	fake "$name" 0 "$K2" "$(echo "$C2" | awk -v s="$s" '/^rust_slab_hp-selftest: end a$/ { print s } { print }')"
	check "$name" fail "'$s' fails the run" "not ok - fake: a # 1 unexpected kernel report"
done <<'EOS'
lockdep|WARNING: possible circular locking dependency detected
lockdep-info|INFO: possible recursive locking detected
kmemleak|kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
oops|Oops: general protection fault, probably for non-canonical address
sleep-in-atomic|BUG: sleeping function called from invalid context at mm/slub.c:1
ubsan|UBSAN: array-index-out-of-bounds in mm/x.c:2
sysfs-dup|sysfs: cannot create duplicate filename '/kernel/rust_slab_hp/memory_nodes'
non-static-key|INFO: trying to register non-static key.
oom-kill|Out of memory: Killed process 123 (sh) total-vm:1000kB, anon-rss:10kB
soft-lockup|watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [sh:123]
hung-task|INFO: task sh:123 blocked for more than 61 seconds.
EOS
fake expected 0 "$K2" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/rust_slab_hp-selftest: expect-splat BUG: KASAN: slab-use-after-free\nBUG: KASAN: slab-use-after-free in x\n&/')"
check expected pass "an announced report inside its test passes"
fake expected-other 0 "$K2" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/rust_slab_hp-selftest: expect-splat BUG: KASAN: slab-use-after-free\nBUG: KASAN: slab-use-after-free in x\nWARNING: lock held\n&/')"
check expected-other fail "another report next to an announced one fails" "not ok - fake: b # 1 unexpected kernel report"
fake expected-missing 0 "$K2" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/rust_slab_hp-selftest: expect-splat BUG: KASAN\n&/')"
check expected-missing fail "an announced report that never came fails" "the expected kernel report did not appear"
fake expected-elsewhere 0 "$K2" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/rust_slab_hp-selftest: expect-splat BUG: KASAN\n&\nBUG: KASAN: use-after-free/')"
check expected-elsewhere fail "an announced report only counts inside its test" "not ok - fake: kernel-log"
fake timeout 124 "KTAP version 1
1..2
ok 1 a" "rust_slab_hp-selftest: begin a
rust_slab_hp-selftest: end a
rust_slab_hp-selftest: begin b"
check timeout fail "a VM timeout fails the run" "not ok - fake: vm-timeout"
fake crash 0 "KTAP version 1
1..2
ok 1 a
ok 2 b" "$(echo "$C2" | sed '$d')
Kernel panic - not syncing: Fatal exception"
check crash fail "a VM that never reaches the end marker fails the run" "not ok - fake: vm-end"
fake skip 0 "$(echo "$K2" | sed 's/^ok 2 b/& # SKIP no kmemleak in this kernel/')" "$C2"
check skip pass "a skipped test counts as a skip, with its reason, not as a pass" \
	"ok - fake: b # SKIP no kmemleak in this kernel" "SKIP b"
fake skip-splat 0 "$(echo "$K2" | sed 's/^ok 2 b/& # SKIP no kmemleak/')" "$(echo "$C2" | sed 's/^rust_slab_hp-selftest: end b/WARNING: CPU: 0 PID: 1 at x.c:1 y\n&/')"
check skip-splat fail "a kernel report in a skipped test fails it" "not ok - fake: b # 1 unexpected kernel report"
fake console-no-done 0 "$K2" "$(echo "$C2" | sed '$d')"
check console-no-done fail "'# done' on the KTAP line without the guest's end marker in the console fails" \
	"not ok - fake: vm-end"
fake kunit-case 0 "$(echo "$K2" | sed 's/^ok 1 a/# KUNIT ok s.good\n# KUNIT not ok s.bad\nok 1 a/')" "$C2"
check kunit-case fail "a failed KUnit case fails the run, a passed one counts" "not ok - fake: kunit: s.bad" "PASS kunit: s.good"
