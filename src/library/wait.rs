//! Waiting for init: the slow path behind [`Library::wait`](super::Library::wait) and the
//! exports, with the answers given at once where a wait could never end.

use super::fork::InChild;
use super::launch::{self, StartMode};
use super::{start, Head, DONE, FAILED, NOT_STARTED, PENDING, RUNNING};
use crate::error::{InitError, InitErrorKind};
use crate::sys;
use core::sync::atomic::Ordering;
use core::time::Duration;

#[cfg(not(windows))]
const LOADER_LOCK_MESSAGE: &str = "rt0: called while holding the dynamic loader's lock (from a library constructor or destructor) before init finished; waiting could deadlock";
// Windows: the init thread cannot even start while the loader lock is held.
#[cfg(windows)]
const LOADER_LOCK_MESSAGE: &str = "rt0: called while holding the dynamic loader's lock (from a DllMain or TLS callback) before init finished; waiting would deadlock (the init thread cannot start until the lock is free)";

impl Head {
    /// The failure init recorded.
    pub(super) fn recorded_failure(&self) -> InitError {
        // SAFETY: FAILED was acquired by the caller: the failure was written before.
        unsafe { (*self.failure.get()).assume_init_ref() }.clone()
    }

    /// Waits until init is done (Ok) or failed (Err), answering at once where waiting could
    /// never end (see [`Library::wait`](super::Library::wait)); in a fork child, as the
    /// library's `on_fork` policy says.
    #[cold]
    pub(super) fn wait_slow(&self, timeout: Option<Duration>) -> Result<(), InitError> {
        let deadline = timeout.map(Deadline::after);
        let mut announced = false;
        loop {
            let state = self.state.load(Ordering::Acquire);
            if state != PENDING {
                if let Some(evidence) = self.fork_evidence() {
                    match self.apply_fork_policy(state, evidence) {
                        Ok(InChild::Use) => {}
                        Ok(InChild::Restart) => continue,
                        Err(e) => {
                            crate::trace::event(
                                &self.tracer,
                                b"a wait returns at once: ",
                                e.message(),
                            );
                            return Err(e);
                        }
                    }
                }
            }
            match state {
                DONE => return Ok(()),
                FAILED => return Err(self.recorded_failure()),
                NOT_STARTED if self.start_mode == StartMode::Explicit => {
                    return Err(InitError::with(
                        InitErrorKind::NotStarted,
                        0,
                        "rt0: the library's init has not been started: it starts when the library calls its start function (start = explicit)",
                    ));
                }
                NOT_STARTED => launch::start_deferred(self),
                PENDING => {
                    if !start::start_from_export(self) {
                        return Err(InitError::with(
                            InitErrorKind::NotStarted,
                            0,
                            "rt0: called before the library's entry ran, and the entry could not be started from here",
                        ));
                    }
                }
                _running => {
                    if let Some(e) = self.cannot_wait() {
                        crate::trace::event(&self.tracer, b"a wait returns at once: ", e.message());
                        return Err(e);
                    }
                    if !announced {
                        announced = true;
                        crate::trace::event(&self.tracer, b"waiting for init", "");
                    }
                    let slice_us = match &deadline {
                        None => None,
                        Some(d) => match d.remaining_us() {
                            0 => {
                                return Err(InitError::with(
                                    InitErrorKind::TimedOut,
                                    0,
                                    "rt0: timed out waiting for the library's init",
                                ))
                            }
                            us => Some(us),
                        },
                    };
                    sys::Host::wait_on_address(&self.state, RUNNING, slice_us);
                }
            }
        }
    }

    /// Why a waiter in the process init runs in must not wait for it, if it must not.
    /// Raw calls only: a raw-creator init calling its own export runs this on a thread with no
    /// thread pointer, where the C library's calls are not safe.
    fn cannot_wait(&self) -> Option<InitError> {
        let me = sys::thread_id();
        if me != 0 && me == self.init_tid.load(Ordering::Acquire) {
            return Some(InitError::with(
                InitErrorKind::CalledFromInit,
                0,
                "rt0: called from the library's own init, which is still running",
            ));
        }
        if crate::loader::lock_held_by_current_thread(&self.loader) {
            return Some(InitError::with(
                InitErrorKind::WouldDeadlock,
                0,
                LOADER_LOCK_MESSAGE,
            ));
        }
        None
    }
}

/// A point in time `timeout` from now, on the monotonic clock; where there is none (darwin
/// without libc) the waits themselves are counted.
struct Deadline {
    end_ns: u64,
    left_us: core::cell::Cell<u64>,
}

impl Deadline {
    fn after(timeout: Duration) -> Deadline {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        Deadline {
            end_ns: sys::monotonic_ns().saturating_add(ns),
            left_us: core::cell::Cell::new(ns / 1000),
        }
    }

    /// Microseconds left, at most one second (so a wait rechecks), 0 when the time is up.
    fn remaining_us(&self) -> u32 {
        let now = sys::monotonic_ns();
        let left = if now == 0 {
            // No clock: assume each wait used its whole slice.
            let left = self.left_us.get();
            self.left_us.set(left.saturating_sub(1_000_000.min(left)));
            left
        } else {
            self.end_ns.saturating_sub(now) / 1000
        };
        left.min(1_000_000) as u32
    }
}
