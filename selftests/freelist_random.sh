# CONFIG_SLAB_FREELIST_RANDOM: a fresh slab hands its objects out in the cache's random order,
# not in address order. One new slab of 127 objects of a new cache, allocated in full: their
# indexes in the slab, in the order they came, are exactly a permutation of 0..126, with an
# ascent count (i with slot[i+1] > slot[i]) far from address order's 126 (or a rotation of
# it, 125).
#
# The bound is fixed and two-sided: the test fails with 90 or more ascents, or 36 or fewer.
# Over a uniformly random permutation of 127 (a random rotation of one is as random) the
# ascent count is Eulerian: mean 63, standard deviation 3.27, and P(>= 90) = P(<= 36) =
# 2.8e-17 (the sum of A(127, k) for k >= 90, over 127!), so a correct implementation fails
# this test with probability below 6e-17.
. /selftests/lib.sh
rsh_load
grep -qx 'freelist_random=1' "$RSH_DBG/hardening" ||
	skip "kernel without CONFIG_SLAB_FREELIST_RANDOM"
c=rnd-64
ctl create $c 64 8
expect_eq "$(stat $c objs_per_slab)" 127 "objects per slab"
ctl alloc $c any 127
expect_eq "$(stat $c slabs)" "1 N0=1" "slabs"
slots=$(grep "^$c " "$RSH_DBG/object_slots")
slots=${slots#"$c "}
expect_eq "$(echo "$slots" | tr ' ' '\n' | sort -n | tr '\n' ' ')" \
	"$(seq 0 126 | tr '\n' ' ')" "the slots of one slab, sorted"
ascents=$(echo "$slots" | awk '{ a = 0; for (i = 1; i < NF; i++) if ($(i + 1) > $i) a++; print a }')
diag "handed-out order: $ascents ascents of 126 (address order: 126)"
[ "$ascents" -lt 90 ] || fail "$ascents ascents: close to address order"
[ "$ascents" -gt 36 ] || fail "$ascents ascents: close to reverse address order"
ctl verify $c
ctl destroy $c
rsh_unload
