//! The start-mode test library (tests/start_modes.rs), built once per mode: `start = at_load`
//! by default, `inline`, `first_call` or `explicit` with the feature of that name. Its exports
//! are written the way cbindgen reads them (a written `#[no_mangle]` and the C signature), and
//! the tests make its C header with cbindgen.
//!
//! Init counts its runs, records its own thread id, starts a std thread and joins it (the
//! thread's id goes into the state), and reads rt0's copy of the load's environment:
//! - `MODES_MARK=<path>`: appends one line per run to that file,
//!   `init pid=P tid=T entry_tid=E helper_tid=H` (so a host that calls nothing, like
//!   `LD_PRELOAD=libmodes.so /bin/true`, still shows whether and where init ran);
//! - `MODES_INIT_SLEEP_MS=<n>`: init takes `n` ms more;
//! - `MODES_FAIL=1`: init fails with `modes: init failed on request`;
//! - `MODES_INIT_GATE=1`: init does not finish until the host calls `modes_open_gate()`, so
//!   that a host can see an export's timeout on every target. Init is parked meanwhile, not
//!   spinning or sleeping: the emulated XNU has no sleep, and fires a wait's timeout only when
//!   every thread is blocked.

use std::ffi::{c_char, c_int};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

#[cfg(not(any(feature = "inline", feature = "first_call", feature = "explicit")))]
rt0::lib_entry!(init -> State);
#[cfg(feature = "inline")]
rt0::lib_entry!(init -> State, start = inline);
#[cfg(feature = "first_call")]
rt0::lib_entry!(init -> State, start = first_call);
#[cfg(feature = "explicit")]
rt0::lib_entry!(init -> State, start = explicit);

/// What init leaves for the exports.
pub struct State {
    base: i32,
    helper_tid: u64,
}

static INIT_RUNS: AtomicU32 = AtomicU32::new(0);
static INIT_TID: AtomicU64 = AtomicU64::new(0);
static GATE_OPEN: AtomicBool = AtomicBool::new(false);
static GATE_WAITER: std::sync::OnceLock<std::thread::Thread> = std::sync::OnceLock::new();

fn init(args: &rt0::Args) -> Result<State, &'static str> {
    INIT_RUNS.fetch_add(1, Ordering::AcqRel);
    let tid = rt0::sys::thread_id();
    INIT_TID.store(tid, Ordering::Release);
    // A thread of init's own, joined: inside a glibc dlopen this thread needs the loader's lock
    // (its first thread_local! destructor registers under it), so an init run inline there
    // would wait for good.
    let helper_tid = std::thread::spawn(|| {
        thread_local!(static DROPPED: Tls = const { Tls });
        DROPPED.with(|_| ());
        rt0::sys::thread_id()
    })
    .join()
    .map_err(|_| "modes: the helper thread panicked")?;
    if let Some(path) = args.env("MODES_MARK") {
        let line = format!(
            "init pid={} tid={tid} entry_tid={} helper_tid={helper_tid}\n",
            std::process::id(),
            rt0::library!().entry_thread_id(),
        );
        // As text, so that the same code builds for Windows (the tests give an ASCII path).
        let path = path.to_str().map_err(|_| "modes: MODES_MARK is not UTF-8")?;
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .map_err(|_| "modes: cannot append to MODES_MARK")?;
    }
    if let Some(ms) = args.env("MODES_INIT_SLEEP_MS") {
        let ms = ms
            .to_str()
            .ok()
            .and_then(|ms| ms.parse().ok())
            .ok_or("modes: MODES_INIT_SLEEP_MS is not a number")?;
        std::thread::sleep(Duration::from_millis(ms));
    }
    if args.env("MODES_INIT_GATE").is_some_and(|v| v.to_bytes() == b"1") {
        GATE_WAITER.get_or_init(std::thread::current);
        while !GATE_OPEN.load(Ordering::Acquire) {
            std::thread::park();
        }
    }
    if args.env("MODES_FAIL").is_some_and(|v| v.to_bytes() == b"1") {
        return Err("modes: init failed on request");
    }
    Ok(State {
        base: 40,
        helper_tid,
    })
}

/// A thread-local value with a destructor (what makes glibc register one for the thread).
struct Tls;

impl Drop for Tls {
    fn drop(&mut self) {}
}

/// 40 + x, from init's state; -1 when init failed (or, with `start = explicit`, was not
/// started yet).
#[rt0::export(on_error = -1, state = state)]
#[no_mangle]
pub extern "C" fn modes_add(x: i32) -> i32 {
    state.base + x
}

/// 40 + x, like `modes_add`, but waits at most 50 ms for init: -1 when init is not done by
/// then (or failed, or was not started).
#[rt0::export(on_error = -1, timeout_ms = 50, state = state)]
#[no_mangle]
pub extern "C" fn modes_add_within_50ms(x: i32) -> i32 {
    state.base + x
}

/// Lets an init held by `MODES_INIT_GATE=1` finish (no wait).
#[no_mangle]
pub extern "C" fn modes_open_gate() {
    GATE_OPEN.store(true, Ordering::Release);
    if let Some(init) = GATE_WAITER.get() {
        init.unpark();
    }
}

/// 40 + the sum of `count` values at `values`; -1 when init failed or was not started.
///
/// # Safety
/// `values` points to `count` readable values (or `count` is 0).
#[rt0::export(on_error = -1, state = state)]
#[no_mangle]
pub unsafe extern "C" fn modes_sum(values: *const i32, count: usize) -> i64 {
    let values = match count {
        0 => &[][..],
        // SAFETY: the caller's contract.
        _ => unsafe { std::slice::from_raw_parts(values, count) },
    };
    i64::from(state.base) + values.iter().map(|&v| i64::from(v)).sum::<i64>()
}

/// The OS thread id of the thread init started and joined; 0 when init failed or was not
/// started.
#[rt0::export(on_error = 0, state = state)]
#[no_mangle]
pub extern "C" fn modes_helper_tid() -> u64 {
    state.helper_tid
}

/// Uses no state, waits for init all the same: 1 once init is done, -1 when it failed or was
/// not started.
#[rt0::export(on_error = -1)]
#[no_mangle]
pub extern "C" fn modes_ready() -> c_int {
    1
}

/// Starts init if it has not started (`start = explicit`: nothing else does; the other modes:
/// nothing to do) and returns at once.
#[no_mangle]
pub extern "C" fn modes_start() {
    rt0::library!().start()
}

/// Where init stands, without waiting or starting anything: 0 pending, 1 running, 2 done,
/// 3 failed (then `*message`, when `message` is not NULL, says why), 4 not started, 5 a fork
/// child that cannot use the parent's state.
///
/// # Safety
/// `message` is NULL or points to writable storage for one pointer.
#[no_mangle]
pub unsafe extern "C" fn modes_status(message: *mut *const c_char) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { rt0::library!().c_status(message) }
}

/// How many times init ran in this process (no wait).
#[no_mangle]
pub extern "C" fn modes_init_runs() -> u32 {
    INIT_RUNS.load(Ordering::Acquire)
}

/// The OS thread id init ran on, as init saw it; 0 before init ran (no wait).
#[no_mangle]
pub extern "C" fn modes_init_tid() -> u64 {
    INIT_TID.load(Ordering::Acquire)
}

/// The OS thread id that ran the library's entry (the loading thread; no wait).
#[no_mangle]
pub extern "C" fn modes_entry_tid() -> u64 {
    rt0::library!().entry_thread_id()
}
