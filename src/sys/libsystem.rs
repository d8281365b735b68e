//! darwin with the `libc` feature: the calls rt0 makes on the pthread path go through libSystem,
//! Apple's only stable system-call interface (golang/go#17490; Apple QA1118).

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

pub(super) fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: u32) {
    // SAFETY: the kernel only reads the word.
    unsafe {
        __ulock_wait(
            UL_COMPARE_AND_WAIT | ULF_NO_ERRNO,
            word.as_ptr().cast(),
            expected as u64,
            timeout_us,
        )
    };
}
