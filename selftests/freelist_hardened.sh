# CONFIG_SLAB_FREELIST_HARDENED: free pointers are stored encoded and checked before they are
# followed. A use-after-free write puts a live object's address (unencoded, as an attacker
# without the key would) over a free object's free pointer; the next allocations reach it.
# The kernel log gets exactly one line, no stack trace; the rest of that slab's freelist is
# abandoned, not followed; the live object is never handed out a second time (verify checks
# every kept object's pattern and that no two share an address); the counters stay exact,
# with the abandoned objects counted as in use until their slab goes back.
. /selftests/lib.sh
log() { dmesg | sed 's/^\[[ 0-9.]*\] //'; }
rsh_load
grep -qx 'freelist_hardened=1' "$RSH_DBG/hardening" ||
	skip "kernel without CONFIG_SLAB_FREELIST_HARDENED"
c=fp-256
ctl create $c 256 8
expect_eq "$(stat $c objs_per_slab)" 31 "objects per slab"
ctl alloc $c any 1
dmesg -c >/dev/null
# One object allocated and freed in the kept object's slab: it heads the freelist, and its
# free pointer now holds the kept object's address.
ctl corrupt_freeptr $c
expect_eq "$(log)" "rust_slab_hp: $c: free pointer of a free object overwritten (test only)" \
	"log after the corruption"
dmesg -c >/dev/null
# The first allocation takes the corrupted object itself (a free object, fine to hand out)
# and finds its free pointer bad: 31 - 2 objects abandoned. The other 39 come from two new
# slabs (31 + 8).
ctl alloc $c any 40
expect_eq "$(log)" \
	"rust_slab_hp: corrupted free pointer in a slab on node 0: 29 free objects abandoned, none followed" \
	"kernel log after allocating past the corruption"
dmesg -c >/dev/null
ctl verify $c
expect_eq "$(grep "^$c " "$RSH_DBG/objects")" "$c 41 N0=41" "kept objects"
expect_eq "$(stat $c objects)" "70 N0=70" "objects (41 allocated, 29 abandoned)"
expect_eq "$(stat $c slabs)" "3 N0=3" "slabs"
expect_eq "$(stat $c objects_partial)" "8 N0=8" "objects_partial"
# The damaged slab keeps working for the objects it still has; once they are all back it is
# empty again, and goes back to the page allocator like any other.
ctl free $c any all
expect_eq "$(stat $c objects)" "29 N0=29" "objects after freeing all (the abandoned ones)"
ctl shrink $c
expect_eq "$(stat $c slabs)" 0 "slabs after shrink"
expect_eq "$(stat $c objects)" 0 "objects after shrink"
expect_eq "$(stat $c objects_partial)" 0 "objects_partial after shrink"
ctl alloc $c any 62
ctl verify $c
ctl destroy $c
expect_eq "$(log)" "rust_slab_hp: verify: 41 objects checked, 0 bad
rust_slab_hp: verify: 62 objects checked, 0 bad" "kernel log: no second report"
rsh_unload
