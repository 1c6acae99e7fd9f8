// SPDX-License-Identifier: GPL-2.0

//! Load-time module parameters: a validated string, a boolean and a bounded unsigned integer.
//!
//! `module!` only knows integer and boolean parameters. A list of caches needs a string, and a
//! bad one must make `insmod` fail with `EINVAL` before `init` runs, so string parameters are
//! validated in their `set` callback; so are integers, against their maximum. Every kind is
//! read-only after load (`perm == 0`: not in `/sys/module/*/parameters`), so `set` only ever
//! runs while the module loader parses the arguments, before `init` and without concurrency.

use super::compat::cstr_bytes;
use core::{
    cell::UnsafeCell,
    sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering},
};
use kernel::ffi::{c_char, c_int};
use kernel::{bindings, prelude::*};

/// A `struct kernel_param` placed in the module's `__param` section.
#[repr(transparent)]
pub(crate) struct KernelParam(pub(crate) bindings::kernel_param);

// SAFETY: The module loader is the only user of the descriptor and reads it while loading.
unsafe impl Sync for KernelParam {}

/// Storage of a string parameter of at most `N - 1` bytes, checked by `validate` when set.
pub(crate) struct StrParam<const N: usize> {
    value: UnsafeCell<[u8; N]>,
    len: AtomicUsize,
    validate: fn(&[u8]) -> Result,
}

// SAFETY: `value` is written only by `set_str` while the module loads, before any reader runs
// (see the module documentation); afterwards it is only read.
unsafe impl<const N: usize> Sync for StrParam<N> {}

impl<const N: usize> StrParam<N> {
    /// A parameter whose value is `default` until `insmod` sets it.
    pub(crate) const fn new(default: &str, validate: fn(&[u8]) -> Result) -> Self {
        let src = default.as_bytes();
        let mut value = [0u8; N];
        let mut i = 0;
        while i < src.len() {
            value[i] = src[i];
            i += 1;
        }
        Self {
            value: UnsafeCell::new(value),
            len: AtomicUsize::new(src.len()),
            validate,
        }
    }

    /// The current value.
    pub(crate) fn get(&self) -> &[u8] {
        let len = self.len.load(Ordering::Acquire);
        // SAFETY: No writer runs once the module is initialised (module documentation), and `len`
        // never exceeds `N`.
        unsafe { &(*self.value.get())[..len] }
    }

    /// The `kernel_param_ops` for this parameter type.
    pub(crate) const OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
        flags: 0,
        set: Some(set_str::<N>),
        get: None,
        free: None,
    };
}

/// `kernel_param_ops.set` for [`StrParam`]: validates, then stores.
///
/// # Safety
///
/// `kp` must be a parameter descriptor whose `arg` points at a `StrParam<N>`, and `val` null or
/// a C string; only the module loader calls this, before `init`.
unsafe extern "C" fn set_str<const N: usize>(
    val: *const c_char,
    kp: *const bindings::kernel_param,
) -> c_int {
    if val.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: `val` is a valid C string by the safety requirements.
    let bytes = cstr_bytes(unsafe { CStr::from_char_ptr(val) });
    // SAFETY: By the safety requirements `arg` points at a `StrParam<N>`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<StrParam<N>>() };
    if bytes.len() >= N {
        pr_err!(
            "parameter value too long ({} bytes, at most {})\n",
            bytes.len(),
            N - 1
        );
        return EINVAL.to_errno();
    }
    if let Err(e) = (param.validate)(bytes) {
        return e.to_errno();
    }
    // SAFETY: Only the module loader writes, before any reader (module documentation).
    unsafe { (*param.value.get())[..bytes.len()].copy_from_slice(bytes) };
    param.len.store(bytes.len(), Ordering::Release);
    0
}

/// Storage of a boolean parameter, parsed by the kernel's own `param_ops_bool`.
#[repr(transparent)]
pub(crate) struct BoolParam(AtomicBool);

impl BoolParam {
    /// A parameter whose value is `default` until `insmod` sets it.
    pub(crate) const fn new(default: bool) -> Self {
        Self(AtomicBool::new(default))
    }

    /// The current value.
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Storage of an unsigned integer parameter of at most `max`, checked when set.
pub(crate) struct UintParam {
    value: AtomicU32,
    max: u32,
}

impl UintParam {
    /// A parameter whose value is `default` until `insmod` sets it, to at most `max`.
    pub(crate) const fn new(default: u32, max: u32) -> Self {
        Self {
            value: AtomicU32::new(default),
            max,
        }
    }

    /// The current value.
    pub(crate) fn get(&self) -> u32 {
        self.value.load(Ordering::Relaxed)
    }

    /// The `kernel_param_ops` for this parameter type.
    pub(crate) const OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
        flags: 0,
        set: Some(set_uint),
        get: None,
        free: None,
    };
}

