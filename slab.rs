// SPDX-License-Identifier: GPL-2.0

//! Slabs: naturally aligned blocks of pages that hold a header and equal-sized objects.
//!
//! ```text
//! | Header | pad | object 0 | object 1 | ... | object n-1 | waste |
//! ^ aligned to the slab size (PAGE_SIZE << order)
//! ```
//!
//! The page allocator returns `2^order`-page blocks aligned to their size, so the slab of an
//! object is found in O(1) by aligning its address down: no global lookup, no `struct page`
//! fields. Free objects form a singly linked list threaded through their first word.
//!
//! Everything here runs under the lock of the node whose lists hold the slab
//! ([`crate::node::Node`]); this file only knows lists, not locks.

use crate::ffi::{
    nodes::NodeId,
    page::{Pages, PAGE_SIZE},
};
use core::{mem::ManuallyDrop, num::NonZeroUsize, ptr::NonNull};
use kernel::prelude::*;

/// The largest slab order used; `PAGE_ALLOC_COSTLY_ORDER + 2`, enough for 32 KiB objects.
pub(crate) const MAX_SLAB_ORDER: u32 = 5;

/// The largest object size a cache may have.
pub(crate) const MAX_OBJECT_SIZE: usize = 32 * 1024;

/// How objects are laid out in every slab of a cache.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    /// Size the user asked for.
    pub(crate) object_size: usize,
    /// Alignment the user asked for.
    pub(crate) align: usize,
    /// Distance between objects: the size rounded up to the alignment and to a pointer.
    pub(crate) stride: usize,
    /// Offset of the first object from the slab start.
    pub(crate) first: usize,
    /// Pages per slab, as an order.
    pub(crate) order: u32,
    /// Objects per slab.
    pub(crate) objects: u32,
    /// Bytes per slab minus one: masks an object address down to its slab.
    slab_mask: usize,
    /// `ceil(2^RECIP_SHIFT / stride)`, so that an object's index is a multiplication and a
    /// shift rather than a division (SLUB's `reciprocal_divide()` in `obj_to_index()`); 0
    /// where that would not be exact (see [`Geometry::index_of`]).
    recip: u64,
}

/// The shift of [`Geometry`]'s reciprocal.
const RECIP_SHIFT: u32 = 40;

/// `fls()`: the 1-based index of the highest set bit, 0 for 0.
fn fls(x: usize) -> u32 {
    usize::BITS - x.leading_zeros()
}

/// Bytes in a slab of `order`; `None` beyond what a `usize` holds.
fn order_bytes(order: u32) -> Option<usize> {
    PAGE_SIZE.checked_shl(order).filter(|&b| b >= PAGE_SIZE)
}

impl Geometry {
    /// Lays out objects of `size` bytes aligned to `align` (a power of two up to `PAGE_SIZE`).
    ///
    /// The order is the smallest that gives at least as many objects per slab as SLUB's
    /// `calculate_order()` gives a cache of the same size on this machine: our header lives in
    /// the slab, theirs in `struct slab`, so where the header costs an object the slab grows.
    ///
    /// The arithmetic is checked and divides by `NonZeroUsize`: no panicking path, which
    /// objtool would also have to understand.
    pub(crate) fn new(size: usize, align: usize, nr_cpus: usize) -> Result<Self> {
        if !(8..=MAX_OBJECT_SIZE).contains(&size) || !align.is_power_of_two() || align > PAGE_SIZE {
            return Err(EINVAL);
        }
        let word = core::mem::size_of::<usize>();
        let align_eff = align.max(word);
        let stride = size.checked_next_multiple_of(align_eff).ok_or(EINVAL)?;
        let stride_nz = NonZeroUsize::new(stride).ok_or(EINVAL)?;
        let first = core::mem::size_of::<Header>()
            .checked_next_multiple_of(align_eff)
            .ok_or(EINVAL)?;
        let slub_size = size.checked_next_multiple_of(align).ok_or(EINVAL)?;
        let slub_objects =
            slub_objects_per_slab(NonZeroUsize::new(slub_size).ok_or(EINVAL)?, nr_cpus);
        for order in 0..=MAX_SLAB_ORDER {
            let bytes = order_bytes(order).ok_or(EINVAL)?;
            let objects = bytes.saturating_sub(first) / stride_nz;
            if objects >= slub_objects && objects > 0 {
                return Ok(Self {
                    object_size: size,
                    align,
                    stride,
                    first,
                    order,
                    objects: u32::try_from(objects).map_err(|_| EINVAL)?,
                    slab_mask: bytes - 1,
                    recip: reciprocal(stride_nz, bytes),
                });
            }
        }
        Err(EINVAL)
    }

