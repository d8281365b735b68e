//! Windows: the calls rt0 makes go to kernel32 (and the Synchronization API set), never to the
//! kernel itself, whose system-call numbers change with every Windows build
//! (`[syscall] kind = "none"` in `arch/x86_64-pc-windows-gnu/abi.toml`). Everything here works
//! on any thread, needs no C runtime and allocates nothing: the entry calls it from a TLS
//! callback, with the loader lock held and before the C runtime of its image has started.

use super::Errno;
use core::ffi::c_void;
use core::sync::atomic::AtomicU32;

/// The kernel32 functions rt0 uses (declared here: rt0 depends on no bindings crate).
#[allow(non_snake_case, clippy::upper_case_acronyms)]
pub(crate) mod kernel32 {
    use core::ffi::c_void;

    pub(crate) type HANDLE = *mut c_void;
    pub(crate) type BOOL = i32;
    pub(crate) type ThreadStart = unsafe extern "system" fn(*mut c_void) -> u32;

    pub(crate) const STD_INPUT_HANDLE: u32 = -10i32 as u32;
    pub(crate) const STD_OUTPUT_HANDLE: u32 = -11i32 as u32;
    pub(crate) const STD_ERROR_HANDLE: u32 = -12i32 as u32;
    pub(crate) const INFINITE: u32 = u32::MAX;
    /// CreateThread: the stack size is the reservation, not the first commit.
    pub(crate) const STACK_SIZE_PARAM_IS_A_RESERVATION: u32 = 0x0001_0000;

    #[link(name = "kernel32")]
    extern "system" {
        pub(crate) fn GetStdHandle(which: u32) -> HANDLE;
        pub(crate) fn WriteFile(
            file: HANDLE,
            buf: *const u8,
            len: u32,
            written: *mut u32,
            overlapped: *mut c_void,
        ) -> BOOL;
        pub(crate) fn GetLastError() -> u32;
        pub(crate) fn GetCurrentThreadId() -> u32;
        pub(crate) fn GetCurrentProcessId() -> u32;
        pub(crate) fn GetCurrentProcess() -> HANDLE;
        pub(crate) fn TerminateProcess(process: HANDLE, code: u32) -> BOOL;
        pub(crate) fn QueryPerformanceCounter(count: *mut i64) -> BOOL;
        pub(crate) fn QueryPerformanceFrequency(freq: *mut i64) -> BOOL;
        pub(crate) fn Sleep(ms: u32);
        pub(crate) fn CreateThread(
            attributes: *mut c_void,
            stack_size: usize,
            start: ThreadStart,
            arg: *mut c_void,
            flags: u32,
            thread_id: *mut u32,
        ) -> HANDLE;
        pub(crate) fn CloseHandle(handle: HANDLE) -> BOOL;
        pub(crate) fn GetCommandLineW() -> *const u16;
        pub(crate) fn GetEnvironmentStringsW() -> *mut u16;
        pub(crate) fn FreeEnvironmentStringsW(block: *mut u16) -> BOOL;
        pub(crate) fn GetProcessHeap() -> HANDLE;
        pub(crate) fn HeapAlloc(heap: HANDLE, flags: u32, bytes: usize) -> *mut c_void;
        pub(crate) fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut HANDLE)
            -> BOOL;
        pub(crate) fn GetModuleHandleW(name: *const u16) -> HANDLE;
        pub(crate) fn GetProcAddress(module: HANDLE, name: *const core::ffi::c_char)
            -> *mut c_void;
        pub(crate) fn GetCurrentThread() -> HANDLE;
    }

    // WaitOnAddress / WakeByAddressAll (Windows 8+; Wine has them): the API set
    // api-ms-win-core-synch-l1-2-0, whose import library is Synchronization.lib
    // (libsynchronization.a in MinGW-w64).
    #[link(name = "synchronization")]
    extern "system" {
        pub(crate) fn WaitOnAddress(
            address: *const c_void,
            compare: *const c_void,
            size: usize,
            ms: u32,
        ) -> BOOL;
        pub(crate) fn WakeByAddressAll(address: *const c_void);
    }
}

use kernel32 as k32;

/// Writes `buf` to the standard handle `fd` names (0, 1, 2: input, output, error).
pub(crate) fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    let which = match fd {
        0 => k32::STD_INPUT_HANDLE,
        1 => k32::STD_OUTPUT_HANDLE,
        2 => k32::STD_ERROR_HANDLE,
        _ => return Err(Errno::EINVAL),
    };
    // SAFETY: GetStdHandle only reads the process parameters.
    let handle = unsafe { k32::GetStdHandle(which) };
    if handle.is_null() || handle as isize == -1 {
        return Err(Errno::EINVAL);
    }
    let mut written = 0u32;
    let len = buf.len().min(u32::MAX as usize) as u32;
    // SAFETY: `buf` is readable for `len` bytes and `written` is writable; no overlapped I/O.
    let ok = unsafe {
        k32::WriteFile(
            handle,
            buf.as_ptr(),
            len,
            &mut written,
            core::ptr::null_mut(),
        )
    };
    if ok == 0 {
        // SAFETY: reads this thread's last-error value.
        return Err(Errno(unsafe { k32::GetLastError() } as i32));
    }
    Ok(written as usize)
}

