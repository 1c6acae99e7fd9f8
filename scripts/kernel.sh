#!/bin/bash
# Fetches Debian's kernel source for $KERNEL, configures it with the repo's
# fragments for $PROFILE and builds it, once: the build is reused until the
# fragments, the source version or the toolchain change.
#
# Usage: scripts/kernel.sh            (prints nothing else on success but the
#                                      progress lines, on stderr)
#        scripts/kernel.sh --print-dir (the build directory, on stdout)
set -eu
. "$(dirname "$0")/lib.sh"
# Debian's stock kernels are not built: their packages are fetched and prepared.
case $KERNEL in debian-*) exec "$TOP/scripts/debian-kernel.sh" "$@" ;; esac

KDIR=$(kernel_dir)
if [ "${1:-}" = --print-dir ]; then
	echo "$KDIR"
	exit 0
fi

"$TOP/scripts/setup-host.sh"

# uml: User-Mode Linux (ARCH=um), only for the native-speed benchmark (scripts/bench-native.sh).
IMAGE=arch/x86/boot/bzImage TARGET=bzImage
case $PROFILE in
debug) FRAGMENTS="$TOP/configs/base.config $TOP/configs/debug.config" ;;
perf) FRAGMENTS="$TOP/configs/base.config $TOP/configs/perf.config" ;;
uml)
	FRAGMENTS="$TOP/configs/uml.config"
	KBUILD_ARGS="$KBUILD_ARGS ARCH=um"
	IMAGE=linux TARGET=linux
	;;
*) die "PROFILE must be debug, perf or uml, not '$PROFILE'" ;;
esac

# --- Source: Debian's linux-source-$KERNEL package, never installed. ---------
#
# 6.x series come from the system's own (bookworm) sources; 7.x from
# trixie-backports through a private sources list verified by the system's
# debian-archive-keyring. Only `apt-get download` runs against that list.
DL=$BUILD/dl
mkdir -p "$DL/lists/partial" "$DL/cache/archives/partial"

case $KERNEL in
7.*)
	mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main" \
		>"$DL/sources.list"
	;;
*)
	# The system's own sources, as they are.
	: >"$DL/sources.list"
	;;
esac

pkg_version() {
	if [ -s "$DL/sources.list" ]; then
		apt_cache_private policy "linux-source-$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
	else
		apt-cache policy "linux-source-$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
	fi
}

stamp_lists=$DL/lists-$KERNEL.stamp
if [ ! -e "$stamp_lists" ] || [ -n "$(find "$stamp_lists" -mmin +1440)" ]; then
	if [ -s "$DL/sources.list" ]; then
		run_logged "apt-get update (trixie-backports, private list)" "$LOGS/apt-private-update.log" \
			apt_private update
	elif [ -z "$(pkg_version "$KERNEL")" ] || [ "$(pkg_version "$KERNEL")" = "(none)" ]; then
		run_logged "apt-get update" "$LOGS/apt-update.log" apt-get update
	fi
	touch "$stamp_lists"
fi

SERIES=$KERNEL
VERSION=$(pkg_version "$SERIES")
if { [ -z "$VERSION" ] || [ "$VERSION" = "(none)" ]; } && [ "${KERNEL%%.*}" = 7 ]; then
	# trixie-backports moves on: take the newest 7.x it has and say so.
	SERIES=$(apt_cache_private search '^linux-source-7\.[0-9]+$' 2>/dev/null |
		sed -n 's/^linux-source-\(7\.[0-9]*\) .*/\1/p' | sort -V | tail -n1)
	[ -n "$SERIES" ] || die "no linux-source-7.* in trixie-backports"
	say "note: linux-source-$KERNEL is gone from trixie-backports; using linux-source-$SERIES"
	VERSION=$(pkg_version "$SERIES")
fi
[ -n "$VERSION" ] && [ "$VERSION" != "(none)" ] || die "no package linux-source-$SERIES in the apt sources"

