# Helpers for rust_slab_hp selftests, sourced by every test; runs inside the VM (busybox sh).
#
# A test is a shell script run with `set -eu`: exit 0 passes, exit 4 skips (kselftest's
# KSFT_SKIP), anything else fails. Lines it prints become KTAP diagnostics.

RSH_SYS=/sys/kernel/rust_slab_hp
RSH_DBG=/sys/kernel/debug/rust_slab_hp
RSH_CTL=$RSH_DBG/control
RSH_KO=/lib/modules/rust_slab_hp.ko
MEMDIR=/sys/devices/system/memory
NODEDIR=/sys/devices/system/node

diag() { echo "$*"; }

# Prints a KTAP diagnostic at once, on the KTAP line itself (/dev/ttyS1, see init): a test's
# own output is only shown when it ends, which is too late for a long test's progress.
progress() { echo "# $*" >/dev/ttyS1; }

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 4
}

# expect_eq <actual> <expected> <what>
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# Writes a marker into the kernel log, where the host-side judge finds it.
kmsg() { echo "rust_slab_hp-selftest: $*" >/dev/kmsg; }

# Tells the judge that the current test expects a kernel report whose first line matches
# the extended regular expression $1; any other report still fails the run.
expect_splat() { kmsg "expect-splat $1"; }

is_loaded() { grep -q '^rust_slab_hp ' /proc/modules; }

rsh_load() {
	insmod "$RSH_KO" "$@" || fail "insmod rust_slab_hp $*"
}

rsh_unload() {
	rmmod rust_slab_hp || fail "rmmod rust_slab_hp"
}

# Loads the module fresh (unloading a leftover instance first).
rsh_reload() {
	if is_loaded; then rsh_unload; fi
	rsh_load "$@"
}

# Writes one command to a file; prints "ok" or the error text ("Invalid argument", ...).
# Never fails, so that `set -e` scripts can check the outcome.
try_write() {
	_out=$( (echo "$2" >"$1") 2>&1) && {
		echo ok
		return 0
	}
	_err=${_out#*write error: }
	[ "$_err" = "$_out" ] && _err="shell error: $_out"
	echo "$_err"
}

# ctl <command...>: a control command that must succeed. No fork (echo is a builtin): a
# test's own steps stay quick when stress loops keep the CPUs busy.
ctl() {
	echo "$*" 2>/tmp/ctl.err >"$RSH_CTL" ||
		fail "control '$*': $(sed 's/.*write error: //' /tmp/ctl.err)"
}

# ctl_err <expected error text> <command...>: a control command that must fail so.
ctl_err() {
	_want=$1
	shift
	_r=$(try_write "$RSH_CTL" "$*")
	[ "$_r" = "$_want" ] || fail "control '$*': expected '$_want', got '$_r'"
}

# stat <cache> <file>: a statistics file, as one line.
stat() { cat "$RSH_SYS/$1/$2"; }

# total <SLUB-format line>: its total.
total() { echo "${1%% *}"; }

# on_node <SLUB-format line> <node>: the node's value (0 when absent, as SLUB leaves it out).
on_node() {
	_v=$(echo "$1" | tr ' ' '\n' | sed -n "s/^N$2=//p")
	echo "${_v:-0}"
}

# node_stat <cache> <file> <node>
node_stat() { on_node "$(stat "$1" "$2")" "$3"; }

# event <name> <node>: how often the notifier saw a node event for a node.
event() { on_node "$(cat "$RSH_SYS/$1")" "$2"; }

# The memory blocks of a node, in order (not memory_failure/, which CONFIG_MEMORY_FAILURE adds).
node_blocks() {
	for _b in "$NODEDIR/node$1"/memory[0-9]*; do
		[ -e "$_b" ] && echo "${_b##*/memory}"
	done | sort -n
}

block_state() { cat "$MEMDIR/memory$1/state"; }

# set_block <block> <online_movable|online_kernel|offline>: prints "ok" or the error text.
set_block() { try_write "$MEMDIR/memory$1/state" "$2"; }

# online_node <node> <online_movable|online_kernel>: every offline block of the node.
online_node() {
	for _b in $(node_blocks "$1"); do
		[ "$(block_state "$_b")" = offline ] || continue
		_r=$(set_block "$_b" "$2")
		[ "$_r" = ok ] || fail "$2 memory$_b (node $1): $_r"
	done
}

# offline_node <node>: every online block of the node.
offline_node() {
	for _b in $(node_blocks "$1"); do
		[ "$(block_state "$_b")" = online ] || continue
		_r=$(set_block "$_b" offline)
		[ "$_r" = ok ] || fail "offline memory$_b (node $1): $_r"
	done
}

# in_nodelist <list like 0-2,5> <node> (no fork: split on commas by IFS)
in_nodelist() {
	_ifs=$IFS
	IFS=,
	set -- "$2" $1
	IFS=$_ifs
	_n=$1
	shift
	for _r in "$@"; do
		case $_r in
		*-*) [ "$_n" -ge "${_r%-*}" ] && [ "$_n" -le "${_r#*-}" ] && return 0 ;;
		*) [ "$_n" = "$_r" ] && return 0 ;;
		esac
	done
	return 1
}

