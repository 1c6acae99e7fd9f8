#!/bin/bash
# The spin models of models/ (README.md, "The models"), checked as part of `make test`.
#
# Each check builds its verifier in build/models/<check>/ (spin -a, then gcc of pan.c), runs it
# and prints one KTAP line; build/models/results gets a PASS or FAIL line per check, which
# scripts/test.sh adds to its count. A run that should hold must finish its search (no "search
# depth too small", no memory limit hit) with no error; a run that should fail (the pre-5.12
# rule, the spinning flush, the mutants) fails its check if spin finds nothing, and prints the
# counterexample spin found in the code's names (its full replay in <check>/steps.txt).
#
# Environment: MODELS_MEMLIM (megabytes per verifier, 1024), MODELS_CFLAGS (-O0: the verifiers
# then compile in about a second and the whole set runs in well under two minutes on one core),
# STASH_CONFIGS (objects in node 0's and node 1's slab for the stash safety runs: "4,0 0,3";
# "2,2" is a third, slower one).
set -eu
. "$(dirname "$0")/lib.sh"
SPIN=/usr/bin/spin
CC=/usr/bin/gcc
MEMLIM=${MODELS_MEMLIM:-1024}
CFLAGS=${MODELS_CFLAGS:--O0}
STASH_CONFIGS=${STASH_CONFIGS:-4,0 0,3}
out=$BUILD/models
rm -rf "$out" && mkdir -p "$out"
: >"$out/results"
start=$(date +%s)

pass() {
	echo "PASS models/$1" >>"$out/results"
	echo "ok - models: $2"
}
fail() {
	echo "FAIL models/$1" >>"$out/results"
	echo "not ok - models: $2"
}

# spin (Debian 12's 6.5.2) and gcc come with the host packages.
if [ ! -x "$SPIN" ] || [ ! -x "$CC" ]; then
	"$TOP/scripts/setup-host.sh" || true
fi
if [ ! -x "$SPIN" ] || [ ! -x "$CC" ]; then
	fail setup "spin and gcc installed (scripts/setup-host.sh installs them)"
	exit 1
fi

# verify <check> <model> "<spin -D flags>" "<cc flags>" "<pan flags>": builds and runs the
# verifier in $out/<check>/ (pan.out); sets states, secs, errors and complete.
verify() {
	d=$out/$1
	mkdir -p "$d"
	cp "$TOP/models/$2" "$d/"
	echo "$3" >"$d/spin-flags"
	states=0 secs=? errors=0 complete=no
	# The never claim of the stash model is a plain invariant, so stutter-invariant: pan's
	# generic warning about hand-written claims is left in spin.out.
	if ! (cd "$d" && $SPIN -a $3 "$2" >spin.out 2>&1); then
		tail -n 5 "$d/spin.out" | sed 's/^/    /'
		return 1
	fi
	if ! (cd "$d" && $CC $CFLAGS -DMEMLIM="$MEMLIM" $4 -o pan pan.c >cc.out 2>&1); then
		tail -n 5 "$d/cc.out" | sed 's/^/    /'
		return 1
	fi
	(cd "$d" && ./pan $5 >pan.out 2>&1) || true
	states=$(awk '/states, stored/ { print $1; exit }' "$d/pan.out")
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$d/pan.out")
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$d/pan.out" | head -n 1)
	: "${states:=0}" "${secs:=?}" "${errors:=0}"
	if grep -qE 'search depth too small|out of memory|memory limit|MEMLIM bound|Search not completed|aborted' "$d/pan.out"; then
		complete=no
	else
		complete=yes
	fi
}

# replay <check> <model>: the counterexample's steps (the model's MSG lines) into steps.txt.
replay() {
	d=$out/$1
	(cd "$d" && $SPIN -t $(cat spin-flags) "$2" >trail.out 2>&1) || true
	sed -n 's/^ *\(MSG\|<<<<<START OF CYCLE\)/\1/p' "$d/trail.out" | sed 's/^MSG //; s/  */ /g' \
		>"$d/steps.txt"
}

# expect_clean <check> <what>: the search finished with no error.
expect_clean() {
	if [ "$complete" = yes ] && [ "$errors" = 0 ] && [ "$states" != 0 ]; then
		pass "$1" "$2 ($states states, ${secs}s, no error)"
	else
		fail "$1" "$2 (errors $errors, search complete: $complete; see ${out#"$TOP"/}/$1/pan.out)"
		grep -E 'violated|error|reached' "$out/$1/pan.out" | head -n 5 | sed 's/^/    /'
	fi
}

