// SPDX-License-Identifier: GPL-2.0

//! The hardening tests' controls: which of SLUB's optional protections the module was built
//! with, pointers given back to a cache that are not its allocated objects, and the writes a
//! cache's debug mode must catch.

#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::{Cache, NodeRequest, Object},
    ffi::page::PAGE_SIZE,
    registry::Registry,
    slab::DebugFlags,
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
    /// `older`: an object freed before the most recent free in its slab, freed again: not the
    /// head of its slab's freelist, so only the debug mode's consistency checks (`F`) catch
    /// it; refused with `EOPNOTSUPP` on a cache without them, where it would corrupt the
    /// freelist.
    Older,
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
            b"older" => Self::Older,
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
        BadFreeKind::Older => {
            if !cache.geometry().debug().contains(DebugFlags::CHECKS) {
                return Err(crate::ffi::compat::eopnotsupp());
            }
            // A third object stays allocated in the slab: with nothing allocated, any free
            // is a double free, which every cache catches.
            let mut objs = same_slab(cache, 3)?;
            let (Some(b), Some(a)) = (objs.pop(), objs.pop()) else {
                return Err(EINVAL);
            };
            let a = a.into_raw();
            // SAFETY: `a` and `b` were just allocated from `cache` and are given up here.
            let result = if unsafe { cache.free_raw(a) }.is_err() || cache.free(b).is_err() {
                Err(EIO)
            } else {
                give(a.as_ptr() as usize)
            };
            while let Some(obj) = objs.pop() {
                free_or_leak(cache, obj);
            }
            result
        }
    }
}

/// `n` objects of `cache` in the same slab, so that a write to a freed one cannot reach a
/// slab given back meanwhile; `EBUSY` (and nothing kept) if a few more allocations than that
/// did not find them.
fn same_slab(cache: &Cache, n: usize) -> Result<KVec<Object>> {
    let slab_bytes = PAGE_SIZE << cache.geometry().order;
    let mut objs = KVec::with_capacity(n, GFP_KERNEL)?;
    let mut result = Err(EBUSY);
    for _ in 0..n + 4 {
        let obj = match cache.alloc(NodeRequest::Any) {
            Ok(obj) => obj,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let slab_of = |o: &Object| o.addr() & !(slab_bytes - 1);
        if objs.first().is_some_and(|a| slab_of(a) != slab_of(&obj)) {
            free_or_leak(cache, obj);
            continue;
        }
        // Room for `n` was reserved, and there are fewer.
        let _ = objs.push_within_capacity(obj);
        if objs.len() == n {
            return Ok(objs);
        }
    }
    while let Some(obj) = objs.pop() {
        free_or_leak(cache, obj);
    }
    result
}

/// Frees `obj`, which `cache` handed out; a refusal (which would be a bug) leaks it loudly.
fn free_or_leak(cache: &Cache, obj: Object) {
    if let Err((_, obj)) = cache.free(obj) {
        pr_err!(
            "{}: cannot free an object it handed out\n",
            cache.name().as_str()
        );
        obj.leak();
    }
}

/// A write a cache's debug mode catches and a cache without it does not, made by the
/// `debugcheck` control.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DebugCheck {
    /// `overrun <n>`: `n` bytes written just past an allocated object's end, then the object
    /// freed.
    Overrun(usize),
    /// `underrun <n>`: `n` bytes written just before an allocated object's start, then the
    /// object freed.
    Underrun(usize),
    /// `uaf`: a byte written into a freed object, then the cache's free objects allocated.
    Uaf,
}

/// The most bytes an `overrun` or `underrun` writes: a word, as much as any red zone holds.
const MAX_SCRIBBLE: usize = core::mem::size_of::<usize>();

/// The byte `debugcheck` writes.
const SCRIBBLE: u8 = 0x41;

impl DebugCheck {
    /// Parses `overrun <n>`, `underrun <n>` (`n` from 1 to 8) or `uaf`.
    pub(crate) fn parse(words: &[&[u8]]) -> Result<Self> {
        let bytes = |w: &[u8]| match crate::cache::parse_usize(w)? {
            n @ 1..=MAX_SCRIBBLE => Ok(n),
            _ => Err(EINVAL),
        };
        Ok(match words {
            [b"overrun", n] => Self::Overrun(bytes(n)?),
            [b"underrun", n] => Self::Underrun(bytes(n)?),
            [b"uaf"] => Self::Uaf,
            _ => return Err(EINVAL),
        })
    }
}

/// Makes the write of `check` to objects of `cache` as a buggy user would, and reports in one
/// line what became of it; whatever the cache's debug mode finds, it reports itself. Every
/// object the command allocates is freed before it returns (objects a debug mode quarantined
/// stay counted as in use until their slab is empty).
///
/// - `overrun`/`underrun`: allocates objects until two are neighbours in a slab (`EBUSY` if a
///   slab's worth did not give two), writes past the end of the first (or before the start
///   of the second) and frees it; reports how many bytes of the neighbour changed.
/// - `uaf`: allocates two objects of a slab, frees one and writes its last byte (the write
///   stays inside the slab: the other object keeps it), then allocates a slab's worth of
///   objects; reports whether the written object was handed out again and whether its next
///   user saw the write.
pub(crate) fn debug_check(cache: &Cache, check: DebugCheck) -> Result {
    let mut objs = KVec::new();
    let result = match check {
        DebugCheck::Overrun(n) => scribble_next_to(cache, &mut objs, n, true),
        DebugCheck::Underrun(n) => scribble_next_to(cache, &mut objs, n, false),
        DebugCheck::Uaf => use_after_free(cache, &mut objs),
    };
    while let Some(obj) = objs.pop() {
        free_or_leak(cache, obj);
    }
    result
}

