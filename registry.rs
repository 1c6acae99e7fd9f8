// SPDX-License-Identifier: GPL-2.0

//! The module-wide list of caches and the mutex that serialises memory hotplug with cache
//! creation and destruction: the counterpart of SLUB's `slab_caches` and `slab_mutex`.
//!
//! # Locking rules
//!
//! Locks, outermost first; a lock is only ever taken with the ones above it held, never the
//! other way round:
//!
//! 1. The kernel's `device_hotplug_lock` and `mem_hotplug_lock`, held by the hotplug core
//!    around every node notifier call ([`crate::notifier`]).
//! 2. `Control::kept` ([`crate::control`]): the objects the test controls keep.
//! 3. `Registry::inner`, this module's mutex: the cache list, and the only context in which
//!    node metadata is published ([`Cache::install_node`]) and `mem_nodes` is written. Creating
//!    and destroying a cache (with its sysfs directory) and handling a node event each hold
//!    it throughout, so the two never interleave.
//! 4. `Node::lists` ([`crate::node`]): a spinlock, innermost, held for list surgery only.
//!
//! Lock-free paths, and why they are safe:
//!
//! - sysfs reads ([`crate::sysfs`]) take none of the above and not `mem_hotplug_lock`
//!   (`get_online_mems()`): the directory owns an `Arc<Cache>`, and removing the directory
//!   waits for reads in progress; node table slots are loaded with acquire ordering and the
//!   metadata they point to is never freed while the cache lives; counters are atomics.
//! - allocation and free take only a stash flag, the depot lock and `Node::lists` (their order
//!   is in [`crate::percpu`]), none of the above; `mem_nodes` is an atomic bitmap whose bits
//!   may change under them, which at worst makes one allocation fall back or fail.

#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::{Cache, CacheName, CacheSpec},
    ffi::{
        nodes::{NodeId, NodeMask, NodeState},
        notifier::NodeEvent,
        sysfs::{SysfsDir, SysfsKind, SysfsParent},
    },
    node::{Node, PerNodeCounter},
    sysfs::{is_root_file, CacheDir, RootDir},
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        Arc, Mutex,
    },
};

/// Counts of node events, by event and node, and the time the notifier spent on each kind.
pub(crate) struct EventCounts {
    counts: KVec<PerNodeCounter>,
    /// Per event: handled, nanoseconds of the last one, nanoseconds of the slowest one.
    times: [[AtomicU64; 3]; NodeEvent::ALL.len()],
}

