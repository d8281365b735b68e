//! A library whose init uses std (tests/lifecycle.rs): it spawns a `std::thread` and joins it,
//! touches a `thread_local!` with a destructor (registered with the C library's thread-exit
//! hook, which takes glibc's loader lock), and runs a small multi-threaded tokio runtime, dropped
//! before init returns. Knobs, read from the environment rt0 saved at the entry:
//!
//! - `STD_INIT_GATE=<fifo>`: init first opens the FIFO and reads one byte, so it cannot finish
//!   before someone writes there (orders a test without timing);
//! - `STD_INIT_SLEEP_MS=<n>`: init then sleeps n ms;
//! - `STD_INIT_FOREVER=1`: init never returns (sleeps in a loop);
//! - `STD_INIT_STD_SYNC=1`: init also calls `std::thread::current()`, receives on an `mpsc`
//!   channel and runs a `std::thread::scope` (each registers std's thread-info pthread key, whose
//!   destructor glibc runs at the init thread's exit: a dlclose during init must not unmap it
//!   before that).

use std::ffi::{c_char, c_int, c_longlong};
use std::io::Read;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

rt0::lib_entry!(init -> State);

/// What init computed, kept by rt0 as the library's state.
pub struct State {
    thread_sum: i64,
    tokio_sum: i64,
}

/// 1 once init's thread-local destructor ran (on the init thread, after init returned).
static TLS_DTOR_RAN: AtomicI32 = AtomicI32::new(0);

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        TLS_DTOR_RAN.store(1, Ordering::SeqCst);
    }
}

thread_local! {
    static GUARD: Guard = const { Guard };
}

fn env_str(args: &rt0::Args, name: &str) -> Option<String> {
    args.env(name).map(|v| v.to_string_lossy().into_owned())
}

fn init(args: &rt0::Args) -> Result<State, rt0::InitError> {
    // The first thread-local with a destructor on this thread: glibc registers it under its
    // loader lock (__cxa_thread_atexit_impl).
    GUARD.with(|_| ());
    if let Some(fifo) = env_str(args, "STD_INIT_GATE") {
        let mut byte = [0u8; 1];
        std::fs::File::open(&fifo)
            .and_then(|mut f| f.read_exact(&mut byte))
            .map_err(|_| rt0::InitError::new("std-init: the gate could not be read"))?;
    }
    if let Some(ms) = env_str(args, "STD_INIT_SLEEP_MS").and_then(|v| v.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if env_str(args, "STD_INIT_STD_SYNC").as_deref() == Some("1") {
        let _ = std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel::<i64>();
        std::thread::scope(|s| {
            s.spawn(move || tx.send(7));
        });
        rx.recv()
            .map_err(|_| rt0::InitError::new("std-init: the channel closed"))?;
    }
    if env_str(args, "STD_INIT_FOREVER").as_deref() == Some("1") {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let thread_sum = std::thread::spawn(|| (1..=10i64).sum::<i64>())
        .join()
        .map_err(|_| rt0::InitError::new("std-init: the std thread panicked"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .map_err(|_| rt0::InitError::new("std-init: no tokio runtime"))?;
    let tokio_sum = runtime.block_on(async {
        let tasks: Vec<_> = (1..=8i64).map(|i| tokio::spawn(async move { i * i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap_or(0);
        }
        sum
    });
    drop(runtime);
    Ok(State {
        thread_sum,
        tokio_sum,
    })
}

/// 1 when init completed, 0 when it failed.
#[rt0::export(on_error = 0)]
pub extern "C" fn std_init_ready() -> c_int {
    1
}

/// 55 (1 + ... + 10, summed on a std::thread), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn std_init_thread_sum(#[state] s: &State) -> c_longlong {
    s.thread_sum
}

/// 204 (1² + ... + 8², summed by tokio tasks), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn std_init_tokio_sum(#[state] s: &State) -> c_longlong {
    s.tokio_sum
}

/// Waits like every export, then names the outcome: "ok", or the `InitErrorKind`
/// ("would_deadlock", "called_from_init", "forked", ...).
#[no_mangle]
pub extern "C" fn std_init_kind() -> *const c_char {
    use rt0::InitErrorKind as K;
    match rt0::library!().wait() {
        Ok(_) => c"ok".as_ptr(),
        Err(e) => match e.kind() {
            K::NotStarted => c"not_started".as_ptr(),
            K::CalledFromInit => c"called_from_init".as_ptr(),
            K::WouldDeadlock => c"would_deadlock".as_ptr(),
            K::TimedOut => c"timed_out".as_ptr(),
            K::InitFailed => c"init_failed".as_ptr(),
            K::Panicked => c"panicked".as_ptr(),
            K::StackAllocation => c"stack_allocation".as_ptr(),
            K::ThreadCreate => c"thread_create".as_ptr(),
            K::Forked => c"forked".as_ptr(),
            _ => c"other".as_ptr(),
        },
    }
}

/// The init state without waiting: 0 pending, 1 running, 2 done, 3 failed, 4 a fork child that cannot use the parent's state.
#[no_mangle]
pub extern "C" fn std_init_state() -> c_int {
    match rt0::library!().init_state() {
        rt0::InitState::Pending => 0,
        rt0::InitState::Running => 1,
        rt0::InitState::Done => 2,
        rt0::InitState::Failed => 3,
        // A fork child whose library cannot use the parent's state (yet).
        rt0::InitState::Forked => 4,
        _ => -1,
    }
}

/// 1 once init's thread-local destructor ran (it runs when the init thread ends). No wait.
#[no_mangle]
pub extern "C" fn std_init_tls_dtor_ran() -> c_int {
    TLS_DTOR_RAN.load(Ordering::SeqCst)
}

/// A Lua C module's entry (`package.loadlib(path, "luaopen_std_init")` in the `lua5.4`
/// interpreter): pushes nothing and returns 0 results. The `lua_State` is opaque here, so the
/// library links no liblua.
#[no_mangle]
pub extern "C" fn luaopen_std_init(_lua: *mut std::ffi::c_void) -> c_int {
    0
}
