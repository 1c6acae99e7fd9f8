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
    ffi::nodes::{nr_node_ids, NodeId},
    slab::{FreeOutcome, Geometry, Slab, SlabDrain, SlabLists},
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
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
    /// A slab joined the partial list.
    fn new_slab(&mut self, g: &Geometry) {
        self.slabs += 1;
        self.objects += g.objects as isize;
        self.partial += 1;
    }

    /// One object was allocated from a partial slab, which became full or not.
    fn alloc(&mut self, g: &Geometry, became_full: bool) {
        self.inuse += 1;
        if became_full {
            // The slab's other objects leave the partial count with it.
            self.partial_inuse += 1 - g.objects as isize;
            self.partial -= 1;
        } else {
            self.partial_inuse += 1;
        }
    }

    /// One object was freed, with `outcome` for its slab.
    fn free(&mut self, g: &Geometry, outcome: FreeOutcome) {
        self.inuse -= 1;
        match outcome {
            FreeOutcome::FullToPartial => {
                self.partial += 1;
                self.partial_inuse += g.objects as isize - 1;
            }
            FreeOutcome::Partial | FreeOutcome::Empty => self.partial_inuse -= 1,
            FreeOutcome::Released => {
                self.partial_inuse -= 1;
                self.partial -= 1;
                self.slabs -= 1;
                self.objects -= g.objects as isize;
            }
        }
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
        let mut lists = self.lists.lock();
        let (obj, full) = lists.alloc(g)?;
        let mut d = Delta::default();
        d.alloc(g, full);
        d.apply(&self.stats);
        Some(obj)
    }

    /// Adds a new slab of this node and allocates one object from it.
    pub(crate) fn add_slab_and_alloc(&self, slab: Slab, g: &Geometry) -> Option<NonNull<u8>> {
        let mut lists = self.lists.lock();
        lists.add(slab);
        let mut d = Delta::default();
        d.new_slab(g);
        let got = lists.alloc(g).map(|(obj, full)| {
            d.alloc(g, full);
            obj
        });
        d.apply(&self.stats);
        got
    }

    /// Allocates up to `out.len()` objects from this node's partial slabs under one lock;
    /// returns how many were written to the front of `out`.
    pub(crate) fn alloc_batch(&self, g: &Geometry, out: &mut [*mut u8]) -> usize {
        let mut lists = self.lists.lock();
        let mut d = Delta::default();
        let n = Self::fill(&mut lists, &mut d, g, out);
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
        lists.add(slab);
        let mut d = Delta::default();
        d.new_slab(g);
        let n = Self::fill(&mut lists, &mut d, g, out);
        d.apply(&self.stats);
        n
    }

    fn fill(lists: &mut SlabLists, d: &mut Delta, g: &Geometry, out: &mut [*mut u8]) -> usize {
        let mut n = 0;
        for slot in out.iter_mut() {
            let Some((obj, full)) = lists.alloc(g) else {
                break;
            };
            d.alloc(g, full);
            *slot = obj.as_ptr();
            n += 1;
        }
        n
    }

    /// Frees `obj`; a slab left empty beyond [`MIN_PARTIAL`] goes back to the page allocator.
    ///
    /// # Safety
    ///
    /// `obj` must be a live object of cache `cache_id` (geometry `g`) from a slab of this node.
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>, g: &Geometry, cache_id: usize) -> Result {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { self.free_many(&[obj.as_ptr()], g, cache_id) }
    }

    /// Frees every object of `objs` under one lock; empty slabs beyond [`MIN_PARTIAL`] go back
    /// to the page allocator once the lock is dropped. Stops at the first object that is not
    /// one of this cache's (`EINVAL`), leaving it and the rest allocated.
    ///
    /// # Safety
    ///
    /// Every pointer of `objs` must be a distinct live object of cache `cache_id` (geometry
    /// `g`) from a slab of this node.
    pub(crate) unsafe fn free_many(
        &self,
        objs: &[*mut u8],
        g: &Geometry,
        cache_id: usize,
    ) -> Result {
        let mut released = SlabDrain::new();
        let result = {
            let mut lists = self.lists.lock();
            let mut d = Delta::default();
            let r = (|| {
                for &p in objs {
                    let obj = NonNull::new(p).ok_or(EINVAL)?;
                    let keep_empty = lists.nr_partial() <= MIN_PARTIAL;
                    // SAFETY: Forwarded from our own safety requirements.
                    let (outcome, slab) = unsafe { lists.free(obj, g, cache_id, keep_empty)? };
                    d.free(g, outcome);
                    if let Some(slab) = slab {
                        released.push(slab);
                    }
                }
                Ok(())
            })();
            d.apply(&self.stats);
            r
        };
        // Pages go back outside the lock.
        drop(released);
        result
    }

    /// Gives every empty slab back to the page allocator; returns how many.
    pub(crate) fn shrink(&self, g: &Geometry) -> usize {
        let (drain, n) = {
            let mut lists = self.lists.lock();
            let (drain, n) = lists.take_empty();
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

/// A counter per possible node, updated and read without locks.
pub(crate) struct PerNodeCounter {
    counts: KVec<AtomicU64>,
}

impl PerNodeCounter {
    /// All zero.
    pub(crate) fn new(flags: kernel::alloc::Flags) -> Result<Self> {
        let mut counts = KVec::with_capacity(nr_node_ids(), flags)?;
        for _ in 0..nr_node_ids() {
            counts.push(AtomicU64::new(0), flags)?;
        }
        Ok(Self { counts })
    }

    /// Adds `n` to node `nid`'s count.
    pub(crate) fn add(&self, nid: NodeId, n: u64) {
        // `counts` has `nr_node_ids()` entries and `nid < nr_node_ids()`.
        self.counts[nid.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// Node `nid`'s count.
    pub(crate) fn get(&self, nid: NodeId) -> u64 {
        self.counts[nid.index()].load(Ordering::Relaxed)
    }
}
