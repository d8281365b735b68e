//! One library's entry and init state: [`Library`].
//!
//! Everything that belongs to a library lives in the `Library` static its
//! [`lib_entry!`](crate::lib_entry) declares, in the library's own crate: the saved arguments,
//! the init state word, the thread ids, the failure, the init result. rt0's own code keeps no
//! state, so two, three or ten rt0 libraries in one process (linked statically, loaded
//! dynamically, or both) each run their own init once and see their own state.
//!
//! The path from loader to exported call:
//! 1. The loader calls the library's initializer (a record `lib_entry!` places in the
//!    initializer section), which calls the entry stub (`arch/<triple>/entry.S`) with the
//!    loader's arguments and the library's [`EntryRecord`]. The stub calls `prepare` (claims the
//!    entry, saves argc/argv/envp, pins the image: see [`crate::loader`]), then the library's
//!    thread creator (`pthread_create`, or the raw path's [`crate::thread::try_newosproc0`]),
//!    then `finish` (records a creation failure), and returns: the host's `main` proceeds.
//! 2. The init thread runs the library's `init` with asynchronous signals blocked, stores its
//!    result, marks init done or failed, wakes every waiter, and ends (only itself).
//! 3. Exports wait with [`Library::wait`]: one atomic load once init is done; before, a real
//!    kernel wait (futex / `__ulock_wait`), never a spin, and never a wait that cannot end (see
//!    [`InitErrorKind`](crate::InitErrorKind) for the cases answered at once).

mod fork;
mod launch;
#[cfg(panic = "unwind")]
pub(crate) mod panics;
mod record;
mod start;
pub mod status;
mod wait;

pub use fork::ForkPolicy;
pub use launch::{default_stack_size, StartMode};
pub use record::EntryRecord;

use crate::args::Args;
use crate::error::InitError;
use crate::sys;
use core::cell::UnsafeCell;
use core::ffi::c_char;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;

pub(crate) const PENDING: u32 = 0;

pub(crate) const RUNNING: u32 = 1;
pub(crate) const DONE: u32 = 2;
pub(crate) const FAILED: u32 = 3;
/// The entry ran and kept the arguments, but init has not started (`start = first_call` or
/// `explicit`).
pub(crate) const NOT_STARTED: u32 = 4;

/// Where a library's initialization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitState {
    /// The entry has not run yet.
    Pending,
    /// The init thread was started and has not finished.
    Running,
    /// Init completed.
    Done,
    /// Init, or the creation of its thread, failed; see [`Library::wait`]'s error.
    Failed,
    /// The entry ran, but init has not started: with `start = first_call` it starts on the
    /// library's first wait, with `start = explicit` when the library calls
    /// [`Library::start`].
    NotStarted,
    /// This process is a fork child of the one init ran (or runs) in, and the library's
    /// [`ForkPolicy`] does not give it the parent's state: with `reinit` the child's first
    /// export starts init anew (then the state reads `Running`, `Done`...), with `fail` it stays
    /// so, with `inherit` it means the fork came while init ran.
    Forked,
}

/// How a library's init thread is created: a per-library choice in
/// [`lib_entry!`](crate::lib_entry) (`creator = pthread` or `creator = raw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creator {
    /// `pthread_create` (needs rt0's `libc` feature; the default). Init may use `std`.
    Pthread,
    /// rt0's own [`try_newosproc0`](crate::thread::try_newosproc0): no C library at all. Init
    /// runs with no thread pointer and may use only [`crate::sys`]: no `std`, no libc.
    Raw,
}

