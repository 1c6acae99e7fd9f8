#!/bin/bash
# Mechanical style checks of the Rust sources (the review does the rest):
# - rustfmt with the kernel's own .rustfmt.toml;
# - every `unsafe` block and `unsafe impl` has a `// SAFETY:` comment right above it;
# - `bindings::` and `extern "C"` appear only in the FFI layer (ffi/).
set -eu
. "$(dirname "$0")/lib.sh"
cd "$TOP"
rc=0
srcs=$(git ls-files '*.rs' 2>/dev/null || ls ./*.rs ffi/*.rs)
case $KERNEL in
# Debian's stock kernels: the source their tree was prepared from (scripts/debian-kernel.sh).
debian-*) src_tree=$(kernel_dir)/source ;;
*) src_tree=$(ls -d "$BUILD"/src/linux-source-"$KERNEL"-*/ 2>/dev/null | head -n1) ;;
esac
if [ -x "$RUSTFMT" ] && [ -f "$src_tree/.rustfmt.toml" ]; then
	if ! "$RUSTFMT" --check --config-path "$src_tree/.rustfmt.toml" $srcs; then
		echo "rustfmt: the files above need formatting"
		rc=1
	fi
else
	echo "rustfmt or the kernel's .rustfmt.toml is missing"
	rc=1
fi
for f in $srcs; do
	awk -v f="$f" '
		/^[ \t]*\/\/ SAFETY:/ { pending = 1; next }
		/^[ \t]*\/\// || /^[ \t]*$/ || /^[ \t]*#\[/ { next }
		{
			if (($0 ~ /unsafe[ ]*\{/ || $0 ~ /unsafe impl/) && !pending) {
				printf("%s:%d: unsafe without a // SAFETY: comment right above it\n", f, NR)
				bad = 1
			}
			pending = 0
		}
		END { exit bad }' "$f" || rc=1
done
if grep -n -E 'bindings::|extern "C"' $srcs | grep -v '^ffi/'; then
	echo "raw C bindings outside ffi/"
	rc=1
fi
exit $rc
