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
//! fields. Free objects form a singly linked list threaded through their first word (in debug
//! mode, a word after the object; see below).
//!
//! Everything here runs under the lock of the node whose lists hold the slab
//! ([`crate::node::Node`]); this file only knows lists, not locks.
//!
//! # Hardening
//!
//! SLUB's protections of its own metadata apply to our slabs, each where the kernel has it:
//!
//! - `CONFIG_SLAB_FREELIST_HARDENED`: a free pointer is stored as the pointer XOR a per-cache
//!   random key XOR the byte-swapped address it is stored at (`freelist_ptr_encode()`), so a
//!   use-after-free write or a leak of one free object's contents gives an attacker neither a
//!   usable pointer nor the key. Every pointer read back is checked before it is followed: it
//!   must be the end of the list or an object of the same slab, and the list must hold as many
//!   objects as the slab's count says. A bad one is reported once (one line), the rest of that
//!   slab's freelist is abandoned (its objects stay counted as in use, never handed out) and
//!   nothing it points to is touched.
//! - `CONFIG_SLAB_FREELIST_RANDOM`: a new slab's freelist follows a per-cache random
//!   permutation of its objects, entered at a random position per slab ([`FreelistOrder`],
//!   SLUB's `cache_random_seq` and `shuffle_freelist()`).
//! - Always: a pointer given back to the cache is refused unless it is an object of one of
//!   its slabs (the slab's first page carries the cache's random mark in `page->private` while
//!   the slab is on its node's lists, checked before the slab is read; then its header's cache
//!   id and the object boundary), and unless it is allocated: a pointer that is its slab's
//!   freelist head (SLUB's "double free or corruption" check) or in a slab with nothing
//!   allocated is a double free ([`BadFree`]).
//!
//! # Debug mode
//!
//! A cache created with debug flags (`name:size:align:FZP`, SLUB's `slub_debug=FZP`) runs
//! SLUB's debug checks on every object that passes its node's lists, and its fast paths go
//! through those lists (SLUB's debug caches bypass the per-CPU fast path the same way), so no
//! object escapes them:
//!
//! - `Z`, red zones: a word (rounded up to the alignment) before every object, and the bytes
//!   from its end to the next word plus one word after it, hold `SLUB_RED_ACTIVE` while it is
//!   allocated and `SLUB_RED_INACTIVE` while it is free. A free finds an overrun or underrun
//!   in them, reports it and restores them; an allocation finds a write to a free object's.
//! - `P`, poisoning: a free object holds `POISON_FREE`, its last byte `POISON_END`; an
//!   allocation that finds anything else (a use after free wrote there) reports it and
//!   quarantines the object: it is counted as in use ([`Header::lost`]) and never handed out,
//!   until its slab is empty again and goes back to the page allocator. The free pointer then
//!   lives after the object (and its red zone), as SLUB moves it out of a poisoned object;
//!   poisoning replaces `init_on_alloc` and `init_on_free`'s zeroing, as in SLUB.
//! - `F`, consistency checks: a free looks for the object on its slab's whole freelist, not
//!   only at its head, so every double free is caught before the freelist is touched.
//!
//! Each finding is one line in the kernel log, with the cache, the slab's node, the object's
//! index and the bytes; never a stack trace.

use crate::{
    cache::CacheName,
    ffi::{
        self,
        nodes::NodeId,
        page::{page_state, Pages, PAGE_SIZE},
        poison,
    },
};
use core::{mem::ManuallyDrop, num::NonZeroUsize, ptr::NonNull};
use kernel::prelude::*;

/// The largest slab order used; `PAGE_ALLOC_COSTLY_ORDER + 2`, enough for 32 KiB objects.
pub(crate) const MAX_SLAB_ORDER: u32 = 5;

/// The largest object size a cache may have.
pub(crate) const MAX_OBJECT_SIZE: usize = 32 * 1024;

/// The most objects a slab holds: SLUB's `MAX_OBJS_PER_PAGE` (its object count has 15 bits).
/// Only reached with pages above 4 KiB.
const MAX_OBJECTS: usize = 32767;

/// How objects are laid out in every slab of a cache.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    /// Size the user asked for.
    pub(crate) object_size: usize,
    /// Alignment the user asked for.
    pub(crate) align: usize,
    /// Distance between objects: the size rounded up to the alignment and to a pointer (and,
    /// in debug mode, room for the red zones and the free pointer).
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
    /// The cache's secrets for its free pointers and slab pages.
    keys: SlabKeys,
    /// Where a free object keeps its free pointer, from the object's start: its first word,
    /// or after the object and its red zone in debug mode with `Z` or `P`.
    fp: usize,
    /// Bytes of red zone before each object (`Z`), 0 otherwise.
    red_left: usize,
    /// The debug checks the cache runs.
    debug: DebugFlags,
    /// The cache's name, for the debug mode's reports.
    owner: Option<CacheName>,
}

/// Which of SLUB's debug checks a cache runs (`slub_debug`'s `F`, `Z` and `P`); none by default.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct DebugFlags(u8);

impl DebugFlags {
    /// No debug checks: the default.
    pub(crate) const NONE: Self = Self(0);
    /// `F`: consistency checks on every free (`SLAB_CONSISTENCY_CHECKS`).
    pub(crate) const CHECKS: Self = Self(1);
    /// `Z`: red zones around every object (`SLAB_RED_ZONE`).
    pub(crate) const RED_ZONE: Self = Self(2);
    /// `P`: free objects poisoned (`SLAB_POISON`).
    pub(crate) const POISON: Self = Self(4);

    /// Each flag and its letter, in `slub_debug`'s order.
    const LETTERS: [(Self, u8); 3] = [
        (Self::CHECKS, b'F'),
        (Self::RED_ZONE, b'Z'),
        (Self::POISON, b'P'),
    ];

