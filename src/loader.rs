//! Living inside the dynamic loader's rules: keeping the image mapped while rt0 code can run,
//! and recognising a caller that holds the loader's lock.
//!
//! **Pinning.** `dlclose` must never unmap a library while any thread can still run its code
//! (golang/go#11100), and it must never wait for that thread either: glibc runs destructors
//! with its loader lock held, and init needs the same lock for its first `thread_local!` with a
//! destructor (`__cxa_thread_atexit_impl`), a `dlopen`, or a lazily bound call. "Can still run
//! its code" lasts longer than init: after the init thread's last Rust frame returns, glibc's
//! `start_thread` still calls the pthread-key destructors std registered (`thread::current()`,
//! `mpsc`, `thread::park` and `thread::scope` all make one), and their code is in the image.
//! No hook of glibc runs after those, so there is no later point from which the image could be
//! released safely. So the entry pins its own image for the life of the process, as .NET's
//! NativeAOT libraries do: `dlopen(self, RTLD_NOLOAD | RTLD_NODELETE)`. A host's `dlclose`
//! returns at once, during init or after, and the library stays mapped (its memory is the
//! price: about the image's size, once). A library linked into the program itself is never
//! unloaded: nothing to pin. Built without the `libc` feature, rt0 finds the C library's
//! `dlopen` itself (see `loader/nolibc/`).
//!
//! **The loader's lock.** A thread that runs a library constructor (or destructor) holds
//! glibc's loader lock; if it waits for an init that needs that lock, the process hangs. On
//! glibc, rt0 recognises such a caller: the loader's locks are recursive pthread mutexes inside
//! ld.so's `_rtld_global`, and a mutex records its owner's thread id, so a waiter looks for a
//! recursive mutex there owned by itself (see [`lock_held_by_current_thread`]). Elsewhere (musl,
//! darwin) no such check exists; neither runs `thread_local!` registration under a lock init
//! could need, and docs/reliability.md says what remains.
//!
//! **Windows** (`loader/windows.rs`): the module is pinned the same way
//! (`GET_MODULE_HANDLE_EX_FLAG_PIN`); the loader lock is the PEB's, whose owner is compared
//! with the calling thread.

#[cfg(target_os = "linux")]
use crate::args::Args;
#[cfg(any(rt0_libc, all(not(target_os = "linux"), not(windows))))]
use crate::trace::Tracer;
use core::sync::atomic::AtomicUsize;
#[cfg(not(windows))]
use core::sync::atomic::Ordering;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{lock_held_by_current_thread, pin};

/// What this module keeps for one library (in its `Head`): nothing on Windows. The pin itself
/// is a reference to the image that is never given back, so no handle is kept.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) struct LoaderState {
    /// glibc: where ld.so's `_rtld_global` is, and its size (0: unknown).
    rtld_global: AtomicUsize,
    rtld_global_size: AtomicUsize,
}

impl LoaderState {
    pub(crate) const fn new() -> LoaderState {
        LoaderState {
            rtld_global: AtomicUsize::new(0),
            rtld_global_size: AtomicUsize::new(0),
        }
    }
}

