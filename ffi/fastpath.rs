// SPDX-License-Identifier: GPL-2.0

//! The stash fast paths, in C (`ffi/fastpath.c`), and the stash layout they share with Rust.
//!
//! A stash hit must run with preemption disabled and no atomic instruction, as SLUB's sheaves
//! do; the kernel's Rust has no `preempt_disable()` nor per-CPU access, and a GCC-built
//! kernel cannot inline its C helpers into Rust, so the hit is a small C function, compiled by
//! the kernel's own compiler with the kernel's own macros, and one call from Rust. The same
//! file zeroes objects as the kernel's `init_on_alloc` and `init_on_free` switches ask, reading
//! them as SLUB does (`want_init_on_alloc()`, `want_init_on_free()`: their static keys).
//!
//! The protocol, who may touch a stash and when, is [`crate::percpu`]'s; this file gives it
//! the C layout ([`RawStash`], bindgen's `struct rsh_stash`) and the calls.

use super::generated as g;
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicI32, AtomicU32},
};
use kernel::{bindings, ffi::c_uint, prelude::*, types::Opaque};

/// The most objects a stash holds (`RSH_STASH_MAX`).
pub(crate) const STASH_MAX: usize = g::RSH_STASH_MAX as usize;

/// One stash, laid out as C's `struct rsh_stash`: its objects, their count, its flag and its
/// home node.
///
/// # Invariants
///
/// `busy`, `len` and `home` are only accessed atomically (C: `READ_ONCE()`, `WRITE_ONCE()`,
/// `smp_load_acquire()`, `smp_store_release()`, `cmpxchg()`); `objs` only by whoever may use
/// the stash under [`crate::percpu`]'s protocol (see [`RawStash::objs`]).
#[repr(transparent)]
#[pin_data]
pub(crate) struct RawStash {
    #[pin]
    raw: Opaque<g::rsh_stash>,
}

// SAFETY: The stash is plain memory; the protocol of `crate::percpu` decides who uses it, on any
// CPU.
unsafe impl Send for RawStash {}
// SAFETY: Shared use goes through the atomic fields (type invariants) and the protocol.
unsafe impl Sync for RawStash {}

impl RawStash {
    /// An empty stash, not held, for node `home` (-1: not known).
    pub(crate) fn new(home: i32) -> impl PinInit<Self> {
        // INVARIANT: Nothing accesses a stash that is being made.
        pin_init!(Self {
            raw: Opaque::new(g::rsh_stash {
                objs: [core::ptr::null_mut(); STASH_MAX],
                len: 0,
                busy: 0,
                home,
            }),
        })
    }

    fn ptr(&self) -> *mut g::rsh_stash {
        self.raw.get()
    }

    /// The flag: 1 while a task holds the stash.
    #[inline]
    pub(crate) fn busy(&self) -> &AtomicU32 {
        // SAFETY: The field is a live, aligned `unsigned int` for as long as `self` is, only
        // ever accessed atomically (type invariants).
        unsafe { AtomicU32::from_ptr(core::ptr::addr_of_mut!((*self.ptr()).busy)) }
    }

    /// The number of objects, written by whoever uses the stash, read by anyone.
    #[inline]
    pub(crate) fn len(&self) -> &AtomicU32 {
        // SAFETY: As for `busy`.
        unsafe { AtomicU32::from_ptr(core::ptr::addr_of_mut!((*self.ptr()).len)) }
    }

    /// The home node (-1: not known).
    #[inline]
    pub(crate) fn home(&self) -> &AtomicI32 {
        // SAFETY: As for `busy`.
        unsafe { AtomicI32::from_ptr(core::ptr::addr_of_mut!((*self.ptr()).home)) }
    }

    /// The array of objects, for whoever may use the stash to dereference under
    /// [`crate::percpu`]'s protocol, and only then.
    #[inline]
    pub(crate) fn objs(&self) -> *mut [*mut u8; STASH_MAX] {
        // `void *` and `*mut u8` are both plain pointers.
        // SAFETY: Only the field's address is computed; `ptr` is valid.
        unsafe { core::ptr::addr_of_mut!((*self.ptr()).objs).cast() }
    }
}

