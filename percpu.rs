// SPDX-License-Identifier: GPL-2.0

//! Per-CPU and per-node stashes of free objects: the allocation fast paths.
//!
//! Each cache has one stash per possible CPU, a small array of objects taken from its slabs in
//! batches (the counterpart of SLUB's per-CPU sheaves). An allocation pops from the current
//! CPU's stash and a free pushes to it; only an empty or full stash goes to the node lists, a
//! batch at a time.
//!
//! # Locking
//!
//! - `LockedStash::busy`, a flag per CPU, makes its holder the only user of that CPU's array
//!   (the counterpart of SLUB's `local_trylock_t`). The fast paths only *try* to take it: if
//!   another task holds it (one preempted in the middle of a fast path, or a flush from
//!   another CPU), they take the node-locked slow path instead and never wait. Flushes
//!   (shrink, a node losing its last memory, a CPU going offline, cache destruction) wait for
//!   it by sleeping between tries, never by spinning: the holder may be preempted (by the
//!   flushing task itself, if that runs at a higher priority on the same CPU) or, on
//!   PREEMPT_RT, blocked on `Node::lists`, which is a sleeping lock there, and only gets to run
//!   and let go if the flush gives up the CPU. Flushes therefore run in process context only.
//!   A task that migrates after picking a stash still uses it correctly, only less locally.
//!   The flag is a try-lock rather than a `SpinLock` because the fast path must not pay for
//!   a preemption-disabling lock call pair (Rust in 7.3 has no `preempt_disable()`); the
//!   flag costs one compare-and-exchange and one store.
//! - A stash flag (of a CPU or of a node) nests outside `Node::lists` and the depot lock (a
//!   refill may hold all three), and a task holds at most one stash flag at a time. Nothing
//!   that sleeps runs under it: new slabs are allocated with it dropped. It is not known to
//!   lockdep, so no other lock may be waited for under it except those two, which are never
//!   held while waiting for a stash flag.
//! - `LockedStash::len` mirrors the array length, written under the flag and read without it by
//!   the statistics.
//!
//! Behind the stashes, each cache has a depot of magazines (SLUB's barn): a full stash parks
//! its older half there, an empty one takes a magazine back, and objects move between CPUs
//! without their slab freelists being touched. Only when the depot is full or empty do objects
//! go back to, or come from, the slabs.
//!
//! - `Depot::mags`, a spinlock per cache, protects the magazines. It nests inside a stash
//!   lock (a refill takes a magazine with the stash locked) and outside nothing: magazines
//!   go to the slabs with it dropped.
//!
//! Node-exact allocations (`kmem_cache_alloc_node()`'s counterpart) have stashes of their
//! own, one per node, made on a node's first such allocation and kept for the cache's life (a
//! [`SetOnceBox`] per possible node, like the node metadata). They are `LockedStash`es too, shared by every CPU, behind the same try-lock flag:
//! two CPUs allocating on one remote node at once make one of them take the node-locked path.
//! A CPU stash knows its CPU's node (its `home`, set when the stash is made and again each
//! time the CPU comes online, see [`crate::registry`]); a free of an object of another node
//! goes to that node's stash when there is one, so CPU stashes keep to local objects, as SLUB
//! keeps remote objects out of its sheaves, and refills take the home node's partial slabs
//! first, then the other nodes' by distance. A node stash's objects come from and go back to
//! its own node's slabs only, never through the depot.
//!
//! When a CPU goes offline its stash is given back to the slabs (SLUB's `slub_cpu_dead()`), so
//! objects parked there do not keep their slabs, and the memory under them, from going away.
//!
//! Objects in a stash or the depot are allocated as far as their slabs are concerned: the
//! node counters (`objects`, SLUB's format) include them, and `cpu_stashed` says how many
//! there are. Shrinking a cache (and so a node losing its last memory) empties every stash,
//! node stashes included.

use crate::{
    ffi::{self, nodes::NodeId},
    once::SetOnceBox,
    slab::Geometry,
};
use core::{
    cell::UnsafeCell,
    ops::{Deref, DerefMut},
    ptr::NonNull,
    sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering},
};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// The most objects a stash holds.
pub(crate) const STASH_MAX: usize = 64;

/// How many objects a stash holds for objects of `size` bytes: 64 below 1 KiB, 16 from there
/// (SLUB keeps two sheaves per CPU, of 60 objects below 256 bytes, 26 up to 1 KiB, 12 up to a
/// page and 4 from there, each rounded up to fill its kmalloc bucket). Half a stash moves at a
/// time between a CPU and the depot, so the capacity sets how often that lock is taken: 32
/// for 256..1024 bytes cost a third more than SLUB on `batch4096`, 8 for 4 KiB objects (4 per
/// move) 1.2x SLUB on `cross`.
pub(crate) fn capacity(size: usize) -> usize {
    if size < 1024 {
        STASH_MAX
    } else {
        16
    }
}

