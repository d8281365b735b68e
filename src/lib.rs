//! # rt0: library entry points for Rust static and shared libraries
//!
//! rt0 gives a Rust `staticlib` or `cdylib` what Go's `-buildmode=c-archive` / `c-shared` gives
//! Go code: an entry point that runs when a C host loads the library, saves argc/argv/envp,
//! starts the library's initialization on a fresh OS thread and returns at once, so the host's
//! `main` proceeds; exported functions wait for that init.
//!
//! ```
//! // In your staticlib/cdylib crate, at the crate root:
//! rt0::lib_entry!(init -> Counter);
//!
//! pub struct Counter {
//!     start: u64,
//! }
//!
//! // Runs once, on its own thread, when the library is loaded.
//! fn init(args: &rt0::Args) -> Result<Counter, rt0::InitError> {
//!     Ok(Counter { start: args.argc() as u64 })
//! }
//!
//! // An export: waits for init, returns -1 if it failed (or panicked), never unwinds into C.
//! #[rt0::export(on_error = -1)]
//! pub extern "C" fn mylib_start(#[state] counter: &Counter) -> i64 {
//!     counter.start as i64
//! }
//! # fn main() { assert!(mylib_start() >= 0); }
//! ```
//!
//! Each library's state belongs to that library: two, three or ten rt0 libraries in one
//! process, linked statically or loaded dynamically, each run their own init once.
//!
//! - [`lib_entry!`] declares the entry; [`Library`] is what it declares: [`Library::wait`],
//!   [`Library::wait_timeout`], [`Library::init_state`], [`Library::args`], ...
//! - [`library!`], [`state!`] and [`wait_init_done!`] reach the calling library's `Library`;
//!   `#[rt0::export]` (feature `macros`) wraps an export so it waits, returns a failure value of
//!   your choice when init failed, and stops panics at the C boundary.
//! - [`thread::newosproc0`] creates an OS thread with no runtime at all.
//! - [`sys`] holds the system calls rt0 makes (usable on a raw-creator init thread).
//!
//! Set `RT0_TRACE=1` in the environment to see, on fd 2, what each library's entry, init thread
//! and waits do.
//!
//! Features: `libc` (default; the pthread creator, image pinning, loader-lock detection),
//! `macros` (default; `#[rt0::export]`), `alloc` (owned error messages and error sources; init
//! may return `Box<dyn Error + Send + Sync>`, so `?` works on any error).
//! A library built with `panic = "unwind"` has panics in init caught and reported as
//! [`InitErrorKind::Panicked`].
//!
//! The per-target parts (entry stub, syscall trampoline, register-convention description) live
//! under `arch/<triple>/`; `build.rs` turns the description into the constants rt0 uses.

#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
// Built with unwinding, the library links std anyway: rt0 uses it to catch panics in init.
#[cfg(panic = "unwind")]
extern crate std;

// The whole description, generated: not every fact is used on every target.
#[allow(dead_code)]
mod abi;
mod args;
#[cfg(windows)]
mod cmdline;
#[cfg(target_os = "linux")]
mod credentials;
mod error;
mod library;
mod loader;
mod macros;
#[cfg(target_os = "linux")]
mod procself;
mod stubs;
pub mod sys;
pub mod thread;
mod trace;

pub use args::Args;
pub use error::{InitError, InitErrorKind, IntoInitError};
pub use library::status;
pub use library::{Creator, ForkPolicy, InitState, Library, StartMode};

