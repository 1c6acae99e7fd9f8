// SPDX-License-Identifier: GPL-2.0

//! Node memory-hotplug events: from the kernel's node notifier (`register_node_notifier()`,
//! Linux 6.17 and later), or from the memory notifier's node-level events on older kernels
//! (`register_memory_notifier()` with `status_change_nid`, the API of the 5.12 fix), mapped
//! onto the same six events the way each kernel's `mm/slub.c` reads them.

use super::compat::ffi_try_init;
use super::nodes::NodeId;
use kernel::ffi::{c_int, c_ulong, c_void};
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
}

/// The node notifier of Linux 6.17 and later.
#[cfg(all(rsh_node_notifier, not(rsh_no_hotplug)))]
mod api {
    use super::NodeEvent;
    use kernel::{
        bindings,
        ffi::{c_int, c_ulong, c_void},
    };

    /// Registers `nb` with the node notifier chain.
    ///
    /// # Safety
    ///
    /// `nb` must be a valid notifier block that stays put until [`unregister`].
    pub(super) unsafe fn register(nb: *mut bindings::notifier_block) -> c_int {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { bindings::register_node_notifier(nb) }
    }

    /// Unregisters `nb`, waiting for callbacks in progress.
    ///
    /// # Safety
    ///
    /// `nb` must have been registered with [`register`].
    pub(super) unsafe fn unregister(nb: *mut bindings::notifier_block) {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { bindings::unregister_node_notifier(nb) };
    }

    /// The event and node of one notification.
    ///
    /// # Safety
    ///
    /// `data` must be the `struct node_notify` the chain passes with `action`.
    pub(super) unsafe fn decode(action: c_ulong, data: *mut c_void) -> Option<(NodeEvent, c_int)> {
        let event = match u32::try_from(action).ok()? {
            bindings::NODE_ADDING_FIRST_MEMORY => NodeEvent::AddingFirst,
            bindings::NODE_ADDED_FIRST_MEMORY => NodeEvent::AddedFirst,
            bindings::NODE_CANCEL_ADDING_FIRST_MEMORY => NodeEvent::CancelAddingFirst,
            bindings::NODE_REMOVING_LAST_MEMORY => NodeEvent::RemovingLast,
            bindings::NODE_REMOVED_LAST_MEMORY => NodeEvent::RemovedLast,
            bindings::NODE_CANCEL_REMOVING_LAST_MEMORY => NodeEvent::CancelRemovingLast,
            _ => return None,
        };
        // SAFETY: By the safety requirements `data` is a valid `struct node_notify`.
        Some((event, unsafe {
            (*data.cast::<bindings::node_notify>()).nid
        }))
    }
}

/// The memory notifier of kernels before 6.17: a node gains its first memory when a block goes
/// online with `status_change_nid >= 0`, and loses its last when one goes offline so.
#[cfg(not(any(rsh_node_notifier, rsh_no_hotplug)))]
mod api {
    use super::NodeEvent;
    use crate::ffi::generated as g;
    use kernel::{
        bindings,
        ffi::{c_int, c_ulong, c_void},
    };

    /// Registers `nb` with the memory notifier chain.
    ///
    /// # Safety
    ///
    /// `nb` must be a valid notifier block that stays put until [`unregister`].
    pub(super) unsafe fn register(nb: *mut bindings::notifier_block) -> c_int {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { g::register_memory_notifier(nb) }
    }

    /// Unregisters `nb`, waiting for callbacks in progress.
    ///
    /// # Safety
    ///
    /// `nb` must have been registered with [`register`].
    pub(super) unsafe fn unregister(nb: *mut bindings::notifier_block) {
        // SAFETY: Forwarded from our own safety requirements.
        unsafe { g::unregister_memory_notifier(nb) };
    }

