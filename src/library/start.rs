//! Starting a library's init: what the entry stub calls through the [`EntryRecord`], and the
//! init thread's start routine.

use super::launch::{self, StartMode};
use super::{Creator, EntryRecord, Head, NOT_STARTED, PENDING, RUNNING};
use crate::args::Args;
use crate::error::{InitError, InitErrorKind};
use crate::sys::{self, Errno};
#[cfg(not(windows))]
use crate::sys::{SigHow, SigSet};
use crate::thread::{CreateError, CreateStage, StartFn};
use crate::trace;
use core::ffi::{c_char, c_void};
use core::sync::atomic::Ordering;

/// The head behind a record pointer.
///
/// # Safety
/// `record` must be the record of a live `Library` (its first field).
unsafe fn head<'a>(record: *const EntryRecord) -> &'a Head {
    // SAFETY: Head is repr(C) with the record first (the caller's contract).
    unsafe { &*(record as *const Head) }
}

/// The record's `prepare`: claims the entry for this caller (the loader's initializer call, an
/// export called before it, or the first export of a fork child whose library starts init
/// anew), keeps a copy of the arguments, pins the image, and returns the init stack size; 0
/// when there is nothing to start (the entry was already claimed, or init was refused before
/// it started).
pub(super) unsafe extern "C" fn prepare(
    record: *const EntryRecord,
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> usize {
    // SAFETY: the stub passes the library's own record.
    let head = unsafe { head(record) };
    // This process's marks go first, before RUNNING is published: a waiter that sees RUNNING
    // must see them, not zeros or a parent's (every caller here is in this process, so racing
    // callers store the same values). In a fork child the parent's init thread is not ours.
    if head.state.load(Ordering::Acquire) != PENDING {
        return 0;
    }
    // `first_call` and `explicit` arm at their start instead (see `launch::start_deferred`):
    // until then no init runs anywhere, so a fork child needs no telling apart.
    let epoch = match head.start_mode {
        StartMode::FirstCall | StartMode::Explicit => super::fork::epoch(),
        StartMode::AtLoad | StartMode::Inline => super::fork::arm(),
    };
    head.epoch.store(epoch, Ordering::Release);
    head.entry_pid
        .store(sys::Host::process_id(), Ordering::Release);
    head.init_tid.store(0, Ordering::Release);
    if head
        .state
        .compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return 0;
    }
    let args = match kept_arguments(head) {
        // A fork child starting init anew: the arguments of the load, rt0's copy.
        Some(kept) => kept,
        None => {
            let (argc, argv, envp) = if argv.is_null() {
                recovered_args().unwrap_or((0, core::ptr::null(), envp))
            } else {
                (argc as u32 as usize, argv, envp)
            };
            // SAFETY: the loader's (or the recovered) vectors, valid while the entry runs.
            unsafe { keep_arguments(head, argc, argv, envp) }
        }
    };
    head.entry_tid
        .store(sys::Host::thread_id(), Ordering::Release);
    #[cfg(not(windows))]
    head.host_sigmask
        .store(sys::current_sigmask().0, Ordering::Release);
    head.creator_used.store(1, Ordering::Release);
    match head.start_mode {
        StartMode::AtLoad => {
            let Some(stack) = launch::thread_stack(head, &args) else {
                return 0;
            };
            crate::loader::pin(&head.loader, &head.tracer);
            stack
        }
        StartMode::Inline => {
            crate::loader::pin(&head.loader, &head.tracer);
            if !crate::loader::lock_held_by_current_thread(&head.loader) {
                launch::run_inline(head);
                return 0;
            }
            // Inside dlopen (or a DllMain): an init that waits for a thread of its own would
            // wait for good, since that thread needs this very lock. Started on its own thread,
            // as `at_load` does; the host's load returns before init is done.
            trace::event(
                &head.tracer,
                b"entry: init runs on its own thread, not inline: this thread holds the dynamic loader's lock (start = inline)",
                "",
            );
            launch::thread_stack(head, &args).unwrap_or(0)
        }
        StartMode::FirstCall | StartMode::Explicit => {
            // A library loaded and never called costs the host as little as a plain cdylib:
            // the image is pinned when init starts (nothing of it runs before), except where
            // only the loading thread may walk the loader's lists.
            if !crate::loader::PIN_WHEN_INIT_STARTS {
                crate::loader::pin(&head.loader, &head.tracer);
            }
            let when: &[u8] = match head.start_mode {
                StartMode::FirstCall => {
                    b"entry: init starts on the library's first call (start = first_call)"
                }
                _ => b"entry: init starts when the library calls start() (start = explicit)",
            };
            trace::event(&head.tracer, when, "");
            head.state.store(NOT_STARTED, Ordering::Release);
            sys::wake_all(&head.state);
            0
        }
    }
}

