//! System calls, made through the target's syscall trampoline (`arch/<triple>/syscall.S`).
//!
//! Everything here works on any thread, including a raw-creator init thread that has no thread
//! pointer: nothing touches thread-local storage or the C library. The trampoline normalises the
//! kernel's error convention (darwin: carry flag and a positive errno; Linux: -4095..=-1) into
//! one form, and each argument slot has its own type ([`Arg`]), so a value cannot be passed in
//! the wrong position. [`syscall6`] and [`syscall3`] make any other call.
//!
//! On Windows there are no system calls rt0 could make (their numbers change with every build
//! of the kernel): the same functions, where they mean the same thing ([`write`](fn@write),
//! [`thread_id`], [`process_id`], [`sleep_ms`], [`wait_on_address`], [`wake_all`], ...), call
//! kernel32, and the Unix-only parts (signal masks, [`syscall6`]) do not exist.

use core::sync::atomic::AtomicU32;
use core::time::Duration;

#[cfg(not(windows))]
mod host;
#[cfg(all(rt0_libc, target_vendor = "apple"))]
mod libsystem;
#[cfg(not(windows))]
pub(crate) mod raw;
#[cfg(windows)]
pub(crate) mod windows;
// On Windows the calls that are raw system calls elsewhere are kernel32's.
#[cfg(windows)]
use windows as raw;

#[cfg(not(windows))]
pub(crate) use host::Host;
#[cfg(not(windows))]
pub use raw::{syscall3, syscall6};
#[cfg(windows)]
pub(crate) use windows::Host;

/// A failed system call's error number (positive, as in `errno.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// `EINVAL` on this target.
    pub const EINVAL: Errno = Errno(crate::abi::constants::EINVAL as i32);
    /// `ENOMEM` on this target.
    pub const ENOMEM: Errno = Errno(crate::abi::constants::ENOMEM as i32);
    /// `EAGAIN` on this target.
    pub const EAGAIN: Errno = Errno(crate::abi::constants::EAGAIN as i32);
    /// `ETIMEDOUT` on this target.
    pub const ETIMEDOUT: Errno = Errno(crate::abi::constants::ETIMEDOUT as i32);
    /// `EINTR` on this target.
    pub const EINTR: Errno = Errno(crate::abi::constants::EINTR as i32);
    /// `EPERM` on this target.
    pub const EPERM: Errno = Errno(crate::abi::constants::EPERM as i32);

    /// The symbolic name (`"EAGAIN"`) of the error numbers rt0 reports, `None` for others.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [(Errno, &str); 6] = [
            (Errno::EAGAIN, "EAGAIN"),
            (Errno::ENOMEM, "ENOMEM"),
            (Errno::EINVAL, "EINVAL"),
            (Errno::EPERM, "EPERM"),
            (Errno::EINTR, "EINTR"),
            (Errno::ETIMEDOUT, "ETIMEDOUT"),
        ];
        NAMES.iter().find(|(e, _)| *e == self).map(|(_, n)| *n)
    }

    /// Interprets a trampoline result: `-4095..=-1` is `-errno`, anything else is a value.
    #[cfg(not(windows))]
    #[inline]
    pub(crate) fn result(ret: isize) -> Result<usize, Errno> {
        if (-4095..0).contains(&ret) {
            Err(Errno(-ret as i32))
        } else {
            Ok(ret as usize)
        }
    }
}

impl core::fmt::Display for Errno {
    // `#[inline]`: emitted only where used, so rt0's own object does not reference core::fmt.
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "errno {}", self.0)
    }
}

/// A set of signals: bit `N - 1` stands for signal `N` (the kernel's own layout on both OSes).
///
/// darwin's `sigset_t` is 32 bits; the kernel reads and writes only the low
/// `abi::constants::SIGSET_BYTES` bytes.
#[cfg(not(windows))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct SigSet(pub u64);

#[cfg(not(windows))]
impl SigSet {
    /// Every signal.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// Every signal but the ones the C library reserves for itself (glibc: 32 and 33; musl: 32
    /// to 34), as the C library's own `sigfillset` builds "all signals". A thread libc knows
    /// must never block those: musl's `setuid` waits for every thread to take its signal 34.
    pub const ALL_BUT_LIBC_RESERVED: SigSet =
        SigSet(!crate::abi::constants::LIBC_RESERVED_SIGNALS_MASK);
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);
    /// The synchronous signals (faults), which must stay deliverable so a crash is reported.
    pub const SYNCHRONOUS: SigSet = SigSet(crate::abi::constants::SYNCHRONOUS_SIGNALS_MASK);

    /// Whether signal `signo` (1-based) is in the set.
    pub fn contains(self, signo: u32) -> bool {
        (1..=64).contains(&signo) && self.0 & (1u64 << (signo - 1)) != 0
    }

    /// The set as the kernel's word holds it (darwin: the low 32 bits).
    pub fn kernel_bits(self) -> u64 {
        if crate::abi::constants::SIGSET_BYTES == 4 {
            self.0 & 0xffff_ffff
        } else {
            self.0
        }
    }
}

#[cfg(not(windows))]
/// How [`thread_sigmask`] changes the mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigHow {
    /// Add the given signals to the blocked set.
    Block,
    /// Replace the blocked set.
    SetMask,
}

#[cfg(not(windows))]
impl SigHow {
    fn value(self) -> usize {
        match self {
            SigHow::Block => crate::abi::constants::SIG_BLOCK,
            SigHow::SetMask => crate::abi::constants::SIG_SETMASK,
        }
    }
}

