# The module's KUnit tests (test build, 7.x: the parsers, the slab geometry against SLUB's
# order, the reciprocal object index), run through KUnit's debugfs once the module is loaded
# (the VM boots with kunit.autorun=0, so loading alone runs nothing). Each case is printed as
# "KUNIT ok|not ok <suite>.<case>", which the judge counts as a result of its own.
. /selftests/lib.sh
[ -d /sys/kernel/debug/kunit ] || skip "no KUnit in this kernel (CONFIG_KUNIT)"
rsh_load
suites=""
for d in /sys/kernel/debug/kunit/rust_slab_hp_*; do
	[ -d "$d" ] && suites="$suites $d"
done
[ -n "$suites" ] || skip "no KUnit suite in this build (6.12's Rust has no #[kunit_tests])"
bad=0 cases=0
for d in $suites; do
	s=${d##*/}
	echo run >"$d/run" || fail "run $s"
	# Case lines are the indented KTAP results; the suite's own is not.
	while read -r verdict rest; do
		case "$verdict $rest" in
		"ok "[0-9]*) c=$(echo "$rest" | cut -d' ' -f2) ;;
		"not ok "[0-9]*)
			c=$(echo "$rest" | cut -d' ' -f3)
			verdict="not ok"
			;;
		*) continue ;;
		esac
		cases=$((cases + 1))
		echo "KUNIT $verdict $s.$c"
		[ "$verdict" = ok ] || bad=$((bad + 1))
	done <<EOT
$(grep -E '^    (not )?ok [0-9]+ ' "$d/results")
EOT
	[ $bad = 0 ] || sed 's/^/  /' "$d/results"
done
[ $cases -gt 0 ] || fail "KUnit reported no case"
rsh_unload
[ $bad = 0 ] || fail "$bad KUnit case(s) failed"
