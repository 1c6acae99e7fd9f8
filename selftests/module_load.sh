# The module loads, creates its default caches with sysfs and debugfs entries, unloads
# cleanly and leaves nothing behind.
. /selftests/lib.sh
rsh_load
is_loaded || fail "not in /proc/modules after insmod"
expect_eq "$(ls "$RSH_SYS" | grep '^hp-' | tr '\n' ' ')" "hp-256 hp-4096 hp-64 hp-8 hp-8192 " "cache directories"
[ -w "$RSH_CTL" ] || fail "no debugfs control file"
dmesg | grep -q "rust_slab_hp: loaded: 5 caches" || fail "no load message in dmesg"
rsh_unload
[ ! -e "$RSH_SYS" ] || fail "$RSH_SYS left behind"
[ ! -e "$RSH_DBG" ] || fail "$RSH_DBG left behind"
is_loaded && fail "still loaded"
# And again: nothing from the first instance gets in the way.
rsh_load
rsh_unload
[ ! -e "$RSH_SYS" ] || fail "$RSH_SYS left behind after the second unload"