/// `#[rt0::export(on_error = VALUE, timeout_ms = N, state = name)]`: makes a function a C export
/// that waits for the library's init first.
///
/// The form to write when a C header is made with cbindgen (which reads the source and lists
/// the functions that carry `#[no_mangle]` there, with their written parameters): the written
/// signature is the C signature, and `state = name` gives the body the library's state.
///
/// ```
/// rt0::lib_entry!(init -> u32);
/// fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> { Ok(41) }
///
/// /// C: `uint32_t mylib_add(uint32_t step);` (cbindgen writes exactly that).
/// #[rt0::export(on_error = 0, state = base)]
/// #[no_mangle]
/// pub extern "C" fn mylib_add(step: u32) -> u32 {
///     base + step
/// }
/// # fn main() { assert_eq!(mylib_add(1), 42); }
/// ```
///
/// A `#[state]` parameter does the same where no header is generated (the macro takes it out
/// of the C signature); combined with a written `#[no_mangle]` or `#[export_name]` it fails to
/// compile, since cbindgen would list the parameter and C callers would pass their arguments
/// one register off.
///
/// ```
/// rt0::lib_entry!(init -> u32);
/// fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> { Ok(41) }
///
/// // `#[state]` marks the parameter that receives init's value; it is not part of the C
/// // signature, which is `uint32_t mylib_next(uint32_t step)`.
/// #[rt0::export(on_error = 0)]
/// pub extern "C" fn mylib_next(#[state] base: &u32, step: u32) -> u32 {
///     base + step
/// }
///
/// // When init failed or the body panics, the export returns `on_error` (here: -1). Without
/// // `on_error` the function must return `()`.
/// #[rt0::export(on_error = -1)]
/// pub extern "C" fn mylib_checked(x: i32) -> i32 {
///     if x < 0 { panic!("negative input") }
///     x
/// }
///
/// # fn main() {
/// assert_eq!(mylib_next(1), 42);
/// assert_eq!(mylib_checked(5), 5);
/// # #[cfg(panic = "unwind")]
/// assert_eq!(mylib_checked(-5), -1);
/// # }
/// ```
///
/// The export gets `#[no_mangle]` (unless it has `#[no_mangle]` or `#[export_name = ..]` of its
/// own, plain or in `#[unsafe(..)]`) and `extern "C"`; before its body runs it waits like
/// [`Library::wait`], and it turns a panic in the body into the failure value (built with
/// `panic = "unwind"`; with `panic = "abort"` a panic ends the process, never unwinding into C).
///
/// `timeout_ms = N` (a `u32` constant) bounds that wait: when init has not finished within `N`
/// milliseconds the export returns `on_error` ([`InitErrorKind::TimedOut`]); init itself goes
/// on, and a later call may find it done. `timeout_ms = 0` never waits: the export answers
/// `on_error` at once unless init is done (a probe that never blocks). An export's own
/// `timeout_ms` always wins over [`lib_entry!`]'s `export_timeout_ms = N`, shorter or longer;
/// without it the export waits as long as `export_timeout_ms` says, and without that, until
/// init ends.
///
/// A panic in the body is caught and reported the way init's is (see [`lib_entry!`]): nothing
/// on the host's stderr, one `RT0_TRACE=1` line with the location and message.
///
/// ```
/// rt0::lib_entry!(init -> u32, export_timeout_ms = 5000);
/// fn init(_: &rt0::Args) -> Result<u32, rt0::InitError> { Ok(7) }
///
/// // Gives up after 100 ms (returning 0) where the library's other exports wait 5 s.
/// #[rt0::export(on_error = 0, timeout_ms = 100)]
/// pub extern "C" fn mylib_value_or_zero(#[state] value: &u32) -> u32 {
///     *value
/// }
/// # fn main() { assert_eq!(mylib_value_or_zero(), 7); }
/// ```
///
/// The function is written in the crate that declared [`lib_entry!`], which tells the macro
/// where rt0 is (so the dependency may be renamed); without a `lib_entry!` the export fails to
/// compile with ``could not find `rt0_lib_entry_must_be_declared_once_at_the_crate_root` in the
/// crate root``. A `#[state]` parameter must be a shared reference (`&State`); init's error type
/// must be one rt0 keeps (see [`IntoInitError`]: a boxed error needs the `alloc` feature), or
/// `lib_entry!` says so.
#[cfg(feature = "macros")]
pub use rt0_macros::export;