/// `kernel_param_ops.set` for [`UintParam`]: a decimal number up to the parameter's maximum.
///
/// # Safety
///
/// `kp` must be a parameter descriptor whose `arg` points at a `UintParam` and whose `name` is
/// a C string, and `val` null or a C string; only the module loader calls this, before `init`.
unsafe extern "C" fn set_uint(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
    if val.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: `val` is a valid C string by the safety requirements.
    let bytes = cstr_bytes(unsafe { CStr::from_char_ptr(val) });
    // SAFETY: By the safety requirements `arg` points at a `UintParam`.
    let param = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<UintParam>() };
    let parsed = if bytes.is_empty() || bytes.len() > 10 {
        None
    } else {
        bytes.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    match parsed {
        Some(v) if v <= u64::from(param.max) => {
            // `v <= max`, a `u32`.
            param.value.store(v as u32, Ordering::Relaxed);
            0
        }
        _ => {
            // SAFETY: By the safety requirements `name` is a C string.
            let name = unsafe { CStr::from_char_ptr((*kp).name) };
            pr_err!(
                "{}=: want a number from 0 to {}\n",
                kernel::str::BStr::from_bytes(cstr_bytes(name)),
                param.max
            );
            EINVAL.to_errno()
        }
    }
}

/// Copies a string into a fixed-size array, for `.modinfo` entries.
pub(crate) const fn modinfo_bytes<const N: usize>(s: &str) -> [u8; N] {
    let s = s.as_bytes();
    let mut a = [0u8; N];
    let mut i = 0;
    while i < N && i < s.len() {
        a[i] = s[i];
        i += 1;
    }
    a
}

/// Declares a load-time module parameter named `$name` stored in the static `$storage`.
///
/// `string($cap)` makes a [`StrParam`] of at most `$cap - 1` bytes checked by `$validate`;
/// `bool` uses the kernel's `param_ops_bool`; `uint($max)` makes a [`UintParam`] of at most
/// `$max`.
macro_rules! module_param {
    (@desc $name:literal, $ty:literal, $desc:literal) => {
        const _: () = {
            const PARMTYPE: &str = concat!("parmtype=", $name, ":", $ty, "\0");
            const PARM: &str = concat!("parm=", $name, ":", $desc, "\0");
            #[link_section = ".modinfo"]
            #[used]
            static TYPE: [u8; PARMTYPE.len()] = $crate::ffi::param::modinfo_bytes(PARMTYPE);
            #[link_section = ".modinfo"]
            #[used]
            static DESC: [u8; PARM.len()] = $crate::ffi::param::modinfo_bytes(PARM);
        };
    };
    (@kp $name:literal, $ops:expr, $arg:expr) => {
        const _: () = {
            #[link_section = "__param"]
            #[used]
            static KP: $crate::ffi::param::KernelParam =
                $crate::ffi::param::KernelParam(::kernel::bindings::kernel_param {
                    name: ::core::concat!($name, "\0").as_ptr().cast(),
                    // This module's descriptor, alive while it is loaded.
                    mod_: ::core::ptr::addr_of_mut!(::kernel::bindings::__this_module),
                    ops: $ops,
                    perm: 0,
                    level: -1,
                    flags: 0,
                    __bindgen_anon_1: ::kernel::bindings::kernel_param__bindgen_ty_1 {
                        arg: $arg,
                    },
                });
        };
    };
    ($storage:ident: string($cap:literal) = $default:expr, name: $name:literal,
     validate: $validate:path, desc: $desc:literal) => {
        pub(crate) static $storage: $crate::ffi::param::StrParam<$cap> =
            $crate::ffi::param::StrParam::new($default, $validate);
        $crate::ffi::param::module_param!(@desc $name, "charp", $desc);
        $crate::ffi::param::module_param!(@kp $name,
            &$crate::ffi::param::StrParam::<$cap>::OPS,
            ::core::ptr::addr_of!($storage).cast_mut().cast());
    };
    ($storage:ident: uint($max:literal) = $default:literal, name: $name:literal,
     desc: $desc:literal) => {
        pub(crate) static $storage: $crate::ffi::param::UintParam =
            $crate::ffi::param::UintParam::new($default, $max);
        $crate::ffi::param::module_param!(@desc $name, "uint", $desc);
        $crate::ffi::param::module_param!(@kp $name,
            &$crate::ffi::param::UintParam::OPS,
            ::core::ptr::addr_of!($storage).cast_mut().cast());
    };
    ($storage:ident: bool = $default:literal, name: $name:literal, desc: $desc:literal) => {
        pub(crate) static $storage: $crate::ffi::param::BoolParam =
            $crate::ffi::param::BoolParam::new($default);
        $crate::ffi::param::module_param!(@desc $name, "bool", $desc);
        $crate::ffi::param::module_param!(@kp $name,
            // The kernel's own boolean parser.
            ::core::ptr::addr_of!(::kernel::bindings::param_ops_bool),
            ::core::ptr::addr_of!($storage).cast_mut().cast());
    };
}
pub(crate) use module_param;
