//! One of two rt0 libraries loaded into one host (tests/multi_library.rs): `#![no_std]`, raw
//! creator (its init uses rt0's system calls only).

#![no_std]

use core::ffi::{c_char, c_int, c_longlong};
use core::sync::atomic::{AtomicU32, Ordering};

rt0::lib_entry!(init -> Beta, creator = raw);

/// What beta's init saw.
pub struct Beta {
    argc: usize,
    arg: *const c_char,
}

// SAFETY: the pointer is the process's argv[0], read-only for the life of the process.
unsafe impl Sync for Beta {}

/// How many times beta's init ran in this process.
static INIT_RUNS: AtomicU32 = AtomicU32::new(0);

fn init(args: &rt0::Args) -> Result<Beta, rt0::InitError> {
    INIT_RUNS.fetch_add(1, Ordering::SeqCst);
    let arg = args.arg(0).map_or(core::ptr::null(), |a| a.as_ptr());
    Ok(Beta {
        argc: args.argc(),
        arg,
    })
}

/// "beta": beta's own state (a literal: beta has no allocator).
#[rt0::export(on_error = core::ptr::null())]
pub extern "C" fn beta_name(#[state] _b: &Beta) -> *const c_char {
    c"beta".as_ptr()
}

/// How many times beta's init ran.
#[rt0::export(on_error = -1)]
pub extern "C" fn beta_init_runs() -> c_int {
    INIT_RUNS.load(Ordering::SeqCst) as c_int
}

/// argc as beta's init saw it.
#[rt0::export(on_error = -1)]
pub extern "C" fn beta_argc(#[state] b: &Beta) -> c_int {
    b.argc as c_int
}

/// argv[0] as beta's init saw it.
#[rt0::export(on_error = core::ptr::null())]
pub extern "C" fn beta_arg(#[state] b: &Beta) -> *const c_char {
    b.arg
}

/// The thread that ran beta's init.
#[rt0::export(on_error = -1)]
pub extern "C" fn beta_init_tid() -> c_longlong {
    rt0::library!().init_thread_id() as c_longlong
}

/// "pthread" or "raw": beta's creator.
#[rt0::export(on_error = core::ptr::null())]
pub extern "C" fn beta_creator() -> *const c_char {
    match rt0::library!().creator() {
        Some(rt0::Creator::Pthread) => c"pthread".as_ptr(),
        Some(rt0::Creator::Raw) => c"raw".as_ptr(),
        _ => c"none".as_ptr(),
    }
}

/// The precompiled `core` names this symbol in its unwind tables even under panic = "abort".
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
