//! The library entry: saved arguments, the init state, and waiting for init.
//!
//! The path from loader to exported call:
//! 1. The loader calls `rt0_lib_entry` (`arch/<triple>/entry.S`, registered in the
//!    initializer section) on its own thread. The stub saves argc/argv/envp, calls
//!    `rt0_entry_prepare` (state `Pending` -> `Running`, returns the init stack size), then
//!    creates the init thread: through the libc hook (`pthread_create`, feature `libc`) or the raw
//!    path ([`crate::thread::try_newosproc0`]), and returns. A creation failure marks init
//!    `Failed` and prints a message on fd 2; the host lives on.
//! 2. The init thread runs the library's `init` (see [`lib_entry!`](crate::lib_entry)) with
//!    asynchronous signals blocked, records `Done` or `Failed`, wakes every waiter and ends
//!    (only itself).
//! 3. Every export calls [`wait_init_done`] first: one atomic load when init is done; otherwise
//!    a real blocking wait (futex / `__ulock_wait`), never a spin.
//! 4. Where the entry stub also registers `rt0_entry_fini` as a destructor (Linux, x86_64 and
//!    aarch64: a `.fini_array` record), `dlclose` (and `exit`) first waits until init has finished and the
//!    init thread is gone, so the image is never unmapped under a running init thread
//!    (golang/go#11100): the pthread path creates the thread joinable and joins it; the raw path
//!    waits until the kernel clears the thread's exit word (`CLONE_CHILD_CLEARTID`).
//!
//! Two host situations have a defined answer (docs/reliability.md):
//! - an export called before the entry ran (a host constructor with a higher priority, an
//!   `LD_PRELOAD` hook) gets [`InitErrorKind::NotStarted`] at once; init still runs when the
//!   entry does. Init calling its own export gets [`InitErrorKind::CalledFromInit`] at once.
//! - `fork` while init runs: the child has no init thread, so init will never finish there.
//!   Exports in the child report [`InitErrorKind::Forked`] instead of waiting: detected by a
//!   `pthread_atfork` child handler on the pthread path, and on the raw path by the init
//!   thread's absence from `/proc/self/task` (checked whenever a wait has lasted a while).
//!   The parent is unaffected.

use crate::sys::{self, SigHow, SigSet};
use crate::thread::{CreateError, CreateStage, StartFn};
use core::ffi::{c_char, c_void, CStr};
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Argument block written by the entry stub before any other rt0 code runs. Layout shared with
/// `arch/<triple>/entry.S`: four pointer-sized words.
#[repr(C)]
struct SavedArgs {
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
    /// Non-zero once the stub stored the three words above (zero where the loader passes none).
    saved: usize,
}

extern "C" {
    /// In the entry stub's object: referencing it from [`wait_init_done`] is what makes any
    /// export pull the entry (and its initializer-section record) out of a static archive.
    static rt0_entry_args: SavedArgs;
    /// The init state word, also in the entry stub's object (see [`InitState`]).
    static rt0_entry_state: AtomicU32;
    /// The entry stub itself.
    fn rt0_lib_entry();
}

/// The entry stub, for [`lib_entry!`](crate::lib_entry)'s link anchor.
#[doc(hidden)]
pub const LIB_ENTRY: unsafe extern "C" fn() = rt0_lib_entry;

const PENDING: u32 = 0;
const RUNNING: u32 = 1;
const DONE: u32 = 2;
const FAILED: u32 = 3;

fn state_word() -> &'static AtomicU32 {
    // SAFETY: a 4-byte aligned word in the entry object's .bss, only accessed atomically.
    unsafe { &*core::ptr::addr_of!(rt0_entry_state) }
}

/// Where library initialization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitState {
    /// The entry has not run yet (an export called from a host constructor that ran first).
    Pending,
    /// The init thread was started and has not finished.
    Running,
    /// Init completed.
    Done,
    /// Init, or the creation of its thread, failed; see [`wait_init_done`]'s error.
    Failed,
}

/// The current init state, without waiting.
pub fn init_state() -> InitState {
    match state_word().load(Ordering::Acquire) {
        PENDING => InitState::Pending,
        RUNNING => InitState::Running,
        DONE => InitState::Done,
        _ => InitState::Failed,
    }
}

