//! Threads blocked in libSystem: in pthread_join, on a mutex, on a condition variable, on a
//! dispatch semaphore. The kernel only keeps them off the CPU ([`Wait::Userspace`]); what each
//! waits for, and so how its call returns, is kept here by thread index, so the first waiter is
//! the lowest index (the order the model hands mutexes over and wakes waiters in).

use std::collections::BTreeMap;

use unicorn_engine::Unicorn;

use crate::emulate::kernel::{Kernel, Pending, Wait};

/// What a thread waits for in libSystem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Waiting {
    /// pthread_join of the thread whose pthread_t is `pthread`: 0 when it has exited, its
    /// value stored at `out` (when not NULL).
    Join { pthread: u64, out: u64 },
    /// pthread_mutex_lock (or a condition wait taking its mutex back) of `mutex`: once the
    /// mutex is handed over the thread holds it `count` times and its call returns `ret`.
    Mutex { mutex: u64, ret: u64, count: u64 },
    /// pthread_cond_wait on `cond`, having given up `mutex`, which it held `count` times: takes
    /// it back, then 0; ETIMEDOUT after a deadline.
    Cond { cond: u64, mutex: u64, count: u64 },
    /// dispatch_semaphore_wait on `sem`: 0 when signaled; on timeout the wait's decrement is
    /// undone and it returns KERN_OPERATION_TIMED_OUT.
    Semaphore { sem: u64 },
}

impl Waiting {
    /// The object waited on, as the kernel names the wait.
    fn object(self) -> u64 {
        match self {
            Waiting::Join { pthread, .. } => pthread,
            Waiting::Mutex { mutex, .. } => mutex,
            Waiting::Cond { cond, .. } => cond,
            Waiting::Semaphore { sem } => sem,
        }
    }
}

/// The waiting threads, by kernel thread index.
#[derive(Default)]
pub struct Waits(BTreeMap<usize, Waiting>);

impl Waits {
    /// The running thread waits for `w` until `deadline` (virtual ns).
    pub fn block(
        &mut self,
        k: &mut Kernel,
        uc: &mut Unicorn<'_, ()>,
        w: Waiting,
        deadline: Option<u64>,
    ) {
        self.0.insert(k.cur, w);
        k.block(uc, Wait::Userspace { object: w.object() }, deadline);
    }

    /// Thread `i`, not running, waits for `w` with no deadline.
    pub fn block_thread(&mut self, k: &mut Kernel, i: usize, w: Waiting) {
        self.0.insert(i, w);
        k.block_thread(i, Wait::Userspace { object: w.object() }, None);
    }

    /// Thread `i` stops waiting and runs again, its call returning `value`.
    pub fn wake(&mut self, k: &mut Kernel, i: usize, value: u64) {
        self.0.remove(&i);
        k.resume(i, Pending::C(value));
    }

    /// Thread `i` stops waiting (its deadline passed): what it waited for.
    pub fn end(&mut self, i: usize) -> Option<Waiting> {
        self.0.remove(&i)
    }

    /// The threads whose wait `pick` selects, lowest index first.
    pub fn find(&self, pick: impl Fn(Waiting) -> bool) -> Vec<(usize, Waiting)> {
        let hits = self.0.iter().filter(|(_, w)| pick(**w));
        hits.map(|(i, w)| (*i, *w)).collect()
    }
}