# What an assertion of the models means, from pan's report of it.
meaning() {
	case $1 in
	*online_done*) echo "a cache lacks metadata for a node whose online completed" ;;
	*mem_nodes*) echo "a cache lacks metadata for a node allocations may target (mem_nodes)" ;;
	*'meta[((c*'*'==0'*) echo "install_node found the slot taken: a second Node for one cache and node" ;;
	*'meta[owner'*) echo "a live Node that is not in its slot" ;;
	*'obj[held'*'==2'*) echo "a lock-free reader used freed node metadata" ;;
	*'cstate[c]==2'*) echo "node metadata freed before its cache was destroyed" ;;
	*'user['*) echo "two users in a stash's array at once (a flag, a region or the grace period missing)" ;;
	*'end state in claim'*) echo "an invariant broke: an object lost or in two places, or a counter off" ;;
	*'acceptance cycle'*) echo "a flush that never finishes" ;;
	*) echo "$1" ;;
	esac
}

# expect_violation <check> <model> <what>: spin must find one; prints what it found.
expect_violation() {
	if [ "$errors" -ge 1 ] 2>/dev/null; then
		found=$(grep -m1 -E 'assertion violated|end state in claim|acceptance cycle' "$out/$1/pan.out" ||
			true)
		replay "$1" "$2"
		pass "$1" "$3 (found: $(meaning "$found"); $(wc -l <"$out/$1/steps.txt") steps)"
	else
		fail "$1" "$3 (spin found no violation in $states states: the check is vacuous)"
	fi
}

m1=node_metadata.pml

# Model 1: the kept rule holds on every interleaving.
verify node-kept $m1 "" "-DSAFETY -DCOLLAPSE" "-m1000000 -w22"
expect_clean node-kept "node metadata, kept rule"

