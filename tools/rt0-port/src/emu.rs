//! The emulated XNU userland: memory, threads, a deterministic scheduler, the BSD syscalls rt0
//! uses, dyld's initializer call, and a minimal libSystem. Every rule names its source in
//! apple-oss-distributions/xnu (XNU), /libpthread (LP) or /dyld (DYLD).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::rc::Rc;

use unicorn_engine::{
    uc_error, Arch as UcArch, Context, HookType, MemType, Mode, Prot, Unicorn, X86Insn,
};

use crate::arch::{Cpu, X86_CLASS_MACH, X86_CLASS_UNIX};
use crate::conformance;
use crate::description::Description;
use crate::libsystem::{self, Lib};
use crate::loader::Image;

/// Exit status when the emulator (not the program) stops the run: an unmodeled syscall or
/// libSystem function, an unresolved import, a deadlock.
pub const STATUS_EMULATOR_STOP: i32 = 125;
/// Exit status when a conformance check fails.
pub const STATUS_CONFORMANCE: i32 = 124;

pub const PAGE: u64 = 4096;
const LIBSYS_BASE: u64 = 0x7fff_2000_0000;
const DATA_BASE: u64 = 0x7fff_3000_0000;
const MAIN_STACK_TOP: u64 = 0x7ff7_c000_0000;
const MAIN_STACK_SIZE: u64 = 8 << 20;
const MMAP_BASE: u64 = 0x0003_0000_0000;
const TSD_BASE: u64 = 0x7fff_4000_0000;
const TSD_PAGES: u64 = 1024;
/// What x18 holds after an arm64 trap (see `trap`).
const X18_SCRAMBLE: u64 = 0x1818_dead_0000_0018;

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
enum Run {
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

/// How a blocked call returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ret {
    /// A raw trap: carry-flag convention.
    Sys,
    /// A libSystem wrapper: C return value; `no_errno` selects -errno over -1.
    C { no_errno: bool },
}

/// A value to deliver when a thread next runs.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Sys(Result<(u64, u64), u64>),
    C(u64),
    /// -1 with errno in the thread's errno slot.
    CErr(u64),
}

pub struct Thread {
    pub idx: usize,
    pub tid: u64,
    ctx: Option<Context>,
    init_regs: Vec<(String, u64)>,
    run: Run,
    pending: Option<Pending>,
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
    pub terminated_with: Option<(u64, u64)>,
    /// A pc set from inside a trap, applied when the thread next runs.
    pub redirect: Option<u64>,
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
    pub threads: Vec<Thread>,
    pub cur: usize,
    pub clock: u64,
    pub stop: Option<Stop>,
    fault: Option<(MemType, u64)>,
    /// proc_get_threadstart (LP kern_support.c _bsdthread_register): 0 until registered.
    pub threadstart: u64,
    pub registered: bool,
    mmap_next: u64,
    pub lib: Lib,
    pub dyld: Dyld,
    pub syscalls: BTreeMap<u64, u64>,
    pub libcalls: BTreeMap<String, u64>,
    pub report: Vec<String>,
    pub next_tid: u64,
    tsd_next: u64,
    /// The stop was only to apply a pc change: resume the same thread (not a scheduling point).
    pub resume_same: bool,
    rng: Option<u64>,
    /// Signals not yet sent, and signals sent that every thread blocks.
    pending_signals: Vec<(u32, u64)>,
    pub blocked_signals: Vec<u32>,
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
}

pub type Shared = Rc<RefCell<State>>;

impl State {
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
        self.tsd_next += PAGE;
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

    fn ns(&self) -> u64 {
        self.clock
    }
}

pub fn round_up(v: u64, a: u64) -> u64 {
    (v + a - 1) & !(a - 1)
}

pub fn prot_of(vm: u32) -> Prot {
    let mut p = Prot::NONE;
    if vm & 1 != 0 {
        p |= Prot::READ;
    }
    if vm & 2 != 0 {
        p |= Prot::WRITE;
    }
    if vm & 4 != 0 {
        p |= Prot::EXEC;
    }
    p
}

