//! The emulated process: its threads (registers, signal mask, why each is not running), virtual
//! clock, address-space allocator, run options and what the run reports. The syscalls
//! (`xnu`), libSystem (`libsystem`) and the scheduler (`run`, `scheduler`) act on this state.
//! Every rule names its source in apple-oss-distributions/xnu (XNU), /libpthread (LP) or
//! /dyld (DYLD).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use unicorn_engine::{Context, MemType, Unicorn};

use crate::description::Description;
use crate::emulate::cpu::Cpu;
use crate::emulate::libsystem::dispatch::Semaphores;
use crate::emulate::libsystem::malloc::Heap;
use crate::emulate::memory::{round_up, MMAP_BASE, TSD_BASE, UNICORN_GRANULE};
use crate::emulate::stubs::StubMap;

/// Exit status when the emulator (not the program) stops the run: an unmodeled syscall or
/// libSystem function, an unresolved import, a deadlock.
pub const STATUS_EMULATOR_STOP: i32 = 125;
/// Exit status when a conformance check fails.
pub const STATUS_CONFORMANCE: i32 = 124;

/// The emulated process's id (any fixed value: there is one process).
pub const PID: u64 = 4242;

/// Signals (XNU bsd/sys/signal.h).
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGKILL: u32 = 9;
pub const SIGBUS: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGSTOP: u32 = 17;

/// errno values (XNU bsd/sys/errno.h).
pub const ENOENT: u64 = 2;
pub const EBADF: u64 = 9;
pub const ENOMEM: u64 = 12;
pub const EFAULT: u64 = 14;
pub const EINVAL: u64 = 22;
pub const ESRCH: u64 = 3;
pub const ETIMEDOUT: u64 = 60;

/// Run options.
#[derive(Clone)]
pub struct Options {
    /// The emulated CPU.
    pub cpu: Cpu,
    /// No libSystem bsdthread_register before the initializers (rt0's raw path registers).
    pub raw: bool,
    /// Start bsdthreads with rsp/sp = stack - 128, as libpthread <= 330 kernels did.
    pub legacy_stack: bool,
    /// Instructions per time slice.
    pub quantum: u64,
    /// argv (argv[0] first).
    pub argv: Vec<String>,
    /// envp.
    pub envp: Vec<String>,
    /// mmap calls asking for more than this many bytes fail with ENOMEM.
    pub fail_mmap_over: Option<u64>,
    /// Print every syscall and libSystem call on stderr.
    pub trace: bool,
    /// Bind unknown imports to a stub that stops the run only when called.
    pub lazy_imports: bool,
    /// The register description checked at every trap.
    pub desc: Option<Description>,
    /// Where to write the run report (threads, masks, syscall counts).
    pub report: Option<std::path::PathBuf>,
    /// After a thread create, the creator keeps the CPU (default: the new thread runs first).
    pub parent_first: bool,
    /// With a seed, each slice runs a pseudo-random 1..=quantum instructions (xorshift64*),
    /// so different seeds interleave threads differently, reproducibly.
    pub seed: Option<u64>,
    /// Process-directed signals to send: (signal, virtual ns).
    pub signals: Vec<(u32, u64)>,
}

/// Why a thread is not running.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Run {
    Runnable,
    /// __ulock_wait: blocked while the u32 at `addr` is unchanged (the value was checked when it
    /// blocked); `deadline` in virtual ns.
    Blocked {
        addr: u64,
        deadline: Option<u64>,
        how: Ret,
    },
    Exited,
}

/// What a blocked thread waits for, and so how its call returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ret {
    /// __ulock_wait as a raw trap: carry-flag convention.
    Sys,
    /// __ulock_wait through libSystem's wrapper: C return value; `no_errno` selects -errno
    /// over -1.
    C { no_errno: bool },
    /// dispatch_semaphore_wait on the semaphore at `addr`: 0 when signaled; on timeout the
    /// wait's decrement is undone and it returns KERN_OPERATION_TIMED_OUT.
    Semaphore,
    /// pthread_join of the thread whose pthread_t is `addr`: 0 when it has exited, its value
    /// stored at `out` (when not NULL).
    Join { out: u64 },
    /// pthread_mutex_lock (or a condition wait taking its mutex back) of the mutex at `addr`:
    /// once the mutex is handed over the thread holds it `count` times and its call returns
    /// `ret`.
    Mutex { ret: u64, count: u64 },
    /// pthread_cond_wait on the condition variable at `addr`, having given up `mutex`, which it
    /// held `count` times: takes it back, then 0; ETIMEDOUT after a deadline.
    Cond { mutex: u64, count: u64 },
}

