#!/bin/bash
# Builds the test VM's initramfs: static busybox, the module, the selftests and the
# kernel's own modules and scripts the tests use.
# Usage: initramfs.sh <out.cpio> <kdir> <suite file> <suite name>
set -eu
. "$(dirname "$0")/lib.sh"
out=$1 kdir=$2 suite_file=$3 suite=$4
root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules,selftests}
cp /bin/busybox "$root/bin/busybox"
cp "$TOP/rust_slab_hp.ko" "$root/lib/modules/"
# The kernel's memory notifier error injector, when this kernel has it.
find "$kdir" -name memory-notifier-error-inject.ko -exec cp {} "$root/lib/modules/" \;
cp -r "$TOP"/selftests/* "$root/selftests/"
mv "$root/selftests/init" "$root/init"
cp "$suite_file" "$root/selftests/suites/$suite"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
