//! The XNU model, the bottom layer of the emulator: the Mach-O executable (`loader`), the BSD
//! syscalls (`syscalls`), threads and their waits (`thread`), the traps that enter the kernel
//! (`traps`), the scheduler with its virtual clock and signals (`scheduler`), and the checks
//! of the target's description against it all (`conformance`).
//!
//! It knows nothing of libSystem. User space modeled in Rust (dyld and libSystem) sits on top
//! through [`Userspace`]: the kernel calls it when one of its stubs traps and when one of its
//! waits passes its deadline; it blocks and resumes threads through [`Kernel`]'s methods. Every
//! rule names its source in apple-oss-distributions/xnu (XNU) or /libpthread (LP).

pub mod conformance;
pub mod loader;
pub mod scheduler;
pub mod syscalls;
pub mod thread;
pub mod traps;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use unicorn_engine::{MemType, Unicorn};

use crate::description::Description;
use crate::emulate::error::Error;
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::{round_up, MMAP_BASE, TSD_BASE, UNICORN_GRANULE};
pub use thread::{Pending, Returns, Run, Thread, Wait};

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

/// The kernel's run options.
#[derive(Clone)]
pub struct Options {
    /// The emulated CPU.
    pub cpu: Cpu,
    /// Start bsdthreads with rsp/sp = stack - 128, as libpthread <= 330 kernels did.
    pub legacy_stack: bool,
    /// Instructions per time slice.
    pub quantum: u64,
    /// mmap calls asking for more than this many bytes fail with ENOMEM.
    pub fail_mmap_over: Option<u64>,
    /// Print every syscall and libSystem call on stderr.
    pub trace: bool,
    /// The register description checked at every trap.
    pub desc: Option<Description>,
    /// After a thread create, the creator keeps the CPU (default: the new thread runs first).
    pub parent_first: bool,
    /// With a seed, each slice runs a pseudo-random 1..=quantum instructions (xorshift64*),
    /// so different seeds interleave threads differently, reproducibly.
    pub seed: Option<u64>,
    /// Process-directed signals to send: (signal, virtual ns).
    pub signals: Vec<(u32, u64)>,
}

/// User space modeled in Rust, above the kernel (dyld and libSystem).
pub trait Userspace {
    /// Whether `pc` is one of its trap stubs.
    fn owns(&self, pc: u64) -> bool;
    /// The stub at `pc` trapped: run the function it stands for.
    fn call(&mut self, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, pc: u64);
    /// Thread `t`, blocked in one of this layer's waits ([`Wait::Userspace`]), passed its
    /// deadline: resume it (or block it on something else).
    fn timed_out(&mut self, k: &mut Kernel, uc: &mut Unicorn<'_, ()>, t: usize);
}

/// The emulated process: the kernel's state and user space's.
pub struct Process<U> {
    pub kernel: Kernel,
    pub user: U,
}

pub type Shared<U> = Rc<RefCell<Process<U>>>;

/// Why emu_start returned.
#[derive(Debug)]
pub enum Stop {
    /// Re-pick a thread (block, exit of a thread, create, yield).
    Switch,
    /// The process exits with this status.
    Exit(i32),
    /// The process dies of a signal.
    Signal(i32, String),
    /// The emulator cannot go on.
    Fatal(Error),
}

pub struct Kernel {
    pub cpu: Cpu,
    /// vm_page_size of the emulated machine.
    pub page: u64,
    pub opts: Options,
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
    pub syscalls: BTreeMap<u64, u64>,
    /// Report lines, in the order things happened (user space adds its own).
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
}

impl Kernel {
    /// The kernel of a process about to exec: no threads yet, the clock at 0.
    pub fn new(opts: Options) -> Kernel {
        Kernel {
            cpu: opts.cpu,
            page: opts.cpu.page_size(),
            threads: Vec::new(),
            cur: 0,
            clock: 0,
            stop: None,
            fault: None,
            threadstart: 0,
            registered: false,
            mmap_next: MMAP_BASE,
            syscalls: BTreeMap::new(),
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

    /// The emulator cannot go on: the run ends with `e`'s status.
    pub fn fatal(&mut self, uc: &mut Unicorn<'_, ()>, e: Error) {
        self.stop = Some(Stop::Fatal(e));
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
            redirect: None,
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

    /// The running thread stops until `on` ends or `deadline` (virtual ns) passes.
    pub fn block(&mut self, uc: &mut Unicorn<'_, ()>, on: Wait, deadline: Option<u64>) {
        let c = self.cur;
        self.block_thread(c, on, deadline);
        self.switch(uc);
    }

    /// Thread `i`, not running, waits for `on` until `deadline`.
    pub fn block_thread(&mut self, i: usize, on: Wait, deadline: Option<u64>) {
        self.threads[i].run = Run::Blocked { on, deadline };
        self.threads[i].pending = None;
    }

    /// Thread `i` runs again, and the call that blocked it returns `value`.
    pub fn resume(&mut self, i: usize, value: Pending) {
        self.threads[i].run = Run::Runnable;
        self.threads[i].pending = Some(value);
    }

    pub fn exit_thread(&mut self, uc: &mut Unicorn<'_, ()>) {
        self.cur().run = Run::Exited;
        self.switch(uc);
    }

    pub fn exit_process(&mut self, uc: &mut Unicorn<'_, ()>, code: i32) {
        self.stop = Some(Stop::Exit(code));
        let _ = uc.emu_stop();
    }

    pub fn kill(&mut self, uc: &mut Unicorn<'_, ()>, sig: i32, msg: String) {
        self.stop = Some(Stop::Signal(sig, msg));
        let _ = uc.emu_stop();
    }
}