    /// Parses one or more of the letters `F`, `Z` and `P` (either case, each at most once).
    pub(crate) fn parse(text: &[u8]) -> Result<Self> {
        if text.is_empty() {
            return Err(EINVAL);
        }
        let mut flags = Self::NONE;
        for c in text {
            let (flag, _) = Self::LETTERS
                .into_iter()
                .find(|&(_, l)| l == c.to_ascii_uppercase())
                .ok_or(EINVAL)?;
            if flags.contains(flag) {
                return Err(EINVAL);
            }
            flags = Self(flags.0 | flag.0);
        }
        Ok(flags)
    }

    /// Whether every flag of `other` is set.
    pub(crate) fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any check is on.
    pub(crate) fn any(self) -> bool {
        self.0 != 0
    }
}

/// A cache's random secrets: the key of its stored free pointers and the mark of its slabs'
/// pages. Both stay in the cache's own memory and the pages' `struct page`, never in an object.
#[derive(Clone, Copy)]
pub(crate) struct SlabKeys {
    /// XORed into every stored free pointer (SLUB's `s->random`); unused without
    /// `CONFIG_SLAB_FREELIST_HARDENED`.
    freeptr: usize,
    /// What a slab's first page holds in `page->private` while the slab is on its node's
    /// lists; never 0, which is an unmarked page.
    mark: usize,
}

impl SlabKeys {
    /// Keys that mark nothing: a geometry for checking a layout only. A pointer given back to
    /// a cache with these keys is never taken for one of its objects.
    const NONE: Self = Self {
        freeptr: 0,
        mark: 0,
    };

    /// Fresh keys from the kernel's random number generator, as SLUB draws `s->random` with
    /// `get_random_long()` when it creates a cache.
    pub(crate) fn random() -> Self {
        Self {
            freeptr: ffi::random_u64() as usize,
            mark: (ffi::random_u64() as usize).max(1),
        }
    }
}

