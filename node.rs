// SPDX-License-Identifier: GPL-2.0

//! Per-node metadata of a cache: the counterpart of SLUB's `struct kmem_cache_node`.
//!
//! # Locking
//!
//! - `Node::lists` (a spinlock, one lock class for every node of every cache) protects the
//!   partial and full slab lists and every slab on them: their freelists and in-use counts.
//!   It is the innermost lock: nothing is taken, allocated or freed while it is held (pages of
//!   released slabs are freed after it is dropped).
//! - `Node::stats` are written only with `lists` held, so each counter is exact; they are read
//!   with plain atomic loads and no lock at all. A reader may see one counter updated and
//!   another not yet, never a torn or stale-forever value.
//! - A `Node` is published once in its cache's node table and freed only when the cache is
//!   dropped ([`crate::cache`]), so a `&Node` taken from the table stays valid for as long as
//!   the cache does, whatever memory hotplug does meanwhile.

use crate::{
    ffi::nodes::NodeId,
    slab::{BadFree, Geometry, Slab, SlabDrain, SlabLists, SlabState},
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicUsize, Ordering},
};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// Empty slabs a node keeps for reuse instead of freeing them at once (SLUB's `min_partial`
/// lower bound).
const MIN_PARTIAL: usize = 5;

/// Exact counters of one node, readable without a lock.
#[derive(Default)]
pub(crate) struct NodeStats {
    /// Slabs on the node's lists.
    pub(crate) slabs: AtomicUsize,
    /// Object capacity of those slabs.
    pub(crate) objects: AtomicUsize,
    /// Objects allocated from those slabs.
    pub(crate) inuse: AtomicUsize,
    /// Slabs on the partial list.
    pub(crate) partial: AtomicUsize,
    /// Objects allocated from slabs on the partial list.
    pub(crate) partial_inuse: AtomicUsize,
}

/// Adds `delta` to a counter whose writers are serialised by a lock.
fn bump(counter: &AtomicUsize, delta: isize) {
    if delta != 0 {
        let v = counter.load(Ordering::Relaxed).wrapping_add_signed(delta);
        counter.store(v, Ordering::Relaxed);
    }
}

/// Changes to a node's counters, summed over a batch and applied once, under the lock.
#[derive(Default)]
struct Delta {
    slabs: isize,
    objects: isize,
    inuse: isize,
    partial: isize,
    partial_inuse: isize,
}

impl Delta {
    /// A slab went from `before` to `after` (see [`SlabState`]).
    fn change(&mut self, g: &Geometry, before: SlabState, after: SlabState) {
        // What a slab in `state` adds to (slabs, inuse, partial, partial_inuse).
        let part = |state: SlabState| -> [isize; 4] {
            match state {
                SlabState::Absent => [0, 0, 0, 0],
                SlabState::Partial(n) => [1, n as isize, 1, n as isize],
                SlabState::Full => [1, g.objects as isize, 0, 0],
            }
        };
        let (b, a) = (part(before), part(after));
        self.slabs += a[0] - b[0];
        self.objects += (a[0] - b[0]) * g.objects as isize;
        self.inuse += a[1] - b[1];
        self.partial += a[2] - b[2];
        self.partial_inuse += a[3] - b[3];
    }

    /// Applies the changes; the node's lock must be held.
    fn apply(&self, stats: &NodeStats) {
        bump(&stats.slabs, self.slabs);
        bump(&stats.objects, self.objects);
        bump(&stats.inuse, self.inuse);
        bump(&stats.partial, self.partial);
        bump(&stats.partial_inuse, self.partial_inuse);
    }
}

impl NodeStats {
    fn load(c: &AtomicUsize) -> usize {
        c.load(Ordering::Relaxed)
    }
}

/// One cache's metadata for one NUMA node.
#[pin_data(PinnedDrop)]
pub(crate) struct Node {
    #[pin]
    lists: SpinLock<SlabLists>,
    stats: NodeStats,
    nid: NodeId,
}

