//! The raw-creator start-mode library (tests/start_modes.rs): `no_std`, `creator = raw`, and
//! `start = first_call`, `explicit` or `inline` by feature. Init records its thread id and
//! returns 40, or fails when the load's environment has `MODES_FAIL=1`.

#![no_std]

use core::ffi::{c_char, c_int};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

#[cfg(feature = "first_call")]
rt0::lib_entry!(init -> i32, creator = raw, start = first_call);
#[cfg(feature = "explicit")]
rt0::lib_entry!(init -> i32, creator = raw, start = explicit);
#[cfg(feature = "inline")]
rt0::lib_entry!(init -> i32, creator = raw, start = inline);

static INIT_RUNS: AtomicU32 = AtomicU32::new(0);
static INIT_TID: AtomicU64 = AtomicU64::new(0);

fn init(args: &rt0::Args) -> Result<i32, rt0::InitError> {
    INIT_RUNS.fetch_add(1, Ordering::AcqRel);
    INIT_TID.store(rt0::sys::thread_id(), Ordering::Release);
    if args.env("MODES_FAIL").map(|v| v.to_bytes()) == Some(b"1") {
        return Err(rt0::InitError::new("modes-raw: init failed on request"));
    }
    Ok(40)
}

/// 40 + x, from init's state; -1 when init failed or was not started.
#[rt0::export(on_error = -1, state = base)]
#[no_mangle]
pub extern "C" fn modes_raw_add(x: i32) -> i32 {
    *base + x
}

/// Starts init if it has not started, and returns at once.
#[no_mangle]
pub extern "C" fn modes_raw_start() {
    rt0::library!().start()
}

/// 0 pending, 1 running, 2 done, 3 failed (`*message` says why), 4 not started, 5 forked.
///
/// # Safety
/// `message` is NULL or points to writable storage for one pointer.
#[no_mangle]
pub unsafe extern "C" fn modes_raw_status(message: *mut *const c_char) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { rt0::library!().c_status(message) }
}

/// How many times init ran (no wait).
#[no_mangle]
pub extern "C" fn modes_raw_init_runs() -> u32 {
    INIT_RUNS.load(Ordering::Acquire)
}

/// The OS thread id init ran on; 0 before it ran (no wait).
#[no_mangle]
pub extern "C" fn modes_raw_init_tid() -> u64 {
    INIT_TID.load(Ordering::Acquire)
}

/// 1 when the entry used the raw creator (no wait).
#[no_mangle]
pub extern "C" fn modes_raw_is_raw() -> c_int {
    (rt0::library!().creator() == Some(rt0::Creator::Raw)) as c_int
}

/// The precompiled `core` carries unwind tables that name this symbol even under
/// `panic = "abort"`; a `no_std` cdylib must define it (it is never called).
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
