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
        nodes::{nr_node_ids, NodeId, NodeMask},
        notifier::NodeEvent,
        sysfs::{SysfsBuf, SysfsFile, SysfsFiles},
    },
    node::{Node, NodeSnapshot},
    slab::DebugFlags,
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
    #[cfg(rsh_test)]
    let delay_ms = crate::testing::stats_read_delay_ms();
    cache.for_each_node(|node: &Node| {
        #[cfg(rsh_test)]
        if delay_ms != 0 {
            // TEST ONLY (`stats_read_delay_ms`): the window a pre-5.12 reader had between
            // `get_node()` and its use, widened so that a concurrent offline falls into it.
            crate::ffi::msleep(delay_ms);
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

/// Writes 1 if `cache` runs the debug check `flag`, else 0.
fn debug_flag(cache: &Cache, out: &mut SysfsBuf<'_>, flag: DebugFlags) -> Result {
    one(out, usize::from(cache.geometry().debug().contains(flag)))
}

/// Writes one value and a newline.
fn one(out: &mut SysfsBuf<'_>, v: usize) -> Result {
    writeln!(out, "{v}").map_err(|_| EINVAL)
}

impl SysfsFiles for CacheDir {
    const FILES: &'static [SysfsFile<Self>] = &[
        SysfsFile {
            name: c_str!("objects"),
            show: |d, out| render_objects(&d.0, out),
        },
        SysfsFile {
            name: c_str!("total_objects"),
            show: |d, out| per_node(&d.0, out, |s| s.objects),
        },
        SysfsFile {
            name: c_str!("slabs"),
            show: |d, out| per_node(&d.0, out, |s| s.slabs),
        },
        SysfsFile {
            name: c_str!("partial"),
            show: |d, out| per_node(&d.0, out, |s| s.partial),
        },
        SysfsFile {
            name: c_str!("objects_partial"),
            show: |d, out| per_node(&d.0, out, |s| s.partial_inuse),
        },
        SysfsFile {
            name: c_str!("object_size"),
            show: |d, out| one(out, d.0.geometry().object_size),
        },
        SysfsFile {
            name: c_str!("slab_size"),
            show: |d, out| one(out, d.0.geometry().stride),
        },
        SysfsFile {
            name: c_str!("objs_per_slab"),
            show: |d, out| one(out, d.0.geometry().objects as usize),
        },
        SysfsFile {
            name: c_str!("order"),
            show: |d, out| one(out, d.0.geometry().order as usize),
        },
        SysfsFile {
            name: c_str!("align"),
            show: |d, out| one(out, d.0.geometry().align),
        },
        SysfsFile {
            name: c_str!("metadata_nodes"),
            show: |d, out| write_node_list(out, NodeId::all().filter(|&n| d.0.has_node(n))),
        },
        SysfsFile {
            name: c_str!("metadata_allocs"),
            show: |d, out| per_node_counter(out, &d.0.stats().meta_allocs),
        },
        SysfsFile {
            name: c_str!("metadata_reuses"),
            show: |d, out| per_node_counter(out, &d.0.stats().meta_reuses),
        },
        SysfsFile {
            name: c_str!("metadata_frees"),
            show: |d, out| per_node_counter(out, &d.0.stats().meta_frees),
        },
        SysfsFile {
            name: c_str!("metadata_bytes"),
            show: |d, out| {
                write_each_node(out, |n| {
                    if d.0.has_node(n) {
                        core::mem::size_of::<Node>() as u64
                    } else {
                        0
                    }
                })
            },
        },
        SysfsFile {
            name: c_str!("alloc_fallbacks"),
            show: |d, out| per_node_counter(out, &d.0.stats().fallbacks),
        },
        SysfsFile {
            name: c_str!("shrink_freed_slabs"),
            show: |d, out| per_node_counter(out, &d.0.stats().shrunk),
        },
        SysfsFile {
            name: c_str!("cpu_stashed"),
            show: |d, out| one(out, d.0.stashed()),
        },
        // The debug checks, 0 or 1 each, as in SLUB's directories.
        SysfsFile {
            name: c_str!("sanity_checks"),
            show: |d, out| debug_flag(&d.0, out, DebugFlags::CHECKS),
        },
        SysfsFile {
            name: c_str!("red_zone"),
            show: |d, out| debug_flag(&d.0, out, DebugFlags::RED_ZONE),
        },
        SysfsFile {
            name: c_str!("poison"),
            show: |d, out| debug_flag(&d.0, out, DebugFlags::POISON),
        },
    ];
}

/// Renders every statistics file of `cache` into a page and drops the text: what reading them
/// all does (test only: the `locked_read` control).
#[cfg(rsh_test)]
pub(crate) fn render_all(cache: &Arc<Cache>) -> Result {
    use crate::ffi::page::PAGE_SIZE;
    let dir = CacheDir(cache.clone());
    let mut page = KVec::with_capacity(PAGE_SIZE, GFP_KERNEL)?;
    for _ in 0..PAGE_SIZE / 64 {
        page.extend_from_slice(&[0u8; 64], GFP_KERNEL)?;
    }
    for file in CacheDir::FILES {
        (file.show)(&dir, &mut SysfsBuf::new(&mut page))?;
    }
    Ok(())
}

/// Whether `name` is the name of a file of `/sys/kernel/rust_slab_hp/` itself, which no cache
/// directory may take.
pub(crate) fn is_root_file(name: &[u8]) -> bool {
    RootDir::FILES.iter().any(|f| cstr_bytes(f.name) == name)
}

/// `/sys/kernel/rust_slab_hp/` itself: node-event counters and the nodes with memory.
pub(crate) struct RootDir {
    pub(crate) events: Arc<EventCounts>,
    pub(crate) mem_nodes: Arc<NodeMask>,
}

impl SysfsFiles for RootDir {
    // One file per `NodeEvent` (`NodeEvent::ALL`), then the node list.
    const FILES: &'static [SysfsFile<Self>] = &[
        SysfsFile {
            name: c_str!("node_adding_first_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::AddingFirst)),
        },
        SysfsFile {
            name: c_str!("node_added_first_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::AddedFirst)),
        },
        SysfsFile {
            name: c_str!("node_cancel_adding_first_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::CancelAddingFirst)),
        },
        SysfsFile {
            name: c_str!("node_removing_last_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::RemovingLast)),
        },
        SysfsFile {
            name: c_str!("node_removed_last_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::RemovedLast)),
        },
        SysfsFile {
            name: c_str!("node_cancel_removing_last_memory"),
            show: |d, out| per_node_counter(out, d.events.of(NodeEvent::CancelRemovingLast)),
        },
        SysfsFile {
            name: c_str!("memory_nodes"),
            show: |d, out| write_node_list(out, d.mem_nodes.iter()),
        },
    ];
}
