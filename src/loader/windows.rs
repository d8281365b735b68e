//! Windows: the init thread's reference to its own module, and the loader lock.
//!
//! **The reference.** The entry (in a TLS callback, on the loading thread) takes a reference to
//! the module that holds the library (`GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
//! &record)`, which adds one to its load count) and hands it to the init thread, which ends with
//! `FreeLibraryAndExitThread(module, 0)`: kernel32 drops the reference and ends the thread
//! without returning into the image it may just have unmapped. So a host's `FreeLibrary` during
//! init returns at once, the DLL stays mapped until init has finished, and then goes. A library
//! linked into the program itself is never unloaded: no reference, and the thread just returns.
//!
//! **The loader lock.** TLS callbacks and `DllMain` run with the loader lock held, and a thread
//! created meanwhile does not start running until the lock is free (it must call every DLL's
//! `DLL_THREAD_ATTACH` first). A thread holding the lock that waited for init would therefore
//! wait for good. The lock is the PEB's `LoaderLock`, an `RTL_CRITICAL_SECTION` whose
//! `OwningThread` holds its owner's thread id; the offsets are the description's (`[constants]`
//! `teb_self_offset`, `teb_peb_offset`, `peb_loader_lock_offset`,
//! `critical_section_owning_thread_offset`, with their sources in `abi.toml`).

use crate::abi::constants as k;
use crate::library::Head;
use crate::sys::windows::kernel32 as k32;
use core::sync::atomic::Ordering;

// The TEB's address is read at gs:[0x30] below, a literal the assembler needs: it must be the
// description's.
const _: () = assert!(k::TEB_SELF_OFFSET == 0x30);

/// Takes the init thread's reference to the module holding `head` (none for the program).
pub(crate) fn pin(head: &Head) {
    let address = head as *const Head as *const u16;
    let mut module: k32::HANDLE = core::ptr::null_mut();
    let found = k::GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS as u32
        | k::GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT as u32;
    // SAFETY: an address inside this image; `module` is writable; no reference is taken.
    if unsafe { k32::GetModuleHandleExW(found, address, &mut module) } == 0 {
        crate::trace::loader(
            head,
            "pin: the loader does not know this image; not pinned",
            None,
        );
        return;
    }
    // SAFETY: a NULL name asks for the program's own module.
    if module == unsafe { k32::GetModuleHandleW(core::ptr::null()) } {
        crate::trace::loader(head, "pin: linked into the program, never unloaded", None);
        return;
    }
    let flags = k::GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS as u32;
    // SAFETY: as above, now adding one to the module's load count.
    if unsafe { k32::GetModuleHandleExW(flags, address, &mut module) } == 0 {
        crate::trace::loader(head, "pin: GetModuleHandleExW failed; not pinned", None);
        return;
    }
    head.loader.handle.store(module as usize, Ordering::Release);
    crate::trace::loader(
        head,
        "pin: module referenced until the init thread ends (FreeLibraryAndExitThread)",
        None,
    );
}

/// Drops the reference when no init thread was made.
pub(crate) fn unpin(head: &Head) {
    let module = head.loader.handle.swap(0, Ordering::AcqRel);
    if module != 0 {
        // SAFETY: our own reference, dropped once; the loader still holds its own (the load in
        // progress), so nothing is unmapped here.
        unsafe { k32::FreeLibrary(module as k32::HANDLE) };
    }
}

/// The init thread's last step: `FreeLibraryAndExitThread` with its reference, which never
/// returns into this image; returns (and the thread returns normally) only when there is no
/// reference (the program's own image).
pub(crate) fn exit_init_thread(head: &Head) {
    let module = head.loader.handle.swap(0, Ordering::AcqRel);
    if module != 0 {
        // SAFETY: the reference the entry took for this thread; after this call no code of the
        // image runs on this thread.
        unsafe { k32::FreeLibraryAndExitThread(module as k32::HANDLE, 0) }
    }
}

/// Whether the calling thread holds the loader lock (it is in a TLS callback or a `DllMain`).
pub(crate) fn lock_held_by_current_thread(_: &Head) -> bool {
    let teb: usize;
    // SAFETY: gs:[0x30] is the calling thread's TEB (NT_TIB.Self) on every x64 Windows thread.
    unsafe {
        core::arch::asm!("mov {}, gs:[0x30]", out(reg) teb, options(nostack, readonly, preserves_flags))
    };
    let word = |at: usize| {
        // SAFETY: TEB, PEB and the loader's critical section are mapped for the process's life
        // and pointer-aligned; other threads change these words, so they are read as atomics
        // (Relaxed: only the owner's equality to this thread matters, which this thread wrote).
        unsafe {
            core::sync::atomic::AtomicUsize::from_ptr(at as *mut usize).load(Ordering::Relaxed)
        }
    };
    if teb == 0 {
        return false;
    }
    let peb = word(teb + k::TEB_PEB_OFFSET);
    if peb == 0 {
        return false;
    }
    let lock = word(peb + k::PEB_LOADER_LOCK_OFFSET);
    if lock == 0 {
        return false;
    }
    let owner = word(lock + k::CRITICAL_SECTION_OWNING_THREAD_OFFSET);
    owner != 0 && owner as u64 == crate::sys::thread_id()
}