impl EventCounts {
    fn new() -> Result<Self> {
        let mut counts = KVec::with_capacity(NodeEvent::ALL.len(), GFP_KERNEL)?;
        for _ in NodeEvent::ALL {
            counts.push(PerNodeCounter::new(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            counts,
            times: Default::default(),
        })
    }

    /// Records that handling one `event` took `ns` nanoseconds.
    pub(crate) fn record_time(&self, event: NodeEvent, ns: u64) {
        let t = &self.times[event.index()];
        t[0].fetch_add(1, Ordering::Relaxed);
        t[1].store(ns, Ordering::Relaxed);
        t[2].fetch_max(ns, Ordering::Relaxed);
    }

    /// How often `event` was handled, and the nanoseconds of the last and the slowest.
    pub(crate) fn times(&self, event: NodeEvent) -> (u64, u64, u64) {
        let t = &self.times[event.index()];
        (
            t[0].load(Ordering::Relaxed),
            t[1].load(Ordering::Relaxed),
            t[2].load(Ordering::Relaxed),
        )
    }

    /// The counter of `event`.
    pub(crate) fn of(&self, event: NodeEvent) -> &PerNodeCounter {
        // One counter per event, indexed by `NodeEvent::index`.
        &self.counts[event.index()]
    }
}

/// A cache in the registry: its sysfs directory owns the cache.
struct Entry {
    dir: SysfsDir<CacheDir>,
}

impl Entry {
    fn cache(&self) -> &Arc<Cache> {
        &self.dir.data().0
    }
}

/// What the registry mutex protects.
struct Inner {
    caches: KVec<Entry>,
}

/// All caches of the module, and the notifier's view of which nodes have memory.
#[pin_data]
pub(crate) struct Registry {
    // Declared first so that the caches, whose directories live under `root`, go first.
    #[pin]
    inner: Mutex<Inner>,
    /// Nodes that have memory, as the node notifier reported it: set at
    /// `NODE_ADDING_FIRST_MEMORY`, cleared at `NODE_REMOVED_LAST_MEMORY` and
    /// `NODE_CANCEL_ADDING_FIRST_MEMORY`. New caches get metadata for these nodes.
    mem_nodes: Arc<NodeMask>,
    events: Arc<EventCounts>,
    cache_kind: Arc<SysfsKind<CacheDir>>,
    root: SysfsDir<RootDir>,
    reproduce_uaf: bool,
}

impl Registry {
    /// Creates the registry and `/sys/kernel/<name>/`, with no caches.
    pub(crate) fn new(name: &CStr, reproduce_uaf: bool) -> Result<Arc<Self>> {
        let mem_nodes = Arc::new(NodeMask::new(GFP_KERNEL)?, GFP_KERNEL)?;
        let events = Arc::new(EventCounts::new()?, GFP_KERNEL)?;
        let root_kind = SysfsKind::new(0o444)?;
        let root = SysfsDir::new(
            &root_kind,
            SysfsParent::kernel(),
            name,
            RootDir {
                events: events.clone(),
                mem_nodes: mem_nodes.clone(),
            },
        )?;
        Arc::pin_init(
            try_pin_init!(Self {
                inner <- new_mutex!(Inner { caches: KVec::new() }, "rust_slab_hp::Registry::inner"),
                mem_nodes,
                events,
                cache_kind: SysfsKind::new(0o444)?,
                root,
                reproduce_uaf,
            }),
            GFP_KERNEL,
        )
    }

    /// Takes the kernel's current view of which nodes have memory.
    ///
    /// Call once, after the node notifier is registered and before the first cache is created:
    /// a node that finished onlining before the registration is in `N_MEMORY` by now, and one
    /// that did not yet reaches the notifier (at the latest with
    /// `NODE_ADDED_FIRST_MEMORY`, which comes after its `N_MEMORY` bit is set).
    pub(crate) fn sync_nodes(&self) {
        let _inner = self.inner.lock();
        for nid in NodeId::all() {
            if nid.has(NodeState::Memory) {
                self.mem_nodes.insert(nid);
            }
        }
    }

    /// Creates a cache with metadata for every node that has memory, and its sysfs directory.
    ///
    /// `EEXIST` if a cache has that name, `EINVAL` if a file of the registry's own directory
    /// has it; nothing is left behind on any error.
    pub(crate) fn create(&self, spec: &CacheSpec) -> Result<Arc<Cache>> {
        if is_root_file(spec.name.as_bytes()) {
            return Err(EINVAL);
        }
        let mut inner = self.inner.lock();
        if inner.caches.iter().any(|e| e.cache().name() == &spec.name) {
            return Err(EEXIST);
        }
        inner.caches.reserve(1, GFP_KERNEL)?;
        let cache = Cache::new(spec, self.mem_nodes.clone(), self.reproduce_uaf)?;
        for nid in self.mem_nodes.iter() {
            // A fresh cache has empty slots: installing cannot collide.
            let _ = cache.install_node(KBox::pin_init(Node::new(nid), GFP_KERNEL)?);
        }
        let dir = SysfsDir::new(
            &self.cache_kind,
            self.root.as_parent(),
            spec.name.as_cstr(),
            CacheDir(cache.clone()),
        )?;
        // Room was reserved above.
        inner
            .caches
            .push_within_capacity(Entry { dir })
            .map_err(|_| ENOMEM)?;
        Ok(cache)
    }

