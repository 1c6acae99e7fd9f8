# A cache's debug mode, slub_debug=FZP, chosen at create ("create <name> <size> <align> FZP")
# and off by default: red zones (Z) catch an overrun and an underrun when the object is freed,
# and are restored; poisoning (P) catches a write into a freed object before it is handed out
# again, and the object is quarantined instead (counted as in use until its slab is empty);
# consistency checks (F) catch a double free that is not its slab's freelist head. The same
# writes to a cache without the debug mode go unnoticed: the neighbour's bytes change, the
# written object is handed out again. Each finding is one line in the kernel log, never a stack
# trace, and the counters stay exact. Object indices are random (freelist randomisation):
# masked in the expected lines.
. /selftests/lib.sh
log() { dmesg | sed -e 's/^\[[ 0-9.]*\] //' -e 's/object [0-9]* of a slab/object <i> of a slab/'; }
# Saved by /init at boot: whether init_on_alloc zeroes what a plain cache hands out.
case $(grep -m1 'mem auto-init:' /tmp/boot.dmesg || true) in
*"heap alloc:on"*) plain_uaf="handed out again, the write wiped" ;;
*"heap alloc:off"*) plain_uaf="handed out again, with the write" ;;
*) fail "cannot read init_on_alloc from the boot log" ;;
esac
rsh_load
ctl create plain 64 8
ctl create dbg 64 8 FZP
ctl create zonly 64 8 Z
# The layouts: a plain 64-byte object takes 64 bytes. FZP: a word of red zone before it, one
# after it, then the free pointer: 88 bytes, 45 per order-0 slab against SLUB's 46 for an
# 88-byte object, so order 1 with 92. Z alone has the same slot.
for c in plain dbg zonly; do
	case $c in
	plain) want="64 127 1 0 0 0" ;;
	dbg) want="88 92 1 1 1 1" ;;
	zonly) want="88 92 1 0 1 0" ;;
	esac
	expect_eq "$(stat $c slab_size) $(stat $c objs_per_slab) $(stat $c order) $(stat $c sanity_checks) $(stat $c red_zone) $(stat $c poison)" \
		"$want" "$c: slab_size objs_per_slab order sanity_checks red_zone poison"
done
# Flags are checked as the rest of the spec is.
for bad in "x 64 8 FF" "x 64 8 FX" "x 64 8 fzpf" "x 64 8 -"; do
	ctl_err "Invalid argument" create $bad
done
ctl create lower 64 8 fzp
expect_eq "$(stat lower sanity_checks)$(stat lower red_zone)$(stat lower poison)" 111 "lower-case flags"
ctl destroy lower

# Every API works through the checks with nothing to report: kept objects (slow and CPU
# paths), node-exact ones, and the churner's fast-path loop.
dmesg -c >/dev/null
ctl alloc dbg any 200
ctl alloc dbg cpu 50
ctl alloc dbg 0 20 strict
ctl verify dbg
ctl churn dbg 2000
ctl free dbg any all
expect_eq "$(stat dbg objects)" 0 "dbg objects after freeing all"
expect_eq "$(stat dbg cpu_stashed)" 0 "dbg cpu_stashed: debug caches bypass the stashes"
expect_eq "$(log)" "rust_slab_hp: verify: 270 objects checked, 0 bad" "kernel log of clean use"
dmesg -c >/dev/null

# Overrun and underrun: the plain cache hands the write to the neighbour, silently.
ctl debugcheck plain overrun 1
ctl debugcheck plain underrun 8
expect_eq "$(log)" "rust_slab_hp: debugcheck: plain: 1 bytes written past an object, which was then freed: 1 bytes of its neighbour changed
rust_slab_hp: debugcheck: plain: 8 bytes written before an object, which was then freed: 8 bytes of its neighbour changed" \
	"kernel log of the plain cache's overrun and underrun"
dmesg -c >/dev/null
for c in dbg zonly; do
	ctl debugcheck $c overrun 1
	ctl debugcheck $c overrun 8
	ctl debugcheck $c underrun 8
	expect_eq "$(log)" "rust_slab_hp: $c: right red zone overwritten (overrun): object <i> of a slab on node 0, bytes 64..65 from its start, first 0x41 instead of 0xcc; restored
