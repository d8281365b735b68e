//! Windows: pinning the library's module, and the loader lock.
//!
//! **The pin.** The entry (in a TLS callback, on the loading thread) pins the module that holds
//! the library: `GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN |
//! GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, &record)` keeps it loaded until the process ends,
//! whatever `FreeLibrary` calls follow, as the entries on Linux and darwin pin theirs. A
//! reference held only while init ran (`FreeLibraryAndExitThread` at its end) is not enough:
//! init may leave threads behind (a timer, a runtime's workers) whose code is in the module,
//! and a host that `FreeLibrary`s the DLL after init would unmap it under them. A library linked
//! into the program itself is never unloaded: nothing to pin.
//!
//! **The loader lock.** TLS callbacks and `DllMain` run with the loader lock held, and a thread
//! created meanwhile does not start running until the lock is free (it must call every DLL's
//! `DLL_THREAD_ATTACH` first). A thread holding the lock that waited for init would therefore
//! wait for good. The lock is the PEB's `LoaderLock`, an `RTL_CRITICAL_SECTION` whose
//! `OwningThread` holds its owner's thread id; the offsets are the description's (`[constants]`
//! `teb_self_offset`, `teb_peb_offset`, `peb_loader_lock_offset`,
//! `critical_section_owning_thread_offset`, with their sources in `abi.toml`).

use super::LoaderState;
use crate::abi::constants as k;
use crate::sys::windows::kernel32 as k32;
use crate::trace::Tracer;
use core::sync::atomic::Ordering;

// The TEB's address is read at gs:[0x30] below, a literal the assembler needs: it must be the
// description's.
const _: () = assert!(k::TEB_SELF_OFFSET == 0x30);

/// Pins the module holding `state` (its library's static) for the life of the process
/// (nothing for the program).
pub(crate) fn pin(state: &LoaderState, tracer: &Tracer) {
    let address = state as *const LoaderState as *const u16;
    let mut module: k32::HANDLE = core::ptr::null_mut();
    let found = k::GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS as u32
        | k::GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT as u32;
    // SAFETY: an address inside this image; `module` is writable; no reference is taken.
    if unsafe { k32::GetModuleHandleExW(found, address, &mut module) } == 0 {
        crate::trace::loader(
            tracer,
            "pin: the loader does not know this image; not pinned",
            None,
        );
        return;
    }
    // SAFETY: a NULL name asks for the program's own module.
    if module == unsafe { k32::GetModuleHandleW(core::ptr::null()) } {
        crate::trace::loader(tracer, "pin: linked into the program, never unloaded", None);
        return;
    }
    let pin =
        k::GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS as u32 | k::GET_MODULE_HANDLE_EX_FLAG_PIN as u32;
    // SAFETY: as above, now pinning the module.
    if unsafe { k32::GetModuleHandleExW(pin, address, &mut module) } != 0 {
        crate::trace::loader(
            tracer,
            "pin: module pinned for the life of the process",
            None,
        );
        return;
    }
    // A loader that refuses the pin still counts references: take one and never give it back.
    let reference = k::GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS as u32;
    // SAFETY: as above, adding one to the module's load count.
    if unsafe { k32::GetModuleHandleExW(reference, address, &mut module) } != 0 {
        crate::trace::loader(
            tracer,
            "pin: GET_MODULE_HANDLE_EX_FLAG_PIN refused; a reference that is never dropped keeps the module loaded",
            None,
        );
        return;
    }
    crate::trace::loader(tracer, "pin: GetModuleHandleExW failed; not pinned", None);
}

/// Whether the calling thread holds the loader lock (it is in a TLS callback or a `DllMain`).
pub(crate) fn lock_held_by_current_thread(_: &LoaderState) -> bool {
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