/// Ends the process at once with `status` (`TerminateProcess` of the current process: no DLL
/// detach routine and no atexit handler of the host runs, as `exit_group` on Linux).
pub(crate) fn exit_process(status: i32) -> ! {
    // SAFETY: terminating the own process is always allowed.
    unsafe { k32::TerminateProcess(k32::GetCurrentProcess(), status as u32) };
    // TerminateProcess of the own process does not return; if it ever did, stop here.
    loop {
        core::hint::spin_loop();
    }
}

/// `GetCurrentThreadId`.
pub(crate) fn thread_id() -> u64 {
    // SAFETY: no arguments, cannot fail.
    unsafe { k32::GetCurrentThreadId() as u64 }
}

/// `GetCurrentProcessId`.
pub(crate) fn process_id() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { k32::GetCurrentProcessId() }
}

/// `WaitOnAddress(word, expected, timeout)`: `None` = no limit; microseconds round up to
/// whole milliseconds (its unit).
pub(crate) fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: Option<u32>) {
    let ms = match timeout_us {
        None => k32::INFINITE,
        Some(us) => us.div_ceil(1000),
    };
    // SAFETY: both addresses are valid 4-byte words for the call's duration.
    unsafe {
        k32::WaitOnAddress(
            word.as_ptr() as *const c_void,
            &expected as *const u32 as *const c_void,
            4,
            ms,
        )
    };
}

/// Names the calling thread with `SetThreadDescription` (Windows 10 1607 and later, Wine 5.0
/// and later), found at run time so that older systems load the library too; at most 63
/// characters, from UTF-8 (bytes that are not ASCII become `?`: crate names are ASCII).
pub(crate) fn name_current_thread(name: &str) {
    let kernel32: [u16; 13] = [
        b'k' as u16,
        b'e' as u16,
        b'r' as u16,
        b'n' as u16,
        b'e' as u16,
        b'l' as u16,
        b'3' as u16,
        b'2' as u16,
        b'.' as u16,
        b'd' as u16,
        b'l' as u16,
        b'l' as u16,
        0,
    ];
    // SAFETY: a NUL-terminated module name; kernel32 is mapped into every process.
    let module = unsafe { k32::GetModuleHandleW(kernel32.as_ptr()) };
    if module.is_null() {
        return;
    }
    // SAFETY: a NUL-terminated export name looked up in a loaded module.
    let set = unsafe { k32::GetProcAddress(module, c"SetThreadDescription".as_ptr()) };
    if set.is_null() {
        return;
    }
    // SAFETY: `HRESULT WINAPI SetThreadDescription(HANDLE, PCWSTR)`, as kernel32 exports it.
    let set: unsafe extern "system" fn(k32::HANDLE, *const u16) -> i32 =
        unsafe { core::mem::transmute(set) };
    let mut wide = [0u16; 64];
    for (slot, &b) in wide.iter_mut().zip(name.as_bytes().iter().take(63)) {
        *slot = if b.is_ascii() {
            u16::from(b)
        } else {
            u16::from(b'?')
        };
    }
    // SAFETY: the current-thread pseudo handle and a NUL-terminated wide string.
    unsafe { set(k32::GetCurrentThread(), wide.as_ptr()) };
}

/// `WakeByAddressAll(word)`.
pub(crate) fn wake_all(word: &AtomicU32) {
    // SAFETY: only the address is used.
    unsafe { k32::WakeByAddressAll(word.as_ptr() as *const c_void) }
}

/// `Sleep(ms)`.
pub(crate) fn sleep_ms(ms: u32) {
    // SAFETY: plain sleep; a value of INFINITE is clipped to the longest finite one.
    unsafe { k32::Sleep(ms.min(k32::INFINITE - 1)) }
}

/// Nanoseconds from `QueryPerformanceCounter` (monotonic, never fails on Windows XP or later).
pub(crate) fn monotonic_ns() -> u64 {
    let (mut count, mut freq) = (0i64, 0i64);
    // SAFETY: both out-pointers are writable.
    unsafe {
        k32::QueryPerformanceCounter(&mut count);
        k32::QueryPerformanceFrequency(&mut freq);
    }
    if freq <= 0 {
        return 0;
    }
    (count as u128 * 1_000_000_000 / freq as u128) as u64
}

/// The host-thread calls: on Windows every thread is the same kind, so these are the calls above.
pub(crate) struct Host;

impl Host {
    pub(crate) fn thread_id() -> u64 {
        thread_id()
    }

    pub(crate) fn process_id() -> u32 {
        process_id()
    }

    pub(crate) fn wait_on_address(word: &AtomicU32, expected: u32, timeout_us: Option<u32>) {
        wait_on_address(word, expected, timeout_us)
    }
}
