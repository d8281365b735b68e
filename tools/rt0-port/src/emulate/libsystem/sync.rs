//! libpthread's mutexes and condition variables (LP src/pthread_mutex.c, src/pthread_cond.c),
//! as Rust's std uses them on Apple platforms (`std::sync::Mutex` / `Condvar` are pthread
//! objects there).
//!
//! The objects keep their state in their own memory, in this model's layout (the real
//! libpthread's is private): a mutex {sig u64, type u32, _, owner tid u64, lock count u64}, a
//! mutexattr {sig u64, type u32}, a condition variable {sig u64}. Static initializers
//! (PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER) are recognised by their signatures and
//! initialised at first use, as libpthread does. A thread that cannot take a mutex, or waits on
//! a condition variable, blocks in the scheduler; unlocking hands the mutex to the first waiter
//! in thread order, so a deadlock shows as one (every thread blocked, status 125).

use unicorn_engine::Unicorn;

use super::failure::fault;
use super::waits::{Waiting, Waits};
use crate::emulate::kernel::{Kernel, EINVAL};
use crate::emulate::machine::memory::{read_u32, read_u64};

/// Signatures (LP src/internal.h and pthread/pthread_impl.h).
const MUTEX_SIG: u64 = 0x4D55_5458; // 'MUTX'
const MUTEX_SIG_INIT: u64 = 0x32AA_ABA7; // PTHREAD_MUTEX_INITIALIZER
const MUTEXATTR_SIG: u64 = 0x4D55_5441; // 'MUTA'
const COND_SIG: u64 = 0x434F_4E44; // 'COND'
const COND_SIG_INIT: u64 = 0x3CB0_B1BB; // PTHREAD_COND_INITIALIZER
/// Mutex types (pthread.h).
const NORMAL: u32 = 0;
const ERRORCHECK: u32 = 1;
const RECURSIVE: u32 = 2;
/// errno values (XNU bsd/sys/errno.h).
const EPERM: u64 = 1;
const EDEADLK: u64 = 11;
const EBUSY: u64 = 16;

/// A mutex's state as this model keeps it in the object.
struct Mutex {
    kind: u32,
    owner: u64,
    count: u64,
}

fn write_words(uc: &mut Unicorn<'_, ()>, addr: u64, words: &[u64]) -> bool {
    let b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    uc.mem_write(addr, &b).is_ok()
}

/// The mutex at `m` (a static initializer becomes a NORMAL mutex); Err(errno) if `m` is not one.
fn load(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, m: u64) -> Result<Mutex, u64> {
    match read_u64(uc, m) {
        None => {
            fault(k, uc, m);
            Err(EINVAL)
        }
        Some(MUTEX_SIG_INIT) => Ok(Mutex {
            kind: NORMAL,
            owner: 0,
            count: 0,
        }),
        Some(MUTEX_SIG) => Ok(Mutex {
            kind: read_u32(uc, m + 8).unwrap_or(NORMAL),
            owner: read_u64(uc, m + 16).unwrap_or(0),
            count: read_u64(uc, m + 24).unwrap_or(0),
        }),
        Some(_) => Err(EINVAL),
    }
}

fn store(uc: &mut Unicorn<'_, ()>, m: u64, s: &Mutex) {
    write_words(uc, m, &[MUTEX_SIG, s.kind as u64, s.owner, s.count]);
}

/// pthread_mutexattr_init: a NORMAL (PTHREAD_MUTEX_DEFAULT) attribute.
pub fn mutexattr_init(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if !write_words(uc, a[0], &[MUTEXATTR_SIG, NORMAL as u64]) {
        fault(k, uc, a[0]);
    }
    0
}

/// pthread_mutexattr_settype: NORMAL, ERRORCHECK or RECURSIVE, else EINVAL.
pub fn mutexattr_settype(uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if read_u64(uc, a[0]) != Some(MUTEXATTR_SIG) || a[1] > RECURSIVE as u64 {
        return EINVAL;
    }
    let _ = uc.mem_write(a[0] + 8, &a[1].to_le_bytes());
    0
}