impl Node {
    /// Empty metadata for node `nid`.
    pub(crate) fn new(nid: NodeId) -> impl PinInit<Self> {
        pin_init!(Self {
            lists <- new_spinlock!(SlabLists::new(), "rust_slab_hp::Node::lists"),
            stats: NodeStats::default(),
            nid,
        })
    }

    /// The node this metadata describes.
    pub(crate) fn nid(&self) -> NodeId {
        self.nid
    }

    /// Counter values, each read atomically on its own.
    pub(crate) fn snapshot(&self) -> NodeSnapshot {
        let s = &self.stats;
        NodeSnapshot {
            slabs: NodeStats::load(&s.slabs),
            objects: NodeStats::load(&s.objects),
            inuse: NodeStats::load(&s.inuse),
            partial: NodeStats::load(&s.partial),
            partial_inuse: NodeStats::load(&s.partial_inuse),
        }
    }

    /// Allocates from a partial slab of this node, if there is one.
    pub(crate) fn alloc(&self, g: &Geometry) -> Option<NonNull<u8>> {
        let mut obj = [core::ptr::null_mut()];
        (self.alloc_batch(g, &mut obj) == 1)
            .then(|| NonNull::new(obj[0]))
            .flatten()
    }

    /// Adds a new slab of this node and allocates one object from it.
    pub(crate) fn add_slab_and_alloc(&self, slab: Slab, g: &Geometry) -> Option<NonNull<u8>> {
        let mut obj = [core::ptr::null_mut()];
        (self.add_slab_and_alloc_batch(slab, g, &mut obj) == 1)
            .then(|| NonNull::new(obj[0]))
            .flatten()
    }

    /// Allocates up to `out.len()` objects from this node's partial slabs under one lock;
    /// returns how many were written to the front of `out`.
    pub(crate) fn alloc_batch(&self, g: &Geometry, out: &mut [*mut u8]) -> usize {
        let mut lists = self.lists.lock();
        let mut d = Delta::default();
        let n = lists.alloc_many(g, out, |b, a| d.change(g, b, a));
        d.apply(&self.stats);
        n
    }

    /// Adds a new slab of this node and allocates up to `out.len()` objects from it (and from
    /// other partial slabs of the node) under one lock.
    pub(crate) fn add_slab_and_alloc_batch(
        &self,
        slab: Slab,
        g: &Geometry,
        out: &mut [*mut u8],
    ) -> usize {
        let mut lists = self.lists.lock();
        lists.add(slab, g);
        let mut d = Delta::default();
        d.change(g, SlabState::Absent, SlabState::Partial(0));
        let n = lists.alloc_many(g, out, |b, a| d.change(g, b, a));
        d.apply(&self.stats);
        n
    }