/// A value to deliver when a thread next runs.
#[derive(Clone, Copy, Debug)]
pub enum Pending {
    Sys(Result<(u64, u64), u64>),
    C(u64),
    /// -1 with errno in the thread's errno slot.
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
    pub pthread: u64,
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
    /// libSystem calls this thread made, by name.
    pub libcalls: BTreeMap<String, u64>,
    /// A pc set from inside a trap, applied when the thread next runs.
    pub redirect: Option<u64>,
    /// This thread's copy of the image's thread-local variables, made at its first access
    /// (DYLD tlv_allocate_and_initialize_for_key).
    pub tlv_block: Option<u64>,
    /// Thread-local destructors `_tlv_atexit` registered, (function, object), oldest first.
    pub tlv_dtors: Vec<(u64, u64)>,
    /// While the thread exits: the destructor lists being run, innermost last.
    pub tlv_finalizing: Vec<Vec<(u64, u64)>>,
    /// What the thread exits with (the start routine's return or pthread_exit's argument), set
    /// when it starts exiting: its destructors run, then it is [`Run::Exited`].
    pub exit_value: Option<u64>,
    /// Created detached, detached, or joined already: nobody may join it.
    pub detached: bool,
    /// The stack as pthread_get_stackaddr_np / _stacksize_np report it: (top, size); (0, 0)
    /// where the model does not know it.
    pub stack: (u64, u64),
}

/// Why emu_start returned.
#[derive(Debug, Clone)]
pub enum Stop {
    /// Re-pick a thread (block, exit of a thread, create, yield).
    Switch,
    /// The process exits with this status.
    Exit(i32),
    /// The process dies of a signal.
    Signal(i32, String),
    /// The emulator cannot go on.
    Fatal(i32, String),
}

pub struct State {
    pub cpu: Cpu,
    /// vm_page_size of the emulated machine.
    pub page: u64,
    pub opts: Options,
    /// What a thread's thread-local block starts as (the image's, see loader::ThreadLocals).
    pub tlv_template: Vec<u8>,
    pub threads: Vec<Thread>,
    pub cur: usize,
    pub clock: u64,
    pub stop: Option<Stop>,
    /// The last memory fault the CPU reported, for the signal it becomes.
    pub fault: Option<(MemType, u64)>,
    /// proc_get_threadstart (LP kern_support.c _bsdthread_register): 0 until registered.
    pub threadstart: u64,
    pub registered: bool,
    pub mmap_next: u64,
    /// The libSystem trap stubs: which address stands for which function.
    pub stubs: StubMap,
    pub dyld: Dyld,
    pub syscalls: BTreeMap<u64, u64>,
    pub libcalls: BTreeMap<String, u64>,
    pub report: Vec<String>,
    pub next_tid: u64,
    pub tsd_next: u64,
    /// The stop was only to apply a pc change: resume the same thread (not a scheduling point).
    pub resume_same: bool,
    pub rng: Option<u64>,
    /// Signals not yet sent, and signals sent that every thread blocks.
    pub pending_signals: Vec<(u32, u64)>,
    pub blocked_signals: Vec<u32>,
    /// proc_get_stack_addr_hint (LP kern_support.c): set by every bsdthread_register that gets
    /// past its argument checks, refused or not; 0 until then.
    pub stack_addr_hint: u64,
    /// How many times bsdthread_register set it.
    pub stack_addr_hint_sets: u32,
    /// The kernel's random() for stack_addr_hint (a fixed-seed xorshift: runs are reproducible).
    pub kernel_random: u64,
    /// libmalloc's arena.
    pub heap: Heap,
    /// libdispatch's semaphores.
    pub semaphores: Semaphores,
}

