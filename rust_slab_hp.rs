// SPDX-License-Identifier: GPL-2.0

// The production module has no caller of the allocation API (`Cache::alloc`, `free`, the fast
// paths and what only they use): its callers are the test build's controls and benchmark, and
// kernel code built into the same module. The test build has to be free of dead code on its
// own (`make test` builds it with CLIPPY=1, warnings as failures).
#![cfg_attr(
    not(rsh_test),
    expect(
        dead_code,
        reason = "the allocation API has no caller in the production module"
    )
)]

//! rust_slab_hp: a slab cache whose per-node metadata survives memory hot-remove.
//!
//! The Rust counterpart of "mm, slub: stop freeing kmem_cache_node structures on node
//! offline" (Linux 5.12) and of the node-notifier handling SLUB has had since 6.17: each
//! cache's metadata for a NUMA node is allocated when the node gets its first memory, only if
//! it is absent, and is kept when the node loses its last memory, so statistics can be read
//! without `mem_hotplug_lock` and without the cache mutex, and never touch freed memory.
//!
//! - [`registry`]: the cache list, its mutex, and the locking rules of the whole module;
//! - [`cache`], [`node`], [`slab`], [`percpu`]: the allocator; [`counters`], [`once`]: what
//!   lock-free readers read;
//! - [`notifier`]: what node and CPU hotplug events do; [`ffi::notifier`] and [`ffi::cpuhp`]
//!   register for them;
//! - [`sysfs`]: `/sys/kernel/rust_slab_hp/`, the statistics;
//! - [`ffi`]: everything that touches C.
//!
//! That is the production module (`make`). The test build (`make RSH_TEST=1`) adds
//! `testing`: test-only parameters, debugfs controls (`control/`), the benchmark against SLUB
//! (`bench`) and KUnit tests; see `testing.rs`.

#[cfg(all(rsh_test, not(rsh_legacy)))]
mod bench;
mod cache;
#[cfg(all(rsh_test, CONFIG_DEBUG_FS))]
mod control;
mod counters;
mod ffi;
mod node;
mod notifier;
mod once;
mod percpu;
mod registry;
mod slab;
mod sysfs;
#[cfg(rsh_test)]
mod testing;

use crate::{
    cache::CacheSpec,
    ffi::{cpuhp::CpuNotifier, notifier::NodeNotifier, param::module_param},
    registry::Registry,
};
use kernel::{c_str, prelude::*, sync::Arc};

#[cfg(not(rsh_legacy))]
module! {
    type: RustSlabHp,
    name: "rust_slab_hp",
    authors: ["rust_slab_hp developers"],
    description: "Hotplug-safe slab cache: per-node metadata kept across memory offline",
    license: "GPL",
}

// 6.12's `module!` takes one `author`.
#[cfg(rsh_legacy)]
module! {
    type: RustSlabHp,
    name: "rust_slab_hp",
    author: "rust_slab_hp developers",
    description: "Hotplug-safe slab cache: per-node metadata kept across memory offline",
    license: "GPL",
}

/// The most caches `caches=` may name.
const MAX_LOAD_CACHES: usize = 16;

/// The caches created at load when `caches=` is not given.
const DEFAULT_CACHES: &str = "hp-8:8:8,hp-64:64:8,hp-256:256:64,hp-4096:4096:4096,hp-8192:8192:8";

/// Checks a `caches=` value: comma-separated `name:size:align[:FZP]`, no entry empty, names
/// unique and not those of the files of `/sys/kernel/rust_slab_hp/`, at most 16.
fn validate_caches(value: &[u8]) -> Result {
    let mut names: KVec<cache::CacheName> = KVec::new();
    for spec in value.split(|&c| c == b',') {
        if spec.is_empty() {
            pr_err!("caches=: empty entry (want name:size:align[:FZP][,...])\n");
            return Err(EINVAL);
        }
        let Ok(spec) = CacheSpec::parse(spec) else {
            pr_err!(
                "caches=: bad entry '{}' (want name:size:align[:FZP], size 8..={}, align a power of two up to PAGE_SIZE, debug flags F, Z, P once each)\n",
                kernel::str::BStr::from_bytes(spec),
                slab::MAX_OBJECT_SIZE
            );
            return Err(EINVAL);
        };
        if sysfs::is_root_file(spec.name.as_bytes()) {
            pr_err!(
                "caches=: '{}' is the name of a file in /sys/kernel/rust_slab_hp/\n",
                spec.name.as_str()
            );
            return Err(EINVAL);
        }
        if names.contains(&spec.name) {
            pr_err!("caches=: duplicate name '{}'\n", spec.name.as_str());
            return Err(EINVAL);
        }
        if names.len() == MAX_LOAD_CACHES {
            pr_err!("caches=: more than {} caches\n", MAX_LOAD_CACHES);
            return Err(EINVAL);
        }
        names.push(spec.name, GFP_KERNEL)?;
    }
    Ok(())
}

module_param!(CACHES: string(512) = DEFAULT_CACHES,
    name: "caches", validate: validate_caches,
    desc: "Caches to create at load: name:size:align[:FZP][,...], FZP: slub_debug's checks (default: hp-8, hp-64, hp-256, hp-4096, hp-8192, no checks)");

/// The module: (in the test build, its test machinery,) notifiers and registry, torn down in
/// that order.
struct RustSlabHp {
    #[cfg(rsh_test)]
    _testing: testing::Testing,
    _notifier: Pin<KBox<NodeNotifier<Registry>>>,
    _cpus: Pin<KBox<CpuNotifier<Registry>>>,
    _registry: Arc<Registry>,
}

impl kernel::Module for RustSlabHp {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = Registry::new(c_str!("rust_slab_hp"))?;
        // SLUB's priority (`SLAB_CALLBACK_PRI`): run with the other slab-like users.
        let notifier = KBox::pin_init(NodeNotifier::register(registry.clone(), 1), GFP_KERNEL)?;
        let cpus = KBox::pin_init(CpuNotifier::register(registry.clone())?, GFP_KERNEL)?;
        registry.sync_nodes();
        for spec in CACHES.get().split(|&c| c == b',').filter(|s| !s.is_empty()) {
            // Validated when the parameter was set.
            let spec = CacheSpec::parse(spec)?;
            registry.create(&spec).inspect_err(|e| {
                pr_err!("cannot create cache {}: {:?}\n", spec.name.as_str(), e);
            })?;
        }
        #[cfg(rsh_test)]
        let testing = testing::Testing::init(&registry)?;
        pr_info!("loaded: {} caches\n", registry.caches()?.len());
        Ok(Self {
            #[cfg(rsh_test)]
            _testing: testing,
            _notifier: notifier,
            _cpus: cpus,
            _registry: registry,
        })
    }
}

impl Drop for RustSlabHp {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