    /// The node-level event and node of one notification, if it is one.
    ///
    /// # Safety
    ///
    /// `data` must be the `struct memory_notify` the chain passes with `action`.
    pub(super) unsafe fn decode(action: c_ulong, data: *mut c_void) -> Option<(NodeEvent, c_int)> {
        // The event first: for the others (`MEM_PREPARE_ONLINE`, `MEM_FINISH_OFFLINE`) the
        // kernel leaves `status_change_nid` uninitialised, and reading it would be undefined
        // behaviour even if the value were then ignored.
        let event = match action {
            g::RSH_MEM_GOING_ONLINE => NodeEvent::AddingFirst,
            g::RSH_MEM_ONLINE => NodeEvent::AddedFirst,
            g::RSH_MEM_CANCEL_ONLINE => NodeEvent::CancelAddingFirst,
            g::RSH_MEM_GOING_OFFLINE => NodeEvent::RemovingLast,
            g::RSH_MEM_OFFLINE => NodeEvent::RemovedLast,
            g::RSH_MEM_CANCEL_OFFLINE => NodeEvent::CancelRemovingLast,
            _ => return None,
        };
        // SAFETY: By the safety requirements `data` is a valid `struct memory_notify`, and for
        // these six events `online_pages()`/`offline_pages()` set `status_change_nid`.
        let nid = unsafe { (*data.cast::<g::memory_notify>()).status_change_nid };
        if nid < 0 {
            // A block that is not a node's first or last memory.
            return None;
        }
        Some((event, nid))
    }
}

/// A kernel without memory hotplug (`ARCH=um`, the native-speed benchmark build): memory never
/// comes or goes, so there are no events and nothing to register with.
#[cfg(rsh_no_hotplug)]
mod api {
    use super::NodeEvent;
    use kernel::{
        bindings,
        ffi::{c_int, c_ulong, c_void},
    };

    /// Registers nothing: there is no chain.
    ///
    /// # Safety
    ///
    /// None; `unsafe` for the same signature as the other kernels' `register`.
    pub(super) unsafe fn register(_nb: *mut bindings::notifier_block) -> c_int {
        0
    }

    /// Unregisters nothing.
    ///
    /// # Safety
    ///
    /// None; `unsafe` for the same signature as the other kernels' `unregister`.
    pub(super) unsafe fn unregister(_nb: *mut bindings::notifier_block) {}

    /// Never called: nothing is registered.
    ///
    /// # Safety
    ///
    /// None; `unsafe` for the same signature as the other kernels' `decode`.
    pub(super) unsafe fn decode(
        _action: c_ulong,
        _data: *mut c_void,
    ) -> Option<(NodeEvent, c_int)> {
        None
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
/// `nb` is registered with the kernel's notifier chain (`api::register`) for the whole life of
/// the value, and its
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
            // `handler` is initialised before this (field order of the initializer), so the
            // callback may run as soon as the block is registered.
            nb <- Self::registered_block(priority),
        })
    }

    /// A notifier block calling [`Self::call`], registered once it is in place.
    fn registered_block(priority: i32) -> impl PinInit<Opaque<bindings::notifier_block>, Error> {
        let init = move |slot: *mut bindings::notifier_block| {
            // SAFETY: `slot` is valid for writes; an all-zero `notifier_block` is a valid
            // unregistered one.
            unsafe {
                slot.write(core::mem::zeroed());
                (*slot).notifier_call = Some(Self::call);
                (*slot).priority = priority;
            }
            // SAFETY: `slot` is pinned and stays valid until `drop` unregisters it.
            // INVARIANT: registered on success; on error the initializer fails and `drop`
            // never runs.
            kernel::error::to_result(unsafe { api::register(slot) })
        };
        // SAFETY: `init` initialises the whole block before registering it, and leaves nothing
        // registered when registration fails.
        unsafe { ffi_try_init(init) }
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
        // SAFETY: The notifier chain passes the data that goes with `action`.
        let Some((event, nid)) = (unsafe { api::decode(action, data) }) else {
            return bindings::NOTIFY_DONE as c_int;
        };
        let Some(nid) = u64::try_from(nid).ok().and_then(NodeId::new) else {
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
        unsafe { api::unregister(self.nb.get()) };
    }
}