pub fn read_u64(uc: &Unicorn<'_, ()>, a: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    uc.mem_read(a, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

pub fn read_u32(uc: &Unicorn<'_, ()>, a: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    uc.mem_read(a, &mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

pub fn read_cstr(uc: &Unicorn<'_, ()>, mut a: u64, max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while out.len() < max {
        let mut b = [0u8; 1];
        uc.mem_read(a, &mut b).ok()?;
        if b[0] == 0 {
            return Some(out);
        }
        out.push(b[0]);
        a += 1;
    }
    Some(out)
}

/// The protection of the mapping holding `addr`, if mapped.
pub fn mapping_of(uc: &Unicorn<'_, ()>, addr: u64) -> Option<(u64, u64, Prot)> {
    uc.mem_regions()
        .ok()?
        .into_iter()
        .find(|r| r.begin <= addr && addr <= r.end)
        .map(|r| (r.begin, r.end + 1, Prot(r.perms)))
}

/// Run the image. Returns the process's exit status.
pub fn run(image: &Image, opts: Options) -> Result<i32, String> {
    let cpu = opts.cpu;
    let (arch, mode) = match cpu {
        Cpu::X86_64 => (UcArch::X86, Mode::MODE_64),
        Cpu::Aarch64 => (UcArch::ARM64, Mode::ARM),
    };
    let mut uc = Unicorn::new(arch, mode).map_err(|e| format!("unicorn: {e}"))?;
    if cpu == Cpu::Aarch64 {
        // Rust's arm64 macOS code assumes the Apple M1 baseline (ARMv8.4+: LSE atomics `casal`,
        // RCpc `ldapr`); unicorn's default arm64 model (Cortex-A72, ARMv8.0) lacks them and
        // raises an undefined-instruction exception at the first atomic. The "max" model has them.
        uc.ctl_set_cpu_model(unicorn_engine::Arm64CpuModel::MAX as i32)
            .map_err(|e| format!("unicorn cpu model: {e}"))?;
        // FPEN so compiler-generated SIMD moves work (XNU enables FP/SIMD for user threads).
        let _ = uc.reg_write(unicorn_engine::RegisterARM64::CPACR_EL1, 3 << 20);
    }
    let blank = uc.context_alloc().map_err(|e| e.to_string())?;
    let mut blank = blank;
    uc.context_save(&mut blank).map_err(|e| e.to_string())?;

    if let Some(d) = &opts.desc {
        let errs = conformance::check_static(d, cpu);
        if !errs.is_empty() {
            return Err(format!("conformance: {}", errs.join("\n  ")));
        }
    }

    // Segments (DYLD dyld/Loader.cpp mapSegments: each segment at vmaddr + slide with its
    // initprot; this model uses slide 0, so no rebasing is needed).
    for s in &image.segments {
        let size = round_up(s.vmsize, PAGE);
        uc.mem_map(s.vmaddr, size, Prot::ALL)
            .map_err(|e| format!("mapping {}: {e}", s.name))?;
        uc.mem_write(s.vmaddr, &s.data).map_err(|e| e.to_string())?;
    }

    let mut lib = libsystem::install(&mut uc, cpu, LIBSYS_BASE, DATA_BASE)?;
    if opts.lazy_imports {
        let unknown: Vec<String> = image
            .imports
            .iter()
            .filter(|i| lib.addr_of(&i.name).is_none())
            .map(|i| i.name.clone())
            .collect();
        libsystem::note_unresolved(&mut lib, &unknown);
    }

    // Bind every import, lazy ones too (DYLD Loader.cpp bind: the model binds lazy pointers at
    // load, as DYLD_BIND_AT_LAUNCH does, so dyld_stub_binder is never entered).
    let mut missing = Vec::new();
    for imp in &image.imports {
        let addr = match lib.addr_of(&imp.name) {
            Some(a) => a,
            None if imp.weak => 0,
            None if opts.lazy_imports => lib.unresolved_stub(&imp.name),
            None => {
                missing.push(imp.name.clone());
                continue;
            }
        };
        let v = if addr == 0 {
            0
        } else {
            (addr as i64 + imp.addend) as u64
        };
        uc.mem_write(imp.slot, &v.to_le_bytes())
            .map_err(|e| e.to_string())?;
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(format!(
            "unresolved imports (not in the emulated libSystem): {}",
            missing.join(", ")
        ));
    }
    for s in &image.segments {
        uc.mem_protect(s.vmaddr, round_up(s.vmsize, PAGE), prot_of(s.prot))
            .map_err(|e| e.to_string())?;
    }

    // The main thread's stack and the kernel's exec-time layout (XNU bsd/kern/kern_exec.c
    // exec_copyout_strings: argc, argv[], 0, envp[], 0, apple[], 0, then the strings).
    let stack_base = MAIN_STACK_TOP - MAIN_STACK_SIZE;
    uc.mem_map(stack_base, MAIN_STACK_SIZE, Prot::READ | Prot::WRITE)
        .map_err(|e| e.to_string())?;
    let mut strings: Vec<u8> = Vec::new();
    let mut put = |s: &str| {
        let off = strings.len() as u64;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        off
    };
    let argv_off: Vec<u64> = opts.argv.iter().map(|s| put(s)).collect();
    let envp_off: Vec<u64> = opts.envp.iter().map(|s| put(s)).collect();
    let apple_off = vec![put(&format!(
        "executable_path={}",
        opts.argv.first().cloned().unwrap_or_default()
    ))];
    let str_base = (MAIN_STACK_TOP - 0x1000 - strings.len() as u64) & !15;
    uc.mem_write(str_base, &strings)
        .map_err(|e| e.to_string())?;
    let mut vec_words: Vec<u64> = vec![opts.argv.len() as u64];
    let argv_at = 1;
    vec_words.extend(argv_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let envp_at = vec_words.len();
    vec_words.extend(envp_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let apple_at = vec_words.len();
    vec_words.extend(apple_off.iter().map(|o| str_base + o));
    vec_words.push(0);
    let vec_base = (str_base - 8 * vec_words.len() as u64 - 64) & !15;
    let bytes: Vec<u8> = vec_words.iter().flat_map(|w| w.to_le_bytes()).collect();
    uc.mem_write(vec_base, &bytes).map_err(|e| e.to_string())?;
    let argv = vec_base + 8 * argv_at as u64;
    let envp = vec_base + 8 * envp_at as u64;
    let apple = vec_base + 8 * apple_at as u64;
    // ProgramVars {mh, NXArgcPtr, NXArgvPtr, environPtr, __prognamePtr} (DYLD
    // DyldProcessConfig.h struct ProgramVars), with its pointees in the emulator's data page.
    let pv = lib.program_vars;
    let words = [
        image.header,
        pv + 40,
        pv + 48,
        pv + 56,
        pv + 64,
        opts.argv.len() as u64,
        argv,
        envp,
        str_base + argv_off.first().copied().unwrap_or(0),
    ];
    let pvb: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    uc.mem_write(pv, &pvb).map_err(|e| e.to_string())?;

    let dyld = Dyld {
        initializers: image.initializers.clone(),
        next: 0,
        main: image.entry,
        args: [opts.argv.len() as u64, argv, envp, apple, pv],
        stack_top: vec_base - 256,
        in_main: false,
    };

    let state = Rc::new(RefCell::new(State {
        cpu,
        page: cpu.page_size(),
        opts: opts.clone(),
        threads: Vec::new(),
        cur: 0,
        clock: 0,
        stop: None,
        fault: None,
        threadstart: 0,
        registered: false,
        mmap_next: MMAP_BASE,
        lib,
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
    }));
    {
        let mut st = state.borrow_mut();
        // The main thread starts in the emulator's dyld stub.
        let start = st.lib.internal("dyld_start");
        let sp = st.dyld.stack_top;
        let sp_name = cpu.sp_name().to_string();
        st.new_thread(
            "exec",
            image.entry,
            0,
            vec![(sp_name, sp), (pc_name(cpu).into(), start)],
        );
        // libSystem's initializer registers libpthread's thread_start before any image
        // initializer runs (DYLD dyld/DyldAPIs.cpp / libSystem_initializer → LP src/pthread.c
        // __pthread_init → __bsdthread_register). Skipped with --raw.
        if !opts.raw {
            st.threadstart = st.lib.internal("libpthread_thread_start");
            st.registered = true;
            st.report.push("libsystem_registered=1".into());
        } else {
            st.report.push("libsystem_registered=0".into());
        }
    }
    // One TSD page per thread (State::new_thread), room for 1024 threads.
    uc.mem_map(TSD_BASE, TSD_PAGES * PAGE, Prot::READ | Prot::WRITE)
        .map_err(|e| e.to_string())?;

    install_hooks(&mut uc, &state)?;
    let status = schedule(&mut uc, &state, &blank);
    let st = state.borrow();
    write_report(&st, status);
    Ok(status)
}

fn pc_name(cpu: Cpu) -> &'static str {
    match cpu {
        Cpu::X86_64 => "rip",
        Cpu::Aarch64 => "pc",
    }
}

fn install_hooks(uc: &mut Unicorn<'_, ()>, state: &Shared) -> Result<(), String> {
    let cpu = state.borrow().cpu;
    let s = state.clone();
    match cpu {
        Cpu::X86_64 => {
            uc.add_insn_sys_hook(X86Insn::SYSCALL, 1, 0, move |uc| {
                // helper_syscall calls the hook with rip at the syscall instruction and adds
                // the instruction length afterwards.
                let pc = uc.reg_read(unicorn_engine::RegisterX86::RIP).unwrap_or(0);
                trap(uc, &s, pc, pc + 2);
            })
            .map_err(|e| e.to_string())?;
        }
        Cpu::Aarch64 => {
            uc.add_intr_hook(move |uc, intno| {
                let pc = uc.pc_read().unwrap_or(0);
                if intno != 2 {
                    let mut st = s.borrow_mut();
                    // A synchronous exception of user code → Mach exception → signal: XNU
                    // osfmk/arm64/sleh.c sleh_synchronous (ESR_EC_UNCATEGORIZED →
                    // handle_uncategorized → EXC_BAD_INSTRUCTION; ESR_EC_BRK_AARCH64 →
                    // handle_breakpoint → EXC_BREAKPOINT), then bsd/uxkern/ux_exception.c
                    // ux_exception (EXC_BAD_INSTRUCTION → SIGILL, EXC_BREAKPOINT → SIGTRAP).
                    // unicorn/QEMU numbers: EXCP_UDEF 1, EXCP_BKPT 7. `brk #1` is what
                    // __builtin_trap and Rust's core::intrinsics::abort emit on arm64.
                    // For an undefined instruction QEMU leaves pc at it; for brk too.
                    match intno {
                        1 => {
                            st.stop = Some(Stop::Signal(
                                SIGILL,
                                format!("undefined instruction at pc {pc:#x}"),
                            ))
                        }
                        7 => st.stop = Some(Stop::Signal(SIGTRAP, format!("brk at pc {pc:#x}"))),
                        _ => {
                            st.fatal(
                                uc,
                                STATUS_EMULATOR_STOP,
                                format!("unexpected exception {intno} at {pc:#x}"),
                            );
                            return;
                        }
                    }
                    let _ = uc.emu_stop();
                    return;
                }
                // EXCP_SWI: pc already points past the svc.
                trap(uc, &s, pc - 4, pc);
            })
            .map_err(|e| e.to_string())?;
        }
    }
    let s = state.clone();
    uc.add_mem_hook(
        HookType::MEM_READ_UNMAPPED
            | HookType::MEM_WRITE_UNMAPPED
            | HookType::MEM_FETCH_UNMAPPED
            | HookType::MEM_READ_PROT
            | HookType::MEM_WRITE_PROT
            | HookType::MEM_FETCH_PROT,
        1,
        0,
        move |_uc, ty, addr, _size, _v| {
            s.borrow_mut().fault = Some((ty, addr));
            false
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Every trap: the program's syscalls, and the emulator's own libSystem stubs.
fn trap(uc: &mut Unicorn<'_, ()>, state: &Shared, pc: u64, next_pc: u64) {
    let mut st = state.borrow_mut();
    let cpu = st.cpu;
    if cpu == Cpu::Aarch64 {
        // x18 is the platform's: Apple's arm64 ABI ("Writing ARM64 code for Apple platforms":
        // "The platforms reserve register x18. Don't use this register.") lets the kernel change it
        // at any time, so user code, rt0's stubs included, must never depend on it. The model
        // changes it at every trap (syscalls and libSystem calls alike): a stub that kept a value
        // in x18 across one breaks here as it could on a Mac.
        let _ = uc.reg_write(unicorn_engine::RegisterARM64::X18, X18_SCRAMBLE ^ st.clock);
    }
    if pc >= st.lib.base && pc < st.lib.base + st.lib.size {
        libsystem::call(&mut st, uc, pc);
        return;
    }
    let num_reg = cpu.syscall_number_reg();
    let raw_num = cpu.read(uc, num_reg);
    let class = raw_num >> 24;
    // Conformance: the number register carries the class prefix the description names, and the
    // trapping instruction is the one it names.
    if let Some(d) = st.opts.desc.clone() {
        if let Err(msg) = conformance::check_trap(&d, cpu, uc, pc, raw_num) {
            st.fatal(uc, STATUS_CONFORMANCE, msg);
            return;
        }
    }
    let num = match cpu {
        Cpu::X86_64 => {
            // XNU osfmk/x86_64/idt64.s hndl_syscall: dispatch on the class in bits 24..31
            // (SYSCALL_CLASS_UNIX → bsd/dev/i386/systemcalls.c unix_syscall64, SYSCALL_CLASS_MACH →
            // osfmk/i386/bsd_i386.c mach_call_munger64); unix_syscall64 takes
            // `code = regs->rax & SYSCALL_NUMBER_MASK`.
            if class == X86_CLASS_UNIX {
                raw_num & 0xff_ffff
            } else {
                let what = if class == X86_CLASS_MACH {
                    "Mach trap"
                } else {
                    "syscall class"
                };
                let msg = format!(
                    "unmodeled {what} rax={raw_num:#x} (number {}) called from {pc:#x} by thread {}",
                    raw_num & 0xff_ffff,
                    st.cur + 1
                );
                st.fatal(uc, STATUS_EMULATOR_STOP, msg);
                return;
            }
        }
        // XNU bsd/dev/arm/systemcalls.c: x16 > 0 is a BSD call, < 0 a Mach trap.
        Cpu::Aarch64 => {
            if (raw_num as i64) < 0 {
                let msg = format!(
                    "unmodeled Mach trap x16={} called from {pc:#x}",
                    raw_num as i64
                );
                st.fatal(uc, STATUS_EMULATOR_STOP, msg);
                return;
            }
            raw_num
        }
    };
    *st.syscalls.entry(num).or_insert(0) += 1;
    let argregs = cpu.syscall_arg_regs();
    let args: Vec<u64> = argregs.iter().take(6).map(|r| cpu.read(uc, r)).collect();
    cpu.clobber_after_trap(uc, next_pc);
    crate::xnu::syscall(&mut st, uc, num, &args, pc);
}

/// The scheduler: run the current thread for one quantum, then pick the next runnable thread
/// in round-robin order; when every thread is blocked, advance virtual time to the earliest
/// deadline (the model's clock counts one ns per instruction slice unit).
fn schedule(uc: &mut Unicorn<'_, ()>, state: &Shared, blank: &Context) -> i32 {
    let cpu = state.borrow().cpu;
    let mut last_ran: usize = 0;
    let mut first = true;
    loop {
        // signals due now
        {
            let mut st = state.borrow_mut();
            if let Some(status) = deliver_signals(&mut st) {
                return finish(&mut st, status);
            }
        }
        // pick
        let pick = {
            let mut st = state.borrow_mut();
            let n = st.threads.len();
            let start = if first { 0 } else { (last_ran + 1) % n };
            first = false;
            let mut pick = None;
            if std::mem::take(&mut st.resume_same) && st.threads[last_ran].run == Run::Runnable {
                pick = Some(last_ran);
            }
            for k in 0..n {
                if pick.is_some() {
                    break;
                }
                let i = (start + k) % n;
                if st.threads[i].run == Run::Runnable {
                    pick = Some(i);
                    break;
                }
            }
            if pick.is_none() {
                if st.threads.iter().all(|t| t.run == Run::Exited) {
                    // XNU: the process exits when its last thread terminates (exit status 0).
                    return finish(&mut st, 0);
                }
                // all blocked: earliest deadline (or signal due)
                let next_signal = st.pending_signals.iter().map(|p| p.1).min();
                let dl = st
                    .threads
                    .iter()
                    .filter_map(|t| match t.run {
                        Run::Blocked {
                            deadline: Some(d), ..
                        } => Some(d),
                        _ => None,
                    })
                    .chain(next_signal)
                    .min();
                match dl {
                    Some(d) => {
                        if d > st.clock {
                            st.clock = d;
                        }
                        let now = st.clock;
                        for t in st.threads.iter_mut() {
                            if let Run::Blocked {
                                deadline: Some(d),
                                how,
                                ..
                            } = t.run
                            {
                                if d <= now {
                                    t.run = Run::Runnable;
                                    t.pending = Some(wait_error(how, ETIMEDOUT));
                                }
                            }
                        }
                        continue;
                    }
                    None => {
                        let waits: Vec<String> = st
                            .threads
                            .iter()
                            .filter_map(|t| match t.run {
                                Run::Blocked { addr, .. } => {
                                    Some(format!("thread {} waits on {addr:#x}", t.idx + 1))
                                }
                                _ => None,
                            })
                            .collect();
                        eprintln!(
                            "rt0-port: deadlock: every thread is blocked with no timeout ({})",
                            waits.join("; ")
                        );
                        return finish(&mut st, STATUS_EMULATOR_STOP);
                    }
                }
            }
            pick.unwrap()
        };
        // switch in
        {
            let mut st = state.borrow_mut();
            st.cur = pick;
            let t = &mut st.threads[pick];
            if let Some(ctx) = &t.ctx {
                let _ = uc.context_restore(ctx);
            } else {
                let _ = uc.context_restore(blank);
                for (r, v) in t.init_regs.clone() {
                    cpu.write(uc, &r, v);
                }
                if cpu == Cpu::X86_64 {
                    // TSD base in gs (XNU osfmk/i386/pcb.c thread_set_tsd_base → gs base).
                    let _ = uc.reg_write(unicorn_engine::RegisterX86::GS_BASE, t.errno_slot);
                } else {
                    let _ = uc.reg_write(unicorn_engine::RegisterARM64::TPIDRRO_EL0, t.errno_slot);
                }
            }
            if let Some(pc) = t.redirect.take() {
                let _ = uc.reg_write(cpu.pc_reg(), pc);
            }
            if let Some(p) = t.pending.take() {
                match p {
                    Pending::Sys(r) => cpu.syscall_return(uc, r),
                    Pending::C(v) => cpu.c_return(uc, v),
                    Pending::CErr(e) => {
                        let _ = uc.mem_write(t.errno_slot, &(e as u32).to_le_bytes());
                        cpu.c_return(uc, u64::MAX)
                    }
                }
            }
            st.stop = None;
            st.fault = None;
        }
        let pc = uc.reg_read(cpu.pc_reg()).unwrap_or(0);
        let quantum = {
            let mut st = state.borrow_mut();
            let q = st.opts.quantum;
            match st.rng.as_mut() {
                Some(x) => {
                    *x ^= *x >> 12;
                    *x ^= *x << 25;
                    *x ^= *x >> 27;
                    1 + (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % q
                }
                None => q,
            }
        };
        let res = uc.emu_start(pc, 0, 0, quantum as usize);
        last_ran = pick;
        let mut st = state.borrow_mut();
        st.clock += quantum;
        // save
        {
            let mut ctx = match st.threads[pick].ctx.take() {
                Some(c) => c,
                None => uc.context_alloc().expect("context"),
            };
            let _ = uc.context_save(&mut ctx);
            st.threads[pick].ctx = Some(ctx);
        }
        match st.stop.take() {
            Some(Stop::Exit(code)) => return finish(&mut st, code),
            Some(Stop::Fatal(code, msg)) => {
                eprintln!("rt0-port: {msg}");
                return finish(&mut st, code);
            }
            Some(Stop::Signal(sig, msg)) => {
                eprintln!(
                    "rt0-port: thread {} killed by {}: {msg}",
                    pick + 1,
                    signame(sig)
                );
                return finish(&mut st, 128 + sig);
            }
            Some(Stop::Switch) | None => {}
        }
        if let Err(e) = res {
            let pc = uc.reg_read(cpu.pc_reg()).unwrap_or(0);
            let (sig, what) = fault_signal(e, st.fault);
            eprintln!(
                "rt0-port: thread {} killed by {} at pc {pc:#x}: {what}",
                pick + 1,
                signame(sig)
            );
            return finish(&mut st, 128 + sig);
        }
    }
}

/// Send the process-directed signals that are due (XNU bsd/kern/kern_sig.c psignal_internal →
/// get_signalthread: the first thread, in creation order (p_uthlist), whose uu_sigmask does not
/// block the signal; if every thread blocks it, it stays pending). No handler exists in this
/// model, so the default action applies (bsd/sys/signalvar.h sigprop): SA_KILL signals end the
/// process with 128+signal, SA_IGNORE ones are dropped; stop signals are not modeled (dropped,
/// reported). Returns the exit status when the process dies.
fn deliver_signals(st: &mut State) -> Option<i32> {
    let now = st.clock;
    let due: Vec<(u32, u64)> = st
        .pending_signals
        .iter()
        .copied()
        .filter(|p| p.1 <= now)
        .collect();
    st.pending_signals.retain(|p| p.1 > now);
    for (sig, _) in due {
        let bit = 1u32 << (sig - 1);
        let target = st
            .threads
            .iter()
            .find(|t| t.run != Run::Exited && t.sigmask & bit == 0)
            .map(|t| t.idx);
        match target {
            None => {
                st.report.push(format!(
                    "signal {sig} at_ns={now} pending=all_threads_block_it"
                ));
                st.blocked_signals.push(sig);
            }
            Some(i) => {
                st.report.push(format!(
                    "signal {sig} at_ns={now} delivered_to=thread{}",
                    i + 1
                ));
                // sigprop: SIGURG 16, SIGCONT 19, SIGCHLD 20, SIGIO 23, SIGWINCH 28, SIGINFO 29
                // are SA_IGNORE; SIGSTOP 17, SIGTSTP 18, SIGTTIN 21, SIGTTOU 22 are SA_STOP.
                match sig {
                    16 | 19 | 20 | 23 | 28 | 29 => {}
                    17 | 18 | 21 | 22 => st.report.push(format!("signal {sig} stop_not_modeled")),
                    _ => {
                        eprintln!(
                            "rt0-port: process killed by signal {sig}, delivered to thread {}",
                            i + 1
                        );
                        return Some(128 + sig as i32);
                    }
                }
            }
        }
    }
    None
}

fn wait_error(how: Ret, errno: u64) -> Pending {
    match how {
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
            if a == addr {
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
        .filter(|t| matches!(t.run, Run::Blocked { addr: a, .. } if a == addr))
        .count();
    for (i, how) in woken {
        waiters_left -= 1;
        // ulock_wait_cleanup: the waiter returns the number of waiters still left.
        let v = waiters_left as u64;
        st.threads[i].run = Run::Runnable;
        st.threads[i].pending = Some(match how {
            Ret::Sys => Pending::Sys(Ok((v, 0))),
            Ret::C { .. } => Pending::C(v),
        });
    }
    n
}

/// Block the current thread on `addr`.
pub fn block(st: &mut State, uc: &mut Unicorn<'_, ()>, addr: u64, timeout_us: u64, how: Ret) {
    let deadline = if timeout_us == 0 {
        None
    } else {
        Some(st.ns() + timeout_us * 1000)
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

/// A fault → signal (XNU bsd/uxkern/ux_exception.c ux_exception: EXC_BAD_ACCESS with
/// KERN_INVALID_ADDRESS → SIGSEGV, otherwise (a protection failure) → SIGBUS;
/// EXC_BAD_INSTRUCTION → SIGILL).
fn fault_signal(e: uc_error, fault: Option<(MemType, u64)>) -> (i32, String) {
    let addr = fault.map(|f| format!(" {:#x}", f.1)).unwrap_or_default();
    match e {
        uc_error::READ_UNMAPPED => (SIGSEGV, format!("read of unmapped{addr}")),
        uc_error::WRITE_UNMAPPED => (SIGSEGV, format!("write to unmapped{addr}")),
        uc_error::FETCH_UNMAPPED => (SIGSEGV, format!("jump to unmapped{addr}")),
        uc_error::READ_PROT => (SIGBUS, format!("read of protected{addr}")),
        uc_error::WRITE_PROT => (SIGBUS, format!("write to protected{addr}")),
        uc_error::FETCH_PROT => (SIGBUS, format!("execution of non-executable{addr}")),
        uc_error::INSN_INVALID => (SIGILL, "invalid instruction".into()),
        other => (SIGSEGV, format!("CPU error: {other}")),
    }
}

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

fn finish(st: &mut State, status: i32) -> i32 {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    st.report.push(format!("exit_status={status}"));
    status
}

fn write_report(st: &State, status: i32) {
    let Some(path) = st.opts.report.clone() else {
        return;
    };
    let mut out = String::new();
    for l in &st.report {
        out.push_str(l);
        out.push('\n');
    }
    for t in &st.threads {
        out.push_str(&format!(
            "thread {} tid={:#x} via={} created_by={} entry={:#x} start_mask={:#x} final_mask={:#x} state={}\n",
            t.idx + 1,
            t.tid,
            t.via,
            t.created_by.map(|c| (c + 1).to_string()).unwrap_or_else(|| "-".into()),
            t.entry,
            t.start_mask,
            t.sigmask,
            match t.run {
                Run::Runnable => "runnable",
                Run::Blocked { .. } => "blocked",
                Run::Exited => "exited",
            }
        ));
    }
    for (n, c) in &st.syscalls {
        out.push_str(&format!("syscall {n} count={c}\n"));
    }
    for (n, c) in &st.libcalls {
        out.push_str(&format!("libcall {n} count={c}\n"));
    }
    out.push_str(&format!("virtual_ns={}\nstatus={status}\n", st.clock));
    let _ = std::fs::write(path, out);
}
