//! System calls through the target's trampoline, with no C library involved.
//!
//! Safe to call on a thread with no thread pointer (rt0's raw init thread): nothing here touches
//! thread-local storage.

use super::{Arg, Errno, Nr, SigHow, SigSet};
use crate::abi::{constants as k, nr};
use core::sync::atomic::AtomicU32;

/// Makes system call `nr` with six arguments.
///
/// # Safety
/// The call and its arguments must be valid for this kernel: pointers must point where the call
/// expects, and the call must not break an invariant Rust relies on (unmapping live memory,
/// ending the thread, ...).
#[inline]
pub unsafe fn syscall6(
    nr: Nr,
    a0: Arg<0>,
    a1: Arg<1>,
    a2: Arg<2>,
    a3: Arg<3>,
    a4: Arg<4>,
    a5: Arg<5>,
) -> Result<usize, Errno> {
    // SAFETY: forwarded to the caller.
    // The generic trampoline (`arch/<triple>/syscall.S`) returns the result or `-errno`.
    Errno::result(unsafe { crate::stubs::syscall6(nr, a0, a1, a2, a3, a4, a5) })
}

/// Makes system call `nr` with up to three arguments (the rest are zero).
///
/// # Safety
/// As for [`syscall6`].
#[inline]
pub unsafe fn syscall3(nr: Nr, a0: Arg<0>, a1: Arg<1>, a2: Arg<2>) -> Result<usize, Errno> {
    // SAFETY: forwarded to the caller.
    unsafe { syscall6(nr, a0, a1, a2, Arg(0), Arg(0), Arg(0)) }
}

/// `write(fd, buf, len)`.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for its length.
    unsafe {
        syscall3(
            Nr(nr::WRITE),
            Arg(fd as usize),
            Arg(buf.as_ptr() as usize),
            Arg(buf.len()),
        )
    }
}

/// Ends the whole process (Linux `exit_group`, darwin `exit`, which is process-wide there).
pub fn exit_process(status: i32) -> ! {
    #[cfg(target_os = "linux")]
    let call = nr::EXIT_GROUP;
    #[cfg(not(target_os = "linux"))]
    let call = nr::EXIT;
    // SAFETY: ending the process is always allowed.
    let _ = unsafe { syscall3(Nr(call), Arg(status as usize), Arg(0), Arg(0)) };
    // The kernel does not return from exit; if it ever did, spin without touching memory.
    loop {
        core::hint::spin_loop();
    }
}

/// The calling thread's OS thread id.
pub fn thread_id() -> u64 {
    // SAFETY: gettid / thread_selfid take no arguments and cannot fail.
    unsafe { syscall3(Nr(nr::THREAD_ID), Arg(0), Arg(0), Arg(0)) }.unwrap_or(0) as u64
}

/// Changes (or, with `set == None`, reads) the calling thread's blocked-signal mask.
///
/// darwin: `__pthread_sigmask` (per thread), never `sigprocmask`, which changes every thread's
/// mask. Linux: `rt_sigprocmask`, which is per thread.
pub fn thread_sigmask(how: SigHow, set: Option<SigSet>) -> Result<SigSet, Errno> {
    let new = set.map(SigSet::kernel_bits).unwrap_or(0);
    let mut old: u64 = 0;
    let newp = if set.is_some() {
        &new as *const u64 as usize
    } else {
        0
    };
    // SAFETY: both pointers are valid for SIGSET_BYTES (<= 8) bytes.
    unsafe {
        syscall6(
            Nr(nr::THREAD_SIGMASK),
            Arg(how.value()),
            Arg(newp),
            Arg(&mut old as *mut u64 as usize),
            Arg(k::SIGSET_BYTES),
            Arg(0),
            Arg(0),
        )
    }?;
    Ok(SigSet(old))
}

/// `mmap(NULL, len, prot, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`.
pub fn mmap_anonymous(len: usize, prot: usize) -> Result<*mut u8, Errno> {
    // SAFETY: an anonymous mapping at an address of the kernel's choosing aliases nothing.
    let addr = unsafe {
        syscall6(
            Nr(nr::MMAP),
            Arg(0),
            Arg(len),
            Arg(prot),
            Arg(k::MAP_PRIVATE | k::MAP_ANONYMOUS),
            Arg(usize::MAX), // fd -1
            Arg(0),
        )
    }?;
    Ok(addr as *mut u8)
}