/// Why [`wait_init_done`] did not report success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitErrorKind {
    /// The library's entry has not run yet, so there is nothing to wait for (waiting would
    /// deadlock the loader). The call returns at once; init still runs when the entry does.
    NotStarted,
    /// Called on the init thread itself while init runs (init calling one of its own exports):
    /// waiting would deadlock, so the call returns at once.
    CalledFromInit,
    /// The library's `init` returned an error.
    InitFailed,
    /// The library's `init` panicked (feature `std`).
    Panicked,
    /// The init thread's stack could not be allocated.
    StackAllocation,
    /// The init thread could not be created.
    ThreadCreate,
    /// This process is a child forked while init was running: init never finishes here.
    Forked,
}

/// An init failure: its kind, an error number where one applies, and a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitError {
    kind: InitErrorKind,
    errno: i32,
    message: &'static str,
}

impl InitError {
    /// The error a library's `init` returns, with a message kept for [`wait_init_done`]'s callers.
    pub const fn new(message: &'static str) -> InitError {
        InitError {
            kind: InitErrorKind::InitFailed,
            errno: 0,
            message,
        }
    }

    const fn with(kind: InitErrorKind, errno: i32, message: &'static str) -> InitError {
        InitError {
            kind,
            errno,
            message,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> InitErrorKind {
        self.kind
    }

    /// The error number, for thread-creation failures.
    pub fn errno(&self) -> Option<sys::Errno> {
        (self.errno != 0).then_some(sys::Errno(self.errno))
    }

    /// The message (init's own, or rt0's).
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl core::fmt::Display for InitError {
    // `#[inline]`: emitted only where used, so rt0's own object does not reference core::fmt.
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message)?;
        if self.errno != 0 {
            write!(f, " (errno {})", self.errno)?;
        }
        Ok(())
    }
}

/// Which thread creator the entry used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creator {
    /// The entry has not run.
    None,
    /// `pthread_create` (feature `libc`).
    Pthread,
    /// The raw path, [`crate::thread::try_newosproc0`].
    Raw,
}

// Values the entry stub passes to `rt0_entry_prepare` (entry.S: 1 = hook, 2 = raw).
const CREATOR_PTHREAD: u32 = 1;
const CREATOR_RAW: u32 = 2;

static CREATOR: AtomicU32 = AtomicU32::new(0);
static ENTRY_TID: AtomicU64 = AtomicU64::new(0);
static INIT_TID: AtomicU64 = AtomicU64::new(0);
static FAIL_KIND: AtomicU32 = AtomicU32::new(0);
static FAIL_ERRNO: AtomicI32 = AtomicI32::new(0);
static FAIL_MSG: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static FAIL_MSG_LEN: AtomicUsize = AtomicUsize::new(0);
/// Flag the entry stub adds to the creator value when it registers `rt0_entry_fini`.
const CREATOR_HAS_FINI: u32 = 4;
/// Whether the stub registered the destructor (then the pthread path creates a joinable thread).
static HAS_FINI: AtomicU32 = AtomicU32::new(0);
/// Raw path: the init thread's exit word (see `thread::StackHeader`): `NO_THREAD` until the
/// kernel stores the thread id, 0 again once the thread has ended.
static INIT_EXIT_WORD: AtomicU32 = AtomicU32::new(NO_THREAD);
const NO_THREAD: u32 = u32::MAX;
/// Raw path: whether the port's trampoline reports thread exit through the exit word.
static INIT_EXIT_REPORTED: AtomicU32 = AtomicU32::new(0);
/// pthread path: the joinable init thread's handle (0 = none to join).
#[cfg(rt0_libc)]
static INIT_PTHREAD: AtomicUsize = AtomicUsize::new(0);

/// The creator the entry used.
pub fn creator() -> Creator {
    match CREATOR.load(Ordering::Acquire) {
        CREATOR_PTHREAD => Creator::Pthread,
        CREATOR_RAW => Creator::Raw,
        _ => Creator::None,
    }
}