/// pthread_mutexattr_destroy: EINVAL unless an initialised attribute, which it invalidates.
pub fn mutexattr_destroy(uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    if read_u64(uc, a[0]) != Some(MUTEXATTR_SIG) {
        return EINVAL;
    }
    let _ = uc.mem_write(a[0], &0u64.to_le_bytes());
    0
}

/// pthread_mutex_init(m, attr): an unlocked mutex of the attribute's type (NORMAL without one).
pub fn mutex_init(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let kind = if a[1] == 0 {
        NORMAL
    } else if read_u64(uc, a[1]) == Some(MUTEXATTR_SIG) {
        read_u32(uc, a[1] + 8).unwrap_or(NORMAL)
    } else {
        return EINVAL;
    };
    if !write_words(uc, a[0], &[MUTEX_SIG, kind as u64, 0, 0]) {
        fault(k, uc, a[0]);
    }
    0
}

/// pthread_mutex_lock(m): 0 once the caller owns it. A RECURSIVE mutex the caller owns counts
/// once more; an ERRORCHECK one is EDEADLK; a NORMAL one deadlocks, as libpthread's does.
/// `None` while the caller waits.
pub fn mutex_lock(
    k: &mut Kernel,
    w: &mut Waits,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
) -> Option<u64> {
    let m = a[0];
    let me = k.cur().tid;
    let mut s = match load(k, uc, m) {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    if s.owner == 0 {
        s.owner = me;
        s.count = 1;
        store(uc, m, &s);
        return Some(0);
    }
    if s.owner == me && s.kind == RECURSIVE {
        s.count += 1;
        store(uc, m, &s);
        return Some(0);
    }
    if s.owner == me && s.kind == ERRORCHECK {
        return Some(EDEADLK);
    }
    // A static initializer is stored as the mutex it became before anyone waits on it.
    store(uc, m, &s);
    let wait = Waiting::Mutex {
        mutex: m,
        ret: 0,
        count: 1,
    };
    w.block(k, uc, wait, None);
    None
}

/// pthread_mutex_trylock(m): 0 when taken (or counted again, RECURSIVE), else EBUSY.
pub fn mutex_trylock(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let me = k.cur().tid;
    let mut s = match load(k, uc, a[0]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if s.owner == 0 || (s.owner == me && s.kind == RECURSIVE) {
        s.owner = me;
        s.count += 1;
        store(uc, a[0], &s);
        return 0;
    }
    EBUSY
}

/// pthread_mutex_unlock(m): EPERM when an ERRORCHECK or RECURSIVE mutex is not the caller's;
/// otherwise one count less, and at zero the mutex goes to the first thread waiting for it.
pub fn mutex_unlock(k: &mut Kernel, w: &mut Waits, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let me = k.cur().tid;
    let mut s = match load(k, uc, a[0]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if s.owner != me && s.kind != NORMAL {
        return EPERM;
    }
    s.count = s.count.saturating_sub(1);
    if s.count == 0 {
        s.owner = 0;
    }
    store(uc, a[0], &s);
    if s.count == 0 {
        hand_over(k, w, uc, a[0]);
    }
    0
}

/// Mutex `m` is free: the first thread waiting for it takes it.
fn hand_over(k: &mut Kernel, w: &mut Waits, uc: &mut Unicorn<'_, ()>, m: u64) {
    let waiters = w.find(|x| matches!(x, Waiting::Mutex { mutex, .. } if mutex == m));
    if let Some(&(i, Waiting::Mutex { ret, count, .. })) = waiters.first() {
        acquire(k, w, uc, i, m, count, ret);
    }
}

/// Thread `i` (not the one running) takes mutex `m`, holding it `count` times, and runs again
/// with its call returning `ret`; while another thread owns `m` it waits for it instead.
pub fn acquire(
    k: &mut Kernel,
    w: &mut Waits,
    uc: &mut Unicorn<'_, ()>,
    i: usize,
    m: u64,
    count: u64,
    ret: u64,
) {
    match load(k, uc, m) {
        Err(e) => w.wake(k, i, e),
        Ok(mut s) if s.owner == 0 => {
            s.owner = k.threads[i].tid;
            s.count = count;
            store(uc, m, &s);
            w.wake(k, i, ret);
        }
        Ok(_) => {
            let wait = Waiting::Mutex {
                mutex: m,
                ret,
                count,
            };
            w.block_thread(k, i, wait);
        }
    }
}

/// pthread_mutex_destroy(m): EBUSY while locked, else the mutex is invalidated.
pub fn mutex_destroy(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    match load(k, uc, a[0]) {
        Err(e) => e,
        Ok(s) if s.owner != 0 => EBUSY,
        Ok(_) => {
            let _ = uc.mem_write(a[0], &0u64.to_le_bytes());
            0
        }
    }
}

/// Checks the condition variable at `c` (initialising a static one): Err(errno) if not one.
fn cond(k: &mut Kernel, uc: &mut Unicorn<'_, ()>, c: u64) -> Result<(), u64> {
    match read_u64(uc, c) {
        None => {
            fault(k, uc, c);
            Err(EINVAL)
        }
        Some(COND_SIG) => Ok(()),
        Some(COND_SIG_INIT) => {
            let _ = uc.mem_write(c, &COND_SIG.to_le_bytes());
            Ok(())
        }
        Some(_) => Err(EINVAL),
    }
}

/// pthread_cond_wait(c, m) and pthread_cond_timedwait_relative_np(c, m, &timespec): the caller
/// must own `m` (EPERM otherwise, for the types that track an owner); it gives `m` up, waits for
/// a signal or the relative timeout, takes `m` back, and returns 0 or ETIMEDOUT.
pub fn cond_wait(
    k: &mut Kernel,
    w: &mut Waits,
    uc: &mut Unicorn<'_, ()>,
    a: [u64; 6],
    relative: Option<u64>,
) -> Option<u64> {
    let (c, m) = (a[0], a[1]);
    if let Err(e) = cond(k, uc, c) {
        return Some(e);
    }
    let deadline = match relative {
        None => None,
        Some(ts) => {
            let (Some(sec), Some(nsec)) = (read_u64(uc, ts), read_u64(uc, ts + 8)) else {
                fault(k, uc, ts);
                return None;
            };
            if nsec >= 1_000_000_000 {
                return Some(EINVAL);
            }
            Some(
                k.clock
                    .saturating_add(sec.saturating_mul(1_000_000_000) + nsec),
            )
        }
    };
    let me = k.cur().tid;
    let mut s = match load(k, uc, m) {
        Ok(s) => s,
        Err(e) => return Some(e),
    };
    if s.owner != me {
        return Some(EPERM);
    }
    // Give the mutex up entirely (a recursive count comes back with it).
    let count = s.count;
    s.owner = 0;
    s.count = 0;
    store(uc, m, &s);
    hand_over(k, w, uc, m);
    let wait = Waiting::Cond {
        cond: c,
        mutex: m,
        count,
    };
    w.block(k, uc, wait, deadline);
    None
}

/// pthread_cond_signal(c): the first waiter in thread order stops waiting and queues for its
/// mutex.
pub fn cond_signal(k: &mut Kernel, w: &mut Waits, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let c = a[0];
    if let Err(e) = cond(k, uc, c) {
        return e;
    }
    let waiters = w.find(|x| matches!(x, Waiting::Cond { cond, .. } if cond == c));
    if let Some(&(i, Waiting::Cond { mutex, count, .. })) = waiters.first() {
        acquire(k, w, uc, i, mutex, count, 0);
    }
    0
}
