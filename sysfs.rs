// SPDX-License-Identifier: GPL-2.0

//! `/sys/kernel/rust_slab_hp/`: node-event counters, and one directory of statistics per cache.
//!
//! Per-node values use SLUB's format (`show_slab_objects()`): the total, then ` N<node>=<n>`
//! for every node whose value is not zero. Every value comes from lock-free reads (see the
//! locking rules in [`crate::registry`]): reading never waits for memory hotplug, the registry
//! mutex or a node lock.

#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::Cache,
    counters::{EventCounts, PerNodeCounter},
    ffi::{
        compat::cstr_bytes,
        msleep,
        nodes::{nr_node_ids, NodeId, NodeMask},
        notifier::NodeEvent,
        page::PAGE_SIZE,
        sysfs::{SysfsBuf, SysfsFiles},
    },
    node::{Node, NodeSnapshot},
};
use core::fmt::Write;
use kernel::{c_str, prelude::*, sync::Arc};

/// Writes `total N<a>=<x> N<b>=<y>...\n`, leaving out nodes whose value is zero.
fn write_per_node(out: &mut SysfsBuf<'_>, values: &[(NodeId, u64)]) -> Result {
    let total: u64 = values.iter().map(|&(_, v)| v).sum();
    write!(out, "{total}").map_err(|_| EINVAL)?;
    for &(nid, v) in values.iter().filter(|&&(_, v)| v != 0) {
        write!(out, " N{nid}={v}").map_err(|_| EINVAL)?;
    }
    writeln!(out).map_err(|_| EINVAL)
}