    /// The start of the slab that holds address `addr`.
    #[inline]
    fn slab_base(&self, addr: usize) -> usize {
        addr & !self.slab_mask
    }

    /// `delta / stride` for an offset `delta` inside a slab.
    #[inline]
    fn index_of(&self, delta: usize) -> usize {
        if self.recip == 0 {
            return delta / NonZeroUsize::new(self.stride).unwrap_or(NonZeroUsize::MIN);
        }
        ((delta as u64).wrapping_mul(self.recip) >> RECIP_SHIFT) as usize
    }
}

/// The reciprocal of `stride` for offsets below `slab_bytes`, or 0 if it would not be exact.
///
/// With `m = ceil(2^S / stride)`, `(delta * m) >> S` is `delta / stride` plus an error below
/// `delta / 2^S`; the result is exact while that error stays below `1 / stride`, that is while
/// `slab_bytes * stride <= 2^S` (and the product `delta * m` fits in 64 bits). With 4 KiB pages
/// a slab is at most 2^17 bytes and a stride at most 2^15, well inside `S = 40`.
fn reciprocal(stride: NonZeroUsize, slab_bytes: usize) -> u64 {
    let fits = (slab_bytes as u64)
        .checked_mul(stride.get() as u64)
        .is_some_and(|p| p <= 1 << RECIP_SHIFT);
    if !fits {
        return 0;
    }
    (1u64 << RECIP_SHIFT).div_ceil(stride.get() as u64)
}

/// Objects per slab SLUB picks for objects of `size` bytes (`calculate_order()` without debug
/// metadata): at least `4 * (fls(nr_cpus) + 1)` objects, leftover at most 1/16, 1/8 or 1/4 of
/// the slab, order at most 3 (`slub_max_order`).
fn slub_objects_per_slab(size: NonZeroUsize, nr_cpus: usize) -> usize {
    const SLUB_MAX_ORDER: u32 = 3;
    let objs = |order: u32| order_bytes(order).map_or(0, |b| b / size);
    let min_objects = (4 * (fls(nr_cpus) as usize + 1))
        .min(objs(SLUB_MAX_ORDER))
        .max(1);
    let page = NonZeroUsize::new(PAGE_SIZE).unwrap_or(NonZeroUsize::MIN);
    let min_bytes = min_objects.saturating_mul(size.get()).saturating_sub(1);
    let min_order = fls(min_bytes / page);
    for fract in [16usize, 8, 4].map(NonZeroUsize::new).into_iter().flatten() {
        for order in min_order..=SLUB_MAX_ORDER {
            let Some(slab) = order_bytes(order) else {
                continue;
            };
            if slab % size <= slab / fract {
                return objs(order);
            }
        }
    }
    objs(SLUB_MAX_ORDER.max(fls((size.get() - 1) / page))).max(1)
}

/// Which list of its node a slab is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ListId {
    Partial,
    Full,
}

/// The start of every slab.
#[repr(C)]
struct Header {
    /// The memory this header lives in; freed by [`Slab::drop`].
    pages: ManuallyDrop<Pages>,
    /// Which cache the slab belongs to, to refuse frees through the wrong cache.
    cache_id: u64,
    next: *mut Header,
    prev: *mut Header,
    freelist: *mut FreeObject,
    inuse: u32,
    list: ListId,
}

/// The first word of a free object.
struct FreeObject {
    next: *mut FreeObject,
}

/// The node of the slab holding `obj`.
///
/// # Safety
///
/// `obj` must be an object of a live slab with geometry `g`.
pub(crate) unsafe fn nid_of(obj: NonNull<u8>, g: &Geometry) -> NodeId {
    let hdr = g.slab_base(obj.as_ptr() as usize) as *const Header;
    // SAFETY: By the safety requirements the slab is live, so its header is initialised; the
    // pages (and their node) never change while the slab exists.
    unsafe { (*hdr).pages.nid() }
}

/// A slab that is on no list yet, owned.
///
/// # Invariants
///
/// `hdr` is the initialised header at the start of its own pages, and nobody else owns it.
pub(crate) struct Slab {
    hdr: NonNull<Header>,
}

// SAFETY: A slab is memory owned by whoever holds this value.
unsafe impl Send for Slab {}

