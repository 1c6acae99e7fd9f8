// SPDX-License-Identifier: GPL-2.0

//! The in-kernel benchmark: rust_slab_hp against the kernel's own SLUB, side by side.
//!
//! Each run creates a rust_slab_hp cache and a SLUB cache (`kmem_cache_create()`) of the same
//! object size and alignment, runs the same workload on both, `reps` times each, alternating,
//! and reports the median time per operation of each in picoseconds. Workloads run in kernel
//! threads bound to the first online CPU (and the second for the two-CPU ones), so the scheduler
//! does not move them.
//!
//! The statistics-read workload times one render of a cache's `objects` file (what a sysfs read
//! does, without the syscall), either lock-free as rust_slab_hp does it or after waiting for
//! `mem_hotplug_lock` as a reader under `get_online_mems()` would.

use crate::{
    cache::{Cache, CacheName, CacheSpec, Object},
    ffi::{
        kmem::{wait_for_mem_hotplug, NativeCache},
        kthread::run_on_cpus,
        nodes::NodeId,
        now_ns,
        sysfs::SysfsBuf,
    },
    registry::Registry,
    slab::DebugFlags,
    sysfs,
};
use core::{
    cell::UnsafeCell,
    fmt::Write,
    hint::spin_loop,
    ptr::NonNull,
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
};
use kernel::{c_str, prelude::*};

/// A workload.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Workload {
    /// Allocate and free one object, again and again, on one CPU.
    Pair,
    /// Allocate a batch of objects, then free them all, on one CPU.
    Batch(usize),
    /// `Pair` on both CPUs at once.
    Pair2,
    /// Batches of 64 allocated on the first CPU and freed on the second.
    Cross,
    /// Allocate on a given (remote) node and free, on one CPU.
    Remote(NodeId),
}

impl Workload {
    /// Parses `pair`, `batch64`, `batch4096`, `pair2`, `cross`, `remote<node>`.
    pub(crate) fn parse(word: &[u8]) -> Result<Self> {
        Ok(match word {
            b"pair" => Self::Pair,
            b"batch64" => Self::Batch(64),
            b"batch4096" => Self::Batch(4096),
            b"pair2" => Self::Pair2,
            b"cross" => Self::Cross,
            w if w.starts_with(b"remote") => {
                let n = crate::cache::parse_usize(&w[6..])?;
                Self::Remote(NodeId::new(n as u64).ok_or(EINVAL)?)
            }
            _ => return Err(EINVAL),
        })
    }
}

/// What both allocators offer the workloads.
///
/// Each side's fast API: rust_slab_hp's stashes (`alloc_fast`, `alloc_fast_on`, `free_fast`),
/// SLUB's `kmem_cache_alloc()`, `kmem_cache_alloc_node()` and `kmem_cache_free()`.
trait Allocator: Sync {
    type Obj: Send;
    fn alloc(&self) -> Option<Self::Obj>;
    fn free(&self, obj: Self::Obj);
    fn alloc_on(&self, nid: NodeId) -> Option<Self::Obj>;
}

struct Ours<'a>(&'a Cache);

impl Allocator for Ours<'_> {
    type Obj = Object;

    fn alloc(&self) -> Option<Object> {
        let mut o = self.0.alloc_fast().ok()?;
        touch(self.0.object_bytes(&mut o).ok()?.as_mut_ptr());
        Some(o)
    }

    fn free(&self, obj: Object) {
        if let Err((_, o)) = self.0.free_fast(obj) {
            o.leak();
        }
    }

    fn alloc_on(&self, nid: NodeId) -> Option<Object> {
        let mut o = self.0.alloc_fast_on(nid).ok()?;
        touch(self.0.object_bytes(&mut o).ok()?.as_mut_ptr());
        Some(o)
    }
}

/// A SLUB object.
struct SlubObj(NonNull<u8>);

// SAFETY: An allocated SLUB object may be freed from any CPU.
unsafe impl Send for SlubObj {}

struct Slub<'a>(&'a NativeCache);