/// A private read/write anonymous mapping of `len` bytes (see `Host::map_memory`).
// darwin with the C library maps through libSystem instead.
#[cfg_attr(all(rt0_libc, target_vendor = "apple"), allow(dead_code))]
pub(crate) fn map_memory(len: usize) -> Result<*mut u8, Errno> {
    mmap_anonymous(len, k::PROT_READ | k::PROT_WRITE)
}

/// `mprotect(addr, len, PROT_READ)`.
///
/// # Safety
/// Nothing may write `[addr, addr + len)` afterwards.
#[cfg_attr(all(rt0_libc, target_vendor = "apple"), allow(dead_code))]
pub(crate) unsafe fn protect_read_only(addr: *mut u8, len: usize) -> Result<(), Errno> {
    // SAFETY: forwarded to the caller.
    unsafe { mprotect(addr, len, k::PROT_READ) }
}

/// `munmap(addr, len)`.
///
/// # Safety
/// Nothing may use `[addr, addr + len)` afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> Result<(), Errno> {
    // SAFETY: forwarded to the caller.
    unsafe { syscall3(Nr(nr::MUNMAP), Arg(addr as usize), Arg(len), Arg(0)) }.map(drop)
}

/// `mprotect(addr, len, prot)`.
///
/// # Safety
/// Nothing may rely on the old protection of `[addr, addr + len)`.
pub unsafe fn mprotect(addr: *mut u8, len: usize, prot: usize) -> Result<(), Errno> {
    // SAFETY: forwarded to the caller.
    unsafe { syscall3(Nr(nr::MPROTECT), Arg(addr as usize), Arg(len), Arg(prot)) }.map(drop)
}