    /// Frees `obj`; a slab left empty beyond [`MIN_PARTIAL`] goes back to the page allocator.
    ///
    /// # Safety
    ///
    /// `obj` must be a live object of cache `cache_id` (geometry `g`) from a slab of this node.
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>, g: &Geometry, cache_id: u64) -> Result {
        // SAFETY: Forwarded from our own safety requirements.
        Ok(unsafe { self.free_many(&[obj.as_ptr()], g, cache_id) }?)
    }

    /// Frees every object of `objs` under one lock; empty slabs beyond [`MIN_PARTIAL`] go back
    /// to the page allocator once the lock is dropped. Stops at the first object that is not
    /// an allocated one of this cache's, leaving it and the rest allocated, and says why.
    ///
    /// # Safety
    ///
    /// Every pointer of `objs` must be a distinct live object of cache `cache_id` (geometry
    /// `g`) from a slab of this node.
    pub(crate) unsafe fn free_many(
        &self,
        objs: &[*mut u8],
        g: &Geometry,
        cache_id: u64,
    ) -> core::result::Result<(), BadFree> {
        self.with_lists(|lists, released, d| {
            // SAFETY: Forwarded from our own safety requirements, which are stronger than
            // `SlabLists::free_many`'s.
            unsafe {
                lists.free_many(objs, g, cache_id, MIN_PARTIAL, released, |b, a| {
                    d.change(g, b, a)
                })
            }
        })
    }

    /// Runs `f` on the lists under the lock, with somewhere to put the slabs it releases and
    /// the counter changes it makes; applies the changes before the lock is dropped, and gives
    /// the released slabs' pages back after.
    fn with_lists<R>(&self, f: impl FnOnce(&mut SlabLists, &mut SlabDrain, &mut Delta) -> R) -> R {
        let mut released = SlabDrain::new();
        let result = {
            let mut lists = self.lists.lock();
            let mut d = Delta::default();
            let r = f(&mut lists, &mut released, &mut d);
            d.apply(&self.stats);
            r
        };
        // Pages go back outside the lock.
        drop(released);
        result
    }

    /// Frees the object at `p`, a pointer given back from outside whatever its value, once the
    /// lock is held and it is found to be an allocated object of cache `cache_id` (geometry
    /// `g`) in a slab of this node; otherwise refuses it, changing nothing, and says why.
    /// `accept` gets the object once it has passed the checks, before it joins its freelist.
    ///
    /// # Safety
    ///
    /// If `p` is an object of a slab of cache `cache_id` on this node, it must not be a free
    /// object other than the head of its slab's freelist (what the checks catch); an allocated
    /// object is given up by its owner.
    pub(crate) unsafe fn free_raw(
        &self,
        p: *mut u8,
        g: &Geometry,
        cache_id: u64,
        accept: impl FnMut(NonNull<u8>),
    ) -> core::result::Result<(), BadFree> {
        let nid = self.nid;
        self.with_lists(|lists, released, d| {
            // SAFETY: Forwarded from our own safety requirements.
            unsafe {
                lists.free_raw(
                    p,
                    g,
                    cache_id,
                    nid,
                    MIN_PARTIAL,
                    released,
                    |b, a| d.change(g, b, a),
                    accept,
                )
            }
        })
    }

    /// TEST ONLY: [`SlabLists::scribble_freelist_head`] under the lock.
    ///
    /// # Safety
    ///
    /// As [`SlabLists::scribble_freelist_head`]'s.
    #[cfg(all(rsh_test, CONFIG_SLAB_FREELIST_HARDENED))]
    pub(crate) unsafe fn scribble_freelist_head(
        &self,
        p: *mut u8,
        value: usize,
        g: &Geometry,
    ) -> Result {
        let mut lists = self.lists.lock();
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { lists.scribble_freelist_head(p, value, g, self.nid) }
    }

    /// Gives every empty slab back to the page allocator; returns how many.
    pub(crate) fn shrink(&self, g: &Geometry) -> usize {
        let (drain, n) = {
            let mut lists = self.lists.lock();
            let (drain, n, lost) = lists.take_empty();
            bump(&self.stats.inuse, -(lost as isize));
            bump(&self.stats.partial_inuse, -(lost as isize));
            bump(&self.stats.partial, -(n as isize));
            bump(&self.stats.slabs, -(n as isize));
            bump(&self.stats.objects, -((n * g.objects as usize) as isize));
            (drain, n)
        };
        drop(drain);
        n
    }
}

/// Values of a node's counters.
#[derive(Clone, Copy, Default)]
pub(crate) struct NodeSnapshot {
    pub(crate) slabs: usize,
    pub(crate) objects: usize,
    pub(crate) inuse: usize,
    pub(crate) partial: usize,
    pub(crate) partial_inuse: usize,
}

#[pinned_drop]
impl PinnedDrop for Node {
    fn drop(self: Pin<&mut Self>) {
        let (drain, live) = self.lists.lock().take_all();
        if live != 0 {
            // Like SLUB's "Objects remaining on __kmem_cache_shutdown()": the slabs holding them
            // are leaked rather than freed under the objects' owners.
            pr_err!(
                "node {}: {} objects still allocated at cache destruction; leaking their slabs\n",
                self.nid.index(),
                live
            );
            core::mem::forget(drain);
        }
    }
}
