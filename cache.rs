// SPDX-License-Identifier: GPL-2.0

//! A cache of equal-sized objects: its layout, its per-node table and its allocation policy.
//!
//! # The node table
//!
//! Each cache has one slot per possible node (`nr_node_ids`). A slot is filled at most once,
//! with a compare-and-exchange from null, by the registry under its mutex (at cache creation
//! and when a node gets its first memory); it is emptied only by [`Cache`]'s `Drop`. Readers
//! (allocation, free, stats) load slots with acquire ordering and no lock: a non-null slot is a
//! [`Node`] that stays valid for the life of the cache. This is the rule of "mm, slub: stop
//! freeing kmem_cache_node structures on node offline": the metadata of a node that lost its
//! memory is kept, so no lock-free reader can ever see it freed.
//!
//! The one exception is the test-only `reproduce_offline_uaf` mode, which frees a node's
//! metadata when its last memory goes away, as SLUB did before Linux 5.12, to show the
//! use-after-free that rule prevents.

use crate::{
    ffi::{
        self,
        nodes::{NodeId, NodeMask, NodeState},
        page::{Pages, Placement},
    },
    node::{Node, PerNodeCounter},
    percpu::{CpuStash, Stash, Stashes, STASH_MAX},
    slab::{self, Geometry, Slab},
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};
use kernel::{c_str, prelude::*, sync::Arc};

/// The longest cache name, without the terminating NUL.
pub(crate) const MAX_NAME: usize = 31;

/// A cache name: 1 to [`MAX_NAME`] characters out of `a-z A-Z 0-9 _ - .`, usable as a sysfs
/// directory name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheName {
    bytes: [u8; MAX_NAME + 1],
    len: usize,
}

impl CacheName {
    /// Checks and copies `name`.
    pub(crate) fn new(name: &[u8]) -> Result<Self> {
        let ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
        if name.is_empty() || name.len() > MAX_NAME || !name.iter().all(ok) || name[0] == b'.' {
            return Err(EINVAL);
        }
        let mut bytes = [0u8; MAX_NAME + 1];
        bytes[..name.len()].copy_from_slice(name);
        Ok(Self {
            bytes,
            len: name.len(),
        })
    }