/// The objects of one stash.
pub(crate) struct Stash {
    objs: [*mut u8; STASH_MAX],
    len: usize,
}

// SAFETY: The pointers are free objects owned by the stash's cache; whoever holds the lock may
// hand them out on any CPU.
unsafe impl Send for Stash {}

impl Stash {
    /// Takes the most recently stashed object.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<NonNull<u8>> {
        self.len = self.len.checked_sub(1)?;
        NonNull::new(self.objs[self.len])
    }

    /// Stashes `obj` if there is room below `cap`; hands it back otherwise.
    #[inline]
    pub(crate) fn push(
        &mut self,
        obj: NonNull<u8>,
        cap: usize,
    ) -> core::result::Result<(), NonNull<u8>> {
        if self.len >= cap.min(STASH_MAX) {
            return Err(obj);
        }
        self.objs[self.len] = obj.as_ptr();
        self.len += 1;
        Ok(())
    }

    /// Moves the oldest `n` objects (or all there are) into `out`; returns how many.
    pub(crate) fn take_oldest(&mut self, n: usize, out: &mut [*mut u8; STASH_MAX]) -> usize {
        let n = n.min(self.len);
        out[..n].copy_from_slice(&self.objs[..n]);
        self.objs.copy_within(n..self.len, 0);
        self.len -= n;
        n
    }

    /// Makes room for `p` in a full stash: moves the older half into `out` and stashes `p`;
    /// returns how many objects `out` got, `p` among them if another task filled the stash
    /// meanwhile.
    pub(crate) fn swap_half(
        &mut self,
        p: NonNull<u8>,
        cap: usize,
        out: &mut [*mut u8; STASH_MAX],
    ) -> usize {
        let n = self.take_oldest((cap / 2).min(MAG_MAX), out);
        if let Err(p) = self.push(p, cap) {
            out[n] = p.as_ptr();
            return n + 1;
        }
        n
    }

    /// Room left below `cap`.
    pub(crate) fn room(&self, cap: usize) -> usize {
        cap.min(STASH_MAX).saturating_sub(self.len)
    }

    /// The free part of the array, for a refill to write into, and the count it holds.
    pub(crate) fn spare(&mut self, cap: usize) -> &mut [*mut u8] {
        let end = cap.min(STASH_MAX);
        let start = self.len.min(end);
        &mut self.objs[start..end]
    }

    /// Records that `n` objects were written into [`Stash::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.len += n;
    }
}

/// A stash behind its try-lock flag: one CPU's, or one node's.
///
/// # Invariants
///
/// `stash` is only accessed through a [`StashGuard`], and at most one exists at a time: a
/// guard is only made by the `false` to `true` transition of `busy`, which its drop undoes.
#[pin_data]
pub(crate) struct LockedStash {
    stash: UnsafeCell<Stash>,
    busy: AtomicBool,
    len: AtomicUsize,
    /// A CPU stash: the node of its CPU, if known (-1 if not), updated when the CPU comes
    /// online. A node stash: its node, for good.
    home: AtomicI32,
}

// SAFETY: The array is only reached through a `StashGuard`, of which at most one exists (type
// invariant), and the `busy` flag's acquire/release pairs order one holder's accesses before
// the next one's, as a lock does; the other fields are atomics.
unsafe impl Sync for LockedStash {}

impl LockedStash {
    fn new(home: Option<NodeId>) -> impl PinInit<Self> {
        // INVARIANT: Not busy, no guard.
        pin_init!(Self {
            stash: UnsafeCell::new(Stash {
                objs: [core::ptr::null_mut(); STASH_MAX],
                len: 0,
            }),
            busy: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            home: AtomicI32::new(home.map_or(-1, |n| n.as_c_int())),
        })
    }

    /// The node whose objects this stash is for: its CPU's node (a CPU stash), or its node (a
    /// node stash).
    ///
    /// A placement hint only: a CPU's node is set again when it comes online, and a task may
    /// use a stash of a CPU it has just left.
    #[inline]
    pub(crate) fn home(&self) -> Option<NodeId> {
        u64::try_from(self.home.load(Ordering::Relaxed))
            .ok()
            .and_then(NodeId::new)
    }

    /// Records the node of the stash's CPU, which just came online.
    fn set_home(&self, nid: NodeId) {
        self.home.store(nid.as_c_int(), Ordering::Relaxed);
    }

