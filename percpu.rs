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
//! Each stash has a flag, `busy` ([`RawStash::busy`], the counterpart of SLUB's
//! `local_trylock_t`): whoever holds it is the only user of the stash's array.
//!
//! - **CPU stashes.** A *fast path* (`ffi/fastpath.c`: `rsh_cpu_alloc()`, `rsh_cpu_free()`)
//!   runs on the stash's CPU with preemption disabled and uses the array only if the flag is
//!   clear, without setting it and without any atomic read-modify-write, as SLUB's sheaves do:
//!   nothing else runs on that CPU meanwhile (the API is for process context only: no
//!   interrupt handler uses a cache), and code on other CPUs uses the array only with the flag
//!   held and after the wait below. A fast path that finds the flag set, or the stash empty or
//!   full, takes a slow path instead of waiting.
//! - A *slow path* (a refill, a spill, a new slab's objects) takes the flag of the stash of the
//!   CPU it runs on by compare-and-exchange, with preemption disabled around it
//!   ([`Stashes::lock_current`]): no fast path on that CPU is then half way through the stash,
//!   and later ones see the flag. The holder may then be preempted, block (on `Node::lists`, a
//!   sleeping lock on PREEMPT_RT) and migrate: a task that migrates with a flag still uses
//!   that stash correctly, only less locally. A slow path that finds the flag held takes the
//!   node-locked path instead of waiting.
//! - A *flush* (shrink, a node losing its last memory, a CPU going offline) may run on any CPU
//!   ([`Stashes::drain_cpus`]): it takes the flags of the CPU stashes it empties, in CPU order,
//!   by compare-and-exchange, then waits for an RCU grace period (`synchronize_rcu()`: every
//!   region with preemption disabled that began before has ended, so no fast path that saw a
//!   flag clear is still in its stash, and every later one sees the flag set) before it
//!   touches the arrays. It waits for a held flag by sleeping between tries, never by
//!   spinning: the holder may be preempted (by the flushing task itself, if that runs at a
//!   higher priority on the same CPU) or, on PREEMPT_RT, blocked on `Node::lists`, and only
//!   gets to run and let go if the flush gives up the CPU. Flushes therefore run in process
//!   context only. A flush whose stashes are all empty (read without their flags: an object
//!   stashed meanwhile is as if stashed just after it) takes no flag and waits for nothing.
//!   Cache destruction empties the stashes the same way without the grace period: no one else
//!   can reach them any more.
//! - **Node stashes** are shared by every CPU: every use of one, fast (in C too) or slow, takes
//!   its flag by compare-and-exchange; a try that fails takes the node-locked path, a flush
//!   sleeps between tries ([`NodeStash::lock`]).
//! - A stash flag nests outside `Node::lists` and the depot lock (a refill may hold all three).
//!   A slow path holds at most one flag, never waits for another, and sleeps only on
//!   PREEMPT_RT's `Node::lists`: new slabs are allocated with the flag dropped. A flush holds
//!   the CPU flags it took (taken in CPU order, so two flushes cannot deadlock) while it waits
//!   for further flags and for the grace period, and takes node stashes one at a time after.
//!   Flags are not known to lockdep, so no other lock may be waited for under one except those
//!   two, which are never held while waiting for a flag.
//! - A stash's `len` is written by its user and read without the flag by the statistics.
//!
//! Behind the stashes, each cache has a depot of magazines (SLUB's barn): a full stash parks
//! its older half there, an empty one takes a magazine back, and objects move between CPUs
//! without their slab freelists being touched. Only when the depot is full or empty do objects
//! go back to, or come from, the slabs.
//!
//! - `Depot::mags`, a spinlock per cache, protects the magazines. It nests inside a stash
//!   flag (a refill takes a magazine with the stash held) and outside nothing: magazines go to
//!   the slabs with it dropped.
//!
//! Node-exact allocations (`kmem_cache_alloc_node()`'s counterpart) have stashes of their
//! own, one per node, made on a node's first such allocation and kept for the cache's life (a
//! [`SetOnceBox`] per possible node, like the node metadata), shared by every CPU (see
//! Locking): two CPUs allocating on one remote node at once make one of them take the
//! node-locked path. A CPU stash knows its CPU's node (its `home`, set when the stash is made
//! and again each time the CPU comes online, see [`crate::registry`]); a free of an object of
//! another node goes to that node's stash when there is one, so CPU stashes keep to local
//! objects, as SLUB keeps remote objects out of its sheaves, and refills take the home node's
//! partial slabs first, then the other nodes' by distance. A node stash's objects come from and
//! go back to its own node's slabs only, never through the depot.
//!
//! When a CPU goes offline its stash is given back to the slabs (SLUB's `slub_cpu_dead()`), so
//! objects parked there do not keep their slabs, and the memory under them, from going away.
//!
//! Objects in a stash or the depot are allocated as far as their slabs are concerned: the
//! node counters (`objects`, SLUB's format) include them, and `cpu_stashed` says how many
//! there are. Shrinking a cache (and so a node losing its last memory) empties every stash,
//! node stashes included.

