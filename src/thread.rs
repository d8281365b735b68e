//! Creating an OS thread before any runtime exists: `newosproc0`.
//!
//! The raw path (Go's `newosproc0`): map a stack with an inaccessible guard page below it, block
//! every signal in the calling thread (its own mask only), make the kernel's thread-create call
//! through the trampoline, restore the caller's mask. The new thread starts with every signal
//! blocked, no thread pointer (no TLS: a stray libc or `std` call faults at once instead of
//! corrupting the creator's TLS), runs `start(arg)`, then frees its own stack and ends only
//! itself (Linux `munmap` + `exit`, darwin `bsdthread_terminate`), never the process.
//!
//! Code running on a raw thread may use only rt0's [`crate::sys`] calls: no libc, no `std`.
//!
//! Windows has no raw path (no stable system calls, and a thread kernel32 does not know would
//! break the loader and the C runtime): there, `newosproc0` does not exist and init threads are
//! made with `CreateThread`.

#[cfg(not(windows))]
use crate::abi::constants as k;
use crate::abi::stack;
use crate::sys::Errno;
#[cfg(not(windows))]
use crate::sys::{raw, SigHow, SigSet};
use core::ffi::c_void;

/// A thread's start routine: the same shape for the raw path and for `pthread_create`.
pub type StartFn = unsafe extern "C" fn(*mut c_void) -> *mut c_void;

/// The stack size Go gives its library-init thread, and rt0's default: 8 MiB.
pub const DEFAULT_STACK_SIZE: usize = 8 << 20;

/// Which step of a thread creation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateStage {
    /// The stack could not be mapped (or its size overflowed).
    Stack,
    /// darwin: the raw start routine could not be registered (`bsdthread_register` gave EINVAL
    /// because libpthread registered its own, as it does in every normal macOS process).
    Register,
    /// The kernel refused to create the thread.
    Create,
}

/// A failed thread creation: the step and the error number. Nothing of the caller's state
/// changed (its signal mask is restored and the stack is unmapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateError {
    /// Which step failed.
    pub stage: CreateStage,
    /// Its error number.
    pub errno: Errno,
}

#[cfg(not(windows))]
/// The words at the top of a raw stack; the new thread's stack pointer starts here and the
/// trampoline reads them to free the mapping when the thread ends. The offsets the stubs use
/// (`RT0_STACK_HEADER_*`) come from build.rs and are checked below. The 16-byte alignment pads
/// the three words to 32 bytes, so the stack pointer the stubs start from stays 16-aligned.
#[repr(C, align(16))]
pub(crate) struct StackHeader {
    map_base: usize,
    map_len: usize,
    /// The stub's own word (darwin: the thread's Mach port, given back when the thread ends).
    stub_word: usize,
}

#[cfg(not(windows))]
const _: () = {
    use crate::abi::stack_header as layout;
    assert!(core::mem::offset_of!(StackHeader, map_base) == layout::MAP_BASE);
    assert!(core::mem::offset_of!(StackHeader, map_len) == layout::MAP_LEN);
    assert!(core::mem::offset_of!(StackHeader, stub_word) == layout::STUB_WORD);
};

#[cfg(target_vendor = "apple")]
mod darwin_register {
    use super::*;
    use crate::abi::nr;
    use crate::sys::{Arg, Nr};
    use core::sync::atomic::{AtomicU32, Ordering};

    const UNKNOWN: u32 = 0;
    const OURS: u32 = 1;
    static REGISTERED: AtomicU32 = AtomicU32::new(UNKNOWN);

