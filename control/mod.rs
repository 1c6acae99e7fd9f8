// SPDX-License-Identifier: GPL-2.0

//! Test and demo controls in debugfs, in the test build only (`make RSH_TEST=1`), root only:
//! `/sys/kernel/debug/rust_slab_hp/`.
//!
//! `control` takes one command per write:
//!
//! ```text
//! create  <name> <size> <align> [FZP]      a cache (EEXIST if the name is taken), with the
//!                                          debug checks named (`crate::slab`, "Debug mode")
//! destroy <name>                           a cache and every object kept in it
//! alloc   <cache> <node|any|cpu> <n> [strict]
//!                                          n objects, kept by the module, each filled with a
//!                                          pattern derived from its address; a node without
//!                                          usable memory falls back unless strict (ENOMEM);
//!                                          `cpu`: through the CPU's stash (the fast path)
//! free    <cache> <node|any> <n|all>       kept objects of the cache on that node
//! shrink  <cache|all>                      give empty slabs back
//! verify  [cache]                          check every kept object's pattern and node (EIO)
//! churn   <cache> <n> [node]               n allocations through the fast path (of the CPU,
//!                                          or of the node: exact, ENOMEM if it cannot be),
//!                                          each filled, checked (and its node) and freed in
//!                                          FIFO order (EIO)
//! bench   <workload> <size> <iters> <reps> the benchmark against SLUB (crate::bench)
//! statread <cache> <idle|locked> <n>       time n statistics renders (crate::bench)
//! hold_stash <cache> <ms>                  hold the CPU's stash of the cache for ms
//!                                          milliseconds, asleep: a holder that is not running
//! skip_adding <node>                       the node's next NODE_ADDING_FIRST_MEMORY is not
//!                                          handled, as if the module were loaded between it
//!                                          and NODE_ADDED_FIRST_MEMORY
//! hold_event <ms>                          the next node event holds the registry mutex (and
//!                                          the hotplug core's locks) for ms (0..=10000; 0
//!                                          cancels)
//! locked_read <cache>                      waits for memory hotplug as a reader under
//!                                          get_online_mems() does, then renders every
//!                                          statistics file of the cache
//! corrupt_freeptr <cache>                  a use-after-free write: allocates an object in the
//!                                          slab of the last kept object of the cache, frees
//!                                          it and overwrites its free pointer with that kept
//!                                          object's address (EINVAL if none is kept); only
//!                                          where CONFIG_SLAB_FREELIST_HARDENED makes that
//!                                          write harmless
//! bad_free <cache> <kind>                  gives the cache back a pointer that is not an
//!                                          allocated object of it, through the raw-pointer
//!                                          free (`Cache::free_raw`); fails with what that
//!                                          returned (EINVAL when refused): see
//!                                          [`harden::BadFreeKind`]
//! debugcheck <cache> <check>              a write the debug mode catches: `overrun <n>`,
//!                                          `underrun <n>` (n bytes, 1..=8, next to an
//!                                          object, then freed) or `uaf` (a byte into a
//!                                          freed object, then a slab's worth allocated);
//!                                          one line says what became of it
//!                                          ([`harden::debug_check`])
//! zerocheck <cache> <api> <n>              whether freed objects' contents reach their next
//!                                          users ([`zerocheck`]); api: fast, slow, node<N>,
//!                                          or one of them with a z in front (zeroing); n:
//!                                          1..=2048
//! ```
//!
//! A malformed or out-of-range command (unknown cache, node >= nr_node_ids, n = 0 or above
//! [`parse::MAX_COUNT`], more objects to free than are kept, stray words, bytes that are not
//! printable ASCII) fails with `EINVAL` and changes nothing. An `alloc` that cannot be
//! satisfied (`ENOMEM`), or that would keep more than [`kept::KEPT_LIMIT_BYTES`] (`ENOSPC`),
//! is undone entirely. Reading `control` shows this help; reading `objects` shows the kept
//! objects, per cache and node, in the stats' format; `bench` the benchmark results so far;
//! `timings` how long the node notifier took per event; `object_slots` each kept object's
//! index in its slab, per cache in the order they were allocated; `hardening` which of SLUB's
//! optional protections the module was built with. The other files refuse writes (`EINVAL`).
//!
//! Layout: [`parse`] turns a line into a [`parse::Command`]; [`kept`] owns the kept objects
//! and their lock; this file dispatches, each command a short call into a helper that takes
//! its own locks (their order is in [`crate::registry`]).

pub(crate) mod harden;
mod kept;
mod parse;
mod zerocheck;

use crate::{
    cache::CacheName,
    ffi::notifier::NodeEvent,
    ffi::{debugfs::DebugfsFile, debugfs::DebugfsFiles, hotplug::wait_for_mem_hotplug},
    registry::Registry,
};
use core::fmt::Write;
use kept::KeptObjects;
use kernel::{
    c_str, new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};
use parse::{Command, HELP};

/// The controls' state.
#[pin_data]
pub(crate) struct Control {
    registry: Arc<Registry>,
    #[pin]
    kept: KeptObjects,
    /// Benchmark results so far, as text. A leaf lock: only appended to and read, with nothing
    /// else held or taken under it (a benchmark runs into a buffer of its own first).
    #[pin]
    results: Mutex<KVec<u8>>,
}

