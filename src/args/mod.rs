//! The process arguments and environment as they were when a library's entry ran.

use core::ffi::{c_char, CStr};

#[cfg(not(windows))]
mod copy;
#[cfg(not(windows))]
pub(crate) use copy::copy;

/// The process arguments and environment, as they were when the library's entry ran.
///
/// rt0 copies both at the entry (vectors and strings) into memory it maps for itself, keeps the
/// copy read-only for the life of the process, and reads only the copy: a host that changes its
/// environment later (`setenv`, `putenv`, `clearenv`, which may free or move the C library's
/// own `environ` array) or rewrites its argument strings in place (a process title, as nginx
/// and postgres set) changes nothing here. Where the loader passes nothing (musl), rt0 first
/// recovers the vectors `main` received; where even that fails, `argc()` is 0. On Windows the
/// vectors are built from `GetCommandLineW` and the environment block, also into rt0's own
/// memory.
///
/// Reading an `Args` calls nothing of the C library, so a raw-creator init may use it.
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

// SAFETY: the pointers are rt0's own read-only copy (or vectors the caller of `from_raw`
// promised live and stay unchanged for the whole process), which rt0 only reads.
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

    /// Arguments read from the given vectors, which are not copied (for a test that calls a
    /// library's `init` itself, say).
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
        // SAFETY: argv has argc valid entries (the copy's layout, or from_raw's contract).
        let p = unsafe { *self.argv.add(i) };
        // SAFETY: each entry is a NUL-terminated string that lives as long as the process.
        (!p.is_null()).then(|| unsafe { c_str(p) })
    }

    /// The arguments in order, `argv[0]` first.
    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        (0..self.argc()).filter_map(move |i| self.arg(i))
    }

    /// The `argv` vector (rt0's copy): `argc()` string pointers and a NULL, for C code that
    /// wants the vector itself. Null when there are no arguments.
    pub fn argv(&self) -> *const *const c_char {
        self.argv
    }

    /// The `envp` vector (rt0's copy): `NAME=value` string pointers ending in a NULL. Null when
    /// there is no environment.
    pub fn envp(&self) -> *const *const c_char {
        self.envp
    }

    /// Every `NAME=value` entry of the environment as it was at the entry, split at the first
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
            let entry = unsafe { c_str(p) }.to_bytes();
            let name_len = entry.iter().position(|&b| b == b'=').unwrap_or(entry.len());
            let value_at = (name_len + 1).min(entry.len());
            // SAFETY: the value is the tail of the same NUL-terminated string.
            let value = unsafe { c_str(p.add(value_at)) };
            Some((entry.get(..name_len).unwrap_or(&[]), value))
        })
    }

    /// The value of environment variable `name` as it was at the entry (`None` for a name
    /// that contains `=` or a NUL, which no entry's name can).
    pub fn env(&self, name: &str) -> Option<&'static CStr> {
        let name = name.as_bytes();
        if self.envp.is_null() || name.iter().any(|&b| b == b'=' || b == 0) {
            return None;
        }
        let mut i = 0;
        loop {
            // SAFETY: envp is a NULL-terminated vector of NUL-terminated strings.
            let p = unsafe { *self.envp.add(i) };
            if p.is_null() {
                return None;
            }
            i += 1;
            // SAFETY: as above; `value_after_name` reads no further than the entry's NUL.
            if let Some(value) = unsafe { value_after_name(p, name) } {
                // SAFETY: the value is the tail of the same NUL-terminated string.
                return Some(unsafe { c_str(value) });
            }
        }
    }
}

/// The value of the entry `p` when it reads `name=value`: compares only the name's bytes (an
/// environment lookup reads each entry's name, not the whole entry), without `memcmp`.
///
/// # Safety
/// `p` must point at a NUL-terminated string.
unsafe fn value_after_name(p: *const c_char, name: &[u8]) -> Option<*const c_char> {
    let bytes = p.cast::<u8>();
    for (i, &b) in name.iter().enumerate() {
        // SAFETY: every earlier byte matched a non-NUL name byte, so `i` is within the string.
        if unsafe { *bytes.add(i) } != b {
            return None;
        }
    }
    // SAFETY: as above, for the byte after the name.
    (unsafe { *bytes.add(name.len()) } == b'=').then(|| unsafe { p.add(name.len() + 1) })
}

/// The NUL-terminated string at `p`, its length counted here: `CStr::from_ptr` would call the
/// C library's `strlen`, which a raw init thread must not reach through a lazily bound PLT.
///
/// # Safety
/// `p` must point at a NUL-terminated string that lives as long as the process.
unsafe fn c_str(p: *const c_char) -> &'static CStr {
    let mut len = 0;
    // SAFETY: the caller's contract: every byte up to the NUL is readable. The volatile read
    // keeps the compiler from turning this loop back into a `strlen` call.
    while unsafe { core::ptr::read_volatile(p.add(len)) } != 0 {
        len += 1;
    }
    // SAFETY: `len` bytes and the NUL, none of them NUL before the end.
    unsafe {
        CStr::from_bytes_with_nul_unchecked(core::slice::from_raw_parts(p.cast::<u8>(), len + 1))
    }
}
