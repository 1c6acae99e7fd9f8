# Malformed or out-of-range control input gets the documented error and changes nothing.
. /selftests/lib.sh
rsh_load
ctl alloc hp-64 0 5
snapshot() { cat "$RSH_SYS"/*/* "$RSH_SYS"/node_* "$RSH_DBG/objects"; ls "$RSH_SYS"; }
before=$(snapshot)
long=$(printf '%0300d' 0)
while IFS= read -r cmd; do
	ctl_err "Invalid argument" "$cmd"
done <<EOC

bogus
alloc
alloc hp-64
alloc hp-64 0
alloc nosuch 0 1
alloc hp-64 99 1
alloc hp-64 -1 1
alloc hp-64 0 0
alloc hp-64 0 65537
alloc hp-64 0 99999999999999999999
alloc hp-64 0 1x
alloc hp-64 any 1 strict
alloc hp-64 0 1 strictly
alloc hp-64 0 1 strict extra
free hp-64 0 6
free hp-64 0 0
free hp-8 0 1
free nosuch any all
create x 7 8
create x 8 3
create x 40000 8
create bad/name 8 8
create .x 8 8
create x 8
create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 8 8
destroy nosuch
destroy
shrink nosuch
verify nosuch
verify hp-64 hp-8
hold_event
hold_event 10001
hold_event -1
hold_event 1 2
locked_read
locked_read nosuch
locked_read hp-64 hp-8
$long
EOC
ctl_err "Invalid argument" "alloc	hp-64 0 1"
expect_eq "$(snapshot)" "$before" "state after rejected commands"
ctl_err "File exists" "create hp-8 8 8"
ctl create t1 100 8
[ -d "$RSH_SYS/t1" ] || fail "t1 has no sysfs directory"
expect_eq "$(stat t1 object_size)" 100 "t1 object_size"
ctl alloc t1 0 3
ctl destroy t1
[ ! -e "$RSH_SYS/t1" ] || fail "t1 directory left behind"
ctl_err "Invalid argument" "alloc t1 0 1"
expect_eq "$(snapshot)" "$before" "state after create/destroy"
rsh_unload
