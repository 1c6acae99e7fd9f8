# The kernel's tools/testing/selftests/memory-hotplug/mem-on-off-test.sh, unmodified, from the
# same kernel source, run with bash while rust_slab_hp holds objects on every node.
. /selftests/lib.sh
is_loaded || fail "rust_slab_hp is not loaded"
# The script skips its error-injection half quietly if it cannot load the injector.
modprobe memory-notifier-error-inject || fail "memory-notifier-error-inject cannot be loaded"
modprobe -r memory-notifier-error-inject
rc=0
bash /selftests/upstream/mem-on-off-test.sh || rc=$?
echo "mem-on-off-test.sh exit status: $rc"
[ "$rc" = 0 ] || fail "mem-on-off-test.sh failed"