impl core::fmt::Debug for SlabKeys {
    // Secrets stay out of every log.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SlabKeys { .. }")
    }
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
    ///
    /// A cache that runs the debug checks `debug` with `Z` or `P` has larger slots: they also
    /// hold the red zones and the free pointer, after the object, as SLUB lays out a debug
    /// cache's objects (`calculate_sizes()`):
    ///
    /// ```text
    /// | left red zone | object | right red zone | free pointer | pad |
    ///                 ^ aligned; the slot is `stride` bytes
    /// ```
    pub(crate) fn new(
        size: usize,
        align: usize,
        nr_cpus: usize,
        debug: DebugFlags,
    ) -> Result<Self> {
        if !(8..=MAX_OBJECT_SIZE).contains(&size) || !align.is_power_of_two() || align > PAGE_SIZE {
            return Err(EINVAL);
        }
        let word = core::mem::size_of::<usize>();
        let align_eff = align.max(word);
        let zoned = debug.contains(DebugFlags::RED_ZONE);
        // SLUB's `red_left_pad`: a word, aligned.
        let red_left = if zoned { align_eff } else { 0 };
        let (fp, slot) = if zoned || debug.contains(DebugFlags::POISON) {
            // The right red zone runs from the end of the object to the next word, and one
            // word more; the free pointer follows.
            let rounded = size.checked_next_multiple_of(word).ok_or(EINVAL)?;
            let fp = rounded + if zoned { word } else { 0 };
            (fp, red_left + fp + word)
        } else {
            (0, size)
        };
        let stride = slot.checked_next_multiple_of(align_eff).ok_or(EINVAL)?;
        let stride_nz = NonZeroUsize::new(stride).ok_or(EINVAL)?;
        let first = (core::mem::size_of::<Header>() + red_left)
            .checked_next_multiple_of(align_eff)
            .ok_or(EINVAL)?;
        // Slots start `red_left` bytes before their objects.
        let slots_start = first - red_left;
        // A debug cache's objects in SLUB are as large as its slots here.
        let slub_size = if debug.any() {
            stride
        } else {
            size.checked_next_multiple_of(align).ok_or(EINVAL)?
        };
        let slub_objects =
            slub_objects_per_slab(NonZeroUsize::new(slub_size).ok_or(EINVAL)?, nr_cpus);
        for order in 0..=MAX_SLAB_ORDER {
            let bytes = order_bytes(order).ok_or(EINVAL)?;
            let objects = (bytes.saturating_sub(slots_start) / stride_nz).min(MAX_OBJECTS);
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
                    keys: SlabKeys::NONE,
                    fp,
                    red_left,
                    debug,
                    owner: None,
                });
            }
        }
        Err(EINVAL)
    }

    /// The same layout with the cache's secrets, for its slabs.
    pub(crate) fn with_keys(self, keys: SlabKeys) -> Self {
        Self { keys, ..self }
    }

    /// The same layout, its debug mode's reports naming cache `name`.
    pub(crate) fn with_owner(self, name: CacheName) -> Self {
        Self {
            owner: Some(name),
            ..self
        }
    }

    /// The debug checks the cache runs.
    pub(crate) fn debug(&self) -> DebugFlags {
        self.debug
    }

    /// Where the free pointer of the free object `obj` is stored.
    #[inline]
    fn fp_of(&self, obj: *mut FreeObject) -> *mut FreeObject {
        obj.wrapping_byte_add(self.fp)
    }

    /// The next free object after `obj`, decoded from where it is stored; only a value
    /// [`Geometry::valid_next`] accepts may be followed.
    ///
    /// # Safety
    ///
    /// `obj` must be a free object of a live slab with this layout, whose slab the caller's
    /// lists hold.
    #[inline]
    unsafe fn next_of(&self, obj: *mut FreeObject) -> *mut FreeObject {
        let at = self.fp_of(obj);
        // SAFETY: By the safety requirements `obj` is an object of a live slab; its slot has a
        // word at `fp` (the layout of `Geometry::new`), aligned to a word, ours to read.
        self.decode(unsafe { (*at).next }, at)
    }

    /// Stores `next` as the free pointer of `obj`.
    ///
    /// # Safety
    ///
    /// As for [`Geometry::next_of`]; `obj` is free, or being freed, and nothing else uses it.
    #[inline]
    unsafe fn set_next(&self, obj: *mut FreeObject, next: *mut FreeObject) {
        let at = self.fp_of(obj);
        // SAFETY: As for `next_of`; the word is ours to write.
        unsafe {
            at.write(FreeObject {
                next: self.encode(next, at),
            })
        };
    }

    /// The red zones of an object: where each starts, from the object's start, and its
    /// length. Empty without `Z`.
    fn red_zones(&self) -> impl Iterator<Item = (Area, isize, usize)> {
        let zoned = self.debug.contains(DebugFlags::RED_ZONE);
        let left = (Area::LeftRedZone, -(self.red_left as isize), self.red_left);
        let right = (
            Area::RightRedZone,
            self.object_size as isize,
            self.fp.saturating_sub(self.object_size),
        );
        [left, right].into_iter().filter(move |_| zoned)
    }

    /// Writes the debug mode's patterns around and into the object at `obj`: its red zones
    /// active if `allocated`, else inactive and the object poisoned.
    ///
    /// # Safety
    ///
    /// `obj` must be an object of a live slab with this layout whose whole slot the caller
    /// may write: a new slab's, or one its lists hold whose object is being freed or handed
    /// out.
    unsafe fn debug_mark(&self, obj: *mut u8, allocated: bool) {
        let red = if allocated {
            poison::RED_ACTIVE
        } else {
            poison::RED_INACTIVE
        };
        for (_, off, len) in self.red_zones() {
            // SAFETY: The red zones lie inside the object's slot (the layout of
            // `Geometry::new`), which the caller may write.
            unsafe { obj.offset(off).write_bytes(red, len) };
        }
        if !allocated && self.debug.contains(DebugFlags::POISON) {
            // SAFETY: The object's `object_size` bytes are the caller's to write; the last is
            // inside them.
            unsafe {
                obj.write_bytes(poison::FREE, self.object_size - 1);
                obj.add(self.object_size - 1).write(poison::END);
            }
        }
    }

    /// Checks the debug mode's patterns around and into the object at `obj`, as
    /// [`Geometry::debug_mark`] wrote them; the first area that differs, if any.
    ///
    /// The bytes are read one by one and volatile: a use-after-free writer may be at them.
    ///
    /// # Safety
    ///
    /// `obj` must be an object of a live slab with this layout whose slot the caller's lists
    /// hold.
    unsafe fn debug_check(&self, obj: *mut u8, allocated: bool) -> Option<Finding> {
        // The first and last byte of `len` from `obj + off` that differ from `want(i)`.
        let scan = |area: Area, off: isize, len: usize, want: &dyn Fn(usize) -> u8| {
            let mut bad: Option<Finding> = None;
            for i in 0..len {
                // SAFETY: Inside the object's slot (the layout of `Geometry::new`), which the
                // caller's lists hold: readable.
                let got = unsafe { obj.offset(off).add(i).read_volatile() };
                if got != want(i) {
                    let at = off + i as isize;
                    match &mut bad {
                        Some(f) => f.end = at + 1,
                        None => {
                            bad = Some(Finding {
                                area,
                                start: at,
                                end: at + 1,
                                got,
                                want: want(i),
                            })
                        }
                    }
                }
            }
            bad
        };
        let red = if allocated {
            poison::RED_ACTIVE
        } else {
            poison::RED_INACTIVE
        };
        for (area, off, len) in self.red_zones() {
            if let Some(f) = scan(area, off, len, &|_| red) {
                return Some(f);
            }
        }
        if !allocated && self.debug.contains(DebugFlags::POISON) {
            let last = self.object_size - 1;
            let want = |i| if i == last { poison::END } else { poison::FREE };
            return scan(Area::Poison, 0, self.object_size, &want);
        }
        None
    }

    /// The debug mode's checks of a free object about to be handed out: intact red zones and
    /// poison, which then turn to an allocated object's. `false` for an object a use after
    /// free wrote to, reported and not to be handed out.
    ///
    /// # Safety
    ///
    /// `obj` must be a free object of the slab `hdr` heads, which the caller's lists hold,
    /// being taken off its freelist.
    unsafe fn debug_take(&self, obj: *mut u8, hdr: &Header) -> bool {
        // SAFETY: Forwarded from our own safety requirements.
        if let Some(f) = unsafe { self.debug_check(obj, false) } {
            self.report(obj, hdr, f, "object quarantined");
            return false;
        }
        // SAFETY: The object is being handed out: its slot is ours until then.
        unsafe { self.debug_mark(obj, true) };
        true
    }

    /// The debug mode's checks of an object being freed, before anything is written: not on
    /// its slab's freelist (`F`), and its red zones intact (`Z`: reported; the free then
    /// restores them).
    ///
    /// # Safety
    ///
    /// `obj` must be an object of the slab `hdr` heads, which the caller's lists hold, and
    /// `freelist` that slab's freelist.
    unsafe fn debug_free(
        &self,
        obj: *mut u8,
        hdr: &Header,
        freelist: *mut FreeObject,
    ) -> core::result::Result<(), BadFree> {
        let base = core::ptr::from_ref(hdr) as usize;
        if self.debug.contains(DebugFlags::CHECKS) {
            let mut fl = freelist;
            // Each step is checked as an allocation checks it, and there are at most
            // `objects` free objects: a corrupted list cannot make this follow anything
            // outside the slab, nor loop.
            for _ in 0..self.objects {
                if fl.is_null() {
                    break;
                }
                if fl.cast::<u8>() == obj {
                    return Err(BadFree::DoubleFree);
                }
                // SAFETY: `fl` is a free object of the slab: its head, or a next pointer that
                // `valid_next` accepted.
                let next = unsafe { self.next_of(fl) };
                if !self.valid_next(next, base) {
                    break;
                }
                fl = next;
            }
        }
        // SAFETY: Forwarded from our own safety requirements.
        if let Some(f) = unsafe { self.debug_check(obj, true) } {
            self.report(obj, hdr, f, "restored");
        }
        Ok(())
    }

    /// Reports what the debug mode found at the object `obj` of the slab `hdr` heads, and
    /// what was done about it: one line.
    #[cold]
    fn report(&self, obj: *mut u8, hdr: &Header, f: Finding, action: &str) {
        pr_err!(
            "{}: {}: object {} of a slab on node {}, bytes {}..{} from its start, first 0x{:02x} instead of 0x{:02x}; {}\n",
            self.owner.as_ref().map_or("?", CacheName::as_str),
            f.area.describe(),
            self.object_index(obj as usize).unwrap_or(usize::MAX),
            hdr.pages.nid().index(),
            f.start,
            f.end,
            f.got,
            f.want,
            action
        );
    }

    /// The start of the slab that holds address `addr`.
    #[inline]
    fn slab_base(&self, addr: usize) -> usize {
        addr & !self.slab_mask
    }

    /// The index of the object that starts at `addr` in its slab; `None` if no object of this
    /// layout starts there (a header, padding, the waste at the end, an object's interior).
    #[inline]
    pub(crate) fn object_index(&self, addr: usize) -> Option<usize> {
        // `delta` wraps for header addresses, and is then no object's offset.
        let delta = (addr - self.slab_base(addr)).wrapping_sub(self.first);
        let index = self.index_of(delta.min(self.slab_mask));
        (index < self.objects as usize && index * self.stride == delta).then_some(index)
    }

    /// A free pointer as it is stored in the free object at `at` (`freelist_ptr_encode()`).
    #[inline]
    fn encode(&self, next: *mut FreeObject, at: *mut FreeObject) -> usize {
        // `rsh_price_no_freeptr`: the benchmark's build without the encoding and its check
        // (bench-only, to measure their price; see Kbuild).
        #[cfg(all(CONFIG_SLAB_FREELIST_HARDENED, not(rsh_price_no_freeptr)))]
        {
            (next as usize) ^ self.keys.freeptr ^ (at as usize).swap_bytes()
        }
        #[cfg(any(not(CONFIG_SLAB_FREELIST_HARDENED), rsh_price_no_freeptr))]
        {
            let _ = (at, self.keys.freeptr);
            next as usize
        }
    }

    /// The free pointer stored as `word` in the free object at `at` (`freelist_ptr_decode()`):
    /// the inverse of [`Geometry::encode`]. Only a value [`Geometry::valid_next`] accepts may
    /// be followed.
    #[inline]
    fn decode(&self, word: usize, at: *mut FreeObject) -> *mut FreeObject {
        self.encode(word as *mut FreeObject, at) as *mut FreeObject
    }

    /// Whether `next`, read from a free object of the slab at `base`, may be followed: the
    /// end of the list, or an object of the same slab.
    #[inline]
    fn valid_next(&self, next: *mut FreeObject, base: usize) -> bool {
        #[cfg(not(rsh_price_no_freeptr))]
        {
            let addr = next as usize;
            next.is_null() || (self.slab_base(addr) == base && self.object_index(addr).is_some())
        }
        // `rsh_price_no_freeptr`: bench-only, to measure the check's price (see Kbuild); the
        // freelist is then trusted, as SLUB without `CONFIG_SLAB_FREELIST_HARDENED` trusts its.
        #[cfg(rsh_price_no_freeptr)]
        {
            let _ = (next, base);
            true
        }
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
    /// The first free object, in the clear (as SLUB's `slab->freelist`): the header is never
    /// handed out, so no user of an object can reach it.
    freelist: *mut FreeObject,
    /// Objects allocated, plus the `lost` ones.
    inuse: u32,
    /// Free objects abandoned with a corrupted freelist, or quarantined by the debug mode:
    /// counted in `inuse` for good, so they are never handed out, and the slab is empty again
    /// when `inuse == lost`. 16 bits, at
    /// most [`MAX_OBJECTS`], so that the header stays within 64 bytes (and the layouts as
    /// they were).
    lost: u16,
    list: ListId,
}