use crate::{
    ffi::{
        self,
        fastpath::{CpuStashes, RawStash},
        nodes::NodeId,
    },
    once::SetOnceBox,
    slab::Geometry,
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

pub(crate) use crate::ffi::fastpath::{Freed, STASH_MAX};

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

/// Takes `s`'s flag if it is clear; whether it did.
#[inline]
fn try_take(s: &RawStash) -> bool {
    s.busy()
        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
}

/// Takes `s`'s flag, sleeping until its holder lets it go: for flushes, off the fast paths.
///
/// Process context only. The wait sleeps between tries rather than spinning, so that a holder
/// that is not running (preempted on this CPU, or blocked on a sleeping lock on PREEMPT_RT)
/// gets the CPU and finishes; a holder never waits for anything a flush holds.
fn take_sleeping(s: &RawStash) {
    ffi::might_sleep!();
    // A holder lets go within microseconds of running again, so the first waits are short;
    // one that is not running can take a while, so the waits double, up to 2 ms, rather than
    // wake the flush tens of thousands of times a second.
    let mut wait_us = 20;
    while !try_take(s) {
        ffi::sleep_us(wait_us);
        wait_us = (wait_us * 2).min(2000);
    }
}

/// Exclusive use of one stash's array, until dropped (which clears the stash's flag).
///
/// # Invariants
///
/// The guard's holder took the stash's flag (`busy` from 0 to 1), and no fast path is using
/// the array or can start to: the stash is a node stash (which fast paths use only with its
/// flag), or a CPU stash whose flag was taken on its CPU with preemption disabled, or followed
/// by an RCU grace period, or by a holder that no one else can reach the stash from.
#[must_use = "the stash is released as soon as the guard is dropped"]
pub(crate) struct StashGuard<'a>(&'a RawStash);

impl<'a> StashGuard<'a> {
    /// The guard of a stash whose flag the caller took.
    ///
    /// # Safety
    ///
    /// The caller took `s`'s flag, and no fast path uses or can start to use `s`'s array (see
    /// the type invariants); the guard's drop clears the flag.
    unsafe fn new(s: &'a RawStash) -> Self {
        // INVARIANT: By the safety requirements.
        Self(s)
    }

    #[inline]
    fn objs(&mut self) -> &mut [*mut u8; STASH_MAX] {
        // SAFETY: By the type invariants the guard's holder is the array's only user, and the
        // borrow of `self` is exclusive, so this is the only reference to it while it lasts.
        unsafe { &mut *self.0.objs() }
    }

    /// Objects in the stash.
    #[inline]
    fn len(&self) -> usize {
        self.0.len().load(Ordering::Relaxed) as usize
    }