/// Keeps the arguments for the life of the process: a copy into rt0's own memory (Windows: the
/// block the entry built from the command line is rt0's already), stored in `head`, and returns
/// them. Reads `RT0_TRACE` from them; a copy that fails leaves init no arguments, with a trace
/// line.
///
/// # Safety
/// The vectors must be valid and unchanged while this runs.
unsafe fn keep_arguments(
    head: &Head,
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> Args {
    // SAFETY: the caller's contract, for as long as this call reads them.
    let given = unsafe { Args::from_raw(argc, argv, envp) };
    let tracing = given.env("RT0_TRACE").is_some_and(|v| v.to_bytes() == b"1");
    head.tracer.set_enabled(tracing);
    #[cfg(windows)]
    let kept = given;
    #[cfg(not(windows))]
    // SAFETY: the caller's contract.
    let kept = match unsafe { crate::args::copy(argc, argv, envp) } {
        Ok(copy) => copy,
        Err(e) => {
            trace::loader(
                &head.tracer,
                "entry: the arguments and environment could not be copied; init sees none",
                Some(e),
            );
            Args::empty()
        }
    };
    head.argc.store(kept.argc(), Ordering::Relaxed);
    head.envp.store(kept.envp() as *mut _, Ordering::Relaxed);
    head.argv.store(kept.argv() as *mut _, Ordering::Release);
    kept
}

/// The arguments an earlier entry of this library kept (in the parent of this fork child).
fn kept_arguments(head: &Head) -> Option<Args> {
    (!head.argv.load(Ordering::Acquire).is_null()).then(|| head.args())
}

/// The process's arguments where the loader passed none (musl) or where the entry is started by
/// an export: the vectors `main` received, found in the process's initial stack (Linux), or
/// asked of libSystem (darwin: crt_externs.h, the vectors dyld passes to initializers), or
/// built from the command line and the environment block (Windows: the loader passes nothing).
fn recovered_args() -> Option<(usize, *const *const c_char, *const *const c_char)> {
    #[cfg(target_os = "linux")]
    return crate::procself::recover();
    #[cfg(windows)]
    return crate::cmdline::recover();
    #[cfg(all(rt0_libc, target_vendor = "apple"))]
    // SAFETY: libSystem's _NSGet* return the addresses of its argc, argv and environ words, set
    // by dyld before any initializer runs and valid for the process's life.
    return unsafe {
        let argv = *libc::_NSGetArgv() as *const *const c_char;
        let envp = *libc::_NSGetEnviron() as *const *const c_char;
        (!argv.is_null()).then(|| ((*libc::_NSGetArgc()).max(0) as usize, argv, envp))
    };
    #[cfg(not(any(target_os = "linux", windows, all(rt0_libc, target_vendor = "apple"))))]
    return None;
}

/// An export called before the library's entry ran (a host constructor that runs first): runs
/// the entry now, the same way the loader would, with the recovered arguments. Returns whether
/// the entry has been claimed (by this call or by a racing loader call).
pub(super) fn start_from_export(head: &Head) -> bool {
    // Windows: the stub passes prepare nothing and prepare builds the vectors itself. A fork
    // child starting init anew has its copy of the load's arguments: prepare takes that.
    let nothing: (usize, *const *const c_char, *const *const c_char) =
        (0, core::ptr::null(), core::ptr::null());
    let (argc, argv, envp) = if cfg!(windows) || kept_arguments(head).is_some() {
        nothing
    } else {
        recovered_args().unwrap_or(nothing)
    };
    if kept_arguments(head).is_none() {
        trace::event(
            &head.tracer,
            b"an export was called before the entry ran: starting it",
            "",
        );
    }
    // SAFETY: the stub's contract: the initializer's arguments (argc, argv, envp and two unused
    // words) and the library's record.
    unsafe { crate::stubs::lib_entry(argc, argv as usize, envp as usize, 0, 0, &head.record) };
    head.state.load(Ordering::Acquire) != PENDING
}

/// The record's `create` for `creator`. A `pthread` library needs rt0's `libc` feature: without
/// it, `lib_entry!` fails to compile with this message.
pub(super) const fn creator_function(
    creator: Creator,
) -> unsafe extern "C" fn(usize, StartFn, *mut c_void) -> u32 {
    match creator {
        #[cfg(windows)]
        Creator::Pthread => create_windows,
        #[cfg(windows)]
        Creator::Raw => panic!(
            "rt0: `creator = raw` does not exist on Windows: it has no stable system calls to make a thread kernel32 does not know, and such a thread would break the loader and the C runtime; use the default creator (CreateThread)"
        ),
        #[cfg(rt0_libc)]
        Creator::Pthread => create_pthread,
        #[cfg(all(not(rt0_libc), not(windows)))]
        Creator::Pthread => panic!(
            "rt0: this library's init thread is made with pthread_create (the default), which needs rt0's `libc` feature; enable it, or choose `creator = raw` in lib_entry!"
        ),
        #[cfg(not(windows))]
        Creator::Raw => create_raw,
    }
}

/// Creation failures travel back to the stub as one word: stage << 16 | errno.
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

/// `pthread_create` of a detached thread with every (non-reserved) signal blocked around it.
#[cfg(rt0_libc)]
unsafe extern "C" fn create_pthread(stack_size: usize, start: StartFn, arg: *mut c_void) -> u32 {
    // SAFETY: the stub passes thread_main and the library's record, which lives forever.
    encode(unsafe { crate::thread::pthread_create_detached(stack_size, start, arg) })
}

/// Windows: `CreateThread` (the system's thread API, what `Creator::Pthread` means there).
#[cfg(windows)]
unsafe extern "C" fn create_windows(stack_size: usize, start: StartFn, arg: *mut c_void) -> u32 {
    // SAFETY: the stub passes thread_main and the library's record, which outlives the thread
    // (the thread holds a reference to the module).
    encode(unsafe { crate::thread::create_windows_thread(stack_size, start, arg) })
}

/// The raw path: [`crate::thread::try_newosproc0`].
#[cfg(not(windows))]
unsafe extern "C" fn create_raw(stack_size: usize, start: StartFn, arg: *mut c_void) -> u32 {
    // SAFETY: thread_main on the raw path uses rt0's raw calls only (Creator::Raw's contract).
    let r = unsafe { crate::thread::spawn_raw(stack_size, start, arg) };
    if let Ok(_tid) = r {
        // Linux: clone returned the thread id; known now, before any waiter may need it.
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `arg` is the library's record (the stub's contract).
            let head = unsafe { head(arg as *const EntryRecord) };
            let _ =
                head.init_tid
                    .compare_exchange(0, _tid as u64, Ordering::AcqRel, Ordering::Acquire);
        }
    }
    encode(r.map(drop))
}

