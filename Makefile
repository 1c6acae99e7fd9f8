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
#   make stock           build rust_slab_hp.ko for the running Debian kernel (uname -r)
#   make clean / modules_install
#
# Variables: KDIR (a Rust-enabled kernel build dir; default: the harness kernel for KERNEL),
# KERNEL (harness series, 7.3 by default; debian-7.3, debian-7.3-rt: Debian's stock kernels),
# LLVM (-19), RUSTC (/usr/bin/rustc), CLIPPY=1, CC (a GCC-built kernel's own by default).
# RSH_PRICE=no_freeptr|no_random|no_checks (with RSH_TEST=1; scripts/bench.sh only): the test
# build without one hardening feature, to time its price (README, "Performance").

KERNEL ?= 7.3
LLVM ?= -19

# Tools are named here, never looked up: on a fresh machine the harness's own are not installed
# until scripts/setup-host.sh runs (inside the recipes), and whatever is first on PATH then
# (rustup's rustc, say) is not what the kernel was built with.
ifeq ($(KDIR),)
# (override: an empty KDIR= on the command line, as `make stock` passes, means this one too.)
override KDIR := $(shell KERNEL=$(KERNEL) scripts/kernel.sh --print-dir)
KDIR_DEP := kernel
endif
ifneq ($(filter debian-%,$(KERNEL))$(wildcard $(KDIR)/rsh-debian),)
# A stock Debian kernel, its tree prepared by scripts/debian-kernel.sh: built with Debian 13's
# own toolchain (the one the kernel was built with), natively on Debian 13, else in a trixie
# chroot; `--run` runs the command there.
# These names are the chroot's (or Debian 13's) and are not exported: the harness kernels that
# recipes build next must not get them.
KRUN := scripts/debian-kernel.sh --run
RUSTC := rustc
CLIPPY_DRIVER := clippy-driver
BINDGEN := bindgen
export KERNEL LLVM
else ifneq ($(KDIR_DEP)$(wildcard $(KDIR)/.rsh-stamp),)
# A harness kernel (however KDIR was given: scripts pass it), built with the pinned Debian
# rustc and the bindgen setup installs; clippy is the pinned rustc's too.
RUSTC ?= /usr/bin/rustc
CLIPPY_DRIVER ?= /usr/bin/clippy-driver
BINDGEN ?= $(CURDIR)/build/tools/bin/bindgen
export KERNEL LLVM RUSTC BINDGEN
else
# Your own kernel: its rustc (checked against the kernel's CONFIG_RUSTC_VERSION_TEXT).
RUSTC ?= rustc
CLIPPY_DRIVER ?= clippy-driver
BINDGEN ?= bindgen
export KERNEL LLVM RUSTC BINDGEN
endif

# The C compiler, read from the kernel's .config when the recipes run (a harness kernel is only
# configured by then): a GCC-built kernel's own (its CONFIG_CC_VERSION_TEXT names it, e.g.
# x86_64-linux-gnu-gcc-14; CC=... overrides), a clang-built one's through LLVM.
kconfig = $(shell sed -n 's/^CONFIG_$(1)=//p' $(KDIR)/.config 2>/dev/null)
KCC = $(if $(filter y,$(call kconfig,CC_IS_GCC)),$(if $(filter command line,$(origin CC)),$(CC),$(word 1,$(subst ",,$(call kconfig,CC_VERSION_TEXT)))),$(if $(filter 1,$(LLVM)),clang,$(if $(filter %/,$(LLVM)),$(LLVM)clang,clang$(LLVM))))
KCC_ARGS = $(if $(filter y,$(call kconfig,CC_IS_GCC)),CC=$(KCC),LLVM=$(LLVM))

KBUILD = $(KRUN) $(MAKE) -C $(KDIR) M=$(CURDIR) $(KCC_ARGS) RUSTC=$(RUSTC) BINDGEN=$(BINDGEN) \
	$(if $(filter 1,$(RSH_TEST)),RSH_TEST=1) $(if $(RSH_PRICE),RSH_PRICE=$(RSH_PRICE)) \
	$(if $(CLIPPY),CLIPPY=1 CLIPPY_DRIVER=$(CLIPPY_DRIVER))

.PHONY: all modules kernel kdir-check clean modules_install demo test check bench bench-native soak \
	slabinfo stock

all: modules

modules: kdir-check
	+$(KBUILD) modules

kernel:
	scripts/kernel.sh

# The Debian kernel running here (Debian 13's stock kernel, or RELEASE=<its release>): its
# tree is prepared once with Debian 13's own toolchain (scripts/debian-kernel.sh), then the
# module is built for it.
RELEASE ?= $(shell uname -r)
stock:
	+$(MAKE) modules KERNEL=debian-$(RELEASE) KDIR=
	@echo "rust_slab_hp: rust_slab_hp.ko is built for $(RELEASE); load it with: insmod rust_slab_hp.ko"

kdir-check: $(KDIR_DEP)
	@$(KRUN) scripts/check-kdir.sh "$(KDIR)" "$(RUSTC)" "$(BINDGEN)" "$(KCC)"

# Not kbuild's `M=... clean`: that deletes every *.o and *.ko below this directory, the harness
# kernel in build/ included. These are exactly the files the module build makes.
clean:
	rm -f rust_slab_hp.o rust_slab_hp.ko rust_slab_hp.mod rust_slab_hp.mod.c rust_slab_hp.mod.o \
		rust_slab_hp.bc rust_slab_hp.m.bc rust_slab_hp_rs.o rust_slab_hp_rs.bc rust_slab_hp.d \
		.module-common.o Module.symvers modules.order .*.cmd \
		ffi/.*.cmd ffi/generated.rs ffi/page_state.o ffi/fastpath.o rust_slab_hp_rs.m.bc

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
