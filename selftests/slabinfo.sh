# rsh-slabinfo (tools/rsh-slabinfo.c) against known allocations: the cache table, the
# per-node view, the totals and the JSON hold exactly the numbers the allocations make and
# exactly what the sysfs files say (derived here from the files, independently of the tool);
# sorting and filtering; watch mode's deltas, caches destroyed and created between two
# refreshes and while it refreshes, and the module unloaded while it runs (exit 3, one clear
# line); bad command lines (usage, exit 2). It onlines node 2 as kernel memory, which can pin
# one of its blocks: it runs after the tests that need node 2 offline.
#
# Forks are slow in the TCG guest (about 0.1 s each): the files and the tool's output are
# read with the shell's own `read` where it matters.
. /selftests/lib.sh
SI=rsh-slabinfo
PAGE=4096 # x86_64; the tool's -T prints the page size it uses, checked below
out=/tmp/si.out err=/tmp/si.err fifo=/tmp/si.fifo
pids=""
cleanup() {
	[ ! -d $STRESS ] || touch $STRESS/stop
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# si <args...>: runs the tool, which must succeed; its output in $out.
si() {
	_rc=0
	$SI "$@" >$out 2>$err || _rc=$?
	[ $_rc = 0 ] || fail "$SI $*: exit $_rc: $(cat $err)"
	[ ! -s $err ] || fail "$SI $*: wrote to stderr: $(cat $err)"
}

# row [-<n>] <first fields...>: sets R to the n-th (1st) line of $out starting with these
# fields, spaces squeezed; "" if there is none.
row() {
	_want=1
	case $1 in -[0-9]*)
		_want=${1#-}
		shift
		;;
	esac
	_k="$*" R="" _n=0
	set -f
	while IFS= read -r _l; do
		set -- $_l
		case "$* " in "$_k "*)
			_n=$((_n + 1))
			[ $_n = "$_want" ] && R="$*" && break
			;;
		esac
	done <$out
	set +f
}
# lines: sets L1, L2, ... to the lines of $out and NL to their count.
lines() {
	NL=0
	while IFS= read -r _l; do
		NL=$((NL + 1))
		eval "L$NL=\$_l"
	done <$out
}
# count <ERE>: how many lines of $out match (in C).
count() { C=$(grep -Ec "$1" $out || true); }

# wait_output <ERE> <what>: until the tool, running in the background as $bg, prints a
# matching line.
wait_output() {
	_i=0
	until grep -Eq "$1" $out; do
		[ "$(cut -d' ' -f3 /proc/$bg/stat 2>/dev/null)" != Z ] && kill -0 "$bg" 2>/dev/null ||
			fail "$SI stopped before $2: $(cat $err)"
		_i=$((_i + 1))
		[ $_i -le 1200 ] || fail "timed out waiting for $2"
		sleep 0.05
	done
}

