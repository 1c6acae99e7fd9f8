# Pointers given back to a cache that are not its allocated objects, through the raw-pointer
# free (Cache::free_raw, the counterpart of C's kmem_cache_free()): each refused with EINVAL
# and reported in exactly one line, no stack trace, and nothing corrupted: the counters are
# exact after each, and the objects allocated afterwards are distinct and intact.
# - double: an object freed twice in a row (SLUB's "double free or corruption" check against
#   the freelist head);
# - wild (a non-canonical address), stack, kmalloc (another allocator's memory), other (an
#   object of another cache), released (an object whose slab went back to the page
#   allocator): the ownership check, which reads only their struct page (virt_addr_valid(),
#   page->private), never the memory they point to;
# - interior (an object's address plus one), header (the start of an object's slab): in a slab
#   of the cache, not at an object boundary.
. /selftests/lib.sh
log() { dmesg | sed 's/^\[[ 0-9.]*\] //'; }
rsh_load
c=bf-128
ctl create $c 128 8
per=$(stat $c objs_per_slab)
# refused <kind> <reason>: the bad free fails with EINVAL, logs its one line, changes no
# counter.
refused() {
	before=$(cat "$RSH_SYS/$c/objects" "$RSH_SYS/$c/slabs" "$RSH_SYS/hp-64/objects")
	dmesg -c >/dev/null
	ctl_err "Invalid argument" "bad_free $c $1"
	expect_eq "$(log)" "rust_slab_hp: $c: $2: free refused" "kernel log after bad_free $1"
	expect_eq "$(cat "$RSH_SYS/$c/objects" "$RSH_SYS/$c/slabs" "$RSH_SYS/hp-64/objects")" \
		"$before" "counters after bad_free $1"
}
# A fresh cache's only slab, alone: released needs the victim's slab to go back.
refused released "invalid free: not an object of this cache"
ctl alloc $c any 3
refused double "double free or corruption"
refused wild "invalid free: not an object of this cache"
refused stack "invalid free: not an object of this cache"
refused kmalloc "invalid free: not an object of this cache"
refused other "invalid free: not an object of this cache"
refused interior "invalid free: not at an object boundary"
refused header "invalid free: not at an object boundary"
# Nothing corrupted: a slab and a half more, every object distinct and intact; the double
# free's object was freed once, so it is handed out once.
ctl alloc $c any $((per + per / 2))
expect_eq "$(stat $c objects)" "$((3 + per + per / 2)) N0=$((3 + per + per / 2))" "objects"
ctl verify $c
ctl free $c any all
expect_eq "$(stat $c objects)" 0 "objects after freeing all"
ctl destroy $c
rsh_unload
