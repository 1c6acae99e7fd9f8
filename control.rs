// SPDX-License-Identifier: GPL-2.0

//! Test and demo controls in debugfs (root only): `/sys/kernel/debug/rust_slab_hp/`.
//!
//! `control` takes one command per write:
//!
//! ```text
//! create  <name> <size> <align>            a cache (EEXIST if the name is taken)
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
//! hold_stash <cache> <ms>                  TEST ONLY: hold the CPU's stash of the cache for ms
//!                                          milliseconds, asleep: a holder that is not running
//! skip_adding <node>                       TEST ONLY: the node's next NODE_ADDING_FIRST_MEMORY
//!                                          is not handled, as if the module were loaded
//!                                          between it and NODE_ADDED_FIRST_MEMORY
//! hold_event <ms>                          TEST ONLY: the next node event holds the registry
//!                                          mutex (and the hotplug core's locks) for ms
//!                                          (0..=10000; 0 cancels)
//! locked_read <cache>                      TEST ONLY: waits for memory hotplug as a reader
//!                                          under get_online_mems() does, then renders every
//!                                          statistics file of the cache
//! ```
//!
//! A malformed or out-of-range command (unknown cache, node >= nr_node_ids, n = 0 or above
//! [`MAX_COUNT`], more objects to free than are kept, stray words, bytes that are not
//! printable ASCII) fails with `EINVAL` and changes nothing. An `alloc` that cannot be
//! satisfied (`ENOMEM`), or that would keep more than [`KEPT_LIMIT_BYTES`] (`ENOSPC`), is
//! undone entirely. Reading `control` shows this help; reading `objects` shows the kept
//! objects, per cache and node, in the stats' format; `bench` the benchmark results so far;
//! `timings` how long the node notifier took per event.

#[cfg(not(rsh_legacy))]
use crate::bench::Workload;
#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::{parse_usize, Cache, CacheName, CacheSpec, NodeRequest, Object},
    ffi::{
        debugfs::DebugfsFiles,
        hotplug::wait_for_mem_hotplug,
        nodes::{nr_node_ids, NodeId},
        notifier::NodeEvent,
    },
    registry::Registry,
};
use core::fmt::Write;
use kernel::{
    c_str, new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

/// The most objects one command may allocate or free.
pub(crate) const MAX_COUNT: usize = 65536;

/// The most object bytes the controls keep at once, so that no command can exhaust the
/// machine.
pub(crate) const KEPT_LIMIT_BYTES: usize = 192 << 20;

const HELP: &str = "\
create  <name> <size> <align>
destroy <name>
alloc   <cache> <node|any|cpu> <n> [strict]
free    <cache> <node|any> <n|all>
shrink  <cache|all>
verify  [cache]
churn   <cache> <n> [node]
bench   <pair|batch64|batch4096|pair2|cross|remote<node>> <size> <iters> <reps>
statread <cache> <idle|locked> <n>
hold_stash <cache> <ms>
skip_adding <node>
hold_event <ms>
locked_read <cache>
";

/// The longest `hold_event`, in milliseconds: well below the hung-task detector's 60 s.
const MAX_HOLD_MS: usize = 10_000;

/// A node argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NodeArg {
    Any,
    /// Whatever node the CPU stash's objects are on (`alloc` only).
    Cpu,
    Node(NodeId),
}

/// A parsed command.
enum Command {
    Create(CacheSpec),
    Destroy(CacheName),
    Alloc {
        cache: CacheName,
        node: NodeArg,
        count: usize,
        strict: bool,
    },
    Free {
        cache: CacheName,
        node: NodeArg,
        count: Option<usize>,
    },
    Shrink(Option<CacheName>),
    Verify(Option<CacheName>),
    Churn(CacheName, usize, Option<NodeId>),
    SkipAdding(NodeId),
    HoldStash(CacheName, u32),
    // The benchmark needs kernel threads and completions: 7.x only.
    #[cfg(not(rsh_legacy))]
    Bench {
        workload: Workload,
        name: [u8; 16],
        size: usize,
        iters: usize,
        reps: usize,
    },
    #[cfg(not(rsh_legacy))]
    StatRead(CacheName, bool, usize),
    HoldEvent(u32),
    LockedRead(CacheName),
}

