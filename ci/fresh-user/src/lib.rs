//! A realistic std library on rt0: init starts a background thread that produces a value, uses
//! `?` on std errors (rt0's `alloc` feature boxes them), and keeps typed state; exports use a
//! `thread_local!`. `FRESH_SUM_TO=n` sets the worker's job (default 100), `FRESH_PANIC=1` makes
//! init panic (reported as `InitErrorKind::Panicked`: built with `panic = "unwind"`).

use std::cell::Cell;
use std::error::Error;
use std::ffi::{c_char, CString};
use std::sync::mpsc;

// Exports give up after 10 s: an init stuck for longer is a failure, not a hang of the host.
rt0::lib_entry!(init -> Service, export_timeout_ms = 10_000);

/// What init leaves for the exports.
pub struct Service {
    greeting: CString,
    sum: u64,
}

fn init(args: &rt0::Args) -> Result<Service, Box<dyn Error + Send + Sync>> {
    if args.env("FRESH_PANIC").is_some_and(|v| v.to_bytes() == b"1") {
        panic!("fresh-user: init panicked on request");
    }
    let sum_to: u64 = match args.env("FRESH_SUM_TO") {
        Some(v) => v.to_str()?.parse()?,
        None => 100,
    };
    // The value comes from a std thread of init's own.
    let (send, receive) = mpsc::channel();
    let worker = std::thread::spawn(move || send.send((1..=sum_to).sum::<u64>()));
    let sum = receive.recv()?;
    worker.join().map_err(|_| "fresh-user: the worker panicked")??;
    let last = args
        .iter()
        .last()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let greeting = CString::new(format!("init saw {} args, last {last}", args.argc()))?;
    Ok(Service { greeting, sum })
}

thread_local! {
    /// How many times this thread called `fresh_calls_here`.
    static CALLS: Cell<i64> = const { Cell::new(0) };
}

/// The greeting init made, or NULL when init failed.
#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn fresh_greeting(#[state] service: &Service) -> *const c_char {
    service.greeting.as_ptr()
}

/// The worker thread's sum, or -1 when init failed.
#[rt0::export(on_error = -1)]
pub extern "C" fn fresh_sum(#[state] service: &Service) -> i64 {
    service.sum as i64
}

/// The number of calls made so far on the calling thread (a `thread_local!`), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn fresh_calls_here() -> i64 {
    CALLS.with(|calls| {
        calls.set(calls.get() + 1);
        calls.get()
    })
}

/// How init ended: "ok", "panicked", or "failed: <message>" (leaked: called once by a host).
#[no_mangle]
pub extern "C" fn fresh_outcome() -> *const c_char {
    let text = match rt0::wait_init_done!() {
        Ok(()) => "ok".to_string(),
        Err(e) if e.kind() == rt0::InitErrorKind::Panicked => "panicked".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    CString::new(text).unwrap_or_default().into_raw()
}
