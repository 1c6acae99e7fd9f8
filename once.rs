// SPDX-License-Identifier: GPL-2.0

//! Values published once to lock-free readers and kept until their owner goes: the node tables
//! of caches ([`crate::cache`]) and of stashes ([`crate::percpu`]).

#[cfg(rsh_test)]
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// A slot that is set at most once with a pinned, boxed value, which then stays there, at the
/// same address, until the slot is dropped.
///
/// The shape of `kernel::sync::SetOnce` (which 6.12 lacks), for values that must not move and
/// are too large to keep inline in every slot of a table: readers load the pointer with acquire
/// ordering and no lock, and a reference they get stays valid for as long as the slot does.
///
/// # Invariants
///
/// `ptr` is null, or a pointer from `KBox::into_raw` of a pinned `T` that the slot owns. It
/// goes from null to non-null once, in [`SetOnceBox::populate`], and back to null only when
/// the slot is dropped or emptied by [`SetOnceBox::take`], whose callers promise that no
/// reference handed out before is used again.
pub(crate) struct SetOnceBox<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: The slot owns a `T` (type invariants) that may be dropped on another thread: `T: Send`.
unsafe impl<T: Send> Send for SetOnceBox<T> {}
// SAFETY: `&SetOnceBox` hands out `&T` to any thread (`T: Sync`) and lets any thread publish a
// `T` it owned (`T: Send`); the publication is one compare-and-exchange.
unsafe impl<T: Send + Sync> Sync for SetOnceBox<T> {}

impl<T> SetOnceBox<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// The value, if the slot was set.
    #[inline]
    pub(crate) fn as_ref(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: A non-null pointer is a live value the slot owns (type invariants) and that
        // stays put and alive while `&self` does: only `drop` or `take` empty the slot, and
        // `take`'s callers promise not to use references from before it.
        unsafe { p.as_ref() }
    }

    /// Whether the slot was set.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Acquire).is_null()
    }

    /// Sets the slot to `value` if it is empty, and returns the value now in the slot; hands
    /// `value` back if the slot was already set.
    pub(crate) fn populate(&self, value: Pin<KBox<T>>) -> core::result::Result<&T, Pin<KBox<T>>> {
        // SAFETY: The value is only ever used pinned, through `&T`, and turned back into a
        // `Pin<KBox>` before it is dropped (`drop`, `take`).
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(value) });
        match self.ptr.compare_exchange(
            core::ptr::null_mut(),
            raw,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // INVARIANT: The slot went from null to a pinned value it now owns.
            // SAFETY: `raw` is the live value just published; see `as_ref`.
            Ok(_) => Ok(unsafe { &*raw }),
            // SAFETY: `raw` came from `KBox::into_raw` above and was not published.
            Err(_) => Err(unsafe { Pin::new_unchecked(KBox::from_raw(raw)) }),
        }
    }

    /// Empties the slot and returns what it held.
    ///
    /// # Safety
    ///
    /// No reference that [`SetOnceBox::as_ref`] or [`SetOnceBox::populate`] returned before
    /// may be used after this returns, by any thread: the value may be dropped.
    #[cfg(rsh_test)]
    pub(crate) unsafe fn take(&self) -> Option<Pin<KBox<T>>> {
        let p = NonNull::new(self.ptr.swap(core::ptr::null_mut(), Ordering::AcqRel))?;
        // SAFETY: A non-null pointer came from `KBox::into_raw` of a pinned value the slot
        // owned (type invariants); swapping it out made us its only owner.
        // INVARIANT: The slot is null again; by the safety requirements nobody uses the value
        // through an older reference.
        Some(unsafe { Pin::new_unchecked(KBox::from_raw(p.as_ptr())) })
    }
}

impl<T> Drop for SetOnceBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: A non-null pointer came from `KBox::into_raw` of a pinned value the slot
            // owns (type invariants), and `&mut self` means no reference to it is left.
            drop(unsafe { Pin::new_unchecked(KBox::from_raw(p)) });
        }
    }
}
