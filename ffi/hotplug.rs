// SPDX-License-Identifier: GPL-2.0

//! Waiting for memory hotplug the way a `get_online_mems()` reader does: for the benchmark's
//! `locked` reads and the `locked_read` test control, the counterparts of statistics readers
//! that take `mem_hotplug_lock`, which rust_slab_hp's own never do.

/// Waits until no memory hotplug operation is in progress, the way `get_online_mems()` would
/// before a read, and returns at once otherwise.
///
/// `get_online_mems()` is not exported to modules. `restore_online_page_callback()` is: it takes
/// `mem_hotplug_lock` for reading around a comparison, and with a callback that was never set it
/// changes nothing. That is exactly the wait a reader under `get_online_mems()` has.
#[cfg(not(rsh_no_hotplug))]
pub(crate) fn wait_for_mem_hotplug() {
    // SAFETY: `never_installed` is not the online-page callback, so this only takes and releases
    // the lock (it returns -EINVAL, which is expected).
    let _ = unsafe { super::generated::restore_online_page_callback(Some(never_installed)) };
}

/// Without memory hotplug there is no `mem_hotplug_lock` to wait for.
#[cfg(rsh_no_hotplug)]
pub(crate) fn wait_for_mem_hotplug() {}

/// An online-page callback that is never installed; only its address matters.
///
/// # Safety
///
/// Never called: it is never installed.
#[cfg(not(rsh_no_hotplug))]
unsafe extern "C" fn never_installed(
    _page: *mut kernel::bindings::page,
    _order: kernel::ffi::c_uint,
) {
}
