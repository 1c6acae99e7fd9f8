// SPDX-License-Identifier: GPL-2.0

//! A cache of equal-sized objects: its layout, its per-node table and its allocation policy.
//!
//! # The node table
//!
//! Each cache has one slot per possible node (`nr_node_ids`), a [`SetOnceBox`]: filled at most
//! once by the registry under its mutex (at cache creation and when a node gets its first
//! memory), emptied only when the cache is dropped. Readers (allocation, free, stats) load
//! slots with acquire ordering and no lock: a filled slot is a [`Node`] that stays valid for
//! the life of the cache. This is the rule of "mm, slub: stop freeing kmem_cache_node
//! structures on node offline": the metadata of a node that lost its memory is kept, so no
//! lock-free reader can ever see it freed.
//!
//! The one way around it is [`Cache::free_node_like_pre_5_12`], an `unsafe` function whose
//! contract is exactly that rule; only the test-only `reproduce_offline_uaf` mode calls it, and
//! breaks the contract on purpose, as SLUB did before Linux 5.12, to show the use-after-free
//! that rule prevents.
//!
//! # Contexts
//!
//! The allocation API ([`Cache::alloc`], [`Cache::alloc_fast`], [`Cache::alloc_fast_on`],
//! [`Cache::free`], [`Cache::free_fast`]) is for process context only, where sleeping is
//! allowed: its locks are taken without disabling interrupts, a slow path allocates pages and
//! metadata with `GFP_KERNEL`, and flushes sleep while a stash is held. Kernels with
//! `CONFIG_DEBUG_ATOMIC_SLEEP` check this on every call (`might_sleep()`).
//!
//! # Placement
//!
//! Allocations for any node take objects from the CPU's own node first, then from the other
//! nodes by distance ([`NodeOrder`]), as SLUB's refills and the page allocator's zonelists do;
//! new slabs come from the page allocator's choice (the local node first), and only where a
//! slab lands on a node the cache has no metadata for does it retry node by node.

use crate::{
    counters::PerNodeCounter,
    ffi::{
        self,
        nodes::{NodeId, NodeMask, NodeOrder, NodeState},
        page::{Pages, Placement},
    },
    node::Node,
    once::SetOnceBox,
    percpu::{Freed, NodeStash, Stashes, STASH_MAX},
    slab::{self, DebugFlags, FreelistOrder, Geometry, Slab, SlabKeys},
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{c_str, prelude::*, sync::Arc};

/// The longest cache name, without the terminating NUL.
pub(crate) const MAX_NAME: usize = 31;

/// A cache name: 1 to [`MAX_NAME`] characters out of `a-z A-Z 0-9 _ - .`, usable as a sysfs
/// directory name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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

/// What a cache is made of: a name, an object size, an alignment, and the debug checks it
/// runs (none unless asked for).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct CacheSpec {
    pub(crate) name: CacheName,
    pub(crate) size: usize,
    pub(crate) align: usize,
    pub(crate) debug: DebugFlags,
}

