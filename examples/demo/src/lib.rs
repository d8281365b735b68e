//! rt0's demo library: the C interface in `include/rt0_demo.h`, built as a staticlib and cdylib.
//!
//! Its init runs at load on a fresh OS thread (the pthread creator by default, the raw creator
//! with the demo's `raw` feature) and records what it saw, so C hosts and tests can check it. On
//! the raw path init has no thread pointer, so everything here is `no_std` and uses rt0's calls
//! only.

#![no_std]
#![deny(missing_docs)]

use core::ffi::{c_char, c_int, c_longlong, c_ulonglong, CStr};
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use rt0::{Args, InitError};

#[cfg(not(feature = "raw"))]
rt0::lib_entry!(init, stack_size = stack_size);
#[cfg(feature = "raw")]
rt0::lib_entry!(init, creator = raw, stack_size = stack_size);

static INIT_ARGC: AtomicUsize = AtomicUsize::new(0);
static INIT_SIGMASK: AtomicU64 = AtomicU64::new(0);
static INIT_STACK_ADDR: AtomicUsize = AtomicUsize::new(0);
/// At init's end: the value of the variable `RT0_DEMO_WATCH` names (null: unset), and how many
/// environment entries init saw.
static INIT_WATCHED: AtomicPtr<c_char> = AtomicPtr::new(core::ptr::null_mut());
static INIT_ENV_COUNT: AtomicUsize = AtomicUsize::new(0);
/// What init's own call of an export gave (`RT0_DEMO_INIT_CALLS_EXPORT=1`); -1 = not asked.
static INIT_EXPORT_RESULT: AtomicI32 = AtomicI32::new(-1);

/// Parses a decimal environment value; `None` when absent or not a number.
fn env_number(args: &Args, name: &str) -> Option<u64> {
    let value = args.env(name)?.to_bytes();
    if value.is_empty() || value.len() > 19 {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + (b - b'0') as u64)
    })
}

/// The init thread's stack size: `RT0_DEMO_STACK_BYTES`, or rt0's default.
fn stack_size(args: &Args) -> usize {
    env_number(args, "RT0_DEMO_STACK_BYTES").map_or(rt0::thread::DEFAULT_STACK_SIZE, |n| n as usize)
}

/// The demo's init: records what it saw, then sleeps or fails on request.
fn init(args: &Args) -> Result<(), InitError> {
    let marker = 0u8;
    INIT_STACK_ADDR.store(
        core::hint::black_box(&marker) as *const u8 as usize,
        Ordering::Relaxed,
    );
    // Windows has no signals: the mask stays 0 there.
    #[cfg(not(windows))]
    INIT_SIGMASK.store(rt0::sys::current_sigmask().0, Ordering::Relaxed);
    INIT_ARGC.store(args.argc(), Ordering::Relaxed);
    if args.env("RT0_DEMO_INIT_CALLS_EXPORT").map(CStr::to_bytes) == Some(b"1") {
        // An export called from init itself must return at once (CalledFromInit), not deadlock.
        let ready = rt0_demo_ready();
        let called_from_init = matches!(rt0::wait_init_done!(), Err(e) if e.kind() == rt0::InitErrorKind::CalledFromInit);
        INIT_EXPORT_RESULT.store(
            if ready == 0 && called_from_init {
                0
            } else {
                1 + ready
            },
            Ordering::Relaxed,
        );
    }
    if args.env("RT0_DEMO_INIT_OVERFLOW").map(CStr::to_bytes) == Some(b"1") {
        // Recurse until the stack runs into its guard page: the process must die of SIGSEGV (or
        // SIGBUS), never run on over whatever lies below the stack.
        let depth = overflow(0);
        rt0::sys::write_all(2, b"rt0-demo: the stack overflow did not fault\n");
        INIT_ARGC.store(depth, Ordering::Relaxed);
    }
    if let Some(ms) = env_number(args, "RT0_DEMO_INIT_SLEEP_MS") {
        rt0::sys::sleep_ms(ms.min(u32::MAX as u64) as u32);
    }
    // Read last, after any sleep: a host that changed its environment meanwhile must not show
    // here (rt0 keeps the environment as it was at the entry).
    if let Some(name) = args.env("RT0_DEMO_WATCH") {
        let value = env_value(args, name.to_bytes()).map_or(core::ptr::null(), CStr::as_ptr);
        INIT_WATCHED.store(value as *mut c_char, Ordering::Relaxed);
    }
    INIT_ENV_COUNT.store(args.env_iter().count(), Ordering::Relaxed);
    if args.env("RT0_DEMO_INIT_FAIL").map(CStr::to_bytes) == Some(b"1") {
        return Err(InitError::new(
            "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)",
        ));
    }
    Ok(())
}

