//! A library as a user writes it with std, for Windows (tests/windows_wine.rs builds it against
//! the packaged rt0, as a DLL and a static library, and runs `win_std_host.c` on it).
//!
//! Its init returns typed state and uses `?`: it reads `WIN_STD_SCALE` (a number; anything else
//! fails init with the parse error's text), counts the arguments in a `HashMap` (whose random
//! keys come from `ProcessPrng`, so the DLL needs a working bcryptprimitives.dll at run time, not
//! only at load), and starts a worker `std::thread` that lives on after init and answers
//! requests: the sum of the squares 1..=n, times the scale. Init asks it once (n = argc) and
//! keeps that answer; exports ask it again later. Init also starts a ticker, a thread that
//! wakes every 10 ms for the life of the process (as a timer or a runtime's worker does): its
//! code runs from the DLL long after init, so the DLL must stay loaded whatever the host's
//! `FreeLibrary` calls.

use std::collections::HashMap;
use std::error::Error;
use std::ffi::{c_char, c_int, c_longlong, CStr, CString};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How often the ticker woke up.
static TICKS: AtomicI64 = AtomicI64::new(0);

rt0::lib_entry!(init -> Service);

#[link(name = "kernel32")]
extern "system" {
    /// The OS thread id, to compare with the host's `GetCurrentThreadId()`.
    fn GetCurrentThreadId() -> u32;
}

fn os_thread_id() -> u32 {
    // SAFETY: no arguments, no preconditions.
    unsafe { GetCurrentThreadId() }
}

/// What init built, kept by rt0 and handed to every export.
pub struct Service {
    argv: Vec<CString>,
    /// How often each argument occurs.
    counts: HashMap<String, c_int>,
    init_thread_id: u32,
    worker: Worker,
    /// The worker's answer to init's own request.
    answer_during_init: i64,
}

/// The worker thread's end of the conversation; the mutex keeps one request paired with its
/// answer when several host threads ask at once.
struct Worker {
    thread_id: u32,
    channel: Mutex<(Sender<i64>, Receiver<i64>)>,
}

impl Worker {
    fn start(scale: i64) -> Result<Worker, Box<dyn Error + Send + Sync>> {
        let (request_tx, request_rx) = channel::<i64>();
        let (answer_tx, answer_rx) = channel::<i64>();
        let (id_tx, id_rx) = channel::<u32>();
        std::thread::Builder::new()
            .name("win-std-worker".into())
            .spawn(move || {
                let _ = id_tx.send(os_thread_id());
                for n in request_rx {
                    let answer = scale * (1..=n).map(|k| k * k).sum::<i64>();
                    if answer_tx.send(answer).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            thread_id: id_rx.recv()?,
            channel: Mutex::new((request_tx, answer_rx)),
        })
    }

    fn ask(&self, n: i64) -> Option<i64> {
        let channel = self.channel.lock().ok()?;
        channel.0.send(n).ok()?;
        channel.1.recv().ok()
    }
}

fn init(args: &rt0::Args) -> Result<Service, Box<dyn Error + Send + Sync>> {
    let scale = match args.env("WIN_STD_SCALE") {
        Some(raw) => {
            let raw = raw.to_str()?;
            raw.parse::<i64>()
                .map_err(|e| format!("win-std: WIN_STD_SCALE={raw}: {e}"))?
        }
        None => 1,
    };
    let argv: Vec<CString> = args.iter().map(CString::from).collect();
    let mut counts = HashMap::new();
    for arg in &argv {
        *counts
            .entry(arg.to_string_lossy().into_owned())
            .or_insert(0) += 1;
    }
    let worker = Worker::start(scale)?;
    std::thread::Builder::new()
        .name("win-std-ticker".into())
        .spawn(|| loop {
            TICKS.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(10));
        })?;
    let answer_during_init = worker
        .ask(argv.len() as i64)
        .ok_or("win-std: the worker thread did not answer")?;
    Ok(Service {
        argv,
        counts,
        init_thread_id: os_thread_id(),
        worker,
        answer_during_init,
    })
}

/// 1 when init succeeded, 0 when it failed.
#[no_mangle]
pub extern "C" fn win_std_ready() -> c_int {
    rt0::state!().is_ok() as c_int
}

/// Init's error message, or NULL when init succeeded.
#[no_mangle]
pub extern "C" fn win_std_error() -> *const c_char {
    static MESSAGE: OnceLock<CString> = OnceLock::new();
    match rt0::state!() {
        Ok(_) => std::ptr::null(),
        Err(e) => MESSAGE
            .get_or_init(|| CString::new(e.message().replace('\0', " ")).unwrap_or_default())
            .as_ptr(),
    }
}

/// argc as init saw it.
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_argc(#[state] service: &Service) -> c_int {
    service.argv.len() as c_int
}

/// argv[i] as init saw it (UTF-8), or NULL.
#[rt0::export(on_error = std::ptr::null())]
pub extern "C" fn win_std_argv(#[state] service: &Service, i: c_int) -> *const c_char {
    usize::try_from(i)
        .ok()
        .and_then(|i| service.argv.get(i))
        .map_or(std::ptr::null(), |a| a.as_ptr())
}

/// How often `word` (UTF-8) occurs among the arguments; -1 for NULL.
///
/// # Safety
/// `word` is NULL or a NUL-terminated string.
#[rt0::export(on_error = -1)]
pub unsafe extern "C" fn win_std_count(#[state] service: &Service, word: *const c_char) -> c_int {
    if word.is_null() {
        return -1;
    }
    // SAFETY: the caller passes a NUL-terminated string (checked non-null above).
    let word = unsafe { CStr::from_ptr(word) }.to_string_lossy();
    service.counts.get(word.as_ref()).copied().unwrap_or(0)
}

/// The OS thread that ran init.
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_init_tid(#[state] service: &Service) -> c_longlong {
    service.init_thread_id.into()
}

/// The OS thread that ran rt0's load-time entry.
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_entry_tid() -> c_longlong {
    rt0::library!().entry_thread_id() as c_longlong
}

/// The worker thread init started.
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_worker_tid(#[state] service: &Service) -> c_longlong {
    service.worker.thread_id.into()
}

/// The worker's answer to init's request (n = argc).
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_answer_during_init(#[state] service: &Service) -> c_longlong {
    service.answer_during_init
}

/// Asks the worker, still running after init, for n: scale × (1² + … + n²); -1 if it is gone.
#[rt0::export(on_error = -1)]
pub extern "C" fn win_std_ask_worker(#[state] service: &Service, n: c_longlong) -> c_longlong {
    service.worker.ask(n).unwrap_or(-1)
}

/// How often the ticker init started has woken up (it never stops). No wait.
#[no_mangle]
pub extern "C" fn win_std_ticks() -> c_longlong {
    TICKS.load(Ordering::Relaxed)
}