    /// The name as a C string.
    pub(crate) fn as_cstr(&self) -> &CStr {
        // `bytes` holds `len <= MAX_NAME` non-NUL characters followed by NUL.
        CStr::from_bytes_with_nul(&self.bytes[..=self.len]).unwrap_or(c_str!("?"))
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl CacheName {
    /// The name as text (only ASCII passes [`CacheName::new`]).
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

/// What a cache is made of: a name, an object size and an alignment.
#[derive(Clone, Copy)]
pub(crate) struct CacheSpec {
    pub(crate) name: CacheName,
    pub(crate) size: usize,
    pub(crate) align: usize,
}

impl CacheSpec {
    /// Parses `name:size:align`, checking each part.
    pub(crate) fn parse(text: &[u8]) -> Result<Self> {
        let mut parts = text.split(|&c| c == b':');
        let (Some(name), Some(size), Some(align), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(EINVAL);
        };
        let spec = Self {
            name: CacheName::new(name)?,
            size: parse_usize(size)?,
            align: parse_usize(align)?,
        };
        // The layout decides what sizes and alignments are acceptable.
        Geometry::new(spec.size, spec.align, 1)?;
        Ok(spec)
    }
}

/// Parses a decimal number without sign or spaces.
pub(crate) fn parse_usize(text: &[u8]) -> Result<usize> {
    if text.is_empty() || text.len() > 19 {
        return Err(EINVAL);
    }
    text.iter().try_fold(0usize, |acc, &c| {
        if c.is_ascii_digit() {
            acc.checked_mul(10)
                .and_then(|a| a.checked_add(usize::from(c - b'0')))
                .ok_or(EINVAL)
        } else {
            Err(EINVAL)
        }
    })
}

/// Where an allocation may come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NodeRequest {
    /// Any node.
    Any,
    /// This node if it has memory the kernel can use, another one otherwise (counted as a
    /// fallback).
    Prefer(NodeId),
    /// This node or `ENOMEM`.
    Exact(NodeId),
}

/// An allocated object, owned by whoever holds the value.
///
/// # Invariants
///
/// `ptr` is an object allocated from a slab of the cache whose id is `cache`, and not freed
/// since. Slabs holding live objects are never freed, not even when their cache is destroyed
/// (they leak, loudly), so `ptr` and its slab stay valid memory for as long as this value
/// exists.
pub(crate) struct Object {
    ptr: NonNull<u8>,
    cache: u32,
}

// SAFETY: An object is plain memory owned by the holder of this value.
unsafe impl Send for Object {}

impl Object {
    /// The object's address.
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// Gives the object up without freeing it, when it cannot be freed: its slab then stays
    /// allocated for good (and the cache reports it when destroyed).
    pub(crate) fn leak(self) {}
}

/// Counters of a cache beyond what its nodes count.
pub(crate) struct CacheStats {
    /// Allocations that asked for a node and were served elsewhere, by requested node.
    pub(crate) fallbacks: PerNodeCounter,
    /// Node metadata allocated, by node.
    pub(crate) meta_allocs: PerNodeCounter,
    /// Node metadata found already there when the node got memory again, by node.
    pub(crate) meta_reuses: PerNodeCounter,
    /// Node metadata freed while the cache lives (only in `reproduce_offline_uaf` mode).
    pub(crate) meta_frees: PerNodeCounter,
    /// Empty slabs given back by shrinking, by node.
    pub(crate) shrunk: PerNodeCounter,
}

/// A slot of the node table.
struct NodeSlot(AtomicPtr<Node>);

/// A cache.
pub(crate) struct Cache {
    spec: CacheSpec,
    id: u32,
    geometry: Geometry,
    stashes: Stashes,
    nodes: KVec<NodeSlot>,
    mem_nodes: Arc<NodeMask>,
    stats: CacheStats,
    reproduce_uaf: bool,
}

/// Makes cache ids unique among live caches (it would take 2^32 creations to wrap), so objects
/// and slabs can tell whether they are used through their own cache.
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

impl Cache {
    /// Creates an empty cache with no node metadata yet.
    ///
    /// `mem_nodes` is the registry's set of nodes that have memory; allocations only target
    /// nodes in it.
    pub(crate) fn new(
        spec: &CacheSpec,
        mem_nodes: Arc<NodeMask>,
        reproduce_uaf: bool,
    ) -> Result<Arc<Self>> {
        let geometry = Geometry::new(spec.size, spec.align, ffi::nr_cpu_ids())?;
        let mut nodes = KVec::with_capacity(ffi::nodes::nr_node_ids(), GFP_KERNEL)?;
        for _ in NodeId::all() {
            nodes.push(NodeSlot(AtomicPtr::new(core::ptr::null_mut())), GFP_KERNEL)?;
        }
        Ok(Arc::new(
            Self {
                spec: *spec,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                stashes: Stashes::new(&geometry)?,
                geometry,
                nodes,
                mem_nodes,
                stats: CacheStats {
                    fallbacks: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_allocs: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_reuses: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_frees: PerNodeCounter::new(GFP_KERNEL)?,
                    shrunk: PerNodeCounter::new(GFP_KERNEL)?,
                },
                reproduce_uaf,
            },
            GFP_KERNEL,
        )?)
    }

    /// The cache's name.
    pub(crate) fn name(&self) -> &CacheName {
        &self.spec.name
    }

    /// The object layout.
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The cache's own counters.
    pub(crate) fn stats(&self) -> &CacheStats {
        &self.stats
    }

    /// Objects held in the per-CPU stashes, read without locks.
    pub(crate) fn stashed(&self) -> usize {
        self.stashes.total()
    }

    /// The node whose memory holds `obj`; `None` for another cache's object.
    pub(crate) fn nid_of(&self, obj: &Object) -> Option<NodeId> {
        if obj.cache != self.id {
            return None;
        }
        // SAFETY: By the invariants of `Object`, `obj.ptr` is a live object of this cache (ids
        // match), so its slab, laid out as `self.geometry`, is live.
        Some(unsafe { slab::nid_of(obj.ptr, &self.geometry) })
    }

    /// Wraps a pointer just handed out by one of this cache's slabs.
    fn object(&self, ptr: NonNull<u8>) -> Object {
        // INVARIANT: `ptr` was just allocated from one of our slabs.
        Object {
            ptr,
            cache: self.id,
        }
    }

    fn slot(&self, nid: NodeId) -> &AtomicPtr<Node> {
        // `nodes` has `nr_node_ids()` slots and `nid < nr_node_ids()`.
        &self.nodes[nid.index()].0
    }

    /// Node `nid`'s metadata, if it was ever allocated.
    pub(crate) fn node(&self, nid: NodeId) -> Option<&Node> {
        let p = self.slot(nid).load(Ordering::Acquire);
        // SAFETY: A non-null slot holds a `Node` published by `install_node` that is freed only
        // by `drop` (module documentation), which cannot run while `&self` exists. (In
        // `reproduce_offline_uaf` mode this is exactly what stops being true.)
        unsafe { p.as_ref() }
    }

    /// Whether node `nid` has metadata.
    pub(crate) fn has_node(&self, nid: NodeId) -> bool {
        !self.slot(nid).load(Ordering::Acquire).is_null()
    }

    /// Calls `f` for every node that has metadata, without any lock.
    pub(crate) fn for_each_node(&self, mut f: impl FnMut(&Node)) {
        for nid in NodeId::all() {
            if let Some(node) = self.node(nid) {
                f(node);
            }
        }
    }

    /// Publishes `node` as node `node.nid()`'s metadata if it has none yet.
    ///
    /// Returns the metadata back if the slot was taken. Only the registry calls this, under its
    /// mutex.
    pub(crate) fn install_node(
        &self,
        node: Pin<KBox<Node>>,
    ) -> core::result::Result<(), Pin<KBox<Node>>> {
        let nid = node.nid();
        // SAFETY: The node is only ever used pinned, through `&Node`, and moved back into a
        // `Pin<KBox>` before it is dropped (`take_node`).
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(node) });
        match self.slot(nid).compare_exchange(
            core::ptr::null_mut(),
            raw,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                self.stats.meta_allocs.add(nid, 1);
                Ok(())
            }
            // SAFETY: `raw` came from `KBox::into_raw` above and was not published.
            Err(_) => Err(unsafe { Pin::new_unchecked(KBox::from_raw(raw)) }),
        }
    }

    /// Empties node `nid`'s slot and returns what it held.
    fn take_node(&self, nid: NodeId) -> Option<Pin<KBox<Node>>> {
        let p = self.slot(nid).swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: A non-null slot came from `KBox::into_raw` of a pinned node in
        // `install_node`; swapping it out makes us its only owner.
        NonNull::new(p).map(|p| unsafe { Pin::new_unchecked(KBox::from_raw(p.as_ptr())) })
    }

    /// Frees node `nid`'s metadata while the cache lives: the pre-5.12 SLUB behaviour on
    /// `MEM_OFFLINE`, only in `reproduce_offline_uaf` mode. Lock-free readers that loaded the
    /// pointer before the swap then use freed memory, which is what the mode demonstrates.
    ///
    /// Metadata that still lists slabs is kept (SLUB had a `BUG_ON` there).
    pub(crate) fn free_node_like_pre_5_12(&self, nid: NodeId) {
        if !self.reproduce_uaf {
            return;
        }
        if self.node(nid).is_some_and(|n| n.snapshot().slabs != 0) {
            return;
        }
        if let Some(node) = self.take_node(nid) {
            self.stats.meta_frees.add(nid, 1);
            drop(node);
        }
    }

    /// Whether an allocation may target node `nid`: it has memory the kernel can allocate
    /// (not only `ZONE_MOVABLE`) and metadata.
    fn usable(&self, nid: NodeId) -> bool {
        self.mem_nodes.contains(nid) && nid.has(NodeState::NormalMemory) && self.has_node(nid)
    }

    /// Allocates an object as `req` asks. Fails with `ENOMEM` and changes nothing else if no
    /// memory is available where the request allows it.
    pub(crate) fn alloc(&self, req: NodeRequest) -> Result<Object> {
        match req {
            NodeRequest::Any => self.alloc_any(),
            NodeRequest::Exact(nid) if self.usable(nid) => self.alloc_on(nid),
            NodeRequest::Exact(_) => Err(ENOMEM),
            NodeRequest::Prefer(nid) if self.usable(nid) => self.alloc_on(nid).or_else(|_| {
                self.stats.fallbacks.add(nid, 1);
                self.alloc_any()
            }),
            NodeRequest::Prefer(nid) => {
                self.stats.fallbacks.add(nid, 1);
                self.alloc_any()
            }
        }
    }

    /// Allocates an object from any node through the current CPU's stash: the fast path.
    ///
    /// If the stash is held (by a preempted task or a flush), the object comes from the node
    /// lists directly, as [`Cache::alloc`] would give it.
    #[inline]
    pub(crate) fn alloc_fast(&self) -> Result<Object> {
        // Only a stash hit is inlined: refills have a large frame (a batch on the stack) that
        // the hit should not pay for.
        match self.stashes.current().try_with(Stash::pop) {
            Some(Some(p)) => Ok(self.object(p)),
            Some(None) => self.alloc_refill(),
            None => self.alloc_any(),
        }
    }

    /// [`Cache::alloc_fast`] with an empty stash: refills it from the depot, the partial slabs
    /// or a new slab, and takes one object.
    #[inline(never)]
    fn alloc_refill(&self) -> Result<Object> {
        let cap = self.stashes.cap();
        let g = &self.geometry;
        let Some(mut s) = self.stashes.current().try_lock() else {
            return self.alloc_any();
        };
        if let Some(p) = s.pop() {
            return Ok(self.object(p));
        }
        // Empty: a magazine from the depot, else partial slabs, one node lock per node.
        let n = self.stashes.depot().take(s.spare(cap));
        if n > 0 {
            s.filled(n);
        } else {
            for nid in self.mem_nodes.iter() {
                let Some(node) = self.node(nid) else { continue };
                let n = node.alloc_batch(g, s.spare(cap));
                if n > 0 {
                    s.filled(n);
                    break;
                }
            }
        }
        if let Some(p) = s.pop() {
            return Ok(self.object(p));
        }
        drop(s);
        // No partial slab anywhere: a new one, outside every lock, from the local node.
        let slab = Slab::new(Pages::alloc(Placement::Any, g.order)?, g, self.id as usize);
        let node = self.node(slab.nid()).ok_or(ENOMEM)?;
        self.take_from_new_slab(self.stashes.current(), node, slab)
    }

    /// Adds `slab`, new, to `node`'s lists and takes one object from it for the caller and as
    /// many more as fit into `stash`; what does not fit goes back to the slab.
    fn take_from_new_slab(&self, stash: &CpuStash, node: &Node, slab: Slab) -> Result<Object> {
        // The lists must never hold another node's slab.
        if slab.nid() != node.nid() {
            return Err(ENOMEM);
        }
        let cap = self.stashes.cap();
        let mut batch = [core::ptr::null_mut(); STASH_MAX];
        let want = cap.min(STASH_MAX);
        let n = node.add_slab_and_alloc_batch(slab, &self.geometry, &mut batch[..want]);
        let first = NonNull::new(batch[0]).filter(|_| n > 0).ok_or(ENOMEM)?;
        let rest = &batch[1..n];
        let stashed = stash
            .try_with(|s| {
                let k = rest.len().min(s.room(cap));
                s.spare(cap)[..k].copy_from_slice(&rest[..k]);
                s.filled(k);
                k
            })
            .unwrap_or(0);
        self.free_on_node(Some(node.nid()), &rest[stashed..]);
        Ok(self.object(first))
    }

    /// Frees an object through the current CPU's stash: the fast path. A full stash parks its
    /// older half in the depot, or sends it back to the slabs if the depot is full; a held
    /// stash sends the object to its slab directly. An object of another node than the CPU's
    /// goes to that node's stash instead, if node-exact allocations made one. An object of
    /// another cache is refused and handed back.
    #[inline]
    pub(crate) fn free_fast(&self, obj: Object) -> core::result::Result<(), (Error, Object)> {
        if obj.cache != self.id {
            return Err((EINVAL, obj));
        }
        let cap = self.stashes.cap();
        let cs = self.stashes.current();
        if let Some(home) = cs.home().filter(|_| self.stashes.any_node()) {
            // SAFETY: By the invariants of `Object`, `obj.ptr` is a live object of this cache
            // (ids match), so its slab, laid out as `self.geometry`, is live.
            let nid = unsafe { slab::nid_of(obj.ptr, &self.geometry) };
            if nid != home {
                if let Some(ns) = self.stashes.node(nid) {
                    return match ns.try_with(|s| s.push(obj.ptr, cap).err()) {
                        Some(None) => Ok(()),
                        Some(Some(p)) => {
                            self.free_remote_spill(ns, p);
                            Ok(())
                        }
                        None => self.free(obj),
                    };
                }
            }
        }
        match cs.try_with(|s| s.push(obj.ptr, cap).err()) {
            Some(None) => Ok(()),
            Some(Some(p)) => {
                self.free_spill(p);
                Ok(())
            }
            None => self.free(obj),
        }
    }

    /// [`Cache::free_fast`] for an object of another node than the CPU's, when that node has a
    /// stash and it is full: the stash gives its older half back to the slabs and keeps `p`.
    /// (Remote objects go to their node's stash rather than the CPU's, as SLUB keeps them out
    /// of its per-CPU sheaves: node-exact allocations get them back, and allocations for any
    /// node do not hand remote memory out as local.)
    #[inline(never)]
    fn free_remote_spill(&self, ns: &CpuStash, p: NonNull<u8>) {
        let cap = self.stashes.cap();
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        let n = ns
            .try_with(|s| s.swap_half(p, cap, &mut out))
            .unwrap_or_else(|| {
                // Held meanwhile: the object goes back to its slab.
                out[0] = p.as_ptr();
                1
            });
        self.free_on_node(ns.home(), &out[..n]);
    }

    /// Allocates on node `nid` exactly through that node's stash: the fast path of node-exact
    /// requests ([`NodeRequest::Exact`]). Fails with `ENOMEM` where [`Cache::alloc`] would.
    /// The node's first such allocation makes its stash (`GFP_KERNEL`), so callers must be
    /// allowed to sleep, as for every allocation of new slabs here.
    #[inline]
    pub(crate) fn alloc_fast_on(&self, nid: NodeId) -> Result<Object> {
        if !self.usable(nid) {
            return Err(ENOMEM);
        }
        let ns = self.stashes.node_or_new(nid)?;
        match ns.try_with(Stash::pop) {
            Some(Some(p)) => Ok(self.object(p)),
            Some(None) => self.alloc_node_refill(ns, nid),
            None => self.alloc_on(nid),
        }
    }

    /// [`Cache::alloc_fast_on`] with an empty node stash: refills it from the node's partial
    /// slabs, or from a new slab of the node's memory, and takes one object.
    #[inline(never)]
    fn alloc_node_refill(&self, ns: &CpuStash, nid: NodeId) -> Result<Object> {
        let cap = self.stashes.cap();
        let g = &self.geometry;
        let node = self.node(nid).ok_or(ENOMEM)?;
        let Some(mut s) = ns.try_lock() else {
            return self.alloc_on(nid);
        };
        // Another task may have refilled it since the caller found it empty.
        if let Some(p) = s.pop() {
            return Ok(self.object(p));
        }
        let n = node.alloc_batch(g, s.spare(cap));
        s.filled(n);
        if let Some(p) = s.pop() {
            return Ok(self.object(p));
        }
        drop(s);
        let slab = Slab::new(
            Pages::alloc(Placement::Exact(nid), g.order)?,
            g,
            self.id as usize,
        );
        self.take_from_new_slab(ns, node, slab)
    }

    /// [`Cache::free_fast`] with a full stash: its older half goes to the depot (or the slabs),
    /// then `p` is stashed.
    #[inline(never)]
    fn free_spill(&self, p: NonNull<u8>) {
        let cap = self.stashes.cap();
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        let held = self
            .stashes
            .current()
            .try_with(|s| s.swap_half(p, cap, &mut out));
        let Some(n) = held else {
            // Held meanwhile: the object goes back to its slab.
            self.free_batch(&[p.as_ptr()]);
            return;
        };
        if !self.stashes.depot().put(&out[..n]) {
            self.free_batch(&out[..n]);
        }
    }

    /// Gives every object in every CPU's and node's stash and in the depot back to its slab.
    pub(crate) fn flush_stashes(&self) {
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        for cs in Iterator::chain(self.stashes.all(), self.stashes.nodes()) {
            let n = cs.with(|s| s.take_oldest(STASH_MAX, &mut out));
            self.free_batch(&out[..n]);
        }
        loop {
            let n = self.stashes.depot().take(&mut out);
            if n == 0 {
                break;
            }
            self.free_batch(&out[..n]);
        }
    }

    /// Frees objects taken from a stash (or never stashed), one node lock per node.
    fn free_batch(&self, objs: &[*mut u8]) {
        let g = &self.geometry;
        // The common case, every object on one node, frees without partitioning.
        let first = objs.first().and_then(|&p| NonNull::new(p));
        // SAFETY: Stashed objects are free objects of this cache's live slabs.
        let nid = first.map(|p| unsafe { slab::nid_of(p, g) });
        let one_node = nid.is_some_and(|nid| {
            objs.iter().all(|&p| {
                // SAFETY: As above.
                NonNull::new(p).is_some_and(|p| unsafe { slab::nid_of(p, g) } == nid)
            })
        });
        if one_node {
            self.free_on_node(nid, objs);
            return;
        }
        for chunk in objs.chunks(STASH_MAX) {
            let mut todo = [core::ptr::null_mut(); STASH_MAX];
            todo[..chunk.len()].copy_from_slice(chunk);
            let mut remaining = chunk.len();
            while let Some(first) = todo[..remaining].first().and_then(|&p| NonNull::new(p)) {
                // SAFETY: Stashed objects are free objects of this cache's live slabs.
                let nid = unsafe { slab::nid_of(first, g) };
                // Partition in place: this node's objects out, the others to the front.
                let mut same = [core::ptr::null_mut(); STASH_MAX];
                let (mut k, mut r) = (0, 0);
                for i in 0..remaining {
                    let p = todo[i];
                    // SAFETY: As above; every pointer in `todo[..remaining]` is non-null.
                    if unsafe { slab::nid_of(NonNull::new_unchecked(p), g) } == nid {
                        same[k] = p;
                        k += 1;
                    } else {
                        todo[r] = p;
                        r += 1;
                    }
                }
                remaining = r;
                self.free_on_node(Some(nid), &same[..k]);
            }
        }
    }

    /// Frees stashed objects that are all on node `nid`, under one lock.
    fn free_on_node(&self, nid: Option<NodeId>, objs: &[*mut u8]) {
        let freed = nid.and_then(|nid| self.node(nid)).map(|node| {
            // SAFETY: Distinct live objects of this cache (stashed, so free as far as their
            // users are concerned) on slabs of node `nid`.
            unsafe { node.free_many(objs, &self.geometry, self.id as usize) }
        });
        if !matches!(freed, Some(Ok(()))) {
            pr_err!(
                "{}: cannot give stashed objects back\n",
                self.name().as_str()
            );
        }
    }

    /// Allocates on node `nid` exactly: a partial slab there, or a new slab from its memory.
    fn alloc_on(&self, nid: NodeId) -> Result<Object> {
        let node = self.node(nid).ok_or(ENOMEM)?;
        let g = &self.geometry;
        if let Some(ptr) = node.alloc(g) {
            return Ok(self.object(ptr));
        }
        let pages = Pages::alloc(Placement::Exact(nid), g.order)?;
        self.add_slab(node, Slab::new(pages, g, self.id as usize))
    }

    /// Allocates anywhere: a partial slab on any node first, then a new slab wherever the page
    /// allocator finds memory.
    fn alloc_any(&self) -> Result<Object> {
        let g = &self.geometry;
        for nid in self.mem_nodes.iter() {
            if let Some(ptr) = self.node(nid).and_then(|n| n.alloc(g)) {
                return Ok(self.object(ptr));
            }
        }
        let slab = Slab::new(Pages::alloc(Placement::Any, g.order)?, g, self.id as usize);
        // A node gets metadata before its memory becomes usable, so only a failed allocation
        // at `NODE_ADDED_FIRST_MEMORY` (see `crate::registry`) can leave it missing; the slab is
        // then freed again.
        let node = self.node(slab.nid()).ok_or(ENOMEM)?;
        self.add_slab(node, slab)
    }

    fn add_slab(&self, node: &Node, slab: Slab) -> Result<Object> {
        if slab.nid() != node.nid() {
            return Err(ENOMEM);
        }
        let ptr = node
            .add_slab_and_alloc(slab, &self.geometry)
            .ok_or(ENOMEM)?;
        Ok(self.object(ptr))
    }

    /// Frees an object allocated from this cache.
    ///
    /// An object of another cache is refused with `EINVAL` and handed back.
    pub(crate) fn free(&self, obj: Object) -> core::result::Result<(), (Error, Object)> {
        let Some(node) = self.nid_of(&obj).and_then(|nid| self.node(nid)) else {
            return Err((EINVAL, obj));
        };
        // SAFETY: By the invariants of `Object`, `obj.ptr` is a live object of this cache (ids
        // match) on a slab of the node `nid_of` read from its slab.
        match unsafe { node.free(obj.ptr, &self.geometry, self.id as usize) } {
            Ok(()) => Ok(()),
            Err(e) => Err((e, obj)),
        }
    }

    /// The object's bytes, for its owner to fill and check; `EINVAL` for another cache's
    /// object.
    pub(crate) fn object_bytes<'a>(&self, obj: &'a mut Object) -> Result<&'a mut [u8]> {
        if obj.cache != self.id {
            return Err(EINVAL);
        }
        // SAFETY: By the invariants of `Object` the memory is a live object of this cache (ids
        // match), so `object_size` bytes owned by `obj`, which we borrow mutably for `'a`.
        Ok(unsafe { core::slice::from_raw_parts_mut(obj.ptr.as_ptr(), self.geometry.object_size) })
    }

    /// Gives every stashed object back to its slab, then every empty slab on every node back
    /// to the page allocator; returns how many slabs.
    pub(crate) fn shrink(&self) -> usize {
        self.flush_stashes();
        let mut total = 0;
        for nid in NodeId::all() {
            if let Some(node) = self.node(nid) {
                let n = node.shrink(&self.geometry);
                self.stats.shrunk.add(nid, n as u64);
                total += n;
            }
        }
        total
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        // Stashed objects are free: give them back before the slabs are counted.
        self.flush_stashes();
        for nid in NodeId::all() {
            // Dropping the metadata frees its slabs (or leaks those with live objects).
            drop(self.take_node(nid));
        }
    }
}
