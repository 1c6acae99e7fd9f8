// SPDX-License-Identifier: GPL-2.0

//! NUMA node numbers and the kernel's node-state masks.

use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::ffi::c_int;
use kernel::{bindings, prelude::*};

/// The number of possible NUMA nodes (`nr_node_ids`).
#[cfg(not(rsh_no_numa))]
pub(crate) fn nr_node_ids() -> usize {
    // SAFETY: `nr_node_ids` is set during early boot, before any module loads, and never
    // changes afterwards.
    unsafe { bindings::nr_node_ids as usize }
}

/// The number of possible NUMA nodes: without NUMA (UML), `nr_node_ids` is the constant 1.
#[cfg(rsh_no_numa)]
pub(crate) fn nr_node_ids() -> usize {
    bindings::nr_node_ids as usize
}

/// The node CPU `cpu` belongs to (`cpu_to_node()`), read from the kernel's node-to-CPU masks
/// (`cpumask_of_node()`); `None` if no node lists the CPU (one never brought up).
///
/// The masks change when CPUs come and go, so the answer is a placement hint, never something
/// correctness may depend on.
#[cfg(not(rsh_no_numa))]
pub(crate) fn cpu_node(cpu: usize) -> Option<NodeId> {
    let bits = usize::BITS as usize;
    NodeId::all().find(|nid| {
        // SAFETY: `node_to_cpumask_map` is an exported array of `MAX_NUMNODES >= nr_node_ids`
        // masks set up during early boot; the index is below `nr_node_ids`. Only its address is
        // taken here.
        let entry = unsafe { core::ptr::addr_of!(bindings::node_to_cpumask_map[nid.index()]) };
        // SAFETY: `entry` points to a live `cpumask_var_t` (just above).
        let mask = unsafe { CpumaskVar::mask(entry) };
        if mask.is_null() || cpu / bits >= NR_CPUMASK_WORDS {
            return false;
        }
        // SAFETY: `mask` is a live `struct cpumask` of `NR_CPUMASK_WORDS` words and the word
        // index is in bounds (checked above). CPU hotplug updates the words with atomic bit
        // operations; an atomic load is what `cpumask_test_cpu()` does too.
        let word = unsafe {
            let words = core::ptr::addr_of!((*mask).bits).cast::<usize>();
            AtomicUsize::from_ptr(words.add(cpu / bits).cast_mut()).load(Ordering::Relaxed)
        };
        word & (1 << (cpu % bits)) != 0
    })
}

/// The node of a CPU: without NUMA there is only node 0, and no CPU needs to know it.
#[cfg(rsh_no_numa)]
pub(crate) fn cpu_node(_cpu: usize) -> Option<NodeId> {
    None
}

/// Words in a `struct cpumask`, from the kernel's own layout.
#[cfg(not(rsh_no_numa))]
const NR_CPUMASK_WORDS: usize =
    core::mem::size_of::<bindings::cpumask>() / core::mem::size_of::<usize>();

/// A `cpumask_var_t`, whichever of its two shapes the kernel has: a one-element array, or a
/// pointer with `CONFIG_CPUMASK_OFFSTACK`.
#[cfg(not(rsh_no_numa))]
trait CpumaskVar {
    /// The `struct cpumask` behind `var`.
    ///
    /// # Safety
    ///
    /// `var` must point to a live, initialised `cpumask_var_t`.
    unsafe fn mask(var: *const Self) -> *const bindings::cpumask;
}

#[cfg(not(rsh_no_numa))]
impl CpumaskVar for [bindings::cpumask; 1] {
    unsafe fn mask(var: *const Self) -> *const bindings::cpumask {
        var.cast()
    }
}

#[cfg(not(rsh_no_numa))]
impl CpumaskVar for *mut bindings::cpumask {
    unsafe fn mask(var: *const Self) -> *const bindings::cpumask {
        // SAFETY: By the safety requirements `var` points to a live pointer.
        unsafe { *var }
    }
}

/// A NUMA node number that is valid on this system.
///
/// # Invariants
///
/// `self.0 < nr_node_ids()`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct NodeId(u16);

impl NodeId {
    /// Returns the node `nid`, or `None` if no such node can exist on this system.
    pub(crate) fn new(nid: u64) -> Option<Self> {
        if nid < nr_node_ids() as u64 {
            // INVARIANT: checked just above; `nr_node_ids <= MAX_NUMNODES <= 1024` fits in u16.
            u16::try_from(nid).ok().map(Self)
        } else {
            None
        }
    }

    /// Returns the node number as an index into per-node tables of `nr_node_ids()` entries.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Iterates over every possible node number, `0..nr_node_ids()`.
    pub(crate) fn all() -> impl Iterator<Item = NodeId> {
        // INVARIANT: every value is below `nr_node_ids()`.
        (0..nr_node_ids()).filter_map(|n| u16::try_from(n).ok().map(Self))
    }

    /// Returns the node number for C.
    pub(crate) fn as_c_int(self) -> c_int {
        c_int::from(self.0)
    }

