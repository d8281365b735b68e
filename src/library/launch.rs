//! When init starts, and how: `lib_entry!`'s `start = at_load | inline | first_call |
//! explicit`.
//!
//! - `at_load` (the default): the entry starts the init thread through the entry stub
//!   (`prepare`, `create`, `finish`: see `start`) and returns; exports wait for init.
//! - `inline`: the entry runs init itself, on the loader's thread, before the initializer
//!   returns: exports never wait (once the loader is done, init is). Except where that thread
//!   holds the dynamic loader's lock (inside `dlopen` on glibc, in a DllMain or TLS callback on
//!   Windows): an init that waits for a thread of its own would wait for good there (the thread
//!   needs that lock: on glibc to register its first `thread_local!` destructor, on Windows to
//!   start at all), so the entry starts init on its own thread, as `at_load` does.
//! - `first_call`: the entry keeps the arguments and starts nothing; the library's first wait
//!   (an export, `Library::wait`) starts the init thread and waits for it. A host that never
//!   calls the library never pays for init (an `LD_PRELOAD`ed agent, a plugin loaded just in
//!   case).
//! - `explicit`: the entry keeps the arguments; `Library::start()`, which the library calls
//!   from an export of its own (`mylib_start()`), starts the init thread and returns at once;
//!   exports before that answer [`InitErrorKind::NotStarted`] at once.
//!
//! A deferred start (`first_call`, `explicit`) makes the init thread the same way the entry
//! stub does, from Rust: the creator and `finish` through the library's record.

use super::{EntryRecord, Head, DONE, NOT_STARTED, RUNNING};
use crate::args::Args;
use crate::error::{InitError, InitErrorKind};
use crate::sys;
use crate::trace;
use crate::Creator;
use core::ffi::c_void;
use core::sync::atomic::Ordering;

/// When a library's init starts: `lib_entry!(.., start = at_load | inline | first_call |
/// explicit)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMode {
    /// At load, on a fresh init thread; exports wait for it (the default).
    AtLoad,
    /// At load, on the loader's own thread, before the library's initializer returns: exports
    /// never wait (a preloaded agent's init always runs, even in a program that exits at once).
    /// Where the loading thread holds the dynamic loader's lock, which rt0 sees on glibc (inside
    /// `dlopen`) and on Windows (every DllMain and TLS callback), init runs on its own thread
    /// instead, as with `AtLoad`, and the trace says so: an init that waited there for a thread
    /// of its own would wait for good (the thread needs the lock, on glibc for its first
    /// `thread_local!` with a destructor). On musl and darwin rt0 cannot see that lock: there
    /// an inline init run by `dlopen` must not wait for a thread that needs it (darwin's dyld
    /// registers thread-local destructors under its lock). A panic in init is caught and
    /// reported as for any init (`InitErrorKind::Panicked`); the host goes on.
    Inline,
    /// On the library's first wait (its first export): init starts then, on a fresh thread,
    /// and that export waits for it; racing first calls start it once.
    FirstCall,
    /// When the library calls [`Library::start`](crate::Library::start) (from an export of its
    /// own, e.g. `mylib_start()`); exports before that answer
    /// [`InitErrorKind::NotStarted`] at once.
    Explicit,
}

/// The init thread's stack for `head`, computed and checked before any thread exists (the
/// library's `stack_size` function, the raw creator's refusals), or `None` after recording why
/// init does not start.
pub(super) fn thread_stack(head: &Head, args: &Args) -> Option<usize> {
    let stack = match stack_size(head, args) {
        Ok(stack) => stack.max(1),
        Err(e) => {
            trace::event(&head.tracer, b"init not started: ", e.message());
            head.finish_failed(e);
            return None;
        }
    };
    head.stack_bytes.store(stack, Ordering::Release);
    let creator = match head.creator {
        Creator::Pthread => "pthread",
        Creator::Raw => "raw",
    };
    trace::entry(&head.tracer, creator, stack, args.argc());
    if let Some(why) = raw_creator_refusal(head) {
        trace::refused(&head.tracer, why);
        head.finish_failed(InitError::with(InitErrorKind::Refused, 0, why));
        return None;
    }
    Some(stack)
}

/// `start = inline`: runs init on the calling thread (the loader's), with the host's signal
/// mask and thread name, and publishes its outcome.
pub(super) fn run_inline(head: &Head) {
    head.init_tid
        .store(head.entry_tid.load(Ordering::Acquire), Ordering::Release);
    trace::event(
        &head.tracer,
        b"entry: init runs inline on the loading thread (start = inline)",
        "",
    );
    finish_init(head, call_init(head));
}

/// Publishes init's outcome: `DONE`, or the failure, and wakes every waiter.
pub(super) fn finish_init(head: &Head, outcome: Result<(), InitError>) {
    match outcome {
        Ok(()) => {
            // Traced before it is published: a waiter that returns (and a host that then exits)
            // comes after the line.
            trace::event(&head.tracer, b"init done", "");
            head.state.store(DONE, Ordering::Release);
            sys::wake_all(&head.state);
        }
        Err(e) => {
            trace::event(&head.tracer, b"init failed: ", e.message());
            head.finish_failed(e);
        }
    }
}

