#!/bin/bash
# `make bench`: builds the performance kernel (configs/perf.config) and the module against it,
# boots the NUMA VM (BENCH_BOOTS times) and runs the in-kernel benchmark: rust_slab_hp and
# SLUB side by side, in the same run. Prints a table and writes build/bench/results.json.
#
# KERNEL=debian-7.3: the same benchmark on Debian's stock kernel (scripts/debian-kernel.sh)
# against its own SLUB, in two configurations, each with its own table and JSON: the stock
# defaults (build/bench/<kernel>-defaults: init_on_alloc on, both sides zero every
# allocation) and like for like (build/bench/<kernel>-init_on_alloc0, booted with
# init_on_alloc=0), and what zeroing costs each side (build/bench/<kernel>-cost-init_on_alloc,
# scripts/bench-cost.sh). Then, in each configuration, what each of the module's other
# hardening features costs it (build/bench/<kernel>-price-<configuration>, scripts/bench-price.sh):
# one more boot (BENCH_PRICE_BOOTS, 1) loads the module and its price builds (RSH_PRICE=..., the
# same test build without the free-pointer encoding, the freelist randomisation or the bad-free
# checks) in turn and runs the same workloads on each beside SLUB (selftests/bench_price.sh).
#
# KVM where a probe shows it works (RSH_ACCEL=tcg or kvm skips the probe), TCG otherwise. TCG
# emulates the CPU, so absolute times mean little; the ratios are what to read, and even they
# are distorted (atomics and memory barriers cost differently under TCG).
set -eu
export PROFILE=perf
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
if [ -z "${RSH_ACCEL:-}" ]; then
	RSH_ACCEL=tcg
	if kvm_works "$(kernel_image "$(kernel_dir)")"; then
		RSH_ACCEL=kvm
	else
		say "KVM probe: no guest under KVM here (build/logs/kvm-probe.log), using TCG"
	fi
	export RSH_ACCEL
fi
make -C "$TOP" -s clean >/dev/null
# The price builds first (only for the stock kernels, whose SLUB has the same features compiled
# in), then the module every run loads.
price=""
case $KERNEL in
debian-*)
	price=$BUILD/ko/price-$KERNEL
	rm -rf "$price"
	for f in no_freeptr no_random no_checks; do
		build_module "bench-price-$f" RSH_PRICE=$f
		mkdir -p "$price/$f"
		cp "$TOP/rust_slab_hp.ko" "$price/$f/"
		make -C "$TOP" -s clean >/dev/null
	done
	;;
esac
build_module bench
if [ -n "$price" ]; then
	mkdir -p "$price/full"
	cp "$TOP/rust_slab_hp.ko" "$price/full/"
	for f in no_freeptr no_random no_checks; do
		! cmp -s "$price/full/rust_slab_hp.ko" "$price/$f/rust_slab_hp.ko" ||
			die "the price build $f is the full module: RSH_PRICE did not reach the build"
	done
fi
# Several boots (BENCH_BOOTS, 3): under TCG a whole boot's cell sometimes runs slow, so the
# report takes the median of the boots' medians.
boots=${BENCH_BOOTS:-3}
case $KERNEL in
debian-*) configs="defaults init_on_alloc0" ;;
*) configs=default ;;
esac
# booted_as <configuration> <tag>: whether boot <tag> ran with the configuration: what the
# kernel says it booted with ("mem auto-init: ... heap alloc:on"), not what was asked for.
booted_as() {
	case $1 in defaults) _ioa=on ;; init_on_alloc0) _ioa=off ;; *) return 0 ;; esac
	grep -q "mem auto-init: .*heap alloc:$_ioa" "$BUILD/vm/$KERNEL-$2/console.log" && return 0
	say "error: boot $2 did not run with init_on_alloc $_ioa (see its console.log)"
	return 1
}
rc=0
for c in $configs; do
	case $c in
	default) out=$BUILD/bench extra="" label=$KERNEL ;;
	defaults) out=$BUILD/bench/$KERNEL-defaults extra="" label="$KERNEL stock defaults (init_on_alloc on)" ;;
	init_on_alloc0) out=$BUILD/bench/$KERNEL-init_on_alloc0 extra="init_on_alloc=0" label="$KERNEL init_on_alloc=0" ;;
	esac
	mkdir -p "$out"
	: >"$out/raw.txt"
	[ "$c" = default ] || say "configuration: $label"
	for b in $(seq 1 "$boots"); do
		tag=bench-$b
		[ "$c" = default ] || tag=bench-$c-$b
		"$TOP/scripts/vm.sh" bench --tag "$tag" --timeout "${BENCH_TIMEOUT:-5400}" \
			--append "rsh.bench_iters=${RSH_BENCH_ITERS:-200000} rsh.bench_reps=${RSH_BENCH_REPS:-11} $extra" || rc=$?
		tr -d '\r' <"$BUILD/vm/$KERNEL-$tag/ktap.log" | sed -n "s/^# BENCH \(.*\)/\1 run=$b/p" >>"$out/raw.txt"
		booted_as "$c" "$tag" || rc=1
	done
	"$TOP/scripts/bench-report.sh" "$out" "$label" "${RSH_ACCEL:-tcg}"
	say "results ($label): ${out#"$TOP"/}/results.json"
	[ -n "$price" ] || continue
	# The price of each feature in this configuration: one boot loads every build in turn, four
	# rounds; shorter runs than above (RSH_PRICE_ITERS, 100000; RSH_PRICE_REPS, 3) keep the
	# boot to a few minutes, and the median of the rounds, not long runs, rides out a slow spell.
	pout=$BUILD/bench/$KERNEL-price-$c
	mkdir -p "$pout"
	: >"$pout/raw.txt"
	for b in $(seq 1 "${BENCH_PRICE_BOOTS:-1}"); do
		tag=bench-price-$c-$b
		"$TOP/scripts/vm.sh" bench-price --tag "$tag" --timeout "${BENCH_TIMEOUT:-5400}" \
			--append "rsh.bench_iters=${RSH_PRICE_ITERS:-100000} rsh.bench_reps=${RSH_PRICE_REPS:-3} $extra" || rc=$?
		tr -d '\r' <"$BUILD/vm/$KERNEL-$tag/ktap.log" | sed -n "s/^# BENCH price \(.*\)/\1 run=$b/p" >>"$pout/raw.txt"
		booted_as "$c" "$tag" || rc=1
	done
	"$TOP/scripts/bench-price.sh" "$pout" "$label" "${RSH_ACCEL:-tcg}" || rc=1
	say "hardening prices ($label): ${pout#"$TOP"/}/price.json"
done
# Item by item, what a hardening feature costs each side: zeroing on allocation, from the two
# stock-kernel configurations (which differ by init_on_alloc alone).
case $KERNEL in
debian-*)
	"$TOP/scripts/bench-cost.sh" init_on_alloc "$BUILD/bench/$KERNEL-defaults" \
		"$BUILD/bench/$KERNEL-init_on_alloc0" "$BUILD/bench/$KERNEL-cost-init_on_alloc" || rc=1
	;;
esac
# The debug build is what the tests use: do not leave the perf module behind.
make -C "$TOP" -s clean >/dev/null
exit $rc
