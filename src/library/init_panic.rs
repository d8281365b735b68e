//! A panic in init is rt0's to report, not std's: the library's exports answer
//! [`InitErrorKind::Panicked`](crate::InitErrorKind::Panicked) with the message, and the host's
//! stderr stays as it was. std's default hook would print `thread '<unnamed>' panicked at ...`
//! (and, under `RUST_BACKTRACE`, a backtrace, whose lock can deadlock a panic hook) on the
//! host's fd 2 even though rt0 catches the panic.
//!
//! So the first init of this copy of std wraps the process's panic hook once: on a thread that
//! is running an rt0 init, the wrapper says nothing (under `RT0_TRACE=1` it writes one trace
//! line with the location and message); on every other thread it calls the hook it replaced.
//! A hook that init itself installs later takes over, as std's hooks always do.

use super::Head;
use core::cell::Cell;
use std::boxed::Box;
use std::string::String;

std::thread_local! {
    /// The library whose init this thread is running (null: none).
    static RUNNING_INIT: Cell<*const Head> = const { Cell::new(core::ptr::null()) };
}

/// Runs `init` as `head`'s init: a panic in it is caught, reported only to rt0's trace, and
/// returned as its payload's text (`None` for a payload that is not a string).
pub(super) fn catch<R>(head: &Head, init: impl FnOnce() -> R) -> Result<R, Option<String>> {
    install_hook_once();
    RUNNING_INIT.with(|c| c.set(head));
    let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(init));
    RUNNING_INIT.with(|c| c.set(core::ptr::null()));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&'static str>()
            .map(|s| String::from(*s))
            .or_else(|| payload.downcast_ref::<String>().cloned())
    })
}

fn install_hook_once() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let head = RUNNING_INIT
                .try_with(Cell::get)
                .unwrap_or(core::ptr::null());
            if head.is_null() {
                return previous(info);
            }
            // SAFETY: set by `catch` from a live library's head, for the length of its init,
            // on this thread; Library statics live as long as the process.
            let head = unsafe { &*head };
            // "panicked at src/lib.rs:3:5:\nmessage", made one line.
            let text = std::format!("{info}").replace('\n', " ");
            crate::trace::event(
                head,
                b"init panicked at ",
                text.trim_start_matches("panicked at "),
            );
        }));
    });
}
