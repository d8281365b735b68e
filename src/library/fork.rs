//! Fork children: recognising one, and what a library's `on_fork` policy makes of the state it
//! inherited.
//!
//! A child of `fork` has a copy of the parent's memory (this library's state included: init
//! done, running or failed) but only the forking thread: the init thread, and every thread init
//! started (a runtime's workers), stayed in the parent. So a child must never wait for an init
//! that runs nowhere, nor use a state whose threads are gone, unless the library says its state
//! is plain data.
//!
//! **Recognising a child.** Each copy of rt0 keeps one *epoch word*, which every fork child
//! sees as 0:
//! - Linux: the word lives in a page mapped with `MADV_WIPEONFORK`, which the kernel hands
//!   every child zeroed, however it was forked (`fork`, glibc's `_Fork`, a raw `clone`): Linux
//!   4.14 and later. The first [`arm`] maps it, on the thread that starts init and before the
//!   init thread exists, so a child the host forks once the entry (or `start`) has returned
//!   always has it, however it forks; before that the word is a plain static;
//! - with the C library (Linux, darwin), a `pthread_atfork` child handler also zeroes it: that
//!   covers kernels without the advice, qemu-user (which ignores it) and darwin (where the word
//!   is a plain static);
//! - an entry that finds the word 0 re-arms it with a new value (a library first loaded in a
//!   child, or a reinit), so grandchildren are recognised too.
//!
//! Each library saves the epoch its init started in; a wait compares it with the word now (two
//! loads on the fast path, nothing else). The slow path adds the process id saved at the entry
//! (darwin has no PID namespaces, so there a descendant can never have it) and, while init
//! runs, the init thread's existence (`tgkill(pid, init_tid, 0)`, see `Head::init_thread_is_gone`):
//! that one is weak evidence (a thread can end without finishing init, through `pthread_exit`),
//! so it only ever answers `Forked`, never starts init again.
//!
//! Where neither the page nor the handler exists (a library built without the C library on
//! darwin, or under qemu-user), only the process id tells, on the slow path: a child forked
//! after init then keeps the parent's state, as `inherit` would.
//!
//! Windows has no fork: the policy compiles and does nothing.

use super::{Head, DONE, FAILED, PENDING, RUNNING};
use crate::error::{InitError, InitErrorKind};
use crate::sys;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// What a library does in a fork child: `lib_entry!(.., on_fork = reinit | fail | inherit)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkPolicy {
    /// Init runs again in the child (the default), on a new init thread made as at load, with
    /// the arguments and environment of the load (rt0's copy) and the child's own pid; the
    /// child's first export (or wait) starts it and waits for it as an export waits at load.
    /// The parent's state in the child is never handed out and never dropped (its threads are
    /// not there). For a library whose state owns threads (a runtime, a worker), and for every
    /// library that does not know better: a child gets a working library, at the price of a
    /// second init.
    Reinit,
    /// Every export in a child answers [`InitErrorKind::Forked`] at once, whether the fork came
    /// during init or after it.
    Fail,
    /// A child forked after init uses the parent's state (for a state that is plain data, with
    /// no thread behind it); one forked during init answers [`InitErrorKind::Forked`].
    Inherit,
}

/// Where the epoch word lives until the page exists (and for good where it cannot): a plain
/// static, which only the `pthread_atfork` handler zeroes in a child.
static FALLBACK_WORD: AtomicU32 = AtomicU32::new(0);
/// The epoch word: [`FALLBACK_WORD`], or a word of the wipe-on-fork page once it is mapped.
static EPOCH_WORD: AtomicPtr<AtomicU32> =
    AtomicPtr::new(core::ptr::addr_of!(FALLBACK_WORD) as *mut AtomicU32);
/// The last value this process armed the word with (copied into a child with the rest of
/// memory, so a child arms a value its parent never had).
static LAST_ARMED: AtomicU32 = AtomicU32::new(0);

// Inlined into the exports' fast path (in the user's crate), like `epoch` and `same_epoch`.
#[inline]
fn word() -> &'static AtomicU32 {
    // SAFETY: the static fallback, or a word of a page mapped for the life of the process.
    unsafe { &*EPOCH_WORD.load(Ordering::Acquire) }
}

/// The epoch now: 0 in a fork child until an entry there re-arms it. Raw calls only (loads):
/// safe on a raw init thread.
#[inline]
#[cfg_attr(windows, allow(dead_code))] // no fork there: the fast path never asks
pub(super) fn epoch() -> u32 {
    word().load(Ordering::Relaxed)
}

