//! Typed system calls.
//!
//! [`raw`] makes every call through the target's syscall trampoline (`arch/<triple>/syscall.S`),
//! which normalises the kernel's error convention (darwin: carry flag and a positive errno;
//! Linux: -4095..=-1) into one form: a non-negative result, or `-errno`. Each argument slot has
//! its own type ([`Arg`]), so a value cannot be passed in the wrong position.
//!
//! The functions at this level pick the right backend: with the `libc` feature on darwin they go
//! through libSystem (raw syscalls are not a stable ABI on macOS), everywhere else through
//! [`raw`]. [`crate::thread::newosproc0`] always uses [`raw`]: it must work with no runtime.

use core::sync::atomic::AtomicU32;

pub mod raw;

cfg_if::cfg_if! {
    if #[cfg(all(rt0_libc, target_vendor = "apple"))] {
        mod libsystem;
        use libsystem as backend;
    } else {
        use raw as backend;
    }
}

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

    /// Interprets a trampoline result: `-4095..=-1` is `-errno`, anything else is a value.
    #[inline]
    pub fn result(ret: isize) -> Result<usize, Errno> {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct SigSet(pub u64);

impl SigSet {
    /// Every signal.
    pub const FULL: SigSet = SigSet(u64::MAX);
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

/// How [`thread_sigmask`] changes the mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigHow {
    /// Add the given signals to the blocked set.
    Block,
    /// Replace the blocked set.
    SetMask,
}

impl SigHow {
    fn value(self) -> usize {
        match self {
            SigHow::Block => crate::abi::constants::SIG_BLOCK,
            SigHow::SetMask => crate::abi::constants::SIG_SETMASK,
        }
    }
}

/// One argument slot of a system call: `Arg<0>` is the first argument, and so on.
///
/// The trampoline moves slot N into the N-th register of `[syscall] arg_registers`; typing each
/// slot keeps a value from landing in the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Arg<const N: usize>(pub usize);

/// A system call number with the class prefix already applied (see [`crate::abi::nr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Nr(pub usize);

/// Writes `buf` to `fd`, returning how many bytes were written.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    backend::write(fd, buf)
}

/// Writes all of `buf` to `fd`, retrying short writes and `EINTR`; gives up on another error.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n.min(buf.len())..],
            Err(e) if e == Errno::EINTR => {}
            Err(_) => return,
        }
    }
}

/// Ends the whole process with `status` (Linux `exit_group`, darwin `exit`).
pub fn exit_process(status: i32) -> ! {
    backend::exit_process(status)
}

/// The calling thread's OS thread id (Linux `gettid`, darwin `thread_selfid`).
pub fn thread_id() -> u64 {
    backend::thread_id()
}

/// Changes the calling thread's blocked-signal mask (never the whole process's) and returns the
/// previous mask.
pub fn thread_sigmask(how: SigHow, set: SigSet) -> Result<SigSet, Errno> {
    #[cfg(rt0_libc)]
    return libc_sigmask(how, Some(set));
    #[cfg(not(rt0_libc))]
    return raw::thread_sigmask(how, Some(set));
}

/// The calling thread's blocked-signal mask.
pub fn current_sigmask() -> SigSet {
    #[cfg(rt0_libc)]
    let r = libc_sigmask(SigHow::Block, None);
    #[cfg(not(rt0_libc))]
    let r = raw::thread_sigmask(SigHow::Block, None);
    r.unwrap_or(SigSet::EMPTY)
}

/// pthread_sigmask: the C library keeps its own bookkeeping of reserved signals.
#[cfg(rt0_libc)]
fn libc_sigmask(how: SigHow, set: Option<SigSet>) -> Result<SigSet, Errno> {
    // sigset_t is at least as large as the kernel word on every supported libc, and the
    // kernel's bit layout is the first word of it.
    let mut new: libc::sigset_t = unsafe { core::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    let bytes = crate::abi::constants::SIGSET_BYTES;
    if let Some(set) = set {
        let bits = set.kernel_bits().to_ne_bytes();
        // SAFETY: `new` is at least `bytes` long (4 on darwin, >= 8 on Linux libcs).
        unsafe {
            core::ptr::copy_nonoverlapping(
                bits.as_ptr(),
                (&mut new as *mut libc::sigset_t).cast::<u8>(),
                bytes,
            )
        };
    }
    let how = match how {
        SigHow::Block => libc::SIG_BLOCK,
        SigHow::SetMask => libc::SIG_SETMASK,
    };
    let newp = if set.is_some() {
        &new as *const libc::sigset_t
    } else {
        core::ptr::null()
    };
    // SAFETY: both pointers are valid sigset_t (or null for "no change").
    let rc = unsafe { libc::pthread_sigmask(how, newp, &mut old) };
    if rc != 0 {
        return Err(Errno(rc));
    }
    let mut bits = [0u8; 8];
    // SAFETY: `old` is at least `bytes` long.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (&old as *const libc::sigset_t).cast::<u8>(),
            bits.as_mut_ptr(),
            bytes,
        )
    };
    Ok(SigSet(u64::from_ne_bytes(bits)))
}

/// Blocks while `*word == expected`; returns on a wake, a spurious wake-up, or a changed value.
/// Callers re-check the word in a loop.
pub fn wait_on_address(word: &AtomicU32, expected: u32) {
    backend::wait_on_address(word, expected, 0)
}

/// [`wait_on_address`] for at most `timeout_us` microseconds (0 = no limit).
pub fn wait_on_address_timeout(word: &AtomicU32, expected: u32, timeout_us: u32) {
    backend::wait_on_address(word, expected, timeout_us)
}

/// Wakes every thread blocked in [`wait_on_address`] on `word`.
pub fn wake_all(word: &AtomicU32) {
    backend::wake_all(word)
}

/// Sleeps the calling thread for about `ms` milliseconds (no libc needed on the raw path).
pub fn sleep_ms(ms: u32) {
    #[cfg(target_os = "linux")]
    raw::sleep_ms(ms);
    #[cfg(not(target_os = "linux"))]
    {
        // darwin has no nanosleep system call: wait, with a timeout, on a word nobody wakes.
        let never = AtomicU32::new(0);
        let mut left = ms as u64 * 1000;
        while left > 0 {
            let step = left.min(u32::MAX as u64) as u32;
            backend::wait_on_address(&never, 0, step);
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
