# The last test of every boot (run.sh adds it to every suite): a kmemleak scan of the whole
# kernel, with the module unloaded, finds no leak made anywhere during the boot. Skipped, and
# counted as a skip, where the kernel has no kmemleak.
. /selftests/lib.sh
kmemleak_scan
diag "kmemleak: no leaks after $(cut -d. -f1 /proc/uptime) s of this boot"