    /// Removes cache `name` and its sysfs directory; `EINVAL` if there is none.
    ///
    /// The cache itself is freed when the last `Arc` to it goes, after the directory.
    pub(crate) fn destroy(&self, name: &CacheName) -> Result {
        let entry = {
            let mut inner = self.inner.lock();
            let i = inner
                .caches
                .iter()
                .position(|e| e.cache().name() == name)
                .ok_or(EINVAL)?;
            inner.caches.remove(i).ok().ok_or(EINVAL)?
        };
        // Removing the directory waits for sysfs readers; no lock is held meanwhile.
        drop(entry);
        Ok(())
    }

    /// Cache `name`; `EINVAL` if there is none.
    pub(crate) fn find(&self, name: &CacheName) -> Result<Arc<Cache>> {
        let inner = self.inner.lock();
        inner
            .caches
            .iter()
            .find(|e| e.cache().name() == name)
            .map(|e| e.cache().clone())
            .ok_or(EINVAL)
    }

    /// Every cache, in creation order.
    pub(crate) fn caches(&self) -> Result<KVec<Arc<Cache>>> {
        let inner = self.inner.lock();
        let mut out = KVec::with_capacity(inner.caches.len(), GFP_KERNEL)?;
        for e in inner.caches.iter() {
            out.push(e.cache().clone(), GFP_KERNEL)?;
        }
        Ok(out)
    }

    /// Counts one node event.
    pub(crate) fn count_event(&self, event: NodeEvent, nid: NodeId) {
        self.events.of(event).add(nid, 1);
    }

    /// Event counters and timings.
    pub(crate) fn events(&self) -> &EventCounts {
        &self.events
    }

    /// Takes the registry mutex, for a sequence of node-level changes.
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            registry: self,
            inner: self.inner.lock(),
        }
    }
}

/// The registry with its mutex held: what the node notifier can do to every cache at once.
pub(crate) struct Locked<'a> {
    registry: &'a Registry,
    inner: Guard<'a, Inner, MutexBackend>,
}

impl Locked<'_> {
    /// Gives every cache metadata for node `nid`, allocating only what is absent, all or
    /// nothing; counts a reuse for each cache that already had it if `count_reuse`.
    ///
    /// The metadata comes from whatever node the allocator picks: when this runs for a node
    /// getting its first memory, that memory is not usable yet. If any allocation fails, the
    /// error is returned and no cache changes.
    pub(crate) fn add_node(&self, nid: NodeId, count_reuse: bool) -> Result {
        let caches = &self.inner.caches;
        let mut fresh = KVec::with_capacity(caches.len(), GFP_KERNEL)?;
        for e in caches.iter() {
            if !e.cache().has_node(nid) {
                fresh.push(
                    (e.cache(), KBox::pin_init(Node::new(nid), GFP_KERNEL)?),
                    GFP_KERNEL,
                )?;
            }
        }
        // Everything is allocated: nothing can fail from here on.
        for e in caches.iter() {
            if count_reuse && e.cache().has_node(nid) {
                e.cache().stats().meta_reuses.add(nid, 1);
            }
        }
        for (cache, node) in fresh.drain_all() {
            // The mutex is held, so nobody else installs: the slot is still empty.
            let _ = cache.install_node(node);
        }
        Ok(())
    }

    /// Records whether node `nid` has memory: new caches get metadata for it, and allocations
    /// may target it.
    pub(crate) fn set_has_memory(&self, nid: NodeId, has: bool) {
        if has {
            self.registry.mem_nodes.insert(nid);
        } else {
            self.registry.mem_nodes.remove(nid);
        }
    }

    /// Gives every empty slab of every cache back to the page allocator.
    pub(crate) fn shrink_all(&self) {
        for e in self.inner.caches.iter() {
            e.cache().shrink();
        }
    }

    /// Frees node `nid`'s metadata in every cache, only in `reproduce_offline_uaf` mode.
    pub(crate) fn free_node_like_pre_5_12(&self, nid: NodeId) {
        for e in self.inner.caches.iter() {
            e.cache().free_node_like_pre_5_12(nid);
        }
    }
}