/// `first_call` and `explicit`: starts the init thread if init has not started yet (one caller
/// wins; the others find it running). Returns at once; the caller waits if it wants to.
pub(super) fn start_deferred(head: &Head) {
    if head.state.load(Ordering::Acquire) != NOT_STARTED {
        return;
    }
    // The fork marks the entry left for now (see `start::prepare`), before RUNNING is
    // published: racing starters arm the same epoch, and a waiter that sees the word armed
    // while this library's epoch is still 0 does not take it for a fork (`Head::fork_evidence`).
    head.epoch.store(super::fork::arm(), Ordering::Release);
    if head
        .state
        .compare_exchange(NOT_STARTED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    if crate::loader::PIN_WHEN_INIT_STARTS {
        crate::loader::pin(&head.loader, &head.tracer);
    }
    let Some(stack) = thread_stack(head, &head.args()) else {
        return;
    };
    let record: *const EntryRecord = &head.record;
    // SAFETY: what the entry stub does at load: the library's creator with its own start
    // routine and record (which lives as long as the process), then `finish` with the outcome.
    unsafe {
        let code = (head.record.create)(stack, head.record.thread_main, record as *mut c_void);
        (head.record.finish)(record, code);
    }
}

/// The library's `stack_size(args)`, on the loader's thread: a panic in it is caught (built
/// with unwinding) and becomes the reason init is not started, never an unwind into the loader.
pub(super) fn stack_size(head: &Head, args: &Args) -> Result<usize, InitError> {
    #[cfg(panic = "unwind")]
    return super::panics::catch(head, super::panics::Callback::StackSize, || {
        (head.stack_size)(args)
    })
    .map_err(|text| panicked("rt0: the stack_size function panicked", text));
    #[cfg(not(panic = "unwind"))]
    Ok((head.stack_size)(args))
}

/// Why the raw creator must not start init in this process, if it must not (checked on the
/// loading thread before any thread exists; the pthread creator has none of these limits).
#[cfg(windows)]
pub(super) fn raw_creator_refusal(_: &Head) -> Option<&'static str> {
    None // no raw creator on Windows (creator_function refuses it at compile time)
}

/// Why the raw creator must not start init in this process, if it must not (checked on the
/// loading thread before any thread exists; the pthread creator has none of these limits).
#[cfg(not(windows))]
pub(super) fn raw_creator_refusal(head: &Head) -> Option<&'static str> {
    if head.creator != Creator::Raw {
        return None;
    }
    if crate::thread::process_can_change_credentials() {
        return Some(
            "rt0: the raw creator refuses to start init in a process that can change its user or group ids (it holds CAP_SETUID or CAP_SETGID, as root does, or its real and effective ids differ): the C library would change every thread's ids but not the raw init thread's, which would keep the privileges the process dropped; use the pthread creator",
        );
    }
    #[cfg(target_os = "linux")]
    if crate::abi::constants::LAZY_BINDING_HAZARD != 0
        && crate::loader::image_binds_lazily(&head.loader, &head.args())
    {
        return Some(
            "rt0: the raw creator refuses to start init in an image whose calls are bound lazily: the C library's lazy resolver needs a thread pointer, which the raw init thread does not have; link the program with -z now (or run it with LD_BIND_NOW=1), or use the pthread creator",
        );
    }
    None
}

/// Runs the library's init, on the thread init runs on. Built with unwinding, a panic is caught
/// (see `panics`) and kept as an [`InitErrorKind::Panicked`] error whose message is
/// `rt0: init panicked: <payload>` (a `&str` or `String` payload; other payloads give
/// `rt0: init panicked`). Built with `panic = "abort"`, a panic ends the process, as any Rust
/// panic does there.
#[cfg(panic = "unwind")]
pub(super) fn call_init(head: &Head) -> Result<(), InitError> {
    // SAFETY: run_init belongs to this head's Library<T>; called once, on the init thread.
    super::panics::catch(head, super::panics::Callback::Init, || unsafe {
        (head.run_init)(head)
    })
    .unwrap_or_else(|text| Err(panicked("rt0: init panicked", text)))
}

#[cfg(not(panic = "unwind"))]
pub(super) fn call_init(head: &Head) -> Result<(), InitError> {
    // SAFETY: as above.
    unsafe { (head.run_init)(head) }
}

/// The error for a caught panic: `<what>: <payload>` (`<what>` alone for a payload that is not
/// text), leaked once so that it lives as long as the process.
#[cfg(panic = "unwind")]
fn panicked(what: &'static str, text: Option<std::string::String>) -> InitError {
    let message: &'static str = match text {
        Some(t) => std::boxed::Box::leak(std::format!("{what}: {t}").into_boxed_str()),
        None => what,
    };
    InitError::with(InitErrorKind::Panicked, 0, message)
}

/// The stack size rt0 gives init unless the library says otherwise: 8 MiB, as Go does.
#[doc(hidden)]
pub fn default_stack_size(_: &Args) -> usize {
    crate::thread::DEFAULT_STACK_SIZE
}