/// The CPU stashes of one cache and what the C fast paths need to find them.
///
/// # Invariants
///
/// `stashes` has one stash per possible CPU (`nr_cpu_ids`), `ptrs` their addresses in the same
/// order, never changed after [`CpuStashes::new`], and `fast.cpus` points at `ptrs`' buffer,
/// which lives (and stays put) as long as `self`; `fast.size` is the object size of the cache
/// the stashes (and its node stashes) belong to.
pub(crate) struct CpuStashes {
    stashes: KVec<Pin<KBox<RawStash>>>,
    // Read by C through `fast.cpus`.
    #[expect(dead_code)]
    ptrs: KVec<*mut g::rsh_stash>,
    fast: g::rsh_fast,
}

// SAFETY: The pointers are to stashes `self` owns (type invariants), which are `Send`.
unsafe impl Send for CpuStashes {}
// SAFETY: Shared use reads the pointers only; the stashes are `Sync`.
unsafe impl Sync for CpuStashes {}

/// What [`CpuStashes::free`] did with an object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Freed {
    /// It is in the CPU's stash, or the node stash given.
    Stashed,
    /// The CPU's stash is held or full: it is the caller's again.
    Slow,
    /// It belongs in the node stash given, which is held or full: it is the caller's again.
    NodeSlow,
}

impl CpuStashes {
    /// One empty stash for each possible CPU, `home(cpu)` its node, holding `cap` objects (at
    /// most [`STASH_MAX`]) of `size` bytes.
    pub(crate) fn new(cap: usize, size: usize, home: impl Fn(usize) -> i32) -> Result<Self> {
        let n = super::nr_cpu_ids();
        let mut stashes = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut ptrs = KVec::with_capacity(n, GFP_KERNEL)?;
        for cpu in 0..n {
            let s = KBox::pin_init(RawStash::new(home(cpu)), GFP_KERNEL)?;
            ptrs.push(s.ptr(), GFP_KERNEL)?;
            stashes.push(s, GFP_KERNEL)?;
        }
        let fast = g::rsh_fast {
            cpus: ptrs.as_ptr(),
            cap: c_uint::try_from(cap.min(STASH_MAX)).map_err(|_| EINVAL)?,
            size: c_uint::try_from(size).map_err(|_| EINVAL)?,
        };
        // INVARIANT: One stash per possible CPU, `ptrs` their addresses, `fast.cpus` its buffer.
        Ok(Self {
            stashes,
            ptrs,
            fast,
        })
    }

    /// CPU `cpu`'s stash; `None` beyond `nr_cpu_ids`.
    #[inline]
    pub(crate) fn get(&self, cpu: usize) -> Option<&RawStash> {
        self.stashes.get(cpu).map(|s| &**s)
    }

