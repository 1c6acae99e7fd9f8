#!/bin/bash
# Explains, before kbuild does in a wall of compiler errors, why KDIR cannot build
# rust_slab_hp.ko: one line saying what is missing and what to run.
# Usage: check-kdir.sh <KDIR> <RUSTC> [<BINDGEN> [<CC>]]   (CC: the C compiler kbuild will use)
set -eu
kdir=$1 rustc=$2 bindgen=${3:-} cc=${4:-}
fail() {
	echo "rust_slab_hp: KDIR=$kdir: $*" >&2
	exit 1
}
[ -f "$kdir/.config" ] || fail "not a configured kernel build directory (no .config)"
config() { sed -n "s/^CONFIG_$1=//p" "$kdir/.config"; }
text() { config "$1" | sed -n 's/^"\(.*\)"$/\1/p'; }
[ "$(config RUST)" = y ] || fail "the kernel is built without Rust support (CONFIG_RUST is not set)"
[ "$(config MODULES)" = y ] || fail "the kernel has no module support (CONFIG_MODULES)"
# User-Mode Linux has neither; it only runs the native-speed benchmark (scripts/bench-native.sh).
if [ "$(config UML)" != y ]; then
	for opt in NUMA MEMORY_HOTPLUG; do
		[ "$(config $opt)" = y ] || fail "CONFIG_$opt is not set: there is no node hotplug to survive"
	done
fi
# Distribution headers packages (Debian's linux-headers-*) ship .config and Module.symvers but
# not the kernel's Rust crates, which every Rust module is compiled against.
if [ ! -f "$kdir/rust/libkernel.rmeta" ] || [ ! -f "$kdir/rust/libmacros.so" ]; then
	if [ -f "$kdir/Module.symvers" ] && [ ! -d "$kdir/rust" ]; then
		fail "no Rust metadata (rust/libkernel.rmeta, rust/libmacros.so): a headers package does not carry it; for Debian's stock kernel run 'make stock' (or KERNEL=debian-<release>), otherwise 'make modules_prepare' in the kernel's source with its .config and its rustc"
	fi
	fail "the kernel's Rust crates are not built (no rust/libkernel.rmeta or rust/libmacros.so): run 'make' (or 'make modules_prepare') there first"
fi
[ -f "$kdir/Module.symvers" ] ||
	fail "no Module.symvers: the module cannot be linked against the kernel's symbols (build the kernel, or copy the shipped one in)"
# A tree prepared for a shipped kernel (scripts/debian-kernel.sh) must still have its .config.
if [ -f "$kdir/rsh-shipped.config" ] && ! cmp -s "$kdir/.config" "$kdir/rsh-shipped.config"; then
	fail "its .config differs from the shipped kernel's (rsh-shipped.config): the module would not load there; run scripts/debian-kernel.sh again (KERNEL=debian-...)"
fi
want=$(text RUSTC_VERSION_TEXT)
have=$("$rustc" --version 2>/dev/null | head -n1 || true)
have=${have:-no rustc at $rustc}
if [ -n "$want" ] && [ "$want" != "$have" ]; then
	fail "built with '$want', but RUSTC=$rustc is '$have'; pass RUSTC=<the kernel's rustc>"
fi
want=$(text BINDGEN_VERSION_TEXT)
if [ -n "$bindgen" ] && [ -n "$want" ]; then
	have=$("$bindgen" --version 2>/dev/null | head -n1 || true)
	have=${have:-no bindgen at $bindgen}
	[ "$want" = "$have" ] || fail "built with '$want', but BINDGEN=$bindgen is '$have'; pass BINDGEN=<the kernel's bindgen>"
fi
# The C compiler builds the module's C glue with the kernel's flags: another one (or another
# version) may not know them, or lay the code out differently.
want=$(text CC_VERSION_TEXT)
if [ -n "$cc" ] && [ -n "$want" ]; then
	have=$("$cc" --version 2>/dev/null | head -n1 || true)
	have=${have:-no C compiler at $cc}
	if [ "$want" != "$have" ]; then
		if [ "$(config CC_IS_GCC)" = y ]; then
			fail "built with '$want', but CC=$cc is '$have'; pass CC=<the kernel's gcc>"
		fi
		fail "built with '$want', but $cc is '$have'; pass LLVM=<the kernel's LLVM: 1, -<version> or a path/>"
	fi
fi
