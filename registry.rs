// SPDX-License-Identifier: GPL-2.0

//! The module-wide list of caches and the mutex that serialises memory hotplug with cache
//! creation and destruction: the counterpart of SLUB's `slab_caches` and `slab_mutex`.
//!
//! # Locking rules
//!
//! The module's sleeping locks and the kernel's locks around its callbacks, outermost first; a
//! lock is only ever taken with the ones above it held, never the other way round:
//!
//! 1. The kernel's `cpu_hotplug_lock`, then `device_hotplug_lock` and `mem_hotplug_lock`,
//!    held by the hotplug core around every node notifier call and every CPU hotplug callback
//!    ([`crate::notifier`]; memory hotplug takes `cpu_hotplug_lock` for reading first).
//! 2. Test build only: `KeptObjects::kept` (`control/kept.rs`), the objects the debugfs
//!    controls keep. The `destroy` control holds it across [`Registry::destroy`]; every other
//!    control takes it alone.
//! 3. `Registry::inner`, this module's mutex: the cache list, and the only context in which
//!    node metadata is published ([`Cache::install_node`]) and `mem_nodes` is written. Creating
//!    and destroying a cache (with its sysfs directory, removed before the mutex is released),
//!    handling a node event and handling a CPU coming online or going offline each hold it
//!    throughout, so none of them interleave. Nothing waits for a hotplug lock with it held.
//!    A flush under it (a node losing its last memory, a CPU going offline, a cache
//!    destroyed) waits for stash flags, sleeping ([`crate::percpu`]).
//! 4. The allocator's own locks, in the order [`crate::percpu`] and [`crate::node`] give: a
//!    stash flag, the depot's spinlock, `Node::lists` (a spinlock, innermost).
//!
//! Leaf: test build only, `Control::results` (`control/mod.rs`), the benchmark's text; nothing
//! is taken under it (a benchmark runs into a buffer of its own, then appends).
//!
//! The test build's knobs keep to these rules: `hold_event` sleeps with the registry mutex
//! held, inside the hotplug locks (1, 3); `hold_stash` sleeps holding a stash flag, which fast
//! paths then go around and flushes wait for (4); `locked_read` and the benchmark's locked
//! reads wait for `mem_hotplug_lock` with no lock of ours held.
//!
//! Contexts: everything above runs in process context. The allocation API is for process
//! context only ([`crate::cache`]).
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
    counters::EventCounts,
    ffi::{
        nodes::{NodeId, NodeMask, NodeOrder, NodeState},
        notifier::NodeEvent,
        sysfs::{SysfsDir, SysfsKind, SysfsParent},
    },
    node::Node,
    sysfs::{is_root_file, CacheDir, RootDir},
};
#[cfg(rsh_test)]
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        Arc, Mutex,
    },
};

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
    /// Every node, nearest first, from each node: the order allocations fall back in.
    order: Arc<NodeOrder>,
    events: Arc<EventCounts>,
    cache_kind: Arc<SysfsKind<CacheDir>>,
    root: SysfsDir<RootDir>,
    /// The test build's knobs; nothing in the production build.
    knobs: TestKnobs,
}

/// The registry's knobs in the test build (`crate::testing`); an empty struct otherwise.
struct TestKnobs {
    /// `reproduce_offline_uaf=1`: free node metadata on `NODE_REMOVED_LAST_MEMORY`.
    #[cfg(rsh_test)]
    reproduce_uaf: bool,
    /// The `skip_adding` control: a node whose next `NODE_ADDING_FIRST_MEMORY` is not
    /// handled, as if the module were loaded between it and `NODE_ADDED_FIRST_MEMORY`; -1 for
    /// none.
    #[cfg(rsh_test)]
    skip_adding: AtomicI32,
}

impl TestKnobs {
    /// The knobs as the module parameters set them, every control off.
    fn new() -> Self {
        Self {
            #[cfg(rsh_test)]
            reproduce_uaf: crate::testing::reproduce_offline_uaf(),
            #[cfg(rsh_test)]
            skip_adding: AtomicI32::new(-1),
        }
    }
}

