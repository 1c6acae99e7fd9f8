// SPDX-License-Identifier: GPL-2.0

//! Node memory-hotplug events, as the kernel's node notifier (`register_node_notifier()`,
//! Linux 6.17 and later) reports them.

use super::nodes::NodeId;
use kernel::{bindings, prelude::*, sync::Arc, types::Opaque};

/// A change in whether a node has memory, in the order the hotplug core reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NodeEvent {
    /// The node is about to get its first memory; its memory is not usable yet. May fail.
    AddingFirst,
    /// The node's first memory is online.
    AddedFirst,
    /// Onlining the node's first memory failed after `AddingFirst` succeeded.
    CancelAddingFirst,
    /// The node is about to lose its last memory. May fail.
    RemovingLast,
    /// The node's last memory is offline.
    RemovedLast,
    /// Offlining the node's last memory failed after `RemovingLast` succeeded.
    CancelRemovingLast,
}

impl NodeEvent {
    /// Every event, in the order of [`NodeEvent::index`].
    pub(crate) const ALL: [NodeEvent; 6] = [
        Self::AddingFirst,
        Self::AddedFirst,
        Self::CancelAddingFirst,
        Self::RemovingLast,
        Self::RemovedLast,
        Self::CancelRemovingLast,
    ];

    /// A dense index for per-event tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The kernel's name for the event.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AddingFirst => "NODE_ADDING_FIRST_MEMORY",
            Self::AddedFirst => "NODE_ADDED_FIRST_MEMORY",
            Self::CancelAddingFirst => "NODE_CANCEL_ADDING_FIRST_MEMORY",
            Self::RemovingLast => "NODE_REMOVING_LAST_MEMORY",
            Self::RemovedLast => "NODE_REMOVED_LAST_MEMORY",
            Self::CancelRemovingLast => "NODE_CANCEL_REMOVING_LAST_MEMORY",
        }
    }

    fn from_action(action: c_ulong) -> Option<Self> {
        let action = u32::try_from(action).ok()?;
        Some(match action {
            bindings::NODE_ADDING_FIRST_MEMORY => Self::AddingFirst,
            bindings::NODE_ADDED_FIRST_MEMORY => Self::AddedFirst,
            bindings::NODE_CANCEL_ADDING_FIRST_MEMORY => Self::CancelAddingFirst,
            bindings::NODE_REMOVING_LAST_MEMORY => Self::RemovingLast,
            bindings::NODE_REMOVED_LAST_MEMORY => Self::RemovedLast,
            bindings::NODE_CANCEL_REMOVING_LAST_MEMORY => Self::CancelRemovingLast,
            _ => return None,
        })
    }
}

/// Something that reacts to node hotplug events.
pub(crate) trait NodeEventHandler: Send + Sync {
    /// Handles `event` for node `nid`. An error refuses the change where the event allows it
    /// ([`NodeEvent::AddingFirst`], [`NodeEvent::RemovingLast`]) and is ignored otherwise.
    ///
    /// Called in process context with the memory hotplug lock held: it may sleep and allocate,
    /// but must not wait for anything that waits for memory hotplug.
    fn node_event(&self, event: NodeEvent, nid: NodeId) -> Result;
}

/// A registered node-hotplug notifier, unregistered when dropped.
///
/// # Invariants
///
/// `nb` is registered with `register_node_notifier()` for the whole life of the value, and its
/// `notifier_call` is [`Self::call`], which may rely on `handler` being initialised.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct NodeNotifier<T: NodeEventHandler> {
    // First field: `call` turns the `notifier_block` pointer back into `Self` with a cast.
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    handler: Arc<T>,
}

// SAFETY: The notifier block is only touched by the kernel's notifier chain, which serialises
// (un)registration; `handler` is `Send + Sync`.
unsafe impl<T: NodeEventHandler> Send for NodeNotifier<T> {}
// SAFETY: `&NodeNotifier` exposes nothing but the `Sync` handler.
unsafe impl<T: NodeEventHandler> Sync for NodeNotifier<T> {}

impl<T: NodeEventHandler> NodeNotifier<T> {
    /// Registers `handler` for node events, called after callbacks of higher `priority`
    /// (SLUB registers with priority 1, `SLAB_CALLBACK_PRI`).
    pub(crate) fn register(handler: Arc<T>, priority: i32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            handler,
            nb <- Opaque::try_ffi_init(move |slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; an all-zero `notifier_block` is a valid
                // unregistered one.
                unsafe {
                    slot.write(core::mem::zeroed());
                    (*slot).notifier_call = Some(Self::call);
                    (*slot).priority = priority;
                }
                // SAFETY: `slot` is pinned and stays valid until `drop` unregisters it; `handler`
                // is initialised before this closure runs (field order of the initializer).
                // INVARIANT: registered on success; on error the initializer fails and `drop`
                // never runs.
                kernel::error::to_result(unsafe { bindings::register_node_notifier(slot) })
            }),
        })
    }

    /// The `notifier_call` trampoline.
    ///
    /// # Safety
    ///
    /// `nb` must be the `nb` field of a live, registered `NodeNotifier<T>`, and `data` the
    /// `struct node_notify` the node notifier chain passes along.
    unsafe extern "C" fn call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `nb` is the first field of a `#[repr(C)]` `NodeNotifier<T>` (`Opaque` is
        // transparent) that stays alive while it is registered.
        let this = unsafe { &*nb.cast::<Self>() };
        // SAFETY: The node notifier chain always passes a valid `struct node_notify`.
        let nid = unsafe { (*data.cast::<bindings::node_notify>()).nid };
        let (Some(event), Some(nid)) = (
            NodeEvent::from_action(action),
            u64::try_from(nid).ok().and_then(NodeId::new),
        ) else {
            return bindings::NOTIFY_DONE as c_int;
        };
        match this.handler.node_event(event, nid) {
            Ok(()) => bindings::NOTIFY_OK as c_int,
            // `notifier_from_errno()`: the chain stops and `notifier_to_errno()` recovers `err`.
            Err(err) => {
                (bindings::NOTIFY_STOP_MASK as c_int)
                    | (bindings::NOTIFY_OK as c_int - err.to_errno())
            }
        }
    }
}

#[pinned_drop]
impl<T: NodeEventHandler> PinnedDrop for NodeNotifier<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants `nb` is registered. Unregistering waits for callbacks in
        // progress (the chain's rwsem), so none runs once this returns.
        unsafe { bindings::unregister_node_notifier(self.nb.get()) };
    }
}
