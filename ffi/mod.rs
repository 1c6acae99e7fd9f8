// SPDX-License-Identifier: GPL-2.0

//! The only place where rust_slab_hp talks to C.
//!
//! Every `bindings::` call, every C layout and every `extern "C"` trampoline
//! lives below this module; what it exports are safe types whose invariants
//! make the C contracts hold. The cache, node, notifier and registry code above
//! it is safe Rust.
//!
//! C definitions always come from the target kernel's own `bindings` (generated
//! by its build from its headers), never from copied numbers or layouts.

pub(crate) mod compat;
pub(crate) mod cpuhp;
// The test build's: the controls' files, `get_online_mems()`'s wait, and the benchmark's SLUB
// caches and kernel threads.
#[cfg(all(rsh_test, CONFIG_DEBUG_FS))]
pub(crate) mod debugfs;
pub(crate) mod fastpath;
#[cfg(rsh_test)]
pub(crate) mod hotplug;
#[cfg(all(rsh_test, not(rsh_legacy)))]
pub(crate) mod kmem;
#[cfg(all(rsh_test, not(rsh_legacy)))]
pub(crate) mod kthread;
pub(crate) mod nodes;
pub(crate) mod notifier;
pub(crate) mod page;
pub(crate) mod param;
pub(crate) mod sysfs;

use kernel::bindings;

/// Sleeps for at least `ms` milliseconds (`msleep()`); may only be called where sleeping is
/// allowed.
#[cfg(rsh_test)]
pub(crate) fn msleep(ms: u32) {
    // SAFETY: `msleep` has no preconditions beyond process context, which every caller of this
    // module's sleeping paths (sysfs `show`, debugfs `write`, the blocking node notifier)
    // provides.
    unsafe { bindings::msleep(ms) };
}

/// Sleeps, uninterruptibly, for `us` to `1.5 * us` microseconds: a wait that lets whatever it
/// waits for run (see `LockedStash::lock`). Process context only.
pub(crate) fn sleep_us(us: u32) {
    let us = us as kernel::ffi::c_ulong;
    // SAFETY: `usleep_range_state()` only needs process context, which its callers (flushes)
    // have; `might_sleep()` checks that in debug kernels.
    unsafe { bindings::usleep_range_state(us, us + us / 2, bindings::TASK_UNINTERRUPTIBLE) };
}

/// Reports, in kernels with `CONFIG_DEBUG_ATOMIC_SLEEP`, a caller that may not sleep: the
/// kernel's `might_sleep()` check (as a "sleeping function called from invalid context"
/// report naming the caller's file and line), without its rescheduling point, so that it
/// costs nothing on fast paths of other kernels.
macro_rules! might_sleep {
    () => {
        $crate::ffi::might_sleep_at(concat!(file!(), "\0"), line!())
    };
}
pub(crate) use might_sleep;

/// [`might_sleep!`] with the caller's file (NUL-terminated) and line.
#[inline]
pub(crate) fn might_sleep_at(file: &'static str, line: u32) {
    #[cfg(CONFIG_DEBUG_ATOMIC_SLEEP)]
    if file.ends_with('\0') {
        // SAFETY: `file` is a static, NUL-terminated string (checked just above).
        unsafe { bindings::__might_sleep(file.as_ptr().cast(), line as kernel::ffi::c_int) };
    }
    let _ = (file, line);
}

