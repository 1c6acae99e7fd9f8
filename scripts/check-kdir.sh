#!/bin/bash
# Explains, before kbuild does in a wall of compiler errors, why KDIR cannot build
# rust_slab_hp.ko.   Usage: check-kdir.sh <KDIR> <RUSTC>
set -eu
kdir=$1 rustc=$2
fail() {
	echo "rust_slab_hp: KDIR=$kdir: $*" >&2
	exit 1
}
[ -f "$kdir/.config" ] || fail "not a configured kernel build directory (no .config)"
grep -q '^CONFIG_RUST=y' "$kdir/.config" ||
	fail "the kernel is built without Rust support (CONFIG_RUST is not set)"
grep -q '^CONFIG_MODULES=y' "$kdir/.config" || fail "the kernel has no module support (CONFIG_MODULES)"
# User-Mode Linux has neither; it only runs the native-speed benchmark (scripts/bench-native.sh).
if ! grep -q '^CONFIG_UML=y' "$kdir/.config"; then
	for opt in NUMA MEMORY_HOTPLUG; do
		grep -q "^CONFIG_$opt=y" "$kdir/.config" || fail "CONFIG_$opt is not set: there is no node hotplug to survive"
	done
fi
[ -f "$kdir/rust/libkernel.rmeta" ] || [ -f "$kdir/rust/kernel.o" ] ||
	fail "the kernel's Rust crates are not built yet (run 'make' there first)"
grep -q '^CONFIG_CC_IS_CLANG=y' "$kdir/.config" ||
	fail "the kernel is built with GCC; rust_slab_hp runs bindgen with the kernel's C flags and needs an LLVM=1 build"
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config")
have=$("$rustc" --version 2>/dev/null || echo "no rustc at '$rustc'")
if [ -n "$want" ] && [ "$want" != "$have" ]; then
	fail "built with '$want', but RUSTC=$rustc is '$have'; pass RUSTC=<the kernel's rustc>"
fi
