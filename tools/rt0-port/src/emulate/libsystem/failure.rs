//! How a libSystem function fails: -1 (or NULL) with errno, an abort, or a fault.

use unicorn_engine::Unicorn;

use crate::emulate::kernel::{Kernel, SIGABRT, SIGSEGV};

/// A libsyscall wrapper's return: the value, or -1 with errno stored in the thread's errno
/// slot (what `__error()` returns) — libsyscall custom/__syscall.s / cerror.c cerror_nocancel.
pub fn c_result(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, r: Result<u64, u64>) -> u64 {
    match r {
        Ok(v) => v,
        Err(e) => set_errno(k, uc, e, u64::MAX),
    }
}

/// Stores `errno` in the calling thread's errno slot (what `__error()` returns) and gives
/// `ret`, the failure value of the function (-1, NULL, ...).
pub fn set_errno(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, errno: u64, ret: u64) -> u64 {
    let slot = k.cur().errno_slot;
    let _ = uc.mem_write(slot, &(errno as u32).to_le_bytes());
    ret
}

/// libSystem found a misuse it aborts on (libmalloc's "pointer being freed was not allocated"
/// and the like): the message on stderr, then SIGABRT.
pub fn abort_with(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, msg: String) {
    eprintln!("{msg}");
    k.kill(uc, SIGABRT, msg);
}

/// A libSystem function touched memory it may not: the thread gets SIGSEGV.
pub fn fault(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, addr: u64) {
    let msg = format!("libSystem touched bad address {addr:#x}");
    k.kill(uc, SIGSEGV, msg);
}