    /// Registers rt0's start routine once. In a normal macOS process libpthread registered its
    /// own first, so the kernel answers EINVAL and the raw path must not go on: a thread started
    /// at libpthread's routine would find no pthread_t and crash (golang/go#17819).
    pub(super) fn ensure_registered() -> Result<(), Errno> {
        if REGISTERED.load(Ordering::Acquire) == OURS {
            return Ok(());
        }
        // bsdthread_register(threadstart, wqthread, pthsize, dummy, targetconc, dispatchqueue_offset)
        // SAFETY: registers a code address; the kernel only stores it.
        let r = unsafe {
            raw::syscall6(
                Nr(nr::THREAD_REGISTER),
                // `arch/<triple>/syscall.S`: the start routine the kernel enters new raw threads at.
                Arg::<0>(crate::stubs::raw_thread_start as *const () as usize),
                Arg(0),
                Arg(0),
                Arg(0),
                Arg(0),
                Arg(0),
            )
        };
        match r {
            Ok(_) => {
                REGISTERED.store(OURS, Ordering::Release);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(not(windows))]
/// Whether this process can change its user or group ids (Linux): one of its threads holds
/// `CAP_SETUID` or `CAP_SETGID` in its permitted set (root does), or has real, effective and
/// saved ids that differ (a set-id program can switch between them). Every thread is looked at
/// (`/proc/self/task/*/status`: credentials are per thread on Linux); without `/proc`, only
/// the calling thread.
///
/// A thread made by [`newosproc0`] (or rt0's raw creator) is one the C library does not know:
/// glibc and musl apply `setuid`, `setgid` and `setgroups` to every thread they know, because
/// Linux keeps credentials per thread, so such a thread would keep the ids the process dropped.
/// rt0's raw creator refuses to start where this is true; a caller of `newosproc0` should
/// check it too before making a thread that outlives a credential change. Always false on
/// darwin, where those calls change the whole process.
pub fn process_can_change_credentials() -> bool {
    #[cfg(target_os = "linux")]
    {
        if let Some(answer) = crate::credentials::some_thread_can_change_ids() {
            return answer;
        }
        use crate::abi::nr;
        use crate::sys::{Arg, Nr};
        let ids = |call: usize| {
            let mut id = [0u32; 3];
            // SAFETY: getresuid/getresgid write three 32-bit ids into the pointed-to words.
            let r = unsafe {
                raw::syscall3(
                    Nr(call),
                    Arg(&mut id[0] as *mut u32 as usize),
                    Arg(&mut id[1] as *mut u32 as usize),
                    Arg(&mut id[2] as *mut u32 as usize),
                )
            };
            r.ok().map(|_| id)
        };
        // Unknown ids count as mixed: refuse rather than guess.
        let mixed = |id: Option<[u32; 3]>| !matches!(id, Some([r, e, s]) if r == e && e == s);
        if mixed(ids(nr::GETRESUID)) || mixed(ids(nr::GETRESGID)) {
            return true;
        }
        // capget(header { version 3, pid 0 = this thread }, data[2] { effective, permitted,
        // inheritable }): the permitted set bounds what the process can ever raise.
        let header = [k::CAPABILITY_VERSION as u32, 0];
        let mut data = [0u32; 6];
        // SAFETY: the kernel reads the header and writes two 12-byte records into `data`.
        let r = unsafe {
            raw::syscall3(
                Nr(nr::CAPGET),
                Arg(header.as_ptr() as usize),
                Arg(data.as_mut_ptr() as usize),
                Arg(0),
            )
        };
        let setid = (1u32 << k::CAP_SETUID) | (1u32 << k::CAP_SETGID);
        r.is_err() || data[1] & setid != 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(not(windows))]
/// Page-rounded size of the mapping for a stack of `stack_size` bytes plus its guard.
fn mapping_size(stack_size: usize) -> Option<usize> {
    let page = stack::PAGE_SIZE;
    let usable = stack_size.max(page).checked_add(page - 1)? & !(page - 1);
    usable.checked_add(stack::GUARD_SIZE)
}

#[cfg(not(windows))]
/// Creates an OS thread running `start(arg)` on a fresh `stack_size`-byte stack, with no runtime.
///
/// On failure nothing of the caller's state has changed: the mask is restored, the stack
/// unmapped, and the error says which step failed.
///
/// # Safety
/// `start` runs on a thread with no thread pointer and every signal blocked: it must not use
/// thread-local storage, libc or `std` (only [`crate::sys`]), and `arg` must stay valid for
/// as long as `start` uses it.
pub unsafe fn try_newosproc0(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> Result<(), CreateError> {
    // SAFETY: forwarded to the caller.
    unsafe { spawn_raw(stack_size, start, arg) }.map(drop)
}

#[cfg(not(windows))]
/// [`try_newosproc0`], returning the kernel's result (Linux: the new thread's id).
///
/// # Safety
/// As for [`try_newosproc0`].
pub(crate) unsafe fn spawn_raw(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> Result<usize, CreateError> {
    let fail = |stage, errno| CreateError { stage, errno };
    let len = mapping_size(stack_size).ok_or(fail(CreateStage::Stack, Errno::ENOMEM))?;

    #[cfg(target_vendor = "apple")]
    darwin_register::ensure_registered().map_err(|e| fail(CreateStage::Register, e))?;

    // Stacks are read/write, never executable; the lowest GUARD_SIZE bytes are inaccessible so
    // an overflow faults instead of corrupting the neighbouring mapping.
    let base = raw::mmap_anonymous(len, k::PROT_READ | k::PROT_WRITE)
        .map_err(|e| fail(CreateStage::Stack, e))?;
    // SAFETY: the guard is the bottom of our own fresh mapping.
    if let Err(e) = unsafe { raw::mprotect(base, stack::GUARD_SIZE, k::PROT_NONE) } {
        // SAFETY: nothing uses the mapping yet.
        let _ = unsafe { raw::munmap(base, len) };
        return Err(fail(CreateStage::Stack, e));
    }
    let header = (base as usize + len - core::mem::size_of::<StackHeader>()) as *mut StackHeader;
    // SAFETY: the header is inside the read/write part of the mapping.
    unsafe {
        header.write(StackHeader {
            map_base: base as usize,
            map_len: len,
            stub_word: 0,
        })
    };

    // Block every signal in this thread only, so no handler runs on the new thread before it is
    // ready; the new thread inherits the mask. The C library's own signals stay open: the
    // calling thread is one libc knows, and musl's setuid waits for each such thread to take one.
    let old =
        raw::thread_sigmask(SigHow::SetMask, Some(SigSet::ALL_BUT_LIBC_RESERVED)).map_err(|e| {
            // SAFETY: the thread was never created, the mapping is ours.
            let _ = unsafe { raw::munmap(base, len) };
            fail(CreateStage::Create, e)
        })?;
    // SAFETY: the trampoline's contract (`arch/<triple>/syscall.S`): a header-topped stack and a
    // start routine; the thread runs `start(arg)`, then frees the mapping and ends.
    let r = unsafe { crate::stubs::raw_thread_create(start, arg, header) };
    let _ = raw::thread_sigmask(SigHow::SetMask, Some(old));

    match Errno::result(r) {
        Ok(tid) => Ok(tid),
        Err(e) => {
            // SAFETY: no thread runs on the stack.
            let _ = unsafe { raw::munmap(base, len) };
            Err(fail(CreateStage::Create, e))
        }
    }
}

#[cfg(not(windows))]
/// What [`newosproc0`] writes to fd 2 when the stack cannot be mapped.
const FAIL_ALLOCATE_STACK: &str = "rt0: failed to allocate stack for the new OS thread\n";
#[cfg(not(windows))]
/// What [`newosproc0`] writes to fd 2 when the thread cannot be created.
const FAIL_CREATE_THREAD: &str = "rt0: failed to create new OS thread\n";

#[cfg(not(windows))]
/// [`try_newosproc0`], or, as Go's `newosproc0` does, on failure write
/// `rt0: failed to allocate stack for the new OS thread` (the stack could not be mapped) or
/// `rt0: failed to create new OS thread` (the kernel refused) and a newline to fd 2 and end the
/// process with exit status 1.
///
/// # Safety
/// As for [`try_newosproc0`].
pub unsafe fn newosproc0(stack_size: usize, start: StartFn, arg: *mut c_void) {
    // SAFETY: forwarded to the caller.
    if let Err(e) = unsafe { try_newosproc0(stack_size, start, arg) } {
        let msg = match e.stage {
            CreateStage::Stack => FAIL_ALLOCATE_STACK,
            CreateStage::Register | CreateStage::Create => FAIL_CREATE_THREAD,
        };
        let _ = raw::write(2, msg.as_bytes());
        raw::exit_process(1);
    }
}

/// Runs `f` with the calling thread's signal mask set to `mask` (the C library's own signals
/// left as they are), then restores the mask it had, also when `f` panics. Threads that `f`
/// starts inherit `mask`: this is how an init, whose own thread blocks every asynchronous
/// signal, starts a thread that takes signals as the host's threads do (with
/// [`Library::host_signal_mask`](crate::Library::host_signal_mask)).
///
/// On a thread the C library knows (not a raw-creator init thread, where the kernel's call
/// [`crate::sys::thread_sigmask`] is the one to use).
#[cfg(not(windows))]
pub fn with_signal_mask<R>(mask: SigSet, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<SigSet>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(old) = self.0 {
                let _ = crate::sys::Host::thread_sigmask(SigHow::SetMask, old);
            }
        }
    }
    let _restore = Restore(crate::sys::Host::thread_sigmask(SigHow::SetMask, mask).ok());
    f()
}

/// Creates a detached pthread running `start(arg)` with a `stack_size`-byte stack, with every
/// signal (but the C library's own) blocked in the creator around the call, so the thread starts
/// with them blocked. Used by the entry of libraries made with the pthread creator; public only
/// so that ci/bench can time exactly what the entry does.
///
/// # Safety
/// `arg` must stay valid for as long as `start` uses it.
#[cfg(rt0_libc)]
#[doc(hidden)]
#[allow(clippy::unnecessary_cast)] // PTHREAD_STACK_MIN is usize on Linux, not on every libc
pub unsafe fn pthread_create_detached(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> Result<(), CreateError> {
    let fail = |stage, errno: i32| CreateError {
        stage,
        errno: Errno(errno),
    };
    // SAFETY: plain pthread calls on locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = core::mem::zeroed();
        let rc = libc::pthread_attr_init(&mut attr);
        if rc != 0 {
            return Err(fail(CreateStage::Create, rc));
        }
        // At least PTHREAD_STACK_MIN, or pthread_attr_setstacksize refuses with EINVAL: 128 KiB on
        // aarch64 glibc, so a 64 KiB request would fail init there.
        let size = mapping_size(stack_size)
            .map(|l| (l - stack::GUARD_SIZE).max(libc::PTHREAD_STACK_MIN as usize));
        let Some(size) = size else {
            libc::pthread_attr_destroy(&mut attr);
            return Err(fail(CreateStage::Stack, Errno::ENOMEM.0));
        };
        let rc = libc::pthread_attr_setstacksize(&mut attr, size);
        if rc != 0 {
            libc::pthread_attr_destroy(&mut attr);
            return Err(fail(CreateStage::Stack, rc));
        }
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        let old = crate::sys::Host::thread_sigmask(SigHow::SetMask, SigSet::ALL_BUT_LIBC_RESERVED);
        let mut thread: libc::pthread_t = core::mem::zeroed();
        // libc declares the routine as a safe fn; ours is unsafe only because of its contract,
        // which our caller upholds.
        let start: extern "C" fn(*mut c_void) -> *mut c_void = core::mem::transmute(start);
        let rc = libc::pthread_create(&mut thread, &attr, start, arg);
        if let Ok(old) = old {
            let _ = crate::sys::Host::thread_sigmask(SigHow::SetMask, old);
        }
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            // glibc reports a stack it cannot map as EAGAIN, like a thread limit: the message
            // names both causes.
            return Err(fail(CreateStage::Create, rc));
        }
        Ok(())
    }
}

/// Creates the init thread with `CreateThread` (the thread API every C runtime and the loader
/// know): a `stack_size`-byte reservation; the handle is closed at once (a detached thread).
/// While the loader lock is held (the entry runs in a TLS callback) the new thread does not run
/// yet: it starts once the load that created it has finished. The error number is
/// `GetLastError`'s.
///
/// # Safety
/// `arg` must stay valid for as long as `start` uses it.
#[cfg(windows)]
pub(crate) unsafe fn create_windows_thread(
    stack_size: usize,
    start: StartFn,
    arg: *mut c_void,
) -> Result<(), CreateError> {
    use crate::sys::windows::kernel32 as k32;
    // On x86_64 Windows `extern "C"` and `extern "system"` are one convention, and a pointer
    // returned in rax is a DWORD in eax: the same start routine serves both thread APIs.
    // SAFETY: identical ABI (above); the routine's contract is the caller's.
    let start: k32::ThreadStart = unsafe { core::mem::transmute(start) };
    let size = stack_size.max(stack::PAGE_SIZE);
    let mut tid = 0u32;
    // SAFETY: default security, a start routine and its argument, no creation flag but the
    // reservation meaning of the size.
    let handle = unsafe {
        k32::CreateThread(
            core::ptr::null_mut(),
            size,
            start,
            arg,
            k32::STACK_SIZE_PARAM_IS_A_RESERVATION,
            &mut tid,
        )
    };
    if handle.is_null() {
        // SAFETY: reads this thread's last-error value.
        let code = unsafe { k32::GetLastError() };
        return Err(CreateError {
            stage: CreateStage::Create,
            errno: Errno(code as i32),
        });
    }
    // SAFETY: our own handle, closed once; the thread runs on without it.
    unsafe { k32::CloseHandle(handle) };
    Ok(())
}
