#!/bin/bash
# `make soak [DURATION=seconds]` (not in CI): the race workload on every hot-pluggable node for
# DURATION seconds (default 1800), with a progress line a minute and a summary at the end.
set -eu
. "$(dirname "$0")/lib.sh"
duration=${DURATION:-1800}
"$TOP/scripts/kernel.sh"
make -C "$TOP" -s modules KDIR="$(kernel_dir)" >"$LOGS/module-soak.log" 2>&1 || {
	tail -n 30 "$LOGS/module-soak.log" >&2
	die "module build failed"
}
"$TOP/scripts/vm.sh" soak --follow --timeout $((duration + 900)) --append "rsh.soak_seconds=$duration"
