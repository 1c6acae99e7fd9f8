/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers whose declarations rust_slab_hp needs but the kernel's Rust `bindings` do not
 * include; Kbuild runs bindgen on this file (allowlist in Kbuild) into ffi/generated.rs.
 */
#include <linux/kmemleak.h>
