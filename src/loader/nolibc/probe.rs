//! Reading memory that may not be mapped, without a fault: every byte the pin's walk reads goes
//! through a pipe of its own. `write(pipe, address, n)` makes the kernel copy from `address`,
//! and it says EFAULT (or writes fewer bytes) where that memory is unmapped or unreadable,
//! where a plain load would raise SIGSEGV (or SIGBUS past the end of a mapped file); `read`
//! then brings the bytes back into the caller's buffer. So a wrong guess about the loader's
//! records is a failed read, never a signal.
//!
//! Why a pipe: `write` copies from user memory on every kernel and reports a bad address, and
//! qemu-user checks the guest's page permissions for the whole buffer before it copies
//! (`lock_user(VERIFY_READ)`), so the aarch64 and riscv64 runs behave as native ones do.
//! `process_vm_readv` on oneself would need no descriptors, but qemu-user does not implement
//! it, and calls that take a small fixed-size buffer (`rt_sigprocmask`'s set) may be checked
//! argument by argument before the copy. The pipe is private (both ends ours, close-on-exec,
//! non-blocking) and empty between reads, so no read can block or leave bytes behind.

use crate::abi::{constants as k, nr};
use crate::sys::{raw, Arg, Errno, Nr};

/// Bytes moved per write: at most `PIPE_BUF`, so each write is one atomic copy into the empty
/// pipe, which holds at least a page.
const CHUNK: usize = 512;

/// A private pipe for copying memory that may not be readable.
pub(super) struct Probe {
    read_end: usize,
    write_end: usize,
}

impl Probe {
    /// Makes the pipe (`pipe2(O_CLOEXEC | O_NONBLOCK)`).
    pub(super) fn new() -> Result<Probe, Errno> {
        let mut fds = [0i32; 2];
        // SAFETY: the kernel writes two descriptors into `fds`.
        unsafe {
            raw::syscall3(
                Nr(nr::PIPE2),
                Arg(fds.as_mut_ptr() as usize),
                Arg(k::O_CLOEXEC | k::O_NONBLOCK),
                Arg(0),
            )
        }?;
        Ok(Probe {
            read_end: fds[0] as usize,
            write_end: fds[1] as usize,
        })
    }

    /// Copies `out.len()` bytes from `address` into `out`; false (and `out` unspecified) where
    /// any of them cannot be read.
    pub(super) fn copy(&self, address: usize, out: &mut [u8]) -> bool {
        if address.checked_add(out.len()).is_none() {
            return false;
        }
        let mut done = 0;
        for chunk in out.chunks_mut(CHUNK) {
            let from = address + done;
            // SAFETY: the kernel only reads [from, from + len), and reports a bad address
            // instead of faulting; the descriptor is our own pipe's write end.
            let wrote = retry(|| unsafe {
                raw::syscall3(
                    Nr(nr::WRITE),
                    Arg(self.write_end),
                    Arg(from),
                    Arg(chunk.len()),
                )
            });
            let wrote = match wrote {
                Ok(n) => n.min(chunk.len()),
                Err(_) => return false,
            };
            // Bring back what was written (all of it, or the part before a bad page), so the
            // pipe is empty again.
            let Some(back) = chunk.get_mut(..wrote) else {
                return false;
            };
            // SAFETY: `back` is writable for its length; the descriptor is our pipe's read end.
            let read = retry(|| unsafe {
                raw::syscall3(
                    Nr(nr::READ),
                    Arg(self.read_end),
                    Arg(back.as_mut_ptr() as usize),
                    Arg(back.len()),
                )
            });
            if read != Ok(wrote) || wrote != chunk.len() {
                return false;
            }
            done += wrote;
        }
        true
    }

    /// Reads a `T` at `address`, if every byte of it can be read.
    pub(super) fn read<T: Plain>(&self, address: usize) -> Option<T> {
        let mut value = T::ZERO;
        // SAFETY: `value` is a `Plain` type: its bytes may be overwritten with any pattern.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                (&mut value as *mut T).cast::<u8>(),
                core::mem::size_of::<T>(),
            )
        };
        self.copy(address, bytes).then_some(value)
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // SAFETY: both descriptors are this probe's own, used by nothing else.
        unsafe {
            raw::close(self.read_end);
            raw::close(self.write_end);
        }
    }
}

/// A system call again while a signal interrupted it.
fn retry(mut call: impl FnMut() -> Result<usize, Errno>) -> Result<usize, Errno> {
    loop {
        match call() {
            Err(e) if e == Errno::EINTR => {}
            other => return other,
        }
    }
}

/// A type for which every bit pattern is a valid value (integers and `repr(C)` records of
/// them), so it may be filled with bytes copied from anywhere.
///
/// # Safety
/// Implement only for such types.
pub(super) unsafe trait Plain: Copy {
    /// The all-zeroes value.
    const ZERO: Self;
}

// SAFETY: integers: every bit pattern is a value.
unsafe impl Plain for u8 {
    const ZERO: Self = 0;
}
// SAFETY: as above.
unsafe impl Plain for u16 {
    const ZERO: Self = 0;
}
// SAFETY: as above.
unsafe impl Plain for u32 {
    const ZERO: Self = 0;
}
// SAFETY: as above.
unsafe impl Plain for u64 {
    const ZERO: Self = 0;
}
// SAFETY: as above.
unsafe impl Plain for usize {
    const ZERO: Self = 0;
}
// SAFETY: an array of plain values is plain.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {
    const ZERO: Self = [T::ZERO; N];
}
