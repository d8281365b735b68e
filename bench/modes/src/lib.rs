//! ci/bench's start-mode libraries: a `no_std` cdylib whose one export, `bench_ready()`, answers
//! 1 once the library is ready. Without rt0 (no feature) it is a plain Rust cdylib with no
//! initializer at all, the floor the deferred modes are compared with; with the `rt0` feature
//! its init (which does nothing) starts as `inline`, `first_call` or `explicit` say, else at
//! load. `no_std` like the demo, so that every variant links the same libraries (libc only) and
//! a difference in time is rt0's.

#![no_std]

use core::ffi::c_int;

#[cfg(all(
    feature = "rt0",
    not(any(feature = "inline", feature = "first_call", feature = "explicit"))
))]
rt0::lib_entry!(init);
#[cfg(feature = "inline")]
rt0::lib_entry!(init, start = inline);
#[cfg(feature = "first_call")]
rt0::lib_entry!(init, start = first_call);
#[cfg(feature = "explicit")]
rt0::lib_entry!(init, start = explicit);

#[cfg(feature = "rt0")]
fn init(_: &rt0::Args) -> Result<(), rt0::InitError> {
    Ok(())
}

/// 1 once the library is ready: at once without rt0, else when init is done (0: it failed).
#[no_mangle]
pub extern "C" fn bench_ready() -> c_int {
    #[cfg(feature = "rt0")]
    return rt0::wait_init_done!().is_ok() as c_int;
    #[cfg(not(feature = "rt0"))]
    1
}

/// Starts init (`explicit`; in the other variants there is nothing to start).
#[no_mangle]
pub extern "C" fn bench_start() {
    #[cfg(feature = "rt0")]
    rt0::library!().start();
}

extern "C" {
    /// The C library's (every variant links it).
    fn abort() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: abort takes nothing and never returns.
    unsafe { abort() }
}

/// The precompiled `core` carries unwind tables that name this symbol even under
/// `panic = "abort"`; a `no_std` cdylib must define it (it is never called).
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