/// Writes a set of nodes in the kernel's node-list format (`0-2,5`), as
/// `/sys/devices/system/node/has_memory` does.
fn write_node_list(out: &mut SysfsBuf<'_>, nodes: impl Iterator<Item = NodeId>) -> Result {
    fn emit(out: &mut SysfsBuf<'_>, sep: &str, (lo, hi): (usize, usize)) -> Result {
        if lo == hi {
            write!(out, "{sep}{lo}").map_err(|_| EINVAL)
        } else {
            write!(out, "{sep}{lo}-{hi}").map_err(|_| EINVAL)
        }
    }
    let mut range: Option<(usize, usize)> = None;
    let mut sep = "";
    for n in nodes.map(NodeId::index) {
        range = match range {
            Some((lo, hi)) if hi + 1 == n => Some((lo, n)),
            Some(r) => {
                emit(out, sep, r)?;
                sep = ",";
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(r) = range {
        emit(out, sep, r)?;
    }
    writeln!(out).map_err(|_| EINVAL)
}

/// Writes `f(node)` for every possible node in SLUB's per-node format.
fn write_each_node(out: &mut SysfsBuf<'_>, f: impl Fn(NodeId) -> u64) -> Result {
    let mut values = KVec::with_capacity(nr_node_ids(), GFP_KERNEL)?;
    for nid in NodeId::all() {
        // Never full: one entry per node.
        let _ = values.push_within_capacity((nid, f(nid)));
    }
    write_per_node(out, &values)
}

fn per_node_counter(out: &mut SysfsBuf<'_>, c: &PerNodeCounter) -> Result {
    write_each_node(out, |n| c.get(n))
}

/// The statistics directory of one cache; it owns the cache.
pub(crate) struct CacheDir(pub(crate) Arc<Cache>);

/// Reads one counter of every node of `cache` that has metadata, without locks.
fn per_node(cache: &Cache, out: &mut SysfsBuf<'_>, f: fn(&NodeSnapshot) -> usize) -> Result {
    let mut values = KVec::with_capacity(nr_node_ids(), GFP_KERNEL)?;
    let delay_ms = crate::STATS_READ_DELAY_MS.get();
    cache.for_each_node(|node: &Node| {
        if delay_ms != 0 {
            // TEST ONLY (`stats_read_delay_ms`): the window a pre-5.12 reader had between
            // `get_node()` and its use, widened so that a concurrent offline falls into it.
            msleep(delay_ms);
        }
        // Never full: one entry per node at most.
        let _ = values.push_within_capacity((node.nid(), f(&node.snapshot()) as u64));
    });
    write_per_node(out, &values)
}

/// What reading `<cache>/objects` shows (also timed by the benchmark).
pub(crate) fn render_objects(cache: &Cache, out: &mut SysfsBuf<'_>) -> Result {
    per_node(cache, out, |s| s.inuse)
}

impl SysfsFiles for CacheDir {
    const FILES: &'static [&'static CStr] = &[
        c_str!("objects"),
        c_str!("total_objects"),
        c_str!("slabs"),
        c_str!("partial"),
        c_str!("objects_partial"),
        c_str!("object_size"),
        c_str!("slab_size"),
        c_str!("objs_per_slab"),
        c_str!("order"),
        c_str!("align"),
        c_str!("metadata_nodes"),
        c_str!("metadata_allocs"),
        c_str!("metadata_reuses"),
        c_str!("metadata_frees"),
        c_str!("metadata_bytes"),
        c_str!("alloc_fallbacks"),
        c_str!("shrink_freed_slabs"),
        c_str!("cpu_stashed"),
    ];

    fn show(&self, file: usize, out: &mut SysfsBuf<'_>) -> Result {
        let cache = &self.0;
        let g = cache.geometry();
        let stats = cache.stats();
        let one = |out: &mut SysfsBuf<'_>, v: usize| writeln!(out, "{v}").map_err(|_| EINVAL);
        match file {
            0 => render_objects(cache, out),
            1 => per_node(cache, out, |s| s.objects),
            2 => per_node(cache, out, |s| s.slabs),
            3 => per_node(cache, out, |s| s.partial),
            4 => per_node(cache, out, |s| s.partial_inuse),
            5 => one(out, g.object_size),
            6 => one(out, g.stride),
            7 => one(out, g.objects as usize),
            8 => one(out, g.order as usize),
            9 => one(out, g.align),
            10 => write_node_list(out, NodeId::all().filter(|&n| cache.has_node(n))),
            11 => per_node_counter(out, &stats.meta_allocs),
            12 => per_node_counter(out, &stats.meta_reuses),
            13 => per_node_counter(out, &stats.meta_frees),
            14 => write_each_node(out, |n| {
                if cache.has_node(n) {
                    core::mem::size_of::<Node>() as u64
                } else {
                    0
                }
            }),
            15 => per_node_counter(out, &stats.fallbacks),
            16 => per_node_counter(out, &stats.shrunk),
            17 => one(out, cache.stashed()),
            _ => Err(EINVAL),
        }
    }
}

/// Renders every statistics file of `cache` into a page and drops the text: what reading them
/// all does (test only: the `locked_read` control).
pub(crate) fn render_all(cache: &Arc<Cache>) -> Result {
    let dir = CacheDir(cache.clone());
    let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
    for _ in 0..PAGE_SIZE / 64 {
        page.extend_from_slice(&[0u8; 64], GFP_KERNEL)?;
    }
    for file in 0..CacheDir::FILES.len() {
        dir.show(file, &mut SysfsBuf::new(&mut page))?;
    }
    Ok(())
}

/// Whether `name` is the name of a file of `/sys/kernel/rust_slab_hp/` itself, which no cache
/// directory may take.
pub(crate) fn is_root_file(name: &[u8]) -> bool {
    RootDir::FILES.iter().any(|f| cstr_bytes(f) == name)
}

/// `/sys/kernel/rust_slab_hp/` itself: node-event counters and the nodes with memory.
pub(crate) struct RootDir {
    pub(crate) events: Arc<EventCounts>,
    pub(crate) mem_nodes: Arc<NodeMask>,
}

impl SysfsFiles for RootDir {
    // One file per `NodeEvent`, in `NodeEvent::ALL` order, then the node list.
    const FILES: &'static [&'static CStr] = &[
        c_str!("node_adding_first_memory"),
        c_str!("node_added_first_memory"),
        c_str!("node_cancel_adding_first_memory"),
        c_str!("node_removing_last_memory"),
        c_str!("node_removed_last_memory"),
        c_str!("node_cancel_removing_last_memory"),
        c_str!("memory_nodes"),
    ];

    fn show(&self, file: usize, out: &mut SysfsBuf<'_>) -> Result {
        match NodeEvent::ALL.get(file) {
            Some(&event) => per_node_counter(out, self.events.of(event)),
            None if file == NodeEvent::ALL.len() => write_node_list(out, self.mem_nodes.iter()),
            None => Err(EINVAL),
        }
    }
}
