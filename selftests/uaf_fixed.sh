# The 5.12 rule, shown: with node metadata kept across offline (the default), stats readers
# racing with node 1 going offline, with the same widened window as uaf_buggy, see no freed
# memory: no KASAN report, no metadata freed.
. /selftests/lib.sh
have_kasan || skip "no KASAN in this kernel: a use-after-free would go unseen"
. /selftests/uaf_workload.sh
expect_eq "$uaf_reports" 0 "KASAN use-after-free reports"
for c in hp-8 hp-256; do
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
	expect_eq "$(stat $c metadata_nodes)" "0-1" "$c metadata_nodes"
done
rsh_unload
