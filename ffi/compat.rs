// SPDX-License-Identifier: GPL-2.0

//! What differs between the kernel Rust APIs rust_slab_hp builds against.
//!
//! Kbuild sets `rsh_legacy` for kernels older than 6.17, whose Rust API is 6.12's (see
//! `Kbuild`). Everything here gives both the same shape, so that the rest of the module is one
//! piece of code: on 7.x these are thin aliases of the kernel's own items.

use kernel::{prelude::*, uaccess::UserPtr};

/// The bytes of a C string, without the NUL (`CStr` is `core`'s on 7.x, the kernel's own on
/// 6.12).
pub(crate) fn cstr_bytes(s: &CStr) -> &[u8] {
    #[cfg(not(rsh_legacy))]
    {
        s.to_bytes()
    }
    #[cfg(rsh_legacy)]
    {
        s.as_bytes()
    }
}

/// `EOPNOTSUPP`, "Operation not supported" (6.12's `kernel::error::code` lacks it).
#[cfg(rsh_test)]
pub(crate) fn eopnotsupp() -> Error {
    #[cfg(not(rsh_legacy))]
    {
        EOPNOTSUPP
    }
    #[cfg(rsh_legacy)]
    {
        Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32))
    }
}

/// A user-space pointer for [`kernel::uaccess::UserSlice`].
pub(crate) fn user_ptr(p: *mut kernel::ffi::c_void) -> UserPtr {
    #[cfg(not(rsh_legacy))]
    {
        UserPtr::from_ptr(p)
    }
    #[cfg(rsh_legacy)]
    {
        p as UserPtr
    }
}

/// An initializer that runs `f` on the uninitialised slot, for C structures that initialise
/// themselves (what `Opaque::try_ffi_init` is on newer kernels).
///
/// # Safety
///
/// `f` must fully initialise the slot when it returns `Ok`, and leave nothing to clean up when
/// it returns `Err`.
pub(crate) unsafe fn ffi_try_init<T>(
    f: impl FnOnce(*mut T) -> Result,
) -> impl PinInit<kernel::types::Opaque<T>, Error> {
    #[cfg(not(rsh_legacy))]
    {
        let _ = core::marker::PhantomData::<T>;
        kernel::types::Opaque::try_ffi_init(f)
    }
    #[cfg(rsh_legacy)]
    {
        // SAFETY: `Opaque<T>` is a transparent wrapper of `T`; `f` initialises it or fails
        // cleanly, by the safety requirements.
        unsafe {
            kernel::init::pin_init_from_closure(move |slot: *mut kernel::types::Opaque<T>| {
                f(kernel::types::Opaque::raw_get(slot))
            })
        }
    }
}

/// `Vec` methods 6.12's `KVec` does not have yet, with the same names and meaning as on 7.x
/// (where the inherent methods are used and this trait is not compiled).
#[cfg(rsh_legacy)]
pub(crate) trait VecExt<T> {
    /// Removes and returns the last element.
    fn pop(&mut self) -> Option<T>;
    /// Removes element `i`, shifting the rest down; `Err` if out of bounds.
    fn remove(&mut self, i: usize) -> core::result::Result<T, ()>;
    /// Appends `v` if there is spare capacity, without allocating; hands it back otherwise.
    fn push_within_capacity(&mut self, v: T) -> core::result::Result<(), T>;
    /// Removes every element, in order.
    fn drain_all(&mut self) -> impl Iterator<Item = T>;
}

#[cfg(rsh_legacy)]
impl<T, A: kernel::alloc::Allocator> VecExt<T> for kernel::alloc::Vec<T, A> {
    fn pop(&mut self) -> Option<T> {
        let n = self.len().checked_sub(1)?;
        // SAFETY: Element `n` is initialised; lowering the length first makes us its owner.
        unsafe {
            self.set_len(n);
            Some(self.as_mut_ptr().add(n).read())
        }
    }

    fn remove(&mut self, i: usize) -> core::result::Result<T, ()> {
        if i >= self.len() {
            return Err(());
        }
        self[i..].rotate_left(1);
        self.pop().ok_or(())
    }

    fn push_within_capacity(&mut self, v: T) -> core::result::Result<(), T> {
        if self.len() < self.capacity() {
            // With spare capacity `push` does not allocate, so the flags do not matter.
            self.push(v, GFP_NOWAIT).map_err(|_| ()).ok();
            Ok(())
        } else {
            Err(v)
        }
    }

    fn drain_all(&mut self) -> impl Iterator<Item = T> {
        let mut out = core::mem::replace(self, kernel::alloc::Vec::new());
        // Order matters to callers: drain front to back.
        out.reverse();
        core::iter::from_fn(move || out.pop())
    }
}