/// dyld's progress through initializers and main (DYLD dyld/dyldMain.cpp start →
/// prepare → runAllInitializersForMain → main).
pub struct Dyld {
    pub initializers: Vec<u64>,
    pub next: usize,
    pub main: u64,
    pub args: [u64; 5],
    pub stack_top: u64,
    pub in_main: bool,
    /// The executable as dladdr/dlopen report it: its Mach header, the end of its last segment,
    /// and the address of its path (argv[0]'s string).
    pub image_header: u64,
    pub image_end: u64,
    pub image_path: u64,
    /// dlopen references to the executable taken through `dlopen` (dyld's per-image count).
    pub dlopen_refs: u64,
    /// Some dlopen of the executable passed RTLD_NODELETE: dyld marks the image never-unload.
    pub nodelete: bool,
}

pub type Shared = Rc<RefCell<State>>;

impl State {
    /// The state of a process about to exec: no threads yet, the clock at 0.
    pub fn new(cpu: Cpu, opts: Options, stubs: StubMap, dyld: Dyld) -> State {
        State {
            cpu,
            page: cpu.page_size(),
            tlv_template: Vec::new(),
            threads: Vec::new(),
            cur: 0,
            clock: 0,
            stop: None,
            fault: None,
            threadstart: 0,
            registered: false,
            mmap_next: MMAP_BASE,
            stubs,
            dyld,
            syscalls: BTreeMap::new(),
            libcalls: BTreeMap::new(),
            report: Vec::new(),
            next_tid: 0x2a0b1,
            tsd_next: TSD_BASE,
            resume_same: false,
            rng: opts.seed.map(|s| s | 1),
            pending_signals: opts.signals.clone(),
            blocked_signals: Vec::new(),
            stack_addr_hint: 0,
            stack_addr_hint_sets: 0,
            kernel_random: 0x9e37_79b9_7f4a_7c15,
            heap: Heap::default(),
            semaphores: Semaphores::default(),
            opts,
        }
    }

    pub fn trace(&self, msg: impl AsRef<str>) {
        if self.opts.trace {
            eprintln!("[emu t{} @{}ns] {}", self.cur + 1, self.clock, msg.as_ref());
        }
    }

    pub fn cur(&mut self) -> &mut Thread {
        let c = self.cur;
        &mut self.threads[c]
    }

    pub fn fatal(&mut self, uc: &mut Unicorn<'_, ()>, status: i32, msg: String) {
        self.stop = Some(Stop::Fatal(status, msg));
        let _ = uc.emu_stop();
    }

    pub fn switch(&mut self, uc: &mut Unicorn<'_, ()>) {
        if self.stop.is_none() {
            self.stop = Some(Stop::Switch);
        }
        let _ = uc.emu_stop();
    }

    /// A new thread record (the kernel's thread_create + uthread_init).
    pub fn new_thread(
        &mut self,
        via: &'static str,
        entry: u64,
        sigmask: u32,
        regs: Vec<(String, u64)>,
    ) -> usize {
        let idx = self.threads.len();
        let tid = self.next_tid;
        self.next_tid += 1;
        let tsd = self.tsd_next;
        self.tsd_next += UNICORN_GRANULE;
        self.threads.push(Thread {
            idx,
            tid,
            ctx: None,
            init_regs: regs,
            run: Run::Runnable,
            pending: None,
            sigmask,
            pthread: 0,
            errno_slot: tsd,
            created_by: if idx == 0 { None } else { Some(self.cur) },
            via,
            entry,
            start_mask: sigmask,
            raw_stack: None,
            terminated_with: None,
            kport: 0,
            libcalls: BTreeMap::new(),
            redirect: None,
            tlv_block: None,
            tlv_dtors: Vec::new(),
            tlv_finalizing: Vec::new(),
            exit_value: None,
            detached: false,
            stack: (0, 0),
        });
        idx
    }