impl Allocator for Slub<'_> {
    type Obj = SlubObj;

    fn alloc(&self) -> Option<SlubObj> {
        let p = self.0.alloc()?;
        touch(p.as_ptr());
        Some(SlubObj(p))
    }

    fn free(&self, obj: SlubObj) {
        // SAFETY: `obj` came from this cache's `alloc`/`alloc_node` and is freed once.
        unsafe { self.0.free(obj.0) };
    }

    fn alloc_on(&self, nid: NodeId) -> Option<SlubObj> {
        let p = self.0.alloc_node(nid)?;
        touch(p.as_ptr());
        Some(SlubObj(p))
    }
}

/// Writes the first byte of a new object, as any user would.
fn touch(p: *mut u8) {
    // SAFETY: `p` is a freshly allocated object of at least 8 bytes.
    unsafe { p.write_volatile(1) };
}

/// Picoseconds per operation.
fn ps_per_op(ns: u64, ops: u64) -> u64 {
    ns.saturating_mul(1000) / ops.max(1)
}

/// Runs `w` for `iters` operations on `a`; picoseconds per operation.
fn measure<A: Allocator>(a: &A, w: Workload, iters: usize) -> Result<u64> {
    match w {
        Workload::Pair => on_cpu(cpus()?[0], || pair(a, iters)),
        Workload::Remote(nid) => on_cpu(cpus()?[0], || {
            let t0 = now_ns();
            for _ in 0..iters {
                let o = a.alloc_on(nid).ok_or(ENOMEM)?;
                a.free(o);
            }
            Ok(ps_per_op(now_ns() - t0, iters as u64))
        }),
        Workload::Batch(n) => {
            let mut objs = KVec::with_capacity(n, GFP_KERNEL)?;
            on_cpu(cpus()?[0], || {
                let rounds = (iters / n).max(1);
                let t0 = now_ns();
                for _ in 0..rounds {
                    for _ in 0..n {
                        // Room for `n` was reserved.
                        let _ = objs.push_within_capacity(a.alloc().ok_or(ENOMEM)?);
                    }
                    while let Some(o) = objs.pop() {
                        a.free(o);
                    }
                }
                Ok(ps_per_op(now_ns() - t0, (rounds * n) as u64))
            })
        }
        Workload::Pair2 => {
            let ps = [AtomicU64::new(0), AtomicU64::new(0)];
            let failed = AtomicUsize::new(0);
            run_on_cpus(&cpus()?, &|i| match pair(a, iters) {
                Ok(v) => ps[i].store(v, Ordering::Relaxed),
                Err(_) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            })?;
            if failed.load(Ordering::Relaxed) != 0 {
                return Err(ENOMEM);
            }
            Ok((ps[0].load(Ordering::Relaxed) + ps[1].load(Ordering::Relaxed)) / 2)
        }
        Workload::Cross => cross(a, iters),
    }
}

fn pair<A: Allocator>(a: &A, iters: usize) -> Result<u64> {
    let t0 = now_ns();
    for _ in 0..iters {
        let o = a.alloc().ok_or(ENOMEM)?;
        a.free(o);
    }
    Ok(ps_per_op(now_ns() - t0, iters as u64))
}

/// The two CPUs the workloads run on: the first two online ones. `ENODEV` (with a line in the
/// log) if only one is online: the two-CPU workloads and the stats reader, which runs beside
/// the first CPU, need two.
fn cpus() -> Result<[u32; 2]> {
    let mut online = (0..crate::ffi::nr_cpu_ids()).filter(|&c| crate::ffi::cpu_online(c));
    match (online.next(), online.next()) {
        (Some(a), Some(b)) => Ok([
            u32::try_from(a).map_err(|_| EINVAL)?,
            u32::try_from(b).map_err(|_| EINVAL)?,
        ]),
        _ => {
            pr_err!("bench: needs two online CPUs\n");
            Err(ENODEV)
        }
    }
}