impl Registry {
    /// Creates the registry and `/sys/kernel/<name>/`, with no caches.
    pub(crate) fn new(name: &CStr) -> Result<Arc<Self>> {
        let mem_nodes = Arc::new(NodeMask::new(GFP_KERNEL)?, GFP_KERNEL)?;
        let events = Arc::new(EventCounts::new(GFP_KERNEL)?, GFP_KERNEL)?;
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
                order: Arc::new(NodeOrder::new(GFP_KERNEL)?, GFP_KERNEL)?,
                events,
                cache_kind: SysfsKind::new(0o444)?,
                root,
                knobs: TestKnobs::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Takes the kernel's current view of which nodes have memory.
    ///
    /// Call once, after the node notifier is registered and before the first cache is created:
    /// a node that finished onlining before the registration is in `N_MEMORY` by now, and one
    /// that did not yet reaches the notifier (at the latest with
    /// `NODE_ADDED_FIRST_MEMORY`, which comes after its `N_MEMORY` bit is set). The same step as
    /// every cache creation and node event takes ([`Locked::adopt_nodes_with_memory`]), so that
    /// `memory_nodes` is right from the start even if no cache is created at load.
    pub(crate) fn sync_nodes(&self) {
        self.lock().adopt_nodes_with_memory();
    }

    /// Creates a cache with metadata for every node that has memory, and its sysfs directory.
    ///
    /// `EEXIST` if a cache has that name, `EINVAL` if a file of the registry's own directory
    /// has it; nothing is left behind on any error.
    pub(crate) fn create(&self, spec: &CacheSpec) -> Result<Arc<Cache>> {
        if is_root_file(spec.name.as_bytes()) {
            return Err(EINVAL);
        }
        let mut locked = self.lock();
        // Nodes whose metadata could not be allocated when they got memory: try again.
        locked.adopt_nodes_with_memory();
        let inner = &mut locked.inner;
        if inner.caches.iter().any(|e| e.cache().name() == &spec.name) {
            return Err(EEXIST);
        }
        inner.caches.reserve(1, GFP_KERNEL)?;
        let cache = Cache::new(spec, self.mem_nodes.clone(), self.order.clone())?;
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
    /// The mutex is held until the directory is gone, so the name is only free again once its
    /// directory is (a create of the same name in between would find sysfs still holding it).
    /// Removing the directory waits for sysfs reads in progress, which take no lock of ours.
    /// The cache itself is freed when the last `Arc` to it goes, after the directory.
    pub(crate) fn destroy(&self, name: &CacheName) -> Result {
        let mut inner = self.inner.lock();
        let i = inner
            .caches
            .iter()
            .position(|e| e.cache().name() == name)
            .ok_or(EINVAL)?;
        let entry = inner.caches.remove(i).ok().ok_or(EINVAL)?;
        drop(entry);
        drop(inner);
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

    /// TEST ONLY: the next `NODE_ADDING_FIRST_MEMORY` of node `nid` goes unhandled, as if the
    /// module were loaded between it and `NODE_ADDED_FIRST_MEMORY` (see `crate::notifier`).
    #[cfg(rsh_test)]
    pub(crate) fn skip_next_adding(&self, nid: NodeId) {
        self.knobs
            .skip_adding
            .store(nid.as_c_int(), Ordering::Relaxed);
    }

    /// TEST ONLY: whether `event` for `nid` is the one [`Registry::skip_next_adding`] asked to
    /// miss; it is missed only once.
    #[cfg(rsh_test)]
    pub(crate) fn misses(&self, event: NodeEvent, nid: NodeId) -> bool {
        event == NodeEvent::AddingFirst
            && self
                .knobs
                .skip_adding
                .compare_exchange(nid.as_c_int(), -1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
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
#[must_use = "the registry mutex is released as soon as this is dropped"]
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

    /// Gives every cache metadata for each node that has memory but was left out when it got
    /// it (the allocation failed at `NODE_ADDED_FIRST_MEMORY`), and lets allocations target
    /// the nodes that now have it everywhere. Failures are left for the next try.
    pub(crate) fn adopt_nodes_with_memory(&self) {
        for nid in NodeId::all() {
            if nid.has(NodeState::Memory)
                && !self.registry.mem_nodes.contains(nid)
                && self.add_node(nid, false).is_ok()
            {
                // (At load, with no cache yet, this only records the node.)
                if !self.inner.caches.is_empty() {
                    pr_info!("node {}: metadata allocated after all\n", nid.index());
                }
                self.set_has_memory(nid, true);
            }
        }
    }

    /// Records, for every cache, that CPU `cpu`, which just came online, is on node `nid`.
    pub(crate) fn set_cpu_home(&self, cpu: usize, nid: NodeId) {
        for e in self.inner.caches.iter() {
            e.cache().set_cpu_home(cpu, nid);
        }
    }

    /// Gives the objects in CPU `cpu`'s stash of every cache back to their slabs.
    pub(crate) fn flush_cpu(&self, cpu: usize) {
        for e in self.inner.caches.iter() {
            e.cache().flush_cpu(cpu);
        }
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

    /// TEST ONLY: frees node `nid`'s metadata in every cache if the module was loaded with
    /// `reproduce_offline_uaf=1`, as SLUB did before Linux 5.12.
    #[cfg(rsh_test)]
    pub(crate) fn free_node_like_pre_5_12(&self, nid: NodeId) {
        if !self.registry.knobs.reproduce_uaf {
            return;
        }
        for e in self.inner.caches.iter() {
            // SAFETY: This does NOT hold, on purpose: statistics readers (and allocations) may
            // still be using the node's metadata, which is the use-after-free the pre-5.12 rule
            // had and `reproduce_offline_uaf=1` exists to show (KASAN reports it). Only that
            // test-only parameter gets here.
            unsafe { e.cache().free_node_like_pre_5_12(nid) };
        }
    }
}