/// The README's example runs as a doctest (`cargo test -p rt0 --doc`), so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What the macros expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::library::default_stack_size;

    /// `library`, whose init starts as `mode` says; `lib_entry!`'s `start`.
    pub const fn with_start_mode<T: 'static>(
        library: crate::Library<T>,
        mode: crate::StartMode,
    ) -> crate::Library<T> {
        library.with_start_mode(mode)
    }
    use crate::{InitError, IntoInitError};

    use crate::library::EntryRecord;
    use crate::{Args, Creator, Library};

    /// A library whose `init` runs on a thread made by `creator` with a stack of
    /// `stack_size(args)` bytes (the `LIBRARY` static `lib_entry!` declares).
    pub const fn library<T: 'static>(
        name: &'static str,
        creator: Creator,
        init: fn(&Args) -> Result<T, InitError>,
        stack_size: fn(&Args) -> usize,
    ) -> Library<T> {
        Library::new(name, creator, init, stack_size)
    }

    /// `library` with `policy` for fork children; `lib_entry!`'s `on_fork`.
    pub const fn with_fork_policy<T: 'static>(
        library: Library<T>,
        policy: crate::ForkPolicy,
    ) -> Library<T> {
        library.with_fork_policy(policy)
    }

    /// `library` whose exports wait at most `ms` milliseconds for init unless they say
    /// otherwise (0: they never wait); `lib_entry!`'s `export_timeout_ms`.
    pub const fn with_export_timeout_ms<T: 'static>(library: Library<T>, ms: u32) -> Library<T> {
        library.with_export_timeout_ms(ms)
    }

    /// What `#[rt0::export]` calls before its body: `library.wait()` for at most `timeout_ms`
    /// milliseconds when the export gives a limit (0: no wait at all), else for the library's
    /// `export_timeout_ms`, else without limit.
    #[inline]
    pub fn wait_export<T: 'static>(
        library: &'static Library<T>,
        timeout_ms: Option<u32>,
    ) -> Result<&'static T, InitError> {
        library.wait_export(timeout_ms)
    }

    /// The record `library`'s initializer passes to the entry stub.
    pub fn entry_record<T: 'static>(library: &'static Library<T>) -> *const EntryRecord {
        library.entry_record()
    }

    /// The entry stub (`arch/<triple>/entry.S`).
    ///
    /// # Safety
    /// `i0..i4` are the initializer's arguments as the loader passed them; `record` is the
    /// calling library's record.
    #[inline(always)]
    pub unsafe fn lib_entry(
        i0: usize,
        i1: usize,
        i2: usize,
        i3: usize,
        i4: usize,
        record: *const EntryRecord,
    ) {
        // SAFETY: forwarded to the caller.
        unsafe { crate::stubs::lib_entry(i0, i1, i2, i3, i4, record) }
    }

    /// The error types `lib_entry!`'s init may return: [`IntoInitError`] ones. Its own trait so
    /// that the compiler's error for any other type says what to do (the usual case: a boxed
    /// error without rt0's `alloc` feature) instead of naming rt0's internals.
    #[diagnostic::on_unimplemented(
        message = "rt0::lib_entry!: init returns `Result<_, {Self}>`, an error type rt0 cannot keep",
        label = "init's error type must implement rt0::IntoInitError",
        note = "without rt0's `alloc` feature init may return rt0::InitError or &'static str",
        note = "to return Box<dyn Error + Send + Sync> (so `?` works on any error) or a String, enable it: rt0 = {{ version = \"0.1\", features = [\"alloc\"] }}"
    )]
    pub trait InitErrorType: IntoInitError {}
    impl<E: IntoInitError> InitErrorType for E {}

    /// Init's result with its error made an [`InitError`].
    #[inline]
    pub fn into_init_result<T, E: InitErrorType>(r: Result<T, E>) -> Result<T, InitError> {
        r.map_err(IntoInitError::into_init_error)
    }

    /// An export's body: `body()`, or `fallback()` when it panics, with rt0's panic policy
    /// (built with unwinding; with `panic = "abort"` a panic ends the process before this could
    /// see it).
    #[inline]
    pub fn catch_unwind_or<T, R>(
        library: &'static crate::Library<T>,
        body: impl FnOnce() -> R,
        fallback: impl FnOnce() -> R,
    ) -> R {
        #[cfg(panic = "unwind")]
        return library
            .catch_export_panic(body)
            .unwrap_or_else(|()| fallback());
        #[cfg(not(panic = "unwind"))]
        {
            let _ = (library, fallback);
            body()
        }
    }

    /// A raw-creator library's panic handler: says so on fd 2 and ends the process, as
    /// `panic = "abort"` would.
    pub fn raw_panic() -> ! {
        let _ = crate::sys::write(2, b"rt0: a raw-creator library panicked\n");
        crate::sys::exit_process(101)
    }

    /// Windows: the library's TLS callback (`lib_entry!` registers one per library in
    /// `.CRT$XLB`). The loader calls it as `(module, reason, reserved)` for every process and
    /// thread attach and detach; only `DLL_PROCESS_ATTACH` runs the entry stub (with the
    /// library's record). Everything else does nothing: the library is pinned, so its
    /// `DLL_PROCESS_DETACH` comes only at the process's exit, and what rt0 keeps goes with the
    /// process.
    ///
    /// # Safety
    /// Called by the loader with its arguments; `record` is the calling library's record.
    #[cfg(windows)]
    #[inline(always)]
    pub unsafe fn tls_callback(
        module: *mut core::ffi::c_void,
        reason: u32,
        reserved: *mut core::ffi::c_void,
        record: *const EntryRecord,
    ) {
        use crate::abi::constants as k;
        if reason as usize == k::DLL_PROCESS_ATTACH {
            // SAFETY: the stub's contract: the initializer's arguments and a record.
            unsafe {
                crate::stubs::lib_entry(
                    module as usize,
                    reason as usize,
                    reserved as usize,
                    0,
                    0,
                    record,
                )
            }
        }
    }

    /// Windows: the C runtime's TLS directory, `_tls_used`, which makes the linker give the
    /// image the PE TLS directory the loader reads the callbacks from (MinGW-w64 `tlssup.c`,
    /// MSVC `tlssup.obj`). `lib_entry!` keeps a reference to it next to its callback, so an
    /// image whose other code uses no thread-local storage still has one.
    #[cfg(windows)]
    pub struct TlsDirectory(pub *const u8);

    // SAFETY: an address, never dereferenced by rt0.
    #[cfg(windows)]
    unsafe impl Sync for TlsDirectory {}

    #[cfg(windows)]
    extern "C" {
        /// MinGW-w64 `tlssup.c` / MSVC `tlssup.obj`: the image's `IMAGE_TLS_DIRECTORY64`.
        pub static _tls_used: u8;
    }
}