node_has_memory() { in_nodelist "$(cat "$NODEDIR/has_memory")" "$1"; }

# Every node with hot-pluggable memory (every node but 0 in the harness VMs).
hotplug_nodes() {
	for _n in "$NODEDIR"/node*; do
		_n=${_n##*/node}
		[ "$_n" = 0 ] || echo "$_n"
	done | sort -n
}

# Puts every hot-pluggable node back offline, the state every test starts from.
all_hotplug_offline() {
	for _n in $(hotplug_nodes); do offline_node "$_n"; done
}

# Whether the kernel has KASAN (the stock distribution kernels do not): kallsyms names its
# report function.
have_kasan() { grep -q ' kasan_report$' /proc/kallsyms; }

# kmemleak_scan: a kmemleak scan finds no leak, made by this test or any before it in this boot
# (nothing ever clears kmemleak's list). Objects younger than kmemleak's minimum age (5 s) are
# never reported, so the scan is repeated once they are old enough.
kmemleak_scan() {
	have_kmemleak
	_r=$(try_write /sys/kernel/debug/kmemleak scan)
	[ "$_r" = ok ] || fail "kmemleak scan: $_r (kmemleak turned itself off? see the console)"
	sleep 6 # kmemleak's MSECS_MIN_AGE, not a synchronisation
	echo scan >/sys/kernel/debug/kmemleak
	_leaks=$(cat /sys/kernel/debug/kmemleak)
	if [ -n "$_leaks" ]; then
		echo "$_leaks" | head -n 40
		fail "kmemleak reports leaks"
	fi
}

# have_kmemleak: skips the test (a skip, never a pass) if the kernel has no kmemleak.
have_kmemleak() {
	[ -e /sys/kernel/debug/kmemleak ] || skip "no kmemleak in this kernel (CONFIG_DEBUG_KMEMLEAK)"
}

# fault_setup <failslab|fail_page_alloc>: make /proc/self/fail-nth count the allocations of one
# kind (kmalloc, or the page allocator) made with this module's code on the stack (its range
# in /proc/modules), GFP_KERNEL ones included, and no allocation of the other kind.
fault_setup() {
	set -- "$1" $(grep '^rust_slab_hp ' /proc/modules)
	[ "${7#0x}" != "$7" ] || fail "no module address in /proc/modules"
	for _f in /sys/kernel/debug/failslab /sys/kernel/debug/fail_page_alloc; do
		[ -e $_f/require-start ] || skip "no $_f stack filter in this kernel"
		echo N >$_f/ignore-gfp-wait
		echo 0 >$_f/verbose
		echo 32 >$_f/stacktrace-depth
		if [ "${_f##*/}" = "$1" ]; then
			printf '0x%x\n' $(($7)) >$_f/require-start
			printf '0x%x\n' $(($7 + $3)) >$_f/require-end
		else
			# An empty range: nothing of this kind counts.
			echo 1 >$_f/require-start
			echo 1 >$_f/require-end
		fi
	done
	echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
}

# nth_write <n> <file> <text>: writes with the n-th allocation made from this module's code
# failing (fault_setup first). Prints "<ok or error text>|<fail-nth left>": a 0 left means
# the failure was injected, more means the write made fewer than n such allocations.
# fail-nth is per task and not inherited: the write and both /proc/self accesses happen in
# one subshell, without forking.
nth_write() {
	(
		echo "$1" >/proc/self/fail-nth
		if echo "$3" >"$2" 2>/tmp/nth.err; then _r=ok; else _r=$(sed 's/.*write error: //' /tmp/nth.err); fi
		read -r _left </proc/self/fail-nth
		echo "$_r|$_left"
	)
}

# inject_all <file> <text> <check> <undo>: writes <text> with the 1st, 2nd, ... allocation
# from this module's code failing, until the write makes fewer allocations than that. Each
# injected failure must be refused with ENOMEM (then <check> runs) or absorbed by a kernel
# fallback such as kvmalloc()'s vmalloc() (then <undo> runs). Ends with <text> done once.
inject_all() {
	_n=0 _refused=0 _absorbed=0
	while :; do
		_n=$((_n + 1))
		[ $_n -le 500 ] || fail "'$2' still failing after $_n injected failures"
		_res=$(nth_write $_n "$1" "$2")
		_r=${_res%|*}
		if [ "${_res##*|}" != 0 ]; then
			expect_eq "$_r" ok "'$2' without an injected failure"
			break
		fi
		if [ "$_r" = ok ]; then
			_absorbed=$((_absorbed + 1))
			$4
		else
			expect_eq "$_r" "Cannot allocate memory" "'$2' with allocation $_n failing"
			_refused=$((_refused + 1))
			$3
		fi
	done
	diag "'$2': $((_n - 1)) allocation points: $_refused refused with ENOMEM, $_absorbed absorbed"
}

# The benchmark (bench.sh, bench_native.sh): runs each named workload for 32, 256 and 4096-byte
# objects; the results collect in $RSH_DBG/bench.
bench_workloads() {
	for _size in 32 256 4096; do
		for _w in "$@"; do
			ctl bench "$_w" "$_size" "${RSH_BENCH_ITERS:-200000}" "${RSH_BENCH_REPS:-11}"
		done
	done
}

# Prints a "BENCH layout" line per size: our slab layout against SLUB's own kmalloc cache.
bench_layout() {
	for _size in 32 256 4096; do
		ctl create "lay$_size" "$_size" 8
		case $_size in 4096) _k=kmalloc-4k ;; *) _k=kmalloc-$_size ;; esac
		echo "BENCH layout size=$_size rsh_objs=$(stat lay$_size objs_per_slab) rsh_order=$(stat lay$_size order) rsh_stride=$(stat lay$_size slab_size) slub_objs=$(cat /sys/kernel/slab/$_k/objs_per_slab) slub_order=$(cat /sys/kernel/slab/$_k/order) slub_stride=$(cat /sys/kernel/slab/$_k/slab_size)"
		ctl destroy "lay$_size"
	done
}