# The numbers the files give, computed here without the tool.
# f <cache|""> <file>: the file's line in F.
f() { read -r F <"$RSH_SYS/${1:+$1/}$2"; }
# nv <SLUB-format line> <node>: the node's value in V (0 when left out).
nv() {
	V=0
	for _e in $1; do
		case $_e in N$2=*) V=${_e#*=} ;; esac
	done
}
# in_list <node list like 0-2,5> <node>: yes or no in V.
in_list() {
	V=no
	_ifs=$IFS
	IFS=,
	for _r in $1; do
		case $_r in
		*-*) [ "$2" -ge "${_r%-*}" ] && [ "$2" -le "${_r#*-}" ] && V=yes ;;
		*) [ "$2" = "$_r" ] && V=yes ;;
		esac
	done
	IFS=$_ifs
}
# layout <cache>: SZ (object size), ORD (order), SB (slab bytes).
layout() {
	f "$1" object_size && SZ=$F
	f "$1" order && ORD=$F
	SB=$((PAGE << ORD))
}
# sysfs_row <cache>: the table row (-B) in ROW.
sysfs_row() {
	layout "$1"
	f "$1" objects && _o=${F%% *}
	f "$1" slabs && _s=${F%% *}
	f "$1" total_objects && _t=${F%% *}
	f "$1" partial && _p=${F%% *}
	f "$1" cpu_stashed && _st=$F
	f "$1" objs_per_slab && _ops=$F
	f "$1" metadata_bytes && _mb=${F%% *}
	ROW="$1 $_t $_o $_st $_s $_p $SZ $_ops $ORD $((_s * SB)) $((_s * SB - SZ * _o)) $_mb"
}
# sysfs_node_row <cache> <node>: the per-node row (-n -B) in ROW.
sysfs_node_row() {
	layout "$1"
	f "" memory_nodes && in_list "$F" "$2" && ROW="$1 $2 $V"
	f "$1" metadata_nodes && in_list "$F" "$2" && ROW="$ROW $V"
	f "$1" objects && nv "$F" "$2" && _o=$V
	f "$1" slabs && nv "$F" "$2" && _s=$V
	f "$1" total_objects && nv "$F" "$2" && ROW="$ROW $V $_o $_s"
	for _f in partial objects_partial; do f "$1" $_f && nv "$F" "$2" && ROW="$ROW $V"; done
	ROW="$ROW $((_s * SB)) $((_s * SB - SZ * _o))"
	for _f in metadata_allocs metadata_reuses metadata_frees metadata_bytes alloc_fallbacks \
		shrink_freed_slabs; do
		f "$1" $_f && nv "$F" "$2" && ROW="$ROW $V"
	done
}
# json_pn <SLUB-format line>: {"total":100,"nodes":{"0":1,"2":3}} in J.
json_pn() {
	J="" _sep=""
	for _e in $1; do
		case $_e in
		N*)
			_e=${_e#N}
			J="$J$_sep\"${_e%%=*}\":${_e#*=}"
			_sep=,
			;;
		*) _t=$_e ;;
		esac
	done
	J="{\"total\":$_t,\"nodes\":{$J}}"
}
# json_list <node list>: [0,1,2,5] in J.
json_list() {
	J=""
	_ifs=$IFS
	IFS=,
	for _r in $1; do
		_lo=${_r%-*} _hi=${_r#*-}
		while [ "$_lo" -le "$_hi" ]; do
			J="$J,$_lo"
			_lo=$((_lo + 1))
		done
	done
	IFS=$_ifs
	J="[${J#,}]"
}
# json_bytes <cache> <memory|wasted>: the derived per-node bytes in J (nodes with slabs).
json_bytes() {
	f "$1" objects && _objs=$F
	f "$1" slabs
	J="" _sep="" _tot=0
	for _e in $F; do
		case $_e in
		N*)
			_n=${_e%%=*} _n=${_n#N} _v=$((${_e#*=} * SB))
			nv "$_objs" "$_n"
			[ "$2" = memory ] || _v=$((_v - SZ * V))
			_tot=$((_tot + _v))
			[ "$_v" = 0 ] && continue
			J="$J$_sep\"$_n\":$_v"
			_sep=,
			;;
		esac
	done
	J="{\"total\":$_tot,\"nodes\":{$J}}"
}
# sysfs_json <cache>: the cache's JSON line in ROW.
sysfs_json() {
	layout "$1"
	ROW="{\"name\":\"$1\""
	for _f in objects total_objects slabs partial objects_partial object_size slab_size \
		objs_per_slab order align metadata_nodes metadata_allocs metadata_reuses \
		metadata_frees metadata_bytes alloc_fallbacks shrink_freed_slabs cpu_stashed; do
		f "$1" $_f
		case $_f in
		object_size | slab_size | objs_per_slab | order | align | cpu_stashed) J=$F ;;
		metadata_nodes) json_list "$F" ;;
		*) json_pn "$F" ;;
		esac
		ROW="$ROW,\"$_f\":$J"
	done
	ROW="$ROW,\"slab_bytes\":$SB"
	json_bytes "$1" memory && ROW="$ROW,\"memory_bytes\":$J"
	json_bytes "$1" wasted && ROW="$ROW,\"wasted_bytes\":$J}"
}

# --- Bad command lines: the usage on stderr, nothing on stdout, exit 2 (module not loaded:
# they are refused before anything is read).
if is_loaded; then rsh_unload; fi
for args in "-x" "--bogus" "--json=1" "-w" "-w abc" "-w -1" "-w 86401" "-w 1x" "-c 3" \
	"-w 1 -c 0" "-w 1 -c x" "-N 0" "-S -L" "-A -S" "hp-8 ''"; do
	rc=0
	eval "$SI $args" >$out 2>$err || rc=$?
	expect_eq $rc 2 "exit status of '$args'"
	[ ! -s $out ] || fail "'$args' wrote to stdout: $(cat $out)"
	read -r first <$err
	case $first in "$SI: "?*) ;; *) fail "'$args': no first line saying what is wrong: $first" ;; esac
	usage=no
	while read -r l; do case $l in "Usage: $SI "*) usage=yes ;; esac; done <$err
	expect_eq $usage yes "'$args': usage message"