#[cfg(rt0_libc)]
mod with_libc {
    use super::*;
    use crate::trace;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    use core::ffi::c_int;
    use core::ffi::c_void;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    use core::ffi::CStr;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    extern "C" {
        /// glibc: `dladdr` with extra information (here, the symbol's ELF entry for its size).
        fn dladdr1(
            addr: *const c_void,
            info: *mut libc::Dl_info,
            extra: *mut *mut c_void,
            flags: c_int,
        ) -> c_int;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    const RTLD_DL_SYMENT: c_int = 1;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn symbol(name: &CStr) -> usize {
        // SAFETY: a lookup by name in the global scope.
        unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) as usize }
    }

    /// Whether the object at `base` is the program itself (never unloaded).
    fn is_program(base: *mut c_void) -> bool {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: AT_PHDR is the program's own program headers; dladdr only reads.
            let phdr = unsafe { libc::getauxval(libc::AT_PHDR) } as *const c_void;
            // SAFETY: a plain C struct, for which all zeroes is a valid value.
            let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
            // SAFETY: `info` is writable.
            unsafe { libc::dladdr(phdr, &mut info) != 0 && info.dli_fbase == base }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = base;
            false
        }
    }

    pub(crate) fn pin(state: &LoaderState, tracer: &Tracer) {
        // SAFETY: a plain C struct, for which all zeroes is a valid value.
        let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
        // SAFETY: `state` is in this image's data (its library's static); dladdr only reads.
        if unsafe { libc::dladdr(state as *const LoaderState as *const c_void, &mut info) } == 0
            || info.dli_fname.is_null()
        {
            trace::loader(
                tracer,
                "pin: the loader does not know this image; not pinned",
                None,
            );
            return;
        }
        locate_rtld_global(state);
        if is_program(info.dli_fbase) {
            trace::loader(tracer, "pin: linked into the program, never unloaded", None);
            return;
        }
        let flags = libc::RTLD_LAZY | libc::RTLD_NOLOAD | libc::RTLD_NODELETE;
        // SAFETY: the name is the loaded image's own; RTLD_NOLOAD never loads anything.
        let handle = unsafe { libc::dlopen(info.dli_fname, flags) };
        if handle.is_null() {
            trace::loader(
                tracer,
                "pin: dlopen(RTLD_NOLOAD) of this image failed; not pinned",
                None,
            );
            return;
        }
        trace::loader(
            tracer,
            "pin: image pinned for the life of the process (RTLD_NODELETE)",
            None,
        );
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub(crate) fn binds_lazily(state: &LoaderState, env: &Args) -> bool {
        let bind_now = env.env("LD_BIND_NOW");
        if bind_now.is_some_and(|v| !v.to_bytes().is_empty()) {
            return false;
        }
        /// An ELF64 dynamic-section entry (`Elf64_Dyn`).
        #[repr(C)]
        struct Dyn {
            tag: i64,
            val: u64,
        }
        struct Search {
            addr: usize,
            lazy: Option<bool>,
        }
        unsafe extern "C" fn visit(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            data: *mut c_void,
        ) -> c_int {
            // SAFETY: glibc passes a valid info record; `data` is our Search.
            let (info, search) = unsafe { (&*info, &mut *(data as *mut Search)) };
            let base = info.dlpi_addr as usize;
            // SAFETY: dlpi_phdr points at dlpi_phnum program headers.
            let phdrs =
                unsafe { core::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
            let holds = phdrs.iter().any(|p| {
                let start = base.wrapping_add(p.p_vaddr as usize);
                p.p_type == libc::PT_LOAD
                    && (start..start.wrapping_add(p.p_memsz as usize)).contains(&search.addr)
            });
            if !holds {
                return 0;
            }
            let mut lazy = false;
            if let Some(dynamic) = phdrs.iter().find(|p| p.p_type == libc::PT_DYNAMIC) {
                let mut entry = base.wrapping_add(dynamic.p_vaddr as usize) as *const Dyn;
                let (mut plt, mut now) = (false, false);
                loop {
                    // SAFETY: the dynamic section is a DT_NULL-terminated array in the image.
                    let d = unsafe { &*entry };
                    match d.tag as u64 {
                        0 => break,                             // DT_NULL
                        23 => plt = true,                       // DT_JMPREL
                        24 => now = true,                       // DT_BIND_NOW
                        30 => now |= d.val & 0x8 != 0,          // DT_FLAGS: DF_BIND_NOW
                        0x6fff_fffb => now |= d.val & 0x1 != 0, // DT_FLAGS_1: DF_1_NOW
                        _ => {}
                    }
                    // SAFETY: not past DT_NULL yet.
                    entry = unsafe { entry.add(1) };
                }
                lazy = plt && !now;
            }
            search.lazy = Some(lazy);
            1
        }
        let mut search = Search {
            addr: state as *const LoaderState as usize,
            lazy: None,
        };
        // SAFETY: the callback only reads the program headers glibc hands it.
        unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
        search.lazy.unwrap_or(false)
    }

    /// glibc: finds ld.so's `_rtld_global` once, on the loading thread.
    fn locate_rtld_global(state: &LoaderState) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let addr = symbol(c"_rtld_global");
            if addr == 0 {
                return;
            }
            // SAFETY: a plain C struct, for which all zeroes is a valid value.
            let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
            let mut sym: *mut c_void = core::ptr::null_mut();
            // SAFETY: both out-pointers are writable; RTLD_DL_SYMENT gives an ElfW(Sym) pointer.
            let ok = unsafe { dladdr1(addr as *const c_void, &mut info, &mut sym, RTLD_DL_SYMENT) };
            if ok == 0 || sym.is_null() {
                return;
            }
            // SAFETY: the symbol table entry the loader gave us.
            let size = unsafe { (*(sym as *const libc::Elf64_Sym)).st_size } as usize;
            state.rtld_global_size.store(size, Ordering::Relaxed);
            state.rtld_global.store(addr, Ordering::Release);
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        let _ = state;
    }
}

