#!/bin/bash
# `make test`: builds whatever is missing (host packages, kernel, module), then runs the
# judge's own tests, the spin models (scripts/models.sh) and every VM suite. Prints every test
# line and ends with exactly "N passed, N failed, N skipped" (a skipped test is never counted
# as passed; its line says why); exits non-zero if anything failed.
#
# Environment: KERNELS (default "7.3 6.12 debian-7.3 debian-7.3-rt": the two harness kernels
# built here, and Debian's stock generic and PREEMPT_RT kernels, scripts/debian-kernel.sh),
# SUITES (default "main uaf reliability scale topology"; each kernel runs those of them its
# configuration allows, see suites_for), RSH_RACE_CYCLES (node-1 offline/online cycles of the
# race test, 200), RSH_FUZZ_ITERATIONS (control writes of the fuzzer, 10000).
set -eu
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
KERNELS=${KERNELS:-7.3 6.12 debian-7.3 debian-7.3-rt}
SUITES=${SUITES:-main uaf reliability scale topology}
all=$BUILD/test-results
: >"$all"

# suites_for <kernel>: the suites of SUITES the kernel runs. Debian's stock kernels (generic and
# PREEMPT_RT) run main, reliability and topology: they have no KASAN, which uaf reproduces the
# old bug for, and scale's eight nodes are left to the debug kernels.
suites_for() {
	case $1 in
	debian-*) _allowed="main reliability topology" ;;
	*) _allowed=$SUITES ;;
	esac
	for _s in $SUITES; do
		case " $_allowed " in *" $_s "*) printf '%s ' "$_s" ;; esac
	done
}

# record <PASS|FAIL> <name> [detail]: a test of the harness itself (build, style).
record() {
	echo "$1 $2" >>"$all"
	if [ "$1" = PASS ]; then echo "ok - $2${3:+ # $3}"; else echo "not ok - $2${3:+ # $3}"; fi
}

"$TOP/scripts/judge-selftest.sh" || true
cat "$BUILD/judge-selftest/results" >>"$all"
"$TOP/scripts/models.sh" || true
cat "$BUILD/models/results" >>"$all"

# Debian's stock kernels are prepared (downloads, a trixie chroot, modules_prepare) in the
# background while the harness kernels build: setup first, so that only one of them installs
# packages; the VMs wait until it is done (see below), so that they never share the CPUs with it.
"$TOP/scripts/setup-host.sh"
prep_pid=""
stock=""
for k in $KERNELS; do case $k in debian-*) stock="$stock $k" ;; esac; done
rm -f "$BUILD/prepare-failed"
if [ -n "$stock" ]; then
	(
		for k in $stock; do
			KERNEL=$k "$TOP/scripts/kernel.sh" >"$LOGS/prepare-$k.log" 2>&1 || echo "$k" >>"$BUILD/prepare-failed"
		done
	) &
	prep_pid=$!
	say "preparing Debian's stock kernels ($stock ) in the background (logs: ${LOGS#"$TOP"/}/prepare-debian-*.log)"
fi
prep_wait() {
	[ -n "$prep_pid" ] || return 0
	wait "$prep_pid" || true
	prep_pid=""
}

for k in $KERNELS; do
	export KERNEL=$k
	case $k in
	debian-*)
		prep_wait
		if grep -qx "$k" "$BUILD/prepare-failed" 2>/dev/null; then
			record FAIL "$k: stock kernel preparation" "last lines of $LOGS/prepare-$k.log:"
			tail -n 20 "$LOGS/prepare-$k.log" | sed 's/^/    /'
			continue
		fi
		sed 's/^/  /' "$LOGS/prepare-$k.log" >&2
		;;
	*)
		if ! "$TOP/scripts/kernel.sh"; then
			record FAIL "$k: kernel build" "see $LOGS"
			continue
		fi
		;;
	esac
	kdir=$(kernel_dir "$k" debug)
	# Both builds, with clippy: every lint and compiler warning is a failure. The production
	# module (`make`) is kept in build/ko/<kernel>/ for the VM's production_module test; the
	# test build (`make RSH_TEST=1`), which every other test loads, stays in the tree.
	built=1
	for b in production test; do
		log=$LOGS/module-$k-$b.log
		flags=
		[ $b = production ] || flags=RSH_TEST=1
		if make -C "$TOP" -s clean KDIR="$kdir" >/dev/null 2>&1 &&
			make -C "$TOP" modules KDIR="$kdir" CLIPPY=1 $flags >"$log" 2>&1; then
			record PASS "$k: module build ($b)"
			# rustc and clippy warnings start lines; objtool's follow the object's name.
			if grep -qE '^warning|: warning' "$log"; then
				record FAIL "$k: module build ($b) has no warnings (CLIPPY=1)"
				grep -E -A6 '^warning|: warning' "$log" | head -n 40 | sed 's/^/    /'
			else
				record PASS "$k: module build ($b) has no warnings (CLIPPY=1)"
			fi
		else
			record FAIL "$k: module build ($b)" "last lines of $log:"
			tail -n 30 "$log" | sed 's/^/    /'
			built=0
			break
		fi
		if [ $b = production ]; then
			mkdir -p "$BUILD/ko/$k"
			cp "$TOP/rust_slab_hp.ko" "$BUILD/ko/$k/rust_slab_hp.ko"
			if why=$("$TOP/scripts/check-production.sh" "$BUILD/ko/$k/rust_slab_hp.ko"); then
				record PASS "$k: production module has no test machinery"
			else
				record FAIL "$k: production module has no test machinery"
				echo "$why" | sed 's/^/    /'
			fi
		fi
	done
	[ $built = 1 ] || continue
	prep_wait
	for s in $(suites_for "$k"); do
		append="rsh.race_cycles=${RSH_RACE_CYCLES:-200} rsh.fuzz_iterations=${RSH_FUZZ_ITERATIONS:-10000}"
		case $s in
		scale) opts="--nodes 7 --timeout 900" ;;
		# init_on_free=1 here, so that the zeroing test sees each of the kernel's switches on
		# its own somewhere: both off in the harness kernels' main suite, init_on_alloc (the
		# stock kernels' default) in theirs, init_on_free in the harness kernels' topology.
		topology)
			opts="--cpu-on-node1 --timeout 1500"
			append="$append init_on_free=1"
			;;
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
	rel=$(cat "$(kernel_dir "$k" debug)/include/config/kernel.release" 2>/dev/null || echo "not built")
	say "kernel $k ($rel): $(count PASS "$k") passed, $(count FAIL "$k") failed, $(count SKIP "$k") skipped"
done
failed=$(count FAIL)
say "test run took $(($(date +%s) - start))s"
echo "$(count PASS) passed, $failed failed, $(count SKIP) skipped"
[ "$failed" = 0 ]
