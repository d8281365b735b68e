//! One of two rt0 libraries loaded into one host (tests/multi_library.rs): std, pthread creator.

use std::ffi::{c_char, c_int, c_longlong, CString};
use std::sync::atomic::{AtomicU32, Ordering};

rt0::lib_entry!(init -> Alpha);

/// What alpha's init saw.
pub struct Alpha {
    name: CString,
    argc: usize,
    arg: CString,
}

/// How many times alpha's init ran in this process.
static INIT_RUNS: AtomicU32 = AtomicU32::new(0);

fn init(args: &rt0::Args) -> Result<Alpha, rt0::InitError> {
    INIT_RUNS.fetch_add(1, Ordering::SeqCst);
    // A little std on the init thread: a formatted, allocated name.
    let name = CString::new(format!("alpha-{}", 1)).expect("no NUL");
    let arg = args.iter().last().map(|a| a.to_owned()).unwrap_or_default();
    Ok(Alpha {
        name,
        argc: args.argc(),
        arg,
    })
}

/// "alpha-1": alpha's own state.
#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn alpha_name(#[state] a: &Alpha) -> *const c_char {
    a.name.as_ptr()
}

/// How many times alpha's init ran.
#[rt0::export(on_error = -1)]
pub extern "C" fn alpha_init_runs() -> c_int {
    INIT_RUNS.load(Ordering::SeqCst) as c_int
}

/// argc as alpha's init saw it.
#[rt0::export(on_error = -1)]
pub extern "C" fn alpha_argc(#[state] a: &Alpha) -> c_int {
    a.argc as c_int
}

/// The last argument as alpha's init saw it.
#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn alpha_arg(#[state] a: &Alpha) -> *const c_char {
    a.arg.as_ptr()
}

/// The thread that ran alpha's init.
#[rt0::export(on_error = -1)]
pub extern "C" fn alpha_init_tid() -> c_longlong {
    rt0::library!().init_thread_id() as c_longlong
}

/// "pthread" or "raw": alpha's creator.
#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn alpha_creator() -> *const c_char {
    match rt0::library!().creator() {
        Some(rt0::Creator::Pthread) => c"pthread".as_ptr(),
        Some(rt0::Creator::Raw) => c"raw".as_ptr(),
        _ => c"none".as_ptr(),
    }
}
