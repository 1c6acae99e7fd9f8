#!/bin/bash
# Decides the results of one VM run from its logs, prints one line per test and writes them
# to <dir>/results ("PASS <name>", "FAIL <name>" or "SKIP <name>").
#
# Usage: judge.sh <dir with console.log ktap.log qemu.status> <label>
#
# A test fails if it said "not ok"; if a kernel report (see SPLAT below) appeared in the
# console between its begin and end markers, unless the test announced that report with
# `expect_splat` (and then at least one must appear); if it never ran. A test that skipped
# (KTAP "# SKIP <why>") is a skip, never a pass. Reports outside any test, a VM that timed
# out, crashed or never reached the end of the suite (both the guest's marker in the console,
# "rust_slab_hp-selftest: done", and "# done" on the KTAP line), fail the run too.
set -eu
dir=$1 label=$2

# First lines of the kernel's bug reports. Some reports have no "BUG:"/"WARNING:" line of
# their own: sysfs' duplicate-name report and lockdep's non-static key are a message and a
# stack dump, the OOM killer's a line; the lockup and hung-task detectors' are listed although
# "BUG:"/"INFO: task" would match them, to say that they count.
SPLAT='BUG:|WARNING:|KASAN:|UBSAN:|Oops|Kernel panic|general protection fault|kernel BUG at|'\
'possible circular locking|possible recursive locking|inconsistent lock state|'\
'suspected memory leak|unreferenced object|rcu: INFO|INFO: task .* blocked|'\
'BUG: key .* has not been registered|Unable to handle kernel|'\
'sysfs: cannot create duplicate filename|INFO: trying to register non-static key|'\
'Out of memory: Killed process|watchdog: BUG: soft lockup|INFO: task .* blocked for more than'

touch "$dir/console.log" "$dir/ktap.log"
# The guest's serial ports end lines with CR LF.
tr -d '\r' <"$dir/ktap.log" >"$dir/ktap.txt"
read -r qrc elapsed <"$dir/qemu.status" 2>/dev/null || { qrc=255; elapsed=0; }

# Kernel reports per test window, from the console.
awk -v splat="$SPLAT" '
	function strip(s) { sub(/^.*rust_slab_hp-selftest: /, "", s); return s }
	{ sub(/\r$/, "") }
	/rust_slab_hp-selftest: begin / { cur = strip($0); sub(/^begin /, "", cur); next }
	/rust_slab_hp-selftest: end /   { cur = ""; next }
	/rust_slab_hp-selftest: expect-splat / {
		e = strip($0); sub(/^expect-splat /, "", e); expect[cur] = e; next
	}
	$0 ~ splat {
		t = (cur == "" ? "<outside any test>" : cur)
		if (cur != "" && (cur in expect) && $0 ~ expect[cur]) { seen[cur]++; next }
		if (bad[t] < 3) printf "SPLAT\t%s\t%s\n", t, $0
		bad[t]++
	}
	END {
		for (t in expect) printf "EXPECT\t%s\t%d\n", t, seen[t] + 0
		for (t in bad) printf "BADCOUNT\t%s\t%d\n", t, bad[t]
	}
' "$dir/console.log" | tr -d '\r' >"$dir/splats"

results=$dir/results
: >"$results"
report() { # report <PASS|FAIL|SKIP> <name> [reason]
	echo "$1 $2" >>"$results"
	case $1 in
	PASS) echo "ok - $label: $2${3:+ # $3}" ;;
	SKIP) echo "ok - $label: $2 # SKIP $3" ;;
	*) echo "not ok - $label: $2${3:+ # $3}" ;;
	esac
}

plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$dir/ktap.txt" | head -n1)
seen_tests=0
while IFS= read -r line; do
	case $line in
	"ok "* | "not ok "*) ;;
	*) continue ;;
	esac
	seen_tests=$((seen_tests + 1))
	name=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ ([^ #]+).*/\2/')
	skip=$(echo "$line" | sed -n 's/^ok [0-9]* [^ #]* # SKIP *//p')
	case $line in "ok "*" # SKIP"*) skip=${skip:-no reason given} ;; esac
	reason=""
	case $line in "not ok "*) reason="test failed" ;; esac
	nbad=$(awk -F'\t' -v t="$name" '$1 == "BADCOUNT" && $2 == t { print $3 }' "$dir/splats")
	[ -z "$nbad" ] || reason="${reason:+$reason; }$nbad unexpected kernel report(s)"
	exp=$(awk -F'\t' -v t="$name" '$1 == "EXPECT" && $2 == t { print $3 }' "$dir/splats")
	[ "$exp" != 0 ] || reason="${reason:+$reason; }the expected kernel report did not appear"
	if [ -n "$reason" ]; then
		report FAIL "$name" "$reason"
		# The test's own diagnostics (the '# ' lines before its result line), then the reports.
		awk -v n="$seen_tests" '
			/^(not )?ok [0-9]+ / { k++; if (k == n) { printf "%s", buf; exit } buf = ""; next }
			/^# / { buf = buf "    " $0 "\n" }
		' "$dir/ktap.txt" | tail -n 25
		awk -F'\t' -v t="$name" '$1 == "SPLAT" && $2 == t { print "    kernel: " $3 }' "$dir/splats"
	elif [ -n "$skip" ]; then
		report SKIP "$name" "$skip"
	else
		report PASS "$name"
	fi
done <"$dir/ktap.txt"

# KUnit cases the `kunit` test ran, one diagnostic line each ("# KUNIT ok <suite>.<case>"):
# results of their own.
while read -r verdict case; do
	case $verdict in
	"") ;;
	ok) report PASS "kunit: $case" ;;
	*) report FAIL "kunit: $case" "KUnit case failed (its log is in the kunit test's diagnostics)" ;;
	esac
done <<EOT
$(sed -n -e 's/^# KUNIT ok \([^ ]*\).*/ok \1/p' -e 's/^# KUNIT not ok \([^ ]*\).*/fail \1/p' "$dir/ktap.txt")
EOT

outside=$(awk -F'\t' '$1 == "BADCOUNT" && $2 == "<outside any test>" { print $3 }' "$dir/splats")
if [ -n "$outside" ]; then
	report FAIL "kernel-log" "$outside kernel report(s) outside any test"
	awk -F'\t' '$1 == "SPLAT" && $2 == "<outside any test>" { print "    kernel: " $3 }' "$dir/splats"
fi
if [ -z "$plan" ]; then
	report FAIL "vm" "no KTAP plan: the suite never started"
elif [ "$seen_tests" -lt "$plan" ]; then
	report FAIL "vm" "only $seen_tests of $plan tests reported"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	report FAIL "vm-timeout" "VM killed after ${elapsed}s"
elif ! grep -q '^# done' "$dir/ktap.txt" || ! grep -q 'rust_slab_hp-selftest: done' "$dir/console.log"; then
	report FAIL "vm-end" "VM stopped before the end of the suite (qemu exit $qrc; end marker in console: $(grep -c 'rust_slab_hp-selftest: done' "$dir/console.log"), on the KTAP line: $(grep -c '^# done' "$dir/ktap.txt")); see $dir/console.log"
	grep -E "$SPLAT|Kernel panic|end Kernel panic" "$dir/console.log" | head -n 5 | sed 's/^/    kernel: /'
fi
! grep -q '^FAIL' "$results"