/// Whether this port's entry stub registered rt0's library destructor, so that `dlclose` (and
/// `exit`) waits for init and its thread before the image goes away (false before the entry ran,
/// and on ports whose stub does not register it yet: see docs/reliability.md).
pub fn has_destructor() -> bool {
    HAS_FINI.load(Ordering::Relaxed) != 0
}

/// The OS thread id that ran the load-time entry (0 before it ran).
pub fn entry_thread_id() -> u64 {
    ENTRY_TID.load(Ordering::Acquire)
}

/// The OS thread id that ran init (0 before init started).
pub fn init_thread_id() -> u64 {
    INIT_TID.load(Ordering::Acquire)
}

/// The process arguments and environment, as the loader handed them to the entry.
///
/// rt0 keeps the loader's pointers; it copies nothing.
#[derive(Debug, Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
}

// SAFETY: the pointers are the process's argument and environment vectors, which live for the
// whole process and which rt0 only reads.
unsafe impl Send for Args {}
// SAFETY: as above.
unsafe impl Sync for Args {}

impl Args {
    /// Number of arguments.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// Argument `i`, or `None` past the end.
    pub fn arg(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc || self.argv.is_null() {
            return None;
        }
        // SAFETY: argv has argc valid entries (the loader's contract).
        let p = unsafe { *self.argv.add(i) };
        // SAFETY: each entry is a NUL-terminated string that lives as long as the process.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    /// The raw `argv` pointer.
    pub fn argv(&self) -> *const *const c_char {
        self.argv
    }

    /// The raw `envp` pointer.
    pub fn envp(&self) -> *const *const c_char {
        self.envp
    }

    /// The value of environment variable `name` as it was at load time.
    pub fn env(&self, name: &str) -> Option<&'static CStr> {
        if self.envp.is_null() {
            return None;
        }
        let mut i = 0;
        loop {
            // SAFETY: envp is a NULL-terminated vector of NUL-terminated strings.
            let p = unsafe { *self.envp.add(i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: as above.
            let entry = unsafe { CStr::from_ptr(p) }.to_bytes();
            if entry.len() > name.len()
                && entry.starts_with(name.as_bytes())
                && entry[name.len()] == b'='
            {
                // SAFETY: the value is the tail of the same NUL-terminated string.
                return Some(unsafe { CStr::from_ptr(p.add(name.len() + 1)) });
            }
            i += 1;
        }
    }
}

/// The arguments the entry saved (empty before it ran).
pub fn args() -> Args {
    // SAFETY: written once by the entry stub before the init thread exists; read-only after.
    let saved = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(rt0_entry_args)) };
    if saved.saved == 0 {
        // The loader passed nothing (musl): what prepare() recovered from /proc/self, if any.
        #[cfg(target_os = "linux")]
        if let Some((argc, argv, envp)) = crate::procself::recovered() {
            return Args { argc, argv, envp };
        }
        return Args {
            argc: 0,
            argv: core::ptr::null(),
            envp: core::ptr::null(),
        };
    }
    Args {
        argc: saved.argc as u32 as usize,
        argv: saved.argv,
        envp: saved.envp,
    }
}

/// Waits until library init has finished; `Ok` when it succeeded.
///
/// The fast path is one atomic load. Otherwise the caller blocks in the kernel (never spins)
/// until the init thread finishes. It never deadlocks: before the entry has run it returns
/// [`InitErrorKind::NotStarted`] at once, and on the init thread it returns
/// [`InitErrorKind::CalledFromInit`] at once.
#[inline]
pub fn wait_init_done() -> Result<(), InitError> {
    if state_word().load(Ordering::Acquire) == DONE {
        return Ok(());
    }
    wait_slow()
}

