// SPDX-License-Identifier: GPL-2.0

//! What memory hotplug does to the caches: the node events of 7.x's `mm/slub.c`
//! (`slab_memory_callback()`), with its two weak spots closed.
//!
//! | event                              | SLUB (7.3)                  | rust_slab_hp                  |
//! |------------------------------------|-----------------------------|-------------------------------|
//! | `NODE_ADDING_FIRST_MEMORY`         | allocate absent metadata, cache by cache; on failure the earlier caches keep theirs | allocate all absent metadata first, publish only if every allocation succeeded: a refused online changes nothing |
//! | `NODE_ADDED_FIRST_MEMORY`          | -                           | allocate any metadata still absent (a module loaded between the two events); if that fails, do not target the node and try again at every later event and cache creation |
//! | `NODE_CANCEL_ADDING_FIRST_MEMORY`  | -                           | keep metadata, stop targeting the node |
//! | `NODE_REMOVING_LAST_MEMORY`        | shrink every cache          | shrink every cache            |
//! | `NODE_REMOVED_LAST_MEMORY`         | keep metadata               | keep metadata, stop targeting the node |
//! | `NODE_CANCEL_REMOVING_LAST_MEMORY` | -                           | nothing: the node still has memory |
//!
//! Metadata is never freed here: lock-free readers may hold it (see [`crate::registry`]).
//!
//! CPU hotplug ([`crate::ffi::cpuhp`]): a CPU that comes online tells every cache's stash of it
//! which node it is on; one that goes offline has its stashes given back to the slabs.
//!
//! Test only: the `hold_event <ms>` control makes the next event sleep that long with the
//! registry mutex held, inside the hotplug core's `device_hotplug_lock` and `mem_hotplug_lock`,
//! so that a test can show statistics reads do not wait for any of them.

use crate::{
    ffi::{
        cpuhp::CpuEventHandler,
        nodes::{cpu_node, NodeId},
        notifier::{NodeEvent, NodeEventHandler},
        now_ns,
    },
    registry::Registry,
};
use kernel::prelude::*;

impl NodeEventHandler for Registry {
    fn node_event(&self, event: NodeEvent, nid: NodeId) -> Result {
        #[cfg(rsh_test)]
        if self.misses(event, nid) {
            pr_info!(
                "node {}: {} not handled (skip_adding, test only)\n",
                nid.index(),
                event.name()
            );
            return Ok(());
        }
        self.count_event(event, nid);
        pr_info!("node {}: {}\n", nid.index(), event.name());
        let t0 = now_ns();
        let result = handle(self, event, nid);
        self.events().record_time(event, now_ns() - t0);
        result
    }
}

/// Applies one node event to every cache, with the registry mutex held.
fn handle(registry: &Registry, event: NodeEvent, nid: NodeId) -> Result {
    let locked = registry.lock();
    #[cfg(rsh_test)]
    crate::testing::hold_if_asked(event, nid);
    match event {
        NodeEvent::AddingFirst => {
            if let Err(e) = locked.add_node(nid, true) {
                pr_warn!(
                    "node {}: refusing online: node metadata allocation failed\n",
                    nid.index()
                );
                return Err(e);
            }
            locked.set_has_memory(nid, true);
        }
        NodeEvent::AddedFirst => {
            if locked.add_node(nid, false).is_err() {
                // The memory is online whatever we say: leave the node out of `mem_nodes`, so
                // that nothing targets it, and retry later (below).
                pr_warn!(
                    "node {}: node metadata allocation failed; allocations fall back to other nodes until it succeeds\n",
                    nid.index()
                );
                return Ok(());
            }
            locked.set_has_memory(nid, true);
        }
        NodeEvent::CancelAddingFirst => locked.set_has_memory(nid, false),
        NodeEvent::RemovingLast => locked.shrink_all(),
        NodeEvent::RemovedLast => {
            locked.set_has_memory(nid, false);
            #[cfg(rsh_test)]
            locked.free_node_like_pre_5_12(nid);
        }
        NodeEvent::CancelRemovingLast => {}
    }
    locked.adopt_nodes_with_memory();
    Ok(())
}

impl CpuEventHandler for Registry {
    fn cpu_online(&self, cpu: usize) {
        // The CPU is in its node's mask by now (x86 adds it in `cpu_init()`, early in bring-up).
        if let Some(nid) = cpu_node(cpu) {
            self.lock().set_cpu_home(cpu, nid);
        }
    }

    fn cpu_offline(&self, cpu: usize) {
        self.lock().flush_cpu(cpu);
    }
}