/// The value of the variable `name` in `args` (compared as bytes: `str` conversions would make
/// the demo reference libcore, see `rt0_demo_error`).
fn env_value(args: &Args, name: &[u8]) -> Option<&'static CStr> {
    args.env_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Recurses with a 256-byte frame (well under the guard page, so no frame can jump it) until
/// the stack is exhausted.
#[inline(never)]
#[allow(unconditional_recursion)]
fn overflow(depth: usize) -> usize {
    let mut frame = [0u8; 256];
    frame[depth % 256] = depth as u8;
    let frame = core::hint::black_box(&mut frame);
    // Not a tail call: the frame is used after the recursive call returns.
    overflow(depth + 1).wrapping_add(frame[(depth + 1) % 256] as usize)
}

/// 1 when init completed, 0 when it failed.
#[no_mangle]
pub extern "C" fn rt0_demo_ready() -> c_int {
    rt0::wait_init_done!().is_ok() as c_int
}

/// OS thread id that ran the load-time entry.
#[no_mangle]
pub extern "C" fn rt0_demo_entry_tid() -> c_longlong {
    let _ = rt0::wait_init_done!();
    rt0::library!().entry_thread_id() as c_longlong
}

/// OS thread id that ran init (darwin: `thread_selfid`).
#[no_mangle]
pub extern "C" fn rt0_demo_init_tid() -> c_longlong {
    let _ = rt0::wait_init_done!();
    rt0::library!().init_thread_id() as c_longlong
}

/// argc as init saw it.
#[no_mangle]
pub extern "C" fn rt0_demo_argc() -> c_int {
    let _ = rt0::wait_init_done!();
    INIT_ARGC.load(Ordering::Relaxed) as c_int
}

/// argv[i] as init saw it, NULL past the end.
#[no_mangle]
pub extern "C" fn rt0_demo_argv(i: c_int) -> *const c_char {
    let _ = rt0::wait_init_done!();
    if i < 0 || i as usize >= INIT_ARGC.load(Ordering::Relaxed) {
        return core::ptr::null();
    }
    rt0::library!()
        .args()
        .arg(i as usize)
        .map_or(core::ptr::null(), CStr::as_ptr)
}

/// "pthread" or "raw": which creator the entry used.
#[no_mangle]
pub extern "C" fn rt0_demo_path() -> *const c_char {
    let _ = rt0::wait_init_done!();
    match rt0::library!().creator() {
        Some(rt0::Creator::Pthread) => c"pthread".as_ptr(),
        Some(rt0::Creator::Raw) => c"raw".as_ptr(),
        None => c"none".as_ptr(),
    }
}

/// Low 64 bits of init's blocked-signal mask (bit N-1 = signal N).
#[no_mangle]
pub extern "C" fn rt0_demo_init_sigmask() -> c_ulonglong {
    let _ = rt0::wait_init_done!();
    INIT_SIGMASK.load(Ordering::Relaxed)
}

