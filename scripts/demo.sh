#!/bin/bash
# `make demo`: builds what is missing, boots the NUMA VM and walks through a node's memory
# going offline and coming back, showing rust_slab_hp's statistics at each step.
set -eu
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
make -C "$TOP" -s modules KDIR="$(kernel_dir)" >"$LOGS/module-demo.log" 2>&1 || {
	tail -n 30 "$LOGS/module-demo.log" >&2
	die "module build failed"
}
"$TOP/scripts/vm.sh" demo --follow --timeout 300