fn parse_node(word: &[u8]) -> Result<NodeArg> {
    if word == b"any" {
        return Ok(NodeArg::Any);
    }
    let n = parse_usize(word)?;
    NodeId::new(n as u64).map(NodeArg::Node).ok_or(EINVAL)
}

fn parse_count(word: &[u8]) -> Result<usize> {
    match parse_usize(word)? {
        n @ 1..=MAX_COUNT => Ok(n),
        _ => Err(EINVAL),
    }
}

impl Command {
    /// Parses one command line; a single trailing newline is allowed.
    fn parse(line: &[u8]) -> Result<Self> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if !line.iter().all(|&c| c == b' ' || c.is_ascii_graphic()) {
            return Err(EINVAL);
        }
        let mut words = line.split(|&c| c == b' ').filter(|w| !w.is_empty());
        let mut args: [&[u8]; 6] = [b""; 6];
        let mut n = 0;
        for w in &mut words {
            *args.get_mut(n).ok_or(EINVAL)? = w;
            n += 1;
        }
        let cmd = match (args[0], n) {
            (b"create", 4) => {
                let mut spec = [0u8; crate::cache::MAX_NAME + 2 * 20 + 2];
                let text = join_spec(&mut spec, args[1], args[2], args[3])?;
                Self::Create(CacheSpec::parse(text)?)
            }
            (b"destroy", 2) => Self::Destroy(CacheName::new(args[1])?),
            (b"alloc", 4 | 5) => {
                let strict = match (n, args[4]) {
                    (4, _) => false,
                    (5, b"strict") => true,
                    _ => return Err(EINVAL),
                };
                let node = match args[2] {
                    b"cpu" => NodeArg::Cpu,
                    word => parse_node(word)?,
                };
                // Only a given node can be strict.
                if strict && !matches!(node, NodeArg::Node(_)) {
                    return Err(EINVAL);
                }
                Self::Alloc {
                    cache: CacheName::new(args[1])?,
                    node,
                    count: parse_count(args[3])?,
                    strict,
                }
            }
            (b"free", 4) => Self::Free {
                cache: CacheName::new(args[1])?,
                node: parse_node(args[2])?,
                count: if args[3] == b"all" {
                    None
                } else {
                    Some(parse_count(args[3])?)
                },
            },
            (b"hold_stash", 3) => Self::HoldStash(
                CacheName::new(args[1])?,
                match parse_usize(args[2])? {
                    ms @ 1..=10_000 => ms as u32,
                    _ => return Err(EINVAL),
                },
            ),
            (b"skip_adding", 2) => match parse_node(args[1])? {
                NodeArg::Node(nid) => Self::SkipAdding(nid),
                _ => return Err(EINVAL),
            },
            (b"shrink", 2) if args[1] == b"all" => Self::Shrink(None),
            (b"shrink", 2) => Self::Shrink(Some(CacheName::new(args[1])?)),
            (b"verify", 1) => Self::Verify(None),
            (b"verify", 2) => Self::Verify(Some(CacheName::new(args[1])?)),
            (b"churn", 3 | 4) => Self::Churn(
                CacheName::new(args[1])?,
                parse_count(args[2])?,
                match (n, parse_node(args[3])) {
                    (3, _) => None,
                    (_, Ok(NodeArg::Node(nid))) => Some(nid),
                    _ => return Err(EINVAL),
                },
            ),
            #[cfg(not(rsh_legacy))]
            (b"bench", 5) => {
                let mut name = [0u8; 16];
                name.get_mut(..args[1].len())
                    .ok_or(EINVAL)?
                    .copy_from_slice(args[1]);
                Self::Bench {
                    workload: Workload::parse(args[1])?,
                    name,
                    size: parse_usize(args[2])?,
                    iters: parse_usize(args[3])?,
                    reps: parse_usize(args[4])?,
                }
            }
            #[cfg(not(rsh_legacy))]
            (b"statread", 4) => Self::StatRead(
                CacheName::new(args[1])?,
                match args[2] {
                    b"idle" => false,
                    b"locked" => true,
                    _ => return Err(EINVAL),
                },
                parse_usize(args[3])?,
            ),
            (b"hold_event", 2) => match parse_usize(args[1])? {
                // At most `MAX_HOLD_MS`, a `u32`.
                ms @ 0..=MAX_HOLD_MS => Self::HoldEvent(ms as u32),
                _ => return Err(EINVAL),
            },
            (b"locked_read", 2) => Self::LockedRead(CacheName::new(args[1])?),
            _ => return Err(EINVAL),
        };
        Ok(cmd)
    }
}

