//! Recovering argc/argv/envp where the loader passes none (musl; golang/go#13492).
//!
//! musl calls `.init_array` entries with no arguments, in static and dynamic programs alike, so
//! the entry stub has nothing to save (its description sets `args_fallback = "proc-self"`). The
//! arguments are still in memory: the kernel laid them out at the top of the initial stack as
//! `argc, argv[0..argc], NULL, envp[..], NULL, auxv[..], AT_NULL`, and remembers where:
//! `mm->start_stack`, the address of `argc`, which `/proc/self/stat` shows as field 28
//! (`startstack`, see proc(5)). So rt0:
//!
//! 1. reads `/proc/self/stat` into a stack buffer with its own `openat`/`read`/`close` calls
//!    (no libc, no allocation: this runs in the loader's initializer, before libc may be ready),
//!    and takes `startstack` (the fields after the last `)`, so a `comm` with spaces or
//!    parentheses cannot shift them);
//! 2. reads `argc` there, checks `argv[argc] == NULL`, walks `envp` to its `NULL`;
//! 3. checks that what follows is the auxiliary vector, by comparing it word for word with
//!    `/proc/self/auxv`; only then are the pointers used.
//!
//! The result is the very `argv`/`envp` vectors `main` receives (same pointers, nothing copied),
//! and the environment as it was at exec (later `setenv` calls do not show). Any failure (no
//! `/proc`, an unexpected layout) leaves the arguments empty (`argc() == 0`), as before.
//! One known limit: a program started through the dynamic loader by name
//! (`ld-musl-x86_64.so.1 ./prog args`) shows the loader's own name as argv[0], as
//! `/proc/self/cmdline` would.

use crate::abi::nr;
use crate::sys::{raw, Arg, Errno, Nr};
use core::ffi::c_char;

/// Upper bounds that keep a corrupt layout from sending the walk far away.
const MAX_ARGC: usize = 1 << 20;
const MAX_ENVC: usize = 1 << 20;
/// `/proc/self/stat` is ~52 decimal fields after a comm of at most 64 bytes: well under this.
const STAT_BYTES: usize = 2048;
/// The auxiliary vector has a few dozen entries; this covers all of them.
const AUXV_BYTES: usize = 1024;

/// Finds the process's argc/argv/envp as described in the module docs: `(argc, argv, envp)`, or
/// `None` when `/proc` cannot tell. Stateless: each library that needs them asks once, on the
/// loading thread, before its init thread exists.
pub(crate) fn recover() -> Option<(usize, *const *const c_char, *const *const c_char)> {
    let start = start_stack()?;
    // SAFETY: `start` is the kernel's own record of where it wrote argc on this process's stack,
    // which stays mapped for the life of the process; `walk` reads only within that block and
    // stops at its bounds.
    let (argc, argv, envp, auxv) = unsafe { walk(start as *const usize) }?;
    // SAFETY: `auxv` points into the same block (just past envp's NULL).
    unsafe { auxv_matches(auxv) }.then_some((argc, argv, envp))
}

/// Reads `argc, argv.., NULL, envp.., NULL` at `sp`; returns them and the address after envp's NULL.
///
/// # Safety
/// `sp` must be the address of argc in the kernel's initial-stack block.
unsafe fn walk(
    sp: *const usize,
) -> Option<(
    usize,
    *const *const c_char,
    *const *const c_char,
    *const usize,
)> {
    if sp.is_null() || (sp as usize) % core::mem::align_of::<usize>() != 0 {
        return None;
    }
    // SAFETY: the caller's contract; each read below is bounded by the NULL the kernel wrote.
    unsafe {
        let argc = sp.read();
        if argc > MAX_ARGC {
            return None;
        }
        let argv = sp.add(1) as *const *const c_char;
        if !(*argv.add(argc)).is_null() || (0..argc).any(|i| (*argv.add(i)).is_null()) {
            return None;
        }
        let envp = argv.add(argc + 1);
        let envc = (0..MAX_ENVC).find(|&i| (*envp.add(i)).is_null())?;
        Some((argc, argv, envp, envp.add(envc + 1) as *const usize))
    }
}

