# A bad caches= value makes insmod fail with EINVAL, says why in dmesg, and leaves nothing;
# a good custom value creates exactly the caches it names.
. /selftests/lib.sh
for bad in "x" "a:8" "a:8:8:8" "a:7:8" "a:8:3" "a:40000:8" "a:8:8192" "a:8:8,a:16:8" \
	"a/b:8:8" ".a:8:8" "a:-8:8" "a:08x:8" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:8:8"; do
	dmesg -c >/dev/null
	if out=$(insmod "$RSH_KO" "caches=$bad" 2>&1); then
		fail "insmod caches=$bad succeeded"
	fi
	case $out in *"Invalid argument"* | *"Invalid parameters"*) ;; *) fail "caches=$bad: '$out'" ;; esac
	dmesg | grep -q "rust_slab_hp: caches=: \|rust_slab_hp: parameter value too long" ||
		fail "caches=$bad: no explanation in dmesg"
	is_loaded && fail "caches=$bad: module loaded"
	[ ! -e "$RSH_SYS" ] || fail "caches=$bad: $RSH_SYS exists"
done
rsh_load "caches=small:24:8,big:20000:4096"
expect_eq "$(ls "$RSH_SYS" | grep -v node_ | grep -v memory_nodes | tr '\n' ' ')" "big small " "caches"
expect_eq "$(stat small object_size)" 24 "small object_size"
expect_eq "$(stat big align)" 4096 "big align"
rsh_unload