// The layouts of the default caches (README, `geometry_of_default_caches`) assume a header
// of 64 bytes at most: checked at build time.
const _: () = assert!(core::mem::size_of::<Header>() <= 64);

impl Header {
    /// Sets the mark of the slab's first page: the cache's while the slab is on a node's
    /// lists, 0 otherwise.
    fn set_mark(&self, mark: usize) {
        self.pages.set_private(mark);
    }
}

/// Clears the mark of the slab whose header is `hdr`, as it leaves its node's lists.
///
/// # Safety
///
/// `hdr` must be the header of a live slab that the caller owns or whose lists it holds.
unsafe fn clear_mark(hdr: *mut Header) {
    // SAFETY: By the safety requirements `hdr` is a valid header.
    unsafe { (*hdr).set_mark(0) };
}

/// Reports a corrupted freelist, once for the slab: its rest, `lost` objects, is abandoned.
#[cold]
fn report_corrupt_freelist(hdr: &Header, lost: u32) {
    pr_err!(
        "corrupted free pointer in a slab on node {}: {} free objects abandoned, none followed\n",
        hdr.pages.nid().index(),
        lost
    );
}

/// A part of an object's slot that the debug mode checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Area {
    /// The red zone before the object.
    LeftRedZone,
    /// The red zone after the object.
    RightRedZone,
    /// A free object's poison.
    Poison,
}

impl Area {
    /// What a write to this area means, for the one line that reports it.
    fn describe(self) -> &'static str {
        match self {
            Self::LeftRedZone => "left red zone overwritten (underrun)",
            Self::RightRedZone => "right red zone overwritten (overrun)",
            Self::Poison => "poison overwritten (use after free)",
        }
    }
}

