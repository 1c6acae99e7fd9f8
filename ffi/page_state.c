// SPDX-License-Identifier: GPL-2.0
/*
 * A page's own state, read through the kernel's own macros: the C half of ffi/page.rs.
 *
 * rust_slab_hp marks the first page of every slab it has on a node's lists with a word derived
 * from its cache (page->private, which the page allocator leaves to the owner of the first
 * page of a block it handed out, and clears when the block comes back). A pointer handed back
 * to a cache is checked against that mark before anything at its address is read: the check
 * reads only the struct page of a direct-mapped address, which exists for every valid pfn, so
 * it cannot fault whatever the pointer is.
 */
#include <linux/compiler.h>
#include <linux/mm.h>
#include "page_state.h"

/*
 * Whether @addr is a direct-mapped kernel address (virt_addr_valid()); if so, the private word
 * and the node of its page. Reads the page's struct page only, never the memory at @addr.
 */
bool rsh_page_state(unsigned long addr, unsigned long *private, int *nid)
{
	struct page *page;

	if (!virt_addr_valid((void *)addr))
		return false;
	page = virt_to_page((void *)addr);
	*private = READ_ONCE(page->private);
	*nid = page_to_nid(page);
	return true;
}

/* Sets the private word of @page, a page its caller owns (set_page_private()). */
void rsh_page_set_private(struct page *page, unsigned long private)
{
	WRITE_ONCE(page->private, private);
}
