// SPDX-License-Identifier: GPL-2.0

//! Per-CPU stashes of free objects: the allocation fast path.
//!
//! Each cache has one stash per possible CPU, a small array of objects taken from its slabs in
//! batches (the counterpart of SLUB's per-CPU sheaves). An allocation pops from the current
//! CPU's stash and a free pushes to it; only an empty or full stash goes to the node lists, a
//! batch at a time.
//!
//! # Locking
//!
//! - `CpuStash::busy`, a flag per CPU, makes its holder the only user of that CPU's array
//!   (the counterpart of SLUB's `local_trylock_t`). The fast paths only *try* to take it: if
//!   another task holds it (one preempted in the middle of a fast path, or a flush from
//!   another CPU), they take the node-locked slow path instead and never wait. Flushes
//!   (shrink, a node losing its last memory, cache destruction) wait for it, spinning: a
//!   holder never sleeps, so it lets go within a few instructions of running again.
//!   A task that migrates after picking a stash still uses it correctly, only less locally.
//!   The flag is a try-lock rather than a `SpinLock` because the fast path must not pay for
//!   a preemption-disabling lock call pair (Rust in 7.3 has no `preempt_disable()`); the
//!   flag costs one compare-and-exchange and one store.
//! - A stash flag nests outside `Node::lists` and the depot lock (a refill may hold all
//!   three); nothing that sleeps runs under it: new slabs are allocated with it dropped. It
//!   is not known to lockdep, so no other lock may be waited for under it except those two,
//!   which are never held while waiting for a stash flag.
//! - `CpuStash::len` mirrors the array length, written under the flag and read without it by
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
//! Objects in a stash or the depot are allocated as far as their slabs are concerned: the
//! node counters (`objects`, SLUB's format) include them, and `cpu_stashed` says how many
//! there are.

use crate::{ffi, slab::Geometry};
use core::{
    cell::UnsafeCell,
    ops::{Deref, DerefMut},
    ptr::NonNull,
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// The most objects a stash holds.
pub(crate) const STASH_MAX: usize = 64;

/// How many objects a stash holds for objects of `size` bytes: 64 up to 1 KiB (SLUB keeps two
/// sheaves per CPU, of 60 objects below 256 bytes and of 26 up to 1 KiB), fewer for larger
/// objects. (32 for 256..1024 bytes cost a third more than SLUB on `batch4096` of 256-byte
/// objects.)
pub(crate) fn capacity(size: usize) -> usize {
    match size {
        0..1024 => STASH_MAX,
        1024..4096 => 16,
        _ => 8,
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

/// One CPU's stash.
///
/// # Invariants
///
/// `stash` is only accessed through a [`StashGuard`], and at most one exists at a time: a
/// guard is only made by the `false` to `true` transition of `busy`, which its drop undoes.
#[pin_data]
pub(crate) struct CpuStash {
    stash: UnsafeCell<Stash>,
    busy: AtomicBool,
    len: AtomicUsize,
}

// SAFETY: The array is only reached through a `StashGuard`, of which at most one exists (type
// invariant), and the `busy` flag's acquire/release pairs order one holder's accesses before
// the next one's, as a lock does; the other fields are atomics.
unsafe impl Sync for CpuStash {}

impl CpuStash {
    fn new() -> impl PinInit<Self> {
        // INVARIANT: Not busy, no guard.
        pin_init!(Self {
            stash: UnsafeCell::new(Stash {
                objs: [core::ptr::null_mut(); STASH_MAX],
                len: 0,
            }),
            busy: AtomicBool::new(false),
            len: AtomicUsize::new(0),
        })
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

    /// Takes the stash, waiting for its holder to let it go: for flushes, off the fast path.
    pub(crate) fn lock(&self) -> StashGuard<'_> {
        loop {
            if let Some(g) = self.try_lock() {
                return g;
            }
            while self.busy.load(Ordering::Relaxed) {
                core::hint::spin_loop();
            }
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

/// Exclusive use of one CPU's stash, until dropped.
///
/// # Invariants
///
/// The guard set `self.0.busy` from `false` to `true` and is the only guard of that stash.
pub(crate) struct StashGuard<'a>(&'a CpuStash);

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

/// The stashes of one cache, one per possible CPU, and its depot.
pub(crate) struct Stashes {
    cpus: KVec<Pin<KBox<CpuStash>>>,
    depot: Pin<KBox<Depot>>,
    cap: usize,
}

impl Stashes {
    /// Empty stashes for objects laid out as `g`.
    pub(crate) fn new(g: &Geometry) -> Result<Self> {
        let n = ffi::nr_cpu_ids();
        let mut cpus = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            cpus.push(KBox::pin_init(CpuStash::new(), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            cpus,
            depot: KBox::pin_init(Depot::new(), GFP_KERNEL)?,
            cap: capacity(g.object_size),
        })
    }

    /// Objects per stash.
    #[inline]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The stash of the CPU this runs on (or ran on a moment ago).
    #[inline]
    pub(crate) fn current(&self) -> &CpuStash {
        // `current_cpu() < nr_cpu_ids`, the number of stashes (at least one): the fallback to
        // the first stash is never taken, and costs a compare where `%` would cost a division.
        let cpus = &self.cpus;
        cpus.get(ffi::current_cpu()).unwrap_or(&cpus[0])
    }

    /// Every stash.
    pub(crate) fn all(&self) -> impl Iterator<Item = &CpuStash> {
        self.cpus.iter().map(|c| &**c)
    }

    /// The depot.
    pub(crate) fn depot(&self) -> &Depot {
        &self.depot
    }

    /// Objects in all stashes and the depot, read without locks.
    pub(crate) fn total(&self) -> usize {
        let stashed: usize = self
            .cpus
            .iter()
            .map(|c| c.len.load(Ordering::Relaxed))
            .sum();
        stashed + self.depot.count.load(Ordering::Relaxed)
    }
}
