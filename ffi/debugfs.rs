// SPDX-License-Identifier: GPL-2.0

//! Root-only debugfs files that take one-line commands and return text.
//!
//! Files are created through debugfs' full proxy: removing the directory waits for every
//! read or write in progress and makes later ones fail with `EIO`, so the Rust data behind the
//! files is never used after [`DebugfsDir`] is dropped.

use super::compat::user_ptr;
use core::marker::PhantomData;
use kernel::ffi::{c_char, c_void};
use kernel::{bindings, error::from_err_ptr, prelude::*, sync::Arc, uaccess::UserSlice};

// The kernel's `bindings` include debugfs.h on 7.x only; ffi/generated.h brings it to 6.12.
#[cfg(rsh_legacy)]
use super::generated as debugfs;
#[cfg(not(rsh_legacy))]
use kernel::bindings as debugfs;

/// The longest command line a write may carry.
pub(crate) const MAX_LINE: usize = 256;

/// One file of a debugfs directory of `T`: its name, its mode, and what reading and writing it
/// do.
pub(crate) struct DebugfsFile<T> {
    /// The file's name in the directory.
    pub(crate) name: &'static CStr,
    /// Its permission bits.
    pub(crate) mode: u16,
    /// Renders the file for reading.
    pub(crate) read: fn(&T, &mut KVec<u8>) -> Result,
    /// Handles one write of at most [`MAX_LINE`] bytes; `None` for a read-only file, which
    /// refuses writes with `EINVAL` (root passes the mode bits).
    pub(crate) write: Option<fn(&T, &[u8]) -> Result>,
}

/// The files of a debugfs directory.
pub(crate) trait DebugfsFiles: Send + Sync + Sized + 'static {
    /// Every file, in the order the directory lists them.
    const FILES: &'static [DebugfsFile<Self>];
}

/// What a file's `i_private` points to.
struct FileData<T> {
    owner: *const T,
    index: usize,
}

/// A debugfs directory with the files of `T`; removed, files and all, when dropped.
///
/// # Invariants
///
/// `dentry` is a directory created by `debugfs_create_dir()` and not yet removed. Each of its
/// files has `i_private` pointing at an entry of `files`, whose buffer never moves, and each
/// entry's `owner` points at `*_data`.
pub(crate) struct DebugfsDir<T: DebugfsFiles> {
    dentry: *mut bindings::dentry,
    files: KVec<FileData<T>>,
    // Only kept alive: the files reach it through `files`.
    _data: Arc<T>,
}

// SAFETY: The handle owns the directory; debugfs calls may run on any thread, and `T` is
// `Send + Sync`.
unsafe impl<T: DebugfsFiles> Send for DebugfsDir<T> {}
// SAFETY: `&DebugfsDir` gives out nothing but `&T`, with `T: Sync`.
unsafe impl<T: DebugfsFiles> Sync for DebugfsDir<T> {}

struct FopsFor<T>(PhantomData<T>);

impl<T: DebugfsFiles> FopsFor<T> {
    const FOPS: bindings::file_operations = {
        // SAFETY: All-zero is a valid `file_operations` (every callback absent).
        let mut fops: bindings::file_operations = unsafe { core::mem::zeroed() };
        // This module's `struct module`: debugfs takes a reference on it while a file is open.
        fops.owner = core::ptr::addr_of_mut!(bindings::__this_module);
        fops.open = Some(bindings::simple_open);
        fops.read = Some(read::<T>);
        fops.write = Some(write::<T>);
        fops.llseek = Some(bindings::default_llseek);
        fops
    };
}

impl<T: DebugfsFiles> DebugfsDir<T> {
    /// Creates `/sys/kernel/debug/<name>/` with the files of `T`, serving `data`.
    pub(crate) fn new(name: &CStr, data: Arc<T>) -> Result<Self> {
        let mut files = KVec::with_capacity(T::FILES.len(), GFP_KERNEL)?;
        for index in 0..T::FILES.len() {
            files.push(
                FileData {
                    owner: &*data,
                    index,
                },
                GFP_KERNEL,
            )?;
        }
        // SAFETY: `name` is a valid C string; a null parent means the debugfs root.
        let dentry = from_err_ptr(unsafe {
            debugfs::debugfs_create_dir(name.as_char_ptr(), core::ptr::null_mut())
        })?;
        // INVARIANT: `dentry` is a fresh directory; `files` is full and never grows again.
        let dir = Self {
            dentry,
            files,
            _data: data,
        };
        for (file, spec) in dir.files.iter().zip(T::FILES) {
            // SAFETY: `dentry` is a live directory; `file` lives at a fixed address until the
            // directory is removed in `drop`, which happens before `files` is freed.
            from_err_ptr(unsafe {
                create_file(
                    spec.name,
                    spec.mode,
                    dir.dentry,
                    core::ptr::from_ref(file).cast_mut().cast(),
                    &FopsFor::<T>::FOPS,
                )
            })?;
        }
        Ok(dir)
    }
}