#[cfg(not(windows))]
/// One argument slot of a system call: `Arg<0>` is the first argument, and so on.
///
/// The trampoline moves slot N into the N-th register of `[syscall] arg_registers`; typing each
/// slot keeps a value from landing in the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Arg<const N: usize>(pub usize);

#[cfg(not(windows))]
/// A system call number as the trampoline passes it to the kernel: with the class prefix
/// already applied where the kernel has one (x86_64 darwin: `0x2000000 | n` for a BSD call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Nr(pub usize);

/// Writes `buf` to `fd`, returning how many bytes were written.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    raw::write(fd, buf)
}

/// Writes all of `buf` to `fd`, retrying short writes and `EINTR`; gives up on another error.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = buf.get(n..).unwrap_or(&[]),
            Err(e) if e == Errno::EINTR => {}
            Err(_) => return,
        }
    }
}

/// Ends the whole process with `status` (Linux `exit_group`, darwin `exit`, Windows
/// `TerminateProcess`), running nothing of the host's (no atexit handlers), as Go's runtime does.
pub fn exit_process(status: i32) -> ! {
    raw::exit_process(status)
}

/// The calling thread's OS thread id (Linux `gettid`, darwin `thread_selfid`, Windows
/// `GetCurrentThreadId`).
pub fn thread_id() -> u64 {
    raw::thread_id()
}

/// The process id (`getpid`; Windows `GetCurrentProcessId`).
pub fn process_id() -> u32 {
    raw::process_id()
}

#[cfg(not(windows))]
/// Changes the calling thread's blocked-signal mask (never the whole process's) and returns the
/// previous one. The kernel's own call: on a thread the C library knows, leave its reserved
/// signals alone (see [`SigSet::ALL_BUT_LIBC_RESERVED`]).
pub fn thread_sigmask(how: SigHow, set: SigSet) -> Result<SigSet, Errno> {
    raw::thread_sigmask(how, Some(set))
}

#[cfg(not(windows))]
/// The calling thread's blocked-signal mask.
pub fn current_sigmask() -> SigSet {
    raw::thread_sigmask(SigHow::Block, None).unwrap_or(SigSet::EMPTY)
}

/// Gives the calling thread `name` as its OS thread name, where the system has one rt0 can set
/// from any thread (Linux `PR_SET_NAME`, cut to 15 bytes; darwin with the C library
/// `pthread_setname_np`; Windows `SetThreadDescription` where kernel32 has it). A raw thread on
/// darwin stays unnamed.
pub(crate) fn name_current_thread(name: &str) {
    #[cfg(target_os = "linux")]
    raw::name_current_thread(name);
    #[cfg(all(rt0_libc, target_vendor = "apple"))]
    libsystem::name_current_thread(name);
    #[cfg(windows)]
    windows::name_current_thread(name);
    #[cfg(not(any(target_os = "linux", all(rt0_libc, target_vendor = "apple"), windows)))]
    let _ = name;
}

/// Blocks while `*word == expected`; returns on a wake, a spurious wake-up, or a changed value.
/// Callers re-check the word in a loop. (Linux `futex`, darwin `__ulock_wait`, Windows
/// `WaitOnAddress`.)
pub fn wait_on_address(word: &AtomicU32, expected: u32) {
    raw::wait_on_address(word, expected, None)
}

/// [`wait_on_address`] for at most `timeout` (rt0's one convention for waits, as in
/// [`Library::wait_timeout`](crate::Library::wait_timeout)): `Duration::ZERO` does not block
/// at all, and no wait is without limit unless it says so by having no timeout. A timeout
/// below a microsecond counts as one; one beyond the kernel's reach (about 71 minutes) may end
/// early, which callers that re-check the word in a loop do not notice.
pub fn wait_on_address_timeout(word: &AtomicU32, expected: u32, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    let us = u32::try_from(timeout.as_micros())
        .unwrap_or(u32::MAX)
        .max(1);
    raw::wait_on_address(word, expected, Some(us))
}

/// Wakes every thread blocked in [`wait_on_address`] on `word`.
pub fn wake_all(word: &AtomicU32) {
    raw::wake_all(word)
}

/// Nanoseconds on a monotonic clock, for timeouts (0 where there is no clock call: darwin
/// without the C library).
pub fn monotonic_ns() -> u64 {
    cfg_if::cfg_if! {
        if #[cfg(any(target_os = "linux", windows))] {
            raw::monotonic_ns()
        } else {
            Host::monotonic_ns()
        }
    }
}

/// Sleeps the calling thread for `ms` milliseconds, resuming after a signal handler
/// interrupted it.
pub fn sleep_ms(ms: u32) {
    #[cfg(any(target_os = "linux", windows))]
    raw::sleep_ms(ms);
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        // darwin has no nanosleep system call: wait, with a timeout, on a word nobody wakes.
        let never = AtomicU32::new(0);
        let mut left = ms as u64 * 1000;
        while left > 0 {
            let step = left.min(1_000_000) as u32;
            raw::wait_on_address(&never, 0, Some(step));
            left -= step as u64;
        }
    }
}

/// Writes `v` in decimal into the end of `buf` and returns the digits, with no indexing or
/// slicing that could panic: a panic path would make rt0's object reference libcore, which a
/// C host linked without `--gc-sections` then pulls in whole (~210 KiB of text).
pub(crate) fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut len = 0;
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = buf.len() - len;
    buf.get(start..).unwrap_or(&[])
}
