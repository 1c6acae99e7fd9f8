// SPDX-License-Identifier: GPL-2.0

//! Slab memory from the buddy allocator.

use super::{
    generated,
    nodes::{NodeId, NodeState},
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    ffi::{c_int, c_ulong},
    prelude::*,
};

// Slab memory must stay addressable through the direct map for as long as the slab lives; the
// allocation flags below never ask for highmem, and `kmap_local_page()` of a lowmem page is
// `page_address()` unless a debug option forces a temporary mapping.
#[cfg(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP)]
compile_error!("rust_slab_hp needs CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP=n");

/// The size of a base page.
pub(crate) const PAGE_SIZE: usize = bindings::PAGE_SIZE;

/// Which node a block of pages must come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Placement {
    /// Any node; the page allocator starts from the local one.
    Any,
    /// Exactly this node (`__GFP_THISNODE`), or fail.
    Exact(NodeId),
}

/// A naturally aligned block of `2^order` pages owned by rust_slab_hp.
///
/// # Invariants
///
/// - `page` heads a block of `2^order` pages returned by `alloc_pages_node()` that nothing else
///   frees; `Drop` gives it back with `__free_pages()`.
/// - `addr` is the block's direct-map address, aligned to `PAGE_SIZE << order`.
/// - `nid` is the node the pages are on (`page_to_nid()`).
pub(crate) struct Pages {
    page: NonNull<bindings::page>,
    addr: NonNull<u8>,
    order: u8,
    nid: NodeId,
}

// SAFETY: The block is owned memory, not tied to the allocating thread; `__free_pages()` may run
// on any CPU.
unsafe impl Send for Pages {}

impl Pages {
    /// Allocates `2^order` pages with `GFP_KERNEL | __GFP_NOWARN` (plus `__GFP_THISNODE` for
    /// [`Placement::Exact`]).
    ///
    /// A node-exact request for a node without memory the kernel can use fails with `ENOMEM`
    /// without asking the page allocator, which would warn about it. Allocation failures are
    /// expected under memory pressure and fault injection: the caller reports them as `ENOMEM`.
    pub(crate) fn alloc(placement: Placement, order: u32) -> Result<Self> {
        let order8 = u8::try_from(order).map_err(|_| EINVAL)?;
        if order > bindings::MAX_PAGE_ORDER {
            return Err(EINVAL);
        }
        let mut gfp = bindings::GFP_KERNEL | bindings::__GFP_NOWARN;
        let nid = match placement {
            Placement::Any => bindings::NUMA_NO_NODE,
            Placement::Exact(nid) => {
                if !nid.has(NodeState::NormalMemory) {
                    return Err(ENOMEM);
                }
                gfp |= 1 << bindings::___GFP_THISNODE_BIT;
                nid.as_c_int()
            }
        };
        // SAFETY: `nid` is `NUMA_NO_NODE` or a node that has normal memory (so is online), and
        // `order <= MAX_PAGE_ORDER`: the preconditions of `alloc_pages_node()`.
        let page = unsafe { alloc_pages_node(nid, gfp, order) };
        let page = NonNull::new(page).ok_or(ENOMEM)?;
        // SAFETY: `page` is a valid page we own; see the `compile_error!` above for why the
        // address stays valid until the pages are freed, with no `kunmap_local()` owed.
        let addr = unsafe { bindings::kmap_local_page(page.as_ptr()) };
        // SAFETY: `page` is a valid page.
        let actual = unsafe { page_to_nid(page.as_ptr()) };
        let (Some(addr), Some(nid)) = (
            NonNull::new(addr.cast::<u8>()),
            u64::try_from(actual).ok().and_then(NodeId::new),
        ) else {
            // SAFETY: `page` heads `2^order` pages we own and nobody else saw.
            unsafe { bindings::__free_pages(page.as_ptr(), order) };
            return Err(ENOMEM);
        };
        kmemleak::alloc(addr, PAGE_SIZE << order);
        // INVARIANT: `page` came from `alloc_pages_node()` with this `order`; buddy blocks are
        // naturally aligned and the direct map preserves that alignment.
        Ok(Self {
            page,
            addr,
            order: order8,
            nid,
        })
    }

    /// The direct-map address of the first byte.
    pub(crate) fn addr(&self) -> NonNull<u8> {
        self.addr
    }

    /// The node the pages are on.
    pub(crate) fn nid(&self) -> NodeId {
        self.nid
    }

    /// The block's order: it is `PAGE_SIZE << order` bytes.
    pub(crate) fn order(&self) -> u32 {
        u32::from(self.order)
    }

