//! Recognising a fork child: a process whose memory says init is running, but which has no
//! init thread (fork copies only the calling thread).
//!
//! Two marks, because either alone can be fooled:
//! - the process id saved at the entry: a child has another one, except in a new PID
//!   namespace, where a child or grandchild may get the very number (container entrypoints
//!   run as pid 1, and `unshare --pid --fork` makes a pid-1 parent too);
//! - with the C library (Linux), a fork generation: a `pthread_atfork` child handler, registered
//!   once by the first entry of this copy of rt0, counts the forks the process descends from;
//!   the entry saves the count, and a different count means the caller is in a child. This
//!   holds whatever the ids (a raw `fork` system call that bypasses the C library is the one
//!   fork it cannot see; the pid still catches it outside a PID namespace).
//!
//! darwin has no PID namespaces, so there the process id alone is exact: a descendant cannot
//! take the number of a process that is still alive.

use core::sync::atomic::{AtomicU32, Ordering};

/// How many forks this process descends from since the first entry registered the handler.
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// The fork generation now, registering the child handler on the first call (Linux with the
/// C library; elsewhere always 0). Called by the entry on the loading thread.
pub(super) fn generation_at_entry() -> u32 {
    #[cfg(all(rt0_libc, target_os = "linux"))]
    register_once();
    GENERATION.load(Ordering::Acquire)
}

/// Whether the caller is in a process forked since the entry that saw `generation`.
/// Raw calls only (an atomic load): safe on a raw init thread.
pub(super) fn forked_since(generation: u32) -> bool {
    GENERATION.load(Ordering::Acquire) != generation
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
        // Out of memory: the process id remains the only mark.
        REGISTERED.store(false, Ordering::Release);
    }
}
