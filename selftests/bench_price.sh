# `make bench` on a stock kernel (KERNEL=debian-*): what each of the module's hardening
# features costs it. Loads the test build and its price builds (the same module without one
# feature, built by scripts/bench.sh with RSH_PRICE=<flavour>) in turn, in one boot, four
# rounds in alternating order (full, no_freeptr, no_random, no_checks, then back, and again)
# so that a boot's drift falls on every flavour alike, and runs the same workloads beside SLUB
# on each. Prints "BENCH price flavour=<flavour> round=<n> <result>" lines the host turns into
# tables (scripts/bench-price.sh); fails only if a load or a run fails.
. /selftests/lib.sh
dir=/lib/modules/price
flavours="full no_freeptr no_random no_checks"
back=""
for f in $flavours; do
	[ -f "$dir/$f/rust_slab_hp.ko" ] || fail "no $dir/$f/rust_slab_hp.ko (scripts/bench.sh packs them)"
	back="$f $back"
done
round=0
for order in "$flavours" "$back" "$flavours" "$back"; do
	round=$((round + 1))
	for f in $order; do
		progress "price: $f, round $round"
		insmod "$dir/$f/rust_slab_hp.ko" || fail "insmod $dir/$f/rust_slab_hp.ko"
		bench_workloads pair batch64 batch4096 cross
		sed "s/^/BENCH price flavour=$f round=$round /" "$RSH_DBG/bench"
		rsh_unload
	done
done
