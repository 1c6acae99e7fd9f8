#!/bin/bash
# Debian's stock Rust-enabled kernels, as they are shipped: no kernel is compiled.
#
#   KERNEL=debian-7.3      the newest 7.3 release in trixie-backports, generic flavour (amd64)
#   KERNEL=debian-7.3-rt   the same release, PREEMPT_RT flavour (rt-amd64)
#   KERNEL=debian-<release>  exactly that release, e.g. debian-$(uname -r) (`make stock`)
#
# Distribution headers packages carry no Rust metadata (no rust/libkernel.rmeta, no
# rust/libmacros.so), so no out-of-tree Rust module builds from them as shipped. This script
# makes it, with nothing installed on a Debian 12 host:
#  1. downloads the stock packages (private apt list: trixie-backports and trixie, signed-by the
#     system's debian-archive-keyring; `apt-get download` and `dpkg-deb -x` only):
#     linux-headers-<release> (the shipped .config and Module.symvers), linux-source-<series>,
#     and for the harness targets linux-binary-<release> (the vmlinuz) and
#     linux-modules-<release> (the kernel's own modules, memory-notifier-error-inject...);
#  2. gets Debian 13's own toolchain, exactly: natively on a Debian 13 host (its apt packages),
#     otherwise a trixie chroot made by debootstrap (build/debian/chroot-trixie), and checks
#     that its rustc, bindgen and C compiler print the kernel's CONFIG_RUSTC_VERSION_TEXT,
#     CONFIG_BINDGEN_VERSION_TEXT and CONFIG_CC_VERSION_TEXT;
#  3. prepares the kernel tree build/kernel-<name> from the source with the shipped .config:
#     olddefconfig, which must give back the shipped .config byte for byte, then
#     modules_prepare (it builds rust/: the crates come out with the shipped kernel's hashes)
#     and the shipped Module.symvers.
# Everything is cached, keyed by the package versions, the toolchain and the recipe below.
#
# Usage: debian-kernel.sh               prepare (progress on stderr, logs in build/logs)
#        debian-kernel.sh --print-dir   the prepared tree (KDIR) on stdout, nothing else
#        debian-kernel.sh --run CMD...  CMD with Debian 13's toolchain, in the current
#                                       directory (the chroot sees this tree at the same path)
set -eu
. "$(dirname "$0")/lib.sh"

DEB=$BUILD/debian
CHROOT=$DEB/chroot-trixie
DL=$DEB/dl
mkdir -p "$DEB"

# The recipe: what the chroot holds and how a tree is prepared. Change RECIPE when the steps
# below change, to prepare every tree again.
RECIPE=1
TOOLCHAIN_PACKAGES="rustc rust-src rust-clippy bindgen gcc-14 gcc make flex bison bc libelf-dev
	libssl-dev openssl dwarves xz-utils python3 perl cpio kmod libclang-dev clang"
# modules_prepare: -j2 at most (it shares 2 cores with everything else).
PREPARE_JOBS=${PREPARE_JOBS:-2}

# A Debian 13 host has the toolchain natively (RSH_DEBIAN_CHROOT=1 uses the chroot anyway).
native() {
	[ "${RSH_DEBIAN_CHROOT:-0}" != 1 ] && (. /etc/os-release && [ "${VERSION_CODENAME:-}" = trixie ])
}