impl CacheSpec {
    /// Parses `name:size:align[:flags]`, checking each part; `flags` are one or more of
    /// `slub_debug`'s `F`, `Z` and `P` (see [`crate::slab`], "Debug mode").
    pub(crate) fn parse(text: &[u8]) -> Result<Self> {
        let mut parts = text.split(|&c| c == b':');
        let (Some(name), Some(size), Some(align), flags, None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(EINVAL);
        };
        let spec = Self {
            name: CacheName::new(name)?,
            size: parse_usize(size)?,
            align: parse_usize(align)?,
            debug: flags.map_or(Ok(DebugFlags::NONE), DebugFlags::parse)?,
        };
        // The layout decides what sizes and alignments are acceptable.
        Geometry::new(spec.size, spec.align, 1, spec.debug)?;
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
    cache: u64,
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

    /// Gives the object up as a raw pointer, for code that keeps pointers rather than
    /// [`Object`]s (as C does); [`Cache::free_raw`] takes it back.
    pub(crate) fn into_raw(self) -> NonNull<u8> {
        self.ptr
    }
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

/// A cache.
pub(crate) struct Cache {
    spec: CacheSpec,
    id: u64,
    geometry: Geometry,
    stashes: Stashes,
    nodes: KVec<SetOnceBox<Node>>,
    mem_nodes: Arc<NodeMask>,
    order: Arc<NodeOrder>,
    stats: CacheStats,
    /// The order in which new slabs hand out their objects.
    freelist_order: FreelistOrder,
}

/// Makes cache ids unique for the life of the module, so objects and slabs can tell whether
/// they are used through their own cache: 64 bits never wrap (a creation per nanosecond would
/// take 584 years), where 32 bits would after 2^32 creations and let a free through another
/// cache's id.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Cache {
    /// Creates an empty cache with no node metadata yet.
    ///
    /// `mem_nodes` is the registry's set of nodes that have memory; allocations only target
    /// nodes in it, nearest first by `order`.
    pub(crate) fn new(
        spec: &CacheSpec,
        mem_nodes: Arc<NodeMask>,
        order: Arc<NodeOrder>,
    ) -> Result<Arc<Self>> {
        let geometry = Geometry::new(spec.size, spec.align, ffi::nr_cpu_ids(), spec.debug)?
            .with_keys(SlabKeys::random())
            .with_owner(spec.name);
        let mut nodes = KVec::with_capacity(ffi::nodes::nr_node_ids(), GFP_KERNEL)?;
        for _ in NodeId::all() {
            nodes.push(SetOnceBox::new(), GFP_KERNEL)?;
        }
        Ok(Arc::new(
            Self {
                spec: *spec,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                stashes: Stashes::new(&geometry)?,
                freelist_order: FreelistOrder::new(&geometry)?,
                geometry,
                nodes,
                mem_nodes,
                order,
                stats: CacheStats {
                    fallbacks: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_allocs: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_reuses: PerNodeCounter::new(GFP_KERNEL)?,
                    meta_frees: PerNodeCounter::new(GFP_KERNEL)?,
                    shrunk: PerNodeCounter::new(GFP_KERNEL)?,
                },
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

    /// Wraps a pointer just handed out by one of this cache's slabs (or stashes), already
    /// prepared for its user (see [`Cache::hand_out`]).
    #[inline]
    fn wrap(&self, ptr: NonNull<u8>) -> Object {
        // INVARIANT: `ptr` was just allocated from one of our slabs.
        Object {
            ptr,
            cache: self.id,
        }
    }

    /// Prepares a pointer just taken from a slab or a stash for its user as the kernel's
    /// `init_on_alloc` and `init_on_free` switches ask, zeroed if `zero` (SLUB's
    /// `slab_post_alloc_hook()` and `maybe_wipe_obj_freeptr()`), and wraps it.
    ///
    /// A poisoned cache's objects are zeroed only if `zero`: poison stands in for the
    /// switches' zeroing there, as in SLUB (`slab_want_init_on_alloc()`).
    fn hand_out(&self, ptr: NonNull<u8>, zero: bool) -> Object {
        if zero || !self.poisoned() {
            // SAFETY: `ptr` is an object of this cache, `object_size` bytes, just allocated:
            // ours.
            unsafe { self.stashes.init_alloc(ptr, zero) };
        }
        self.wrap(ptr)
    }

    /// Whether the cache runs debug checks; then every allocation and free goes through the
    /// node lists, where they run, and none through the stashes: a debug cache's stashes hold
    /// nothing ([`Stashes::new`]), so its fast paths always miss, and each slow path (the
    /// functions that are never inlined: the fast paths' hits do not pay for the check) sends
    /// the object to the lists. The C fast path has applied `init_on_free`'s zeroing to a
    /// freed object by then; poisoning overwrites it.
    fn debugging(&self) -> bool {
        self.geometry.debug().any()
    }

    /// Whether free objects are poisoned (debug mode `P`): then poison, not `init_on_free`'s
    /// zeroing, is what a free leaves in them (`slab_want_init_on_free()`).
    fn poisoned(&self) -> bool {
        self.geometry.debug().contains(DebugFlags::POISON)
    }

    /// What a free does to an object before its slab takes it back: `init_on_free`'s
    /// zeroing, unless the cache poisons it instead.
    ///
    /// # Safety
    ///
    /// `obj` is an object of this cache that its owner gives up.
    unsafe fn init_free(&self, obj: NonNull<u8>) {
        if !self.poisoned() {
            // SAFETY: Forwarded from our own safety requirements.
            unsafe { self.stashes.init_free(obj) };
        }
    }

    fn slot(&self, nid: NodeId) -> &SetOnceBox<Node> {
        // `nodes` has `nr_node_ids()` slots and `nid < nr_node_ids()`.
        &self.nodes[nid.index()]
    }

    /// Node `nid`'s metadata, if it was ever allocated; it stays valid while the cache does.
    #[inline]
    pub(crate) fn node(&self, nid: NodeId) -> Option<&Node> {
        self.slot(nid).as_ref()
    }

    /// Whether node `nid` has metadata.
    pub(crate) fn has_node(&self, nid: NodeId) -> bool {
        self.slot(nid).is_set()
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
        self.slot(nid).populate(node)?;
        self.stats.meta_allocs.add(nid, 1);
        Ok(())
    }

    /// Frees node `nid`'s metadata while the cache lives, as SLUB did on `MEM_OFFLINE` before
    /// Linux 5.12; metadata that still lists slabs is kept (SLUB had a `BUG_ON` there).
    ///
    /// # Safety
    ///
    /// No reference to the node's metadata that [`Cache::node`] handed out (to an allocation,
    /// a free or a statistics read on any CPU) may be used after this returns. Nothing in the
    /// module can promise that while lock-free readers exist; that is the bug this reproduces.
    #[cfg(rsh_test)]
    pub(crate) unsafe fn free_node_like_pre_5_12(&self, nid: NodeId) {
        if self.node(nid).is_some_and(|n| n.snapshot().slabs != 0) {
            return;
        }
        // SAFETY: Forwarded from our own safety requirements.
        if let Some(node) = unsafe { self.slot(nid).take() } {
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
        self.alloc_req(req, false)
    }

    /// [`Cache::alloc`] of a zeroed object, whatever the kernel's switches say
    /// (`kmem_cache_zalloc()`, `__GFP_ZERO`).
    pub(crate) fn zalloc(&self, req: NodeRequest) -> Result<Object> {
        self.alloc_req(req, true)
    }

    fn alloc_req(&self, req: NodeRequest, zero: bool) -> Result<Object> {
        ffi::might_sleep!();
        let p = match req {
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
        }?;
        Ok(self.hand_out(p, zero))
    }

    /// Allocates an object from any node through the current CPU's stash: the fast path.
    ///
    /// If the stash is held (by a preempted task or a flush), the object comes from the node
    /// lists directly, as [`Cache::alloc`] would give it.
    #[inline]
    pub(crate) fn alloc_fast(&self) -> Result<Object> {
        self.alloc_fast_init(false)
    }

    /// [`Cache::alloc_fast`] of a zeroed object, whatever the kernel's switches say
    /// (`kmem_cache_zalloc()`).
    #[inline]
    pub(crate) fn zalloc_fast(&self) -> Result<Object> {
        self.alloc_fast_init(true)
    }

    #[inline]
    fn alloc_fast_init(&self, zero: bool) -> Result<Object> {
        ffi::might_sleep!();
        // Only a stash hit is inlined (one call into C, which also zeroes as asked): refills
        // have a large frame (a batch on the stack) that the hit should not pay for.
        match self.stashes.alloc(zero) {
            Some(p) => Ok(self.wrap(p)),
            None => self.alloc_refill().map(|p| self.hand_out(p, zero)),
        }
    }

    /// [`Cache::alloc_fast`] with the stash empty or held: refills it from the depot, the
    /// partial slabs or a new slab, and takes one object; a held stash sends the allocation to
    /// the node lists.
    #[inline(never)]
    fn alloc_refill(&self) -> Result<NonNull<u8>> {
        if self.debugging() {
            return self.alloc_any();
        }
        let cap = self.stashes.cap();
        let g = &self.geometry;
        let Some((mut s, _)) = self.stashes.lock_current() else {
            return self.alloc_any();
        };
        let home = s.home();
        if let Some(p) = s.pop() {
            return Ok(p);
        }
        // Empty: a magazine from the depot, else partial slabs, the CPU's node first and then
        // the others by distance, one node lock per node.
        let n = self.stashes.depot().take(s.spare(cap));
        if n > 0 {
            s.filled(n);
        } else {
            for node in self.nodes_near(home) {
                let n = node.alloc_batch(g, s.spare(cap));
                if n > 0 {
                    s.filled(n);
                    break;
                }
            }
        }
        if let Some(p) = s.pop() {
            return Ok(p);
        }
        drop(s);
        // No partial slab anywhere: a new one, outside every lock, from the local node.
        let (slab, node) = self.new_slab(home)?;
        self.take_from_new_slab(None, node, slab)
    }

    /// The metadata of every node allocations may take objects from, nearest to `home` first.
    fn nodes_near(&self, home: Option<NodeId>) -> impl Iterator<Item = &Node> {
        self.order
            .from(home)
            .filter(|&nid| self.mem_nodes.contains(nid))
            .filter_map(|nid| self.node(nid))
    }

    /// A new slab for an allocation for any node, and the metadata of the node it is on.
    ///
    /// The page allocator picks the node (the local one first). A slab that lands on a node
    /// the cache has no metadata for (one whose metadata could not be allocated when it got
    /// its memory) goes back, and the nodes that can take slabs are tried in order of distance
    /// from `home` instead.
    fn new_slab(&self, home: Option<NodeId>) -> Result<(Slab, &Node)> {
        let g = &self.geometry;
        let slab = Slab::new(
            Pages::alloc(Placement::Any, g.order)?,
            g,
            self.id,
            &self.freelist_order,
        )?;
        if let Some(node) = self.node(slab.nid()) {
            return Ok((slab, node));
        }
        drop(slab);
        for nid in self.order.from(home) {
            if !self.usable(nid) {
                continue;
            }
            let Some(node) = self.node(nid) else { continue };
            if let Ok(pages) = Pages::alloc(Placement::Exact(nid), g.order) {
                return Ok((Slab::new(pages, g, self.id, &self.freelist_order)?, node));
            }
        }
        Err(ENOMEM)
    }

    /// Adds `slab`, new, to `node`'s lists and takes one object from it for the caller and as
    /// many more as fit into a stash: node stash `ns`, or the stash of the CPU this runs on
    /// now; what does not fit goes back to the slab.
    fn take_from_new_slab(
        &self,
        ns: Option<&NodeStash>,
        node: &Node,
        slab: Slab,
    ) -> Result<NonNull<u8>> {
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
        let guard = match ns {
            Some(ns) => ns.try_lock(),
            None => self.stashes.lock_current().map(|(s, _)| s),
        };
        let stashed = guard.map_or(0, |mut s| {
            let k = rest.len().min(s.room(cap));
            s.spare(cap)[..k].copy_from_slice(&rest[..k]);
            s.filled(k);
            k
        });
        self.free_on_node(Some(node.nid()), &rest[stashed..]);
        Ok(first)
    }

    /// Frees an object through the current CPU's stash: the fast path. A full stash parks its
    /// older half in the depot, or sends it back to the slabs if the depot is full; a held
    /// stash sends the object to its slab directly. An object of another node than the CPU's
    /// goes to that node's stash instead, if node-exact allocations made one. An object of
    /// another cache is refused and handed back. The object is zeroed first if the kernel's
    /// `init_on_free` switch is on.
    #[inline]
    pub(crate) fn free_fast(&self, obj: Object) -> core::result::Result<(), (Error, Object)> {
        ffi::might_sleep!();
        if obj.cache != self.id {
            return Err((EINVAL, obj));
        }
        let ns = if self.stashes.any_node() {
            // SAFETY: By the invariants of `Object`, `obj.ptr` is a live object of this cache
            // (ids match), so its slab, laid out as `self.geometry`, is live.
            let nid = unsafe { slab::nid_of(obj.ptr, &self.geometry) };
            self.stashes.node(nid)
        } else {
            None
        };
        let p = obj.ptr;
        // SAFETY: `obj`, a live object of this cache (ids match), is given up here.
        match unsafe { self.stashes.free(p, ns) } {
            Freed::Stashed => {}
            Freed::Slow => self.free_spill(p),
            Freed::NodeSlow => {
                if let Some(ns) = ns {
                    self.free_remote_spill(ns, p);
                }
            }
        }
        Ok(())
    }

    /// [`Cache::free_fast`] for an object of another node than the CPU's, when that node has a
    /// stash and it is full or held: a full stash gives its older half back to the slabs and
    /// keeps `p`. (Remote objects go to their node's stash rather than the CPU's, as SLUB
    /// keeps them out of its per-CPU sheaves: node-exact allocations get them back, and
    /// allocations for any node do not hand remote memory out as local.)
    #[inline(never)]
    fn free_remote_spill(&self, ns: &NodeStash, p: NonNull<u8>) {
        if self.debugging() {
            self.free_on_node(ns.home(), &[p.as_ptr()]);
            return;
        }
        let cap = self.stashes.cap();
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        let n = match ns.try_lock() {
            Some(mut s) => s.swap_half(p, cap, &mut out),
            None => {
                // Held: the object goes back to its slab.
                out[0] = p.as_ptr();
                1
            }
        };
        self.free_on_node(ns.home(), &out[..n]);
    }

    /// Allocates on node `nid` exactly through that node's stash: the fast path of node-exact
    /// requests ([`NodeRequest::Exact`]). Fails with `ENOMEM` where [`Cache::alloc`] would.
    /// The node's first such allocation makes its stash (`GFP_KERNEL`), so callers must be
    /// allowed to sleep, as for every allocation of new slabs here.
    #[inline]
    pub(crate) fn alloc_fast_on(&self, nid: NodeId) -> Result<Object> {
        self.alloc_fast_on_init(nid, false)
    }

    /// [`Cache::alloc_fast_on`] of a zeroed object, whatever the kernel's switches say.
    #[inline]
    pub(crate) fn zalloc_fast_on(&self, nid: NodeId) -> Result<Object> {
        self.alloc_fast_on_init(nid, true)
    }

    #[inline]
    fn alloc_fast_on_init(&self, nid: NodeId, zero: bool) -> Result<Object> {
        ffi::might_sleep!();
        if !self.usable(nid) {
            return Err(ENOMEM);
        }
        let ns = self.stashes.node_or_new(nid)?;
        match self.stashes.node_alloc(ns, zero) {
            Some(p) => Ok(self.wrap(p)),
            None => self
                .alloc_node_refill(ns, nid)
                .map(|p| self.hand_out(p, zero)),
        }
    }

    /// [`Cache::alloc_fast_on`] with the node stash empty or held: refills it from the node's
    /// partial slabs, or from a new slab of the node's memory, and takes one object; a held
    /// stash sends the allocation to the node's lists.
    #[inline(never)]
    fn alloc_node_refill(&self, ns: &NodeStash, nid: NodeId) -> Result<NonNull<u8>> {
        if self.debugging() {
            return self.alloc_on(nid);
        }
        let cap = self.stashes.cap();
        let g = &self.geometry;
        let node = self.node(nid).ok_or(ENOMEM)?;
        let Some(mut s) = ns.try_lock() else {
            return self.alloc_on(nid);
        };
        // Another task may have refilled it since the caller found it empty.
        if let Some(p) = s.pop() {
            return Ok(p);
        }
        let n = node.alloc_batch(g, s.spare(cap));
        s.filled(n);
        if let Some(p) = s.pop() {
            return Ok(p);
        }
        drop(s);
        let slab = Slab::new(
            Pages::alloc(Placement::Exact(nid), g.order)?,
            g,
            self.id,
            &self.freelist_order,
        )?;
        self.take_from_new_slab(Some(ns), node, slab)
    }

    /// [`Cache::free_fast`] with the CPU's stash full or held: a full stash's older half goes to
    /// the depot (or the slabs), then `p` is stashed; a held stash sends `p` to its slab.
    #[inline(never)]
    fn free_spill(&self, p: NonNull<u8>) {
        if self.debugging() {
            self.free_batch(&[p.as_ptr()]);
            return;
        }
        let cap = self.stashes.cap();
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        let Some((mut s, _)) = self.stashes.lock_current() else {
            // Held: the object goes back to its slab.
            self.free_batch(&[p.as_ptr()]);
            return;
        };
        let n = s.swap_half(p, cap, &mut out);
        drop(s);
        if !self.stashes.depot().put(&out[..n]) {
            self.free_batch(&out[..n]);
        }
    }

    /// Gives the objects in CPU `cpu`'s stash back to their slabs: the CPU went offline, and
    /// objects parked there would keep their slabs (and the memory under them) from going away.
    /// Process context only: waits, sleeping, for a task that holds the stash.
    pub(crate) fn flush_cpu(&self, cpu: usize) {
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        self.stashes.drain_cpus(Some(cpu), |s| {
            let n = s.take_oldest(STASH_MAX, &mut out);
            self.free_batch(&out[..n]);
        });
    }

    /// TEST ONLY (the `hold_stash` control): holds the current CPU's stash for `ms`
    /// milliseconds, asleep, as a holder that is not running would (one preempted, or blocked
    /// on `Node::lists` on PREEMPT_RT). Fast paths meanwhile take the node-locked path; a flush
    /// waits.
    #[cfg(rsh_test)]
    pub(crate) fn hold_cpu_stash(&self, ms: u32) {
        let mut wait_us = 20;
        let (held, cpu) = loop {
            if let Some(got) = self.stashes.lock_current() {
                break got;
            }
            ffi::sleep_us(wait_us);
            wait_us = (wait_us * 2).min(2000);
        };
        pr_info!(
            "{}: holding the stash of CPU {} for {} ms (test only)\n",
            self.name().as_str(),
            cpu,
            ms
        );
        ffi::msleep(ms);
        drop(held);
    }

    /// Records that CPU `cpu`, which just came online, is on node `nid`: its stash then
    /// refills from that node first and sends other nodes' objects to their node stashes.
    pub(crate) fn set_cpu_home(&self, cpu: usize, nid: NodeId) {
        self.stashes.set_cpu_home(cpu, nid);
    }

    /// Gives every object in every CPU's and node's stash and in the depot back to its slab.
    /// Process context only: waits, sleeping, for tasks that hold stashes, and for fast paths
    /// to leave them (a grace period).
    pub(crate) fn flush_stashes(&self) {
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        self.stashes.drain_cpus(None, |s| {
            let n = s.take_oldest(STASH_MAX, &mut out);
            self.free_batch(&out[..n]);
        });
        for ns in self.stashes.nodes() {
            let n = ns.lock().take_oldest(STASH_MAX, &mut out);
            self.free_batch(&out[..n]);
        }
        self.flush_depot();
    }

    /// Gives every object in the depot back to its slab.
    fn flush_depot(&self) {
        let mut out = [core::ptr::null_mut(); STASH_MAX];
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
            unsafe { node.free_many(objs, &self.geometry, self.id) }
        });
        if !matches!(freed, Some(Ok(()))) {
            pr_err!(
                "{}: cannot give stashed objects back\n",
                self.name().as_str()
            );
        }
    }

    /// Allocates on node `nid` exactly: a partial slab there, or a new slab from its memory.
    fn alloc_on(&self, nid: NodeId) -> Result<NonNull<u8>> {
        let node = self.node(nid).ok_or(ENOMEM)?;
        let g = &self.geometry;
        if let Some(ptr) = node.alloc(g) {
            return Ok(ptr);
        }
        let pages = Pages::alloc(Placement::Exact(nid), g.order)?;
        self.add_slab(node, Slab::new(pages, g, self.id, &self.freelist_order)?)
    }

    /// Allocates anywhere: a partial slab first, the CPU's node's then the others' by distance,
    /// then a new slab wherever the page allocator finds memory.
    fn alloc_any(&self) -> Result<NonNull<u8>> {
        let g = &self.geometry;
        let home = self.stashes.current_home();
        for node in self.nodes_near(home) {
            if let Some(ptr) = node.alloc(g) {
                return Ok(ptr);
            }
        }
        let (slab, node) = self.new_slab(home)?;
        self.add_slab(node, slab)
    }

    fn add_slab(&self, node: &Node, slab: Slab) -> Result<NonNull<u8>> {
        if slab.nid() != node.nid() {
            return Err(ENOMEM);
        }
        node.add_slab_and_alloc(slab, &self.geometry).ok_or(ENOMEM)
    }

    /// Frees an object allocated from this cache, zeroing it first if the kernel's
    /// `init_on_free` switch is on.
    ///
    /// An object of another cache is refused with `EINVAL` and handed back.
    pub(crate) fn free(&self, obj: Object) -> core::result::Result<(), (Error, Object)> {
        ffi::might_sleep!();
        let Some(node) = self.nid_of(&obj).and_then(|nid| self.node(nid)) else {
            return Err((EINVAL, obj));
        };
        // SAFETY: By the invariants of `Object`, `obj.ptr` is a live object of this cache (ids
        // match), which its owner gives up here.
        unsafe { self.init_free(obj.ptr) };
        // SAFETY: As above, on a slab of the node `nid_of` read from its slab.
        match unsafe { node.free(obj.ptr, &self.geometry, self.id) } {
            Ok(()) => Ok(()),
            Err(e) => Err((e, obj)),
        }
    }

    /// Frees the object at `ptr`, given back as a raw pointer ([`Object::into_raw`]), the way
    /// `kmem_cache_free()` takes pointers from C: whatever `ptr` is, it is checked to be an
    /// object of one of this cache's slabs before anything at its address is read or written,
    /// under its node's lock. A pointer that is not (null, another cache's object or another
    /// allocator's memory, any address outside the direct map, a slab's header, an object's
    /// interior, a slab already given back), or that its slab knows is free (SLUB's "double
    /// free or corruption" check), is refused with `EINVAL` and reported in one line; nothing
    /// changes.
    ///
    /// Raw frees take the node lock: the fast path's stashes only ever hold [`Object`]s. With
    /// `init_on_free` on, the object is zeroed once it has passed the checks (a refused pointer
    /// is never written).
    ///
    /// # Safety
    ///
    /// If `ptr` is an object of this cache, it must not be free, except as its slab's most
    /// recently freed object (that double free is caught); an allocated object is given up.
    /// Any other value is safe.
    pub(crate) unsafe fn free_raw(&self, ptr: NonNull<u8>) -> Result {
        ffi::might_sleep!();
        let g = &self.geometry;
        let node = slab::marked_node(ptr.as_ptr() as usize, g).and_then(|nid| self.node(nid));
        let result = match node {
            // SAFETY: Forwarded from our own safety requirements; `init_free`'s object passed
            // every check: an allocated object of this cache
            // (safety requirements), which its owner gives up here; nothing reads it before
            // it joins its freelist.
            Some(node) => unsafe {
                node.free_raw(ptr.as_ptr(), g, self.id, |obj| self.init_free(obj))
            },
            None => Err(slab::BadFree::NotSlab),
        };
        result.map_err(|bad| {
            pr_err!(
                "{}: {}: free refused\n",
                self.name().as_str(),
                bad.describe()
            );
            Error::from(bad)
        })
    }

    /// TEST ONLY (the `corrupt_freeptr` control): overwrites the stored free pointer of the
    /// free object at `ptr` with `value`, as a use-after-free write would; `ptr` must head its
    /// slab's freelist (checked under the node's lock, `EINVAL` and nothing written otherwise).
    ///
    /// # Safety
    ///
    /// The next allocation from the slab decodes `value` and follows it if it is an object of
    /// the same slab, which must then not be an allocated one.
    #[cfg(all(rsh_test, CONFIG_SLAB_FREELIST_HARDENED))]
    pub(crate) unsafe fn scribble_free_object(&self, ptr: NonNull<u8>, value: usize) -> Result {
        let g = &self.geometry;
        let node = slab::marked_node(ptr.as_ptr() as usize, g)
            .and_then(|nid| self.node(nid))
            .ok_or(EINVAL)?;
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { node.scribble_freelist_head(ptr.as_ptr(), value, g) }
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
        // Stashed objects are free: give them back before the node table goes (with the
        // fields), whose metadata frees its slabs then (or leaks those with live objects).
        // Nothing else can reach the stashes any more: no flags to wait for, no grace period.
        let mut out = [core::ptr::null_mut(); STASH_MAX];
        let mut i = 0;
        while let Some(n) = self.stashes.drain_exclusive(i, &mut out) {
            self.free_batch(&out[..n]);
            i += 1;
        }
        self.flush_depot();
    }
}

#[cfg(all(rsh_test, not(rsh_legacy)))]
#[kernel::macros::kunit_tests(rust_slab_hp_cache)]
mod tests {
    use super::*;

    #[test]
    fn parse_usize_edges() {
        assert_eq!(parse_usize(b"0"), Ok(0));
        assert_eq!(parse_usize(b"007"), Ok(7));
        assert_eq!(parse_usize(b"32768"), Ok(32768));
        assert_eq!(
            parse_usize(b"9999999999999999999"),
            Ok(9_999_999_999_999_999_999)
        );
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"+1",
            b"-1",
            b"1a",
            b"0x10",
            b"99999999999999999999",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_usize(bad), Err(EINVAL));
        }
    }

    #[test]
    fn cache_names() {
        let max = [b'a'; MAX_NAME];
        assert!(CacheName::new(&max).is_ok());
        assert!(CacheName::new(b"hp-8").is_ok());
        assert!(CacheName::new(b"a.b_c-D9").is_ok());
        let long = [b'a'; MAX_NAME + 1];
        for bad in [
            &b""[..],
            &long,
            b".hidden",
            b"a b",
            b"a/b",
            b"a:b",
            b"\xc3\xa9",
            b"a\0b",
        ] {
            assert!(CacheName::new(bad).is_err());
        }
        if let Ok(n) = CacheName::new(b"hp-64") {
            assert_eq!(n.as_bytes(), b"hp-64");
            assert_eq!(n.as_str(), "hp-64");
            assert_eq!(ffi::compat::cstr_bytes(n.as_cstr()), b"hp-64");
        }
    }

    #[test]
    fn cache_specs() {
        let ok = CacheSpec::parse(b"hp-64:64:8");
        assert!(ok.is_ok());
        if let Ok(s) = ok {
            assert_eq!((s.name.as_bytes(), s.size, s.align), (&b"hp-64"[..], 64, 8));
        }
        assert!(CacheSpec::parse(b"big:32768:4096").is_ok());
        assert!(CacheSpec::parse(b"tiny:8:1").is_ok());
        for bad in [
            &b""[..],
            b"a",
            b"a:8",
            b"a:8:8:8",
            b":8:8",
            b"a::8",
            b"a:8:",
            b"a:7:8",
            b"a:32769:8",
            b"a:64:3",
            b"a:64:8192",
            b"a:64:0",
            b".a:64:8",
            b"a:-64:8",
            b"a: 64:8",
        ] {
            assert!(CacheSpec::parse(bad).is_err());
        }
    }
}