    /// Whether the kernel currently has the node in `state`.
    ///
    /// The answer can change right after it is given; callers must cope with that (a node-exact
    /// page allocation simply fails if the memory went away in between).
    pub(crate) fn has(self, state: NodeState) -> bool {
        let bits = usize::BITS as usize;
        let (word, bit) = (self.index() / bits, self.index() % bits);
        let state = match state {
            NodeState::Memory => bindings::node_states_N_MEMORY,
            NodeState::NormalMemory => bindings::node_states_N_NORMAL_MEMORY,
        } as usize;
        // SAFETY: `node_states` is a global array of `NR_NODE_STATES` node masks, each with room for
        // `MAX_NUMNODES >= nr_node_ids` bits, so `state` and `word` are in bounds. The memory
        // hotplug code updates the words with atomic bit operations; an atomic load is what
        // `node_state()`'s `test_bit()` does too.
        let word = unsafe {
            let words = core::ptr::addr_of_mut!(bindings::node_states[state].bits);
            AtomicUsize::from_ptr(words.cast::<usize>().add(word)).load(Ordering::Relaxed)
        };
        word & (1 << bit) != 0
    }
}

impl core::fmt::Display for NodeId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Node states the kernel tracks in `node_states[]` that matter here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NodeState {
    /// The node has memory of any zone (`N_MEMORY`).
    Memory,
    /// The node has memory the kernel can allocate from: not only `ZONE_MOVABLE`
    /// (`N_NORMAL_MEMORY`).
    NormalMemory,
}

/// A set of nodes that can be read without a lock.
///
/// Writers serialise among themselves (the registry mutex); readers see each node's bit
/// atomically.
pub(crate) struct NodeMask {
    words: KVec<AtomicUsize>,
}

impl NodeMask {
    /// Creates an empty mask with room for every possible node.
    pub(crate) fn new(flags: kernel::alloc::Flags) -> Result<Self> {
        let n = nr_node_ids().div_ceil(usize::BITS as usize);
        let mut words = KVec::with_capacity(n, flags)?;
        for _ in 0..n {
            words.push(AtomicUsize::new(0), flags)?;
        }
        Ok(Self { words })
    }

    fn slot(&self, nid: NodeId) -> (&AtomicUsize, usize) {
        let bits = usize::BITS as usize;
        // `words` has room for `nr_node_ids()` bits and `nid < nr_node_ids()`: never out of
        // bounds, and `NodeMask::new` is the only constructor.
        (&self.words[nid.index() / bits], 1 << (nid.index() % bits))
    }

    /// Whether `nid` is in the set.
    pub(crate) fn contains(&self, nid: NodeId) -> bool {
        let (word, bit) = self.slot(nid);
        word.load(Ordering::Acquire) & bit != 0
    }

    /// Adds `nid`; returns whether it was absent.
    pub(crate) fn insert(&self, nid: NodeId) -> bool {
        let (word, bit) = self.slot(nid);
        word.fetch_or(bit, Ordering::AcqRel) & bit == 0
    }

    /// Removes `nid`; returns whether it was present.
    pub(crate) fn remove(&self, nid: NodeId) -> bool {
        let (word, bit) = self.slot(nid);
        word.fetch_and(!bit, Ordering::AcqRel) & bit != 0
    }

    /// Iterates over the nodes in the set.
    pub(crate) fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        NodeId::all().filter(|&n| self.contains(n))
    }
}

/// For each node, every node in order of distance from it (`node_distance()`, the local node
/// first, ties by number): the order in which SLUB's refills and the page allocator's
/// zonelists fall back from a CPU's node to the others.
///
/// Distances come from the firmware (ACPI SLIT) at boot and never change, so the order is
/// computed once; which of the nodes have memory is a separate, changing question.
///
/// # Invariants
///
/// `order` has `n * n` entries, `n == nr_node_ids()`; entries `i * n .. (i + 1) * n` are every
/// node, node `i` first.
pub(crate) struct NodeOrder {
    order: KVVec<NodeId>,
    n: usize,
}

impl NodeOrder {
    /// Computes the order of every node.
    pub(crate) fn new(flags: kernel::alloc::Flags) -> Result<Self> {
        let n = nr_node_ids();
        let mut order = KVVec::with_capacity(n.checked_mul(n).ok_or(ENOMEM)?, flags)?;
        for from in NodeId::all() {
            let start = order.len();
            for nid in NodeId::all() {
                order.push(nid, flags)?;
            }
            // Insertion sort by (distance, node): a handful of nodes, and no code of `core`'s
            // sorts for objtool to follow.
            let row = &mut order[start..];
            let key = |nid: NodeId| (if nid == from { 0 } else { distance(from, nid) }, nid);
            for i in 1..row.len() {
                let mut j = i;
                while j > 0 && key(row[j]) < key(row[j - 1]) {
                    row.swap(j, j - 1);
                    j -= 1;
                }
            }
        }
        // INVARIANT: `n` rows of every node, each sorted with its own node first (distance 0).
        Ok(Self { order, n })
    }

    /// Every node, nearest to `from` first; ascending node numbers if `from` is unknown.
    pub(crate) fn from(&self, from: Option<NodeId>) -> impl Iterator<Item = NodeId> + '_ {
        let row = match from {
            // By the invariants, row `from` exists for every valid node.
            Some(nid) => &self.order[nid.index() * self.n..(nid.index() + 1) * self.n],
            None => &self.order[..0],
        };
        let all = from.is_none().then(NodeId::all).into_iter().flatten();
        Iterator::chain(row.iter().copied(), all)
    }
}

/// `node_distance(a, b)`: the firmware's relative distance between two nodes.
#[cfg(not(rsh_no_numa))]
fn distance(a: NodeId, b: NodeId) -> i32 {
    // SAFETY: `__node_distance()` (x86's `node_distance()`) only reads the distance table set up
    // at boot, and takes any pair of node numbers.
    unsafe { bindings::__node_distance(a.as_c_int(), b.as_c_int()) }
}

/// Without NUMA there is one node.
#[cfg(rsh_no_numa)]
fn distance(_a: NodeId, _b: NodeId) -> i32 {
    0
}