    #[inline]
    fn set_len(&mut self, n: usize) {
        // `n <= STASH_MAX`.
        self.0.len().store(n as u32, Ordering::Relaxed);
    }

    /// Takes the most recently stashed object.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<NonNull<u8>> {
        let len = self.len().min(STASH_MAX).checked_sub(1)?;
        self.set_len(len);
        NonNull::new(self.objs()[len])
    }

    /// Stashes `obj` if there is room below `cap`; hands it back otherwise.
    #[inline]
    pub(crate) fn push(
        &mut self,
        obj: NonNull<u8>,
        cap: usize,
    ) -> core::result::Result<(), NonNull<u8>> {
        let len = self.len();
        if len >= cap.min(STASH_MAX) {
            return Err(obj);
        }
        self.objs()[len] = obj.as_ptr();
        self.set_len(len + 1);
        Ok(())
    }

    /// Moves the oldest `n` objects (or all there are) into `out`; returns how many.
    pub(crate) fn take_oldest(&mut self, n: usize, out: &mut [*mut u8; STASH_MAX]) -> usize {
        let len = self.len().min(STASH_MAX);
        let n = n.min(len);
        let objs = self.objs();
        out[..n].copy_from_slice(&objs[..n]);
        objs.copy_within(n..len, 0);
        self.set_len(len - n);
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
        cap.min(STASH_MAX).saturating_sub(self.len())
    }

    /// The free part of the array, for a refill to write into (then [`StashGuard::filled`]).
    pub(crate) fn spare(&mut self, cap: usize) -> &mut [*mut u8] {
        let end = cap.min(STASH_MAX);
        let start = self.len().min(end);
        &mut self.objs()[start..end]
    }

    /// Records that `n` objects were written into [`StashGuard::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        let len = (self.len() + n).min(STASH_MAX);
        self.set_len(len);
    }

    /// The stash's home node (see [`NodeStash::home`], [`Stashes::current_home`]).
    pub(crate) fn home(&self) -> Option<NodeId> {
        home_of_stash(self.0)
    }
}

impl Drop for StashGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Publishes this holder's writes to the next user (its acquire exchange or load).
        self.0.busy().store(0, Ordering::Release);
    }
}

/// A stash's home node, if known.
#[inline]
fn home_of_stash(s: &RawStash) -> Option<NodeId> {
    u64::try_from(s.home().load(Ordering::Relaxed))
        .ok()
        .and_then(NodeId::new)
}

/// The stash of one node, for node-exact allocations, shared by every CPU.
#[repr(transparent)]
#[pin_data]
pub(crate) struct NodeStash {
    #[pin]
    raw: RawStash,
}

impl NodeStash {
    fn new(nid: NodeId) -> impl PinInit<Self> {
        pin_init!(Self {
            raw <- RawStash::new(nid.as_c_int()),
        })
    }

    /// The node whose objects this stash holds.
    #[inline]
    pub(crate) fn home(&self) -> Option<NodeId> {
        home_of_stash(&self.raw)
    }

    /// Takes the stash if no one holds it; `None` otherwise, without waiting.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<StashGuard<'_>> {
        // SAFETY: The flag was just taken; node stashes are used only with their flag.
        try_take(&self.raw).then(|| unsafe { StashGuard::new(&self.raw) })
    }

    /// Takes the stash, sleeping until its holder lets it go: for flushes (process context).
    pub(crate) fn lock(&self) -> StashGuard<'_> {
        take_sleeping(&self.raw);
        // SAFETY: As for `try_lock`.
        unsafe { StashGuard::new(&self.raw) }
    }

    /// The C view of the stash, for [`Stashes::free`] and [`Stashes::node_alloc`].
    fn raw(&self) -> &RawStash {
        &self.raw
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
    cpus: CpuStashes,
    nodes: KVec<SetOnceBox<NodeStash>>,
    /// Whether any slot of `nodes` is set: until then frees need not look for node stashes.
    any_node: AtomicBool,
    depot: Pin<KBox<Depot>>,
    cap: usize,
}

