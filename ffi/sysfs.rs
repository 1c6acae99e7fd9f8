// SPDX-License-Identifier: GPL-2.0

//! Read-only sysfs directories backed by Rust data.
//!
//! The kernel's Rust has no kobject abstraction; this is the smallest safe one the statistics
//! need: a directory owns a `T`, and reading one of its files calls that file's `show` from
//! `T::FILES`. The kernfs core drains running `show` calls when a directory is removed, so `T` is
//! never used after [`SysfsDir`] is dropped, even with the file still open in user space.

use super::page::PAGE_SIZE;
use core::{fmt, marker::PhantomData, ptr::NonNull};
use kernel::ffi::c_char;
use kernel::{bindings, c_str, prelude::*, sync::Arc, types::Opaque};

/// The text a `show` callback returns: at most one page, like `sysfs_emit()`.
pub(crate) struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SysfsBuf<'a> {
    /// An empty text in `buf` (a page, for what sysfs would show); for the benchmark and the
    /// test controls.
    #[cfg(rsh_test)]
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }
}

impl fmt::Write for SysfsBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// One file of a kind of sysfs directory: its name and what reading it shows.
pub(crate) struct SysfsFile<T> {
    /// The file's name in the directory.
    pub(crate) name: &'static CStr,
    /// Renders the file into `out`. Runs in process context, concurrently with anything
    /// (including memory hotplug), and must not block on it.
    pub(crate) show: fn(&T, &mut SysfsBuf<'_>) -> Result,
}

/// The files of one kind of sysfs directory.
pub(crate) trait SysfsFiles: Send + Sync + Sized + 'static {
    /// Every file, in the order the directory lists them.
    const FILES: &'static [SysfsFile<Self>];
}

/// A sysfs attribute and the index of its file in [`SysfsFiles::FILES`].
#[repr(C)]
struct Attr {
    // First field: `show` turns the `attribute` pointer back into `Attr` with a cast.
    attr: bindings::attribute,
    index: usize,
}

/// The kobject type and attributes shared by every directory of one kind.
///
/// # Invariants
///
/// Immutable once built: `ptrs` points at the entries of `_attrs` followed by a null pointer,
/// and `ktype` refers to `show::<T>`/`release::<T>`. `_attrs`' buffer never moves, since
/// nothing is pushed after construction.
struct KindTable {
    ktype: bindings::kobj_type,
    // Only kept alive: the kernel reaches the attributes through `ptrs`.
    _attrs: KVec<Attr>,
    ptrs: KVec<*const bindings::attribute>,
}

/// Everything the kernel needs to create directories of kind `T`, built once and shared.
pub(crate) struct SysfsKind<T: SysfsFiles> {
    table: KBox<KindTable>,
    _t: PhantomData<T>,
}

// SAFETY: The table is immutable after construction (type invariant of `KindTable`) and only
// contains pointers to itself and to static data.
unsafe impl<T: SysfsFiles> Send for SysfsKind<T> {}
// SAFETY: As above: shared references only read the table.
unsafe impl<T: SysfsFiles> Sync for SysfsKind<T> {}

/// The lock class of every attribute's kernfs node: static, as lockdep wants keys to be.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
struct StaticKey(Opaque<bindings::lock_class_key>);

#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
// SAFETY: lockdep only uses the key's address; nothing reads or writes it through Rust.
unsafe impl Sync for StaticKey {}

#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
static ATTR_KEY: StaticKey = StaticKey(Opaque::uninit());

struct OpsFor<T>(PhantomData<T>);

impl<T: SysfsFiles> OpsFor<T> {
    const OPS: bindings::sysfs_ops = bindings::sysfs_ops {
        show: Some(show::<T>),
        store: None,
    };
}

