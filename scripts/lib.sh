# Shared settings and helpers for the rust_slab_hp harness; sourced, never run.
#
# Every knob is an environment variable with a default, so the Makefile, the
# README commands and CI all drive the same scripts:
#   KERNEL   kernel series to build and boot (7.3 by default; 6.12 is the LTS)
#   PROFILE  debug (KASAN, lockdep, kmemleak: tests and demo) or perf (bench)
#   BUILD    where every generated artefact lives (git-ignored ./build)
#   LLVM     LLVM suffix passed to kbuild (-19)
#   RUSTC    the rustc the kernel is built with (/usr/bin/rustc, Debian's)
#   BINDGEN  the bindgen it is built with (build/tools/bin/bindgen, installed by setup-host.sh)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNEL=${KERNEL:-7.3}
PROFILE=${PROFILE:-debug}
BUILD=${BUILD:-$TOP/build}
LLVM=${LLVM:--19}
RUSTC=${RUSTC:-/usr/bin/rustc}
JOBS=${JOBS:-$(($(nproc) + 1))}
LOGS=$BUILD/logs

# The toolchain versions this project is verified with (see README.md).
RUST_WEB_VERSION=1.85.0+dfsg3-1~deb12u3
RUST_WEB_PACKAGES="rustc-web rust-web-src libstd-rust-web-dev rust-web-clippy rustfmt-web cargo-web"
BINDGEN_VERSION=0.73.2

# Named, never looked up on PATH: a fresh machine may have rustup's tools first there, and the
# harness's own are only installed by scripts/setup-host.sh (bindgen under build/tools).
BINDGEN=${BINDGEN:-$BUILD/tools/bin/bindgen}
RUSTFMT=${RUSTFMT:-/usr/bin/rustfmt}

KBUILD_ARGS="LLVM=$LLVM RUSTC=$RUSTC BINDGEN=$BINDGEN"

mkdir -p "$LOGS"

# Prints a harness message on stderr.
say() { printf '%s\n' "rust_slab_hp: $*" >&2; }

die() {
	say "error: $*"
	exit 1
}

# Runs a long command with its output in a log file, printing a progress line
# with the elapsed time every 30 s and the log's tail if it fails.
#   run_logged <label> <logfile> <command...>
run_logged() {
	label=$1 log=$2
	shift 2
	start=$(date +%s)
	say "$label (log: ${log#"$TOP"/})"
	"$@" >"$log" 2>&1 &
	pid=$!
	# A progress ticker, killed as soon as the command ends.
	(
		while sleep 30; do
			say "  ... $label: $(($(date +%s) - start))s"
		done
	) &
	ticker=$!
	rc=0
	wait "$pid" || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	if [ "$rc" != 0 ]; then
		say "$label FAILED after $(($(date +%s) - start))s (exit $rc); last lines of $log:"
		tail -n 40 "$log" >&2
		return "$rc"
	fi
	say "  done: $label in $(($(date +%s) - start))s"
}

# Builds the test build of rust_slab_hp.ko (RSH_TEST=1: the controls the VM's tests drive)
# against the harness kernel of $KERNEL and $PROFILE, with the log in
# build/logs/module-<name>.log and its last lines shown on failure.
#   build_module <name> [make arguments...]
build_module() {
	_log=$LOGS/module-$1.log
	shift
	make -C "$TOP" -s modules KDIR="$(kernel_dir)" RSH_TEST=1 "$@" >"$_log" 2>&1 || {
		tail -n 30 "$_log" >&2
		die "module build failed"
	}
}

# The kernel build directory for a series and profile. Debian's stock kernels (debian-*,
# scripts/debian-kernel.sh) have one prepared tree whatever the profile.
kernel_dir() {
	case ${1:-$KERNEL} in
	debian-*) echo "$BUILD/kernel-${1:-$KERNEL}" ;;
	*) echo "$BUILD/kernel-${1:-$KERNEL}-${2:-$PROFILE}" ;;
	esac
}

# The kernel image to boot for a kernel directory: the one built there, or the stock kernel's
# own binary for Debian's kernels (rsh-vmlinuz, scripts/debian-kernel.sh).
kernel_image() {
	if [ -e "$1/rsh-vmlinuz" ]; then echo "$1/rsh-vmlinuz"; else echo "$1/arch/x86/boot/bzImage"; fi
}

# Whether KVM runs guests here: boots the kernel <bzImage> under KVM with no root file system,
# which must get as far as its "no init" panic (panic=-1 then ends QEMU) within 20 seconds.
# Guests hang in the firmware under KVM on some machines (those this was built on), hence the
# probe rather than trusting /dev/kvm. Log: build/logs/kvm-probe.log.
#   kvm_works <bzImage>
kvm_works() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	_log=$LOGS/kvm-probe.log
	: >"$_log"
	timeout --kill-after=5 20 qemu-system-x86_64 -accel kvm -machine pc -m 256 -nographic \
		-no-reboot -kernel "$1" -append "console=ttyS0 panic=-1" -serial "file:$_log" \
		-monitor none >/dev/null 2>&1 || true
	grep -q "Kernel panic - not syncing" "$_log"
}

# apt_private / apt_cache_private <args...>: apt-get and apt-cache on a private package list,
# $DL/sources.list, with its lists and downloads under $DL (the caller's download directory),
# never the host's: kernel.sh and debian-kernel.sh fetch source and kernel packages this way
# without touching the host's apt state.
apt_private() {
	apt-get -o Dir::Etc::sourcelist="$DL/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::State::Lists="$DL/lists" -o Dir::Cache="$DL/cache" -o Debug::NoLocking=1 "$@"
}
apt_cache_private() {
	apt-cache -o Dir::Etc::sourcelist="$DL/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::State::Lists="$DL/lists" -o Dir::Cache="$DL/cache" "$@"
}
