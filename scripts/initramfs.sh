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
# The production build, where `make test` built one for this kernel (production_module).
if [ -f "$BUILD/ko/$KERNEL/rust_slab_hp.ko" ]; then
	mkdir -p "$root/lib/modules/production"
	cp "$BUILD/ko/$KERNEL/rust_slab_hp.ko" "$root/lib/modules/production/"
fi
# The benchmark's price builds (bench_price: the test build without one hardening feature each,
# made by scripts/bench.sh), for that suite only.
if [ "$suite" = bench-price ]; then
	for _f in "$BUILD/ko/price-$KERNEL"/*/rust_slab_hp.ko; do
		[ -f "$_f" ] || die "no price builds in ${BUILD#"$TOP"/}/ko/price-$KERNEL (scripts/bench.sh makes them)"
		_to=$root/lib/modules/price/$(basename "$(dirname "$_f")")
		mkdir -p "$_to"
		cp "$_f" "$_to/"
	done
fi
# The kernel's own modules the tests load with modprobe (the VM's init runs depmod), with the
# modules they depend on. A stock kernel's come from its modules package (rsh-modules, see
# scripts/debian-kernel.sh), compressed: busybox's modprobe gets them uncompressed.
release=$(cat "$kdir/include/config/kernel.release")
mkdir -p "$root/lib/modules/$release/kernel"
moddir=$kdir/
[ ! -e "$kdir/rsh-modules" ] || moddir=$kdir/rsh-modules/
add_kmod() {
	# Module names use - and _ alike.
	_glob=$(echo "$1" | sed 's/[-_]/[-_]/g')
	_ko=$(find "$moddir" \( -name "$_glob.ko" -o -name "$_glob.ko.xz" -o -name "$_glob.ko.zst" -o -name "$_glob.ko.gz" \) | head -n1)
	[ -n "$_ko" ] || return 0
	_to=$root/lib/modules/$release/kernel/$(basename "${_ko%.ko*}").ko
	[ ! -e "$_to" ] || return 0
	case $_ko in
	*.xz) xz -dc "$_ko" >"$_to" ;;
	*.zst) zstd -qdc "$_ko" >"$_to" ;;
	*.gz) gzip -dc "$_ko" >"$_to" ;;
	*) cp "$_ko" "$_to" ;;
	esac
	# Its .modinfo's "depends=a,b" (no kmod on the host to ask).
	for _dep in $(tr '\0' '\n' <"$_to" | sed -n 's/^depends=//p' | tr ',' ' '); do add_kmod "$_dep"; done
}
add_kmod memory-notifier-error-inject
cp -r "$TOP"/selftests/* "$root/selftests/"
rm -f "$root"/selftests/*.c
# The kernel's memory-hotplug selftest, unmodified, from the same source, and the bash it needs.
mkdir -p "$root/selftests/upstream"
cp "$kdir/source/tools/testing/selftests/memory-hotplug/mem-on-off-test.sh" "$root/selftests/upstream/"
cp /bin/bash-static "$root/bin/bash"
# The selftests' C helpers (the control fuzzer, ...), static: the initramfs has no C library.
for c in "$TOP"/selftests/*.c; do
	gcc -static -O2 -Wall -Werror -o "$root/selftests/$(basename "$c" .c)" "$c"
done
# rsh-slabinfo, static, on the PATH (the slabinfo test and the demo run it).
gcc -static -O2 -Wall -Werror -o "$root/usr/bin/rsh-slabinfo" "$TOP/tools/rsh-slabinfo.c"
mv "$root/selftests/init" "$root/init"
cp "$suite_file" "$root/selftests/suites/$suite"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