/// `debugfs_create_file()`: a `_Generic` macro over `debugfs_create_file_full()` on 7.x, a
/// function on 6.12; both create the file behind debugfs' full proxy.
///
/// # Safety
///
/// `parent` must be a live debugfs directory; `data` and `fops` must outlive the file.
unsafe fn create_file(
    name: &CStr,
    mode: u16,
    parent: *mut bindings::dentry,
    data: *mut c_void,
    fops: &'static bindings::file_operations,
) -> *mut bindings::dentry {
    #[cfg(not(rsh_legacy))]
    // SAFETY: Forwarded from our own safety requirements.
    unsafe {
        bindings::debugfs_create_file_full(
            name.as_char_ptr(),
            mode,
            parent,
            data,
            core::ptr::null(),
            fops,
        )
    }
    #[cfg(rsh_legacy)]
    // SAFETY: Forwarded from our own safety requirements.
    unsafe {
        super::generated::debugfs_create_file(name.as_char_ptr(), mode, parent, data, fops)
    }
}

impl<T: DebugfsFiles> Drop for DebugfsDir<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `dentry` is a live debugfs directory. Removal waits for
        // every file operation in progress and makes later ones fail, so `files` and `data` are
        // unused once this returns.
        unsafe { debugfs::debugfs_remove(self.dentry) };
    }
}

/// Recovers the file's Rust data.
///
/// # Safety
///
/// `file` must be an open file of a `DebugfsDir<T>`, inside a debugfs file operation.
unsafe fn file_data<'a, T: DebugfsFiles>(file: *mut bindings::file) -> (&'a T, usize) {
    // SAFETY: `simple_open()` copied the file's `i_private`, a `FileData<T>` that outlives every
    // file operation (type invariants of `DebugfsDir`).
    let fd = unsafe { &*(*file).private_data.cast::<FileData<T>>() };
    // SAFETY: `owner` points at the directory's `T`, alive for the same reason.
    (unsafe { &*fd.owner }, fd.index)
}

/// `file_operations.write`: one command per write, `MAX_LINE` bytes at most.
///
/// # Safety
///
/// Called by the VFS (through debugfs' proxy) on a file of a `DebugfsDir<T>`.
unsafe extern "C" fn write<T: DebugfsFiles>(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Our caller is the VFS with a file of a `DebugfsDir<T>`.
    let (data, index) = unsafe { file_data::<T>(file) };
    let result = (|| -> Result<usize> {
        // debugfs is root-only by default; refuse writes that somehow get here without the
        // capability too (e.g. a relaxed mount mode).
        if !super::capable_sys_admin() {
            return Err(EPERM);
        }
        if count == 0 || count > MAX_LINE {
            return Err(EINVAL);
        }
        let write = T::FILES.get(index).and_then(|f| f.write).ok_or(EINVAL)?;
        let mut line = [0u8; MAX_LINE];
        let user = UserSlice::new(user_ptr(buf.cast_mut().cast()), count);
        user.reader().read_slice(&mut line[..count])?;
        write(data, &line[..count])?;
        Ok(count)
    })();
    match result {
        // `count <= MAX_LINE` fits in `isize`.
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `file_operations.read`: renders the file and copies the requested part.
///
/// # Safety
///
/// Called by the VFS (through debugfs' proxy) on a file of a `DebugfsDir<T>`.
unsafe extern "C" fn read<T: DebugfsFiles>(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Our caller is the VFS with a file of a `DebugfsDir<T>`.
    let (data, index) = unsafe { file_data::<T>(file) };
    let mut text = KVec::new();
    let Some(spec) = T::FILES.get(index) else {
        return EINVAL.to_errno() as isize;
    };
    if let Err(e) = (spec.read)(data, &mut text) {
        return e.to_errno() as isize;
    }
    // SAFETY: `buf`/`count` is the user buffer and `ppos` the file position the VFS passed in;
    // `text` is valid for `text.len()` bytes.
    unsafe {
        bindings::simple_read_from_buffer(buf.cast(), count, ppos, text.as_ptr().cast(), text.len())
    }
}
