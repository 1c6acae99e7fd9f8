# The pre-5.12 bug, reproduced: with reproduce_offline_uaf=1 node metadata is freed when node
# 1 loses its last memory, and the same racing stats reads as uaf_fixed's (the same window)
# use freed memory: KASAN reports a slab-use-after-free (announced to the judge; any other
# report still fails).
. /selftests/lib.sh
have_kasan || skip "no KASAN in this kernel: the use-after-free would go unseen"
expect_splat "BUG: KASAN: slab-use-after-free"
. /selftests/uaf_workload.sh reproduce_offline_uaf=1
[ "$uaf_reports" -ge 1 ] || fail "no KASAN use-after-free report in buggy mode"
dmesg | grep -A3 "BUG: KASAN: slab-use-after-free" | grep -q "rust_slab_hp" ||
	fail "the use-after-free is not in rust_slab_hp"
expect_eq "$(total "$(stat hp-8 metadata_frees)")" 4 "hp-8 metadata frees (one per offline)"
rsh_unload
