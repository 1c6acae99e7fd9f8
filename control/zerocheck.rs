// SPDX-License-Identifier: GPL-2.0

//! The `zerocheck` control (test build): whether what a freed object held reaches its next user,
//! that is, whether a cache zeroes as the kernel's `init_on_alloc` and `init_on_free` switches,
//! and zeroing allocations, ask.
//!
//! A check allocates `n` objects through one API, fills each with a pattern of its address,
//! frees them all, allocates `n` again through the same API and counts the objects it got back
//! (`reused`: the same addresses), those that are all zero (`zeroed`), and those that still
//! hold their pattern beyond the first word (`patterned`: the word a free object's freelist
//! link may have taken). It reports one line in the kernel log, with the switches as the
//! module reads them:
//!
//! ```text
//! zerocheck: <cache> <api> n=<n> reused=<r> zeroed=<z> patterned=<p> init_on_alloc=<0|1> init_on_free=<0|1>
//! ```

#[cfg(rsh_legacy)]
use crate::ffi::compat::VecExt as _;
use crate::{
    cache::{parse_usize, Cache, NodeRequest, Object},
    ffi::{fastpath, nodes::NodeId},
};
use core::fmt;
use kernel::prelude::*;

/// The most objects one check takes (its reuse test is quadratic).
pub(crate) const MAX_OBJECTS: usize = 2048;

/// Which allocation API a check goes through.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Api {
    /// `alloc_fast` and `free_fast`: the CPU stashes, their refills and spills.
    Fast,
    /// `alloc` (any node) and `free`: the node lists directly.
    Slow,
    /// `alloc_fast_on(node)` and `free_fast`: a node's stash (remote frees go there).
    Node(NodeId),
    /// `alloc` (any node) and `free_raw`: a pointer given back as C gives it, checked.
    Raw,
}

/// A check: the API, and whether its second round asks for zeroed objects (`zalloc*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Check {
    api: Api,
    zero: bool,
}

impl Check {
    /// Parses `fast`, `slow`, `raw`, `node<N>`, or one of them prefixed with `z` (a zeroing second
    /// round).
    pub(crate) fn parse(word: &[u8]) -> Result<Self> {
        let (zero, word) = match word.strip_prefix(b"z") {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let api = match word {
            b"fast" => Api::Fast,
            b"slow" => Api::Slow,
            b"raw" => Api::Raw,
            w => match w.strip_prefix(b"node") {
                Some(n) => Api::Node(NodeId::new(parse_usize(n)? as u64).ok_or(EINVAL)?),
                None => return Err(EINVAL),
            },
        };
        Ok(Self { api, zero })
    }
}

/// The pattern byte at offset `i` of the object at `addr`: never zero.
fn pattern(addr: usize, i: usize) -> u8 {
    0x80 | ((addr >> 3).wrapping_add(i) & 0x7f) as u8
}

/// Allocates through `api` (a zeroing allocation if `zero`).
fn alloc(cache: &Cache, api: Api, zero: bool) -> Result<Object> {
    match (api, zero) {
        (Api::Fast, false) => cache.alloc_fast(),
        (Api::Fast, true) => cache.zalloc_fast(),
        (Api::Slow | Api::Raw, false) => cache.alloc(NodeRequest::Any),
        (Api::Slow | Api::Raw, true) => cache.zalloc(NodeRequest::Any),
        (Api::Node(nid), false) => cache.alloc_fast_on(nid),
        (Api::Node(nid), true) => cache.zalloc_fast_on(nid),
    }
}

/// Frees through `api`.
fn free(cache: &Cache, api: Api, obj: Object) {
    let r = match api {
        Api::Fast | Api::Node(_) => cache.free_fast(obj),
        Api::Slow => cache.free(obj),
        Api::Raw => {
            // A refused pointer (reported in the log) stays allocated, as `leak` leaves it.
            // SAFETY: The pointer is an allocated object of `cache`, given up here.
            let _ = unsafe { cache.free_raw(obj.into_raw()) };
            return;
        }
    };
    if let Err((_, o)) = r {
        o.leak();
    }
}

/// One round of a check: allocates `n` objects through `api` (zeroing allocations if `zero`),
/// shows each to `look`, then frees all it got, in `objs` (room for `n` reserved), whether or
/// not an allocation failed; the first allocation error.
fn round(
    cache: &Cache,
    api: Api,
    zero: bool,
    n: usize,
    objs: &mut KVec<Object>,
    mut look: impl FnMut(&mut Object),
) -> Result {
    let mut result = Ok(());
    for _ in 0..n {
        match alloc(cache, api, zero) {
            Ok(mut o) => {
                look(&mut o);
                // Room for `n` was reserved.
                let _ = objs.push_within_capacity(o);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    while let Some(o) = objs.pop() {
        free(cache, api, o);
    }
    result
}

/// Runs `check` with `n` objects (1 to [`MAX_OBJECTS`]) of `cache` and reports it in the
/// kernel log (see the module documentation).
pub(crate) fn run(cache: &Cache, check: Check, n: usize) -> Result {
    if !(1..=MAX_OBJECTS).contains(&n) {
        return Err(EINVAL);
    }
    let api = check.api;
    let mut objs: KVec<Object> = KVec::with_capacity(n, GFP_KERNEL)?;
    let mut first: KVec<usize> = KVec::with_capacity(n, GFP_KERNEL)?;
    round(cache, api, false, n, &mut objs, |o| {
        let addr = o.addr();
        if let Ok(b) = cache.object_bytes(o) {
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = pattern(addr, i);
            }
        }
        // Room for `n` was reserved.
        let _ = first.push_within_capacity(addr);
    })?;
    let (mut reused, mut zeroed, mut patterned) = (0usize, 0usize, 0usize);
    round(cache, api, check.zero, n, &mut objs, |o| {
        let addr = o.addr();
        reused += usize::from(first.contains(&addr));
        if let Ok(b) = cache.object_bytes(o) {
            zeroed += usize::from(b.iter().all(|&c| c == 0));
            // Beyond the first word: the freelist link may have taken it.
            let word = core::mem::size_of::<usize>();
            let kept = b.len() > word
                && b.iter()
                    .enumerate()
                    .skip(word)
                    .all(|(i, &c)| c == pattern(addr, i));
            patterned += usize::from(kept);
        }
    })?;
    pr_info!(
        "zerocheck: {} {} n={} reused={} zeroed={} patterned={} init_on_alloc={} init_on_free={}\n",
        cache.name().as_str(),
        // (7.x's `pr_info!` takes the kernel's `Display`, which `Arguments` has.)
        format_args!("{check}"),
        n,
        reused,
        zeroed,
        patterned,
        u8::from(fastpath::want_init_on_alloc()),
        u8::from(fastpath::want_init_on_free()),
    );
    Ok(())
}

impl fmt::Display for Check {
    /// The check's name, as the control takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let z = if self.zero { "z" } else { "" };
        match self.api {
            Api::Fast => write!(f, "{z}fast"),
            Api::Slow => write!(f, "{z}slow"),
            Api::Raw => write!(f, "{z}raw"),
            Api::Node(nid) => write!(f, "{z}node{}", nid.index()),
        }
    }
}
