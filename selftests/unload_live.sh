# Unloading with live objects in every cache frees everything: a kmemleak scan finds
# nothing, and no sysfs or debugfs entry is left.
. /selftests/lib.sh
have_kmemleak
rsh_load
online_node 1 online_movable
ctl create extra 1000 8
for c in hp-8 hp-64 hp-256 hp-4096 hp-8192 extra; do
	ctl alloc $c 0 300
	ctl alloc $c 1 7
	ctl alloc $c any 11
done
ctl verify
rsh_unload
[ ! -e "$RSH_SYS" ] || fail "$RSH_SYS left behind"
[ ! -e "$RSH_DBG" ] || fail "$RSH_DBG left behind"
dmesg | grep -q "objects still allocated at cache destruction" && fail "slabs leaked at unload"
kmemleak_scan
