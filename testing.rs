// SPDX-License-Identifier: GPL-2.0

//! The test build's machinery (`make RSH_TEST=1`, which `make test`, `make demo`, `make bench`
//! and `make soak` use); none of it is in the production module `make` builds:
//!
//! - the module parameters `reproduce_offline_uaf` and `stats_read_delay_ms`;
//! - the debugfs controls ([`crate::control`]): caches created and destroyed, objects kept and
//!   checked, and the knobs tests need (`hold_stash`, `skip_adding`, `hold_event`,
//!   `locked_read`, `zerocheck`);
//! - the benchmark against SLUB ([`crate::bench`], 7.x);
//! - the KUnit tests of the pure logic (`#[kunit_tests]`, 7.x).
//!
//! Each knob is off by default and says so in the log when it is on.

#[cfg(CONFIG_DEBUG_FS)]
use crate::{control::Control, ffi::debugfs::DebugfsDir};
use crate::{
    ffi::{msleep, nodes::NodeId, notifier::NodeEvent, param::module_param},
    registry::Registry,
};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{prelude::*, sync::Arc};

module_param!(REPRODUCE_OFFLINE_UAF: bool = false, name: "reproduce_offline_uaf",
    desc: "TEST ONLY: reproduce the pre-5.12 SLUB bug: free node metadata when a node loses its last memory, so concurrent stats reads use freed memory (default: off)");

module_param!(STATS_READ_DELAY_MS: uint(1000) = 0, name: "stats_read_delay_ms",
    desc: "TEST ONLY: stats reads hold each node pointer this many ms before using it, widening the window of a race with offline (0..1000, default: 0)");

/// Whether node metadata is freed on `NODE_REMOVED_LAST_MEMORY`, as before Linux 5.12.
pub(crate) fn reproduce_offline_uaf() -> bool {
    REPRODUCE_OFFLINE_UAF.get()
}

/// How long a statistics read holds each node pointer before using it, in milliseconds.
pub(crate) fn stats_read_delay_ms() -> u32 {
    STATS_READ_DELAY_MS.get()
}

/// Milliseconds the next node event holds the registry mutex; 0 (the default) for none. Set by
/// the `hold_event` control, consumed by the event.
static HOLD_NEXT_EVENT_MS: AtomicU32 = AtomicU32::new(0);

/// Makes the next node event hold the registry mutex (and, around it, the hotplug core's
/// locks) for `ms` milliseconds; 0 cancels. For a test that shows statistics reads wait for
/// none of them.
pub(crate) fn hold_next_event(ms: u32) {
    HOLD_NEXT_EVENT_MS.store(ms, Ordering::Relaxed);
}

/// Sleeps as long as [`hold_next_event`] asked, once; the node notifier calls this with the
/// registry mutex held.
pub(crate) fn hold_if_asked(event: NodeEvent, nid: NodeId) {
    let hold = HOLD_NEXT_EVENT_MS.swap(0, Ordering::Relaxed);
    if hold != 0 {
        pr_info!(
            "node {}: {}: holding the registry mutex for {} ms (test only)\n",
            nid.index(),
            event.name(),
            hold
        );
        msleep(hold);
        pr_info!("node {}: {}: hold over\n", nid.index(), event.name());
    }
}

/// What the test build adds to a loaded module: the controls' directory, where debugfs is.
pub(crate) struct Testing {
    #[cfg(CONFIG_DEBUG_FS)]
    _control: Option<DebugfsDir<Control>>,
}

impl Testing {
    /// Says which knobs are on and creates the controls for `registry`, if debugfs allows.
    pub(crate) fn init(registry: &Arc<Registry>) -> Result<Self> {
        if reproduce_offline_uaf() {
            pr_warn!("reproduce_offline_uaf=1: node metadata is FREED on offline; stats reads may use freed memory (test only)\n");
        }
        if stats_read_delay_ms() != 0 {
            pr_warn!(
                "stats_read_delay_ms={}: stats reads hold node pointers that long (test only)\n",
                stats_read_delay_ms()
            );
        }
        #[cfg(CONFIG_DEBUG_FS)]
        {
            let control = Control::new(registry.clone())?;
            let dir = match DebugfsDir::new(kernel::c_str!("rust_slab_hp"), control) {
                Ok(dir) => Some(dir),
                Err(e) => {
                    pr_warn!(
                        "test build: no debugfs directory ({:?}; booted with debugfs=off?): the test controls are not available\n",
                        e
                    );
                    None
                }
            };
            Ok(Self { _control: dir })
        }
        #[cfg(not(CONFIG_DEBUG_FS))]
        {
            let _ = registry;
            pr_warn!("test build on a kernel without CONFIG_DEBUG_FS: the test controls are not available\n");
            Ok(Self {})
        }
    }
}