    /// Takes the stash if no one holds it; `None` otherwise, without waiting.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<StashGuard<'_>> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // INVARIANT: This call turned `busy` from `false` to `true`.
        Some(StashGuard(self))
    }

    /// Takes the stash, sleeping until its holder lets it go: for flushes, off the fast path.
    ///
    /// Process context only. The wait sleeps between tries rather than spinning, so that a
    /// holder that is not running (preempted on this CPU, or blocked on a sleeping lock on
    /// PREEMPT_RT) gets the CPU and finishes; a holder never waits for anything a flush holds.
    pub(crate) fn lock(&self) -> StashGuard<'_> {
        ffi::might_sleep!();
        // A holder lets go within microseconds of running again, so the first waits are short;
        // one that is not running can take a while, so the waits double, up to 2 ms, rather
        // than wake the flush tens of thousands of times a second.
        let mut wait_us = 20;
        loop {
            if let Some(g) = self.try_lock() {
                return g;
            }
            ffi::sleep_us(wait_us);
            wait_us = (wait_us * 2).min(2000);
        }
    }

    /// Runs `f` on the stash if no one holds it; `None` otherwise, without waiting.
    #[inline]
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut Stash) -> R) -> Option<R> {
        let mut g = self.try_lock()?;
        Some(f(&mut g))
    }

    /// Runs `f` on the stash, waiting for its holder to let it go.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Stash) -> R) -> R {
        f(&mut self.lock())
    }
}

/// Exclusive use of one stash, until dropped (which lets the next holder in).
///
/// # Invariants
///
/// The guard set `self.0.busy` from `false` to `true` and is the only guard of that stash.
#[must_use = "the stash is released as soon as the guard is dropped"]
pub(crate) struct StashGuard<'a>(&'a LockedStash);

impl Deref for StashGuard<'_> {
    type Target = Stash;

    #[inline]
    fn deref(&self) -> &Stash {
        // SAFETY: By the type invariants this is the only guard, so nothing mutates the
        // array while the shared borrow of `self` lasts.
        unsafe { &*self.0.stash.get() }
    }
}

impl DerefMut for StashGuard<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Stash {
        // SAFETY: By the type invariants this is the only guard, and the borrow of `self` is
        // exclusive, so this is the only reference to the array while it lasts.
        unsafe { &mut *self.0.stash.get() }
    }
}

impl Drop for StashGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let len = self.len;
        self.0.len.store(len, Ordering::Relaxed);
        // Publishes this holder's writes to the next one (its `Acquire` exchange).
        self.0.busy.store(false, Ordering::Release);
    }
}

/// Objects per magazine: half of the largest stash.
pub(crate) const MAG_MAX: usize = STASH_MAX / 2;

/// Magazines a depot keeps before a flush goes to the slabs.
const DEPOT_MAGS: usize = 8;

/// The magazines of a depot.
struct Magazines {
    objs: [[*mut u8; MAG_MAX]; DEPOT_MAGS],
    lens: [usize; DEPOT_MAGS],
    n: usize,
}

// SAFETY: The pointers are free objects owned by the depot's cache; whoever holds the lock may
// hand them out on any CPU.
unsafe impl Send for Magazines {}

/// A cache's magazines of free objects, shared by its CPUs.
#[pin_data]
pub(crate) struct Depot {
    #[pin]
    mags: SpinLock<Magazines>,
    /// Objects in all magazines, written under the lock, read without it.
    count: AtomicUsize,
}

impl Depot {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            mags <- new_spinlock!(
                Magazines {
                    objs: [[core::ptr::null_mut(); MAG_MAX]; DEPOT_MAGS],
                    lens: [0; DEPOT_MAGS],
                    n: 0,
                },
                "rust_slab_hp::Depot::mags"
            ),
            count: AtomicUsize::new(0),
        })
    }

    /// Parks `objs` (at most [`MAG_MAX`]) as one magazine; `false`, keeping nothing, if the
    /// depot is full.
    pub(crate) fn put(&self, objs: &[*mut u8]) -> bool {
        if objs.is_empty() || objs.len() > MAG_MAX {
            return objs.is_empty();
        }
        let mut m = self.mags.lock();
        let i = m.n;
        if i == DEPOT_MAGS {
            return false;
        }
        m.objs[i][..objs.len()].copy_from_slice(objs);
        m.lens[i] = objs.len();
        m.n += 1;
        self.count.fetch_add(objs.len(), Ordering::Relaxed);
        true
    }

    /// Moves the newest magazine into the front of `out`; returns how many objects, 0 if the
    /// depot is empty. `out` must have room for [`MAG_MAX`].
    pub(crate) fn take(&self, out: &mut [*mut u8]) -> usize {
        let mut m = self.mags.lock();
        let Some(i) = m.n.checked_sub(1) else {
            return 0;
        };
        if m.lens[i] > out.len() {
            return 0;
        }
        let len = m.lens[i];
        out[..len].copy_from_slice(&m.objs[i][..len]);
        m.n = i;
        self.count.fetch_sub(len, Ordering::Relaxed);
        len
    }
}