/// Runs `f` on a kernel thread bound to `cpu` and returns its result.
fn on_cpu<T: Send>(cpu: u32, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let f = UnsafeCell::new(Some(f));
    let out: UnsafeCell<Option<Result<T>>> = UnsafeCell::new(None);
    let shared = OnceCell { f: &f, out: &out };
    run_on_cpus(&[cpu], &|_| shared.run())?;
    out.into_inner().unwrap_or(Err(EINVAL))
}

/// The one-shot closure and its result slot of [`on_cpu`].
struct OnceCell<'a, F, T> {
    f: &'a UnsafeCell<Option<F>>,
    out: &'a UnsafeCell<Option<Result<T>>>,
}

// SAFETY: `run_on_cpus` calls `run` exactly once, on one thread, and returns only after it did;
// nothing else touches the cells meanwhile.
unsafe impl<F: Send, T: Send> Sync for OnceCell<'_, F, T> {}

impl<F: FnOnce() -> Result<T>, T> OnceCell<'_, F, T> {
    fn run(&self) {
        // SAFETY: Called once, with exclusive access (see the `Sync` impl).
        unsafe {
            if let Some(f) = (*self.f.get()).take() {
                *self.out.get() = Some(f());
            }
        }
    }
}

/// Two slots of 64 objects handed from the allocating CPU to the freeing one.
struct Handoff<O> {
    slots: [UnsafeCell<KVec<O>>; 2],
    produced: AtomicUsize,
    consumed: AtomicUsize,
    failed: AtomicUsize,
}

// SAFETY: Slot `r % 2` is written by the producer only after the consumer released it
// (`consumed >= r - 1`) and read by the consumer only after the producer published it
// (`produced >= r + 1`): the two never access a slot at once.
unsafe impl<O: Send> Sync for Handoff<O> {}

