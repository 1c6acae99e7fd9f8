// SPDX-License-Identifier: GPL-2.0

//! Running a closure on chosen CPUs, in kernel threads bound to them (for the benchmark).

use kernel::ffi::{c_int, c_void};
use kernel::{
    bindings, c_str,
    error::from_err_ptr,
    prelude::*,
    sync::{Arc, Completion},
};

/// What one thread runs.
#[pin_data]
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    index: usize,
    #[pin]
    done: Completion,
}

/// Runs `f(i)` on a kernel thread bound to CPU `cpus[i]`, for every `i`, all at once, and
/// returns when every call has returned.
pub(crate) fn run_on_cpus(cpus: &[u32], f: &(dyn Fn(usize) + Sync)) -> Result {
    // The jobs live in `Arc`s only for pinning; they never outlive this function: every thread
    // has signalled `done` before it returns.
    let mut jobs = KVec::with_capacity(cpus.len(), GFP_KERNEL)?;
    for index in 0..cpus.len() {
        jobs.push(
            Arc::pin_init(
                pin_init!(Job {
                    f,
                    index,
                    done <- Completion::new(),
                }),
                GFP_KERNEL,
            )?,
            GFP_KERNEL,
        )?;
    }
    let mut tasks = KVec::with_capacity(cpus.len(), GFP_KERNEL)?;
    for (job, &cpu) in jobs.iter().zip(cpus) {
        // SAFETY: `job` stays alive until the thread has completed it (below); the format has
        // the one `%u` `kthread_create_on_cpu()` fills in with the CPU number.
        let task = from_err_ptr(unsafe {
            bindings::kthread_create_on_cpu(
                Some(thread_fn),
                core::ptr::from_ref::<Job<'_>>(job).cast_mut().cast(),
                cpu,
                c_str!("rust_slab_hp/%u").as_char_ptr(),
            )
        });
        match task {
            Ok(t) => tasks.push(t, GFP_KERNEL)?,
            Err(e) => {
                // Threads created but never woken are stopped without running `f`.
                for &t in tasks.iter() {
                    // SAFETY: `t` is a thread we created and did not wake.
                    unsafe { bindings::kthread_stop(t) };
                }
                return Err(e);
            }
        }
    }
    for &t in tasks.iter() {
        // SAFETY: `t` is a kthread we created; waking it starts `thread_fn`.
        unsafe { bindings::wake_up_process(t) };
    }
    for job in jobs.iter() {
        job.done.wait_for_completion();
    }
    for &t in tasks.iter() {
        // SAFETY: `t` is a running kthread of ours that waits for exactly this.
        unsafe { bindings::kthread_stop(t) };
    }
    Ok(())
}

/// The body of each thread: run the job, say so, then wait to be stopped.
///
/// # Safety
///
/// `data` must point at a `Job` that lives until `done` is completed.
unsafe extern "C" fn thread_fn(data: *mut c_void) -> c_int {
    // SAFETY: By the safety requirements `data` is a live `Job`.
    let job = unsafe { &*data.cast::<Job<'_>>() };
    (job.f)(job.index);
    job.done.complete_all();
    // `kthread_stop()` must find the thread alive: idle until it comes (it wakes us).
    // SAFETY: Called from a kthread.
    while !unsafe { bindings::kthread_should_stop() } {
        super::msleep(1);
    }
    0
}
