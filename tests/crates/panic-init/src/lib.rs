//! An init that panics (`PANIC_INIT=1`, a formatted message; `PANIC_INIT=static`, a
//! literal) or succeeds; built with panic = "unwind", rt0 catches the panic on the init thread.
//! `PANIC_INIT=abort`: init calls an `extern "C"` function that panics, a panic that cannot
//! unwind, so the process aborts. `PANIC_STACK_SIZE=1`: the library's `stack_size` function,
//! which runs on the loader's thread, panics.

use std::ffi::{c_char, c_int, CString};
use std::sync::OnceLock;

rt0::lib_entry!(init, stack_size = stack_size);

fn stack_size(args: &rt0::Args) -> usize {
    if args.env("PANIC_STACK_SIZE").is_some_and(|v| v.to_bytes() == b"1") {
        panic!("stack_size gave up on {}", "PANIC_STACK_SIZE");
    }
    rt0::thread::DEFAULT_STACK_SIZE
}

/// A callback as C code would call it: a panic here cannot unwind out of it.
extern "C" fn callback_that_panics() {
    panic!("the callback gave up");
}

fn init(args: &rt0::Args) -> Result<(), rt0::InitError> {
    match args.env("PANIC_INIT").map(|v| v.to_bytes()) {
        Some(b"1") => panic!("init gave up after {} tries", 3),
        Some(b"static") => panic!("init gave up"),
        Some(b"abort") => {
            callback_that_panics();
            Ok(())
        }
        _ => Ok(()),
    }
}

/// 1 when init completed, 0 when it failed.
#[no_mangle]
pub extern "C" fn panicky_ready() -> c_int {
    rt0::wait_init_done!().is_ok() as c_int
}

/// "panicked" when init panicked, "ok" when it did not, another kind's name otherwise.
#[no_mangle]
pub extern "C" fn panicky_kind() -> *const c_char {
    match rt0::wait_init_done!() {
        Ok(()) => c"ok".as_ptr(),
        Err(e) if e.kind() == rt0::InitErrorKind::Panicked => c"panicked".as_ptr(),
        Err(_) => c"other".as_ptr(),
    }
}

/// The failure message, or NULL.
#[no_mangle]
pub extern "C" fn panicky_error() -> *const c_char {
    static MESSAGE: OnceLock<CString> = OnceLock::new();
    match rt0::wait_init_done!() {
        Ok(()) => std::ptr::null(),
        Err(e) => MESSAGE
            .get_or_init(|| CString::new(e.message()).unwrap_or_default())
            .as_ptr(),
    }
}
