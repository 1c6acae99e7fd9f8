#!/bin/bash
# Installs what the harness needs on a Debian 12 host, idempotently.
#
# The Rust toolchain is Debian's rustc-web pinned to one version: an unpinned
# `cargo-web` or `rust-web-*` would silently upgrade rustc-web and every
# out-of-tree module build would then fail against the cached kernel.
set -eu
. "$(dirname "$0")/lib.sh"

# debootstrap: the trixie chroot with Debian 13's toolchain for Debian's stock kernels
# (scripts/debian-kernel.sh); nothing of trixie is installed on the host itself.
PACKAGES="clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev libssl-dev
	cpio qemu-system-x86 busybox-static bash-static dpkg-dev xz-utils gcc libc6-dev spin debootstrap"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
for p in $RUST_WEB_PACKAGES; do
	v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
	[ "$v" = "$RUST_WEB_VERSION" ] || missing="$missing $p=$RUST_WEB_VERSION"
done

if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
	# Keep every rust-web package on the verified version, even through a
	# later `apt-get upgrade`.
	pin=/etc/apt/preferences.d/rust_slab_hp-rust-web
	{
		echo "# Written by rust_slab_hp scripts/setup-host.sh"
		echo "Package: $RUST_WEB_PACKAGES"
		echo "Pin: version $RUST_WEB_VERSION"
		echo "Pin-Priority: 1001"
	} >"$pin"
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends $missing >"$LOGS/apt-install.log" 2>&1; then
		run_logged "apt-get update" "$LOGS/apt-update.log" apt-get update
		run_logged "apt-get install" "$LOGS/apt-install.log" \
			apt-get install -y --no-install-recommends $missing
	fi
fi

[ "$($RUSTC --version 2>/dev/null | cut -d' ' -f2)" = "${RUST_WEB_VERSION%%+*}" ] ||
	die "$RUSTC is not rustc ${RUST_WEB_VERSION%%+*}: $($RUSTC --version 2>&1)"

# bindgen comes from crates.io, built by Debian's pinned cargo (never by whatever cargo is first
# on PATH) into build/tools; its version is what the kernel's Rust support checks.
if [ "$("$BINDGEN" --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]; then
	run_logged "cargo install bindgen-cli $BINDGEN_VERSION" "$LOGS/bindgen-install.log" \
		env RUSTC=/usr/bin/rustc CARGO_HOME="$BUILD/tools/cargo-home" /usr/bin/cargo install \
		--locked --force --root "$BUILD/tools" bindgen-cli --version "$BINDGEN_VERSION"
	[ "$("$BINDGEN" --version 2>/dev/null)" = "bindgen $BINDGEN_VERSION" ] ||
		die "$BINDGEN is not bindgen $BINDGEN_VERSION after installing it"
fi
