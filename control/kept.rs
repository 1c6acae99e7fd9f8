// SPDX-License-Identifier: GPL-2.0

//! The objects the controls keep, each filled with a pattern derived from its address, and the
//! fast-path churn that checks objects the same way.

#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::{Cache, NodeRequest, Object},
    control::parse::NodeArg,
    ffi::nodes::{nr_node_ids, NodeId},
    registry::Registry,
};
use core::fmt::Write;
use kernel::{
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

/// The most object bytes the controls keep at once, so that no command can exhaust the
/// machine.
pub(crate) const KEPT_LIMIT_BYTES: usize = 192 << 20;

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

/// Sorts `a` in place, in O(n log n) with no allocation: a heapsort, since core's sorts
/// bring code objtool cannot follow.
fn heapsort(a: &mut [usize]) {
    // Moves `a[root]` down the max-heap `a[..end]` to where it belongs.
    fn sift_down(a: &mut [usize], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && a[child] < a[child + 1] {
                child += 1;
            }
            if a[root] >= a[child] {
                return;
            }
            a.swap(root, child);
            root = child;
        }
    }
    let n = a.len();
    for root in (0..n / 2).rev() {
        sift_down(a, root, n);
    }
    for end in (1..n).rev() {
        a.swap(0, end);
        sift_down(a, 0, end);
    }
}

