// SPDX-License-Identifier: GPL-2.0

//! Counters that statistics readers load without any lock: one per node, and the node
//! notifier's counts and timings per event.
//!
//! Every counter is an atomic written with relaxed ordering and read the same way: a reader
//! sees each value whole, never torn, possibly a moment old. Which locks serialise the
//! writers, where that matters, is said where each counter is declared.

use crate::ffi::{
    nodes::{nr_node_ids, NodeId},
    notifier::NodeEvent,
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

/// A counter per possible node, updated and read without locks.
pub(crate) struct PerNodeCounter {
    counts: KVec<AtomicU64>,
}

impl PerNodeCounter {
    /// All zero.
    pub(crate) fn new(flags: kernel::alloc::Flags) -> Result<Self> {
        let mut counts = KVec::with_capacity(nr_node_ids(), flags)?;
        for _ in 0..nr_node_ids() {
            counts.push(AtomicU64::new(0), flags)?;
        }
        Ok(Self { counts })
    }

    /// Adds `n` to node `nid`'s count.
    pub(crate) fn add(&self, nid: NodeId, n: u64) {
        // `counts` has `nr_node_ids()` entries and `nid < nr_node_ids()`.
        self.counts[nid.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// Node `nid`'s count.
    pub(crate) fn get(&self, nid: NodeId) -> u64 {
        self.counts[nid.index()].load(Ordering::Relaxed)
    }
}

/// How long the notifier took over one kind of node event.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventTimes {
    /// Events of the kind handled.
    pub(crate) handled: u64,
    /// Nanoseconds the last one took.
    pub(crate) last_ns: u64,
    /// Nanoseconds the slowest one took.
    pub(crate) max_ns: u64,
}

/// The timings of one kind of event, updated by the notifier (serialised by the hotplug core's
/// locks) and read without locks.
#[derive(Default)]
struct AtomicEventTimes {
    handled: AtomicU64,
    last_ns: AtomicU64,
    max_ns: AtomicU64,
}

/// Counts of node events, by event and node, and the time the notifier spent on each kind.
pub(crate) struct EventCounts {
    counts: KVec<PerNodeCounter>,
    times: [AtomicEventTimes; NodeEvent::ALL.len()],
}

impl EventCounts {
    /// All zero.
    pub(crate) fn new(flags: kernel::alloc::Flags) -> Result<Self> {
        let mut counts = KVec::with_capacity(NodeEvent::ALL.len(), flags)?;
        for _ in NodeEvent::ALL {
            counts.push(PerNodeCounter::new(flags)?, flags)?;
        }
        Ok(Self {
            counts,
            times: Default::default(),
        })
    }

    /// Records that handling one `event` took `ns` nanoseconds.
    pub(crate) fn record_time(&self, event: NodeEvent, ns: u64) {
        let t = &self.times[event.index()];
        t.handled.fetch_add(1, Ordering::Relaxed);
        t.last_ns.store(ns, Ordering::Relaxed);
        t.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// How often `event` was handled, and how long the last and the slowest took.
    pub(crate) fn times(&self, event: NodeEvent) -> EventTimes {
        let t = &self.times[event.index()];
        EventTimes {
            handled: t.handled.load(Ordering::Relaxed),
            last_ns: t.last_ns.load(Ordering::Relaxed),
            max_ns: t.max_ns.load(Ordering::Relaxed),
        }
    }

    /// The counter of `event`.
    pub(crate) fn of(&self, event: NodeEvent) -> &PerNodeCounter {
        // One counter per event, indexed by `NodeEvent::index`.
        &self.counts[event.index()]
    }
}
