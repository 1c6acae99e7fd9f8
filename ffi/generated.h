/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations rust_slab_hp needs that the kernel's Rust `bindings` do not carry on every
 * supported kernel. Kbuild runs bindgen on this file, with this kernel's C flags and the
 * allowlist in Kbuild, into ffi/generated.rs. Values of macros and enums come through
 * `RSH_*` constants, which bindgen evaluates (the kernel's RUST_CONST_HELPER_ trick).
 */
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/kmemleak.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include "page_state.h"
#include "fastpath.h"

/* The memory notifier (6.12's node-level events come through it). */
const unsigned long RSH_MEM_GOING_ONLINE = MEM_GOING_ONLINE;
const unsigned long RSH_MEM_ONLINE = MEM_ONLINE;
const unsigned long RSH_MEM_CANCEL_ONLINE = MEM_CANCEL_ONLINE;
const unsigned long RSH_MEM_GOING_OFFLINE = MEM_GOING_OFFLINE;
const unsigned long RSH_MEM_OFFLINE = MEM_OFFLINE;
const unsigned long RSH_MEM_CANCEL_OFFLINE = MEM_CANCEL_OFFLINE;

/* Where page_to_nid() finds the node in page->flags, for kernels without its Rust helper. */
#ifndef NODE_NOT_IN_PAGE_FLAGS
const unsigned long RSH_NODES_PGSHIFT = NODES_PGSHIFT;
const unsigned long RSH_NODES_MASK = NODES_MASK;
#endif

/* The dynamic CPU hotplug state the module's online/offline callbacks use. */
const int RSH_CPUHP_AP_ONLINE_DYN = CPUHP_AP_ONLINE_DYN;

/* slub_debug's byte patterns, for the caches' debug mode (slab.rs, "Debug mode"). */
const unsigned char RSH_POISON_FREE = POISON_FREE;
const unsigned char RSH_POISON_END = POISON_END;
const unsigned char RSH_SLUB_RED_INACTIVE = SLUB_RED_INACTIVE;
const unsigned char RSH_SLUB_RED_ACTIVE = SLUB_RED_ACTIVE;
