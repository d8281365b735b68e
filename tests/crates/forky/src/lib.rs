//! A library whose state a fork child cannot use as it inherited it (tests/fork_policy.rs): init
//! starts a worker `std::thread` that answers requests over a channel and builds a
//! multi-threaded tokio runtime, and keeps both in the state. A fork child has neither thread:
//! with `on_fork = reinit` (the default build) its first export runs init again there, so the
//! child gets a worker and a runtime of its own.
//!
//! Builds, one per policy (cargo features):
//! - none: `on_fork = reinit` (rt0's default, so the macro is left without the option);
//! - `policy-fail`: `on_fork = fail`, the same state;
//! - `policy-inherit`: `on_fork = inherit`, whose state is plain data (a table of squares and
//!   the pid init ran in), with no thread behind it, as that policy requires.
//!
//! Knobs, read from the environment rt0 saved at the load (a reinit sees the same):
//! - `FORKY_INIT_SLEEP_MS=<n>`: every init sleeps n ms first (a reinit in a child too), so a
//!   host can fork while it runs;
//! - `FORKY_FIRST_INIT_SLEEP_MS=<n>`: only the first init of the process tree (in the process
//!   that loaded the library) sleeps n ms: a parent whose init outlasts the test, and children
//!   that must not wait for it. The first init is the one that finds no init started before it
//!   in its memory: a host forks only once `forky_first_init_pid` says it began.

use std::ffi::{c_char, c_int, c_longlong};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

#[cfg(not(any(feature = "policy-fail", feature = "policy-inherit")))]
rt0::lib_entry!(init -> State);
#[cfg(feature = "policy-fail")]
rt0::lib_entry!(init -> State, on_fork = fail);
#[cfg(feature = "policy-inherit")]
rt0::lib_entry!(init -> State, on_fork = inherit);

/// What init built, kept by rt0 as the library's state.
pub struct State {
    /// The process id init ran in.
    init_pid: u32,
    #[cfg(not(feature = "policy-inherit"))]
    worker: Worker,
    #[cfg(not(feature = "policy-inherit"))]
    runtime: tokio::runtime::Runtime,
    /// Plain data: 0², 1², ... 1000².
    #[cfg(feature = "policy-inherit")]
    squares: Vec<i64>,
}

/// The process id of the first init of the process tree (0 before it): copied into a fork
/// child with the rest of memory, so a reinit there finds it set.
static FIRST_INIT_PID: AtomicU32 = AtomicU32::new(0);
/// The process id of the last init (high 32 bits) and how many inits ran in that process (low
/// 32 bits): a child's copy names its parent, so it counts from 0 again.
static INITS: AtomicU64 = AtomicU64::new(0);

/// The worker thread's end of the conversation; the mutex keeps one request paired with its
/// answer when several host threads ask at once.
#[cfg(not(feature = "policy-inherit"))]
struct Worker {
    thread_id: u64,
    channel: std::sync::Mutex<(std::sync::mpsc::Sender<i64>, std::sync::mpsc::Receiver<i64>)>,
}

#[cfg(not(feature = "policy-inherit"))]
impl Worker {
    /// Starts the worker thread: it answers each request `n` with `n * n`.
    fn start() -> Result<Worker, rt0::InitError> {
        use std::sync::mpsc::channel;
        let (request_tx, request_rx) = channel::<i64>();
        let (answer_tx, answer_rx) = channel::<i64>();
        let (id_tx, id_rx) = channel::<u64>();
        std::thread::Builder::new()
            .name("forky-worker".into())
            .spawn(move || {
                let _ = id_tx.send(rt0::sys::thread_id());
                for n in request_rx {
                    if answer_tx.send(n * n).is_err() {
                        break;
                    }
                }
            })
            .map_err(|_| rt0::InitError::new("forky: the worker thread could not start"))?;
        let thread_id = id_rx
            .recv()
            .map_err(|_| rt0::InitError::new("forky: the worker thread ended at once"))?;
        Ok(Worker {
            thread_id,
            channel: std::sync::Mutex::new((request_tx, answer_rx)),
        })
    }

    fn ask(&self, n: i64) -> Option<i64> {
        let channel = self.channel.lock().ok()?;
        channel.0.send(n).ok()?;
        channel.1.recv().ok()
    }
}

fn env_ms(args: &rt0::Args, name: &str) -> Option<u64> {
    args.env(name)?.to_str().ok()?.parse().ok()
}