# The stress workload of race and soak: loops in the background, each until $STRESS/stop
# exists, that record the outcome of every operation they make. A shell loop appends
# "<operation> <ok or the error text>" to $STRESS/<loop>.log for each control command; the
# reader (stat_reader loop) counts its reads by outcome into $STRESS/<loop>.counts. Each loop
# writes the iterations it finished to $STRESS/<loop>.iter. The test calls stress_progress
# after every tenth hotplug cycle (and after the last), which waits until every loop has
# finished one more iteration: so each loop runs throughout the cycles, and after N calls has
# made at least N iterations; stress_check then asserts that every kind of operation succeeded
# at least that often and that only the expected errors came back. (Waiting after every cycle
# would make the cycles as slow as the slowest loop: seconds per iteration under TCG.)
STRESS=/tmp/stress

# stress_op <loop> <operation> <control command...>: one command, its outcome recorded. No
# fork: echo is a builtin, its error message ("...write error: <text>") goes to a file.
stress_op() {
	_sl=$1 _so=$2
	shift 2
	if echo "$*" 2>"$STRESS/$_sl.err" >"$RSH_CTL"; then
		_sr=ok
	else
		_sr="shell error"
		read -r _sr <"$STRESS/$_sl.err" || true
		_sr=${_sr#*write error: }
	fi
	echo "$_so $_sr" >>"$STRESS/$_sl.log"
}

# stress_reader <loop> <churned prefix>: every statistics file of every cache and the top-level
# files, again and again; files of caches named <churned prefix>* may vanish under it.
stress_reader() {
	/selftests/stat_reader loop "$RSH_SYS" "$STRESS/stop" "$STRESS/$1" "$2"
}

# stress_allocator <loop> <cache> <node>: kept objects allocated (preferring <node>) and freed,
# all of them every 8th round so the kept bytes stay bounded; shrinks; the CPU and node-0 fast
# paths.
stress_allocator() {
	_i=0
	while [ ! -e $STRESS/stop ]; do
		_i=$((_i + 1))
		stress_op "$1" alloc "alloc $2 $3 50"
		if [ $((_i % 8)) = 0 ]; then
			stress_op "$1" free "free $2 any all"
		else
			stress_op "$1" free "free $2 any 25"
		fi
		stress_op "$1" shrink "shrink $2"
		stress_op "$1" churn "churn $2 200"
		stress_op "$1" churn_node0 "churn $2 200 0"
		echo $_i >"$STRESS/$1.iter"
	done
}

# stress_noder <loop> <cache>: node 0's stash, contended with the cache's allocator.
stress_noder() {
	_i=0
	while [ ! -e $STRESS/stop ]; do
		_i=$((_i + 1))
		stress_op "$1" churn_node0 "churn $2 100 0"
		echo $_i >"$STRESS/$1.iter"
	done
}

# stress_churner <loop> <prefix> <node>: caches <prefix>0..2 created, given objects on <node> and
# destroyed, round and round: round i creates <prefix>(i%3) and destroys <prefix>((i+1)%3),
# which round i-2 created. Only rounds 1 and 2 find nothing to destroy (EINVAL).
stress_churner() {
	_i=0
	while [ ! -e $STRESS/stop ]; do
		_i=$((_i + 1))
		stress_op "$1" create "create $2$((_i % 3)) $((64 * (_i % 5 + 1))) 8"
		stress_op "$1" alloc "alloc $2$((_i % 3)) $3 20"
		stress_op "$1" destroy "destroy $2$(((_i + 1) % 3))"
		echo $_i >"$STRESS/$1.iter"
	done
}

# stress_settle [check...]: after stress_stop and stress_check: destroys the churner's caches
# that are left, verifies every kept object, gives every stashed object and empty slab back, and
# checks that each stressed cache counts exactly the objects the controls keep; then runs
# "check <cache>" for each cache, if given (the test's own checks).
stress_settle() {
	for _t in 0 1 2; do try_write "$RSH_CTL" "destroy $STRESS_PREFIX$_t" >/dev/null; done
	ctl verify
	ctl shrink all
	for _c in hp-64 hp-256 hp-8192; do
		_kept=$(grep "^$_c " "$RSH_DBG/objects" | cut -d' ' -f2)
		expect_eq "$(total "$(stat $_c objects)")" "${_kept:-0}" "$_c objects vs kept"
		[ $# = 0 ] || "$@" "$_c"
	done
}

# stress_empty: frees every object the stressed caches keep and gives their slabs back: none is
# left.
stress_empty() {
	for _c in hp-64 hp-256 hp-8192; do ctl free $_c any all; done
	ctl shrink all
	for _c in hp-64 hp-256 hp-8192; do
		expect_eq "$(stat $_c slabs)" 0 "$_c slabs after freeing and shrinking"
	done
}

# stress_start <prefix> <node>: the whole workload in the background: two readers, allocators on
# hp-64 (node 1), hp-256 (node 0) and hp-8192 (any node), a second user of hp-256's node-0
# stash, and the churner of caches <prefix>0..2 on <node>. The loops run at nice 10, the test
# itself at 0: seven busy loops on two vCPUs would otherwise leave the test's hotplug cycles
# an eighth of the CPU (seconds per step under TCG), while the loops still run throughout on
# whichever vCPU the hotplug path leaves (stress_progress checks that they do). The loops are
# stopped when the test exits, however it exits (a trap), and their counts shown.
stress_start() {
	rm -rf $STRESS && mkdir -p $STRESS
	STRESS_PREFIX=$1
	# The files every reader pass reads at least (before the churner adds any).
	find "$RSH_SYS" -type f | wc -l >$STRESS/stable_files
	renice 10 -p $$ >/dev/null
	stress_reader reader1 "$1" &
	STRESS_PIDS=$!
	stress_reader reader2 "$1" &
	STRESS_PIDS="$STRESS_PIDS $!"
	stress_allocator alloc-hp-64 hp-64 1 &
	STRESS_PIDS="$STRESS_PIDS $!"
	stress_allocator alloc-hp-256 hp-256 0 &
	STRESS_PIDS="$STRESS_PIDS $!"
	stress_allocator alloc-hp-8192 hp-8192 any &
	STRESS_PIDS="$STRESS_PIDS $!"
	stress_noder noder-hp-256 hp-256 &
	STRESS_PIDS="$STRESS_PIDS $!"
	stress_churner churner "$1" "$2" &
	STRESS_PIDS="$STRESS_PIDS $!"
	renice 0 -p $$ >/dev/null
	STRESS_LOOPS="reader1 reader2 alloc-hp-64 alloc-hp-256 alloc-hp-8192 noder-hp-256 churner"
	trap stress_abort EXIT
}

# stress_abort: the EXIT trap of a test running the workload: stops whatever still runs
# (nothing, after stress_stop) and shows the counts so far.
stress_abort() {
	touch $STRESS/stop
	# shellcheck disable=SC2086
	kill $STRESS_PIDS 2>/dev/null || true
	[ -e $STRESS/stopped ] || stress_report
}

# stress_stop: ends the workload and waits for every loop.
stress_stop() {
	touch $STRESS/stop
	# shellcheck disable=SC2086
	wait $STRESS_PIDS
	touch $STRESS/stopped
}

# stress_iter <loop>: the iterations a loop has finished.
stress_iter() {
	_v=0
	[ ! -e "$STRESS/$1.iter" ] || read -r _v <"$STRESS/$1.iter" || _v=0
	echo "${_v:-0}"
}

# stress_progress: waits (2 minutes at most) until every loop has finished at least one more
# iteration than at the previous call.
stress_progress() {
	for _l in $STRESS_LOOPS; do
		_seen=0
		[ ! -e "$STRESS/$_l.seen" ] || read -r _seen <"$STRESS/$_l.seen"
		_t=0
		while [ "$(stress_iter "$_l")" -le "$_seen" ]; do
			_t=$((_t + 1))
			[ $_t -le 1200 ] || fail "stress loop $_l made no progress in 120 s (at $_seen iterations)"
			sleep 0.1 # polling the loop's progress, not a synchronisation
		done
		stress_iter "$_l" >"$STRESS/$_l.seen"
	done
}

# stress_metadata <node>: every cache, those the churner created during the test included, has
# metadata for <node> (right after <node> came online). Counts the churned caches it checked in
# $STRESS/metadata_checks.
stress_metadata() {
	for _d in "$RSH_SYS"/*/; do
		_c=${_d%/}
		_c=${_c##*/}
		# A churned cache may be destroyed under us: then it has nothing left to check.
		{ read -r _m <"$_d/metadata_nodes"; } 2>/dev/null || continue
		in_nodelist "$_m" "$1" || fail "cache $_c: metadata_nodes '$_m' lacks node $1 right after its online"
		case $_c in "$STRESS_PREFIX"*) echo "$_c" >>$STRESS/metadata_checks ;; esac
	done
}

