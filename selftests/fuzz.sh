# 10,000 random and mutated command lines (fuzz_control.c): only documented errors come back,
# a failed command never changes the state, no kernel report (the judge checks).
. /selftests/lib.sh
rsh_load
online_node 1 online_movable
/selftests/fuzz_control "${RSH_FUZZ_ITERATIONS:-10000}" "${RSH_FUZZ_SEED:-1}" || fail "fuzzer"
ctl verify
rsh_unload