done
rc=0
$SI -h >$out 2>$err || rc=$?
read -r first <$out
expect_eq "$rc/$first" "0/Usage: $SI [options] [cache-pattern...]" "-h"
# --- Not loaded: one line, exit 3.
rc=0
$SI >$out 2>$err || rc=$?
expect_eq "$rc/$(cat $err)" "3/$SI: rust_slab_hp is not loaded (no $RSH_SYS)" "without the module"

# --- Known allocations on nodes 0 and 2 (node 1 movable: metadata, no slabs).
rsh_load
online_node 1 online_movable
online_node 2 online_kernel
ctl alloc hp-256 0 100 strict # 31 per slab: 4 slabs, the 4th with 7
ctl alloc hp-64 2 100 strict  # 127 per slab: 1 slab
ctl alloc hp-8192 2 8 strict  # 7 per 64 KiB slab: 2 slabs, the 2nd with 1
f hp-256 objects && a=$F && f hp-256 total_objects && b=$F && f hp-256 slabs
expect_eq "$a/$b/$F" "100 N0=100/124 N0=124/4 N0=4" "hp-256 files"
f hp-64 objects && a=$F && f hp-64 objects_partial && b=$F && f hp-64 slabs
expect_eq "$a/$b/$F" "100 N2=100/100 N2=100/1 N2=1" "hp-64 files"
f hp-8192 objects && a=$F && f hp-8192 total_objects && b=$F && f hp-8192 order
expect_eq "$a/$b/$F" "8 N2=8/14 N2=14/4" "hp-8192 files"
f hp-64 metadata_bytes && nv "$F" 0 && M=$V # one cache's metadata on one node
[ "$M" -gt 0 ] || fail "no metadata_bytes on node 0"
caches="hp-256 hp-4096 hp-64 hp-8 hp-8192"
for c in $caches; do
	f $c cpu_stashed && expect_eq "$F" 0 "$c cpu_stashed after exact allocations"
	f $c metadata_nodes && expect_eq "$F" 0-2 "$c metadata_nodes"
	f $c metadata_bytes && expect_eq "$F" "$((3 * M)) N0=$M N1=$M N2=$M" "$c metadata_bytes"
done

# The table (-B: bytes): header, one row per cache by name, the known numbers.
si -B
lines
set -- $L1
expect_eq "$*" "Cache Objs Active Stashed Slabs Partial ObjSize Obj/Slab O Memory Wasted Metadata" "header"
names=""
for i in 2 3 4 5 6; do eval "set -- \$L$i" && names="$names $1"; done
expect_eq "$NL:$names" "6: $caches" "caches by name"
# Memory: slabs * (page << order); Wasted: Memory - object_size * Active.
row hp-256 && expect_eq "$R" "hp-256 124 100 0 4 1 256 31 1 32768 7168 $((3 * M))" "hp-256 row"
row hp-64 && expect_eq "$R" "hp-64 127 100 0 1 1 64 127 1 8192 1792 $((3 * M))" "hp-64 row"
row hp-8192 && expect_eq "$R" "hp-8192 14 8 0 2 1 8192 7 4 131072 65536 $((3 * M))" "hp-8192 row"
row hp-8 && expect_eq "$R" "hp-8 0 0 0 0 0 8 1016 1 0 0 $((3 * M))" "hp-8 row"
row hp-4096 && expect_eq "$R" "hp-4096 0 0 0 0 0 4096 15 4 0 0 $((3 * M))" "hp-4096 row"
for c in $caches; do
	row $c && sysfs_row $c && expect_eq "$R" "$ROW" "$c row against sysfs"