// rt0's own unit tests run in a program that is its own host: this library's init runs at the
// test program's start, on its own thread.
#[cfg(test)]
crate::lib_entry!(test_init -> u32);
#[cfg(test)]
fn test_init(args: &Args) -> Result<u32, InitError> {
    if args.env("RT0_UNIT_TEST_FAIL").is_some() {
        return Err(InitError::new("failing on request"));
    }
    Ok(7)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn init_ran_on_its_own_thread_with_the_programs_arguments() {
        let library = library!();
        assert_eq!(*library.wait().unwrap(), 7);
        assert_eq!(library.init_state(), InitState::Done);
        assert_eq!(library.creator(), Some(Creator::Pthread));
        assert_ne!(library.init_thread_id(), 0);
        assert_ne!(library.init_thread_id(), library.entry_thread_id());
        let argv0 = library.args().arg(0).unwrap().to_str().unwrap().to_string();
        assert!(argv0.contains("rt0"), "argv[0] = {argv0}");
        assert_eq!(library.name(), "rt0");
    }

    #[test]
    fn a_finished_init_answers_wait_timeout_and_get_at_once() {
        let library = library!();
        library.wait().unwrap();
        assert_eq!(library.get(), Some(&7));
        assert_eq!(
            library
                .wait_timeout(core::time::Duration::ZERO)
                .copied()
                .ok(),
            Some(7)
        );
    }

    #[test]
    fn args_iterate_like_the_vectors() {
        let args = library!().args();
        assert_eq!(args.iter().count(), args.argc());
        let (name, value) = args.env_iter().find(|(n, _)| *n == b"PATH").expect("PATH");
        assert_eq!(name, b"PATH");
        assert_eq!(Some(value), args.env("PATH"));
        assert_eq!(Args::empty().iter().count(), 0);
        assert_eq!(Args::empty().env("PATH"), None);
    }

    #[test]
    fn errors_name_their_errno_and_keep_their_kind() {
        let e = InitError::with(
            InitErrorKind::ThreadCreate,
            sys::Errno::EAGAIN.0,
            "rt0: no thread",
        );
        assert_eq!(
            e.to_string(),
            std::format!("rt0: no thread (EAGAIN, errno {})", sys::Errno::EAGAIN.0)
        );
        assert_eq!(e.kind(), InitErrorKind::ThreadCreate);
        assert_eq!("plain".into_init_error().message(), "plain");
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn a_boxed_error_becomes_the_source() {
        use std::boxed::Box;
        let parse = "x".parse::<u32>().unwrap_err();
        let boxed: Box<dyn core::error::Error + Send + Sync> = Box::new(parse.clone());
        let e = boxed.into_init_error();
        assert_eq!(e.message(), std::format!("{parse}"));
        assert!(core::error::Error::source(&e).is_some());
        // An InitError that went through a Box comes back as itself.
        let inner: Box<dyn core::error::Error + Send + Sync> = Box::new(InitError::new("inner"));
        assert_eq!(inner.into_init_error().message(), "inner");
    }

    #[cfg(not(windows))]
    #[test]
    fn a_thread_started_under_the_host_mask_takes_it_and_the_caller_gets_its_own_back() {
        // SIGUSR2 (12 on Linux, 31 on darwin) is blocked in the caller, not in the mask given.
        let usr2 = if cfg!(target_os = "linux") { 12 } else { 31 };
        let caller = sys::SigSet(1 << (usr2 - 1));
        let before = sys::thread_sigmask(sys::SigHow::SetMask, caller).unwrap();
        let host = library!().host_signal_mask();
        let seen = thread::with_signal_mask(host, || {
            std::thread::spawn(sys::current_sigmask).join().unwrap()
        });
        let after = sys::current_sigmask();
        let _ = sys::thread_sigmask(sys::SigHow::SetMask, before);
        assert!(
            !seen.contains(usr2),
            "the new thread kept the caller's mask: {seen:?}"
        );
        assert_eq!(
            seen.0 & !host.0,
            0,
            "{seen:?} has more than the host's {host:?}"
        );
        assert!(
            after.contains(usr2),
            "the caller's mask did not come back: {after:?}"
        );
    }

    #[cfg(not(windows))]
    #[test]
    fn signal_sets_leave_the_c_librarys_signals_out() {
        for sig in crate::abi::constants::LIBC_RESERVED_SIGNALS {
            assert!(
                !sys::SigSet::ALL_BUT_LIBC_RESERVED.contains(*sig),
                "signal {sig}"
            );
        }
        assert!(sys::SigSet::ALL_BUT_LIBC_RESERVED.contains(15));
    }
}