/// Bytes of an object's slot that do not hold the debug mode's pattern.
#[derive(Clone, Copy, Debug)]
struct Finding {
    area: Area,
    /// The first bad byte and one past the last, from the object's start (negative in the
    /// left red zone).
    start: isize,
    end: isize,
    /// The first bad byte's value, and what it should be.
    got: u8,
    want: u8,
}

/// The free pointer of a free object (its first word, or after it in debug mode,
/// [`Geometry::fp_of`]): the next free object of the slab, encoded ([`Geometry::encode`]).
struct FreeObject {
    next: usize,
}

/// Why a pointer given back to a cache was refused, before anything was changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(
    rsh_price_no_checks,
    expect(dead_code, reason = "bench-only price build")
)]
pub(crate) enum BadFree {
    /// Not an address in a slab of the cache on its node's lists (null, a user, vmalloc,
    /// module or stack address, another allocator's memory, a slab already given back).
    NotSlab,
    /// In a slab of another cache.
    OtherCache,
    /// In a slab of the cache but not where an object starts.
    NotObject,
    /// An object that is free already: its slab's freelist head, or in a slab with no object
    /// allocated.
    DoubleFree,
}

impl BadFree {
    /// What went wrong, for the one line that reports it.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::NotSlab => "invalid free: not an object of this cache",
            Self::OtherCache => "invalid free: an object of another cache",
            Self::NotObject => "invalid free: not at an object boundary",
            Self::DoubleFree => "double free or corruption",
        }
    }
}

impl From<BadFree> for Error {
    fn from(_: BadFree) -> Self {
        EINVAL
    }
}

/// The node of the cache's slab that address `addr` is in, if that slab's first page carries
/// the cache's mark (`g`'s keys): a check of any value at all that reads only a `struct page`.
/// Outside the node's lock the answer may be stale by the time it is used; under it, it is
/// not (see [`SlabLists::free_raw`]).
pub(crate) fn marked_node(addr: usize, g: &Geometry) -> Option<NodeId> {
    let (private, nid) = page_state(g.slab_base(addr))?;
    (g.keys.mark != 0 && private == g.keys.mark).then_some(nid)
}

/// The order in which a fresh slab of a cache hands out its objects: a per-cache random
/// permutation of the object indices where the kernel has `CONFIG_SLAB_FREELIST_RANDOM`
/// (SLUB's `cache_random_seq`), address order otherwise.
///
/// # Invariants
///
/// `seq` is empty or a permutation of `0..seq.len()`.
pub(crate) struct FreelistOrder {
    // `rsh_price_no_random`, here and below: the benchmark's build in address order
    // (bench-only, to measure the randomisation's price; see Kbuild).
    #[cfg(all(CONFIG_SLAB_FREELIST_RANDOM, not(rsh_price_no_random)))]
    seq: KVec<u32>,
}

impl FreelistOrder {
    /// The order for slabs of layout `g`: shuffled as the kernel's `freelist_randomize()`
    /// does (Fisher-Yates with the kernel's random number generator), once per cache.
    pub(crate) fn new(g: &Geometry) -> Result<Self> {
        #[cfg(all(CONFIG_SLAB_FREELIST_RANDOM, not(rsh_price_no_random)))]
        {
            let mut seq = KVec::with_capacity(g.objects as usize, GFP_KERNEL)?;
            for i in 0..g.objects {
                seq.push(i, GFP_KERNEL)?;
            }
            for i in (1..seq.len()).rev() {
                // `i < objects <= u32::MAX`, and `random_below(i + 1) <= i`.
                let j = ffi::random_below(i as u32 + 1) as usize;
                seq.swap(i, j);
            }
            // INVARIANT: swaps of a permutation of `0..objects` leave one.
            Ok(Self { seq })
        }
        #[cfg(any(not(CONFIG_SLAB_FREELIST_RANDOM), rsh_price_no_random))]
        {
            let _ = g;
            Ok(Self {})
        }
    }

