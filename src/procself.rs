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
    let strings = unsafe { auxv_matches(auxv) }?;
    // SAFETY: the vectors were walked above, within the block.
    let (argc, argv) = unsafe { strings.arguments(argc, argv) }?;
    // Every environment entry, up to the NULL `walk` found.
    let mut at = envp;
    loop {
        // SAFETY: within envp, which ends at the NULL `walk` found.
        let entry = unsafe { *at };
        if entry.is_null() {
            return Some((argc, argv, envp));
        }
        if !strings.holds(entry) {
            return None;
        }
        // SAFETY: not past the NULL yet.
        at = unsafe { at.add(1) };
    }
}

/// Where the kernel wrote the argument and environment strings: above the auxiliary vector and
/// below the program's file name (`AT_EXECFN`, the first string it copied, at the top). A
/// pointer elsewhere is not one of them.
struct Strings {
    low: usize,
    /// `AT_EXECFN` (0: the kernel gave none, older than 2.6.26: no upper bound).
    execfn: usize,
}

impl Strings {
    fn holds(&self, p: *const c_char) -> bool {
        let p = p as usize;
        p >= self.low && (self.execfn == 0 || p <= self.execfn)
    }

    /// The program's arguments. A loader run as a command (`ld-musl-x86_64.so.1 ./prog args`)
    /// skips its own name (and options) in place: musl's `__dls3` writes the program's argc over
    /// the last skipped argv slot and starts the program there, so `argv[k - 1]` holds `argc - k`
    /// instead of a string, and the program's arguments are `argv[k..argc]`.
    ///
    /// # Safety
    /// `argv` must hold `argc` non-null entries (checked by `walk`).
    unsafe fn arguments(
        &self,
        argc: usize,
        argv: *const *const c_char,
    ) -> Option<(usize, *const *const c_char)> {
        // SAFETY: the caller's contract.
        let entry = |i: usize| unsafe { *argv.add(i) };
        let skipped = (0..argc)
            .find(|&i| !self.holds(entry(i)))
            .map(|i| i + 1)
            .unwrap_or(0);
        if skipped != 0 && entry(skipped - 1) as usize != argc - skipped {
            return None;
        }
        if (skipped..argc).any(|i| !self.holds(entry(i))) {
            return None;
        }
        // SAFETY: within the vector.
        Some((argc - skipped, unsafe { argv.add(skipped) }))
    }
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

/// Whether the words at `auxv` are the auxiliary vector `/proc/self/auxv` shows, up to AT_NULL;
/// if they are, where the strings lie (see [`Strings`]).
///
/// # Safety
/// `auxv` must point into the initial-stack block, past envp's NULL.
unsafe fn auxv_matches(auxv: *const usize) -> Option<Strings> {
    /// `AT_EXECFN` (<elf.h>): the address of the program's file name.
    const AT_EXECFN: usize = 31;
    let mut buf = [0usize; AUXV_BYTES / core::mem::size_of::<usize>()];
    // SAFETY: `buf` is writable for its whole size in bytes.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), AUXV_BYTES) };
    let n = read_file(b"/proc/self/auxv\0", bytes).ok()?;
    let words = n / core::mem::size_of::<usize>();
    // At least one (type, value) pair plus AT_NULL, and the file must end with AT_NULL (type 0).
    if words < 4 || words % 2 != 0 || buf.get(words - 2) != Some(&0) {
        return None;
    }
    // SAFETY: the vector on the stack runs at least as long as the one the kernel reports: we
    // compare entry by entry and stop at the first difference or at AT_NULL.
    let same = buf
        .iter()
        .take(words)
        .enumerate()
        .all(|(i, want)| unsafe { auxv.add(i).read() } == *want);
    let execfn = buf
        .get(..words)?
        .chunks_exact(2)
        .find(|pair| pair[0] == AT_EXECFN)
        .map_or(0, |pair| pair[1]);
    // SAFETY: one past the vector's last word, in the same block.
    let low = unsafe { auxv.add(words) } as usize;
    same.then_some(Strings { low, execfn })
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
