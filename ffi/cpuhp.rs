// SPDX-License-Identifier: GPL-2.0

//! CPU hotplug callbacks: a CPU coming online and going offline, through one dynamic state of
//! the kernel's CPU hotplug state machine (`CPUHP_AP_ONLINE_DYN`, multi-instance).
//!
//! The callbacks run in the CPU's hotplug thread, on that CPU, in process context and with
//! `cpu_hotplug_lock` held for writing: online after the CPU is up and active, offline
//! before it goes down, once the scheduler no longer puts new tasks on it (`CPUHP_AP_ACTIVE`
//! is torn down first). They may sleep and take mutexes.

use super::compat::ffi_try_init;
use super::generated as g;
use kernel::ffi::{c_int, c_uint};
use kernel::{bindings, c_str, prelude::*, sync::Arc, types::Opaque};

/// Something that reacts to CPUs coming and going.
pub(crate) trait CpuEventHandler: Send + Sync {
    /// CPU `cpu` came online (also called for every online CPU at registration).
    fn cpu_online(&self, cpu: usize);

    /// CPU `cpu` is going offline.
    fn cpu_offline(&self, cpu: usize);
}

/// A dynamic CPU hotplug state with multi-instance callbacks; removed when dropped.
///
/// # Invariants
///
/// `0` is a state number returned by `__cpuhp_setup_state()` for `CPUHP_AP_ONLINE_DYN`, set up
/// with `multi_instance` and not yet removed.
struct DynState(c_int);

impl DynState {
    /// Sets up a state whose callbacks are those of `CpuNotifier<T>`.
    fn setup<T: CpuEventHandler>() -> Result<Self> {
        // The state's callbacks have the multi-instance signature, which the kernel keeps in
        // the same union as the single-instance one (`struct cpuhp_step`); C passes them with
        // a `(void *)` cast (`cpuhp_setup_state_multi()`), and this is that cast.
        type Multi = unsafe extern "C" fn(c_uint, *mut bindings::hlist_node) -> c_int;
        type Single = unsafe extern "C" fn(c_uint) -> c_int;
        let online: Multi = CpuNotifier::<T>::online;
        let offline: Multi = CpuNotifier::<T>::offline;
        // SAFETY: Both are function pointers of the same size; the kernel only calls them as
        // `Multi`, the type they have, because the state is multi-instance.
        let (online, offline) = unsafe {
            (
                core::mem::transmute::<Multi, Single>(online),
                core::mem::transmute::<Multi, Single>(offline),
            )
        };
        // SAFETY: The name is a static C string; the callbacks have the signature the
        // multi-instance state calls them with (above). With no instance added yet, no callback
        // runs (`invoke` only concerns instances).
        let ret = unsafe {
            g::__cpuhp_setup_state(
                g::RSH_CPUHP_AP_ONLINE_DYN,
                c_str!("rust_slab_hp:online").as_char_ptr(),
                false,
                Some(online),
                Some(offline),
                true,
            )
        };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: A dynamic state's number is what setup returns on success.
        Ok(Self(ret))
    }
}

impl Drop for DynState {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the state is set up; its instances were removed
        // before (`CpuNotifier`'s drop runs before its fields').
        unsafe { g::__cpuhp_remove_state(self.0, false) };
    }
}

/// CPU hotplug callbacks into a [`CpuEventHandler`], unregistered when dropped.
///
/// # Invariants
///
/// `node` is an instance of `state`, added with `__cpuhp_state_add_instance()`, for the whole
/// life of the value; the state's callbacks are [`Self::online`] and [`Self::offline`], which
/// may rely on `handler` being initialised.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct CpuNotifier<T: CpuEventHandler> {
    // First field: the callbacks turn the `hlist_node` pointer back into `Self` with a cast.
    #[pin]
    node: Opaque<bindings::hlist_node>,
    handler: Arc<T>,
    state: DynState,
}

// SAFETY: The instance node is only touched by the kernel's CPU hotplug code, which serialises
// adding and removing instances; `handler` is `Send + Sync`.
unsafe impl<T: CpuEventHandler> Send for CpuNotifier<T> {}
// SAFETY: `&CpuNotifier` exposes nothing but the `Sync` handler.
unsafe impl<T: CpuEventHandler> Sync for CpuNotifier<T> {}

impl<T: CpuEventHandler> CpuNotifier<T> {
    /// Registers `handler` for CPU events; `cpu_online` runs for every online CPU before this
    /// returns.
    pub(crate) fn register(handler: Arc<T>) -> Result<impl PinInit<Self, Error>> {
        let state = DynState::setup::<T>()?;
        let nr = state.0;
        Ok(try_pin_init!(Self {
            state,
            handler,
            // Initialised last: the callbacks may run as soon as the instance is added.
            node <- Self::added(nr),
        }))
    }

    /// An instance node added to state `nr`, once it is in place.
    fn added(nr: c_int) -> impl PinInit<Opaque<bindings::hlist_node>, Error> {
        let init = move |slot: *mut bindings::hlist_node| {
            // SAFETY: `slot` is valid for writes; an all-zero `hlist_node` is an unlinked one.
            unsafe { slot.write(core::mem::zeroed()) };
            // SAFETY: `slot` is pinned and stays valid until `drop` removes it; `nr` is a set
            // up multi-instance state (owned by the `DynState` field, initialised before this).
            // INVARIANT: added on success; on error the initializer fails and `drop` never
            // runs.
            kernel::error::to_result(unsafe { g::__cpuhp_state_add_instance(nr, slot, true) })
        };
        // SAFETY: `init` initialises the whole node before adding it, and leaves nothing added
        // when adding fails.
        unsafe { ffi_try_init(init) }
    }

    /// The handler behind an instance node.
    ///
    /// # Safety
    ///
    /// `node` must be the `node` field of a live `CpuNotifier<T>`.
    unsafe fn handler<'a>(node: *mut bindings::hlist_node) -> &'a T {
        // SAFETY: `node` is the first field of a `#[repr(C)]` `CpuNotifier<T>` (`Opaque` is
        // transparent), alive while its instance is added (safety requirements).
        unsafe { &(*node.cast::<Self>()).handler }
    }

    /// The state's startup callback.
    ///
    /// # Safety
    ///
    /// `node` must be an instance node of a live `CpuNotifier<T>`.
    unsafe extern "C" fn online(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // SAFETY: The kernel only calls this for added instances, which are live (type
        // invariants of `CpuNotifier`).
        unsafe { Self::handler(node) }.cpu_online(cpu as usize);
        0
    }

    /// The state's teardown callback.
    ///
    /// # Safety
    ///
    /// As for [`Self::online`].
    unsafe extern "C" fn offline(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // SAFETY: As in `online`.
        unsafe { Self::handler(node) }.cpu_offline(cpu as usize);
        0
    }
}

#[pinned_drop]
impl<T: CpuEventHandler> PinnedDrop for CpuNotifier<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants `node` is an instance of `state`. Removing it waits for
        // CPU hotplug in progress (`cpus_read_lock()`), so no callback runs once this returns.
        unsafe { g::__cpuhp_state_remove_instance(self.state.0, self.node.get(), false) };
    }
}