impl Slab {
    /// Carves `pages` into a slab with `g`'s layout, all objects free.
    ///
    /// `EINVAL` (and the pages freed) if they are not a block of `g.order`: the layout fills
    /// exactly that many bytes.
    pub(crate) fn new(pages: Pages, g: &Geometry, cache_id: u64) -> Result<Self> {
        if pages.order() != g.order {
            return Err(EINVAL);
        }
        let base = pages.addr().as_ptr();
        let hdr = base.cast::<Header>();
        let mut freelist: *mut FreeObject = core::ptr::null_mut();
        // Thread the free list back to front so that allocation walks forward in memory.
        for i in (0..g.objects as usize).rev() {
            // SAFETY: Object `i` lies inside the slab (`first + objects * stride` is at most
            // the size of a block of `g.order`, established by `Geometry::new`, and the pages
            // are such a block, checked above), is aligned to a pointer, and is ours.
            unsafe {
                let obj = base.add(g.first + i * g.stride).cast::<FreeObject>();
                obj.write(FreeObject { next: freelist });
                freelist = obj;
            }
        }
        // SAFETY: `pages` starts with room for a `Header` (`first >= size_of::<Header>()`),
        // aligned to at least a page.
        unsafe {
            hdr.write(Header {
                pages: ManuallyDrop::new(pages),
                cache_id,
                next: core::ptr::null_mut(),
                prev: core::ptr::null_mut(),
                freelist,
                inuse: 0,
                list: ListId::Partial,
            })
        };
        // INVARIANT: the header is initialised at the start of its pages, owned by us.
        Ok(Self {
            // SAFETY: `base` came from a non-null `NonNull`.
            hdr: unsafe { NonNull::new_unchecked(hdr) },
        })
    }

    /// The node the slab's pages are on.
    pub(crate) fn nid(&self) -> NodeId {
        // SAFETY: By the type invariants the header is valid and ours.
        unsafe { (*self.hdr.as_ptr()).pages.nid() }
    }

    fn into_raw(self) -> *mut Header {
        let hdr = self.hdr.as_ptr();
        core::mem::forget(self);
        hdr
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        // SAFETY: By the type invariants we own the header; the pages are taken out of it and
        // freed, after which nothing touches the slab.
        drop(unsafe { ManuallyDrop::take(&mut (*self.hdr.as_ptr()).pages) });
    }
}

/// A doubly linked list of slabs, threaded through their headers.
///
/// # Invariants
///
/// The list owns every slab on it (each was a [`Slab`]); every header on it has `list == id`;
/// `len` is their number.
struct List {
    head: *mut Header,
    len: usize,
    id: ListId,
}

impl List {
    const fn new(id: ListId) -> Self {
        Self {
            head: core::ptr::null_mut(),
            len: 0,
            id,
        }
    }

    fn push(&mut self, slab: Slab) {
        let hdr = slab.into_raw();
        // SAFETY: `hdr` is a slab header we now own; `head`, if any, is on this list.
        unsafe {
            (*hdr).list = self.id;
            (*hdr).prev = core::ptr::null_mut();
            (*hdr).next = self.head;
            if !self.head.is_null() {
                (*self.head).prev = hdr;
            }
        }
        // INVARIANT: the slab joined the list with `list == id`.
        self.head = hdr;
        self.len += 1;
    }

    /// Unlinks `hdr` and returns ownership of it.
    ///
    /// # Safety
    ///
    /// `hdr` must be on this list.
    unsafe fn take(&mut self, hdr: *mut Header) -> Slab {
        // SAFETY: `hdr` and its neighbours are on this list, by the safety requirements.
        unsafe {
            let (prev, next) = ((*hdr).prev, (*hdr).next);
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).next = next;
            }
            if !next.is_null() {
                (*next).prev = prev;
            }
        }
        self.len -= 1;
        // INVARIANT: unlinked, so owned by the returned value alone.
        Slab {
            // SAFETY: `hdr` is a valid header pointer.
            hdr: unsafe { NonNull::new_unchecked(hdr) },
        }
    }
}

/// Where a slab stands, as its node's counters see it: before and after each change the
/// lists make, so that the node can update every counter from the pair.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SlabState {
    /// Not on the node's lists (not yet added, or released).
    Absent,
    /// On the partial list with this many objects in use.
    Partial(u32),
    /// On the full list.
    Full,
}

/// A run of frees on one slab in [`SlabLists::free_many`]: the slab's freelist and in-use
/// count are kept here, and written back when the run ends.
#[derive(Clone, Copy)]
struct FreeRun {
    hdr: *mut Header,
    freelist: *mut FreeObject,
    inuse: u32,
    /// The slab's state before the run.
    before: SlabState,
}