done
# Sizes in K/M of 1024 without -B, one decimal below 100 units.
si hp-64 hp-8192
row hp-64 && set -- $R && expect_eq "${10} ${11}" "8K 1.7K" "hp-64 sizes"
row hp-8192 && set -- $R && expect_eq "${10} ${11}" "128K 64K" "hp-8192 sizes"
# Patterns, sorting, -N: the names in order.
order() {
	si "$@"
	lines
	O=""
	i=2
	while [ $i -le $NL ]; do
		eval "set -- \$L$i"
		O="$O $1"
		i=$((i + 1))
	done
}
order -B 'hp-[26]*' && expect_eq "$O" " hp-256 hp-64" "pattern"
order -S && expect_eq "$O" " hp-8192 hp-256 hp-64 hp-4096 hp-8" "-S"
order -L -i && expect_eq "$O" " hp-8 hp-4096 hp-64 hp-256 hp-8192" "-L -i"
order -A -N 3 && expect_eq "$O" " hp-256 hp-64 hp-8192" "-A -N 3"
rc=0
$SI nosuch >$out 2>$err || rc=$?
expect_eq "$rc/$(cat $err)" "1/$SI: no cache matches" "a pattern matching nothing"

# The per-node view: node events, then every cache on every node.
si -n -B
read -r first <$out
expect_eq "$first" "Nodes with memory: 0-2" "nodes with memory"
row Node events && expect_eq "$R" "Node events N0 N1 N2" "events header"
for e in adding_first_memory added_first_memory cancel_adding_first_memory \
	removing_last_memory removed_last_memory cancel_removing_last_memory; do
	f "" node_$e
	nv "$F" 0 && want="node_$e $V"
	nv "$F" 1 && want="$want $V"
	nv "$F" 2 && want="$want $V"
	row node_$e && expect_eq "$R" "$want" "$e"
done
row node_adding_first_memory && set -- $R && expect_eq "$3" 1 "node 1 onlined once"
row Cache Node && expect_eq "$R" \
	"Cache Node Mem Meta Objs Active Slabs Partial PartObjs Memory Wasted MAlloc MReuse MFree Metadata Fallbk Shrunk" \
	"per-node header"
row hp-256 0 && expect_eq "$R" "hp-256 0 yes yes 124 100 4 1 7 32768 7168 1 0 0 $M 0 0" "hp-256 node 0"
row hp-256 1 && expect_eq "$R" "hp-256 1 yes yes 0 0 0 0 0 0 0 1 0 0 $M 0 0" "hp-256 node 1"
row hp-64 2 && expect_eq "$R" "hp-64 2 yes yes 127 100 1 1 100 8192 1792 1 0 0 $M 0 0" "hp-64 node 2"
row hp-8192 2 && expect_eq "$R" "hp-8192 2 yes yes 14 8 2 1 1 131072 65536 1 0 0 $M 0 0" "hp-8192 node 2"
row hp-64 0 && expect_eq "$R" "hp-64 0 yes yes 0 0 0 0 0 0 0 1 0 0 $M 0 0" "hp-64 node 0"
count '^hp-' && expect_eq "$C" 15 "a row per cache and node"
for c in $caches; do
	for n in 0 1 2; do
		row $c $n && sysfs_node_row $c $n && expect_eq "$R" "$ROW" "$c node $n against sysfs"
	done
done

# Totals: per node (Caches: with metadata there) and in all (Stashed only there).
si -T -B
read -r first <$out
expect_eq "$first" "Totals: 5 caches; nodes with memory 0-2; page size $PAGE" "totals line"
row 0 && expect_eq "$R" "0 5 124 100 - 4 1 7 32768 7168 $((5 * M)) 0" "totals node 0"
row 1 && expect_eq "$R" "1 5 0 0 - 0 0 0 0 0 $((5 * M)) 0" "totals node 1"
row 2 && expect_eq "$R" "2 5 141 108 - 3 2 101 139264 67328 $((5 * M)) 0" "totals node 2"
row all && expect_eq "$R" "all 5 265 208 0 7 3 108 172032 74496 $((15 * M)) 0" "totals"

# JSON: every line against the files, and the known numbers for hp-64 and the totals.
si -j
lines
expect_eq "$NL" 10 "JSON lines (header, events, caches, totals)"
expect_eq "$L1" "{\"tool\":\"$SI\",\"version\":1,\"page_size\":$PAGE,\"nodes\":[0,1,2],\"memory_nodes\":[0,1,2]," "JSON header"
ev=""
for e in adding_first added_first cancel_adding_first removing_last removed_last cancel_removing_last; do
	f "" node_${e}_memory && json_pn "$F" && ev="$ev,\"node_${e}_memory\":$J"
