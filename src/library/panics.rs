//! Panics in the code rt0 runs for a library, with one policy for all of it: the library's
//! `init`, its `stack_size` function (called on the loader's thread) and the bodies of its
//! `#[rt0::export]` functions (called on the host's threads).
//!
//! - **A panic rt0 catches** is the library's to report, not std's: init's becomes
//!   [`InitErrorKind::Panicked`](crate::InitErrorKind::Panicked) with the message (so does the
//!   `stack_size` function's: init is then never started), an export's becomes its `on_error`
//!   value. Nothing is written on the host's stderr; under `RT0_TRACE=1` one trace line gives
//!   the location and the message.
//! - **A panic that cannot be caught** (one that reaches a function that cannot unwind, such as
//!   an `extern "C"` callback, or one raised while another unwinds, in a `Drop`) ends the
//!   process: then its message and location always reach fd 2, with any panic of the same code
//!   held before it, and std adds `thread caused non-unwinding panic. aborting.`.
//!
//! std's default hook would print `thread '<unnamed>' panicked at ...` (and, under
//! `RUST_BACKTRACE`, a backtrace, whose lock can deadlock a panic hook) on the host's fd 2 for
//! every panic, caught or not. So the first catch of this copy of std wraps the process's panic
//! hook once: on a thread that is running code under [`catch`], the wrapper holds the report
//! until it is known whether rt0 catches the panic; on every other thread (threads that init
//! spawns, the host's own code) it calls the hook it replaced. A hook that init itself
//! installs later takes over, as std's hooks always do.
//!
//! Whether a panic can unwind is std's `PanicHookInfo::can_unwind`, unstable; its `Debug` text
//! shows it. A report whose text does not say `can_unwind: true` is taken for one that cannot:
//! if std ever changes that text, rt0 prints too much, never too little.

use super::Head;
use core::cell::Cell;
use std::boxed::Box;
use std::string::String;

/// Which code of the library rt0 is running under [`catch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Callback {
    /// The library's `init`, on its init thread.
    Init,
    /// The library's `stack_size` function, on the loader's thread.
    StackSize,
    /// The body of one of its `#[rt0::export]` functions.
    Export,
}

impl Callback {
    fn panicked(self) -> &'static [u8] {
        match self {
            Callback::Init => b"init panicked at ",
            Callback::StackSize => b"the stack_size function panicked at ",
            Callback::Export => b"an export panicked at ",
        }
    }
}

std::thread_local! {
    /// The library and the code this thread runs under [`catch`] (none: not inside one).
    static SCOPE: Cell<Option<(*const Head, Callback)>> = const { Cell::new(None) };
    /// Reports of panics under the current scope that have not reached its catch yet.
    static HELD: Cell<Option<String>> = const { Cell::new(None) };
}

/// Runs `f` as `callback` of `head`'s library with the policy above: a panic in it is caught,
/// reported only to rt0's trace, and returned as its payload's text (`None` for a payload that
/// is not a string).
pub(crate) fn catch<R>(
    head: &Head,
    callback: Callback,
    f: impl FnOnce() -> R,
) -> Result<R, Option<String>> {
    install_hook_once();
    let outer = SCOPE.replace(Some((head, callback)));
    let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(f));
    SCOPE.set(outer);
    // Caught here (or by `f` itself): what was held has been traced already.
    HELD.set(None);
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
            let Some((head, callback)) = SCOPE.try_with(Cell::get).ok().flatten() else {
                return previous(info);
            };
            // SAFETY: set by `catch` from a live library's head, for the length of the call,
            // on this thread; Library statics live as long as the process.
            let head = unsafe { &*head };
            // "panicked at src/lib.rs:3:5:\nmessage", made one line, "panicked at " dropped.
            let text = std::format!("{info}").replace('\n', " ");
            let text = text.trim_start_matches("panicked at ");
            crate::trace::event(&head.tracer, callback.panicked(), text);
            let can_unwind = std::format!("{info:?}").contains("can_unwind: true");
            let mut held = HELD.take().unwrap_or_default();
            if can_unwind {
                held.push_str(callback_line(callback, text).as_str());
                HELD.set(Some(held));
                return;
            }
            // The process aborts after this hook: everything held, and this, reach fd 2.
            for line in held.lines() {
                crate::trace::report(&head.tracer, line.as_bytes(), "");
            }
            crate::trace::report(
                &head.tracer,
                callback.panicked(),
                &std::format!("{text} (this panic cannot unwind: the process aborts)"),
            );
        }));
    });
}

/// One held report, as [`crate::trace::report`] will write it: `init panicked at <text>`.
fn callback_line(callback: Callback, text: &str) -> String {
    let mut line = String::from_utf8_lossy(callback.panicked()).into_owned();
    line.push_str(text);
    line.push('\n');
    line
}