fn cross<A: Allocator>(a: &A, iters: usize) -> Result<u64> {
    const N: usize = 64;
    let rounds = (iters / N).max(2);
    let h = Handoff {
        slots: [
            UnsafeCell::new(KVec::with_capacity(N, GFP_KERNEL)?),
            UnsafeCell::new(KVec::with_capacity(N, GFP_KERNEL)?),
        ],
        produced: AtomicUsize::new(0),
        consumed: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    };
    let elapsed = [AtomicU64::new(0), AtomicU64::new(0)];
    // Shared as a whole (closures would otherwise capture the non-`Sync` slots field by field).
    let h = &h;
    run_on_cpus(&cpus()?, &|cpu| {
        let t0 = now_ns();
        for r in 0..rounds {
            if cpu == 0 {
                while h.consumed.load(Ordering::Acquire) + 1 < r {
                    spin_loop();
                }
                // SAFETY: See `Handoff`: the consumer is done with this slot.
                let slot = unsafe { &mut *h.slots[r % 2].get() };
                for _ in 0..N {
                    match a.alloc() {
                        // Room for `N` was reserved and the slot was emptied.
                        Some(o) => drop(slot.push_within_capacity(o)),
                        None => {
                            h.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                h.produced.store(r + 1, Ordering::Release);
            } else {
                while h.produced.load(Ordering::Acquire) < r + 1 {
                    spin_loop();
                }
                // SAFETY: See `Handoff`: the producer published this slot.
                let slot = unsafe { &mut *h.slots[r % 2].get() };
                while let Some(o) = slot.pop() {
                    a.free(o);
                }
                h.consumed.store(r + 1, Ordering::Release);
            }
        }
        elapsed[cpu].store(now_ns() - t0, Ordering::Relaxed);
    })?;
    if h.failed.load(Ordering::Relaxed) != 0 {
        return Err(ENOMEM);
    }
    let ns = elapsed[0]
        .load(Ordering::Relaxed)
        .max(elapsed[1].load(Ordering::Relaxed));
    Ok(ps_per_op(ns, (rounds * N) as u64))
}

/// Sorts `v` in place (heapsort). Not `slice::sort_unstable()`: objtool cannot follow the
/// control flow of `core`'s sort as compiled for this kernel and warns about it.
fn sort(v: &mut [u64]) {
    fn sift_down(v: &mut [u64], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                break;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                break;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// The median of `v` (sorted in place).
fn median(v: &mut [u64]) -> u64 {
    sort(v);
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Runs `w` on both allocators for objects of `size` bytes, `reps` times each, alternating,
/// and writes `<workload> size=<size> rsh_ps=<median> slub_ps=<median>` into `out`, followed by
/// each side's fastest and slowest repetition (`rsh_min_ps=` ... `slub_max_ps=`).
pub(crate) fn run(
    registry: &Registry,
    name: &[u8],
    w: Workload,
    size: usize,
    iters: usize,
    reps: usize,
    out: &mut impl Write,
) -> Result {
    if !(1..=15).contains(&reps) || !(1..=10_000_000).contains(&iters) {
        return Err(EINVAL);
    }
    let spec = CacheSpec {
        name: CacheName::new(b"bench")?,
        size,
        align: 8,
        debug: DebugFlags::NONE,
    };
    let ours = registry.create(&spec)?;
    let result = (|| {
        let slub = NativeCache::new(c_str!("rust_slab_hp_bench"), size, 8)?;
        let (mut r, mut s) = (KVec::new(), KVec::new());
        for i in 0..reps {
            // Who goes first alternates, so neither always runs on the other's leftovers.
            if i % 2 == 0 {
                r.push(measure(&Ours(&ours), w, iters)?, GFP_KERNEL)?;
                s.push(measure(&Slub(&slub), w, iters)?, GFP_KERNEL)?;
            } else {
                s.push(measure(&Slub(&slub), w, iters)?, GFP_KERNEL)?;
                r.push(measure(&Ours(&ours), w, iters)?, GFP_KERNEL)?;
            }
        }
        let (rm, sm) = (median(&mut r), median(&mut s));
        let range = |v: &[u64]| (v.first().copied(), v.last().copied());
        let ((rlo, rhi), (slo, shi)) = (range(&r), range(&s));
        writeln!(
            out,
            concat!(
                "{} size={} rsh_ps={} slub_ps={} ",
                "rsh_min_ps={} rsh_max_ps={} slub_min_ps={} slub_max_ps={}"
            ),
            core::str::from_utf8(name).unwrap_or("?"),
            size,
            rm,
            sm,
            rlo.unwrap_or(0),
            rhi.unwrap_or(0),
            slo.unwrap_or(0),
            shi.unwrap_or(0),
        )
        .map_err(|_| ENOMEM)
    })();
    drop(ours);
    registry.destroy(&spec.name)?;
    result
}

/// Times `count` renders of `cache`'s `objects` statistics on the second CPU, optionally waiting for
/// `mem_hotplug_lock` first; writes `statread<tag> p50_ns= p99_ns= max_ns=` into `out`.
pub(crate) fn statread(
    cache: &Cache,
    locked: bool,
    count: usize,
    tag: &[u8],
    out: &mut impl Write,
) -> Result {
    if !(100..=100_000).contains(&count) {
        return Err(EINVAL);
    }
    let mut lat = KVec::with_capacity(count, GFP_KERNEL)?;
    let mut page = KVec::new();
    page.extend_with(crate::ffi::page::PAGE_SIZE, 0u8, GFP_KERNEL)?;
    on_cpu(cpus()?[1], || {
        for _ in 0..count {
            let t0 = now_ns();
            if locked {
                wait_for_mem_hotplug();
            }
            let mut buf = SysfsBuf::new(&mut page);
            sysfs::render_objects(cache, &mut buf)?;
            // Room for `count` was reserved.
            let _ = lat.push_within_capacity(now_ns() - t0);
        }
        Ok(())
    })?;
    sort(&mut lat);
    let at = |q: usize| {
        lat.get((lat.len() * q / 100).min(lat.len() - 1))
            .copied()
            .unwrap_or(0)
    };
    writeln!(
        out,
        "statread{} p50_ns={} p99_ns={} max_ns={}",
        core::str::from_utf8(tag).unwrap_or("?"),
        at(50),
        at(99),
        lat.last().copied().unwrap_or(0)
    )
    .map_err(|_| ENOMEM)
}