/// The slabs of one node of one cache, and the objects in them.
///
/// # Invariants
///
/// Every slab on `partial` has `0 <= inuse < objects` and a non-empty freelist of exactly
/// `objects - inuse` objects; every slab on `full` has `inuse == objects`. Each slab's pages are
/// on the node the lists belong to.
pub(crate) struct SlabLists {
    partial: List,
    full: List,
}

// SAFETY: The lists own their slabs, which are plain memory; the owner serialises access.
unsafe impl Send for SlabLists {}

impl SlabLists {
    /// Empty lists.
    pub(crate) const fn new() -> Self {
        Self {
            partial: List::new(ListId::Partial),
            full: List::new(ListId::Full),
        }
    }

    /// Allocates up to `out.len()` objects from the partial slabs, a slab's freelist at a time;
    /// returns how many were written to the front of `out` (fewer only if no slab is partial).
    /// `note` hears of every slab that changed, with its state before and after.
    pub(crate) fn alloc_many(
        &mut self,
        g: &Geometry,
        out: &mut [*mut u8],
        mut note: impl FnMut(SlabState, SlabState),
    ) -> usize {
        let mut n = 0;
        while n < out.len() {
            let hdr = self.partial.head;
            if hdr.is_null() {
                break;
            }
            // SAFETY: `hdr` is on `partial`, so it has `objects - inuse >= 1` objects on its
            // freelist (type invariants); each is ours to hand out.
            let (before, after) = unsafe {
                let before = (*hdr).inuse;
                let mut fl = (*hdr).freelist;
                let mut inuse = before;
                while n < out.len() && !fl.is_null() {
                    out[n] = fl.cast();
                    fl = (*fl).next;
                    n += 1;
                    inuse += 1;
                }
                (*hdr).freelist = fl;
                (*hdr).inuse = inuse;
                (before, inuse)
            };
            let full = after == g.objects;
            if full {
                // SAFETY: `hdr` is on `partial`.
                let slab = unsafe { self.partial.take(hdr) };
                // INVARIANT: `inuse == objects`, so it belongs on `full`.
                self.full.push(slab);
            }
            note(
                SlabState::Partial(before),
                if full {
                    SlabState::Full
                } else {
                    SlabState::Partial(after)
                },
            );
        }
        n
    }

    /// Adds a fresh slab of this node.
    pub(crate) fn add(&mut self, slab: Slab) {
        // INVARIANT: a fresh slab is empty, with every object on its freelist.
        self.partial.push(slab);
    }

    /// Frees every object of `objs`, a run of objects of one slab at a time. A slab left empty
    /// goes into `drain` if more than `min_partial` slabs would stay partial with it; otherwise
    /// it stays for reuse. `note` hears of every slab that changed, with its state before and
    /// after.
    ///
    /// Stops with `EINVAL` at the first pointer that is not an allocated object of a slab of
    /// cache `cache_id`, leaving it and the rest allocated.
    ///
    /// # Safety
    ///
    /// Every pointer of `objs` must be a distinct live object from a slab of cache `cache_id`
    /// with geometry `g` whose slab is on these lists, not freed since it was allocated.
    pub(crate) unsafe fn free_many(
        &mut self,
        objs: &[*mut u8],
        g: &Geometry,
        cache_id: u64,
        min_partial: usize,
        drain: &mut SlabDrain,
        mut note: impl FnMut(SlabState, SlabState),
    ) -> Result {
        let mut run: Option<FreeRun> = None;
        let mut result = Ok(());
        for &p in objs {
            let addr = p as usize;
            let base = g.slab_base(addr);
            let hdr = base as *mut Header;
            // Not an object boundary of a slab: `delta` wraps for null and header addresses.
            let delta = (addr - base).wrapping_sub(g.first);
            let index = g.index_of(delta.min(g.slab_mask));
            if p.is_null() || index >= g.objects as usize || index * g.stride != delta {
                result = Err(EINVAL);
                break;
            }
            let r = match run {
                Some(r) if r.hdr == hdr => r,
                _ => {
                    if let Some(r) = run.take() {
                        // SAFETY: `r` is a run on a slab of these lists.
                        unsafe { self.end_run(r, min_partial, drain, &mut note) };
                    }
                    // SAFETY: By the safety requirements `p` is an object of a slab of this
                    // cache, so `hdr` is its header, on one of these lists; nothing writes it
                    // while this borrow lasts.
                    let h = unsafe { &*hdr };
                    if h.cache_id != cache_id {
                        result = Err(EINVAL);
                        break;
                    }
                    let before = match h.list {
                        ListId::Full => SlabState::Full,
                        ListId::Partial => SlabState::Partial(h.inuse),
                    };
                    FreeRun {
                        hdr,
                        freelist: h.freelist,
                        inuse: h.inuse,
                        before,
                    }
                }
            };
            if r.inuse == 0 {
                result = Err(EINVAL);
                break;
            }
            let fo = p.cast::<FreeObject>();
            // SAFETY: `p` is an allocated object of the slab (checked above), so its first word
            // is ours to thread into the freelist.
            unsafe { fo.write(FreeObject { next: r.freelist }) };
            run = Some(FreeRun {
                freelist: fo,
                inuse: r.inuse - 1,
                ..r
            });
        }
        if let Some(r) = run {
            // SAFETY: `r` is a run on a slab of these lists.
            unsafe { self.end_run(r, min_partial, drain, &mut note) };
        }
        result
    }