impl<T: SysfsFiles> SysfsKind<T> {
    /// Builds the attribute table for `T::FILES`, each file with `mode`.
    pub(crate) fn new(mode: u16) -> Result<Arc<Self>> {
        let n = T::FILES.len();
        let mut attrs = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut ptrs = KVec::with_capacity(n + 1, GFP_KERNEL)?;
        // Attributes live on the heap, so lockdep cannot use their embedded key: give all of them
        // one static class, as `sysfs_attr_init()` does for a dynamic attribute.
        #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
        let key = ATTR_KEY.0.get();
        for (index, file) in T::FILES.iter().enumerate() {
            // SAFETY: All-zero is a valid `struct attribute` (no name, no mode, no key).
            let mut attr: bindings::attribute = unsafe { core::mem::zeroed() };
            attr.name = file.name.as_char_ptr();
            attr.mode = mode;
            #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
            {
                attr.key = key;
            }
            attrs.push(Attr { attr, index }, GFP_KERNEL)?;
        }
        for a in attrs.iter() {
            ptrs.push(core::ptr::from_ref(&a.attr), GFP_KERNEL)?;
        }
        ptrs.push(core::ptr::null(), GFP_KERNEL)?;
        // SAFETY: All-zero is a valid `kobj_type` (no callbacks, no groups).
        let mut ktype: bindings::kobj_type = unsafe { core::mem::zeroed() };
        ktype.release = Some(release::<T>);
        ktype.sysfs_ops = &OpsFor::<T>::OPS;
        // INVARIANT: `ptrs` points into `attrs`, whose buffer is never reallocated from now on.
        let table = KBox::new(
            KindTable {
                ktype,
                _attrs: attrs,
                ptrs,
            },
            GFP_KERNEL,
        )?;
        Ok(Arc::new(
            Self {
                table,
                _t: PhantomData,
            },
            GFP_KERNEL,
        )?)
    }
}

/// Where a new directory goes.
pub(crate) struct SysfsParent<'a> {
    kobj: *mut bindings::kobject,
    _life: PhantomData<&'a ()>,
}

impl SysfsParent<'static> {
    /// `/sys/kernel/`.
    pub(crate) fn kernel() -> Self {
        Self {
            // SAFETY: `kernel_kobj` is set up during boot, before modules load, and never freed.
            kobj: unsafe { bindings::kernel_kobj },
            _life: PhantomData,
        }
    }
}

/// A directory's kobject and the data its files show.
#[repr(C)]
struct DirInner<T> {
    // First field: the kobject callbacks turn the `kobject` pointer back into `Self` with a cast.
    kobj: Opaque<bindings::kobject>,
    data: T,
}

/// A sysfs directory whose files show `T`; removed from sysfs when dropped.
///
/// # Invariants
///
/// `inner` is a `DirInner<T>` leaked from a `KBox` whose kobject was added with
/// `kind.table.ktype`, owns one kobject reference and is still in sysfs. The `release`
/// callback frees it.
pub(crate) struct SysfsDir<T: SysfsFiles> {
    inner: NonNull<DirInner<T>>,
    kind: Arc<SysfsKind<T>>,
}

// SAFETY: The handle only owns a kobject reference; kobject calls may run on any thread, and `T`
// is `Send + Sync`.
unsafe impl<T: SysfsFiles> Send for SysfsDir<T> {}
// SAFETY: `&SysfsDir` only gives out the parent pointer and `&T`, with `T: Sync`.
unsafe impl<T: SysfsFiles> Sync for SysfsDir<T> {}

