//! A kernel thread: its registers, signal mask, and why it is not running. What user space keeps
//! per thread (libpthread's and dyld's state) is the layer above's, not here.

use unicorn_engine::Context;

/// Why a thread is not running.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Run {
    Runnable,
    /// Off the CPU until `on` ends or `deadline` (virtual ns) passes.
    Blocked {
        on: Wait,
        deadline: Option<u64>,
    },
    Exited,
}

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wait {
    /// __ulock_wait while the u32 at `addr` is unchanged (the value was checked when it
    /// blocked): the kernel's own wait, ended by __ulock_wake or the deadline.
    Ulock { addr: u64, returns: Returns },
    /// A wait the layer above owns, on its object at `object` (for messages): the kernel keeps
    /// the thread off the CPU until that layer resumes it ([`super::Kernel::resume`]) or the
    /// deadline passes ([`super::Userspace::timed_out`]).
    Userspace { object: u64 },
}

impl Wait {
    /// The address the thread waits on.
    pub fn addr(self) -> u64 {
        match self {
            Wait::Ulock { addr, .. } => addr,
            Wait::Userspace { object } => object,
        }
    }
}

/// How a blocked __ulock_wait returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Returns {
    /// As a raw trap: the carry-flag convention.
    Syscall,
    /// Through libsyscall's C wrapper (XNU libsyscall, cerror): the value, or -1 with errno in
    /// the thread's errno slot; `no_errno` (ULF_NO_ERRNO) makes it -errno instead.
    Libsyscall { no_errno: bool },
}

/// A value to deliver when a thread next runs.
#[derive(Clone, Copy, Debug)]
pub enum Pending {
    Sys(Result<(u64, u64), u64>),
    /// In the C return register.
    C(u64),
    /// -1 in the C return register, errno in the thread's errno slot.
    CErr(u64),
}

pub struct Thread {
    pub idx: usize,
    pub tid: u64,
    pub ctx: Option<Context>,
    pub init_regs: Vec<(String, u64)>,
    pub run: Run,
    pub pending: Option<Pending>,
    /// uu_sigmask (XNU bsd/sys/user.h struct uthread).
    pub sigmask: u32,
    /// The user-space thread object the thread was made with (bsdthread_create's `pthread`, or
    /// what pthread_create allocated); 0 when none.
    pub pthread: u64,
    /// The thread's TSD page (thread_set_tsd_base); its first word is errno.
    pub errno_slot: u64,
    /// Report facts.
    pub created_by: Option<usize>,
    pub via: &'static str,
    pub entry: u64,
    pub start_mask: u32,
    /// For bsdthreads: the stack the creator passed and the header {base,len} found there.
    pub raw_stack: Option<(u64, u64, u64)>,
    /// bsdthread_terminate's (stackaddr, freesize, port).
    pub terminated_with: Option<(u64, u64, u64)>,
    /// bsdthreads: the name of the send right to the thread's own port that bsdthread_create
    /// copied out to the task (LP _bsdthread_create th_thport); 0 for other threads. It stays
    /// in the task's port space until the thread gives it back to bsdthread_terminate (which
    /// mach_port_deallocates it): see [`kport_state`].
    pub kport: u64,
    /// A pc set from inside a trap, applied when the thread next runs.
    pub redirect: Option<u64>,
}

/// What became of a bsdthread's port (see [`Thread::kport`]), for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KportState {
    /// Not a bsdthread: its port is libpthread's or exec's business.
    NotTracked,
    /// The thread has not terminated: its port is still in use.
    Live,
    /// Given back to bsdthread_terminate: the kernel deallocated it.
    Released,
    /// The thread terminated with port 0: the send right stays in the task's port space for
    /// the rest of the process (a leak, one name per thread).
    Leaked,
    /// The thread terminated with another name: its own leaks, and the kernel deallocated a
    /// right the program may still use.
    Wrong(u64),
}

/// What became of thread `t`'s port.
pub fn kport_state(t: &Thread) -> KportState {
    if t.kport == 0 {
        return KportState::NotTracked;
    }
    match t.terminated_with {
        None => KportState::Live,
        Some((_, _, p)) if p == t.kport => KportState::Released,
        Some((_, _, 0)) => KportState::Leaked,
        Some((_, _, p)) => KportState::Wrong(p),
    }
}