    /// Sets the private word of the block's first page (`set_page_private()`), which
    /// [`page_state`] reads back for any address in that page; 0 clears it. The page allocator
    /// leaves the word to the block's owner; [`Pages`] clears it before giving the block back,
    /// so that no stale mark outlives the block.
    pub(crate) fn set_private(&self, private: usize) {
        // SAFETY: `page` is the first page of a block we own (type invariants), whose private
        // word is ours to write.
        unsafe { generated::rsh_page_set_private(self.page.as_ptr(), private as c_ulong) };
    }
}

/// The private word and the node of the page that holds kernel address `addr`, if `addr` is in
/// the direct map (`virt_addr_valid()`); `None` for any other value (user, vmalloc, module or
/// stack addresses, non-canonical values, null).
///
/// Reads only the page's `struct page`, which exists for every direct-mapped address: never
/// the memory at `addr`, so no value of `addr` can make it fault or trip KASAN or KFENCE.
pub(crate) fn page_state(addr: usize) -> Option<(usize, NodeId)> {
    let mut private: c_ulong = 0;
    let mut nid: c_int = 0;
    // SAFETY: `rsh_page_state` accepts any address (it checks it with `virt_addr_valid()` before
    // looking up its page) and writes the two out-parameters, valid locals, only.
    let mapped = unsafe { generated::rsh_page_state(addr as c_ulong, &mut private, &mut nid) };
    if !mapped {
        return None;
    }
    let nid = u64::try_from(nid).ok().and_then(NodeId::new)?;
    Some((private as usize, nid))
}

/// `alloc_pages_node()`: exported on 7.x; an inline wrapper of `__alloc_pages_noprof()` on 6.12.
///
/// # Safety
///
/// `nid` must be `NUMA_NO_NODE` or an online node, and `order <= MAX_PAGE_ORDER`.
unsafe fn alloc_pages_node(nid: c_int, gfp: bindings::gfp_t, order: u32) -> *mut bindings::page {
    #[cfg(not(rsh_legacy))]
    // SAFETY: Forwarded from our own safety requirements.
    unsafe {
        bindings::alloc_pages_node_noprof(nid, gfp, order)
    }
    #[cfg(rsh_legacy)]
    // SAFETY: Forwarded from our own safety requirements. `alloc_pages()` takes the local node
    // (or the task's policy) where `alloc_pages_node(NUMA_NO_NODE)` would take the local one.
    unsafe {
        if nid == bindings::NUMA_NO_NODE {
            bindings::alloc_pages(gfp, order)
        } else {
            bindings::__alloc_pages_noprof(gfp, order, nid, core::ptr::null_mut())
        }
    }
}

/// `page_to_nid()`: a Rust helper on 7.x; on 6.12 the node field of `page->flags`, at the shift
/// and mask the kernel's own headers give (through ffi/generated.h).
///
/// # Safety
///
/// `page` must be a valid page.
unsafe fn page_to_nid(page: *const bindings::page) -> c_int {
    #[cfg(not(rsh_legacy))]
    // SAFETY: Forwarded from our own safety requirements.
    unsafe {
        bindings::page_to_nid(page)
    }
    #[cfg(rsh_legacy)]
    // SAFETY: Forwarded from our own safety requirements; the flags of a page we own do not
    // change their node bits.
    unsafe {
        use super::generated::{RSH_NODES_MASK, RSH_NODES_PGSHIFT};
        (((*page).flags >> RSH_NODES_PGSHIFT) & RSH_NODES_MASK) as c_int
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.set_private(0);
        kmemleak::free(self.addr);
        // SAFETY: By the type invariants `page` heads `2^order` pages that we own and that are
        // freed nowhere else.
        unsafe { bindings::__free_pages(self.page.as_ptr(), u32::from(self.order)) };
    }
}

/// Makes slab pages visible to kmemleak, as SLUB does for its large allocations: a slab that
/// nothing points to any more is then reported as a leak, and pointers stored in slab objects
/// keep what they point to alive in kmemleak's eyes.
mod kmemleak {
    use core::ptr::NonNull;
    #[cfg(CONFIG_DEBUG_KMEMLEAK)]
    use kernel::bindings;

    pub(super) fn alloc(addr: NonNull<u8>, size: usize) {
        #[cfg(CONFIG_DEBUG_KMEMLEAK)]
        // SAFETY: `addr..addr + size` is a block we just allocated and nobody else registered.
        unsafe {
            crate::ffi::generated::kmemleak_alloc(
                addr.as_ptr().cast(),
                size,
                1,
                bindings::GFP_KERNEL,
            )
        };
        let _ = (addr, size);
    }

    pub(super) fn free(addr: NonNull<u8>) {
        #[cfg(CONFIG_DEBUG_KMEMLEAK)]
        // SAFETY: `addr` was registered by `alloc` above and is unregistered exactly once,
        // right before the pages go back to the buddy allocator.
        unsafe {
            crate::ffi::generated::kmemleak_free(addr.as_ptr().cast())
        };
        let _ = addr;
    }
}