/// The epoch an entry starts init in: registers the child handler and maps the wipe-on-fork
/// page on the first call, and arms the word where it is 0 (the first entry of this copy of
/// rt0, or the first one in a fork child). Called on the thread that starts init, before the
/// init thread exists; racing entries all get the same value.
///
/// The page costs the loading thread about 5 us (`mmap`, `madvise` and the first write's page
/// fault). Mapping it later, on the init thread, left a window: a host that forked with
/// `_Fork()` (no fork handlers) in a PID namespace (the child keeps the pid) before the init
/// thread got there had a child with no mark at all, which waited for good for its parent's
/// init.
pub(super) fn arm() -> u32 {
    #[cfg(all(rt0_libc, not(windows)))]
    register_child_handler_once();
    #[cfg(target_os = "linux")]
    map_wipe_page_once();
    let word = word();
    let token = LAST_ARMED.load(Ordering::Acquire).wrapping_add(1).max(1);
    if word
        .compare_exchange(0, token, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        LAST_ARMED.store(token, Ordering::Release);
    }
    word.load(Ordering::Acquire)
}

/// Linux: maps the wipe-on-fork page once per copy of rt0 (a page, for the life of the
/// process) and moves the epoch word there, keeping its value. Raw calls only.
#[cfg(target_os = "linux")]
fn map_wipe_page_once() {
    use crate::abi::{constants as k, nr};
    use crate::sys::{Arg, Nr};
    // Once per process line: a second caller returns at once and never waits for the first.
    // Another host thread may fork while this one maps the page: the child then has this flag
    // set and no thread that would finish, and it keeps the word in the static (which the
    // `pthread_atfork` handler zeroes in its children) rather than wait for good.
    static CLAIMED: AtomicU32 = AtomicU32::new(0);
    if CLAIMED.swap(1, Ordering::AcqRel) != 0 {
        return;
    }
    let page = crate::abi::stack::PAGE_SIZE;
    if let Ok(base) = crate::sys::raw::map_memory(page) {
        // SAFETY: advice on our own fresh mapping; only its contents in a child change.
        let advised = unsafe {
            crate::sys::raw::syscall3(
                Nr(nr::MADVISE),
                Arg(base as usize),
                Arg(page),
                Arg(k::MADV_WIPEONFORK),
            )
        };
        if advised.is_ok() {
            let page_word = base.cast::<AtomicU32>();
            // SAFETY: the fresh page is ours, zeroed, and aligned for the word.
            unsafe { &*page_word }.store(FALLBACK_WORD.load(Ordering::Acquire), Ordering::Release);
            EPOCH_WORD.store(page_word, Ordering::Release);
        }
    }
}

#[cfg(all(rt0_libc, not(windows)))]
fn register_child_handler_once() {
    use core::sync::atomic::AtomicBool;
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if REGISTERED.swap(true, Ordering::AcqRel) {
        return;
    }
    // Runs in the child right after fork, on its only thread: one atomic store is all it does
    // (async-signal-safe, as a child handler of a multithreaded parent must be).
    extern "C" fn child() {
        word().store(0, Ordering::Release);
    }
    // SAFETY: registers a handler whose code stays mapped (the image is pinned for the life of
    // the process, or is the program itself). Libraries commonly register from a constructor;
    // it takes only the C library's fork-handler lock, never the loader's.
    let failed = unsafe { libc::pthread_atfork(None, None, Some(child)) } != 0;
    if failed {
        // Out of memory: the other marks remain.
        REGISTERED.store(false, Ordering::Release);
    }
}

/// How sure a waiter is that it runs in a fork child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(windows, allow(dead_code))] // no fork there
pub(super) enum Evidence {
    /// The epoch or the process id changed: a fork child, certainly.
    Certain,
    /// Only the init thread is gone while init is said to run (see the module docs).
    InitThreadGone,
}

/// What a fork child's wait does next, by the library's policy.
pub(super) enum InChild {
    /// Use the state as it is (`inherit` after init: adopted for this process).
    Use,
    /// The state went back to pending (`reinit`): wait, which starts init anew.
    Restart,
}

impl Head {
    /// Whether the epoch is the one this library's init started in: the fast path's check (two
    /// loads). Always true before the entry ran (both are 0) and on Windows.
    #[inline]
    pub(super) fn same_epoch(&self) -> bool {
        #[cfg(windows)]
        return true;
        #[cfg(not(windows))]
        return self.epoch.load(Ordering::Relaxed) == epoch();
    }