/// Whether the current task may administer the system (`capable(CAP_SYS_ADMIN)`).
#[cfg(all(rsh_test, CONFIG_DEBUG_FS))]
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` only inspects the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as kernel::ffi::c_int) }
}

/// The CPU this runs on, or ran on a moment ago (`raw_smp_processor_id()`): the task may
/// migrate right after, so the answer is only a hint for picking per-CPU data that is locked.
#[inline]
pub(crate) fn current_cpu() -> usize {
    #[cfg(not(rsh_legacy))]
    // SAFETY: `raw_smp_processor_id()` only reads the current CPU's number.
    unsafe {
        bindings::raw_smp_processor_id() as usize
    }
    // 6.12's Rust has no helper for the CPU number: `task_cpu(current)`, the CPU the scheduler
    // last put this task on, read from the target's own `struct thread_info` layout.
    #[cfg(all(rsh_legacy, CONFIG_SMP))]
    {
        // SAFETY: `get_current()` returns the running task, valid while it runs; its
        // `thread_info.cpu` is written by the scheduler when the task moves, and a volatile
        // read of it is `task_cpu()`'s `READ_ONCE()`.
        unsafe {
            let t = bindings::get_current();
            core::ptr::addr_of!((*t).thread_info.cpu).read_volatile() as usize
        }
    }
    #[cfg(all(rsh_legacy, not(CONFIG_SMP)))]
    0
}

/// Whether CPU `cpu` is online (`cpu_online()`); the answer may change right after.
// Only the benchmark (the test build, on 7.x) asks.
#[cfg(all(rsh_test, not(rsh_legacy)))]
pub(crate) fn cpu_online(cpu: usize) -> bool {
    let bits = usize::BITS as usize;
    let words = core::mem::size_of::<bindings::cpumask>() / core::mem::size_of::<usize>();
    if cpu >= nr_cpu_ids() || cpu / bits >= words {
        return false;
    }
    // SAFETY: `__cpu_online_mask` is a global `struct cpumask` of `words` words and the index
    // is in bounds (checked above). CPU hotplug updates it with atomic bit operations; an
    // atomic load is what `cpumask_test_cpu()` does too.
    let word = unsafe {
        let p = core::ptr::addr_of_mut!(bindings::__cpu_online_mask.bits).cast::<usize>();
        core::sync::atomic::AtomicUsize::from_ptr(p.add(cpu / bits))
            .load(core::sync::atomic::Ordering::Relaxed)
    };
    word & (1 << (cpu % bits)) != 0
}

/// A random number from the kernel's random number generator (`get_random_u64()`), where SLUB
/// draws its free-pointer keys (`get_random_long()`) and freelist orders.
pub(crate) fn random_u64() -> u64 {
    // SAFETY: `get_random_u64()` has no preconditions; it works before the generator is fully
    // seeded too (with a warning under `CONFIG_WARN_ALL_UNSEEDED_RANDOM`), and modules load long
    // after early boot.
    unsafe { bindings::get_random_u64() }
}

/// A random number below `n` (0 for `n == 0`): the high half of a 32-bit random number times
/// `n`, whose bias (at most `n / 2^32` per value) is far below what anything here can see.
#[cfg(CONFIG_SLAB_FREELIST_RANDOM)]
#[cfg_attr(
    rsh_price_no_random,
    expect(dead_code, reason = "bench-only price build")
)]
pub(crate) fn random_below(n: u32) -> u32 {
    // The product of two 32-bit numbers fits in 64 bits, and shifted right by 32 it is below
    // `n`, so it fits in 32 bits again.
    ((u64::from(random_u64() as u32) * u64::from(n)) >> 32) as u32
}

/// The current time on the monotonic clock, in nanoseconds (`ktime_get()`).
pub(crate) fn now_ns() -> u64 {
    // SAFETY: `ktime_get()` has no preconditions.
    unsafe { bindings::ktime_get() as u64 }
}

/// The number of possible CPUs (`nr_cpu_ids`).
pub(crate) fn nr_cpu_ids() -> usize {
    // SAFETY: `nr_cpu_ids` is set during early boot, before any module loads, and never
    // changes afterwards.
    unsafe { bindings::nr_cpu_ids as usize }
}

/// The byte patterns of SLUB's debug mode (`include/linux/poison.h`), which the caches' own
/// debug mode writes and checks the same way (see [`crate::slab`], "Debug mode").
pub(crate) mod poison {
    use super::generated as g;

    /// A free object's bytes (`POISON_FREE`).
    pub(crate) const FREE: u8 = g::RSH_POISON_FREE;
    /// A free object's last byte (`POISON_END`).
    pub(crate) const END: u8 = g::RSH_POISON_END;
    /// The red zones of a free object (`SLUB_RED_INACTIVE`).
    pub(crate) const RED_INACTIVE: u8 = g::RSH_SLUB_RED_INACTIVE;
    /// The red zones of an allocated object (`SLUB_RED_ACTIVE`).
    pub(crate) const RED_ACTIVE: u8 = g::RSH_SLUB_RED_ACTIVE;
}

/// Declarations bindgen generated at build time from this kernel's headers (see `Kbuild`).
#[allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unused_imports,
    unreachable_pub,
    improper_ctypes,
    clippy::all
)]
pub(crate) mod generated {
    include!("generated.rs");
}