/// Whether the words at `auxv` are the auxiliary vector `/proc/self/auxv` shows, up to AT_NULL.
///
/// # Safety
/// `auxv` must point into the initial-stack block, past envp's NULL.
unsafe fn auxv_matches(auxv: *const usize) -> bool {
    let mut buf = [0usize; AUXV_BYTES / core::mem::size_of::<usize>()];
    // SAFETY: `buf` is writable for its whole size in bytes.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), AUXV_BYTES) };
    let Ok(n) = read_file(b"/proc/self/auxv\0", bytes) else {
        return false;
    };
    let words = n / core::mem::size_of::<usize>();
    // At least one (type, value) pair plus AT_NULL, and the file must end with AT_NULL (type 0).
    if words < 4 || words % 2 != 0 || buf.get(words - 2) != Some(&0) {
        return false;
    }
    // SAFETY: the vector on the stack runs at least as long as the one the kernel reports: we
    // compare entry by entry and stop at the first difference or at AT_NULL.
    buf.iter()
        .take(words)
        .enumerate()
        .all(|(i, want)| unsafe { auxv.add(i).read() } == *want)
}

/// The value of entry `tag` of the auxiliary vector, as `/proc/self/auxv` shows it (`None`
/// without `/proc`, or when the kernel passed no such entry).
#[cfg(not(rt0_libc))]
pub(crate) fn auxv_value(tag: usize) -> Option<usize> {
    let mut buf = [0usize; AUXV_BYTES / core::mem::size_of::<usize>()];
    // SAFETY: `buf` is writable for its whole size in bytes.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), AUXV_BYTES) };
    let n = read_file(b"/proc/self/auxv\0", bytes).ok()?;
    let words = buf.get(..n / core::mem::size_of::<usize>())?;
    words
        .chunks_exact(2)
        .take_while(|pair| pair[0] != 0)
        .find(|pair| pair[0] == tag)
        .map(|pair| pair[1])
}

/// `startstack` from `/proc/self/stat`: field 28, counting from 1, where field 2 is `(comm)`.
fn start_stack() -> Option<usize> {
    let mut buf = [0u8; STAT_BYTES];
    let n = read_file(b"/proc/self/stat\0", &mut buf).ok()?;
    start_stack_field(buf.get(..n)?)
}

/// Parses `startstack` out of a `/proc/<pid>/stat` line (0 means hidden: `None`).
pub(crate) fn start_stack_field(stat: &[u8]) -> Option<usize> {
    // comm may hold spaces and ')': fields resume after the LAST ')'.
    let close = stat.iter().rposition(|&b| b == b')')?;
    // Field 3 (state) is the first after ") ", so field 28 is the 26th there.
    let field = stat
        .get(close + 1..)?
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .nth(28 - 3)?;
    let mut v: usize = 0;
    for &b in field {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as usize)?;
    }
    (v != 0).then_some(v)
}

/// Reads up to `buf.len()` bytes of the file at `path` (NUL-terminated, absolute) with rt0's
/// own system calls; returns how many.
pub(crate) fn read_file(path: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
    let fd = raw::open_readonly(path)?;
    let mut filled = 0;
    let result = loop {
        if filled == buf.len() {
            break Ok(filled);
        }
        let Some(rest) = buf.get_mut(filled..) else {
            break Ok(filled);
        };
        // SAFETY: `rest` is writable for its length.
        match unsafe {
            raw::syscall3(
                Nr(nr::READ),
                Arg(fd),
                Arg(rest.as_mut_ptr() as usize),
                Arg(rest.len()),
            )
        } {
            Ok(0) => break Ok(filled),
            Ok(n) => filled += n.min(rest.len()),
            Err(e) if e == Errno::EINTR => {}
            Err(e) => break Err(e),
        }
    };
    // SAFETY: the descriptor is ours and used by nothing else.
    unsafe { raw::close(fd) };
    result
}