done
expect_eq "$L2" "\"node_events\":{${ev#,}}," "JSON node events"
expect_eq "$L3" '"caches":[' "JSON caches"
i=4
for c in $caches; do
	sep=,
	[ $c = hp-8192 ] && sep=""
	sysfs_json $c
	eval "expect_eq \"\$L$i\" \"\$ROW\$sep\" \"JSON \$c against sysfs\""
	i=$((i + 1))
done
pn3="{\"total\":3,\"nodes\":{\"0\":1,\"1\":1,\"2\":1}}"
none='{"total":0,"nodes":{}}'
expect_eq "$L6" "{\"name\":\"hp-64\",\"objects\":{\"total\":100,\"nodes\":{\"2\":100}},\"total_objects\":{\"total\":127,\"nodes\":{\"2\":127}},\"slabs\":{\"total\":1,\"nodes\":{\"2\":1}},\"partial\":{\"total\":1,\"nodes\":{\"2\":1}},\"objects_partial\":{\"total\":100,\"nodes\":{\"2\":100}},\"object_size\":64,\"slab_size\":64,\"objs_per_slab\":127,\"order\":1,\"align\":8,\"metadata_nodes\":[0,1,2],\"metadata_allocs\":$pn3,\"metadata_reuses\":$none,\"metadata_frees\":$none,\"metadata_bytes\":{\"total\":$((3 * M)),\"nodes\":{\"0\":$M,\"1\":$M,\"2\":$M}},\"alloc_fallbacks\":$none,\"shrink_freed_slabs\":$none,\"cpu_stashed\":0,\"slab_bytes\":8192,\"memory_bytes\":{\"total\":8192,\"nodes\":{\"2\":8192}},\"wasted_bytes\":{\"total\":1792,\"nodes\":{\"2\":1792}}}," "JSON hp-64"
expect_eq "$L9" "]," "JSON end of caches"
n0="\"0\":{\"metadata_caches\":5,\"objects\":100,\"total_objects\":124,\"slabs\":4,\"partial\":1,\"objects_partial\":7,\"memory_bytes\":32768,\"wasted_bytes\":7168,\"metadata_bytes\":$((5 * M)),\"alloc_fallbacks\":0}"
n1="\"1\":{\"metadata_caches\":5,\"objects\":0,\"total_objects\":0,\"slabs\":0,\"partial\":0,\"objects_partial\":0,\"memory_bytes\":0,\"wasted_bytes\":0,\"metadata_bytes\":$((5 * M)),\"alloc_fallbacks\":0}"
n2="\"2\":{\"metadata_caches\":5,\"objects\":108,\"total_objects\":141,\"slabs\":3,\"partial\":2,\"objects_partial\":101,\"memory_bytes\":139264,\"wasted_bytes\":67328,\"metadata_bytes\":$((5 * M)),\"alloc_fallbacks\":0}"
expect_eq "$L10" "\"totals\":{\"caches\":5,\"objects\":208,\"total_objects\":265,\"cpu_stashed\":0,\"slabs\":7,\"partial\":3,\"objects_partial\":108,\"memory_bytes\":172032,\"wasted_bytes\":74496,\"metadata_bytes\":$((15 * M)),\"alloc_fallbacks\":0,\"nodes\":{$n0,$n1,$n2}}}" "JSON totals"

# Node 1 offline: its metadata is kept (Meta yes, Mem no); online again: reused.
offline_node 1
si -n -B hp-256
read -r first <$out
expect_eq "$first" "Nodes with memory: 0,2" "nodes with memory, node 1 offline"
row hp-256 1 && expect_eq "$R" "hp-256 1 no yes 0 0 0 0 0 0 0 1 0 0 $M 0 0" "hp-256 node 1 offline"
row node_removed_last_memory && set -- $R && expect_eq "$3" 1 "removed_last_memory on node 1"
online_node 1 online_movable
si -n -B hp-256
row hp-256 1 && expect_eq "$R" "hp-256 1 yes yes 0 0 0 0 0 0 0 1 1 0 $M 0 0" "hp-256 node 1 online again"
row node_adding_first_memory && set -- $R && expect_eq "$3" 2 "adding_first_memory on node 1"
# A request for node 1 falls back (counted there); the rows still match the files.
ctl alloc hp-4096 1 3
si -n -B hp-4096
row hp-4096 1 && set -- $R && expect_eq "${16}" 3 "hp-4096 fallbacks on node 1"
for n in 0 1 2; do
	row hp-4096 $n && sysfs_node_row hp-4096 $n && expect_eq "$R" "$ROW" "hp-4096 node $n"