/// The library-independent part of a [`Library`]: what the entry stub, the init thread and the
/// waiters share. `#[repr(C)]` with the record first, so the record's address is the library's.
#[repr(C)]
pub(crate) struct Head {
    pub(crate) record: EntryRecord,
    /// The library's name and its trace switch.
    pub(crate) tracer: crate::trace::Tracer,
    pub(crate) creator: Creator,
    pub(crate) stack_size: fn(&Args) -> usize,
    /// Runs the library's typed init and stores its value (see `Library::run_init`).
    pub(crate) run_init: unsafe fn(&Head) -> Result<(), InitError>,
    pub(crate) state: AtomicU32,
    pub(crate) argc: AtomicUsize,
    pub(crate) argv: AtomicPtr<*const c_char>,
    pub(crate) envp: AtomicPtr<*const c_char>,
    /// 0 until the entry ran, then 1 + the [`Creator`] used.
    pub(crate) creator_used: AtomicU32,
    pub(crate) entry_tid: AtomicU64,
    pub(crate) init_tid: AtomicU64,
    /// The process id at the entry (0: not known yet); a fork child usually sees another one.
    pub(crate) entry_pid: AtomicU32,
    /// The epoch this library's init started in (see `fork`): a fork child sees another one.
    pub(crate) epoch: AtomicU32,
    /// What the library does in a fork child (`lib_entry!`'s `on_fork`).
    pub(crate) fork_policy: ForkPolicy,
    /// When init starts (`lib_entry!`'s `start`).
    pub(crate) start_mode: StartMode,
    /// The epoch of the last fork child the trace told about (one line per child).
    pub(crate) fork_noted: AtomicU32,
    /// The init thread's stack size, as the entry computed it (0 before).
    pub(crate) stack_bytes: AtomicUsize,
    /// The signal mask of the thread that ran the entry, when it ran (see
    /// [`Library::host_signal_mask`]).
    #[cfg(not(windows))]
    pub(crate) host_sigmask: AtomicU64,
    /// How long an export waits for init unless it says otherwise, in milliseconds (`None`: no
    /// limit); `lib_entry!`'s `export_timeout_ms`.
    pub(crate) export_timeout_ms: Option<u32>,
    /// What [`crate::loader`] keeps for this library (its pin, the loader's lock table).
    pub(crate) loader: crate::loader::LoaderState,
    /// Written once, before the state becomes `FAILED`.
    failure: UnsafeCell<MaybeUninit<InitError>>,
    /// The failure's message, NUL-terminated, for C (see `status`).
    failure_text: UnsafeCell<[u8; status::TEXT_BYTES]>,
}

/// One rt0 library: its entry, its init state and the value its `init` returned.
///
/// [`lib_entry!`](crate::lib_entry) declares one per library; reach it with
/// [`library!`](crate::library) (or through [`state!`](crate::state),
/// [`wait_init_done!`](crate::wait_init_done) and `#[rt0::export]`).
///
/// ```
/// rt0::lib_entry!(init -> Greeting);
///
/// struct Greeting(&'static str);
///
/// fn init(_: &rt0::Args) -> Result<Greeting, rt0::InitError> {
///     Ok(Greeting("hello"))
/// }
///
/// fn main() {
///     // In a real library this is an export a C host calls; here the test program is the host.
///     let greeting = rt0::library!().wait().expect("init succeeded");
///     assert_eq!(greeting.0, "hello");
///     assert_eq!(rt0::library!().init_state(), rt0::InitState::Done);
///     assert_ne!(rt0::library!().init_thread_id(), rt0::library!().entry_thread_id());
/// }
/// ```
#[repr(C)]
pub struct Library<T: 'static> {
    head: Head,
    init: fn(&Args) -> Result<T, InitError>,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value and the failure are written once, by the init thread (or the entry), before
// the state word is released as DONE or FAILED; readers read them only after acquiring that
// state. Everything else is atomic.
unsafe impl<T: Sync> Sync for Library<T> {}