fn init(args: &rt0::Args) -> Result<State, rt0::InitError> {
    let pid = std::process::id();
    let first = FIRST_INIT_PID
        .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Acquire)
        .is_ok();
    let before = INITS.load(Ordering::Acquire);
    let count = if (before >> 32) as u32 == pid {
        (before as u32) + 1
    } else {
        1
    };
    INITS.store((u64::from(pid) << 32) | u64::from(count), Ordering::Release);
    if let Some(ms) = env_ms(args, "FORKY_INIT_SLEEP_MS") {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if first {
        if let Some(ms) = env_ms(args, "FORKY_FIRST_INIT_SLEEP_MS") {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
    #[cfg(not(feature = "policy-inherit"))]
    {
        let worker = Worker::start()?;
        if worker.ask(12) != Some(144) {
            return Err(rt0::InitError::new(
                "forky: the worker answered wrong during init",
            ));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("forky-tokio")
            .build()
            .map_err(|_| rt0::InitError::new("forky: no tokio runtime"))?;
        Ok(State {
            init_pid: pid,
            worker,
            runtime,
        })
    }
    #[cfg(feature = "policy-inherit")]
    Ok(State {
        init_pid: pid,
        squares: (0..=1000i64).map(|n| n * n).collect(),
    })
}

/// 1 when init completed, 0 when not (failed, or a fork child's `Forked`).
#[rt0::export(on_error = 0)]
pub extern "C" fn forky_ready() -> c_int {
    1
}

/// 1 when init has completed in this process, else 0 at once: never waits. In a fork child
/// with `on_fork = reinit` its first call starts the child's init and returns.
#[rt0::export(on_error = 0, timeout_ms = 0)]
pub extern "C" fn forky_ready_now() -> c_int {
    1
}

/// The process id init ran in, or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn forky_init_pid(#[state] s: &State) -> c_longlong {
    c_longlong::from(s.init_pid)
}

/// `n * n`, computed by the worker thread (the `inherit` build: read from init's table, for n
/// in 0..=1000), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn forky_square(#[state] s: &State, n: c_longlong) -> c_longlong {
    #[cfg(not(feature = "policy-inherit"))]
    return s.worker.ask(n).unwrap_or(-3);
    #[cfg(feature = "policy-inherit")]
    return usize::try_from(n)
        .ok()
        .and_then(|i| s.squares.get(i).copied())
        .unwrap_or(-3);
}

/// The worker thread's OS thread id (0 in the `inherit` build, which has none), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn forky_worker_tid(#[state] s: &State) -> c_longlong {
    #[cfg(not(feature = "policy-inherit"))]
    return s.worker.thread_id as c_longlong;
    #[cfg(feature = "policy-inherit")]
    return {
        let _ = s;
        0
    };
}

/// `n * n * n`, computed by a task spawned on the state's tokio runtime (-2 in the `inherit`
/// build, which has none), or -1.
#[rt0::export(on_error = -1)]
pub extern "C" fn forky_tokio(#[state] s: &State, n: c_longlong) -> c_longlong {
    #[cfg(not(feature = "policy-inherit"))]
    return s
        .runtime
        .block_on(async move { tokio::spawn(async move { n * n * n }).await })
        .unwrap_or(-3);
    #[cfg(feature = "policy-inherit")]
    return {
        let _ = (s, n);
        -2
    };
}

/// The process id of the first init of the process tree, once that init has started (0
/// before): a host that must fork only after its init began waits for it. No wait.
#[no_mangle]
pub extern "C" fn forky_first_init_pid() -> c_longlong {
    c_longlong::from(FIRST_INIT_PID.load(Ordering::Acquire))
}

/// How many times init ran in this process (a reinit in a fork child counts there). No wait.
#[no_mangle]
pub extern "C" fn forky_inits() -> c_int {
    let now = INITS.load(Ordering::Acquire);
    if (now >> 32) as u32 == std::process::id() {
        now as u32 as c_int
    } else {
        0
    }
}

/// The init state without waiting: 0 pending, 1 running, 2 done, 3 failed, 4 a fork child that
/// cannot use the parent's state.
#[no_mangle]
pub extern "C" fn forky_state() -> c_int {
    match rt0::library!().init_state() {
        rt0::InitState::Pending => 0,
        rt0::InitState::Running => 1,
        rt0::InitState::Done => 2,
        rt0::InitState::Failed => 3,
        rt0::InitState::Forked => 4,
        _ => -1,
    }
}

/// Waits like every export, then names the outcome: "ok", or the `InitErrorKind` ("forked",
/// "timed_out", ...).
#[no_mangle]
pub extern "C" fn forky_kind() -> *const c_char {
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
            K::Forked => c"forked".as_ptr(),
            _ => c"other".as_ptr(),
        },
    }
}

/// The library's `on_fork` policy: "reinit", "fail" or "inherit".
#[no_mangle]
pub extern "C" fn forky_policy() -> *const c_char {
    match rt0::library!().fork_policy() {
        rt0::ForkPolicy::Reinit => c"reinit".as_ptr(),
        rt0::ForkPolicy::Fail => c"fail".as_ptr(),
        rt0::ForkPolicy::Inherit => c"inherit".as_ptr(),
    }
}
