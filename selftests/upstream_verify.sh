# After the kernel's selftest: every object verifies, the counters add up with what the
# controls keep, no metadata was freed, and every node event was matched by the kernel.
. /selftests/lib.sh
is_loaded || fail "rust_slab_hp is not loaded"
ctl verify
for c in hp-64 hp-256 hp-8192; do
	for n in 0 1 2; do
		expect_eq "$(node_stat $c objects $n)" 40 "$c objects on node $n"
	done
	expect_eq "$(grep "^$c " "$RSH_DBG/objects")" "$c 120 N0=40 N1=40 N2=40" "$c kept objects"
	expect_eq "$(stat $c metadata_frees)" 0 "$c metadata_frees"
	expect_eq "$(stat $c metadata_nodes)" "0-2" "$c metadata_nodes"
done
# Each NODE_ADDING_FIRST_MEMORY ended in NODE_ADDED_FIRST_MEMORY or its cancellation.
for n in 1 2; do
	adding=$(event node_adding_first_memory $n)
	added=$(event node_added_first_memory $n)
	cancel=$(event node_cancel_adding_first_memory $n)
	expect_eq "$((added + cancel))" "$adding" "node $n: adding = added + cancelled"
done
diag "node events: $(cat "$RSH_SYS"/node_*_memory | tr '\n' '|')"
rsh_unload