/// Blocks while `*word == expected`, for at most `timeout_us` microseconds (`None`: no limit;
/// callers never pass `Some(0)`, see `sys::wait_on_address_timeout`).
pub fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: Option<u32>) {
    let addr = word.as_ptr() as usize;
    #[cfg(target_os = "linux")]
    {
        let us = timeout_us.unwrap_or(0);
        let ts = [
            (us / 1_000_000) as usize,
            ((us % 1_000_000) * 1000) as usize,
        ];
        let tsp = match timeout_us {
            None => 0,
            Some(_) => ts.as_ptr() as usize,
        };
        // SAFETY: futex(FUTEX_WAIT_PRIVATE) reads the word and the timespec; both are valid.
        let _ = unsafe {
            syscall6(
                Nr(nr::FUTEX),
                Arg(addr),
                Arg(k::FUTEX_WAIT_PRIVATE),
                Arg(expected as usize),
                Arg(tsp),
                Arg(0),
                Arg(0),
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    {
        // __ulock_wait(UL_COMPARE_AND_WAIT | ULF_NO_ERRNO, addr, value, timeout_us)
        // SAFETY: the kernel only reads the word.
        let _ = unsafe {
            syscall6(
                Nr(nr::WAIT_ON_ADDRESS),
                Arg(k::ULOCK_COMPARE_AND_WAIT | k::ULOCK_NO_ERRNO),
                Arg(addr),
                Arg(expected as usize),
                // __ulock_wait's 0 means no limit.
                Arg(timeout_us.unwrap_or(0) as usize),
                Arg(0),
                Arg(0),
            )
        };
    }
}

/// Wakes every waiter on `word`.
pub fn wake_all(word: &AtomicU32) {
    let addr = word.as_ptr() as usize;
    #[cfg(target_os = "linux")]
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    let _ = unsafe {
        syscall3(
            Nr(nr::FUTEX),
            Arg(addr),
            Arg(k::FUTEX_WAKE_PRIVATE),
            Arg(i32::MAX as usize),
        )
    };
    #[cfg(not(target_os = "linux"))]
    // SAFETY: __ulock_wake only uses the address as a key.
    let _ = unsafe {
        syscall3(
            Nr(nr::WAKE_ADDRESS),
            Arg(k::ULOCK_COMPARE_AND_WAIT | k::ULOCK_WAKE_ALL | k::ULOCK_NO_ERRNO),
            Arg(addr),
            Arg(0),
        )
    };
}

/// Sleeps `ms` milliseconds (Linux: `nanosleep`), resuming after a signal handler interrupted
/// it (`EINTR`) with the time that was left.
#[cfg(target_os = "linux")]
pub fn sleep_ms(ms: u32) {
    let mut ts = [(ms / 1000) as usize, ((ms % 1000) as usize) * 1_000_000];
    loop {
        let mut rem = [0usize; 2];
        // SAFETY: nanosleep reads `ts` and writes `rem`, both valid.
        let r = unsafe {
            syscall3(
                Nr(nr::NANOSLEEP),
                Arg(ts.as_ptr() as usize),
                Arg(rem.as_mut_ptr() as usize),
                Arg(0),
            )
        };
        match r {
            Err(e) if e == Errno::EINTR => ts = rem,
            _ => return,
        }
    }
}

/// The process id (`getpid`).
pub fn process_id() -> u32 {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { syscall3(Nr(nr::GETPID), Arg(0), Arg(0), Arg(0)) }.unwrap_or(0) as u32
}

/// Nanoseconds on the monotonic clock (Linux `clock_gettime(CLOCK_MONOTONIC)`).
#[cfg(target_os = "linux")]
pub fn monotonic_ns() -> u64 {
    let mut ts = [0usize; 2];
    // SAFETY: the kernel writes one timespec into `ts`.
    let _ = unsafe {
        syscall3(
            Nr(nr::CLOCK_GETTIME),
            Arg(k::CLOCK_MONOTONIC),
            Arg(ts.as_mut_ptr() as usize),
            Arg(0),
        )
    };
    (ts[0] as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts[1] as u64)
}

/// `openat(AT_FDCWD-ignored, path, O_RDONLY | O_CLOEXEC)` for an absolute, NUL-terminated `path`
/// (the directory argument is ignored for an absolute path, openat(2)); returns the descriptor.
#[cfg(target_os = "linux")]
pub fn open_readonly(path: &[u8]) -> Result<usize, Errno> {
    debug_assert!(path.first() == Some(&b'/') && path.last() == Some(&0));
    // SAFETY: `path` is NUL-terminated; the kernel only reads it.
    unsafe {
        syscall6(
            Nr(nr::OPENAT),
            Arg(0),
            Arg(path.as_ptr() as usize),
            Arg(k::O_RDONLY | k::O_CLOEXEC),
            Arg(0),
            Arg(0),
            Arg(0),
        )
    }
}

/// `close(fd)`.
///
/// # Safety
/// `fd` must be a descriptor the caller owns and nothing else uses afterwards.
#[cfg(target_os = "linux")]
pub unsafe fn close(fd: usize) {
    // SAFETY: forwarded to the caller.
    let _ = unsafe { syscall3(Nr(nr::CLOSE), Arg(fd), Arg(0), Arg(0)) };
}

/// Whether thread `tid` of this process exists (Linux `tgkill(getpid(), tid, 0)`, which checks
/// without sending anything); `None` when the kernel does not say (another error).
#[cfg(target_os = "linux")]
pub(crate) fn thread_exists(tid: u64) -> Option<bool> {
    // SAFETY: signal 0 is only a check; nothing is delivered.
    let r = unsafe {
        syscall3(
            Nr(nr::TGKILL),
            Arg(process_id() as usize),
            Arg(tid as usize),
            Arg(0),
        )
    };
    match r {
        Ok(_) => Some(true),
        Err(e) if e.0 as usize == k::ESRCH => Some(false),
        Err(_) => None,
    }
}

/// Names the calling thread (Linux `prctl(PR_SET_NAME)`: at most 15 bytes are kept, cut here at
/// a character boundary).
#[cfg(target_os = "linux")]
pub(crate) fn name_current_thread(name: &str) {
    let mut buf = [0u8; 16];
    let mut len = 0;
    for (at, c) in name.char_indices() {
        let end = at + c.len_utf8();
        if end > 15 {
            break;
        }
        len = end;
    }
    for (slot, &b) in buf.iter_mut().zip(name.as_bytes().iter().take(len)) {
        *slot = b;
    }
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    let _ = unsafe {
        syscall3(
            Nr(nr::PRCTL),
            Arg(k::PR_SET_NAME),
            Arg(buf.as_ptr() as usize),
            Arg(0),
        )
    };
}
