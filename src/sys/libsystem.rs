//! darwin with the `libc` feature: the calls rt0 makes on the pthread path go through libSystem,
//! Apple's only stable system-call interface (golang/go#17490; Apple QA1118).

use super::Errno;
use core::ffi::{c_int, c_void};
use core::sync::atomic::AtomicU32;

extern "C" {
    // libsystem_kernel exports; declared here because the libc crate does not.
    fn __ulock_wait(operation: u32, addr: *mut c_void, value: u64, timeout_us: u32) -> c_int;
}

const UL_COMPARE_AND_WAIT: u32 = crate::abi::constants::ULOCK_COMPARE_AND_WAIT as u32;
const ULF_NO_ERRNO: u32 = crate::abi::constants::ULOCK_NO_ERRNO as u32;

pub(super) fn thread_id() -> u64 {
    let mut tid: u64 = 0;
    // SAFETY: a null thread means the calling thread; `tid` is writable.
    unsafe { libc::pthread_threadid_np(0 as libc::pthread_t, &mut tid) };
    tid
}

pub(super) fn process_id() -> u32 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() as u32 }
}

pub(super) fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: Option<u32>) {
    // SAFETY: the kernel only reads the word.
    unsafe {
        __ulock_wait(
            UL_COMPARE_AND_WAIT | ULF_NO_ERRNO,
            word.as_ptr().cast(),
            expected as u64,
            // __ulock_wait's 0 means no limit.
            timeout_us.unwrap_or(0),
        )
    };
}

/// libSystem's `mmap` of a private anonymous read/write region.
pub(super) fn map_memory(len: usize) -> Result<*mut u8, Errno> {
    // SAFETY: an anonymous mapping at an address of the system's choosing aliases nothing.
    let p = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANON,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        // SAFETY: reads this thread's errno, which mmap just set.
        return Err(Errno(unsafe { *libc::__error() }));
    }
    Ok(p.cast())
}

/// libSystem's `mprotect(addr, len, PROT_READ)`.
///
/// # Safety
/// Nothing may write `[addr, addr + len)` afterwards.
pub(super) unsafe fn protect_read_only(addr: *mut u8, len: usize) -> Result<(), Errno> {
    // SAFETY: forwarded to the caller.
    if unsafe { libc::mprotect(addr.cast(), len, libc::PROT_READ) } != 0 {
        // SAFETY: reads this thread's errno, which mprotect just set.
        return Err(Errno(unsafe { *libc::__error() }));
    }
    Ok(())
}

/// Names the calling thread (libSystem's one-argument `pthread_setname_np`, which names only
/// the caller; at most 63 bytes are kept).
pub(super) fn name_current_thread(name: &str) {
    let mut buf = [0u8; 64];
    for (slot, &b) in buf.iter_mut().zip(name.as_bytes().iter().take(63)) {
        *slot = b;
    }
    // SAFETY: a NUL-terminated name in a local buffer.
    unsafe { libc::pthread_setname_np(buf.as_ptr().cast()) };
}
