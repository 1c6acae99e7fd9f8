#!/bin/bash
# `make soak [DURATION=seconds]` (not in CI): the race workload on every hot-pluggable node for
# DURATION seconds (default 1800), with a progress line a minute and a summary at the end.
set -eu
. "$(dirname "$0")/lib.sh"
duration=${DURATION:-1800}
"$TOP/scripts/kernel.sh"
build_module soak
"$TOP/scripts/vm.sh" soak --follow --timeout $((duration + 900)) --append "rsh.soak_seconds=$duration"