done
si -B hp-4096
row hp-4096 && sysfs_row hp-4096 && expect_eq "$R" "$ROW" "hp-4096 row after the fallback"

# --- Watch mode, refreshed from a FIFO on standard input (no timing involved): a cache
# destroyed between two refreshes and one created are reported once; one destroyed and
# created again under its name is read through the files the tool keeps open, which read
# ENODEV: reported as vanished while read, and as a new cache; deltas are exact.
ctl create gone1 100 8
ctl alloc gone1 0 5 strict
ctl create again1 100 8
rm -f $fifo
mkfifo $fifo
$SI -w 3600 -c 3 -B <$fifo >$out 2>$err &
bg=$!
pids="$pids $bg"
exec 3>$fifo
wait_output '^== refresh 1 of 3, every 3600s$' "refresh 1"
ctl alloc hp-64 2 27 strict # fills its slab: Partial 1 -> 0
ctl destroy gone1
ctl create new1 200 8
ctl destroy again1
ctl create again1 300 8
echo >&3
wait_output '^== refresh 2 ' "refresh 2"
echo >&3
rc=0
wait $bg || rc=$?
exec 3>&-
expect_eq "$rc" 0 "watch exit status"
[ ! -s $err ] || fail "watch wrote to stderr: $(cat $err)"
count '^== refresh ' && expect_eq "$C" 3 "refreshes"
count '^Cache ' && expect_eq "$C" 3 "tables"
row Cache && expect_eq "$R" "Cache Objs Active dActive Active/s Slabs dSlabs Partial Memory dMemory Wasted Metadata dFallbk" "watch header"
row hp-64 && expect_eq "$R" "hp-64 127 100 - - 1 - 1 8192 - 1792 $((3 * M)) -" "hp-64, refresh 1"
row -2 hp-64 && set -- $R
expect_eq "$1 $2 $3 $4 $6 $7 $8 $9 ${10} ${11} ${12} ${13}" "hp-64 127 127 +27 1 +0 0 8192 +0 64 $((3 * M)) +0" "hp-64, refresh 2"
case $5 in *[!0-9.]* | .* | *.) fail "Active/s is no rate: $R" ;; esac
row -3 hp-64 && set -- $R && expect_eq "$1 $2 $3 $4 $5" "hp-64 127 127 +0 0.0" "hp-64, refresh 3"
row -2 gone1 && expect_eq "$R" "" "gone1 in refresh 1 only"
row new1 && set -- $R && expect_eq "$4 $5" "new new" "new1 in refresh 2"
row -2 new1 && set -- $R && expect_eq "$4 $5" "+0 0.0" "new1 in refresh 3"
row -2 again1 && set -- $R && expect_eq "$4 $5" "new new" "again1 (created again) in refresh 2"
row -3 again1 && set -- $R && expect_eq "$4 $5" "+0 0.0" "again1 in refresh 3"
expect_eq "$(grep -E '^[-+~] ' $out | tr '\n' '|')" \
	"+ again1: appeared|+ new1: appeared|- again1: vanished while being read (ENODEV: No such device)|- gone1: vanished|" \
	"changes reported once"

# Watch mode's JSON: one document per refresh, deltas and rates of the caches in both.
ctl destroy new1
ctl destroy again1
$SI -j -w 0 -c 2 hp-64 >$out 2>$err || fail "JSON watch: $(cat $err)"
count '^\{"tool":' && expect_eq "$C" 2 "JSON documents"
count '"refresh":1,"interval_s":0.000,"elapsed_s":null,' && expect_eq "$C" 1 "JSON refresh 1"
count '"refresh":2,"interval_s":0.000,"elapsed_s":[0-9]+\.[0-9]{6},' && expect_eq "$C" 1 "JSON refresh 2"
count '"new":false,"delta":null,"rate":null}$' && expect_eq "$C" 1 "refresh 1: no deltas"
count '"new":false,"delta":\{"objects":0,"total_objects":0,"slabs":0,"partial":0,"objects_partial":0,"metadata_allocs":0,"metadata_reuses":0,"metadata_frees":0,"metadata_bytes":0,"alloc_fallbacks":0,"shrink_freed_slabs":0,"cpu_stashed":0,"memory_bytes":0,"wasted_bytes":0\},"rate":\{"objects":0.000,' &&
	expect_eq "$C" 1 "refresh 2: deltas"
