#!/bin/bash
# Checks that a production build of rust_slab_hp.ko (`make`, without RSH_TEST=1) carries none
# of the test build's machinery: no test-only module parameter, no debugfs controls, no
# benchmark, no KUnit suites, no test knobs. Prints what it found and exits 1 if anything.
#   check-production.sh <rust_slab_hp.ko>
set -eu
ko=$1
[ -f "$ko" ] || { echo "no $ko"; exit 1; }
bad=0
section() { objcopy -O binary --only-section="$1" "$ko" /dev/stdout 2>/dev/null | tr '\0' '\n'; }
params=$(section .modinfo | sed -n 's/^parm=\([^:]*\):.*/\1/p' | sort | tr '\n' ' ')
[ "$params" = "caches " ] || { echo "module parameters: '$params' (want only 'caches')"; bad=1; }
# Symbols of the test build's modules and helpers (demangled v0 names keep the path words;
# core's `ops::control_flow`, in any iterator's code, is not the `control` module).
syms=$(nm "$ko" | sed 's/12control_flow/12core_ops_cf/g' | grep -E 'bench|control|testing|kunit|KeptObjects|zerocheck|hold_cpu_stash|skip_next_adding|free_node_like_pre_5_12|wait_for_mem_hotplug|debugfs' || true)
[ -z "$syms" ] || { echo "test-build symbols:"; echo "$syms" | head -n 10; bad=1; }
if objdump -h "$ko" | grep -q kunit_test_suites; then
	echo "a .kunit_test_suites section"
	bad=1
fi
# The debugfs directory's name and the knobs' log lines.
text=$(strings "$ko" | grep -E 'rust_slab_hp:online|reproduce_offline_uaf|stats_read_delay_ms|test only|holding the' || true)
if echo "$text" | grep -qv 'rust_slab_hp:online'; then
	echo "test-build strings:"
	echo "$text" | grep -v 'rust_slab_hp:online' | head -n 5
	bad=1
fi
exit $bad
