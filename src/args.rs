//! The process arguments and environment as the loader handed them to a library's entry.

use core::ffi::{c_char, CStr};

/// The process arguments and environment, as the loader handed them to the library's entry.
///
/// rt0 keeps the loader's pointers; it copies nothing. Where the loader passes none (musl), rt0
/// recovers the very vectors `main` receives; where even that fails, `argc()` is 0.
///
/// ```
/// # let args = rt0::Args::empty();
/// for (i, arg) in args.iter().enumerate() {
///     println!("argv[{i}] = {arg:?}");
/// }
/// let verbose = args.env_iter().any(|(name, _)| name == b"VERBOSE");
/// # let _ = verbose;
/// ```
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
    /// No arguments and no environment.
    pub const fn empty() -> Args {
        Args {
            argc: 0,
            argv: core::ptr::null(),
            envp: core::ptr::null(),
        }
    }

    /// Arguments from the loader's vectors.
    ///
    /// # Safety
    /// `argv` must hold `argc` NUL-terminated strings (or be null) and `envp` must be a
    /// NULL-terminated vector of NUL-terminated strings (or be null), all living and unchanged
    /// for the rest of the process.
    pub const unsafe fn from_raw(
        argc: usize,
        argv: *const *const c_char,
        envp: *const *const c_char,
    ) -> Args {
        Args { argc, argv, envp }
    }

    /// Number of arguments.
    pub fn argc(&self) -> usize {
        if self.argv.is_null() {
            0
        } else {
            self.argc
        }
    }

    /// Argument `i`, or `None` past the end.
    pub fn arg(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc() {
            return None;
        }
        // SAFETY: argv has argc valid entries (from_raw's contract).
        let p = unsafe { *self.argv.add(i) };
        // SAFETY: each entry is a NUL-terminated string that lives as long as the process.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    /// The arguments in order, `argv[0]` first.
    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        (0..self.argc()).filter_map(move |i| self.arg(i))
    }

    /// The raw `argv` pointer.
    pub fn argv(&self) -> *const *const c_char {
        self.argv
    }

    /// The raw `envp` pointer.
    pub fn envp(&self) -> *const *const c_char {
        self.envp
    }

    /// Every `NAME=value` entry of the environment as it was at load time, split at the first
    /// `=` (an entry without one has an empty value).
    pub fn env_iter(&self) -> impl Iterator<Item = (&'static [u8], &'static CStr)> + '_ {
        let mut i = 0;
        core::iter::from_fn(move || {
            if self.envp.is_null() {
                return None;
            }
            // SAFETY: envp is a NULL-terminated vector of NUL-terminated strings.
            let p = unsafe { *self.envp.add(i) };
            if p.is_null() {
                return None;
            }
            i += 1;
            // SAFETY: as above.
            let entry = unsafe { CStr::from_ptr(p) }.to_bytes();
            let name_len = entry.iter().position(|&b| b == b'=').unwrap_or(entry.len());
            let value_at = (name_len + 1).min(entry.len());
            // SAFETY: the value is the tail of the same NUL-terminated string.
            let value = unsafe { CStr::from_ptr(p.add(value_at)) };
            Some((entry.get(..name_len).unwrap_or(&[]), value))
        })
    }

    /// The value of environment variable `name` as it was at load time.
    pub fn env(&self, name: &str) -> Option<&'static CStr> {
        self.env_iter()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| v)
    }
}
