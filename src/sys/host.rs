//! The calls rt0 makes on threads the C library knows (the loading thread, host threads that
//! wait, a pthread init thread). On darwin with the `libc` feature they go through libSystem,
//! Apple's only stable system-call interface (golang/go#17490; Apple QA1118); everywhere else
//! they are the raw calls of [`super`].

use super::{Errno, SigHow, SigSet};
use core::sync::atomic::AtomicU32;

/// The host-thread calls (a namespace).
pub(crate) struct Host;

cfg_if::cfg_if! {
    if #[cfg(all(rt0_libc, target_vendor = "apple"))] {
        use super::libsystem as backend;
    } else {
        use super::raw as backend;
    }
}

impl Host {
    pub(crate) fn thread_id() -> u64 {
        backend::thread_id()
    }

    pub(crate) fn process_id() -> u32 {
        backend::process_id()
    }

    pub(crate) fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: Option<u32>) {
        backend::wait_on_address(word, expected, timeout_us)
    }

    /// A fresh private read/write mapping of `len` bytes (rounded up to pages), never freed by
    /// rt0's callers (memory rt0 keeps for the life of the process).
    pub(crate) fn map_memory(len: usize) -> Result<*mut u8, Errno> {
        backend::map_memory(len)
    }

    /// Makes `[addr, addr + len)` of a mapping from [`Host::map_memory`] read-only.
    ///
    /// # Safety
    /// The range must be such a mapping, which nobody writes afterwards.
    pub(crate) unsafe fn protect_read_only(addr: *mut u8, len: usize) -> Result<(), Errno> {
        // SAFETY: forwarded to the caller.
        unsafe { backend::protect_read_only(addr, len) }
    }

    /// The C library's `pthread_sigmask` where it is linked (it keeps its own bookkeeping),
    /// the kernel's call otherwise; never touches the C library's reserved signals.
    pub(crate) fn thread_sigmask(how: SigHow, set: SigSet) -> Result<SigSet, Errno> {
        let set = SigSet(set.0 & SigSet::ALL_BUT_LIBC_RESERVED.0);
        #[cfg(rt0_libc)]
        return libc_sigmask(how, set);
        #[cfg(not(rt0_libc))]
        return super::raw::thread_sigmask(how, Some(set));
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn monotonic_ns() -> u64 {
        #[cfg(rt0_libc)]
        {
            // SAFETY: a plain C struct, for which all zeroes is a valid value.
            let mut ts: libc::timespec = unsafe { core::mem::zeroed() };
            // SAFETY: `ts` is writable.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
            (ts.tv_sec as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(ts.tv_nsec as u64)
        }
        #[cfg(not(rt0_libc))]
        0
    }
}

/// `pthread_sigmask` with rt0's [`SigSet`].
#[cfg(rt0_libc)]
fn libc_sigmask(how: SigHow, set: SigSet) -> Result<SigSet, Errno> {
    // sigset_t is at least as large as the kernel word on every supported libc, and the
    // kernel's bit layout is the first word of it.
    // SAFETY: a plain C struct, for which all zeroes is a valid value.
    let mut new: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: a plain C struct, for which all zeroes is a valid value.
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    let bytes = crate::abi::constants::SIGSET_BYTES;
    let bits = set.kernel_bits().to_ne_bytes();
    // SAFETY: `new` is at least `bytes` long (4 on darwin, >= 8 on Linux libcs).
    unsafe {
        core::ptr::copy_nonoverlapping(
            bits.as_ptr(),
            (&mut new as *mut libc::sigset_t).cast::<u8>(),
            bytes,
        )
    };
    let how = match how {
        SigHow::Block => libc::SIG_BLOCK,
        SigHow::SetMask => libc::SIG_SETMASK,
    };
    // SAFETY: both pointers are valid sigset_t.
    let rc = unsafe { libc::pthread_sigmask(how, &new, &mut old) };
    if rc != 0 {
        return Err(Errno(rc));
    }
    let mut out = [0u8; 8];
    // SAFETY: `old` is at least `bytes` long.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (&old as *const libc::sigset_t).cast::<u8>(),
            out.as_mut_ptr(),
            bytes,
        )
    };
    Ok(SigSet(u64::from_ne_bytes(out)))
}
