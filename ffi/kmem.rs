// SPDX-License-Identifier: GPL-2.0

//! The kernel's own SLUB caches, for the benchmark to measure rust_slab_hp against.

use super::nodes::NodeId;
use core::ptr::NonNull;
use kernel::{bindings, prelude::*};

/// A `kmem_cache` created with `kmem_cache_create()`, destroyed when dropped.
///
/// # Invariants
///
/// `cache` was returned by `__kmem_cache_create_args()` and is destroyed only by `drop`.
pub(crate) struct NativeCache {
    cache: NonNull<bindings::kmem_cache>,
}

// SAFETY: SLUB caches may be used and destroyed from any thread.
unsafe impl Send for NativeCache {}
// SAFETY: `kmem_cache_alloc()`/`kmem_cache_free()` may run concurrently on any CPU.
unsafe impl Sync for NativeCache {}

impl NativeCache {
    /// Creates a cache of `size`-byte objects aligned to `align`, with SLUB's default flags.
    pub(crate) fn new(name: &CStr, size: usize, align: usize) -> Result<Self> {
        // SAFETY: All-zero `kmem_cache_args` are the defaults (no constructor, no usercopy
        // region, SLUB's own sheaf capacity).
        let mut args: bindings::kmem_cache_args = unsafe { core::mem::zeroed() };
        args.align = u32::try_from(align).map_err(|_| EINVAL)?;
        let size = u32::try_from(size).map_err(|_| EINVAL)?;
        let name = name.as_char_ptr();
        // SAFETY: `name` is a valid C string (SLUB copies it), `args` is initialised.
        let cache = unsafe { bindings::__kmem_cache_create_args(name, size, &mut args, 0) };
        // INVARIANT: a non-null result is a new cache that we own.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
        })
    }

    /// `kmem_cache_alloc(GFP_KERNEL)`.
    pub(crate) fn alloc(&self) -> Option<NonNull<u8>> {
        let cache = self.cache.as_ptr();
        // SAFETY: `cache` is live (type invariants); GFP_KERNEL in process context.
        let p = unsafe { bindings::kmem_cache_alloc_noprof(cache, bindings::GFP_KERNEL) };
        NonNull::new(p.cast())
    }

    /// `kmem_cache_alloc_node(GFP_KERNEL, nid)`.
    pub(crate) fn alloc_node(&self, nid: NodeId) -> Option<NonNull<u8>> {
        // SAFETY: As for `alloc`; `nid` is a valid node number.
        let p = unsafe {
            bindings::kmem_cache_alloc_node_noprof(
                self.cache.as_ptr(),
                bindings::GFP_KERNEL,
                nid.as_c_int(),
            )
        };
        NonNull::new(p.cast())
    }

    /// `kmem_cache_free()`.
    ///
    /// # Safety
    ///
    /// `obj` must have been allocated from this cache and not freed since.
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>) {
        // SAFETY: By the safety requirements `obj` is a live object of this live cache.
        unsafe { bindings::kmem_cache_free(self.cache.as_ptr(), obj.as_ptr().cast()) };
    }
}

impl Drop for NativeCache {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own the cache; its users are gone (the benchmark
        // frees every object before dropping it).
        unsafe { bindings::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}

/// The benchmark's `locked` reads wait as `get_online_mems()` readers do.
pub(crate) use super::hotplug::wait_for_mem_hotplug;