impl Stashes {
    /// Empty stashes for objects laid out as `g`. A debug cache's hold nothing (capacity 0):
    /// its fast paths always miss, and their slow paths send every object through the node
    /// lists, where the debug checks run (see [`crate::cache`]).
    pub(crate) fn new(g: &Geometry) -> Result<Self> {
        let cap = if g.debug().any() {
            0
        } else {
            capacity(g.object_size)
        };
        let cpus = CpuStashes::new(cap, g.object_size, |cpu| {
            home_of(cpu).map_or(-1, |n| n.as_c_int())
        })?;
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
            cap,
        })
    }

    /// Node `nid`'s stash, if node-exact allocations ever made one.
    #[inline]
    pub(crate) fn node(&self, nid: NodeId) -> Option<&NodeStash> {
        // `nodes` has a slot for every possible node.
        self.nodes.get(nid.index())?.as_ref()
    }

    /// Node `nid`'s stash, made (`GFP_KERNEL`) on first use.
    pub(crate) fn node_or_new(&self, nid: NodeId) -> Result<&NodeStash> {
        let slot = self.nodes.get(nid.index()).ok_or(EINVAL)?;
        if let Some(s) = slot.as_ref() {
            return Ok(s);
        }
        let new = KBox::pin_init(NodeStash::new(nid), GFP_KERNEL)?;
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
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &NodeStash> {
        NodeId::all().filter_map(|nid| self.node(nid))
    }

    /// Objects per stash.
    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The fast path of an allocation: an object from the current CPU's stash, prepared for
    /// its user as the kernel's switches (and `zero`) ask; `None` if the stash is held or
    /// empty.
    #[inline]
    pub(crate) fn alloc(&self, zero: bool) -> Option<NonNull<u8>> {
        self.cpus.alloc(zero)
    }

    /// The fast path of a node-exact allocation: an object from `ns`, one of these node
    /// stashes, if it is free and not empty, prepared for its user as the kernel's switches
    /// (and `zero`) ask.
    #[inline]
    pub(crate) fn node_alloc(&self, ns: &NodeStash, zero: bool) -> Option<NonNull<u8>> {
        self.cpus.node_alloc(ns.raw(), zero)
    }

    /// Prepares `obj` for its user as the kernel's switches (and `zero`) ask: zeroed
    /// (`init_on_alloc`, a zeroing allocation), or its freelist link wiped (`init_on_free`).
    ///
    /// # Safety
    ///
    /// `obj` is an object of this cache that the caller owns.
    #[inline]
    pub(crate) unsafe fn init_alloc(&self, obj: NonNull<u8>, zero: bool) {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { self.cpus.init_alloc(obj, zero) }
    }

    /// Zeroes `obj` if the kernel's `init_on_free` switch is on.
    ///
    /// # Safety
    ///
    /// `obj` is an object of this cache that its owner gives up.
    #[inline]
    pub(crate) unsafe fn init_free(&self, obj: NonNull<u8>) {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { self.cpus.init_free(obj) }
    }

    /// The fast path of a free: `obj`, zeroed if `init_on_free` asks, into the current CPU's
    /// stash, or into `node`, the stash of `obj`'s node, if that is not the CPU's node.
    ///
    /// # Safety
    ///
    /// `obj` is an object of this cache that nothing uses any more; once
    /// [`Freed::Stashed`], it is the stashes'.
    #[inline]
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>, node: Option<&NodeStash>) -> Freed {
        // SAFETY: Forwarded from our own safety requirements; the size given to `CpuStashes`
        // is the cache's object size.
        unsafe { self.cpus.free(obj, node.map(NodeStash::raw)) }
    }

    /// Takes the stash of the CPU this runs on, if no one holds it (a slow path's way in; see
    /// Locking); also says which CPU's it is.
    pub(crate) fn lock_current(&self) -> Option<(StashGuard<'_>, usize)> {
        let (s, cpu) = self.cpus.lock_current()?;
        // SAFETY: `lock_current` took the flag on the stash's CPU with preemption disabled.
        Some((unsafe { StashGuard::new(s) }, cpu))
    }

    /// The node of the CPU this runs on (or ran on a moment ago), if known.
    pub(crate) fn current_home(&self) -> Option<NodeId> {
        self.cpus.get(ffi::current_cpu()).and_then(home_of_stash)
    }

    /// Records that CPU `cpu`, which just came online, is on node `nid`.
    pub(crate) fn set_cpu_home(&self, cpu: usize, nid: NodeId) {
        if let Some(s) = self.cpus.get(cpu) {
            s.home().store(nid.as_c_int(), Ordering::Relaxed);
        }
    }

    /// The depot.
    pub(crate) fn depot(&self) -> &Depot {
        &self.depot
    }

    /// Objects in all stashes and the depot, read without locks.
    pub(crate) fn total(&self) -> usize {
        let cpus: usize = self
            .cpus
            .iter()
            .map(|s| s.len().load(Ordering::Relaxed) as usize)
            .sum();
        let nodes: usize = self
            .nodes()
            .map(|s| s.raw.len().load(Ordering::Relaxed) as usize)
            .sum();
        cpus + nodes + self.depot.count.load(Ordering::Relaxed)
    }

    /// Empties the stash of CPU `only` (or of every CPU) through `f`, from any CPU: a flush
    /// (see Locking). Process context only: it sleeps.
    pub(crate) fn drain_cpus(&self, only: Option<usize>, mut f: impl FnMut(&mut StashGuard<'_>)) {
        // (Not `is_none_or`: 6.12's MSRV is 1.78.)
        let chosen = move |cpu: usize| match only {
            Some(c) => c == cpu,
            None => true,
        };
        let chosen_stashes = || {
            self.cpus
                .iter()
                .enumerate()
                .filter(move |(cpu, _)| chosen(*cpu))
                .map(|(_, s)| s)
        };
        if chosen_stashes().all(|s| s.len().load(Ordering::Relaxed) == 0) {
            return;
        }
        // Every chosen flag, in CPU order; then no fast path that saw one clear is still in its
        // stash once a grace period has passed.
        for s in chosen_stashes() {
            take_sleeping(s);
        }
        ffi::fastpath::synchronize_rcu();
        for s in chosen_stashes() {
            // SAFETY: The flag was taken above, and a grace period has passed since.
            let mut g = unsafe { StashGuard::new(s) };
            f(&mut g);
        }
    }

    /// Moves every object of stash `i` (the CPUs' first, then the nodes') into `out` when
    /// nothing else can use the stashes (the cache is being dropped); how many, or `None` past
    /// the last stash.
    pub(crate) fn drain_exclusive(
        &mut self,
        i: usize,
        out: &mut [*mut u8; STASH_MAX],
    ) -> Option<usize> {
        let cpus = self.cpus.iter();
        let nodes = self.nodes.iter().filter_map(|n| n.as_ref()).map(|n| &n.raw);
        let s = Iterator::chain(cpus, nodes).nth(i)?;
        if !try_take(s) {
            return Some(0);
        }
        // SAFETY: The flag was just taken, and `&mut self` means no one else can reach the
        // stash, fast paths included.
        let mut g = unsafe { StashGuard::new(s) };
        Some(g.take_oldest(STASH_MAX, out))
    }
}

/// The node of `cpu`, for its stash to tell local objects from remote ones, if the CPU is
/// online (one that is not gets its node when it comes online); a kernel without NUMA has one
/// node: no home there.
fn home_of(cpu: usize) -> Option<NodeId> {
    ffi::nodes::cpu_node(cpu)
}