# Runs "$@" with the distribution's toolchain in the current directory, in a clean environment:
# only the system's PATH (no rustup), and none of the harness's LLVM, RUSTC, BINDGEN, MAKEFLAGS.
# The chroot runs in a private mount namespace (its mounts vanish with it, whatever happens),
# with this tree and BUILD bound at the same paths (and what BUILD's symbolic links point to,
# for a work tree that shares another's caches), /proc and /dev.
tc_run() {
	if native; then
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" LANG=C.UTF-8 TERM=dumb "$@"
		return
	fi
	[ -x "$CHROOT/usr/bin/rustc" ] || die "no trixie chroot at ${CHROOT#"$TOP"/} (run scripts/debian-kernel.sh)"
	_links=$(for _l in "$BUILD"/*; do [ ! -L "$_l" ] || readlink -f "$_l"; done | tr '\n' ' ')
	unshare --mount --propagation private -- /bin/sh -eu -c '
		ch=$1 top=$2 build=$3 cwd=$4 links=$5
		shift 5
		for d in "$top" "$build" $links; do
			mkdir -p "$ch$d"
			mount --bind "$d" "$ch$d"
		done
		mount -t proc proc "$ch/proc"
		mount --rbind /dev "$ch/dev"
		exec chroot "$ch" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 TERM=dumb /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
	' sh "$CHROOT" "$TOP" "$BUILD" "$PWD" "$_links" "$@"
}

if [ "${1:-}" = --run ]; then
	shift
	tc_run "$@"
	exit
fi
case $KERNEL in
debian-*) ;;
*) die "debian-kernel.sh: KERNEL must be debian-<series>[-rt] or debian-<release>, not '$KERNEL'" ;;
esac
export KERNEL
KDIR=$(kernel_dir "$KERNEL")
if [ "${1:-}" = --print-dir ]; then
	echo "$KDIR"
	exit 0
fi

# One preparation at a time (make test may prepare both flavours at once).
exec 9>"$DEB/lock"
flock 9

# --- Packages: a private apt list, download only. ------------------------------------------
mkdir -p "$DL/lists/partial" "$DL/cache/archives/partial"
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
key=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$key" ] || die "no $key (apt-get install debian-archive-keyring)"
list="deb [signed-by=$key] $mirror trixie-backports main
deb [signed-by=$key] $mirror trixie main"
[ "$(cat "$DL/sources.list" 2>/dev/null)" = "$list" ] || {
	echo "$list" >"$DL/sources.list"
	rm -f "$DL/lists.stamp"
}
if [ ! -e "$DL/lists.stamp" ] || [ -n "$(find "$DL/lists.stamp" -mmin +1440)" ]; then
	run_logged "apt-get update (trixie, trixie-backports: private list)" "$LOGS/apt-debian-update.log" \
		apt_private update
	touch "$DL/lists.stamp"
fi
# The newest version of a package in the list, or nothing.
candidate() {
	apt_cache_private show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n1
}

# --- Which release. --------------------------------------------------------------------------
name=${KERNEL#debian-}
if echo "$name" | grep -Eq '^[0-9]+\.[0-9]+(-rt)?$'; then
	# A series: its newest release in trixie-backports, or the newest 7.x's (say so).
	series=${name%-rt} flavour=amd64
	[ "$series" = "$name" ] || flavour=rt-amd64
	version=$(candidate "linux-source-$series")
	if [ -z "$version" ]; then
		newest=$(apt_cache_private pkgnames linux-source-"${series%%.*}". 2>/dev/null |
			sed -n 's/^linux-source-\([0-9]*\.[0-9]*\)$/\1/p' | sort -V | tail -n1)
		[ -n "$newest" ] || die "no linux-source-$series nor any linux-source-${series%%.*}.x in trixie(-backports)"
		say "note: linux-source-$series is gone from trixie-backports; using linux-source-$newest"
		series=$newest
		version=$(candidate "linux-source-$series")
	fi
	release=""
	for p in $(apt_cache_private pkgnames "linux-binary-$series." 2>/dev/null | sort -V); do
		r=${p#linux-binary-}
		echo "$r" | grep -Eq "^${series//./\\.}\.[0-9]+\+deb[0-9]+-$flavour\$" || continue
		[ "$(candidate "$p")" = "$version" ] && release=$r
	done
	[ -n "$release" ] || die "no linux-binary-$series.*-$flavour of version $version (linux-source-$series's) in trixie-backports"
	stock=1
else
	# An exact release (`make stock`: the running kernel's). Only what the module build needs.
	release=$name
	series=$(echo "$release" | sed -n 's/^\([0-9]*\.[0-9]*\)[.+-].*/\1/p')
	version=$(candidate "linux-headers-$release")
	[ -n "$version" ] && [ -n "$series" ] ||
		die "'$release' is not a Debian kernel release in trixie or trixie-backports (no linux-headers-$release); KERNEL=debian-<release> or KDIR=<a kernel build tree>"
	installed=$(dpkg-query -W -f='${Version}' "linux-image-$release" 2>/dev/null || true)
	if [ -n "$installed" ] && [ "$installed" != "$version" ]; then
		die "linux-image-$release is $installed here but the archive has $version: upgrade the kernel package (apt-get install linux-image-$release) and reboot"
	fi
	[ "$(candidate "linux-source-$series")" = "$version" ] ||
		die "linux-source-$series is $(candidate "linux-source-$series") in the archive, not $version like linux-headers-$release: upgrade the kernel to the archive's and reboot"
	stock=0
fi

# --- Download and unpack. --------------------------------------------------------------------
# deb <package>: the package's .deb of $version, downloaded once.
deb() {
	_f=$(ls "$DL"/"$1"_"$(echo "$version" | sed 's/:/%3a/')"_*.deb 2>/dev/null | head -n1)
	if [ -z "$_f" ]; then
		(cd "$DL" && apt_private download "$1=$version") >>"$LOGS/download-debian.log" 2>&1 || {
			tail -n 20 "$LOGS/download-debian.log" >&2
			die "could not download $1=$version"
		}
		_f=$(ls "$DL"/"$1"_"$(echo "$version" | sed 's/:/%3a/')"_*.deb | head -n1)
	fi
	echo "$_f"
}
# unpacked <package>: the directory the package's .deb is unpacked in, once.
unpacked() {
	_d=$DEB/pkg/$1_$version
	if [ ! -d "$_d" ]; then
		_f=$(deb "$1")
		say "unpacking $(basename "$_f")"
		rm -rf "$_d.tmp" && mkdir -p "$_d.tmp"
		dpkg-deb -x "$_f" "$_d.tmp"
		mv "$_d.tmp" "$_d"
	fi
	echo "$_d"
}
headers=$(unpacked "linux-headers-$release")/usr/src/linux-headers-$release
shipped=$headers/.config
[ -f "$shipped" ] && [ -f "$headers/Module.symvers" ] || die "linux-headers-$release has no .config or Module.symvers"
grep -q '^CONFIG_RUST=y' "$shipped" || die "Debian's $release is built without Rust (CONFIG_RUST is not set)"
text() { sed -n "s/^CONFIG_$1=\"\\(.*\\)\"\$/\\1/p" "$shipped"; }
want_rustc=$(text RUSTC_VERSION_TEXT) want_bindgen=$(text BINDGEN_VERSION_TEXT) want_cc=$(text CC_VERSION_TEXT)
# The C compiler the kernel was built with, by the name its version text gives
# (x86_64-linux-gnu-gcc-14): with another name olddefconfig would change CONFIG_CC_VERSION_TEXT.
grep -q '^CONFIG_CC_IS_GCC=y' "$shipped" || die "Debian's $release is not built with GCC: not a kernel this script knows"
cc=${want_cc%% *}
if [ "$stock" = 1 ]; then
	image=$(unpacked "linux-binary-$release")
	image=$(ls "$image"/usr/lib/modules/"$release"/vmlinuz "$image"/boot/vmlinuz-"$release" 2>/dev/null | head -n1)
	[ -n "$image" ] || die "linux-binary-$release has no vmlinuz"
	modules=$(unpacked "linux-modules-$release")/usr/lib/modules/$release
	[ -d "$modules" ] || modules=$(dirname "$modules")/../../../lib/modules/$release
	[ -d "$modules" ] || die "linux-modules-$release has no lib/modules/$release"
fi
SRC=$DEB/src/linux-source-$series-$version
if [ ! -f "$SRC/Makefile" ]; then
	tarball=$(unpacked "linux-source-$series")/usr/src/linux-source-$series.tar.xz
	run_logged "unpacking linux-source-$series $version" "$LOGS/unpack-debian-$series.log" \
		sh -c "rm -rf '$SRC.tmp' && mkdir -p '$SRC.tmp' && tar -C '$SRC.tmp' -xf '$tarball' && mv '$SRC.tmp/linux-source-$series' '$SRC' && rm -rf '$SRC.tmp'"
fi

# --- The toolchain: Debian 13's, exactly. ----------------------------------------------------
if native; then
	missing=""
	for p in $TOOLCHAIN_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		[ "$(id -u)" = 0 ] || die "Debian 13's toolchain is missing:$missing (apt-get install$missing)"
		run_logged "apt-get install$missing" "$LOGS/apt-install-debian.log" \
			env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
	fi
else
	chroot_key=$(printf '%s\n' "trixie $mirror" $TOOLCHAIN_PACKAGES | sha256sum | cut -c1-16)
	if [ "$(cat "$CHROOT/.rsh-stamp" 2>/dev/null)" != "$chroot_key" ]; then
		[ "$(id -u)" = 0 ] || die "making the trixie chroot needs root (debootstrap, chroot)"
		command -v debootstrap >/dev/null || "$TOP/scripts/setup-host.sh"
		command -v debootstrap >/dev/null || die "no debootstrap (apt-get install debootstrap)"
		# --one-file-system: nothing mounted below it is ever deleted with it.
		rm -rf --one-file-system "$CHROOT" "$CHROOT.tmp"
		run_logged "debootstrap trixie (Debian 13's toolchain) into ${CHROOT#"$TOP"/}" "$LOGS/debootstrap.log" \
			debootstrap --variant=minbase --keyring="$key" \
			--include="$(echo $TOOLCHAIN_PACKAGES | tr ' ' ,)" trixie "$CHROOT.tmp" "$mirror"
		rm -rf "$CHROOT.tmp"/var/cache/apt/archives/*.deb
		echo "$chroot_key" >"$CHROOT.tmp/.rsh-stamp"
		mv "$CHROOT.tmp" "$CHROOT"
	fi
fi
# Its version strings, against the kernel's.
have_rustc=$(tc_run rustc --version 2>&1 || true)
have_bindgen=$(tc_run bindgen --version 2>&1 || true)
have_cc=$(tc_run "$cc" --version 2>&1 | head -n1 || true)
where=$(native && echo "this Debian 13 system" || echo "the trixie chroot")
[ "$have_rustc" = "$want_rustc" ] ||
	die "$release is built with '$want_rustc', $where has '$have_rustc'"
[ -z "$want_bindgen" ] || [ "$have_bindgen" = "$want_bindgen" ] ||
	die "$release is built with '$want_bindgen', $where has '$have_bindgen'"
[ "$have_cc" = "$want_cc" ] ||
	die "$release is built with '$want_cc', $where has '$have_cc'"

# --- The prepared tree. ----------------------------------------------------------------------
# The packages' paths as resolved: a work tree whose build/debian is a link to another tree's
# (shared caches) finds that tree's kernel prepared, not one to prepare again.
want=$(printf '%s\n' "recipe $RECIPE" "$release $version" "$want_rustc" "$want_bindgen" "$want_cc" \
	"${image:+$(readlink -f "$image")}" "${modules:+$(readlink -f "$modules")}" |
	cat - "$shipped" "$headers/Module.symvers" | sha256sum | cut -c1-16)
prepared() {
	[ "$(cat "$KDIR/.rsh-stamp" 2>/dev/null)" = "$want" ] && [ -f "$KDIR/rust/libkernel.rmeta" ] &&
		[ -f "$KDIR/rust/libmacros.so" ] && [ -f "$KDIR/Module.symvers" ] && cmp -s "$KDIR/.config" "$shipped"
}
if ! prepared; then
	rm -rf --one-file-system "$KDIR"
	mkdir -p "$KDIR"
	cp "$shipped" "$KDIR/.config"
	kmake="make -C $SRC O=$KDIR CC=$cc KERNELRELEASE=$release"
	tc_run $kmake olddefconfig >"$LOGS/olddefconfig-$KERNEL.log" 2>&1 || {
		tail -n 20 "$LOGS/olddefconfig-$KERNEL.log" >&2
		die "olddefconfig failed for $release"
	}
	# Anything else (a missing pahole drops the BTF options, say) changes the layout of
	# structures such as struct module: the module would then not load, or worse.
	if ! cmp -s "$KDIR/.config" "$shipped"; then
		diff "$shipped" "$KDIR/.config" >"$LOGS/config-diff-$KERNEL.log" || true
		head -n 20 "$LOGS/config-diff-$KERNEL.log" >&2
		die "the prepared .config of $release differs from the shipped one (${LOGS#"$TOP"/}/config-diff-$KERNEL.log): the toolchain is not the kernel's"
	fi
	run_logged "modules_prepare for Debian's $release (-j$PREPARE_JOBS, no kernel compiled)" \
		"$LOGS/modules_prepare-$KERNEL.log" tc_run $kmake -j"$PREPARE_JOBS" modules_prepare
	cmp -s "$KDIR/.config" "$shipped" || die "modules_prepare changed the .config of $release"
	cp "$headers/Module.symvers" "$KDIR/Module.symvers"
	# What check-kdir.sh compares the tree's .config with, and what marks the tree as Debian's
	# (the Makefile then builds with Debian 13's toolchain through --run).
	cp "$shipped" "$KDIR/rsh-shipped.config"
	printf 'release=%s\nversion=%s\ncc=%s\n' "$release" "$version" "$cc" >"$KDIR/rsh-debian"
	rm -f "$KDIR/rsh-vmlinuz" "$KDIR/rsh-modules"
	if [ "$stock" = 1 ]; then
		ln -s "$image" "$KDIR/rsh-vmlinuz"
		ln -s "$modules" "$KDIR/rsh-modules"
	fi
	echo "$want" >"$KDIR/.rsh-stamp"
fi