    /// The objects of a slab of `n` objects, in the order a fresh one hands them out: the
    /// random sequence from a random position, wrapping around (`shuffle_freelist()`), or
    /// address order. `None` if the order was made for another number of objects.
    fn slots(&self, n: usize) -> Option<impl DoubleEndedIterator<Item = usize> + '_> {
        #[cfg(all(CONFIG_SLAB_FREELIST_RANDOM, not(rsh_price_no_random)))]
        {
            if self.seq.len() != n {
                return None;
            }
            // `n == objects <= u32::MAX`.
            let start = ffi::random_below(n as u32) as usize;
            let (head, tail) = self.seq.split_at(start);
            Some(Iterator::chain(tail.iter(), head).map(|&i| i as usize))
        }
        #[cfg(any(not(CONFIG_SLAB_FREELIST_RANDOM), rsh_price_no_random))]
        {
            Some(0..n)
        }
    }
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
    /// Carves `pages` into a slab with `g`'s layout, all objects free, to be handed out in
    /// `order`.
    ///
    /// `EINVAL` (and the pages freed) if they are not a block of `g.order` (the layout fills
    /// exactly that many bytes), or if `order` was made for another layout.
    pub(crate) fn new(
        pages: Pages,
        g: &Geometry,
        cache_id: u64,
        order: &FreelistOrder,
    ) -> Result<Self> {
        if pages.order() != g.order {
            return Err(EINVAL);
        }
        let slots = order.slots(g.objects as usize).ok_or(EINVAL)?;
        let base = pages.addr().as_ptr();
        let hdr = base.cast::<Header>();
        let mut freelist: *mut FreeObject = core::ptr::null_mut();
        // Thread the free list back to front, so that allocation follows `order`.
        for i in slots.rev() {
            // SAFETY: `i < objects` (the slots of `order` are a permutation of `0..objects`, by
            // its invariants, or address order), so object `i` lies inside the slab (`first +
            // objects * stride` is at most the size of a block of `g.order`, established by
            // `Geometry::new`, and the pages are such a block, checked above), is aligned to a
            // pointer, and is ours, with its whole slot (red zones and free pointer).
            unsafe {
                let obj = base.add(g.first + i * g.stride).cast::<FreeObject>();
                if g.debug.any() {
                    g.debug_mark(obj.cast(), false);
                }
                g.set_next(obj, freelist);
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
                lost: 0,
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
    /// The slab's abandoned objects ([`Header::lost`]).
    lost: u32,
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
            // freelist (type invariants); each is ours to hand out. The head is the header's,
            // and every next pointer is followed only once `valid_next` found it is an object
            // of this slab: whatever a free object's free pointer was overwritten with, nothing
            // outside the slab is read.
            let (before, after) = unsafe {
                let before = (*hdr).inuse;
                let mut fl = (*hdr).freelist;
                let mut inuse = before;
                let mut corrupt = false;
                let mut quarantined: u16 = 0;
                while n < out.len() && inuse < g.objects {
                    if fl.is_null() {
                        // Fewer free objects on the list than the count says.
                        corrupt = true;
                        break;
                    }
                    let next = g.next_of(fl);
                    inuse += 1;
                    if g.debug.any() && !g.debug_take(fl.cast(), &*hdr) {
                        // At most `objects <= MAX_OBJECTS` per slab.
                        quarantined = quarantined.saturating_add(1);
                    } else {
                        out[n] = fl.cast();
                        n += 1;
                    }
                    if !g.valid_next(next, hdr as usize) || (inuse == g.objects && !next.is_null())
                    {
                        corrupt = true;
                        fl = core::ptr::null_mut();
                        break;
                    }
                    fl = next;
                }
                if corrupt {
                    let lost = g.objects - inuse;
                    report_corrupt_freelist(&*hdr, lost);
                    // INVARIANT: the rest of the list is abandoned, counted as in use for
                    // good; the slab has no free object left, so it goes on `full` below.
                    // `lost <= objects <= MAX_OBJECTS`, and so is the slab's total.
                    let lost16 = u16::try_from(lost).unwrap_or(u16::MAX);
                    (*hdr).lost = (*hdr).lost.saturating_add(lost16);
                    inuse = g.objects;
                }
                // INVARIANT: quarantined objects are counted as in use for good, as abandoned
                // ones are.
                (*hdr).lost = (*hdr).lost.saturating_add(quarantined);
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

    /// Adds a fresh slab of this node, marked as the cache's (`g`'s keys) for as long as it is
    /// on the lists.
    pub(crate) fn add(&mut self, slab: Slab, g: &Geometry) {
        // SAFETY: By the type invariants of `Slab` its header is valid and ours.
        unsafe { slab.hdr.as_ref() }.set_mark(g.keys.mark);
        // INVARIANT: a fresh slab is empty, with every object on its freelist.
        self.partial.push(slab);
    }

    /// Frees every object of `objs`, a run of objects of one slab at a time. A slab left empty
    /// goes into `drain` if more than `min_partial` slabs would stay partial with it; otherwise
    /// it stays for reuse. `note` hears of every slab that changed, with its state before and
    /// after.
    ///
    /// Stops at the first pointer that is not an object of a slab of cache `cache_id`, or is
    /// free already as far as its slab can tell (its freelist head, or nothing allocated in the
    /// slab), leaving it and the rest as they were; says why ([`BadFree`]).
    ///
    /// # Safety
    ///
    /// Every pointer of `objs` must be in a slab of cache `cache_id` with geometry `g` that is
    /// on these lists, and must not be a free object of it other than the head of its slab's
    /// freelist (what the checks catch); an allocated object is given up by its owner.
    pub(crate) unsafe fn free_many(
        &mut self,
        objs: &[*mut u8],
        g: &Geometry,
        cache_id: u64,
        min_partial: usize,
        drain: &mut SlabDrain,
        note: impl FnMut(SlabState, SlabState),
    ) -> core::result::Result<(), BadFree> {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { self.free_checked(objs, g, cache_id, min_partial, drain, note, |_| {}) }
    }

    /// [`SlabLists::free_many`], calling `accept` with each object once its checks have passed
    /// and before its free pointer is written: the place for what a free does to
    /// an object's contents (`init_on_free`) where a refused pointer must stay untouched.
    ///
    /// # Safety
    ///
    /// As for [`SlabLists::free_many`].
    #[expect(clippy::too_many_arguments, reason = "free_many's, and the hook")]
    unsafe fn free_checked(
        &mut self,
        objs: &[*mut u8],
        g: &Geometry,
        cache_id: u64,
        min_partial: usize,
        drain: &mut SlabDrain,
        mut note: impl FnMut(SlabState, SlabState),
        mut accept: impl FnMut(NonNull<u8>),
    ) -> core::result::Result<(), BadFree> {
        let mut run: Option<FreeRun> = None;
        let mut result = Ok(());
        #[cfg(rsh_price_no_checks)]
        let _ = cache_id;
        for &p in objs {
            let addr = p as usize;
            let hdr = g.slab_base(addr) as *mut Header;
            if p.is_null() {
                result = Err(BadFree::NotSlab);
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
                    // `rsh_price_no_checks`, here and below: the benchmark's build without the
                    // bad-free checks (bench-only, to measure their price; see Kbuild).
                    #[cfg(not(rsh_price_no_checks))]
                    if h.cache_id != cache_id {
                        result = Err(BadFree::OtherCache);
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
                        lost: h.lost.into(),
                        before,
                    }
                }
            };
            // Checked once the header is known to be this cache's: the same slab layout.
            #[cfg(not(rsh_price_no_checks))]
            if g.object_index(addr).is_none() {
                result = Err(BadFree::NotObject);
                break;
            }
            let fo = p.cast::<FreeObject>();
            // SLUB's "double free or corruption" check (`set_freepointer()`): the object just
            // freed is the head; so is one freed twice in a row.
            #[cfg(not(rsh_price_no_checks))]
            if r.inuse == r.lost || fo == r.freelist {
                result = Err(BadFree::DoubleFree);
                break;
            }
            if g.debug.any() {
                // SAFETY: `p` is an object of the slab `hdr` heads (checked above), allocated as
                // far as the checks so far tell; `r.freelist` is that slab's freelist.
                if let Err(bad) = unsafe { g.debug_free(p, &*hdr, r.freelist) } {
                    result = Err(bad);
                    break;
                }
            }
            if let Some(obj) = NonNull::new(p) {
                accept(obj);
            }
            // SAFETY: `p` is an object of the slab (checked above), allocated as far as the
            // safety requirements let us tell, so its slot is ours to poison and its free
            // pointer ours to thread into the freelist.
            unsafe {
                if g.debug.any() {
                    g.debug_mark(p, false);
                }
                g.set_next(fo, r.freelist);
            }
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

    /// [`SlabLists::free_many`] of one pointer given back from outside, whatever its value:
    /// it must be in a slab of these lists, node `nid`'s, which its first page's mark says
    /// before anything in the slab is read. The mark is stable under the lock that serialises
    /// these lists: slabs are marked as they join them and unmarked as they leave. `accept`
    /// gets the object once every check has passed, before it joins its freelist (see
    /// [`SlabLists::free_checked`]).
    ///
    /// # Safety
    ///
    /// If `p` is an object of a slab of cache `cache_id` (geometry `g`) on these lists, it must
    /// not be a free object other than the head of its slab's freelist; an allocated object is
    /// given up by its owner.
    #[expect(clippy::too_many_arguments, reason = "free_many's, and the node")]
    pub(crate) unsafe fn free_raw(
        &mut self,
        p: *mut u8,
        g: &Geometry,
        cache_id: u64,
        nid: NodeId,
        min_partial: usize,
        drain: &mut SlabDrain,
        note: impl FnMut(SlabState, SlabState),
        accept: impl FnMut(NonNull<u8>),
    ) -> core::result::Result<(), BadFree> {
        if marked_node(p as usize, g) != Some(nid) {
            return Err(BadFree::NotSlab);
        }
        // SAFETY: `p` is in a slab of cache `cache_id` (its mark is the cache's) on these lists
        // (it is on node `nid`, and marked only while on that node's lists); the rest is
        // forwarded from our own safety requirements.
        unsafe { self.free_checked(&[p], g, cache_id, min_partial, drain, note, accept) }
    }

    /// TEST ONLY: overwrites the stored free pointer of `p` with `value`, as a use-after-free
    /// write would. `EINVAL`, writing nothing, unless `p` heads the freelist of a slab of these
    /// lists (node `nid`'s, marked as `g`'s cache's).
    ///
    /// # Safety
    ///
    /// The next allocation from the slab decodes `value` and follows it if it is an object of
    /// the same slab, which must then not be an allocated one.
    #[cfg(all(rsh_test, CONFIG_SLAB_FREELIST_HARDENED))]
    pub(crate) unsafe fn scribble_freelist_head(
        &mut self,
        p: *mut u8,
        value: usize,
        g: &Geometry,
        nid: NodeId,
    ) -> Result {
        if marked_node(p as usize, g) != Some(nid) {
            return Err(EINVAL);
        }
        let hdr = g.slab_base(p as usize) as *mut Header;
        // SAFETY: The slab is marked as the cache's and on node `nid`, so it is on these lists
        // and `hdr` is its header.
        let head = unsafe { (*hdr).freelist };
        if head.is_null() || head.cast::<u8>() != p {
            return Err(EINVAL);
        }
        // SAFETY: `head` is a free object of a slab of these lists, which we hold: its free
        // pointer is the lists' to write, and nobody else's.
        unsafe { g.fp_of(head).write(FreeObject { next: value }) };
        Ok(())
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
            lost,
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
        let after = if inuse == lost && self.partial.len > min_partial {
            // SAFETY: `hdr` is on `partial` (safety requirements), so live.
            unsafe { clear_mark(hdr) };
            // SAFETY: `hdr` is on `partial` now.
            drain.push(unsafe { self.partial.take(hdr) });
            SlabState::Absent
        } else {
            SlabState::Partial(inuse)
        };
        note(before, after);
    }

    /// Takes every empty slab off the partial list, to be freed outside the lock; returns them,
    /// their number and how many abandoned objects ([`Header::lost`]) they counted as in use.
    pub(crate) fn take_empty(&mut self) -> (SlabDrain, usize, usize) {
        let mut empty = List::new(ListId::Partial);
        let mut hdr = self.partial.head;
        let mut lost = 0;
        while !hdr.is_null() {
            // SAFETY: `hdr` is on `partial`; `next` is read before it may be unlinked.
            let (next, inuse, l) = unsafe { ((*hdr).next, (*hdr).inuse, u32::from((*hdr).lost)) };
            if inuse == l {
                lost += l as usize;
                // SAFETY: `hdr` is on `partial`, so live.
                unsafe { clear_mark(hdr) };
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
            lost,
        )
    }

    /// Takes every slab, with the number of objects still allocated in them.
    pub(crate) fn take_all(&mut self) -> (SlabDrain, usize) {
        let mut live = 0;
        for list in [&self.partial, &self.full] {
            let mut hdr = list.head;
            while !hdr.is_null() {
                // SAFETY: `hdr` is on one of our lists, so live.
                unsafe { clear_mark(hdr) };
                // SAFETY: `hdr` is on one of our lists.
                unsafe {
                    live += ((*hdr).inuse - u32::from((*hdr).lost)) as usize;
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
            assert!(Geometry::new(size, align, 4, DebugFlags::NONE).is_err());
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
                let Ok(g) = Geometry::new(size, align, 4, DebugFlags::NONE) else {
                    assert!(false);
                    continue;
                };
                let bytes = order_bytes(g.order).unwrap_or(0);
                assert!(g.first >= core::mem::size_of::<Header>());
                assert!(g.objects as usize <= MAX_OBJECTS);
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
            let g = Geometry::new(size, align, 4, DebugFlags::NONE);
            assert!(g.is_ok());
            if let Ok(g) = g {
                assert_eq!((g.order, g.objects), (order, objects));
            }
        }
    }

    #[test]
    fn debug_flags_and_layouts() {
        let fzp = DebugFlags::parse(b"FZP");
        assert_eq!(fzp, DebugFlags::parse(b"pzf"));
        let Ok(fzp) = fzp else { return };
        for f in [DebugFlags::CHECKS, DebugFlags::RED_ZONE, DebugFlags::POISON] {
            assert!(fzp.contains(f));
        }
        assert_eq!(DebugFlags::parse(b"F"), Ok(DebugFlags::CHECKS));
        for bad in [&b""[..], b"FF", b"X", b"F Z", b"-"] {
            assert_eq!(DebugFlags::parse(bad), Err(EINVAL));
        }
        // (size, align, flags, stride, first, red_left, fp, order, objects): a word of red
        // zone before the object, the rest of its last word and one more after it, then the
        // free pointer; every slot inside the slab.
        let p = DebugFlags::POISON;
        for (size, align, debug, stride, first, red_left, fp, order, objects) in [
            (64, 8, fzp, 88, 72, 8, 72, 1, 92),
            (60, 8, fzp, 88, 72, 8, 72, 1, 92),
            (64, 8, p, 72, 64, 0, 64, 0, 56),
            (64, 8, DebugFlags::CHECKS, 64, 64, 0, 0, 1, 127),
            (64, 64, fzp, 192, 128, 64, 72, 0, 21),
        ] {
            let g = Geometry::new(size, align, 4, debug);
            assert!(g.is_ok());
            let Ok(g) = g else { continue };
            assert_eq!(
                (g.stride, g.first, g.red_left, g.fp, g.order, g.objects),
                (stride, first, red_left, fp, order, objects)
            );
            let end = g.first - g.red_left + g.objects as usize * g.stride;
            assert!(end <= PAGE_SIZE << g.order);
            assert_eq!(g.first % align, 0);
            assert_eq!(g.stride % align, 0);
        }
    }

    /// A free pointer decodes to what was encoded at the address it is stored at, and is not
    /// stored in the clear where the kernel hardens free pointers (a key that makes one word
    /// equal its pointer has probability 2^-64); only the end of the list and object starts
    /// of the same slab may be followed.
    #[test]
    fn free_pointers_encoded_and_checked() {
        let Ok(g) = Geometry::new(256, 8, 4, DebugFlags::NONE) else {
            assert!(false);
            return;
        };
        let g = g.with_keys(SlabKeys::random());
        let bytes = order_bytes(g.order).unwrap_or(0);
        // A direct-map-like address aligned to the largest slab; nothing is read or written.
        let base = 0xffff_8880_0400_0000usize;
        let at = |off: usize| (base + off) as *mut FreeObject;
        let obj = |i: usize| at(g.first + i * g.stride);
        let last = g.objects as usize - 1;
        for (next, stored_at) in [(obj(3), obj(0)), (obj(0), obj(last)), (obj(5), obj(5))] {
            let word = g.encode(next, stored_at);
            assert_eq!(g.decode(word, stored_at), next);
            #[cfg(CONFIG_SLAB_FREELIST_HARDENED)]
            assert!(word != next as usize && g.decode(word, obj(1)) != next);
        }
        let null = core::ptr::null_mut();
        assert_eq!(g.decode(g.encode(null, obj(2)), obj(2)), null);
        assert!(g.valid_next(null, base));
        assert!(g.valid_next(obj(0), base) && g.valid_next(obj(last), base));
        for bad in [
            at(0),
            at(g.first - 8),
            at(g.first + 1),
            at(g.first + g.stride + 8),
            obj(last + 1),
            at(bytes - 8),
            at(bytes + g.first),
            (base - bytes + g.first) as *mut FreeObject,
            0x4141_4141_4141_4141 as *mut FreeObject,
        ] {
            assert!(!g.valid_next(bad, base));
        }
        assert_eq!(g.object_index(obj(last) as usize), Some(last));
        assert_eq!(g.object_index(obj(last) as usize + 1), None);
    }

    /// A fresh slab's order is a permutation of its objects, whatever position it starts at,
    /// and an order is refused for another number of objects.
    #[test]
    fn freelist_order_is_a_permutation() {
        for size in [8, 64, 256, 4096, MAX_OBJECT_SIZE] {
            let Ok(g) = Geometry::new(size, 8, 4, DebugFlags::NONE) else {
                assert!(false);
                continue;
            };
            let Ok(order) = FreelistOrder::new(&g) else {
                assert!(false);
                continue;
            };
            let n = g.objects as usize;
            for _ in 0..4 {
                let Ok(mut seen) = KVec::from_elem(false, n, GFP_KERNEL) else {
                    assert!(false);
                    return;
                };
                let mut count = 0;
                for i in order.slots(n).into_iter().flatten() {
                    assert!(!seen.get(i).copied().unwrap_or(true));
                    if let Some(s) = seen.get_mut(i) {
                        *s = true;
                    }
                    count += 1;
                }
                assert_eq!(count, n);
            }
            #[cfg(CONFIG_SLAB_FREELIST_RANDOM)]
            assert!(order.slots(n + 1).is_none());
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
            let Ok(g) = Geometry::new(size, 8, 4, DebugFlags::NONE) else {
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