/// The stashes of one cache: one per possible CPU, its depot, and one per node that
/// node-exact allocations have asked for.
///
/// # Invariants
///
/// Slot `n` of `nodes`, once set, holds node `n`'s stash.
pub(crate) struct Stashes {
    cpus: KVec<Pin<KBox<LockedStash>>>,
    nodes: KVec<SetOnceBox<LockedStash>>,
    /// Whether any slot of `nodes` is set: until then frees need not look for node stashes.
    any_node: AtomicBool,
    depot: Pin<KBox<Depot>>,
    cap: usize,
}

impl Stashes {
    /// Empty stashes for objects laid out as `g`.
    pub(crate) fn new(g: &Geometry) -> Result<Self> {
        let n = ffi::nr_cpu_ids();
        let mut cpus = KVec::with_capacity(n, GFP_KERNEL)?;
        for cpu in 0..n {
            cpus.push(
                KBox::pin_init(LockedStash::new(home_of(cpu)), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }
        let mut nodes = KVec::with_capacity(ffi::nodes::nr_node_ids(), GFP_KERNEL)?;
        for _ in NodeId::all() {
            nodes.push(SetOnceBox::new(), GFP_KERNEL)?;
        }
        // INVARIANT: Every node slot is empty.
        Ok(Self {
            cpus,
            nodes,
            any_node: AtomicBool::new(false),
            depot: KBox::pin_init(Depot::new(), GFP_KERNEL)?,
            cap: capacity(g.object_size),
        })
    }

    /// Node `nid`'s stash, if node-exact allocations ever made one.
    #[inline]
    pub(crate) fn node(&self, nid: NodeId) -> Option<&LockedStash> {
        // `nodes` has a slot for every possible node.
        self.nodes.get(nid.index())?.as_ref()
    }

    /// Node `nid`'s stash, made (`GFP_KERNEL`) on first use.
    pub(crate) fn node_or_new(&self, nid: NodeId) -> Result<&LockedStash> {
        let slot = self.nodes.get(nid.index()).ok_or(EINVAL)?;
        if let Some(s) = slot.as_ref() {
            return Ok(s);
        }
        let new = KBox::pin_init(LockedStash::new(Some(nid)), GFP_KERNEL)?;
        // INVARIANT: Slot `nid` gets node `nid`'s stash, or keeps the one another task set.
        match slot.populate(new) {
            Ok(s) => {
                self.any_node.store(true, Ordering::Release);
                Ok(s)
            }
            // Another task made it first: that one is used, ours is dropped.
            Err(_) => slot.as_ref().ok_or(ENOMEM),
        }
    }

    /// Whether any node has a stash (then frees of remote objects look for it).
    #[inline]
    pub(crate) fn any_node(&self) -> bool {
        self.any_node.load(Ordering::Relaxed)
    }

    /// Every node stash there is.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &LockedStash> {
        NodeId::all().filter_map(|nid| self.node(nid))
    }

    /// Objects per stash.
    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The stash of the CPU this runs on (or ran on a moment ago).
    #[inline]
    pub(crate) fn current(&self) -> &LockedStash {
        // `current_cpu() < nr_cpu_ids`, the number of stashes (at least one): the fallback to
        // the first stash is never taken, and costs a compare where `%` would cost a division.
        let cpus = &self.cpus;
        cpus.get(ffi::current_cpu()).unwrap_or(&cpus[0])
    }

    /// Every CPU's stash (node stashes: [`Stashes::nodes`]).
    pub(crate) fn cpus(&self) -> impl Iterator<Item = &LockedStash> {
        self.cpus.iter().map(|c| &**c)
    }

    /// CPU `cpu`'s stash; `None` beyond `nr_cpu_ids`.
    pub(crate) fn cpu(&self, cpu: usize) -> Option<&LockedStash> {
        self.cpus.get(cpu).map(|c| &**c)
    }

    /// Records that CPU `cpu`, which just came online, is on node `nid`.
    pub(crate) fn set_cpu_home(&self, cpu: usize, nid: NodeId) {
        if let Some(cs) = self.cpu(cpu) {
            cs.set_home(nid);
        }
    }

    /// The depot.
    pub(crate) fn depot(&self) -> &Depot {
        &self.depot
    }

    /// Objects in all stashes and the depot, read without locks.
    pub(crate) fn total(&self) -> usize {
        let stashed: usize = Iterator::chain(self.cpus(), self.nodes())
            .map(|c| c.len.load(Ordering::Relaxed))
            .sum();
        stashed + self.depot.count.load(Ordering::Relaxed)
    }
}

/// The node of `cpu`, for its stash to tell local objects from remote ones, if the CPU is
/// online (one that is not gets its node when it comes online); a kernel without NUMA has one
/// node: no home there.
fn home_of(cpu: usize) -> Option<NodeId> {
    ffi::nodes::cpu_node(cpu)
}