/// Frees `obj` back to `cache`; one that cannot be freed (it always can: it comes from
/// `cache`) is leaked loudly rather than lost track of.
fn give_back(cache: &Cache, obj: Object) {
    if let Err((e, obj)) = cache.free(obj) {
        pr_err!(
            "{}: cannot free kept object ({:?})\n",
            cache.name().as_str(),
            e
        );
        obj.leak();
    }
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
            give_back(&self.cache, k.obj);
        }
    }

    /// Allocates `count` objects, all or nothing: as `req` asks, or through the CPU's stash if
    /// `None`.
    fn alloc(&mut self, req: Option<NodeRequest>, count: usize) -> Result {
        let exact = match req {
            Some(NodeRequest::Exact(n)) => Some(n),
            _ => None,
        };
        self.objs.reserve(count, GFP_KERNEL)?;
        let start = self.objs.len();
        for _ in 0..count {
            let got = match req {
                Some(req) => self.cache.alloc(req),
                None => self.cache.alloc_fast(),
            };
            let result = got.and_then(|mut obj| {
                let addr = obj.addr();
                if let Ok(bytes) = self.cache.object_bytes(&mut obj) {
                    fill(bytes, addr);
                }
                match self.cache.nid_of(&obj) {
                    Some(nid) => {
                        // Room was reserved above.
                        let _ = self
                            .objs
                            .push_within_capacity(KeptObject { obj, nid, exact });
                        Ok(())
                    }
                    None => {
                        // Cannot happen: the object comes from `self.cache`.
                        obj.leak();
                        Err(EINVAL)
                    }
                }
            });
            if let Err(e) = result {
                while self.objs.len() > start {
                    if let Some(ko) = self.objs.pop() {
                        give_back(&self.cache, ko.obj);
                    }
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Frees `count` (or all) objects on `node`; `EINVAL`, changing nothing, if fewer are
    /// kept there.
    fn free(&mut self, node: NodeArg, count: Option<usize>) -> Result {
        let on_node = |ko: &KeptObject| match node {
            NodeArg::Any => true,
            NodeArg::Node(n) => ko.nid == n,
            // `free` does not take `cpu`.
            NodeArg::Cpu => false,
        };
        let available = self.objs.iter().filter(|ko| on_node(ko)).count();
        let mut todo = match count {
            Some(n) if n > available => return Err(EINVAL),
            Some(n) => n,
            None => available,
        };
        let mut i = self.objs.len();
        while todo > 0 && i > 0 {
            i -= 1;
            if !on_node(&self.objs[i]) {
                continue;
            }
            let last = self.objs.len() - 1;
            self.objs.swap(i, last);
            if let Some(ko) = self.objs.pop() {
                give_back(&self.cache, ko.obj);
            }
            todo -= 1;
        }
        Ok(())
    }

    /// How many kept objects share their address with another: an object handed out twice.
    fn duplicates(&self) -> Result<usize> {
        let mut addrs = KVVec::with_capacity(self.objs.len(), GFP_KERNEL)?;
        for ko in self.objs.iter() {
            addrs.push(ko.obj.addr(), GFP_KERNEL)?;
        }
        heapsort(&mut addrs);
        Ok(addrs.windows(2).filter(|w| w[0] == w[1]).count())
    }

    /// Checks every object's pattern and node, and that no two share an address; returns how
    /// many were checked and how many were bad.
    fn verify(&mut self) -> Result<(usize, usize)> {
        let dup = self.duplicates()?;
        if dup != 0 {
            pr_err!(
                "verify: {}: {} objects handed out twice\n",
                self.cache.name().as_str(),
                dup
            );
        }
        let (mut checked, mut bad) = (0usize, dup);
        for ko in self.objs.iter_mut() {
            let addr = ko.obj.addr();
            // Read from the slab again: where the object really is.
            let nid = self.cache.nid_of(&ko.obj).unwrap_or(ko.nid);
            // (Not `is_none_or`: 6.12's MSRV is 1.78.)
            let exact_ok = match ko.exact {
                Some(n) => n == nid,
                None => true,
            };
            let ok = nid == ko.nid
                && exact_ok
                && self
                    .cache
                    .object_bytes(&mut ko.obj)
                    .is_ok_and(|b| intact(b, addr));
            checked += 1;
            if !ok {
                bad += 1;
                if bad <= 5 {
                    pr_err!(
                        "verify: {}: object on node {} corrupted or misplaced\n",
                        self.cache.name().as_str(),
                        nid.index()
                    );
                }
            }
        }
        Ok((checked, bad))
    }
}

/// Every object the controls keep, by cache.
#[pin_data(PinnedDrop)]
pub(crate) struct KeptObjects {
    /// The lock order is in [`crate::registry`]: this lock comes before the registry mutex
    /// (`destroy` holds it across `Registry::destroy`).
    #[pin]
    kept: Mutex<KVec<Kept>>,
}

impl KeptObjects {
    /// Nothing kept.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            kept <- new_mutex!(KVec::new(), "rust_slab_hp::KeptObjects::kept"),
        })
    }

    /// Allocates and keeps `count` objects of `cache` as `node` and `strict` ask, all or
    /// nothing; `ENOSPC` beyond [`KEPT_LIMIT_BYTES`].
    pub(crate) fn alloc(
        &self,
        cache: &Arc<Cache>,
        node: NodeArg,
        count: usize,
        strict: bool,
    ) -> Result {
        let req = match (node, strict) {
            (NodeArg::Any, _) => Some(NodeRequest::Any),
            (NodeArg::Cpu, _) => None,
            (NodeArg::Node(n), true) => Some(NodeRequest::Exact(n)),
            (NodeArg::Node(n), false) => Some(NodeRequest::Prefer(n)),
        };
        let mut kept = self.kept.lock();
        let used: usize = kept.iter().map(Kept::bytes).sum();
        if used + count * cache.geometry().object_size > KEPT_LIMIT_BYTES {
            return Err(ENOSPC);
        }
        let i = match kept.iter().position(|k| Arc::ptr_eq(&k.cache, cache)) {
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
        kept[i].alloc(req, count)
    }

    /// Frees `count` (or all) kept objects of `cache` on `node`.
    pub(crate) fn free(&self, cache: &Arc<Cache>, node: NodeArg, count: Option<usize>) -> Result {
        let mut kept = self.kept.lock();
        match kept.iter_mut().find(|k| Arc::ptr_eq(&k.cache, cache)) {
            Some(k) => k.free(node, count),
            None if count.is_none() => Ok(()),
            None => Err(EINVAL),
        }
    }

    /// Gives back every object kept in cache `name` and destroys the cache; the objects are
    /// kept until the cache is gone, so no command allocates into it in between.
    pub(crate) fn destroy_cache(
        &self,
        registry: &Registry,
        name: &crate::cache::CacheName,
    ) -> Result {
        let mut kept = self.kept.lock();
        registry.find(name)?;
        if let Some(i) = kept.iter().position(|k| k.cache.name() == name) {
            if let Ok(mut k) = kept.remove(i) {
                k.release_all();
            }
        }
        registry.destroy(name)
    }

    /// Checks every kept object (of cache `name` only, if given); `EIO` if any is corrupted or
    /// misplaced.
    pub(crate) fn verify(&self, name: Option<&crate::cache::CacheName>) -> Result {
        let (mut checked, mut bad) = (0, 0);
        for k in self.kept.lock().iter_mut() {
            if name.is_some_and(|n| n != k.cache.name()) {
                continue;
            }
            let (c, b) = k.verify()?;
            checked += c;
            bad += b;
        }
        pr_info!("verify: {} objects checked, {} bad\n", checked, bad);
        if bad == 0 {
            Ok(())
        } else {
            Err(EIO)
        }
    }

    /// The `corrupt_freeptr` control: a use-after-free write into a free object's free pointer.
    /// Allocates an object of `cache` in the slab of its last kept object (the target), frees
    /// it, so that it heads its slab's freelist, and overwrites its first word with the
    /// target's address, unencoded: followed, the free pointer would hand the target out
    /// again. `EINVAL` if no object of `cache` is kept, or if the freed object no longer heads
    /// its slab's freelist (another allocation took it meanwhile); `EAGAIN` if it is in another
    /// slab. Only where the kernel hardens free pointers, which makes the write harmless.
    #[cfg(CONFIG_SLAB_FREELIST_HARDENED)]
    pub(crate) fn corrupt_freeptr(&self, cache: &Arc<Cache>) -> Result {
        let kept = self.kept.lock();
        let target = kept
            .iter()
            .find(|k| Arc::ptr_eq(&k.cache, cache))
            .and_then(|k| k.objs.last())
            .map(|ko| ko.obj.addr())
            .ok_or(EINVAL)?;
        let victim = cache.alloc(NodeRequest::Any)?;
        let addr = victim.addr();
        let slab_bytes = crate::ffi::page::PAGE_SIZE << cache.geometry().order;
        let same_slab = addr / slab_bytes == target / slab_bytes;
        give_back(cache, victim);
        if !same_slab {
            return Err(EAGAIN);
        }
        let Some(ptr) = core::ptr::NonNull::new(addr as *mut u8) else {
            return Err(EINVAL);
        };
        // SAFETY: Free pointers are hardened: `target`, stored unencoded, decodes to `target ^
        // key ^ swab(addr)` with the cache's random key, an object of the same slab (and so
        // followed) with a probability below 2^-40; that is what the test shows.
        unsafe { cache.scribble_free_object(ptr, target) }?;
        pr_info!(
            "{}: free pointer of a free object overwritten (test only)\n",
            cache.name().as_str()
        );
        Ok(())
    }

    /// Renders each kept object's index in its slab: `<cache> <index>...` per cache that keeps
    /// any, in the order the objects were allocated (frees reorder the rest).
    pub(crate) fn render_slots(&self, out: &mut impl Write) -> Result {
        let kept = self.kept.lock();
        for k in kept.iter().filter(|k| !k.objs.is_empty()) {
            write!(out, "{}", k.cache.name().as_str()).map_err(|_| ENOMEM)?;
            for ko in k.objs.iter() {
                let index = k.cache.geometry().object_index(ko.obj.addr()).ok_or(EIO)?;
                write!(out, " {}", index).map_err(|_| ENOMEM)?;
            }
            writeln!(out).map_err(|_| ENOMEM)?;
        }
        Ok(())
    }

    /// Renders the kept objects: `<cache> <total> N<node>=<n>...` per cache that keeps any.
    pub(crate) fn render(&self, out: &mut impl Write) -> Result {
        let kept = self.kept.lock();
        for k in kept.iter().filter(|k| !k.objs.is_empty()) {
            let mut per_node = KVec::with_capacity(nr_node_ids(), GFP_KERNEL)?;
            for nid in NodeId::all() {
                let n = k.objs.iter().filter(|ko| ko.nid == nid).count();
                per_node.push((nid, n), GFP_KERNEL)?;
            }
            write!(out, "{} {}", k.cache.name().as_str(), k.objs.len()).map_err(|_| ENOMEM)?;
            for (nid, n) in per_node.iter().filter(|(_, n)| *n != 0) {
                write!(out, " N{}={}", nid, n).map_err(|_| ENOMEM)?;
            }
            writeln!(out).map_err(|_| ENOMEM)?;
        }
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for KeptObjects {
    fn drop(self: Pin<&mut Self>) {
        // Unloading with live objects: give them all back before the caches go.
        for k in self.kept.lock().iter_mut() {
            k.release_all();
        }
    }
}

/// `n` allocations through the fast path (node `node`'s, if given), each filled with its
/// pattern and freed (fast path too) once 128 newer ones exist, after its pattern (and node)
/// was checked; `EIO` if any was corrupted or misplaced.
pub(crate) fn churn(cache: &Cache, n: usize, node: Option<NodeId>) -> Result {
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
