# Zeroing as the kernel is configured: the kernel's init_on_alloc and init_on_free switches
# (its boot line "mem auto-init: ... heap alloc:on|off, heap free:on|off") apply to
# rust_slab_hp's caches as to SLUB's, on every path (the CPU stashes, their refills from the
# depot, partial slabs and new slabs and their spills, the node-locked slow path, a node's
# stash): with either on, a freed object's pattern never reaches the next user, who gets it all
# zero; with both off, nothing is zeroed: every object handed out again still holds its
# previous user's pattern (beyond its first word, which a freelist link may take), so no
# zeroing cost is paid. A zeroing allocation (zalloc, `kmem_cache_zalloc()`) is always zeroed.
# Each check (the zerocheck control) allocates n objects, fills them, frees them, allocates n
# again and counts the objects it got back, the all-zero ones and the patterned ones.
# What to expect is what the kernel printed at boot, so the one test covers each switch in the
# boots `make test` already has: both off (the harness kernels' main suite), init_on_alloc on
# (the stock kernels' default), init_on_free on (every topology boot, scripts/test.sh).
. /selftests/lib.sh
# Saved by /init at boot, before any test could clear the log.
line=$(grep -m1 'mem auto-init:' /tmp/boot.dmesg || true)
[ -n "$line" ] || fail "no 'mem auto-init:' line in the boot log"
case $line in
*"heap alloc:on"*) ioa=1 ;;
*"heap alloc:off"*) ioa=0 ;;
*) fail "cannot read init_on_alloc from: $line" ;;
esac
case $line in
*"heap free:on"*) iof=1 ;;
*"heap free:off"*) iof=0 ;;
*) fail "cannot read init_on_free from: $line" ;;
esac
diag "the kernel says: ${line#*mem auto-init: }"
rsh_load

# check <cpu> <cache> <api> <n>: runs zerocheck on CPU <cpu>; sets reused, zeroed, patterned.
check() {
	on_cpu "$1" zerocheck "$2" "$3" "$4"
	_l=$(dmesg | grep "zerocheck: $2 $3 n=$4 " | tail -n 1)
	[ -n "$_l" ] || fail "no zerocheck line for $2 $3 $4"
	set -- $(echo "$_l" | sed -n 's/.* n=\([0-9]*\) reused=\([0-9]*\) zeroed=\([0-9]*\) patterned=\([0-9]*\) init_on_alloc=\([01]\) init_on_free=\([01]\).*/\1 \2 \3 \4 \5 \6/p')
	[ $# = 6 ] || fail "cannot parse: $_l"
	n=$1 reused=$2 zeroed=$3 patterned=$4
	expect_eq "init_on_alloc=$5 init_on_free=$6" "init_on_alloc=$ioa init_on_free=$iof" \
		"the switches as the module reads them"
}

# expect <cpu> <cache> <api> <n> [exact]: one check and its verdict; with `exact`, every
# object must come back (a stash gives back exactly what it took, last in first out).
expect() {
	check "$1" "$2" "$3" "$4"
	what="$2 $3 n=$4: reused $reused, zeroed $zeroed, patterned $patterned"
	diag "$what"
	[ "$reused" -ge 1 ] || fail "$what: no object came back, the check shows nothing"
	[ "${5:-}" != exact ] || expect_eq "$reused" "$4" "$2 $3: objects handed out again"
	case $3 in
	z*) expect_eq "$zeroed" "$4" "$what: a zeroing allocation's objects all zero" ;;
	*)
		if [ $ioa = 1 ] || [ $iof = 1 ]; then
			expect_eq "$zeroed" "$4" "$what: objects all zero (init_on_alloc=$ioa, init_on_free=$iof)"
			expect_eq "$patterned" 0 "$what: previous users' patterns seen (init_on_alloc=$ioa, init_on_free=$iof)"
		else
			expect_eq "$patterned" "$reused" "$what: objects handed out again zeroed with both switches off"
		fi
		;;
	esac
}

for c in hp-64 hp-4096; do
	# A stash hit (16 fit every stash), then refills and spills through the depot, the
	# partial slabs and new slabs (2000), then the node-locked slow path; then the same with
	# zeroing allocations.
	for api in fast zfast; do
		ctl shrink $c
		expect 0 $c $api 16 exact
		expect 0 $c $api 2000
	done
	# The node-locked slow path, and frees of raw pointers (free_raw: zeroed only once its
	# checks have passed).
	for api in slow zslow raw zraw; do
		ctl shrink $c
		expect 0 $c $api 100
	done
done
# A node's stash: objects of node 0 freed on a CPU of another node go to node 0's stash, and
# node-exact allocations on node 0 take them back (the topology suite has CPU 2 on node 1).
cpu2_node=$(ls -d /sys/devices/system/cpu/cpu2/node* 2>/dev/null | sed 's/.*node//' || true)
if [ -n "$cpu2_node" ] && [ "$cpu2_node" != 0 ]; then
	for api in node0 znode0; do
		ctl shrink hp-64
		expect 2 hp-64 $api 16 exact
		expect 2 hp-64 $api 300
	done
else
	diag "no CPU off node 0 here: node stashes are checked in the topology suite"
fi
ctl_err "Invalid argument" "zerocheck hp-64 fast 0"
ctl_err "Invalid argument" "zerocheck hp-64 fast 2049"
ctl_err "Invalid argument" "zerocheck hp-64 quick 10"
ctl_err "Invalid argument" "zerocheck hp-64 nodex 10"
rsh_unload
