/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A page's own state, for rust_slab_hp's checks of pointers that come back to a cache
 * (ffi/page_state.c). virt_addr_valid(), virt_to_page() and page->private are macros and a
 * union member the kernel's Rust bindings do not give; this shim is all the C they need.
 * Bindgen reads this header (through ffi/generated.h) for the Rust declarations.
 */
#ifndef RSH_PAGE_STATE_H
#define RSH_PAGE_STATE_H

#include <linux/types.h>

struct page;

bool rsh_page_state(unsigned long addr, unsigned long *private, int *nid);
void rsh_page_set_private(struct page *page, unsigned long private);

#endif /* RSH_PAGE_STATE_H */
