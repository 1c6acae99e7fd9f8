#!/bin/bash
# Builds the test VM's initramfs: static busybox, the module, the selftests and the
# kernel's own modules and scripts the tests use.
# Usage: initramfs.sh <out.cpio> <kdir> <suite file> <suite name>
set -eu
. "$(dirname "$0")/lib.sh"
out=$1 kdir=$2 suite_file=$3 suite=$4
root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,etc,proc,sys,tmp,lib/modules,selftests}
# An unprivileged user for the permission tests.
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/rust_slab_hp.ko" "$root/lib/modules/"
# The kernel's own modules the tests load with modprobe (the VM's init runs depmod).
release=$(cat "$kdir/include/config/kernel.release")
mkdir -p "$root/lib/modules/$release/kernel"
# -H: the build directory may be a symlink (a worktree sharing the harness kernel).
find -H "$kdir" -name memory-notifier-error-inject.ko -exec cp {} "$root/lib/modules/$release/kernel/" \;
cp -r "$TOP"/selftests/* "$root/selftests/"
rm -f "$root"/selftests/*.c
# The kernel's memory-hotplug selftest, unmodified, from the same source, and the bash it needs.
mkdir -p "$root/selftests/upstream"
cp "$kdir/source/tools/testing/selftests/memory-hotplug/mem-on-off-test.sh" "$root/selftests/upstream/"
cp /bin/bash-static "$root/bin/bash"
# The control fuzzer and the statistics reader, static: the initramfs has no C library.
for c in fuzz_control stat_reader; do
	gcc -static -O2 -Wall -Werror -o "$root/selftests/$c" "$TOP/selftests/$c.c"
done
mv "$root/selftests/init" "$root/init"
cp "$suite_file" "$root/selftests/suites/$suite"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