    /// Writes a run of frees back to its slab and moves the slab where it now belongs.
    ///
    /// # Safety
    ///
    /// `run` must describe a slab on these lists after at least one free.
    unsafe fn end_run(
        &mut self,
        FreeRun {
            hdr,
            freelist: fl,
            inuse,
            before,
        }: FreeRun,
        min_partial: usize,
        drain: &mut SlabDrain,
        note: &mut impl FnMut(SlabState, SlabState),
    ) {
        // SAFETY: `hdr` is a slab on these lists (safety requirements).
        unsafe {
            (*hdr).freelist = fl;
            (*hdr).inuse = inuse;
            if before == SlabState::Full {
                let slab = self.full.take(hdr);
                // INVARIANT: at least one object is free again.
                self.partial.push(slab);
            }
        }
        let after = if inuse == 0 && self.partial.len > min_partial {
            // SAFETY: `hdr` is on `partial` now.
            drain.push(unsafe { self.partial.take(hdr) });
            SlabState::Absent
        } else {
            SlabState::Partial(inuse)
        };
        note(before, after);
    }

    /// Takes every empty slab off the partial list, to be freed outside the lock; returns them
    /// and their number.
    pub(crate) fn take_empty(&mut self) -> (SlabDrain, usize) {
        let mut empty = List::new(ListId::Partial);
        let mut hdr = self.partial.head;
        while !hdr.is_null() {
            // SAFETY: `hdr` is on `partial`; `next` is read before it may be unlinked.
            let (next, is_empty) = unsafe { ((*hdr).next, (*hdr).inuse == 0) };
            if is_empty {
                // SAFETY: `hdr` is on `partial`.
                empty.push(unsafe { self.partial.take(hdr) });
            }
            hdr = next;
        }
        let n = empty.len;
        (
            SlabDrain {
                lists: [empty, List::new(ListId::Full)],
            },
            n,
        )
    }

    /// Takes every slab, with the number of objects still allocated in them.
    pub(crate) fn take_all(&mut self) -> (SlabDrain, usize) {
        let mut live = 0;
        for list in [&self.partial, &self.full] {
            let mut hdr = list.head;
            while !hdr.is_null() {
                // SAFETY: `hdr` is on one of our lists.
                unsafe {
                    live += (*hdr).inuse as usize;
                    hdr = (*hdr).next;
                }
            }
        }
        let drain = SlabDrain {
            lists: [
                core::mem::replace(&mut self.partial, List::new(ListId::Partial)),
                core::mem::replace(&mut self.full, List::new(ListId::Full)),
            ],
        };
        (drain, live)
    }
}

/// Slabs taken off their lists, freed one by one when dropped.
pub(crate) struct SlabDrain {
    lists: [List; 2],
}

impl SlabDrain {
    /// No slabs.
    pub(crate) const fn new() -> Self {
        Self {
            lists: [List::new(ListId::Partial), List::new(ListId::Full)],
        }
    }

    /// Adds a slab to be freed.
    pub(crate) fn push(&mut self, slab: Slab) {
        self.lists[0].push(slab);
    }
}

impl Drop for SlabDrain {
    fn drop(&mut self) {
        for list in &mut self.lists {
            while !list.head.is_null() {
                // SAFETY: `head` is on `list`; the slab it returns is dropped, freeing its pages.
                drop(unsafe { list.take(list.head) });
            }
        }
    }
}