count '"appeared":\[\],"vanished":\[\]}$' && expect_eq "$C" 2 "JSON appeared/vanished"

# Totals in watch mode: the change and its rate.
si -T -B -w 0 -c 2 hp-64
row delta && expect_eq "$R" "delta 1 +0 +0 +0 +0 +0 +0 +0 +0 +0 +0" "totals delta"
row per_s && set -- $R && expect_eq "$1 $2 $3" "per_s 0.0 0.0" "totals rate"

# --- Caches created and destroyed while the tool refreshes as fast as it can: every refresh
# completes, what vanishes is reported (also between listing a cache and reading it), never
# an error.
rm -rf $STRESS && mkdir -p $STRESS
stress_churner churner si 0 &
pids="$pids $!"
rc=0
$SI -w 0 -c 60 -B >$out 2>$err || rc=$?
touch $STRESS/stop
wait
pids=""
# The churner really churned: caches were created and destroyed while the tool ran.
grep -c '^create ok$' $STRESS/churner.log >/tmp/si.n || true
[ "$(cat /tmp/si.n)" -ge 3 ] || fail "the churner created $(cat /tmp/si.n) caches: $(sort $STRESS/churner.log | uniq -c | tr '\n' ';')"
expect_eq "$rc" 0 "exit status under cache churn ($(cat $err))"
[ ! -s $err ] || fail "stderr under cache churn: $(cat $err)"
count '^== refresh ' && expect_eq "$C" 60 "refreshes under cache churn"
count '^\+ si[0-2]: appeared$' && appeared=$C
count '^- si[0-2]: vanished$' && gone=$C
count '^- si[0-2]: vanished while being read \(ENODEV: No such device\)$' && enodev=$C
count '^- si[0-2]: vanished while being read \(ENOENT: No such file or directory\)$' && enoent=$C
count '^~ si[0-2]: left out, being created \(no [a-z_]+ yet\)$' && creating=$C
diag "under churn: $appeared appeared, $gone vanished between refreshes, $enodev/$enoent while read (ENODEV/ENOENT), $creating being created"
[ "$appeared" -gt 0 ] && [ $((gone + enodev + enoent)) -gt 0 ] || fail "the churn was not seen"
expect_eq "$(grep -Ev '^(== refresh |Cache |hp-|si[0-2] |[-+~] si[0-2]: )' $out | head -n3)" "" "unexpected lines"
for t in si0 si1 si2; do try_write "$RSH_CTL" "destroy $t" >/dev/null; done

# --- The module unloaded while the tool watches: between two refreshes (deterministic: its
# open files then read ENODEV), also when loaded again before the next refresh (a new
# instance is not the one watched), then at random points of a refresh loop.
for reload in no yes; do
	is_loaded || rsh_load
	rm -f $fifo
	mkfifo $fifo
	$SI -w 3600 -c 5 <$fifo >$out 2>$err &
	bg=$!
	pids="$pids $bg"
	exec 3>$fifo
	wait_output '^== refresh 1 ' "refresh 1"
	rsh_unload
	[ $reload = no ] || rsh_load
	echo >&3
	rc=0
	wait $bg || rc=$?
	exec 3>&-
	pids=""
	expect_eq "$rc/$(cat $err)" "3/$SI: rust_slab_hp was unloaded ($RSH_SYS is gone)" "after rmmod (reload: $reload)"
	count '^== refresh ' && expect_eq "$C" 1 "no refresh after rmmod (reload: $reload)"
done
rsh_unload
for i in 1 2 3 4; do
	rsh_load
	$SI -w 0 -N 1 >$out 2>$err &
	bg=$!
	pids=$bg
	wait_output '^== refresh ' "a refresh ($i)"
	rsh_unload
	rc=0
	wait $bg || rc=$?
	pids=""
	expect_eq "$rc/$(cat $err)" "3/$SI: rust_slab_hp was unloaded ($RSH_SYS is gone)" "rmmod during refreshes ($i)"
done