/// Allocates objects of `cache` into `objs` until two are neighbours in a slab; their
/// addresses, lower first. `EBUSY` if a slab's worth of objects (and one) gave none.
fn neighbours(cache: &Cache, objs: &mut KVec<Object>) -> Result<(usize, usize)> {
    let g = cache.geometry();
    let n = g.objects as usize + 1;
    objs.reserve(n, GFP_KERNEL)?;
    for _ in 0..n {
        let obj = cache.alloc(NodeRequest::Any)?;
        let a = obj.addr();
        // Room for `n` was reserved.
        let _ = objs.push_within_capacity(obj);
        for o in objs.iter() {
            let b = o.addr();
            if b == a + g.stride {
                return Ok((a, b));
            }
            if a == b + g.stride {
                return Ok((b, a));
            }
        }
    }
    Err(EBUSY)
}

/// The `overrun` (`past`) or `underrun` check of [`debug_check`], with `n` bytes.
fn scribble_next_to(cache: &Cache, objs: &mut KVec<Object>, n: usize, past: bool) -> Result {
    let size = cache.geometry().object_size;
    let (lo, hi) = neighbours(cache, objs)?;
    // Every object is zeroed first: the bytes of the neighbour that are not zero afterwards
    // are the write's.
    for obj in objs.iter_mut() {
        cache.object_bytes(obj)?.fill(0);
    }
    let (victim, neighbour, at) = if past {
        (lo, hi, lo + size)
    } else {
        (hi, lo, hi - n)
    };
    for i in 0..n {
        // SAFETY: TEST ONLY, the bug this simulates: `n <= 8` bytes next to the victim, inside
        // its slot's red zone in a debug cache, or in the padding after it and the neighbour
        // (ours, allocated) in a plain one; the slab is live (both objects are allocated).
        unsafe { ((at + i) as *mut u8).write_volatile(SCRIBBLE) };
    }
    let i = objs.iter().position(|o| o.addr() == victim).ok_or(EINVAL)?;
    let last = objs.len() - 1;
    objs.swap(i, last);
    if let Some(obj) = objs.pop() {
        free_or_leak(cache, obj);
    }
    let neighbour = objs
        .iter_mut()
        .find(|o| o.addr() == neighbour)
        .ok_or(EINVAL)?;
    let changed = cache
        .object_bytes(neighbour)?
        .iter()
        .filter(|&&b| b != 0)
        .count();
    pr_info!(
        "debugcheck: {}: {} bytes written {} an object, which was then freed: {} bytes of its neighbour changed\n",
        cache.name().as_str(),
        n,
        if past { "past" } else { "before" },
        changed
    );
    Ok(())
}

/// The `uaf` check of [`debug_check`].
fn use_after_free(cache: &Cache, objs: &mut KVec<Object>) -> Result {
    let g = cache.geometry();
    // The last byte: never in the free pointer of a plain cache (its first word), which
    // the freelist's own hardening would check.
    let word = core::mem::size_of::<usize>();
    if g.object_size <= word {
        return Err(EINVAL);
    }
    let off = g.object_size - 1;
    // Room first: once the pair is allocated, nothing may fail before `objs` holds it.
    objs.reserve(g.objects as usize + 2, GFP_KERNEL)?;
    // The victim and a keeper, which keeps the slab.
    let mut pair = same_slab(cache, 2)?;
    let (Some(victim), Some(keeper)) = (pair.pop(), pair.pop()) else {
        return Err(EINVAL);
    };
    let addr = victim.addr();
    // Room was reserved.
    let _ = objs.push_within_capacity(keeper);
    free_or_leak(cache, victim);
    // SAFETY: TEST ONLY, the bug this simulates: a write to a freed object. Its slab is live
    // (the keeper is allocated in it) and the byte is not its free pointer.
    unsafe { ((addr + off) as *mut u8).write_volatile(SCRIBBLE) };
    let mut seen = None;
    for _ in 0..g.objects {
        let mut obj = cache.alloc(NodeRequest::Any)?;
        if obj.addr() == addr {
            seen = Some(cache.object_bytes(&mut obj)?[off] == SCRIBBLE);
        }
        // Room was reserved.
        let _ = objs.push_within_capacity(obj);
    }
    pr_info!(
        "debugcheck: {}: a byte written into a freed object; among the next {} allocations: {}\n",
        cache.name().as_str(),
        g.objects,
        match seen {
            Some(true) => "handed out again, with the write",
            Some(false) => "handed out again, the write wiped",
            None => "not handed out",
        }
    );
    Ok(())
}