/// The record's `finish`: the entry stub's last call. Records a thread-creation failure (0 =
/// none), with a message on fd 2 that names the cause. Never ends the host.
pub(super) unsafe extern "C" fn finish(record: *const EntryRecord, code: u32) {
    if code == 0 {
        return;
    }
    // SAFETY: the stub passes the library's own record.
    let head = unsafe { head(record) };
    let errno = (code & 0xffff) as i32;
    let (kind, what) = match (code >> 16, head.creator) {
        (1, _) => (
            InitErrorKind::StackAllocation,
            "rt0: failed to allocate the init thread's stack (mmap refused the mapping)",
        ),
        (2, _) => (
            InitErrorKind::ThreadCreate,
            "rt0: failed to create the init thread: bsdthread_register refused (libpthread owns thread start in this process; use the pthread creator)",
        ),
        #[cfg(windows)]
        (_, Creator::Pthread) => (
            InitErrorKind::ThreadCreate,
            "rt0: CreateThread failed to create the init thread (its stack could not be reserved, or a thread or memory limit was reached; the number is GetLastError's)",
        ),
        #[cfg(not(windows))]
        (_, Creator::Pthread) => (
            InitErrorKind::ThreadCreate,
            "rt0: pthread_create failed to create the init thread (its stack could not be mapped, or a thread or memory limit was reached)",
        ),
        (_, Creator::Raw) => (
            InitErrorKind::ThreadCreate,
            "rt0: the kernel refused to create the init thread (a thread or memory limit was reached)",
        ),
    };
    let stack = head.stack_bytes.load(Ordering::Acquire);
    trace::creation_failed(&head.tracer, what, Errno(errno), stack);
    head.finish_failed(InitError::with(kind, errno, what));
}

/// The init thread's start routine; `arg` is the library's record.
pub(super) unsafe extern "C" fn thread_main(arg: *mut c_void) -> *mut c_void {
    // SAFETY: the entry passes the library's record.
    let head = unsafe { head(arg as *const EntryRecord) };
    head.init_tid.store(sys::thread_id(), Ordering::Release);
    // The thread was born with every signal blocked. Keep asynchronous signals blocked, so
    // process-directed signals go to the host's threads, but let faults through so a crash in
    // init is reported as one; never block the C library's own signals. (Windows: no signals.)
    #[cfg(not(windows))]
    let mask = SigSet(SigSet::ALL_BUT_LIBC_RESERVED.0 & !SigSet::SYNCHRONOUS.0);
    #[cfg(not(windows))]
    match head.creator {
        Creator::Pthread => {
            let _ = sys::Host::thread_sigmask(SigHow::SetMask, mask);
        }
        Creator::Raw => {
            let _ = sys::raw::thread_sigmask(SigHow::SetMask, Some(SigSet(!SigSet::SYNCHRONOUS.0)));
        }
    }
    // The OS thread name, for `top` and debuggers (not on darwin's raw path: libSystem's call
    // needs a pthread).
    if head.creator == Creator::Pthread || cfg!(target_os = "linux") {
        sys::name_current_thread(head.tracer.name());
    }
    trace::event(&head.tracer, b"init thread started", "");
    launch::finish_init(head, launch::call_init(head));
    core::ptr::null_mut()
}