/// The init state without waiting: 0 pending, 1 running, 2 done, 3 failed, 4 a fork child that cannot use the parent's state.
#[no_mangle]
pub extern "C" fn rt0_demo_state() -> c_int {
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

/// The failure message (NUL-terminated copy), or NULL when init did not fail.
#[no_mangle]
pub extern "C" fn rt0_demo_error() -> *const c_char {
    static MESSAGE: [AtomicU64; 32] = [const { AtomicU64::new(0) }; 32];
    match rt0::wait_init_done!() {
        Ok(()) => core::ptr::null(),
        Err(e) => {
            // Copy into a static NUL-terminated buffer (256 bytes), truncating. Byte by byte with
            // `get`: no slice indexing that could panic, so the demo references nothing in
            // libcore and a host's default link pulls none of it (docs/performance.md).
            let bytes = e.message().as_bytes();
            for (i, slot) in MESSAGE.iter().enumerate() {
                let mut word = [0u8; 8];
                for (j, b) in word.iter_mut().enumerate() {
                    let k = i * 8 + j;
                    if k < 255 {
                        *b = bytes.get(k).copied().unwrap_or(0);
                    }
                }
                slot.store(u64::from_ne_bytes(word), Ordering::Relaxed);
            }
            MESSAGE.as_ptr().cast()
        }
    }
}

/// What init got when it called `rt0_demo_ready` itself (`RT0_DEMO_INIT_CALLS_EXPORT=1`):
/// 0 = it returned 0 at once with `CalledFromInit` (the defined answer), 1 or 2 = something
/// else, -1 = init was not asked to. Waits.
#[no_mangle]
pub extern "C" fn rt0_demo_init_export_result() -> c_int {
    let _ = rt0::wait_init_done!();
    INIT_EXPORT_RESULT.load(Ordering::Relaxed)
}

/// The address of a local variable of init (somewhere on the init thread's stack), 0 until
/// init stored it (its first action). No wait, so a host can look at the stack while init runs.
#[no_mangle]
pub extern "C" fn rt0_demo_init_stack_addr() -> c_ulonglong {
    INIT_STACK_ADDR.load(Ordering::Relaxed) as c_ulonglong
}

/// The `envp` vector rt0 keeps (its own copy, made at load). No wait.
#[no_mangle]
pub extern "C" fn rt0_demo_envp() -> *const *const c_char {
    rt0::library!().args().envp()
}

/// At init's end, the value of the variable that `RT0_DEMO_WATCH` names, or NULL. Waits.
#[no_mangle]
pub extern "C" fn rt0_demo_init_watched() -> *const c_char {
    let _ = rt0::wait_init_done!();
    INIT_WATCHED.load(Ordering::Relaxed)
}

/// How many environment entries init saw at its end. Waits.
#[no_mangle]
pub extern "C" fn rt0_demo_init_env_count() -> c_int {
    let _ = rt0::wait_init_done!();
    INIT_ENV_COUNT.load(Ordering::Relaxed) as c_int
}

/// The value of `name` in the environment rt0 keeps for the library (as it was at load), or
/// NULL. No wait.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn rt0_demo_env(name: *const c_char) -> *const c_char {
    if name.is_null() {
        return core::ptr::null();
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(name) };
    env_value(&rt0::library!().args(), name.to_bytes()).map_or(core::ptr::null(), CStr::as_ptr)
}

/// The calling thread's OS thread id, without waiting.
#[no_mangle]
pub extern "C" fn rt0_demo_thread_id() -> c_longlong {
    rt0::sys::thread_id() as c_longlong
}

#[cfg(not(windows))]
unsafe extern "C" fn do_nothing(_: *mut core::ffi::c_void) -> *mut core::ffi::c_void {
    core::ptr::null_mut()
}

/// `rt0::newosproc0` with a start routine that does nothing: exits 1 with rt0's message on failure.
/// (Not on Windows, which has no raw thread creation: the demo's DLL does not export it there.)
#[cfg(not(windows))]
#[no_mangle]
pub extern "C" fn rt0_demo_newosproc0(stack_bytes: c_ulonglong) -> c_int {
    // SAFETY: `do_nothing` touches no TLS and no libc.
    unsafe { rt0::thread::newosproc0(stack_bytes as usize, do_nothing, core::ptr::null_mut()) };
    0
}

/// `rt0::try_newosproc0`: 0, or the errno. (Not on Windows.)
#[cfg(not(windows))]
#[no_mangle]
pub extern "C" fn rt0_demo_try_newosproc0(stack_bytes: c_ulonglong) -> c_int {
    // SAFETY: as above.
    match unsafe {
        rt0::thread::try_newosproc0(stack_bytes as usize, do_nothing, core::ptr::null_mut())
    } {
        Ok(()) => 0,
        Err(e) => e.errno.0,
    }
}

#[cfg(not(any(test, feature = "raw")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    rt0::sys::write_all(2, b"rt0-demo: panic\n");
    rt0::sys::exit_process(101)
}

/// The precompiled `core` carries unwind tables that name this symbol even under
/// `panic = "abort"`; a `no_std` staticlib/cdylib must define it (it is never called).
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
