# Statistics are world-readable and show no kernel address; the control file refuses writes
# from a non-root user: by debugfs' mode, by the file's mode, and by the module's own
# CAP_SYS_ADMIN check when both are opened up.
. /selftests/lib.sh
rsh_load
as_nobody() { su -s /bin/sh nobody -c "$1" 2>&1; }
expect_eq "$(as_nobody 'id -u')" 65534 "uid of the unprivileged user"
for c in hp-8 hp-8192; do
	for f in "$RSH_SYS/$c"/*; do
		as_nobody "cat $f" >/dev/null || fail "nobody cannot read $f"
	done
done
as_nobody "cat $RSH_SYS/node_adding_first_memory" >/dev/null || fail "nobody cannot read the event counters"
if cat "$RSH_SYS"/*/* "$RSH_SYS"/node_* | grep -Eiq '0x[0-9a-f]{6,}|ffff[0-9a-f]{8,}'; then
	fail "statistics show something like an address"
fi
ctl_as_nobody() { as_nobody "echo 'alloc hp-8 0 1' > $RSH_CTL" | sed 's/.*: //'; }
expect_eq "$(ctl_as_nobody)" "Permission denied" "write through the 0700 debugfs mount"
mount -o remount,mode=0755 /sys/kernel/debug
expect_eq "$(ctl_as_nobody)" "Permission denied" "write to the 0600 control file"
chmod 0666 "$RSH_CTL"
expect_eq "$(ctl_as_nobody)" "Operation not permitted" "write without CAP_SYS_ADMIN"
expect_eq "$(stat hp-8 objects)" 0 "objects after the refused writes"
chmod 0600 "$RSH_CTL"
mount -o remount,mode=0700 /sys/kernel/debug
rsh_unload