/// Builds `name:size:align` in `buf` for [`CacheSpec::parse`].
fn join_spec<'a>(buf: &'a mut [u8], name: &[u8], size: &[u8], align: &[u8]) -> Result<&'a [u8]> {
    let mut len = 0;
    for (i, part) in [name, size, align].into_iter().enumerate() {
        if i > 0 {
            *buf.get_mut(len).ok_or(EINVAL)? = b':';
            len += 1;
        }
        buf.get_mut(len..len + part.len())
            .ok_or(EINVAL)?
            .copy_from_slice(part);
        len += part.len();
    }
    Ok(&buf[..len])
}

/// The pattern word for offset `i` of the object at `addr`.
fn pattern(addr: usize, i: usize) -> u64 {
    ((addr + i) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xa5a5_5a5a_c3c3_3c3c
}

/// Fills an object with its pattern.
fn fill(bytes: &mut [u8], addr: usize) {
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = pattern(addr, i * 8).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// Whether an object still holds its pattern.
fn intact(bytes: &[u8], addr: usize) -> bool {
    bytes
        .chunks(8)
        .enumerate()
        .all(|(i, chunk)| chunk == &pattern(addr, i * 8).to_le_bytes()[..chunk.len()])
}

/// An object the controls keep, the node its slab is on, and the node it had to be on.
struct KeptObject {
    obj: Object,
    nid: NodeId,
    exact: Option<NodeId>,
}

/// The objects kept in one cache.
struct Kept {
    cache: Arc<Cache>,
    objs: KVVec<KeptObject>,
}

impl Kept {
    fn bytes(&self) -> usize {
        self.objs.len() * self.cache.geometry().object_size
    }

    /// Gives every object back; used when the cache or the module goes away.
    fn release_all(&mut self) {
        while let Some(k) = self.objs.pop() {
            if let Err((e, obj)) = self.cache.free(k.obj) {
                // Cannot happen: kept objects always come from `self.cache`. Leak it loudly
                // rather than lose track of what it is.
                pr_err!(
                    "{}: cannot free kept object ({:?})\n",
                    self.cache.name().as_str(),
                    e
                );
                obj.leak();
            }
        }
    }
}

/// The controls' state.
#[pin_data(PinnedDrop)]
pub(crate) struct Control {
    registry: Arc<Registry>,
    #[pin]
    kept: Mutex<KVec<Kept>>,
    /// Benchmark results so far, as text.
    #[pin]
    results: Mutex<KVec<u8>>,
}

impl Control {
    /// Controls acting on `registry`.
    pub(crate) fn new(registry: Arc<Registry>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                registry,
                kept <- new_mutex!(KVec::new(), "rust_slab_hp::Control::kept"),
                results <- new_mutex!(KVec::new(), "rust_slab_hp::Control::results"),
            }),
            GFP_KERNEL,
        )
    }

    fn run(&self, cmd: Command) -> Result {
        let mut kept = self.kept.lock();
        match cmd {
            Command::Create(spec) => self.registry.create(&spec).map(drop),
            Command::Destroy(name) => {
                self.registry.find(&name)?;
                if let Some(i) = kept.iter().position(|k| k.cache.name() == &name) {
                    if let Ok(mut k) = kept.remove(i) {
                        k.release_all();
                    }
                }
                self.registry.destroy(&name)
            }
            Command::Alloc {
                cache,
                node,
                count,
                strict,
            } => {
                let cache = self.registry.find(&cache)?;
                let used: usize = kept.iter().map(Kept::bytes).sum();
                let size = cache.geometry().object_size;
                if used + count * size > KEPT_LIMIT_BYTES {
                    return Err(ENOSPC);
                }
                let i = match kept.iter().position(|k| Arc::ptr_eq(&k.cache, &cache)) {
                    Some(i) => i,
                    None => {
                        kept.push(
                            Kept {
                                cache: cache.clone(),
                                objs: KVVec::new(),
                            },
                            GFP_KERNEL,
                        )?;
                        kept.len() - 1
                    }
                };
                let req = match (node, strict) {
                    (NodeArg::Any, _) => Some(NodeRequest::Any),
                    (NodeArg::Cpu, _) => None,
                    (NodeArg::Node(n), true) => Some(NodeRequest::Exact(n)),
                    (NodeArg::Node(n), false) => Some(NodeRequest::Prefer(n)),
                };
                Self::alloc_n(&mut kept[i], req, count)
            }
            Command::Free { cache, node, count } => {
                let cache = self.registry.find(&cache)?;
                let Some(k) = kept.iter_mut().find(|k| Arc::ptr_eq(&k.cache, &cache)) else {
                    return if count.is_none() { Ok(()) } else { Err(EINVAL) };
                };
                Self::free_n(k, node, count)
            }
            Command::Shrink(name) => {
                drop(kept);
                match name {
                    Some(name) => {
                        self.registry.find(&name)?.shrink();
                    }
                    None => {
                        for c in self.registry.caches()?.iter() {
                            c.shrink();
                        }
                    }
                }
                Ok(())
            }
            Command::Verify(name) => {
                if let Some(name) = &name {
                    self.registry.find(name)?;
                }
                let (mut checked, mut bad) = (0usize, 0usize);
                for k in kept.iter_mut() {
                    if name.as_ref().is_some_and(|n| n != k.cache.name()) {
                        continue;
                    }
                    for ko in k.objs.iter_mut() {
                        let addr = ko.obj.addr();
                        // Read from the slab again: where the object really is.
                        let nid = k.cache.nid_of(&ko.obj).unwrap_or(ko.nid);
                        // (Not `is_none_or`: 6.12's MSRV is 1.78.)
                        let exact_ok = match ko.exact {
                            Some(n) => n == nid,
                            None => true,
                        };
                        let ok_node = nid == ko.nid && exact_ok;
                        let ok = ok_node
                            && k.cache
                                .object_bytes(&mut ko.obj)
                                .is_ok_and(|b| intact(b, addr));
                        checked += 1;
                        if !ok {
                            bad += 1;
                            if bad <= 5 {
                                pr_err!(
                                    "verify: {}: object on node {} corrupted or misplaced\n",
                                    k.cache.name().as_str(),
                                    nid.index()
                                );
                            }
                        }
                    }
                }
                pr_info!("verify: {} objects checked, {} bad\n", checked, bad);
                if bad == 0 {
                    Ok(())
                } else {
                    Err(EIO)
                }
            }
            Command::HoldStash(name, ms) => {
                drop(kept);
                self.registry.find(&name)?.hold_cpu_stash(ms);
                Ok(())
            }
            Command::SkipAdding(nid) => {
                self.registry.skip_next_adding(nid);
                Ok(())
            }
            Command::Churn(name, n, node) => {
                drop(kept);
                Self::churn(&*self.registry.find(&name)?, n, node)
            }
            #[cfg(not(rsh_legacy))]
            Command::Bench {
                workload,
                name,
                size,
                iters,
                reps,
            } => {
                drop(kept);
                let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
                let mut out = self.results.lock();
                crate::bench::run(
                    &self.registry,
                    &name[..len],
                    workload,
                    size,
                    iters,
                    reps,
                    &mut KVecWriter(&mut out),
                )
            }
            #[cfg(not(rsh_legacy))]
            Command::StatRead(name, locked, n) => {
                drop(kept);
                let cache = self.registry.find(&name)?;
                let tag: &[u8] = if locked { b"_locked" } else { b"" };
                let mut out = self.results.lock();
                crate::bench::statread(&cache, locked, n, tag, &mut KVecWriter(&mut out))
            }
            Command::HoldEvent(ms) => {
                drop(kept);
                crate::notifier::hold_next_event(ms);
                Ok(())
            }
            Command::LockedRead(name) => {
                drop(kept);
                // Waits before anything else (the registry mutex is taken by `find` only once
                // the wait is over), so what this waits for is `mem_hotplug_lock` alone.
                wait_for_mem_hotplug();
                crate::sysfs::render_all(&self.registry.find(&name)?)
            }
        }
    }

    /// `n` allocations through the fast path (node `node`'s, if given), each filled with its
    /// pattern and freed (fast path too) once 128 newer ones exist, after its pattern (and
    /// node) was checked.
    fn churn(cache: &Cache, n: usize, node: Option<NodeId>) -> Result {
        const WINDOW: usize = 128;
        // Checks an object's pattern and node and frees it: whether it was intact.
        let check_and_free = |mut obj: Object| -> bool {
            let addr = obj.addr();
            let placed = match node {
                Some(nid) => cache.nid_of(&obj) == Some(nid),
                None => true,
            };
            let ok = placed && cache.object_bytes(&mut obj).is_ok_and(|b| intact(b, addr));
            if let Err((_, o)) = cache.free_fast(obj) {
                o.leak();
            }
            ok
        };
        let mut window: KVec<Object> = KVec::with_capacity(WINDOW, GFP_KERNEL)?;
        let mut result = Ok(());
        let mut bad = 0usize;
        for i in 0..n {
            let got = match node {
                Some(nid) => cache.alloc_fast_on(nid),
                None => cache.alloc_fast(),
            };
            let mut obj = match got {
                Ok(o) => o,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let addr = obj.addr();
            if let Ok(bytes) = cache.object_bytes(&mut obj) {
                fill(bytes, addr);
            }
            if window.len() == WINDOW {
                // The window is a ring indexed by `i`: this slot holds the oldest object.
                let old = core::mem::replace(&mut window[i % WINDOW], obj);
                bad += usize::from(!check_and_free(old));
            } else {
                // Room: the window holds at most `WINDOW` objects.
                let _ = window.push_within_capacity(obj);
            }
        }
        while let Some(obj) = window.pop() {
            bad += usize::from(!check_and_free(obj));
        }
        if bad != 0 {
            pr_err!(
                "churn: {}: {} objects corrupted\n",
                cache.name().as_str(),
                bad
            );
            return Err(EIO);
        }
        result
    }

    /// Allocates `count` objects into `k`, all or nothing: as `req` asks, or through the CPU's
    /// stash if `None`.
    fn alloc_n(k: &mut Kept, req: Option<NodeRequest>, count: usize) -> Result {
        let exact = match req {
            Some(NodeRequest::Exact(n)) => Some(n),
            _ => None,
        };
        k.objs.reserve(count, GFP_KERNEL)?;
        let start = k.objs.len();
        for _ in 0..count {
            let got = match req {
                Some(req) => k.cache.alloc(req),
                None => k.cache.alloc_fast(),
            };
            match got {
                Ok(mut obj) => {
                    let addr = obj.addr();
                    if let Ok(bytes) = k.cache.object_bytes(&mut obj) {
                        fill(bytes, addr);
                    }
                    let Some(nid) = k.cache.nid_of(&obj) else {
                        // Cannot happen: the object comes from `k.cache`.
                        obj.leak();
                        return Err(EINVAL);
                    };
                    // Room was reserved above.
                    let _ = k.objs.push_within_capacity(KeptObject { obj, nid, exact });
                }
                Err(e) => {
                    while k.objs.len() > start {
                        if let Some(ko) = k.objs.pop() {
                            if let Err((_, obj)) = k.cache.free(ko.obj) {
                                obj.leak();
                            }
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Frees `count` (or all) kept objects of `k` on `node`; `EINVAL`, changing nothing, if
    /// fewer are kept there.
    fn free_n(k: &mut Kept, node: NodeArg, count: Option<usize>) -> Result {
        let on_node = |ko: &KeptObject| match node {
            NodeArg::Any => true,
            NodeArg::Node(n) => ko.nid == n,
            // `free` does not take `cpu`.
            NodeArg::Cpu => false,
        };
        let available = k.objs.iter().filter(|ko| on_node(ko)).count();
        let mut todo = match count {
            Some(n) if n > available => return Err(EINVAL),
            Some(n) => n,
            None => available,
        };
        let mut i = k.objs.len();
        while todo > 0 && i > 0 {
            i -= 1;
            if !on_node(&k.objs[i]) {
                continue;
            }
            let last = k.objs.len() - 1;
            k.objs.swap(i, last);
            if let Some(ko) = k.objs.pop() {
                if let Err((e, obj)) = k.cache.free(ko.obj) {
                    pr_err!(
                        "{}: cannot free kept object ({:?})\n",
                        k.cache.name().as_str(),
                        e
                    );
                    obj.leak();
                }
            }
            todo -= 1;
        }
        Ok(())
    }

    /// Renders the kept objects: `<cache> <total> N<node>=<n>...` per cache that keeps any.
    fn render_objects(&self, out: &mut KVec<u8>) -> Result {
        let kept = self.kept.lock();
        let mut w = KVecWriter(out);
        for k in kept.iter().filter(|k| !k.objs.is_empty()) {
            let mut per_node = KVec::with_capacity(nr_node_ids(), GFP_KERNEL)?;
            for nid in NodeId::all() {
                let n = k.objs.iter().filter(|ko| ko.nid == nid).count();
                per_node.push((nid, n), GFP_KERNEL)?;
            }
            write!(w, "{} {}", k.cache.name().as_str(), k.objs.len()).map_err(|_| ENOMEM)?;
            for (nid, n) in per_node.iter().filter(|(_, n)| *n != 0) {
                write!(w, " N{}={}", nid, n).map_err(|_| ENOMEM)?;
            }
            writeln!(w).map_err(|_| ENOMEM)?;
        }
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for Control {
    fn drop(self: Pin<&mut Self>) {
        // Unloading with live objects: give them all back before the caches go.
        for k in self.kept.lock().iter_mut() {
            k.release_all();
        }
    }
}

/// `core::fmt::Write` into a `KVec<u8>`.
struct KVecWriter<'a>(&'a mut KVec<u8>);

impl Write for KVecWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

impl DebugfsFiles for Control {
    const FILES: &'static [(&'static CStr, u16)] = &[
        (c_str!("control"), 0o600),
        (c_str!("objects"), 0o400),
        (c_str!("bench"), 0o400),
        (c_str!("timings"), 0o400),
    ];

    fn write(&self, file: usize, input: &[u8]) -> Result {
        if file != 0 {
            return Err(EINVAL);
        }
        self.run(Command::parse(input)?)
    }

    fn read(&self, file: usize, out: &mut KVec<u8>) -> Result {
        match file {
            0 => Ok(out.extend_from_slice(HELP.as_bytes(), GFP_KERNEL)?),
            1 => self.render_objects(out),
            2 => Ok(out.extend_from_slice(&self.results.lock(), GFP_KERNEL)?),
            3 => {
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
            _ => Err(EINVAL),
        }
    }
}