#[cfg(all(rsh_test, not(rsh_legacy)))]
#[kernel::macros::kunit_tests(rust_slab_hp_slab)]
mod tests {
    use super::*;

    /// SLUB's objects per slab as the VM's kernel shows them (`/sys/kernel/slab/kmalloc-*/
    /// objs_per_slab`, 4 possible CPUs) and `calculate_order()` gives them: an oracle from
    /// outside this file.
    #[test]
    fn slub_order_matches_kmalloc_caches() {
        for (size, objs) in [
            (8, 512),
            (32, 128),
            (64, 64),
            (256, 16),
            (1024, 16),
            (4096, 8),
        ] {
            let size = NonZeroUsize::new(size).unwrap_or(NonZeroUsize::MIN);
            assert_eq!(slub_objects_per_slab(size, 4), objs);
        }
        // More CPUs want more objects per slab (`4 * (fls(nr_cpus) + 1)` at least).
        let s = NonZeroUsize::new(256).unwrap_or(NonZeroUsize::MIN);
        assert!(slub_objects_per_slab(s, 8192) >= slub_objects_per_slab(s, 4));
        // One object bigger than the largest order still gets a slab.
        let big = NonZeroUsize::new(MAX_OBJECT_SIZE).unwrap_or(NonZeroUsize::MIN);
        assert!(slub_objects_per_slab(big, 4) >= 1);
    }

    #[test]
    fn geometry_rejects_bad_layouts() {
        for (size, align) in [
            (0, 8),
            (7, 8),
            (MAX_OBJECT_SIZE + 1, 8),
            (64, 0),
            (64, 3),
            (64, 24),
            (64, PAGE_SIZE * 2),
            (usize::MAX, 8),
        ] {
            assert!(Geometry::new(size, align, 4).is_err());
        }
    }

    /// Every accepted layout fits its slab, holds at least as many objects as SLUB's, at the
    /// smallest order that does, and keeps every object aligned.
    #[test]
    fn geometry_fits_and_matches_slub() {
        for size in [
            8,
            9,
            24,
            32,
            64,
            100,
            256,
            1000,
            1024,
            4096,
            8192,
            MAX_OBJECT_SIZE,
        ] {
            for align in [1, 8, 64, 4096] {
                let Ok(g) = Geometry::new(size, align, 4) else {
                    assert!(false);
                    continue;
                };
                let bytes = order_bytes(g.order).unwrap_or(0);
                assert!(g.first >= core::mem::size_of::<Header>());
                assert!(g.first + g.objects as usize * g.stride <= bytes);
                assert!(g.stride >= size && g.stride % align.max(8) == 0);
                assert!(g.first % align.max(8) == 0);
                let slub = slub_objects_per_slab(
                    NonZeroUsize::new(size.next_multiple_of(align)).unwrap_or(NonZeroUsize::MIN),
                    4,
                );
                assert!(g.objects as usize >= slub);
                if g.order > 0 {
                    let smaller = order_bytes(g.order - 1).unwrap_or(0);
                    assert!(smaller.saturating_sub(g.first) / g.stride < slub);
                }
            }
        }
    }

    /// The layouts the README states for the default caches (4 possible CPUs).
    #[test]
    fn geometry_of_default_caches() {
        for (size, align, order, objects) in [(32, 8, 1, 254), (256, 64, 1, 31), (4096, 8, 4, 15)] {
            let g = Geometry::new(size, align, 4);
            assert!(g.is_ok());
            if let Ok(g) = g {
                assert_eq!((g.order, g.objects), (order, objects));
            }
        }
    }

    /// The reciprocal object index is the division, for every offset of every object of every
    /// slab size and stride the caches can have, and for the offsets between objects.
    #[test]
    fn reciprocal_index_is_exact() {
        for size in [
            8,
            24,
            40,
            56,
            72,
            200,
            264,
            1000,
            3000,
            4096,
            5000,
            12000,
            MAX_OBJECT_SIZE,
        ] {
            let Ok(g) = Geometry::new(size, 8, 4) else {
                assert!(false);
                continue;
            };
            let bytes = order_bytes(g.order).unwrap_or(0);
            let mut delta = 0;
            while delta < bytes - g.first {
                assert_eq!(g.index_of(delta), delta / g.stride);
                // Object starts, the bytes around them and the last byte of each.
                delta += if delta % g.stride == 0 {
                    1
                } else {
                    g.stride - delta % g.stride
                };
            }
            assert!(g.recip != 0);
        }
    }
}
