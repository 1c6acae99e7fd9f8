# The production module (`make`, without RSH_TEST=1), as a user loads it: its caches and
# statistics are there, the node-metadata rule holds across node 1 going offline and coming
# back, and nothing of the test build is: no debugfs directory, no test-only parameter (the
# kernel ignores an unknown one, with a line in the log), no KUnit suite.
. /selftests/lib.sh
ko=/lib/modules/production/rust_slab_hp.ko
[ -f $ko ] || skip "no production build in this initramfs (make test builds one)"
dmesg -c >/dev/null
insmod $ko reproduce_offline_uaf=1 stats_read_delay_ms=20 || fail "insmod $ko"
trap 'rmmod rust_slab_hp 2>/dev/null || true' EXIT
[ ! -e "$RSH_DBG" ] || fail "the production module made $RSH_DBG"
for p in reproduce_offline_uaf stats_read_delay_ms; do
	dmesg | grep -q "rust_slab_hp: unknown parameter '$p' ignored" || fail "the production module takes $p"
done
dmesg | grep -q "test only\|KTAP" && fail "test-build output in the log: $(dmesg | grep 'test only\|KTAP' | head -n 3)"
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	expect_eq "$(stat $c metadata_nodes)" 0 "$c metadata_nodes"
	for f in "$RSH_SYS/$c"/*; do cat "$f" >/dev/null || fail "read $f"; done
done
online_node 1 online_movable
offline_node 1
online_node 1 online_movable
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	expect_eq "$(stat $c metadata_nodes)" 0-1 "$c metadata_nodes after offline and online"
	expect_eq "$(stat $c metadata_allocs)" "2 N0=1 N1=1" "$c metadata_allocs"
	expect_eq "$(stat $c metadata_reuses)" "1 N1=1" "$c metadata_reuses"
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
done
expect_eq "$(cat "$RSH_SYS/memory_nodes")" 0-1 "memory_nodes"
rmmod rust_slab_hp || fail "rmmod"
trap - EXIT
[ ! -e "$RSH_SYS" ] || fail "$RSH_SYS left after rmmod"