SRC=$BUILD/src/linux-source-$SERIES-$VERSION
if [ ! -f "$SRC/Makefile" ]; then
	deb=$(ls "$DL"/linux-source-"$SERIES"_*.deb 2>/dev/null | grep -F "_$(echo "$VERSION" | sed 's/:/%3a/')_" || true)
	if [ -z "$deb" ]; then
		(
			cd "$DL"
			if [ -s sources.list ]; then
				apt_private download "linux-source-$SERIES=$VERSION"
			else
				apt-get download "linux-source-$SERIES=$VERSION"
			fi
		) >"$LOGS/download-$SERIES.log" 2>&1 || {
			tail -n 20 "$LOGS/download-$SERIES.log" >&2
			die "could not download linux-source-$SERIES=$VERSION"
		}
		deb=$(ls "$DL"/linux-source-"$SERIES"_*.deb | tail -n1)
	fi
	say "unpacking $(basename "$deb")"
	rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp/x"
	dpkg-deb -x "$deb" "$SRC.tmp/x"
	tar -C "$SRC.tmp" -xf "$SRC.tmp"/x/usr/src/linux-source-"$SERIES".tar.xz
	mv "$SRC.tmp/linux-source-$SERIES" "$SRC"
	rm -rf "$SRC.tmp"
fi

# --- Build, once per (source, fragments, toolchain). -------------------------
toolchain="$($RUSTC --version) | $("$BINDGEN" --version) | $(clang$LLVM --version | head -n1)"
want=$(printf '%s\n' "linux-source-$SERIES $VERSION" "$toolchain" | cat - $FRAGMENTS | sha256sum | cut -c1-16)
# Built means: the stamp matches, and the image and every module of modules.order are there.
built() {
	[ -f "$KDIR/.rsh-stamp" ] && [ "$(cat "$KDIR/.rsh-stamp")" = "$want" ] &&
		[ -f "$KDIR/$IMAGE" ] && [ -f "$KDIR/modules.order" ] || return 1
	while read -r m; do
		[ -f "$KDIR/${m%.o}.ko" ] || return 1
	done <"$KDIR/modules.order"
}
if built; then
	exit 0
fi
# A build dir made from another source tree cannot be reused.
if [ -f "$KDIR/source-version" ] && [ "$(cat "$KDIR/source-version")" != "$SERIES $VERSION" ]; then
	rm -rf "$KDIR"
fi
mkdir -p "$KDIR"
echo "$SERIES $VERSION" >"$KDIR/source-version"
rm -f "$KDIR/.rsh-stamp"

say "kernel $SERIES ($VERSION), profile $PROFILE: configuring in ${KDIR#"$TOP"/}"
make -C "$SRC" O="$KDIR" $KBUILD_ARGS rustavailable >"$LOGS/rustavailable.log" 2>&1 || {
	cat "$LOGS/rustavailable.log" >&2
	die "the toolchain cannot build Rust for this kernel"
}
{
	make -C "$SRC" O="$KDIR" $KBUILD_ARGS tinyconfig
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$KDIR" "$KDIR/.config" $FRAGMENTS
	make -C "$SRC" O="$KDIR" $KBUILD_ARGS olddefconfig
} >"$LOGS/config-$KERNEL-$PROFILE.log" 2>&1 || {
	tail -n 30 "$LOGS/config-$KERNEL-$PROFILE.log" >&2
	die "kernel configuration failed"
}
# kconfig drops options with unmet dependencies without a word: refuse that.
lost=""
for f in $FRAGMENTS; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$KDIR/.config" || lost="$lost $line" ;;
		"# CONFIG_"*" is not set")
			opt=${line#"# "}
			opt=${opt%% *}
			! grep -q "^$opt=[ym]" "$KDIR/.config" || lost="$lost $opt=n"
			;;
		esac
	done <"$f"
done
[ -z "$lost" ] || die "the kernel config lost fragment options:$lost"

run_logged "building kernel $SERIES ($PROFILE, -j$JOBS)" "$LOGS/kernel-$KERNEL-$PROFILE.log" \
	make -C "$SRC" O="$KDIR" $KBUILD_ARGS -j"$JOBS" $TARGET modules
echo "$want" >"$KDIR/.rsh-stamp"