#[cold]
fn wait_slow() -> Result<(), InitError> {
    let word = state_word();
    // Linux: how long the next wait may last before the init thread's liveness is checked.
    let mut nap_us: u32 = 10_000;
    loop {
        match word.load(Ordering::Acquire) {
            DONE => return Ok(()),
            FAILED => return Err(recorded_failure()),
            PENDING => {
                return Err(InitError::with(
                    InitErrorKind::NotStarted,
                    0,
                    "rt0: called before the library's entry ran",
                ))
            }
            _running => {
                let me = sys::thread_id();
                if me != 0 && me == INIT_TID.load(Ordering::Acquire) {
                    return Err(InitError::with(
                        InitErrorKind::CalledFromInit,
                        0,
                        "rt0: called from init itself, which has not finished",
                    ));
                }
                wait_running(word, &mut nap_us);
            }
        }
    }
}

#[cfg(target_os = "linux")]
const FORKED_MESSAGE: &str =
    "rt0: this process was forked while init was running; init does not run in the child";

/// One blocking wait while init runs. On Linux the wait is timed (`nap_us`: 10 ms for each
/// call's first wait, doubling up to 1 s) so that a waiter in a child forked during init, where
/// no init thread exists to wake it, notices that the init thread is gone (`/proc/self/task`)
/// and marks init failed instead of hanging. A wake from init ends the wait at once as before.
#[cfg(target_os = "linux")]
fn wait_running(word: &AtomicU32, nap_us: &mut u32) {
    sys::wait_on_address_timeout(word, RUNNING, *nap_us);
    if word.load(Ordering::Acquire) != RUNNING {
        return;
    }
    *nap_us = (*nap_us * 2).min(1_000_000);
    // Re-check the state after seeing the thread gone: it may have finished (and exited) after
    // the load above. Without this, a waiter descheduled at that moment took a normal end for a
    // fork and dropped the joinable thread's handle, leaking its stack (seen under qemu, issue 6).
    if crate::procself::thread_alive(INIT_TID.load(Ordering::Acquire)) == Some(false)
        && word.load(Ordering::Acquire) == RUNNING
    {
        mark_forked();
    }
}

#[cfg(not(target_os = "linux"))]
fn wait_running(word: &AtomicU32, _nap_us: &mut u32) {
    sys::wait_on_address(word, RUNNING);
}

/// In a child forked while init ran: init will never finish here; say so to every caller.
#[cfg(target_os = "linux")]
fn mark_forked() {
    #[cfg(rt0_libc)]
    INIT_PTHREAD.store(0, Ordering::Relaxed); // the parent's thread: nothing to join here
    if state_word().load(Ordering::Acquire) == RUNNING {
        finish_failed(InitError::with(InitErrorKind::Forked, 0, FORKED_MESSAGE));
    }
}

/// `pthread_atfork` child handler (pthread path): runs in the child right after `fork`.
#[cfg(all(rt0_libc, target_os = "linux"))]
extern "C" fn atfork_child() {
    mark_forked();
}

fn recorded_failure() -> InitError {
    let kind = match FAIL_KIND.load(Ordering::Acquire) {
        1 => InitErrorKind::InitFailed,
        2 => InitErrorKind::Panicked,
        3 => InitErrorKind::StackAllocation,
        5 => InitErrorKind::Forked,
        _ => InitErrorKind::ThreadCreate,
    };
    let ptr = FAIL_MSG.load(Ordering::Acquire);
    let len = FAIL_MSG_LEN.load(Ordering::Acquire);
    let message = if ptr.is_null() {
        "rt0: init failed"
    } else {
        // SAFETY: stored from a `&'static str` before the state became FAILED (Release/Acquire).
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(ptr, len)) }
    };
    InitError::with(kind, FAIL_ERRNO.load(Ordering::Acquire), message)
}

fn kind_code(kind: InitErrorKind) -> u32 {
    match kind {
        InitErrorKind::InitFailed => 1,
        InitErrorKind::Panicked => 2,
        InitErrorKind::StackAllocation => 3,
        InitErrorKind::Forked => 5,
        _ => 4,
    }
}

/// Records `err` as the outcome, marks init failed and wakes every waiter.
fn finish_failed(err: InitError) {
    FAIL_KIND.store(kind_code(err.kind), Ordering::Relaxed);
    FAIL_ERRNO.store(err.errno, Ordering::Relaxed);
    FAIL_MSG.store(err.message.as_ptr() as *mut u8, Ordering::Relaxed);
    FAIL_MSG_LEN.store(err.message.len(), Ordering::Relaxed);
    state_word().store(FAILED, Ordering::Release);
    sys::wake_all(state_word());
}

