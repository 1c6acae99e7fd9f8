# The per-CPU fast path: objects churned through the stashes keep their patterns, the stashes
# stay within their capacity, stashed objects count as allocated (SLUB's convention) and are
# shown in cpu_stashed, and a shrink gives them all back.
. /selftests/lib.sh
rsh_load
cpus=$(cat /sys/devices/system/cpu/possible)
ncpus=$((${cpus#*-} + 1))
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192; do
	ctl churn $c 3000
	stashed=$(stat $c cpu_stashed)
	case $c in hp-8 | hp-64 | hp-256) cap=64 ;; *) cap=16 ;; esac
	# Per CPU at most `cap`, in the depot at most 8 magazines of cap/2.
	[ "$stashed" -le $(((ncpus + 4) * cap)) ] || fail "$c: $stashed stashed objects, more than ($ncpus + 4) x $cap"
	[ "$stashed" -ge 1 ] || fail "$c: nothing stashed after churning"
	expect_eq "$(total "$(stat $c objects)")" "$stashed" "$c: allocated objects are the stashed ones"
	ctl shrink $c
	expect_eq "$(stat $c cpu_stashed)" 0 "$c cpu_stashed after shrink"
	expect_eq "$(stat $c objects)" 0 "$c objects after shrink"
	expect_eq "$(stat $c slabs)" 0 "$c slabs after shrink"
done
# Both paths at once: kept objects stay intact while the fast path churns around them.
ctl alloc hp-64 0 500
ctl churn hp-64 5000
ctl verify
expect_eq "$(grep '^hp-64 ' "$RSH_DBG/objects")" "hp-64 500 N0=500" "kept objects"
ctl_err "Invalid argument" "churn hp-64 0"
ctl_err "Invalid argument" "churn nosuch 5"
rsh_unload