impl<T: 'static> Library<T> {
    /// A library whose `init` runs on a thread made by `creator` with a stack of
    /// `stack_size(args)` bytes. Used by [`lib_entry!`](crate::lib_entry), through
    /// `__private::library`.
    pub(crate) const fn new(
        name: &'static str,
        creator: Creator,
        init: fn(&Args) -> Result<T, InitError>,
        stack_size: fn(&Args) -> usize,
    ) -> Library<T> {
        Library {
            head: Head {
                record: EntryRecord {
                    prepare: start::prepare,
                    create: start::creator_function(creator),
                    thread_main: start::thread_main,
                    finish: start::finish,
                },
                tracer: crate::trace::Tracer::new(name),
                creator,
                stack_size,
                run_init: Self::run_init,
                state: AtomicU32::new(PENDING),
                argc: AtomicUsize::new(0),
                argv: AtomicPtr::new(core::ptr::null_mut()),
                envp: AtomicPtr::new(core::ptr::null_mut()),
                creator_used: AtomicU32::new(0),
                entry_tid: AtomicU64::new(0),
                init_tid: AtomicU64::new(0),
                entry_pid: AtomicU32::new(0),
                epoch: AtomicU32::new(0),
                fork_policy: ForkPolicy::Reinit,
                start_mode: StartMode::AtLoad,
                fork_noted: AtomicU32::new(0),
                stack_bytes: AtomicUsize::new(0),
                #[cfg(not(windows))]
                host_sigmask: AtomicU64::new(0),
                export_timeout_ms: None,
                loader: crate::loader::LoaderState::new(),
                failure: UnsafeCell::new(MaybeUninit::uninit()),
                failure_text: UnsafeCell::new([0; status::TEXT_BYTES]),
            },
            init,
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The same library, whose init starts as `mode` says. Used by
    /// [`lib_entry!`](crate::lib_entry)'s `start`.
    pub(crate) const fn with_start_mode(mut self, mode: StartMode) -> Library<T> {
        self.head.start_mode = mode;
        self
    }

    /// The same library with `policy` for fork children. Used by
    /// [`lib_entry!`](crate::lib_entry)'s `on_fork`.
    pub(crate) const fn with_fork_policy(mut self, policy: ForkPolicy) -> Library<T> {
        self.head.fork_policy = policy;
        self
    }

    /// The same library whose exports wait at most `ms` milliseconds for init unless they say
    /// otherwise (0: they never wait; they answer at once unless init is done). Used by
    /// [`lib_entry!`](crate::lib_entry)'s `export_timeout_ms`.
    pub(crate) const fn with_export_timeout_ms(mut self, ms: u32) -> Library<T> {
        self.head.export_timeout_ms = Some(ms);
        self
    }

    /// What `#[rt0::export]` calls before its body: [`wait`](Library::wait), for at most
    /// `timeout_ms` milliseconds when the export gives a limit (0: no wait at all), else for the
    /// library's `export_timeout_ms`, else without limit ([`InitErrorKind::TimedOut`](crate::InitErrorKind::TimedOut) when the
    /// time is up).
    #[inline]
    pub(crate) fn wait_export(
        &'static self,
        timeout_ms: Option<u32>,
    ) -> Result<&'static T, InitError> {
        if !self.head.ready() {
            let limit = timeout_ms.or(self.head.export_timeout_ms);
            self.head
                .wait_slow(limit.map(|ms| Duration::from_millis(u64::from(ms))))?;
        }
        // SAFETY: as in `wait`.
        Ok(unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// The record the library's initializer passes to the entry stub.
    pub(crate) fn entry_record(&'static self) -> *const EntryRecord {
        &self.head.record
    }

    /// Waits until init has finished and gives its value.
    ///
    /// The fast path is one atomic load. Otherwise the caller blocks in the kernel until the
    /// init thread finishes, except where waiting could never end, which is answered at once:
    /// on the init thread itself ([`InitErrorKind::CalledFromInit`](crate::InitErrorKind::CalledFromInit)), in a child forked while
    /// init ran ([`InitErrorKind::Forked`](crate::InitErrorKind::Forked)), and on a thread holding the dynamic loader's lock
    /// while init runs ([`InitErrorKind::WouldDeadlock`](crate::InitErrorKind::WouldDeadlock)). Called before the library's entry ran
    /// (a host constructor that runs first), it starts the entry itself, with the arguments
    /// recovered from the process, and then waits: static and shared links behave alike.
    ///
    /// In a fork child it answers as the library's [`ForkPolicy`] says: with `reinit` (the
    /// default) it starts init anew in the child and waits for that.
    #[inline]
    pub fn wait(&'static self) -> Result<&'static T, InitError> {
        if !self.head.ready() {
            self.head.wait_slow(None)?;
        }
        // SAFETY: DONE was acquired: the value was written before it was released.
        Ok(unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// [`wait`](Library::wait) for at most `timeout`; [`InitErrorKind::TimedOut`](crate::InitErrorKind::TimedOut) when init is
    /// still running then. `Duration::ZERO` never waits: it answers at once.
    pub fn wait_timeout(&'static self, timeout: Duration) -> Result<&'static T, InitError> {
        if !self.head.ready() {
            self.head.wait_slow(Some(timeout))?;
        }
        // SAFETY: as in `wait`.
        Ok(unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// Init's value if init has completed in this process (or, in a fork child of a library
    /// with `on_fork = inherit`, in its parent), without waiting or starting anything.
    pub fn get(&'static self) -> Option<&'static T> {
        (self.head.ready() || self.init_state() == InitState::Done)
            // SAFETY: as in `wait`.
            .then(|| unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// Where init stands, without waiting (in a fork child: see [`InitState::Forked`]).
    pub fn init_state(&self) -> InitState {
        let state = self.head.state.load(Ordering::Acquire);
        if state != PENDING {
            if let Some(in_child) = self.head.state_in_child(state) {
                return in_child;
            }
        }
        match state {
            PENDING => InitState::Pending,
            RUNNING => InitState::Running,
            DONE => InitState::Done,
            NOT_STARTED => InitState::NotStarted,
            _ => InitState::Failed,
        }
    }

    /// Starts init now if it has not started (`start = explicit`: what the library's own start
    /// export calls; `first_call`: starts it without waiting), and returns at once: init runs
    /// on its own thread, and exports wait for it from then on. Called before the library's
    /// entry ran, it runs the entry first. Does nothing where init has started already (a
    /// second `start`, `at_load`, `inline`).
    pub fn start(&'static self) {
        if self.head.state.load(Ordering::Acquire) == PENDING {
            start::start_from_export(&self.head);
        }
        if self.head.state.load(Ordering::Acquire) == NOT_STARTED {
            launch::start_deferred(&self.head);
        }
    }

    /// When init starts (`lib_entry!`'s `start`).
    pub fn start_mode(&self) -> StartMode {
        self.head.start_mode
    }

    /// What the library does in a fork child (`lib_entry!`'s `on_fork`).
    pub fn fork_policy(&self) -> ForkPolicy {
        self.head.fork_policy
    }

    /// The arguments the entry saved (empty before it ran).
    pub fn args(&self) -> Args {
        self.head.args()
    }

    /// The creator the entry used (`None` before it ran).
    pub fn creator(&self) -> Option<Creator> {
        match self.head.creator_used.load(Ordering::Acquire) {
            0 => None,
            _ => Some(self.head.creator),
        }
    }

    /// The OS thread id that ran the load-time entry (0 before it ran).
    pub fn entry_thread_id(&self) -> u64 {
        self.head.entry_tid.load(Ordering::Acquire)
    }

    /// The OS thread id that ran init (0 before init started).
    pub fn init_thread_id(&self) -> u64 {
        self.head.init_tid.load(Ordering::Acquire)
    }

    /// The library's name (its Cargo package name), as traces and messages show it. The init
    /// thread carries it as its OS thread name (cut to 15 bytes on Linux), as `top`, `ps -L`
    /// and debuggers show it.
    pub fn name(&self) -> &'static str {
        self.head.tracer.name()
    }

    /// The signal mask of the host's thread that ran the library's entry, as it was then
    /// (empty before the entry ran).
    ///
    /// The init thread runs with every asynchronous signal blocked (so that the host's threads
    /// get the process's signals), and threads that init starts inherit that mask for life: a
    /// profiler's `SIGPROF` or a runtime's own signals then never reach them. A thread that
    /// should take signals as the host's threads do is started with this mask, through
    /// [`crate::thread::with_signal_mask`]:
    ///
    /// ```no_run
    /// # rt0::lib_entry!(init);
    /// # fn init(_: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
    /// # fn main() {
    /// let host_mask = rt0::library!().host_signal_mask();
    /// let worker = rt0::thread::with_signal_mask(host_mask, || {
    ///     std::thread::spawn(|| { /* takes signals like a host thread */ })
    /// });
    /// # worker.join().unwrap();
    /// # }
    /// ```
    #[cfg(not(windows))]
    pub fn host_signal_mask(&self) -> crate::sys::SigSet {
        crate::sys::SigSet(self.head.host_sigmask.load(Ordering::Acquire))
    }

    /// Runs an export's `body` under rt0's panic policy (see `panics`): `Err` when it panicked.
    #[cfg(panic = "unwind")]
    pub(crate) fn catch_export_panic<R>(&'static self, body: impl FnOnce() -> R) -> Result<R, ()> {
        panics::catch(&self.head, panics::Callback::Export, body).map_err(drop)
    }

    /// The type-erased init the init thread calls: runs `init`, keeps its value.
    ///
    /// # Safety
    /// `head` must be the head of a `Library<T>`; called once, on the init thread.
    unsafe fn run_init(head: &Head) -> Result<(), InitError> {
        // SAFETY: Library is repr(C) with the head first (the caller's contract).
        let library = unsafe { &*(head as *const Head as *const Library<T>) };
        let value = (library.init)(&head.args())?;
        // SAFETY: written once, before the state is released as DONE (start::thread_main).
        unsafe { (*library.value.get()).write(value) };
        Ok(())
    }
}

impl Head {
    /// The fast path of every wait: init is done, in this process (not a fork child's copy).
    #[inline]
    fn ready(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE && self.same_epoch()
    }

    pub(crate) fn args(&self) -> Args {
        let argv = self.argv.load(Ordering::Acquire);
        // SAFETY: stored by `prepare` from the loader's (or the recovered) vectors, which live
        // for the whole process.
        unsafe {
            Args::from_raw(
                self.argc.load(Ordering::Relaxed),
                argv,
                self.envp.load(Ordering::Relaxed),
            )
        }
    }

    /// Records `err` as the outcome, marks init failed and wakes every waiter.
    pub(crate) fn finish_failed(&self, err: InitError) {
        self.keep_failure_text(err.message());
        // SAFETY: only the init thread, or the entry when no init thread was made, gets here,
        // once, while the state is RUNNING: nobody reads the cell before FAILED is released.
        unsafe { (*self.failure.get()).write(err) };
        self.state.store(FAILED, Ordering::Release);
        sys::wake_all(&self.state);
    }
}