/// Writes `rt0: <what> (errno N); exports will report failure` to fd 2, allocation-free.
fn report(what: &str, errno: i32) {
    // Written without indexing or slicing that could panic: a panic path would make this object
    // reference libcore, and a C host linked without --gc-sections would then pull in the whole
    // of libcore's precompiled object (~210 KiB of text) for it.
    let mut buf = [0u8; 160];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        for (slot, &b) in buf.iter_mut().skip(n).zip(bytes) {
            *slot = b;
            n += 1;
        }
    };
    put(b"rt0: ");
    put(what.as_bytes());
    put(b" (errno ");
    let mut digits = [0u8; 20];
    put(sys::decimal(errno.unsigned_abs() as u64, &mut digits));
    put(b"); exports will report failure\n");
    sys::write_all(2, buf.get(..n).unwrap_or(&[]));
}

/// Called by the entry stub on the loader's thread, via the `rt0_entry_prepare` function that
/// [`lib_entry!`](crate::lib_entry) generates: marks init running and returns the init thread's
/// stack size, or 0 when the entry already ran (the stub then creates nothing).
#[doc(hidden)]
pub fn prepare(creator: u32, stack_size: fn(&Args) -> usize) -> usize {
    if state_word()
        .compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return 0;
    }
    ENTRY_TID.store(sys::thread_id(), Ordering::Release);
    HAS_FINI.store(creator & CREATOR_HAS_FINI, Ordering::Relaxed);
    CREATOR.store(creator & !CREATOR_HAS_FINI, Ordering::Release);
    // A loader that passes no arguments (musl): recover them before anyone reads them.
    #[cfg(target_os = "linux")]
    if crate::abi::initializer::ARGS_FROM_PROC_SELF && args().argv.is_null() {
        crate::procself::recover();
    }
    stack_size(&args()).max(1)
}

/// The default init stack size: [`crate::thread::DEFAULT_STACK_SIZE`].
#[doc(hidden)]
pub fn default_stack_size(_: &Args) -> usize {
    crate::thread::DEFAULT_STACK_SIZE
}

/// Runs the library's `init` on the init thread: generated into `rt0_init_thread_main` by
/// [`lib_entry!`](crate::lib_entry).
#[doc(hidden)]
pub fn run_init(init: fn(&Args) -> Result<(), InitError>) {
    INIT_TID.store(sys::thread_id(), Ordering::Release);
    // The thread was born with every signal blocked. Keep asynchronous signals blocked, so
    // process-directed signals go to the host's threads, but let faults through so a crash in
    // init is reported as one.
    let _ = sys::thread_sigmask(
        SigHow::SetMask,
        SigSet(SigSet::FULL.0 & !SigSet::SYNCHRONOUS.0),
    );
    match call_init(init) {
        Ok(()) => {
            state_word().store(DONE, Ordering::Release);
            sys::wake_all(state_word());
        }
        Err(e) => finish_failed(e),
    }
}

/// With `std`, a panic in init is caught on the init thread (the library must be built with
/// `panic = "unwind"`; under `panic = "abort"` the process ends, as for any Rust panic) and kept
/// as an [`InitErrorKind::Panicked`] error whose message is `rt0: init panicked: <payload>`
/// (a `&str` or `String` payload; other payloads give `rt0: init panicked`). The message is
/// allocated once and leaked, so it lives as long as the process.
#[cfg(feature = "std")]
fn call_init(init: fn(&Args) -> Result<(), InitError>) -> Result<(), InitError> {
    use std::string::String;
    let args = args();
    match std::panic::catch_unwind(move || init(&args)) {
        Ok(r) => r,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            let message: &'static str = match text {
                Some(t) => {
                    std::boxed::Box::leak(std::format!("rt0: init panicked: {t}").into_boxed_str())
                }
                None => "rt0: init panicked",
            };
            Err(InitError::with(InitErrorKind::Panicked, 0, message))
        }
    }
}