    /// Whether this process is a fork child of the one this library's state belongs to.
    pub(super) fn fork_evidence(&self) -> Option<Evidence> {
        #[cfg(windows)]
        return None;
        #[cfg(not(windows))]
        {
            let entry_pid = self.entry_pid.load(Ordering::Acquire);
            if entry_pid == 0 {
                return None; // the entry has not run: nothing was inherited
            }
            // An epoch of 0: this library has not armed one yet (`first_call` or `explicit`
            // before their start), so only the process id can tell.
            let armed = self.epoch.load(Ordering::Acquire) != 0;
            if (armed && !self.same_epoch()) || sys::process_id() != entry_pid {
                return Some(Evidence::Certain);
            }
            self.init_thread_is_gone()
                .then_some(Evidence::InitThreadGone)
        }
    }

    /// In a fork child that saw `state`: what the library's `on_fork` policy does; `Err` is the
    /// answer the wait gives at once.
    pub(super) fn apply_fork_policy(
        &self,
        state: u32,
        evidence: Evidence,
    ) -> Result<InChild, InitError> {
        const DURING_INIT: &str =
            "rt0: this process was forked while init was running; init does not run in the child";
        let policy = self.fork_policy;
        if evidence == Evidence::InitThreadGone {
            return Err(InitError::with(InitErrorKind::Forked, 0, DURING_INIT));
        }
        match (policy, state) {
            (ForkPolicy::Fail, _) => {
                self.note_fork_child("its exports answer Forked (on_fork = fail)");
                Err(InitError::with(
                    InitErrorKind::Forked,
                    0,
                    "rt0: this process is a fork child, and the library's on_fork policy is fail: its exports answer at once",
                ))
            }
            (ForkPolicy::Inherit, RUNNING) => {
                self.note_fork_child(
                    "forked while init ran, which runs only in the parent (on_fork = inherit)",
                );
                Err(InitError::with(InitErrorKind::Forked, 0, DURING_INIT))
            }
            (ForkPolicy::Inherit, _) => {
                self.note_fork_child("it keeps the parent's state (on_fork = inherit)");
                // Adopted for this process: its later waits take the fast path again.
                self.entry_pid.store(sys::process_id(), Ordering::Release);
                self.epoch.store(arm(), Ordering::Release);
                Ok(InChild::Use)
            }
            (ForkPolicy::Reinit, _) => {
                // Back to pending, from whatever this child inherited; the racing waiters of
                // this child start init once (the entry's own claim).
                if self
                    .state
                    .compare_exchange(state, PENDING, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    self.note_fork_child("init runs again here (on_fork = reinit)");
                }
                Ok(InChild::Restart)
            }
        }
    }

    /// The trace line for a fork child (once per library and child). The child's epoch is 0
    /// until something arms it, so it is armed here: the value is then this child's own, which
    /// neither its parent nor any other child noted, and the next wait in the same child sees
    /// it noted already.
    fn note_fork_child(&self, what: &str) {
        let now = arm();
        if self.fork_noted.swap(now, Ordering::AcqRel) != now {
            crate::trace::event(&self.tracer, b"fork child: ", what);
        }
    }

    /// Linux: whether the init thread, known by its id, no longer exists in this process while
    /// the state says init runs: the process is a fork child (one made by `_Fork` or a raw
    /// `clone`, which skip the C library's fork handlers, in a new PID namespace where it kept
    /// its parent's pid, on a kernel that does not wipe the epoch page).
    #[cfg_attr(windows, allow(dead_code))] // no fork there
    fn init_thread_is_gone(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            let tid = self.init_tid.load(Ordering::Acquire);
            // The init thread stores DONE or FAILED before it ends: gone while the state still
            // says running means it never ran here. A thread that just finished is not a fork.
            tid != 0
                && sys::raw::thread_exists(tid) == Some(false)
                && self.state.load(Ordering::Acquire) == RUNNING
        }
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// What `Library::init_state` says in a fork child that has not started init again.
    pub(super) fn state_in_child(&self, state: u32) -> Option<super::InitState> {
        let evidence = self.fork_evidence()?;
        Some(match (self.fork_policy, state, evidence) {
            (ForkPolicy::Inherit, DONE, Evidence::Certain) => super::InitState::Done,
            (ForkPolicy::Inherit, FAILED, Evidence::Certain) => super::InitState::Failed,
            _ => super::InitState::Forked,
        })
    }
}
