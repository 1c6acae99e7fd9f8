# Bad input no other test tries, each refused with a clear error, changing nothing, and leaving
# nothing in the kernel log but its one-line reason (and, for a refused insmod, the module
# loader's own "`<value>' invalid for parameter `caches'" line):
# - cache names equal to the files of /sys/kernel/rust_slab_hp/ itself (memory_nodes,
#   node_adding_first_memory, ...), at create and in caches= (sysfs would print "cannot create
#   duplicate filename" and a stack trace);
# - caches= with 17 entries (16 are accepted), of 512 bytes (511 are accepted), of only commas,
#   empty, or with an empty entry;
# - writes to the read-only debugfs files objects, bench, timings, object_slots and hardening;
# - the control file held open across rmmod.
. /selftests/lib.sh
# log: the kernel log since the last `dmesg -c`, without timestamps.
log() { dmesg | sed 's/^\[[ 0-9.]*\] //'; }
snapshot() { cat "$RSH_SYS"/*/* "$RSH_SYS"/node_* "$RSH_SYS"/memory_nodes "$RSH_DBG/objects"; ls -l "$RSH_SYS"; }
# refused_load <caches= value> <reason>: insmod fails with EINVAL and leaves nothing; the log
# has the reason and the loader's line, nothing else. busybox insmod tries finit_module(), then
# init_module(): each attempt logs the pair.
refused_load() {
	dmesg -c >/dev/null
	if out=$(insmod "$RSH_KO" "caches=$1" 2>&1); then fail "insmod caches=$1 succeeded"; fi
	case $out in *"Invalid argument"* | *"Invalid parameters"*) ;; *) fail "insmod caches=$1: '$out'" ;; esac
	! is_loaded || fail "caches=$1: module loaded"
	[ ! -e "$RSH_SYS" ] || fail "caches=$1: $RSH_SYS exists"
	pair="rust_slab_hp: $2
rust_slab_hp: \`$1' invalid for parameter \`caches'"
	case $(log) in
	"$pair" | "$pair
$pair") ;;
	*) fail "kernel log after insmod caches=$1: expected '$pair' (once or twice), got '$(log)'" ;;
	esac
}
# accepted_load <caches= value> <number of caches>
accepted_load() {
	rsh_load "caches=$1"
	expect_eq "$(ls -d "$RSH_SYS"/*/ | wc -l)" "$2" "caches of caches=$1"
	rsh_unload
}
# refused_write <file> <text> <error text>: the write fails so, nothing changes, nothing is
# logged.
refused_write() {
	before=$(snapshot)
	dmesg -c >/dev/null
	expect_eq "$(try_write "$1" "$2")" "$3" "write '$2' to $1"
	expect_eq "$(snapshot)" "$before" "state after writing '$2' to $1"
	expect_eq "$(log)" "" "kernel log after writing '$2' to $1"
}

# The top-level files, as the module makes them.
rsh_load
roots=$(for f in "$RSH_SYS"/*; do [ -f "$f" ] && echo "${f##*/}"; done)
expect_eq "$(echo $roots)" "memory_nodes node_added_first_memory node_adding_first_memory node_cancel_adding_first_memory node_cancel_removing_last_memory node_removed_last_memory node_removing_last_memory" "top-level files"
ctl alloc hp-64 0 3
for r in $roots; do
	refused_write "$RSH_CTL" "create $r 64 8" "Invalid argument"
	[ -f "$RSH_SYS/$r" ] || fail "$r is no longer a file"
done
# A cache may still be called like a cache's own file, which lives one level down.
ctl create objects 64 8
[ -d "$RSH_SYS/objects" ] || fail "no directory for cache 'objects'"
ctl destroy objects

# The debugfs files other than control are read-only (0400): root can open them for writing,
# and the write is refused (EINVAL, as the VFS refuses a write to a file without write).
for f in objects bench timings object_slots hardening; do
	expect_eq "$(ls -l "$RSH_DBG/$f" | cut -c1-10)" "-r--------" "$f mode"
	refused_write "$RSH_DBG/$f" "create x 64 8" "Invalid argument"
	refused_write "$RSH_DBG/$f" "free hp-64 any all" "Invalid argument"
done

# The control file open across rmmod: the open file holds a reference on the module, so rmmod
# is refused (EWOULDBLOCK: busybox rmmod does not wait) and changes nothing; the file still
# works; once it is closed, rmmod succeeds.
exec 3>"$RSH_CTL"
before=$(snapshot)
dmesg -c >/dev/null
if out=$(rmmod rust_slab_hp 2>&1); then fail "rmmod succeeded with the control file open"; fi
case $out in *"Resource temporarily unavailable"* | *"Device or resource busy"*) ;; *) fail "rmmod: '$out'" ;; esac
is_loaded || fail "module unloaded with the control file open"
expect_eq "$(snapshot)" "$before" "state after the refused rmmod"
expect_eq "$(log)" "" "kernel log after the refused rmmod"
echo "alloc hp-64 0 2" >&3 || fail "write through the control file kept open across rmmod"
expect_eq "$(stat hp-64 objects)" "5 N0=5" "objects after a write through the kept file"
exec 3>&-
dmesg -c >/dev/null
rsh_unload
expect_eq "$(log)" "rust_slab_hp: unloading" "kernel log of the unload"
[ ! -e "$RSH_DBG" ] || fail "$RSH_DBG left behind"

# caches= naming a top-level file (a name longer than a cache name may be, 31 characters, is
# already refused as such), and one after a good entry.
for r in $roots; do
	why="caches=: '$r' is the name of a file in /sys/kernel/rust_slab_hp/"
	[ ${#r} -le 31 ] || why="caches=: bad entry '$r:64:8' (want name:size:align[:FZP], size 8..=32768, align a power of two up to PAGE_SIZE, debug flags F, Z, P once each)"
	refused_load "$r:64:8" "$why"
done
refused_load "ok:64:8,memory_nodes:64:8" "caches=: 'memory_nodes' is the name of a file in /sys/kernel/rust_slab_hp/"
# Debug flags: F, Z and P, once each; nothing else, and nothing after them.
for v in "d:64:8:FF" "d:64:8:X" "d:64:8:" "d:64:8:FZP:1"; do
	refused_load "$v" "caches=: bad entry '$v' (want name:size:align[:FZP], size 8..=32768, align a power of two up to PAGE_SIZE, debug flags F, Z, P once each)"
done
# 16 caches are the most, 17 are refused.
spec=""
for i in $(seq 0 15); do spec="${spec}c$i:64:8,"; done
accepted_load "${spec%,}" 16
refused_load "${spec}c16:64:8" "caches=: more than 16 caches"
# 511 bytes are the most (the parameter's buffer is 512 with its NUL): 14 entries of 35 bytes,
# each with its comma, make 504; a last entry of 7 bytes makes 511, one of 8 makes 512.
spec=""
for i in $(seq 10 23); do spec="${spec}n${i}aaaaaaaaaaaaaaaaaaaaaaaaaaaa:8:8,"; done
expect_eq "${#spec}" 504 "length of 14 entries with their commas"
accepted_load "${spec}z:64:64" 15
refused_load "${spec}zz:64:64" "parameter value too long (512 bytes, at most 511)"
# Empty entries: only commas, nothing, a trailing or a doubled comma.
for v in "," "" "a:64:8," "a:64:8,,b:64:8"; do
	refused_load "$v" "caches=: empty entry (want name:size:align[:FZP][,...])"
done