impl Control {
    /// Controls acting on `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                registry,
                kept <- KeptObjects::new(),
                results <- new_mutex!(KVec::new(), "rust_slab_hp::Control::results"),
            }),
            GFP_KERNEL,
        )
    }

    /// Runs one command.
    fn run(&self, cmd: Command) -> Result {
        let registry = &*self.registry;
        match cmd {
            Command::Create(spec) => registry.create(&spec).map(drop),
            Command::Destroy(name) => self.kept.destroy_cache(registry, &name),
            Command::Alloc {
                cache,
                node,
                count,
                strict,
            } => self
                .kept
                .alloc(&registry.find(&cache)?, node, count, strict),
            Command::Free { cache, node, count } => {
                self.kept.free(&registry.find(&cache)?, node, count)
            }
            Command::Shrink(name) => self.shrink(name.as_ref()),
            Command::Verify(name) => {
                if let Some(name) = &name {
                    registry.find(name)?;
                }
                self.kept.verify(name.as_ref())
            }
            Command::Churn(name, n, node) => kept::churn(&*registry.find(&name)?, n, node),
            Command::HoldStash(name, ms) => {
                registry.find(&name)?.hold_cpu_stash(ms);
                Ok(())
            }
            Command::SkipAdding(nid) => {
                registry.skip_next_adding(nid);
                Ok(())
            }
            Command::HoldEvent(ms) => {
                crate::testing::hold_next_event(ms);
                Ok(())
            }
            #[cfg(CONFIG_SLAB_FREELIST_HARDENED)]
            Command::CorruptFreeptr(name) => self.kept.corrupt_freeptr(&registry.find(&name)?),
            Command::BadFree(name, kind) => {
                harden::bad_free(registry, &registry.find(&name)?, kind)
            }
            Command::LockedRead(name) => {
                // Waits before anything else (the registry mutex is taken by `find` only once
                // the wait is over), so what this waits for is `mem_hotplug_lock` alone.
                wait_for_mem_hotplug();
                crate::sysfs::render_all(&registry.find(&name)?)
            }
            Command::DebugCheck(name, check) => harden::debug_check(&*registry.find(&name)?, check),
            Command::ZeroCheck(name, check, n) => zerocheck::run(&*registry.find(&name)?, check, n),
            #[cfg(not(rsh_legacy))]
            Command::Bench {
                workload,
                name,
                size,
                iters,
                reps,
            } => {
                let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
                self.record(|out| {
                    crate::bench::run(registry, &name[..len], workload, size, iters, reps, out)
                })
            }
            #[cfg(not(rsh_legacy))]
            Command::StatRead(name, locked, n) => {
                let cache = registry.find(&name)?;
                let tag: &[u8] = if locked { b"_locked" } else { b"" };
                self.record(|out| crate::bench::statread(&cache, locked, n, tag, out))
            }
        }
    }

    /// Shrinks cache `name`, or every cache.
    fn shrink(&self, name: Option<&CacheName>) -> Result {
        match name {
            Some(name) => drop(self.registry.find(name)?.shrink()),
            None => {
                for c in self.registry.caches()?.iter() {
                    c.shrink();
                }
            }
        }
        Ok(())
    }

    /// Runs `f` with a text buffer of its own and appends what it wrote to the results, so
    /// that no lock is held while it runs (a benchmark creates caches and waits for memory
    /// hotplug).
    #[cfg(not(rsh_legacy))]
    fn record(&self, f: impl FnOnce(&mut KVecWriter<'_>) -> Result) -> Result {
        let mut text = KVec::new();
        let result = f(&mut KVecWriter(&mut text));
        self.results.lock().extend_from_slice(&text, GFP_KERNEL)?;
        result
    }

    /// Renders how long the node notifier took per event.
    fn render_timings(&self, out: &mut KVec<u8>) -> Result {
        let mut w = KVecWriter(out);
        for event in NodeEvent::ALL {
            let t = self.registry.events().times(event);
            writeln!(
                w,
                "{} count={} last_ns={} max_ns={}",
                event.name(),
                t.handled,
                t.last_ns,
                t.max_ns
            )
            .map_err(|_| ENOMEM)?;
        }
        Ok(())
    }
}

/// `core::fmt::Write` into a `KVec<u8>`.
pub(crate) struct KVecWriter<'a>(&'a mut KVec<u8>);

impl Write for KVecWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

impl DebugfsFiles for Control {
    const FILES: &'static [DebugfsFile<Self>] = &[
        DebugfsFile {
            name: c_str!("control"),
            mode: 0o600,
            read: |_, out| Ok(out.extend_from_slice(HELP.as_bytes(), GFP_KERNEL)?),
            write: Some(|c, line| c.run(Command::parse(line)?)),
        },
        DebugfsFile {
            name: c_str!("objects"),
            mode: 0o400,
            read: |c, out| c.kept.render(&mut KVecWriter(out)),
            write: None,
        },
        DebugfsFile {
            name: c_str!("bench"),
            mode: 0o400,
            read: |c, out| Ok(out.extend_from_slice(&c.results.lock(), GFP_KERNEL)?),
            write: None,
        },
        DebugfsFile {
            name: c_str!("timings"),
            mode: 0o400,
            read: |c, out| c.render_timings(out),
            write: None,
        },
        DebugfsFile {
            name: c_str!("object_slots"),
            mode: 0o400,
            read: |c, out| c.kept.render_slots(&mut KVecWriter(out)),
            write: None,
        },
        DebugfsFile {
            name: c_str!("hardening"),
            mode: 0o400,
            read: |_, out| harden::render(&mut KVecWriter(out)),
            write: None,
        },
    ];
}
