//! libdispatch's counting semaphore, which Rust's std parks threads with on Apple platforms
//! (std's `thread::park` / `park_timeout`), and `dispatch_time` for its deadlines.
//!
//! Rules from apple-oss-distributions/libdispatch src/semaphore.c (dispatch_semaphore_create,
//! _signal, _wait and their slow paths) and src/time.c (dispatch_time). A semaphore is a small
//! object in libmalloc's arena (so it has a real address the program holds); its count lives
//! in the model, keyed by that address.

use std::collections::BTreeMap;

use unicorn_engine::Unicorn;

use super::failure::abort_with;
use super::malloc::{self, Heap};
use super::waits::{Waiting, Waits};
use crate::emulate::kernel::Kernel;

/// mach/kern_return.h: what a wait that timed out returns.
pub const KERN_OPERATION_TIMED_OUT: u64 = 49;
/// dispatch/time.h.
const DISPATCH_TIME_NOW: u64 = 0;
const DISPATCH_TIME_FOREVER: u64 = !0;

/// The model's semaphores: object address → count (libdispatch's dsema_value).
#[derive(Default)]
pub struct Semaphores {
    value: BTreeMap<u64, i64>,
}

impl Semaphores {
    /// dispatch_semaphore_create(value): NULL for a negative value (semaphore.c: "if (value <
    /// 0) return DISPATCH_BAD_INPUT"), else a new semaphore.
    pub fn create(
        &mut self,
        k: &mut Kernel,
        heap: &mut Heap,
        uc: &mut Unicorn<'_, ()>,
        a: [u64; 6],
    ) -> u64 {
        let value = a[0] as i64;
        if value < 0 {
            return 0;
        }
        let obj = malloc::malloc(k, heap, uc, 64);
        if obj != 0 {
            self.value.insert(obj, value);
        }
        obj
    }

    /// The count of the semaphore at `sem`, or a stop naming the bad object (libdispatch would
    /// crash on a pointer that is not a semaphore).
    fn count(&mut self, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, sem: u64) -> Option<&mut i64> {
        if !self.value.contains_key(&sem) {
            let msg =
                format!("{sem:#x} is not a dispatch semaphore dispatch_semaphore_create made");
            abort_with(k, uc, msg);
            return None;
        }
        self.value.get_mut(&sem)
    }

    /// dispatch_semaphore_signal(sem): the count goes up; if it was negative a waiter is woken
    /// (the first in line) and the call returns non-zero, else 0.
    pub fn signal(
        &mut self,
        k: &mut Kernel,
        w: &mut Waits,
        uc: &mut Unicorn<'_, ()>,
        a: [u64; 6],
    ) -> Option<u64> {
        let sem = a[0];
        let value = self.count(k, uc, sem)?;
        *value += 1;
        if *value > 0 {
            return Some(0);
        }
        if let Some(&(i, _)) = w.find(|x| x == Waiting::Semaphore { sem }).first() {
            w.wake(k, i, 0);
        }
        Some(1)
    }

    /// dispatch_semaphore_wait(sem, timeout): the count goes down; if it stays >= 0 the call
    /// returns 0 at once. Otherwise the thread waits for a signal (returning 0) until
    /// `timeout`, a dispatch_time value: DISPATCH_TIME_NOW gives up at once and
    /// DISPATCH_TIME_FOREVER never; on giving up the decrement is undone and the call returns
    /// KERN_OPERATION_TIMED_OUT.
    pub fn wait(
        &mut self,
        k: &mut Kernel,
        w: &mut Waits,
        uc: &mut Unicorn<'_, ()>,
        a: [u64; 6],
    ) -> Option<u64> {
        let (sem, timeout) = (a[0], a[1]);
        let value = self.count(k, uc, sem)?;
        *value -= 1;
        if *value >= 0 {
            return Some(0);
        }
        if timeout == DISPATCH_TIME_NOW {
            *value += 1;
            return Some(KERN_OPERATION_TIMED_OUT);
        }
        let deadline = (timeout != DISPATCH_TIME_FOREVER).then_some(timeout);
        w.block(k, uc, Waiting::Semaphore { sem }, deadline);
        None
    }

    /// A wait on `sem` timed out: undo its decrement (semaphore.c
    /// _dispatch_semaphore_wait_slow).
    pub fn undo_wait(&mut self, sem: u64) {
        if let Some(v) = self.value.get_mut(&sem) {
            *v += 1;
        }
    }
}

/// dispatch_time(when, delta): a deadline in the model's mach absolute time, which is the
/// virtual clock in nanoseconds (a timebase of 1/1, as on Intel Macs). DISPATCH_TIME_NOW + delta
/// is the clock + delta; FOREVER stays FOREVER; a negative result clamps to 1 (time.c).
pub fn time(k: &Kernel, a: [u64; 6]) -> u64 {
    let (when, delta) = (a[0], a[1] as i64);
    if when == DISPATCH_TIME_FOREVER {
        return DISPATCH_TIME_FOREVER;
    }
    let base = if when == DISPATCH_TIME_NOW {
        k.clock
    } else {
        when
    };
    // A time past i64::MAX saturates there, short of FOREVER.
    let t = (base as i64).saturating_add(delta);
    t.max(1) as u64
}