#[cfg(not(feature = "std"))]
fn call_init(init: fn(&Args) -> Result<(), InitError>) -> Result<(), InitError> {
    init(&args())
}

/// The thread-create hook the entry stub calls when it is non-null: `pthread_create` of a
/// detached thread (the seed's `_cgo_sys_thread_create`). Returns 0 or an encoded error.
#[no_mangle]
#[doc(hidden)]
pub static rt0_thread_create_hook: Option<
    unsafe extern "C" fn(usize, StartFn, *mut c_void) -> u32,
> = {
    #[cfg(rt0_libc)]
    {
        Some(entry_create_pthread)
    }
    #[cfg(not(rt0_libc))]
    {
        None
    }
};

fn encode(r: Result<(), CreateError>) -> u32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            let stage = match e.stage {
                CreateStage::Stack => 1,
                CreateStage::Register => 2,
                CreateStage::Create => 3,
            };
            (stage << 16) | (e.errno.0 as u32 & 0xffff)
        }
    }
}

#[cfg(rt0_libc)]
unsafe extern "C" fn entry_create_pthread(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> u32 {
    // A child forked while init runs must not wait for a thread it does not have. Registered
    // with this image's __dso_handle (glibc's libc_nonshared wrapper), so dlclose removes it.
    // Linux only for now: the libSystem stub rt0 links darwin images against (tools/darwin-sdk)
    // has no pthread_atfork, and darwin has no destructor record yet (docs/reliability.md).
    // SAFETY: a plain registration of a handler that only touches rt0's atomics.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::pthread_atfork(None, None, Some(atfork_child))
    };
    // Joinable when the destructor will join it; detached otherwise, so nothing leaks.
    let detached = HAS_FINI.load(Ordering::Relaxed) == 0;
    // SAFETY: the entry passes rt0_init_thread_main, which takes no argument.
    let r = unsafe { crate::thread::pthread_create_with(stack_size, start, arg, detached) };
    if let Ok(thread) = r {
        if !detached {
            INIT_PTHREAD.store(thread as usize, Ordering::Release);
        }
    }
    encode(r.map(drop))
}

/// The entry stub's raw path: [`crate::thread::try_newosproc0`], with the error encoded, and
/// the init thread's exit word armed where the port reports thread exit.
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C" fn rt0_entry_create_raw(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> u32 {
    INIT_EXIT_WORD.store(NO_THREAD, Ordering::Relaxed);
    // SAFETY: the entry passes rt0_init_thread_main, which uses rt0's raw calls only on this path.
    let r = unsafe { crate::thread::spawn_raw(stack_size, start, arg, Some(&INIT_EXIT_WORD)) };
    if let Ok(_tid) = r {
        // With CLONE_PARENT_SETTID the kernel stored the thread id before the thread ran; a port
        // that does not report exit left the word untouched.
        if INIT_EXIT_WORD.load(Ordering::Acquire) != NO_THREAD {
            INIT_EXIT_REPORTED.store(1, Ordering::Release);
        }
        // Linux: clone returned the thread id; known now, before any waiter may need it.
        #[cfg(target_os = "linux")]
        let _ = INIT_TID.compare_exchange(0, _tid as u64, Ordering::AcqRel, Ordering::Acquire);
    }
    encode(r.map(drop))
}

