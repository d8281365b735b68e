//! Where init stands, for C, without waiting and without starting anything:
//! [`Library::c_status`](super::Library::c_status) (golang/go#11768 asks the same of Go).

use super::{Head, InitState, Library};
use core::ffi::{c_char, c_int};

/// How long a failure's message may be for C (with its NUL); longer ones are cut at a character
/// boundary.
pub(super) const TEXT_BYTES: usize = 256;

/// The codes [`Library::c_status`] returns.
pub mod code {
    use core::ffi::c_int;
    /// The library's entry has not run.
    pub const PENDING: c_int = 0;
    /// Init is running.
    pub const RUNNING: c_int = 1;
    /// Init completed: exports answer at once.
    pub const DONE: c_int = 2;
    /// Init failed (or could not start): the message says why.
    pub const FAILED: c_int = 3;
    /// The entry ran, init has not started (`start = first_call` or `explicit`).
    pub const NOT_STARTED: c_int = 4;
    /// A fork child that cannot use the parent's state (see [`crate::ForkPolicy`]).
    pub const FORKED: c_int = 5;
}

impl<T: 'static> Library<T> {
    /// Where init stands, as a C integer, without waiting or starting anything, and, when
    /// `message` is not null, the failure's message there (a NUL-terminated string that lives
    /// as long as the process; NULL unless the state is failed). The codes are
    /// [`code`](crate::status::code): 0 pending, 1 running, 2 done, 3 failed, 4 not started,
    /// 5 a fork child that cannot use the parent's state.
    ///
    /// The one-line C export a library writes for it (cbindgen puts it in the header as
    /// `int32_t mylib_status(const char **message);`):
    ///
    /// ```
    /// # rt0::lib_entry!(init);
    /// # fn init(_: &rt0::Args) -> Result<(), rt0::InitError> { Ok(()) }
    /// use std::ffi::{c_char, c_int};
    ///
    /// /// 0 pending, 1 running, 2 done, 3 failed (`*message` says why), 4 not started, 5 forked.
    /// ///
    /// /// # Safety
    /// /// `message` is NULL or points to writable storage for one pointer.
    /// #[no_mangle]
    /// pub unsafe extern "C" fn mylib_status(message: *mut *const c_char) -> c_int {
    ///     // SAFETY: the caller's contract.
    ///     unsafe { rt0::library!().c_status(message) }
    /// }
    /// # fn main() {
    /// # rt0::library!().wait().unwrap();
    /// # assert_eq!(unsafe { mylib_status(std::ptr::null_mut()) }, 2);
    /// # }
    /// ```
    ///
    /// [`export_status!`](crate::export_status) writes the same function in one line.
    ///
    /// # Safety
    /// `message` must be null or valid for writing one pointer.
    pub unsafe fn c_status(&self, message: *mut *const c_char) -> c_int {
        let state = self.init_state();
        if !message.is_null() {
            let text = match state {
                InitState::Failed => self.head.failure_text(),
                _ => core::ptr::null(),
            };
            // SAFETY: the caller's contract.
            unsafe { message.write(text) };
        }
        match state {
            InitState::Pending => code::PENDING,
            InitState::Running => code::RUNNING,
            InitState::Done => code::DONE,
            InitState::Failed => code::FAILED,
            InitState::NotStarted => code::NOT_STARTED,
            InitState::Forked => code::FORKED,
        }
    }
}

impl Head {
    /// Keeps `message` as a NUL-terminated string for [`Library::c_status`] (cut at a character
    /// boundary to fit). Called by `finish_failed` before `FAILED` is published.
    pub(super) fn keep_failure_text(&self, message: &str) {
        let mut len = 0;
        for (at, c) in message.char_indices() {
            let end = at + c.len_utf8();
            if end >= TEXT_BYTES {
                break;
            }
            len = end;
        }
        // SAFETY: written only while the state is RUNNING (before FAILED is released), by the
        // one thread that records the failure; readers read after acquiring FAILED.
        let text = unsafe { &mut *self.failure_text.get() };
        for (slot, b) in text.iter_mut().zip(message.bytes().take(len).chain([0])) {
            *slot = b;
        }
    }

    /// The kept failure text (valid once `FAILED` was acquired).
    fn failure_text(&self) -> *const c_char {
        self.failure_text.get().cast::<c_char>()
    }
}