# Model 1 with the pre-5.12 rule: breadth-first, so the use-after-free comes with its shortest
# trail; printed step by step.
verify node-pre-5.12 $m1 "-DPRE_5_12" "-DSAFETY -DBFS" "-w22"
if [ "$errors" -ge 1 ] 2>/dev/null && grep -q 'assertion violated' "$out/node-pre-5.12/pan.out"; then
	replay node-pre-5.12 $m1
	steps=$out/node-pre-5.12/steps.txt
	use=$(grep -m1 'USE-AFTER-FREE' "$steps" || true)
	who=${use%%: *}
	node=${use##* }
	loaded=$(grep "^$who: .*-> Node $node\$" "$steps" | tail -n 1)
	freed=$(grep "Node $node FREED" "$steps" | tail -n 1)
	if [ -n "$use" ] && [ -n "$loaded" ] && [ -n "$freed" ]; then
		pass node-pre-5.12 "node metadata, pre-5.12 rule (use-after-free found: $loaded; then${freed}; then $who reads Node $node; $(wc -l <"$steps") steps)"
		nl -w2 -s'. ' "$steps" | sed 's/^/    /'
	else
		fail node-pre-5.12 "node metadata, pre-5.12 rule (a violation, but not the use-after-free: see ${out#"$TOP"/}/node-pre-5.12/)"
	fi
else
	fail node-pre-5.12 "node metadata, pre-5.12 rule (spin found no use-after-free in $states states)"
fi

# Model 1's mutants: each breaks one part of the protocol, and an invariant must catch it.
for m in NO_ADDED:"NODE_ADDED_FIRST_MEMORY allocates nothing" \
	NO_SYNC:"nothing at load looks at N_MEMORY (no sync_nodes, no adopt in create)" \
	NO_HAS_NODE:"add_node does not check has_node" \
	NO_DRAIN:"destroy does not wait for sysfs readers"; do
	verify "node-mutant-${m%%:*}" $m1 "-DMUTANT_${m%%:*}" "-DSAFETY -DCOLLAPSE" "-m1000000 -w20"
	expect_violation "node-mutant-${m%%:*}" $m1 "node metadata, mutant: ${m#*:}"
done

m2=stash.pml

# Model 2, safety: every interleaving, in two object configurations that between them reach
# every path (node 0 only: CPU stashes, a full depot; node 1 only: the node stash, remote
# frees and spills, node-exact refills).
for c in $STASH_CONFIGS; do
	n0=${c%,*} n1=${c#*,}
	verify "stash-$n0-$n1" $m2 "-DN0=$n0 -DN1=$n1" "-DSAFETY -DCOLLAPSE" "-m6000000 -w24"
	expect_clean "stash-$n0-$n1" "stash protocol, $n0 objects on node 0 and $n1 on node 1: none lost or handed out twice, counts exact"
done

# Model 2, liveness: with the flusher above task0 on its CPU, every flush finishes under weak
# fairness (tasks doing 2 operations each).
live="-DLIVENESS -DOPS=2 -DN0=2 -DN1=2"
verify stash-flush-finishes $m2 "$live" "-DCOLLAPSE" "-a -f -m3000000 -w22"
if [ "$complete" = yes ] && [ "$errors" = 0 ] && [ "$states" != 0 ]; then
	pass stash-flush-finishes "stash protocol, every flush finishes under weak fairness (sleeping take_sleeping and synchronize_rcu; $states states, ${secs}s, no acceptance cycle)"
else
	fail stash-flush-finishes "stash protocol, every flush finishes under weak fairness (errors $errors, complete: $complete; see ${out#"$TOP"/}/stash-flush-finishes/)"
fi

# A spinning wait for the flag (the lock() of before): spin must find the flush that never
# finishes.
verify stash-spinning-flush $m2 "$live -DSPIN_WAIT" "-DCOLLAPSE" "-a -f -m3000000 -w22"
if [ "$errors" -ge 1 ] 2>/dev/null && grep -q 'acceptance cycle' "$out/stash-spinning-flush/pan.out"; then
	replay stash-spinning-flush $m2
	steps=$out/stash-spinning-flush/steps.txt
	before=$(sed '/START OF CYCLE/,$d' "$steps")
	took=$(echo "$before" | grep 'takes the flag of stash' | grep -v flusher | tail -n 1)
	spun=$(grep -m1 -o 'flag of stash [0-9]* spinning' "$steps" | grep -o 'stash [0-9]*' || true)
	pass stash-spinning-flush "stash protocol, a flush spinning on the holder's CPU never finishes (found: ${took:-a task holds a stash}; the flusher, above it on CPU 0, spins on ${spun:-its} flag forever; $(wc -l <"$steps") steps)"
	echo "$before" | tail -n 4 | sed 's/^/    /'
	sed -n '/START OF CYCLE/,$p' "$steps" | uniq -c | sed 's/^ */    /'
else
	fail stash-spinning-flush "stash protocol, a flush spinning on the holder's CPU never finishes (spin found no cycle in $states states)"
fi

# Model 2's mutants: each breaks one part of the protocol (stash.pml's header says which).
for m in RACY_TRYLOCK:"the flag's compare_exchange as a load and a store" \
	FLUSH_NO_LOCK:"a flush empties CPU stashes without their flags" \
	NO_GRACE_PERIOD:"a flush uses the stashes right after taking their flags (no grace period)" \
	FASTPATH_PREEMPTIBLE:"a fast path's region does not keep its CPU's other tasks out" \
	SLOWPATH_PREEMPTIBLE:"lock_current with preemption enabled (pick the CPU's stash, migrate, take its flag)" \
	NODE_FAST_NO_FLAG:"node stash fast paths use it with the flag clear, without taking it" \
	PUT_LOST:"a spill into a full depot drops its batch"; do
	# node 0's objects only (CPU stashes, a full depot); node 1's for node stashes
	cfg="-DN0=4 -DN1=0"
	[ "${m%%:*}" != NODE_FAST_NO_FLAG ] || cfg="-DN0=0 -DN1=3"
	verify "stash-mutant-${m%%:*}" $m2 "-DMUTANT_${m%%:*} $cfg" "-DSAFETY -DCOLLAPSE" "-m3000000 -w22"
	expect_violation "stash-mutant-${m%%:*}" $m2 "stash protocol, mutant: ${m#*:}"
done

say "models: $(grep -c '^PASS' "$out/results") passed, $(grep -c '^FAIL' "$out/results") failed in $(($(date +%s) - start))s"
! grep -q '^FAIL' "$out/results"