/// The library destructor the entry stub registers (Linux, x86_64 and aarch64: `.fini_array`), run by the
/// loader at `dlclose`, before the image is unmapped, and at `exit`.
///
/// Returns once no thread can run this image's code any more: init has finished (waiting for it
/// like an export would) and the init thread has ended: pthread path, joined; raw path, the
/// kernel cleared its exit word (`CLONE_CHILD_CLEARTID`). It returns at once when the entry never
/// ran, when called on the init thread itself (init called `exit`), and in a child forked while
/// init ran (no init thread there). Consequence: `exit` while init is still running waits for
/// init to finish; `_exit`/`exit_group` does not.
#[no_mangle]
#[doc(hidden)]
pub extern "C" fn rt0_entry_fini() {
    if state_word().load(Ordering::Acquire) == PENDING {
        return;
    }
    let me = sys::thread_id();
    let init_tid = INIT_TID.load(Ordering::Acquire);
    if me != 0 && me == init_tid {
        return;
    }
    // Init finished, failed, or (fork child) is known never to finish here.
    let _ = wait_slow();
    #[cfg(rt0_libc)]
    {
        let thread = INIT_PTHREAD.swap(0, Ordering::AcqRel);
        if thread != 0 {
            // SAFETY: the joinable init thread, joined once (swap above); it ends right after
            // recording the state, so this returns promptly.
            unsafe { libc::pthread_join(thread as libc::pthread_t, core::ptr::null_mut()) };
        }
    }
    if INIT_EXIT_REPORTED.load(Ordering::Acquire) != 0 {
        // The thread has recorded its outcome and is at most a few instructions (munmap, exit)
        // from its end. The kernel's wake is a shared-futex wake, so wait with a shared futex
        // wait, not rt0's private one.
        loop {
            let tid = INIT_EXIT_WORD.load(Ordering::Acquire);
            if tid == 0 || tid == NO_THREAD {
                break;
            }
            #[cfg(target_os = "linux")]
            if crate::procself::thread_alive(tid as u64) == Some(false) {
                break; // fork child: the word was copied from the parent and nobody clears it
            }
            // Block until the kernel clears the word at the thread's exit (its wake is a shared
            // futex wake), with a 1 ms bound so the fork-child check above runs again. A plain
            // 1 ms sleep here cost most raw-path hosts a millisecond at exit (ci/bench).
            #[cfg(target_os = "linux")]
            sys::raw::wait_on_address_shared(&INIT_EXIT_WORD, tid, 1_000);
            #[cfg(not(target_os = "linux"))]
            sys::sleep_ms(1);
        }
    }
}

/// The entry stub's last call: records a thread-creation failure (0 = none). Never ends the host.
#[no_mangle]
#[doc(hidden)]
pub extern "C" fn rt0_entry_finish(code: u32) {
    if code == 0 {
        return;
    }
    let errno = (code & 0xffff) as i32;
    let (kind, what) = match code >> 16 {
        1 => (InitErrorKind::StackAllocation, "failed to allocate the init thread's stack"),
        2 => (
            InitErrorKind::ThreadCreate,
            "failed to create the init thread: bsdthread_register refused (libpthread owns thread start)",
        ),
        _ => (InitErrorKind::ThreadCreate, "failed to create the init thread"),
    };
    report(what, errno);
    finish_failed(InitError::with(kind, errno, what));
}

/// Declares a library's entry: `init` runs on a fresh OS thread when the library is loaded.
///
/// ```ignore
/// rt0::lib_entry!(init);                               // 8 MiB init stack
/// rt0::lib_entry!(init, stack_size = my_stack_size);   // fn(&rt0::Args) -> usize
/// fn init(args: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
/// ```
///
/// Use it once per linked library. It defines the symbols the entry stub calls
/// (`rt0_entry_prepare`, `rt0_init_thread_main`) and keeps the entry linked even when the
/// library's exports are never called. On the raw path (no `libc` feature) `init` runs with no
/// thread pointer: it may use rt0's [`sys`](crate::sys) calls only, no libc and no `std`.
#[macro_export]
macro_rules! lib_entry {
    ($init:path) => {
        $crate::lib_entry!($init, stack_size = $crate::entry::default_stack_size);
    };
    ($init:path, stack_size = $stack:path) => {
        #[doc(hidden)]
        #[no_mangle]
        pub unsafe extern "C" fn rt0_init_thread_main(
            _arg: *mut ::core::ffi::c_void,
        ) -> *mut ::core::ffi::c_void {
            $crate::entry::run_init($init);
            ::core::ptr::null_mut()
        }

        #[doc(hidden)]
        #[no_mangle]
        pub extern "C" fn rt0_entry_prepare(creator: u32) -> usize {
            $crate::entry::prepare(creator, $stack)
        }

        // A library with no exports still initializes: this reference links the entry stub.
        #[used]
        static RT0_LIB_ENTRY_ANCHOR: unsafe extern "C" fn() = $crate::entry::LIB_ENTRY;
    };
}