# stress_report: every loop's counts: "<loop>: <operation> <outcome> <count>, ..." and the
# readers' passes, good reads, reads of vanished files and unexpected failures.
stress_report() {
	for _l in $STRESS_LOOPS; do
		if [ -e "$STRESS/$_l.counts" ]; then
			echo "stress $_l: $(stress_iter "$_l") passes: $(tr '\n' ' ' <"$STRESS/$_l.counts")"
		elif [ -e "$STRESS/$_l.log" ]; then
			echo "stress $_l: $(stress_iter "$_l") rounds: $(sort "$STRESS/$_l.log" | uniq -c |
				awk '{ c = $1; $1 = ""; printf "%s%s x%d", sep, substr($0, 2), c; sep = ", " }')"
		else
			echo "stress $_l: $(stress_iter "$_l") passes (stopped before it wrote its counts)"
		fi
	done
	[ ! -e $STRESS/metadata_checks ] ||
		echo "stress: node metadata checked in $(wc -l <$STRESS/metadata_checks) caches created during the test"
}

# stress_outcome <loop> <operation> <outcome>: how often an operation of a loop had that outcome.
stress_outcome() {
	grep -cxF "$2 $3" "$STRESS/$1.log" || true
}

# stress_check <n>: after stress_stop, with n calls of stress_progress during the cycles:
# every loop finished at least n iterations; every operation succeeded at least n times (each
# iteration makes each of its operations once); the only failures are the churner's two
# destroys of caches not yet created; no read failed, except reads of churned caches that
# vanished (ENOENT, ENODEV), and every pass read every file that was there from the start.
stress_check() {
	stress_report
	for _l in $STRESS_LOOPS; do
		_n=$(stress_iter "$_l")
		[ "$_n" -ge "$1" ] || fail "stress loop $_l: $_n iterations, fewer than the $1 progress checks"
		case $_l in
		reader*)
			_v() { sed -n "s/^$1 //p" "$STRESS/$_l.counts"; }
			[ "$(_v unexpected)" = 0 ] || fail "stress $_l: $(_v unexpected) reads failed: $(grep detail "$STRESS/$_l.counts" | tr '\n' ' ')"
			[ "$(_v passes)" = "$_n" ] || fail "stress $_l: counts of $(_v passes) passes, $_n finished"
			_files=$(cat $STRESS/stable_files)
			[ "$(_v ok)" -ge $((_n * _files)) ] ||
				fail "stress $_l: $(_v ok) good reads in $_n passes over at least $_files files"
			;;
		*)
			_bad=$(grep -v ' ok$' "$STRESS/$_l.log" | grep -vxF "destroy Invalid argument" | sort | uniq -c || true)
			[ -z "$_bad" ] || fail "stress $_l: unexpected errors: $(echo $_bad)"
			for _op in $(cut -d' ' -f1 "$STRESS/$_l.log" | sort -u); do
				_ok=$(stress_outcome "$_l" "$_op" ok)
				_min=$1
				[ "$_l/$_op" != churner/destroy ] || _min=$(($1 - 2))
				[ "$_ok" -ge "$_min" ] || fail "stress $_l: '$_op' succeeded $_ok times, fewer than $_min"
			done
			;;
		esac
	done
	_einval=$(stress_outcome churner destroy "Invalid argument")
	[ "$_einval" = 2 ] || fail "stress churner: $_einval destroys found nothing, want exactly 2 (rounds 1 and 2)"
	_ops=$(cut -d' ' -f1 "$STRESS/alloc-hp-64.log" | sort -u | tr '\n' ' ')
	expect_eq "$_ops" "alloc churn churn_node0 free shrink " "operations of an allocator"
	_ops=$(cut -d' ' -f1 "$STRESS/churner.log" | sort -u | tr '\n' ' ')
	expect_eq "$_ops" "alloc create destroy " "operations of the churner"
	[ -s $STRESS/metadata_checks ] || fail "no cache created during the test was ever checked for metadata"
}

# on_cpu <cpu> <command...>: a control command that must succeed, written by a task bound to
# CPU <cpu> (so that it uses that CPU's stash).
on_cpu() {
	_c=$1
	shift
	taskset -c "$_c" sh -c "echo '$*' >$RSH_CTL" 2>/tmp/on_cpu.err ||
		fail "control '$*' on CPU $_c: $(sed 's/.*write error: //' /tmp/on_cpu.err)"
}

# kept_line <cache>: the controls' kept objects of a cache, as `objects` lists them.
kept_line() { grep "^$1 " "$RSH_DBG/objects" || echo "$1 0"; }