rust_slab_hp: debugcheck: $c: 1 bytes written past an object, which was then freed: 0 bytes of its neighbour changed
rust_slab_hp: $c: right red zone overwritten (overrun): object <i> of a slab on node 0, bytes 64..72 from its start, first 0x41 instead of 0xcc; restored
rust_slab_hp: debugcheck: $c: 8 bytes written past an object, which was then freed: 0 bytes of its neighbour changed
rust_slab_hp: $c: left red zone overwritten (underrun): object <i> of a slab on node 0, bytes -8..0 from its start, first 0x41 instead of 0xcc; restored
rust_slab_hp: debugcheck: $c: 8 bytes written before an object, which was then freed: 0 bytes of its neighbour changed" \
		"kernel log of $c's overrun and underrun"
	dmesg -c >/dev/null
	# The red zones were restored: the objects work on without another report.
	ctl alloc $c any 300
	ctl free $c any all
	expect_eq "$(stat $c objects)" 0 "$c objects after the overruns"
	expect_eq "$(log)" "" "kernel log of $c after the overruns"
done

# Use after free: a byte written into a freed object. The plain cache hands it out again; the
# poisoned one finds the write before it would, reports it and quarantines the object, which
# stays counted as in use until its slab is empty, then goes back with it. Each cache is
# shrunk first, so that the written object's slab is the only one to allocate from.
ctl shrink plain
ctl shrink dbg
ctl shrink zonly
ctl debugcheck plain uaf
expect_eq "$(log)" "rust_slab_hp: debugcheck: plain: a byte written into a freed object; among the next 127 allocations: $plain_uaf" \
	"kernel log of the plain cache's use after free"
dmesg -c >/dev/null
ctl debugcheck dbg uaf
expect_eq "$(log)" "rust_slab_hp: dbg: poison overwritten (use after free): object <i> of a slab on node 0, bytes 63..64 from its start, first 0x41 instead of 0xa5; object quarantined
rust_slab_hp: debugcheck: dbg: a byte written into a freed object; among the next 92 allocations: not handed out" \
	"kernel log of dbg's use after free"
dmesg -c >/dev/null
expect_eq "$(stat dbg objects)" "1 N0=1" "dbg objects: the quarantined one"
ctl shrink dbg
expect_eq "$(stat dbg objects) $(stat dbg slabs)" "0 0" "dbg objects and slabs after shrink"
# Z alone does not poison: the write goes unnoticed there too, as in SLUB.
ctl debugcheck zonly uaf
expect_eq "$(log)" "rust_slab_hp: debugcheck: zonly: a byte written into a freed object; among the next 92 allocations: $plain_uaf" \
	"kernel log of zonly's use after free"
dmesg -c >/dev/null

# A double free of an object that is not its slab's freelist head: F walks the whole freelist
# and refuses it; a cache without F cannot tell, so the control refuses to try.
ctl_err "Invalid argument" bad_free dbg older
expect_eq "$(log)" "rust_slab_hp: dbg: double free or corruption: free refused" "kernel log of the older double free"
dmesg -c >/dev/null
ctl_err "Operation not supported" bad_free plain older
ctl_err "Operation not supported" bad_free zonly older
expect_eq "$(log)" "" "kernel log of the refused controls"
# The other bad frees are caught as on any cache.
ctl_err "Invalid argument" bad_free dbg double
ctl_err "Invalid argument" bad_free dbg interior
expect_eq "$(log)" "rust_slab_hp: dbg: double free or corruption: free refused
rust_slab_hp: dbg: invalid free: not at an object boundary: free refused" "kernel log of dbg's bad frees"
dmesg -c >/dev/null

for c in plain dbg zonly; do
	ctl shrink $c
	expect_eq "$(stat $c objects) $(stat $c slabs)" "0 0" "$c objects and slabs at the end"
	ctl destroy $c
done
expect_eq "$(log)" "" "kernel log at the end"
rsh_unload

# Chosen at load, through caches=, as at create.
rsh_load caches=plain:64:8,dz:128:16:zp
dmesg -c >/dev/null
expect_eq "$(stat plain red_zone)$(stat dz sanity_checks)$(stat dz red_zone)$(stat dz poison)" 0011 \
	"caches=: plain red_zone, dz sanity_checks red_zone poison"
expect_eq "$(stat dz slab_size)" 160 "dz slab_size (16 + 128 + 8 + 8, aligned to 16)"
ctl debugcheck dz overrun 2
expect_eq "$(log)" "rust_slab_hp: dz: right red zone overwritten (overrun): object <i> of a slab on node 0, bytes 128..130 from its start, first 0x41 instead of 0xcc; restored
rust_slab_hp: debugcheck: dz: 2 bytes written past an object, which was then freed: 0 bytes of its neighbour changed" \
	"kernel log of dz's overrun"
rsh_unload
