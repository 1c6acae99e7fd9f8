#!/bin/bash
# `make test`: builds whatever is missing (host packages, kernel, module), then runs the
# judge's own tests and every VM suite. Prints every test line and ends with exactly
# "N passed, N failed, N skipped" (a skipped test is never counted as passed; its line says
# why); exits non-zero if anything failed.
#
# Environment: KERNELS (series to test, default "7.3 6.12"), SUITES (default "main uaf
# reliability scale"), RSH_RACE_CYCLES (node-1 offline/online cycles of the race test, 200),
# RSH_FUZZ_ITERATIONS (control writes of the fuzzer, 10000).
set -eu
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
KERNELS=${KERNELS:-7.3 6.12}
SUITES=${SUITES:-main uaf reliability scale}
all=$BUILD/test-results
: >"$all"

# record <PASS|FAIL> <name> [detail]: a test of the harness itself (build, style).
record() {
	echo "$1 $2" >>"$all"
	if [ "$1" = PASS ]; then echo "ok - $2${3:+ # $3}"; else echo "not ok - $2${3:+ # $3}"; fi
}

"$TOP/scripts/judge-selftest.sh" || true
cat "$BUILD/judge-selftest/results" >>"$all"

for k in $KERNELS; do
	export KERNEL=$k
	if ! "$TOP/scripts/kernel.sh"; then
		record FAIL "$k: kernel build" "see $LOGS"
		continue
	fi
	kdir=$(kernel_dir "$k" debug)
	log=$LOGS/module-$k.log
	# One build, with clippy: every lint and compiler warning is a failure.
	if make -C "$TOP" -s clean KDIR="$kdir" >/dev/null 2>&1 &&
		make -C "$TOP" modules KDIR="$kdir" CLIPPY=1 >"$log" 2>&1; then
		record PASS "$k: module build"
		# rustc and clippy warnings start lines; objtool's follow the object's name.
		if grep -qE '^warning|: warning' "$log"; then
			record FAIL "$k: module build has no warnings (CLIPPY=1)"
			grep -E -A6 '^warning|: warning' "$log" | head -n 40 | sed 's/^/    /'
		else
			record PASS "$k: module build has no warnings (CLIPPY=1)"
		fi
	else
		record FAIL "$k: module build" "last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
		continue
	fi
	for s in $SUITES; do
		append="rsh.race_cycles=${RSH_RACE_CYCLES:-200} rsh.fuzz_iterations=${RSH_FUZZ_ITERATIONS:-10000}"
		case $s in
		scale) opts="--nodes 7 --timeout 900" ;;
		*) opts="--timeout 1500" ;;
		esac
		"$TOP/scripts/vm.sh" "$s" $opts --append "$append" || true
		sed "s|^\([A-Z]*\) |\1 $k/$s: |" "$BUILD/vm/$k-$s/results" >>"$all" 2>/dev/null ||
			record FAIL "$k/$s: no results"
	done
done

if "$TOP/scripts/check-style.sh" >"$LOGS/style.log" 2>&1; then
	record PASS "style: rustfmt (kernel .rustfmt.toml), SAFETY comments, FFI confined to ffi/"
else
	record FAIL "style: rustfmt (kernel .rustfmt.toml), SAFETY comments, FFI confined to ffi/"
	head -n 30 "$LOGS/style.log" | sed 's/^/    /'
fi

# count <PASS|FAIL|SKIP> [kernel]: results of one kind, of one kernel or of everything.
count() { grep -c "^$1 ${2:+$2[/:]}" "$all" || true; }
for k in $KERNELS; do
	say "kernel $k: $(count PASS "$k") passed, $(count FAIL "$k") failed, $(count SKIP "$k") skipped"
done
failed=$(count FAIL)
say "test run took $(($(date +%s) - start))s"
echo "$(count PASS) passed, $failed failed, $(count SKIP) skipped"
[ "$failed" = 0 ]