#[cfg(rt0_libc)]
pub(crate) use with_libc::pin;

/// Whether the image holding `state` binds its calls lazily (glibc): it has a PLT
/// (`DT_JMPREL`) but neither `DT_BIND_NOW`, `DF_BIND_NOW` nor `DF_1_NOW`, and `LD_BIND_NOW` is
/// not set in `env`. A call through an unresolved slot enters glibc's lazy resolver, which reads the
/// thread pointer: fatal on a raw thread. Without the C library, rt0 reads its own dynamic
/// section (`loader/nolibc/`); with musl's, false (musl binds everything at load).
#[cfg(target_os = "linux")]
pub(crate) fn image_binds_lazily(state: &LoaderState, env: &Args) -> bool {
    #[cfg(all(rt0_libc, target_env = "gnu"))]
    return with_libc::binds_lazily(state, env);
    #[cfg(not(rt0_libc))]
    return nolibc::binds_lazily(state, env);
    #[cfg(all(rt0_libc, not(target_env = "gnu")))]
    {
        let _ = (state, env);
        false
    }
}

/// Whether a library whose init starts later than its load (`first_call`, `explicit`) pins its
/// image then, from whichever thread starts init: through the C library's `dlopen` or Windows'
/// `GetModuleHandleExW`, which take the loader's lock themselves. Without the C library on Linux
/// the pin walks the loader's lists unlocked, which only the loading thread (inside the loader,
/// holding its lock) may do, so it pins at load.
pub(crate) const PIN_WHEN_INIT_STARTS: bool = cfg!(any(rt0_libc, windows));

#[cfg(all(not(rt0_libc), target_os = "linux"))]
mod nolibc;
#[cfg(all(not(rt0_libc), target_os = "linux"))]
pub(crate) use nolibc::pin;

/// darwin without the C library: no loader to ask (libSystem is the only way to dyld), so the
/// image is not pinned; docs/reliability.md says what that means for a dlopened raw library.
#[cfg(all(not(rt0_libc), not(target_os = "linux"), not(windows)))]
pub(crate) fn pin(_: &LoaderState, tracer: &Tracer) {
    crate::trace::loader(
        tracer,
        "pin: built without libc on darwin; the image is not pinned",
        None,
    );
}

/// Whether the calling thread holds one of glibc's dynamic-loader locks (it is inside a
/// `dlopen`/`dlclose`, running a constructor or destructor).
///
/// The loader's locks are recursive `pthread_mutex_t`s inside ld.so's `_rtld_global`. glibc's
/// mutex begins `int lock; unsigned count; int owner; unsigned nusers; int kind` on every 64-bit
/// Linux port, and a held recursive mutex has a non-zero lock word, a count of at least one and
/// its owner's thread id. A word-aligned match of all of these, with this thread as owner, means
/// this thread holds such a lock. Elsewhere (and if `_rtld_global` cannot be found) this says
/// false.
#[cfg(not(windows))]
pub(crate) fn lock_held_by_current_thread(state: &LoaderState) -> bool {
    let base = state.rtld_global.load(Ordering::Acquire);
    let size = state.rtld_global_size.load(Ordering::Relaxed);
    if base == 0 || size < 20 || cfg!(not(target_pointer_width = "64")) {
        return false;
    }
    let me = crate::sys::thread_id() as i32;
    const RECURSIVE: i32 = 1; // PTHREAD_MUTEX_RECURSIVE_NP
    (0..=size - 20).step_by(8).any(|off| {
        // SAFETY: inside the `_rtld_global` object the loader reported, 8-aligned (the object
        // is, and so is `off`); the loader's threads change these words, so they are read as
        // atomics (Relaxed: only a match with this thread's own id matters, and that word
        // was written by this thread).
        let word = |at: usize| unsafe {
            core::sync::atomic::AtomicI32::from_ptr((base + off + at) as *mut i32)
                .load(Ordering::Relaxed)
        };
        word(8) == me && word(0) != 0 && word(4) >= 1 && word(16) & 0x7f == RECURSIVE
    })
}
