// SPDX-License-Identifier: GPL-2.0

//! The hardening tests' controls: which of SLUB's optional protections the module was built
//! with, and pointers given back to a cache that are not its allocated objects.

use crate::{
    cache::{Cache, NodeRequest},
    registry::Registry,
};
use core::{fmt::Write, ptr::NonNull};
use kernel::{prelude::*, sync::Arc};

/// A pointer that is not an allocated object of the cache, given back to it by `bad_free`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BadFreeKind {
    /// `double`: an object freed twice in a row.
    Double,
    /// `wild`: a non-canonical address, as a pointer overwritten with a pattern would be.
    Wild,
    /// `interior`: an allocated object's address plus one.
    Interior,
    /// `header`: the start of an allocated object's slab, where its header is.
    Header,
    /// `kmalloc`: memory of a `kmalloc()` cache.
    Kmalloc,
    /// `stack`: an address on the kernel stack.
    Stack,
    /// `other`: an allocated object of another cache of the module.
    Other,
    /// `released`: an object whose slab went back to the page allocator.
    Released,
}

impl BadFreeKind {
    /// Parses the kind's word.
    pub(crate) fn parse(word: &[u8]) -> Result<Self> {
        Ok(match word {
            b"double" => Self::Double,
            b"wild" => Self::Wild,
            b"interior" => Self::Interior,
            b"header" => Self::Header,
            b"kmalloc" => Self::Kmalloc,
            b"stack" => Self::Stack,
            b"other" => Self::Other,
            b"released" => Self::Released,
            _ => return Err(EINVAL),
        })
    }
}

/// Renders which of SLUB's optional protections apply to the module's caches: those of the
/// kernel it was built for.
pub(crate) fn render(out: &mut impl Write) -> Result {
    writeln!(
        out,
        "freelist_hardened={}\nfreelist_random={}",
        u8::from(cfg!(CONFIG_SLAB_FREELIST_HARDENED)),
        u8::from(cfg!(CONFIG_SLAB_FREELIST_RANDOM)),
    )
    .map_err(|_| ENOMEM)
}

/// Gives `cache` back a pointer of `kind` through [`Cache::free_raw`] and returns what that
/// returned: `EINVAL` when the pointer is refused, as it must be. Objects the command
/// allocates for the purpose are freed properly afterwards; `EIO` if a step that must work
/// (a first free, or a proper one) did not.
pub(crate) fn bad_free(registry: &Registry, cache: &Arc<Cache>, kind: BadFreeKind) -> Result {
    // Gives `cache` the raw pointer `addr`, which must not be one of its free objects other
    // than the freelist head of its slab.
    let give = |addr: usize| -> Result {
        let Some(p) = NonNull::new(addr as *mut u8) else {
            return Err(EINVAL);
        };
        // SAFETY: Every caller passes a value that is not a free object of `cache`, or is the
        // most recently freed one of its slab (`double`): `free_raw` refuses both.
        unsafe { cache.free_raw(p) }
    };
    // Allocates an object of `cache` for the duration of a check, and frees it properly after.
    let with_victim = |f: &dyn Fn(usize) -> Result| -> Result {
        let obj = cache.alloc(NodeRequest::Any)?;
        let addr = obj.addr();
        let result = f(addr);
        if let Err((_, obj)) = cache.free(obj) {
            obj.leak();
            return Err(EIO);
        }
        result
    };
    match kind {
        BadFreeKind::Double => {
            let p = cache.alloc(NodeRequest::Any)?.into_raw();
            // SAFETY: `p` was just allocated from `cache` and is given up here.
            if unsafe { cache.free_raw(p) }.is_err() {
                return Err(EIO);
            }
            give(p.as_ptr() as usize)
        }
        BadFreeKind::Wild => give(0x4141_4141_4141_4141),
        BadFreeKind::Interior => with_victim(&|addr| give(addr + 1)),
        BadFreeKind::Header => with_victim(&|addr| {
            let slab_bytes = crate::ffi::page::PAGE_SIZE << cache.geometry().order;
            give(addr & !(slab_bytes - 1))
        }),
        BadFreeKind::Kmalloc => {
            let buf = KBox::new([0u64; 8], GFP_KERNEL)?;
            give(core::ptr::from_ref::<[u64; 8]>(&buf) as usize)
        }
        BadFreeKind::Stack => {
            let local = [0u64; 2];
            give(core::ptr::from_ref(core::hint::black_box(&local)) as usize)
        }
        BadFreeKind::Other => {
            let caches = registry.caches()?;
            let other = caches
                .iter()
                .find(|c| !Arc::ptr_eq(c, cache))
                .ok_or(EINVAL)?;
            let obj = other.alloc(NodeRequest::Any)?;
            let result = give(obj.addr());
            if let Err((_, obj)) = other.free(obj) {
                obj.leak();
                return Err(EIO);
            }
            result
        }
        BadFreeKind::Released => {
            let obj = cache.alloc(NodeRequest::Any)?;
            let addr = obj.addr();
            if let Err((_, obj)) = cache.free(obj) {
                obj.leak();
                return Err(EIO);
            }
            // Its slab goes back to the page allocator if nothing else is allocated in it: the
            // cache must be left with no slab at all (told by the counters, not the marks the
            // free checks).
            cache.shrink();
            let mut slabs = 0;
            cache.for_each_node(|node| slabs += node.snapshot().slabs);
            if slabs != 0 {
                return Err(EBUSY);
            }
            give(addr)
        }
    }
}
