#!/bin/bash
# `make demo`: builds what is missing, boots the NUMA VM and walks through a node's memory
# going offline and coming back, showing rust_slab_hp's statistics at each step. Every step is
# checked (selftests/demo.sh); the judge's verdict is the exit status: a failed step, a kernel
# report or a timeout makes `make demo` fail.
set -eu
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/kernel.sh"
build_module demo
"$TOP/scripts/vm.sh" demo --follow --timeout 900
