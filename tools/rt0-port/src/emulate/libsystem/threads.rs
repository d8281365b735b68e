//! What libSystem keeps about each thread (libpthread's and dyld's per-thread state), by the
//! kernel's thread index.

use std::collections::BTreeMap;

/// One thread's.
#[derive(Default)]
pub struct PerThread {
    /// The functions it called, by name.
    pub libcalls: BTreeMap<String, u64>,
    /// Its copy of the image's thread-local variables, made at its first access (DYLD
    /// tlv_allocate_and_initialize_for_key).
    pub tlv_block: Option<u64>,
    /// Thread-local destructors `_tlv_atexit` registered, (function, object), oldest first.
    pub tlv_dtors: Vec<(u64, u64)>,
    /// While the thread exits: the destructor lists being run, innermost last.
    pub tlv_finalizing: Vec<Vec<(u64, u64)>>,
    /// What the thread exits with (its start routine's return), set when it starts exiting.
    pub exit_value: Option<u64>,
    /// Created detached, detached, or joined already: nobody may join it.
    pub detached: bool,
    /// The stack as pthread_get_stackaddr_np / _stacksize_np report it: (top, size); (0, 0)
    /// where the model does not know it.
    pub stack: (u64, u64),
}

/// Every thread's, by kernel thread index.
#[derive(Default)]
pub struct Threads(Vec<PerThread>);

impl Threads {
    /// Thread `i`'s (a thread libSystem has not seen yet starts with nothing).
    pub fn get(&mut self, i: usize) -> &mut PerThread {
        if self.0.len() <= i {
            self.0.resize_with(i + 1, PerThread::default);
        }
        &mut self.0[i]
    }

    /// Thread `i`'s, if libSystem has seen it.
    pub fn seen(&self, i: usize) -> Option<&PerThread> {
        self.0.get(i)
    }
}
