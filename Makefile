# SPDX-License-Identifier: GPL-2.0
#
# rust_slab_hp: the commands users type. Kbuild itself reads `Kbuild`, not this file.
#
#   make                 build rust_slab_hp.ko (against KDIR, or the harness kernel)
#   make demo            build what is missing, boot the NUMA VM, show a node's offline/online
#   make test            build what is missing and run every selftest in the VM
#   make soak            the race workload for DURATION seconds (default 1800; not in CI)
#   make bench           rust_slab_hp against SLUB on the performance kernel, in the NUMA VM
#   make bench-native    the same benchmark at native speed in User-Mode Linux (no NUMA)
#   make check           build with CLIPPY=1 (warnings are errors) and check rustfmt
#   make slabinfo        build/rsh-slabinfo, the slabinfo of these caches (static, as in the VM)
#   make kernel          only fetch and build the harness kernel
#   make clean / modules_install
#
# Variables: KDIR (a Rust-enabled kernel build dir; default: the harness kernel for KERNEL),
# KERNEL (harness series, 7.3 by default), LLVM (-19), RUSTC (/usr/bin/rustc), CLIPPY=1.

KERNEL ?= 7.3
LLVM ?= -19

# Tools are named here, never looked up: on a fresh machine the harness's own are not installed
# until scripts/setup-host.sh runs (inside the recipes), and whatever is first on PATH then
# (rustup's rustc, say) is not what the kernel was built with.
ifeq ($(KDIR),)
KDIR := $(shell scripts/kernel.sh --print-dir)
KDIR_DEP := kernel
endif
ifneq ($(wildcard $(KDIR)/.rsh-stamp)$(KDIR_DEP),)
# A harness kernel, built with the pinned Debian rustc and the bindgen setup installs.
RUSTC ?= /usr/bin/rustc
CLIPPY_DRIVER ?= /usr/bin/clippy-driver
BINDGEN ?= $(CURDIR)/build/tools/bin/bindgen
else
# Your own kernel: its rustc (checked against the kernel's CONFIG_RUSTC_VERSION_TEXT).
RUSTC ?= rustc
CLIPPY_DRIVER ?= clippy-driver
BINDGEN ?= bindgen
endif
export KERNEL LLVM RUSTC BINDGEN

KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) BINDGEN=$(BINDGEN) \
	$(if $(CLIPPY),CLIPPY=1 CLIPPY_DRIVER=$(CLIPPY_DRIVER))

.PHONY: all modules kernel kdir-check clean modules_install demo test check bench bench-native soak \
	slabinfo

all: modules

modules: kdir-check
	+$(KBUILD) modules

kernel:
	scripts/kernel.sh

kdir-check: $(KDIR_DEP)
	@scripts/check-kdir.sh "$(KDIR)" "$(RUSTC)"

# Not kbuild's `M=... clean`: that deletes every *.o and *.ko below this directory, the harness
# kernel in build/ included. These are exactly the files the module build makes.
clean:
	rm -f rust_slab_hp.o rust_slab_hp.ko rust_slab_hp.mod rust_slab_hp.mod.c rust_slab_hp.mod.o \
		rust_slab_hp.bc rust_slab_hp.m.bc .module-common.o Module.symvers modules.order .*.cmd \
		ffi/.*.cmd ffi/generated.rs

modules_install: kdir-check
	+$(KBUILD) modules_install

check:
	scripts/check-style.sh

# The same build as the VM's (scripts/initramfs.sh): static, warnings are errors.
slabinfo:
	mkdir -p build
	gcc -static -O2 -Wall -Werror -o build/rsh-slabinfo tools/rsh-slabinfo.c

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

bench-native:
	scripts/bench-native.sh

soak:
	scripts/soak.sh