impl<T: SysfsFiles> SysfsDir<T> {
    /// Creates the directory `name` under `parent` with every file of `T`.
    ///
    /// Fails with `EEXIST` if `parent` already has an entry of that name.
    pub(crate) fn new(
        kind: &Arc<SysfsKind<T>>,
        parent: SysfsParent<'_>,
        name: &CStr,
        data: T,
    ) -> Result<Self> {
        let inner = KBox::new(
            DirInner {
                // SAFETY: All-zero is the state `kobject_init()` expects.
                kobj: Opaque::new(unsafe { core::mem::zeroed() }),
                data,
            },
            GFP_KERNEL,
        )?;
        let inner = NonNull::new(KBox::into_raw(inner)).ok_or(ENOMEM)?;
        // SAFETY: `inner` is valid; its field is a zeroed kobject.
        let kobj = unsafe { (*inner.as_ptr()).kobj.get() };
        // SAFETY: `kobj` is zeroed and not yet initialised, `ktype` lives as long as `kind`, which
        // every directory keeps alive, and `parent` is a live kobject for the duration of the
        // call (the child then holds its own reference to it). The format consumes one C string.
        let ret = unsafe {
            bindings::kobject_init_and_add(
                kobj,
                &kind.table.ktype,
                parent.kobj,
                c_str!("%s").as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        if ret != 0 {
            // SAFETY: `kobject_init_and_add()` initialised the kobject even on failure and wants
            // it put; `release` then frees `inner`.
            unsafe { bindings::kobject_put(kobj) };
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: `inner` is added and owns the reference taken by `kobject_init`.
        let dir = Self {
            inner,
            kind: kind.clone(),
        };
        // SAFETY: `kobj` is in sysfs; `ptrs` is a null-terminated array of attributes that
        // outlive the directory (kept alive by `dir.kind`).
        let ret = unsafe { bindings::sysfs_create_files(kobj, dir.kind.table.ptrs.as_ptr()) };
        if ret != 0 {
            // `drop(dir)` removes the half-populated directory.
            return Err(Error::from_errno(ret));
        }
        Ok(dir)
    }

    /// This directory as the parent of another.
    pub(crate) fn as_parent(&self) -> SysfsParent<'_> {
        SysfsParent {
            // SAFETY: By the type invariants, `inner` is valid.
            kobj: unsafe { (*self.inner.as_ptr()).kobj.get() },
            _life: PhantomData,
        }
    }

    /// The data the files show.
    pub(crate) fn data(&self) -> &T {
        // SAFETY: By the type invariants `inner` is valid while we hold our kobject reference.
        unsafe { &(*self.inner.as_ptr()).data }
    }
}

impl<T: SysfsFiles> Drop for SysfsDir<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the kobject is in sysfs and we own one reference.
        // `kobject_del()` removes the files and waits for `show` calls in progress; the put then
        // drops the last reference (children hold theirs only until they are dropped first) and
        // `release` frees `inner` before `self.kind`, which `ktype` lives in, goes away.
        unsafe {
            let kobj = (*self.inner.as_ptr()).kobj.get();
            bindings::kobject_del(kobj);
            bindings::kobject_put(kobj);
        }
    }
}

/// `sysfs_ops.show` for directories of kind `T`.
///
/// # Safety
///
/// `kobj` must be the kobject of a live `DirInner<T>` and `attr` one of the attributes of
/// `SysfsKind<T>`; `buf` must be a page-sized buffer, as sysfs provides.
unsafe extern "C" fn show<T: SysfsFiles>(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: By the safety requirements `kobj` is the first field of a `#[repr(C)]`
    // `DirInner<T>` (`Opaque` is transparent), alive while sysfs calls `show`.
    let inner = unsafe { &*kobj.cast::<DirInner<T>>() };
    // SAFETY: By the safety requirements `attr` is the first field of a `#[repr(C)]` `Attr`.
    let index = unsafe { (*attr.cast::<Attr>()).index };
    // SAFETY: sysfs hands `show` a buffer of `PAGE_SIZE` bytes that nothing else touches.
    let page = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
    let mut out = SysfsBuf { buf: page, len: 0 };
    let Some(file) = T::FILES.get(index) else {
        return EINVAL.to_errno() as isize;
    };
    match (file.show)(&inner.data, &mut out) {
        // `len <= PAGE_SIZE`.
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `kobj_type.release` for directories of kind `T`.
///
/// # Safety
///
/// `kobj` must be the kobject of a `DirInner<T>` leaked from a `KBox`, whose last reference was
/// just dropped.
unsafe extern "C" fn release<T: SysfsFiles>(kobj: *mut bindings::kobject) {
    // SAFETY: By the safety requirements `kobj` is the first field of a `DirInner<T>` that came
    // from `KBox::into_raw` and that nothing references any more.
    drop(unsafe { KBox::from_raw(kobj.cast::<DirInner<T>>()) });
}
