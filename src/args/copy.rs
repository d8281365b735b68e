//! rt0's own copy of argv and envp, made once by each library's entry.
//!
//! Why a copy: the vectors a loader passes belong to the host. glibc passes a dlopened library's
//! initializer the current `environ`, which after a `setenv` of a new name is glibc's own heap
//! array, `realloc`ed (and the old one freed) by the next such `setenv`; `clearenv` frees it;
//! hosts rewrite argv strings in place to show a process title. Keeping the loader's pointers
//! would let init read freed or changed memory.
//!
//! The copy is one anonymous mapping, made by the entry on the loading thread:
//!
//! ```text
//! argv[0..argc], NULL, envp[0..envc], NULL, the argument strings, the environment strings
//! ```
//!
//! then made read-only, and never unmapped: the `Args` of every later reader point into it. A
//! mapping rather than the heap, so that a library without the C library (the raw creator) can
//! make one too, and so that the C library's allocator is not entered from a loader callback.
//!
//! What this cannot cover: a host thread that changes the environment *while* the entry copies
//! it races the copy, exactly as it would race the C library's own `getenv`.

use super::Args;
use crate::sys::{Errno, Host};
use core::ffi::c_char;

const WORD: usize = core::mem::size_of::<usize>();

/// Copies `argc` arguments from `argv` and the NULL-terminated `envp` into a new read-only
/// mapping and returns `Args` that read only that copy.
///
/// # Safety
/// `argv` must hold `argc` pointers, each null or a NUL-terminated string (or be null itself);
/// `envp` must be a NULL-terminated vector of NUL-terminated strings (or be null); nothing may
/// change them during the call.
pub(crate) unsafe fn copy(
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> Result<Args, Errno> {
    let argc = if argv.is_null() { 0 } else { argc };
    // SAFETY: the caller's contract.
    let (envc, env_bytes) = unsafe { measure(envp, usize::MAX) };
    // SAFETY: the caller's contract.
    let (_, arg_bytes) = unsafe { measure(argv, argc) };
    let slots = argc + 1 + envc + 1;
    let total = slots
        .checked_mul(WORD)
        .and_then(|v| v.checked_add(arg_bytes))
        .and_then(|v| v.checked_add(env_bytes))
        .ok_or(Errno::ENOMEM)?;
    let block = Host::map_memory(total)?;
    let new_argv = block.cast::<*const c_char>();
    // SAFETY: the vectors and strings below all lie in the fresh `total`-byte mapping, whose
    // layout is the module's: `slots` pointer slots, then `arg_bytes`, then `env_bytes`.
    unsafe {
        let new_envp = new_argv.add(argc + 1);
        let strings = block.add(slots * WORD);
        let after_args = fill(new_argv, argv, argc, strings);
        let end = fill(new_envp, envp, envc, after_args);
        debug_assert_eq!(end as usize - block as usize, total);
        // Read-only from here on: nobody writes the copy, so nobody can corrupt it. The
        // mapping stays usable when the protection cannot be changed.
        let _ = Host::protect_read_only(block, total);
        Ok(Args::from_raw(argc, new_argv, new_envp))
    }
}

/// The number of entries of `vector` (at most `limit`, stopping at a NULL when `limit` is
/// `usize::MAX`) and the bytes their strings take with their NULs.
///
/// # Safety
/// As for [`copy`].
unsafe fn measure(vector: *const *const c_char, limit: usize) -> (usize, usize) {
    let (mut count, mut bytes) = (0, 0);
    if vector.is_null() {
        return (0, 0);
    }
    while count < limit {
        // SAFETY: within the vector (the caller's contract).
        let p = unsafe { *vector.add(count) };
        if p.is_null() {
            if limit == usize::MAX {
                break;
            }
        } else {
            // SAFETY: a NUL-terminated string (the caller's contract). On the loading thread,
            // where the C library's `strlen` is safe and fast.
            bytes += unsafe { core::ffi::CStr::from_ptr(p) }.count_bytes() + 1;
        }
        count += 1;
    }
    (count, bytes)
}

/// Copies `count` entries of `from` (null entries stay null) into the slots at `to`, their
/// strings from `strings` on, and the closing NULL; returns the end of the strings written.
///
/// # Safety
/// `to` must have `count + 1` writable slots and `strings` room for every string; `from` as for
/// [`copy`].
unsafe fn fill(
    to: *mut *const c_char,
    from: *const *const c_char,
    count: usize,
    mut strings: *mut u8,
) -> *mut u8 {
    for i in 0..count {
        // SAFETY: the caller's contract.
        unsafe {
            let p = *from.add(i);
            if p.is_null() {
                *to.add(i) = core::ptr::null();
                continue;
            }
            let len = core::ffi::CStr::from_ptr(p).count_bytes() + 1;
            core::ptr::copy_nonoverlapping(p.cast::<u8>(), strings, len);
            *to.add(i) = strings.cast::<c_char>();
            strings = strings.add(len);
        }
    }
    // SAFETY: the closing slot (the caller's contract).
    unsafe { *to.add(count) = core::ptr::null() };
    strings
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::ffi::CString;
    use std::vec::Vec;

    fn vector(items: &[&str]) -> (Vec<CString>, Vec<*const c_char>) {
        let owned: Vec<CString> = items.iter().map(|s| CString::new(*s).unwrap()).collect();
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(core::ptr::null());
        (owned, ptrs)
    }

    #[test]
    fn the_copy_outlives_and_ignores_the_originals() {
        let (mut argv_strings, argv) = vector(&["prog", "--flag", ""]);
        let (env_strings, envp) = vector(&["PATH=/bin", "EMPTY=", "NOEQUALS", "X=a=b"]);
        // SAFETY: both vectors are valid and unchanged during the call.
        let args = unsafe { copy(3, argv.as_ptr(), envp.as_ptr()) }.unwrap();
        // The host rewrites an argument in place and frees its environment.
        // SAFETY: our own CString's buffer, same length.
        unsafe { *(argv_strings[0].as_ptr() as *mut u8) = b'X' };
        drop(env_strings);
        assert_eq!(args.argc(), 3);
        let got: Vec<&[u8]> = args.iter().map(|a| a.to_bytes()).collect();
        assert_eq!(got, [&b"prog"[..], b"--flag", b""]);
        assert_eq!(args.env("PATH").unwrap().to_bytes(), b"/bin");
        assert_eq!(args.env("EMPTY").unwrap().to_bytes(), b"");
        assert_eq!(args.env("X").unwrap().to_bytes(), b"a=b");
        assert_eq!(args.env("NOEQUALS"), None);
        assert_eq!(args.env("PAT"), None);
        assert_eq!(args.env("PATH=/bin"), None);
        assert_eq!(args.env("PA\0TH"), None);
        let names: Vec<&[u8]> = args.env_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [&b"PATH"[..], b"EMPTY", b"NOEQUALS", b"X"]);
        assert!(args.argv() != argv.as_ptr() && !args.argv().is_null());
        // SAFETY: the copy's vectors end in NULL.
        unsafe {
            assert!((*args.argv().add(3)).is_null());
            assert!((*args.envp().add(4)).is_null());
        }
        argv_strings.clear();
    }

    #[test]
    fn null_vectors_copy_to_empty_ones() {
        // SAFETY: null vectors are allowed.
        let args = unsafe { copy(5, core::ptr::null(), core::ptr::null()) }.unwrap();
        assert_eq!(args.argc(), 0);
        assert_eq!(args.env_iter().count(), 0);
        assert_eq!(args.env("PATH"), None);
    }
}