    /// Allocate address space for an anonymous mapping (XNU bsd/kern/kern_mman.c mmap with
    /// VM_FLAGS_ANYWHERE: the model hands out fresh, never reused, page-aligned ranges).
    pub fn alloc_va(&mut self, len: u64) -> u64 {
        let a = self.mmap_next;
        self.mmap_next += round_up(len, self.page) + self.page; // one unmapped page between mappings
        a
    }
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

/// Thread `i`'s wait passed its deadline: it runs again, and its call returns what a timeout
/// gives (see [`Ret`]).
pub fn time_out(st: &mut State, uc: &mut Unicorn<'_, ()>, i: usize) {
    let Run::Blocked { addr, how, .. } = st.threads[i].run else {
        return;
    };
    let pending = match how {
        // The mutex first: the thread runs once it has it back.
        Ret::Cond { mutex, count } => {
            crate::emulate::libsystem::sync::acquire(st, uc, i, mutex, count, ETIMEDOUT);
            return;
        }
        Ret::Semaphore => {
            crate::emulate::libsystem::dispatch::undo_wait(st, addr);
            Pending::C(crate::emulate::libsystem::dispatch::KERN_OPERATION_TIMED_OUT)
        }
        other => wait_error(other, ETIMEDOUT),
    };
    st.threads[i].run = Run::Runnable;
    st.threads[i].pending = Some(pending);
}

/// The value a blocked call returns when it fails with `errno` (a timeout).
pub fn wait_error(how: Ret, errno: u64) -> Pending {
    match how {
        // Joins and mutex waits have no deadline; semaphores and condition variables time out
        // in [`time_out`]. A plain errno return, should one ever get here.
        Ret::Semaphore | Ret::Join { .. } | Ret::Mutex { .. } | Ret::Cond { .. } => {
            Pending::C(errno)
        }
        Ret::Sys => Pending::Sys(Err(errno)),
        // LP/libsyscall wrappers: -1 with errno, or -errno under ULF_NO_ERRNO (XNU
        // bsd/kern/sys_ulock.c ulock_wait: `if ((flags & ULF_NO_ERRNO) && (ret != 0)) *retval = -ret`).
        Ret::C { no_errno: true } => Pending::C((-(errno as i64)) as u64),
        Ret::C { no_errno: false } => Pending::CErr(errno),
    }
}

/// Wake threads waiting on `addr` (XNU sys_ulock.c ulock_wake: one waiter, or all with
/// ULF_WAKE_ALL). Returns how many were woken.
pub fn wake(st: &mut State, addr: u64, all: bool) -> usize {
    let mut woken = Vec::new();
    for t in st.threads.iter() {
        if let Run::Blocked { addr: a, how, .. } = t.run {
            if a == addr && matches!(how, Ret::Sys | Ret::C { .. }) {
                woken.push((t.idx, how));
                if !all {
                    break;
                }
            }
        }
    }
    let n = woken.len();
    let mut waiters_left = st
        .threads
        .iter()
        .filter(|t| {
            matches!(t.run, Run::Blocked { addr: a, how: Ret::Sys | Ret::C { .. }, .. } if a == addr)
        })
        .count();
    for (i, how) in woken {
        waiters_left -= 1;
        // ulock_wait_cleanup: the waiter returns the number of waiters still left.
        let v = waiters_left as u64;
        st.threads[i].run = Run::Runnable;
        st.threads[i].pending = Some(match how {
            Ret::Sys => Pending::Sys(Ok((v, 0))),
            _ => Pending::C(v),
        });
    }
    n
}

/// Block the current thread on `addr`.
pub fn block(st: &mut State, uc: &mut Unicorn<'_, ()>, addr: u64, timeout_us: u64, how: Ret) {
    let deadline = if timeout_us == 0 {
        None
    } else {
        Some(st.clock + timeout_us * 1000)
    };
    st.cur().run = Run::Blocked {
        addr,
        deadline,
        how,
    };
    st.switch(uc);
}

pub fn exit_thread(st: &mut State, uc: &mut Unicorn<'_, ()>) {
    st.cur().run = Run::Exited;
    st.switch(uc);
}

pub fn exit_process(st: &mut State, uc: &mut Unicorn<'_, ()>, code: i32) {
    st.stop = Some(Stop::Exit(code));
    let _ = uc.emu_stop();
}

pub fn kill(st: &mut State, uc: &mut Unicorn<'_, ()>, sig: i32, msg: String) {
    st.stop = Some(Stop::Signal(sig, msg));
    let _ = uc.emu_stop();
}

/// A signal's name, for messages.
pub fn signame(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        10 => "SIGBUS",
        11 => "SIGSEGV",
        12 => "SIGSYS",
        _ => "a signal",
    }
}