    /// Every CPU's stash, in CPU order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &RawStash> {
        self.stashes.iter().map(|s| &**s)
    }

    /// The fast path of an allocation: an object from the current CPU's stash if its flag is
    /// clear, prepared as the kernel's switches (and `zero`) ask; `None` if the stash is held
    /// or empty.
    #[inline]
    pub(crate) fn alloc(&self, zero: bool) -> Option<NonNull<u8>> {
        // SAFETY: `fast` describes one live stash per possible CPU (type invariants), which
        // `rsh_cpu_alloc` uses under the protocol it documents.
        NonNull::new(unsafe { g::rsh_cpu_alloc(&self.fast, zero) }.cast())
    }

    /// The fast path of a free: `obj`, zeroed if `init_on_free` asks, into the current CPU's
    /// stash, or into `node` (the stash of `obj`'s node) if that is not the CPU's node.
    ///
    /// # Safety
    ///
    /// `obj` is a free object of `size` bytes (as given to [`CpuStashes::new`]) of the cache
    /// these stashes belong to, which nothing uses any more; once [`Freed::Stashed`], it is the
    /// stashes'.
    #[inline]
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>, node: Option<&RawStash>) -> Freed {
        let node = node.map_or(core::ptr::null_mut(), |n| n.ptr());
        // SAFETY: As for `alloc`; `obj` is the caller's to give (safety requirements), `node`
        // null or a live stash.
        match unsafe { g::rsh_cpu_free(&self.fast, obj.as_ptr().cast(), node) } as u32 {
            g::RSH_FREE_STASHED => Freed::Stashed,
            g::RSH_FREE_NODE_SLOW => Freed::NodeSlow,
            _ => Freed::Slow,
        }
    }

    /// The fast path of a node-exact allocation: an object from `s`, a node stash of the same
    /// cache, if its flag is free, prepared as the kernel's switches (and `zero`) ask; `None`
    /// if held or empty.
    #[inline]
    pub(crate) fn node_alloc(&self, s: &RawStash, zero: bool) -> Option<NonNull<u8>> {
        // SAFETY: `s` is a live node stash, which `rsh_node_alloc` uses only with its flag;
        // `fast.size` is the size of its objects (type invariants).
        NonNull::new(unsafe { g::rsh_node_alloc(s.ptr(), self.fast.size, zero) }.cast())
    }

    /// What an allocation does to an object before handing it out: zeroes it if
    /// `init_on_alloc` is on or `zero`, otherwise wipes its freelist link if `init_on_free` is
    /// on (SLUB's `maybe_wipe_obj_freeptr()`).
    ///
    /// # Safety
    ///
    /// `obj` is an object of the cache these stashes belong to, which the caller owns.
    #[inline]
    pub(crate) unsafe fn init_alloc(&self, obj: NonNull<u8>, zero: bool) {
        // SAFETY: `obj` is the caller's (safety requirements), `fast.size` bytes (type
        // invariants).
        unsafe { g::rsh_init_alloc(obj.as_ptr().cast(), self.fast.size, zero) };
    }

    /// What a free does to an object before taking it back: zeroes it if `init_on_free` is on.
    ///
    /// # Safety
    ///
    /// As for [`CpuStashes::init_alloc`]; nothing uses the object after.
    #[inline]
    pub(crate) unsafe fn init_free(&self, obj: NonNull<u8>) {
        // SAFETY: As for `init_alloc`.
        unsafe { g::rsh_init_free(obj.as_ptr().cast(), self.fast.size) };
    }

    /// Takes the flag of the stash of the CPU this runs on, with preemption disabled around
    /// the exchange; the stash and its CPU, or `None` if someone holds it. The caller must
    /// clear the flag (release) when done.
    pub(crate) fn lock_current(&self) -> Option<(&RawStash, usize)> {
        let mut cpu: c_uint = 0;
        // SAFETY: As for `alloc`; `cpu` is writable.
        let p = unsafe { g::rsh_cpu_lock_current(&self.fast, &mut cpu) };
        let cpu = cpu as usize;
        // The stash the C code returned is `ptrs[cpu]`, that is `stashes[cpu]`.
        self.get(cpu)
            .filter(|s| core::ptr::eq(s.ptr(), p))
            .map(|s| (s, cpu))
    }
}

/// Whether the kernel zeroes allocations (`init_on_alloc`), as it sees it.
pub(crate) fn want_init_on_alloc() -> bool {
    // SAFETY: Reads a static key.
    unsafe { g::rsh_want_init_on_alloc() }
}

/// Whether the kernel zeroes frees (`init_on_free`), as it sees it.
pub(crate) fn want_init_on_free() -> bool {
    // SAFETY: Reads a static key.
    unsafe { g::rsh_want_init_on_free() }
}

/// Waits until every region with preemption disabled (and every RCU reader) that began before
/// has ended (`synchronize_rcu()`). Process context only: it sleeps.
pub(crate) fn synchronize_rcu() {
    // SAFETY: Process context, which the callers (flushes) have.
    unsafe { bindings::synchronize_rcu() };
}
