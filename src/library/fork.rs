//! Recognising a fork child: a process whose memory says init is running, but which has no
//! init thread (fork copies only the calling thread).
//!
//! Several marks, because each alone can be fooled:
//! - the process id saved at the entry: a child has another one, except in a new PID
//!   namespace, where a child or grandchild may get the very number (container entrypoints
//!   run as pid 1, and `unshare --pid --fork` makes a pid-1 parent too);
//! - with the C library (Linux), a fork generation: a `pthread_atfork` child handler, registered
//!   once by the first entry of this copy of rt0, counts the forks the process descends from;
//!   the entry saves the count, and a different count means the caller is in a child. It does
//!   not see a fork that bypasses the C library's handlers (glibc's `_Fork`, a raw `clone`);
//! - Linux: a page mapped by this copy of rt0 with `MADV_WIPEONFORK`, holding a non-zero word:
//!   the kernel gives every child (however it was forked) that page zeroed. Linux 4.14 and
//!   later; an older kernel (or qemu-user, which ignores the advice) leaves the word as it was,
//!   and the other marks remain;
//! - Linux: the init thread itself, once its id is known: `tgkill(pid, init_tid, 0)` answers
//!   ESRCH in a child, where that thread does not exist (see `Head::cannot_wait`).
//!
//! darwin has no PID namespaces, so there the process id alone is exact: a descendant cannot
//! take the number of a process that is still alive.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// How many forks this process descends from since the first entry registered the handler.
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// The word in the wipe-on-fork page (null: no such page, or the kernel refused the advice).
static WIPE_WORD: AtomicPtr<AtomicU32> = AtomicPtr::new(core::ptr::null_mut());

/// The last value this process wrote into the wipe-on-fork word: 1 in the process that mapped
/// the page, one more in each child that re-armed it (see [`marks_at_entry`]).
static WIPE_TOKEN: AtomicU32 = AtomicU32::new(0);

/// What an entry saw, to compare with later (see [`forked_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Marks {
    /// The fork generation.
    pub(super) generation: u32,
    /// The wipe-on-fork word (0: there is no such page).
    pub(super) wipe_word: u32,
}

/// The fork marks now, registering the child handler and mapping the wipe-on-fork page on the
/// first call. Called by the entry on the loading thread.
///
/// An entry that runs in a fork child (a library first loaded there) finds the word zeroed:
/// it re-arms it with a value of its own, so that its own children are recognised, while a
/// library whose entry ran in the parent still sees a value other than the one it saved.
pub(super) fn marks_at_entry() -> Marks {
    #[cfg(all(rt0_libc, target_os = "linux"))]
    register_once();
    #[cfg(target_os = "linux")]
    map_wipe_page_once();
    let word = WIPE_WORD.load(Ordering::Acquire);
    if !word.is_null() {
        // SAFETY: a word of a page mapped for the life of the process (never unmapped).
        let word = unsafe { &*word };
        let token = WIPE_TOKEN.load(Ordering::Acquire).wrapping_add(1).max(1);
        if word
            .compare_exchange(0, token, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            WIPE_TOKEN.store(token, Ordering::Release);
        }
    }
    Marks {
        generation: GENERATION.load(Ordering::Acquire),
        wipe_word: wipe_word(),
    }
}

/// Whether the caller is in a process forked since the entry that saw `at_entry`.
/// Raw calls only (atomic loads): safe on a raw init thread.
pub(super) fn forked_since(at_entry: Marks) -> bool {
    GENERATION.load(Ordering::Acquire) != at_entry.generation || wipe_word() != at_entry.wipe_word
}

fn wipe_word() -> u32 {
    let word = WIPE_WORD.load(Ordering::Acquire);
    if word.is_null() {
        return 0;
    }
    // SAFETY: a word of a page mapped for the life of the process (never unmapped).
    unsafe { &*word }.load(Ordering::Acquire)
}

/// Maps the wipe-on-fork page once per copy of rt0 (a page, for the life of the process).
#[cfg(target_os = "linux")]
fn map_wipe_page_once() {
    use crate::abi::{constants as k, nr};
    use crate::sys::{Arg, Nr};
    // 0: not yet, 1: being mapped (racing entries wait: each must see the page), 2: done.
    static STATE: AtomicU32 = AtomicU32::new(0);
    if let Err(state) = STATE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire) {
        let mut state = state;
        while state != 2 {
            core::hint::spin_loop();
            state = STATE.load(Ordering::Acquire);
        }
        return;
    }
    let page = crate::abi::stack::PAGE_SIZE;
    if let Ok(base) = crate::sys::raw::map_memory(page) {
        // SAFETY: advice on our own fresh mapping; only its contents in a child change.
        let advised = unsafe {
            crate::sys::raw::syscall3(
                Nr(nr::MADVISE),
                Arg(base as usize),
                Arg(page),
                Arg(k::MADV_WIPEONFORK),
            )
        };
        if advised.is_ok() {
            // The word starts at 0; `marks_at_entry` arms it.
            WIPE_WORD.store(base.cast::<AtomicU32>(), Ordering::Release);
        }
    }
    STATE.store(2, Ordering::Release);
}

#[cfg(all(rt0_libc, target_os = "linux"))]
fn register_once() {
    use core::sync::atomic::AtomicBool;
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if REGISTERED.swap(true, Ordering::AcqRel) {
        return;
    }
    // Runs in the child right after fork, on its only thread: one atomic add is all it does
    // (async-signal-safe, as a child handler of a multithreaded parent must be).
    extern "C" fn child() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // SAFETY: registers a handler whose code stays mapped (the image is pinned for the life of
    // the process, or is the program itself). Libraries commonly register from a constructor;
    // it takes only the C library's fork-handler lock, never the loader's.
    let failed = unsafe { libc::pthread_atfork(None, None, Some(child)) } != 0;
    if failed {
        // Out of memory: the other marks remain.
        REGISTERED.store(false, Ordering::Release);
    }
}
