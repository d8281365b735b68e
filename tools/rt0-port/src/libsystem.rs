//! The emulator's minimal libSystem: each exported function is a 16-byte stub that traps into
//! the emulator, which knows the function by the trap's address, runs it in Rust and returns
//! through the C return register. The same table writes the `libSystem.tbd` the host links
//! against, so the link and the emulator agree on what exists.

use std::collections::BTreeMap;

use unicorn_engine::{Prot, Unicorn};

use crate::arch::Cpu;
use crate::emu::{self, Ret, State, EINVAL, ESRCH, PAGE, SIGABRT, STATUS_EMULATOR_STOP};
use crate::xnu;

/// Internal entry points (not exported).
const INTERNAL: &[&str] = &[
    "dyld_start",
    "dyld_init_return",
    "dyld_main_return",
    "pthread_return",
    "libpthread_thread_start",
];

/// Exported functions, in id order after the internal ones.
pub const EXPORTS: &[&str] = &[
    "_write",
    "_exit",
    "__exit",
    "_abort",
    "_pthread_create",
    "_pthread_attr_init",
    "_pthread_attr_setstacksize",
    "_pthread_attr_setdetachstate",
    "_pthread_attr_destroy",
    "_pthread_sigmask",
    "_pthread_threadid_np",
    "_pthread_self",
    "_pthread_exit",
    "___ulock_wait",
    "___ulock_wake",
    "_sigprocmask",
    "_mmap",
    "_munmap",
    "_mprotect",
    "___error",
    "_sched_yield",
    "_memcpy",
    "_memmove",
    "_memset",
    "_bzero",
    "___bzero",
    "_memcmp",
    "_bcmp",
    "_strlen",
    "_strcmp",
    "_strncmp",
    "___stack_chk_fail",
    "dyld_stub_binder",
    "_clock_gettime",
    "_malloc",
    "_free",
    "_memchr",
    "_pthread_join",
];

/// Exported data.
pub const DATA_EXPORTS: &[&str] = &["___stack_chk_guard", "_mach_task_self_"];

/// Where the stubs live.
pub struct Lib {
    pub base: u64,
    pub size: u64,
    names: Vec<String>,
    by_name: BTreeMap<String, u64>,
    /// Address of the ProgramVars block.
    pub program_vars: u64,
    unresolved_base: u64,
    pub unresolved: Vec<String>,
}

const UNRESOLVED_ID_BASE: u32 = 0x8000;

impl Lib {
    pub fn addr_of(&self, name: &str) -> Option<u64> {
        self.by_name.get(name).copied()
    }
    pub fn internal(&self, name: &str) -> u64 {
        self.by_name[&format!("<{name}>")]
    }
    /// A stub for an import the emulator lacks: calling it stops the run naming the symbol.
    pub fn unresolved_stub(&self, name: &str) -> u64 {
        let i = self
            .unresolved
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX);
        if i == usize::MAX {
            return 0;
        }
        self.unresolved_base + 16 * i as u64
    }
}

/// The `.tbd` text stub ld64.lld links the host against.
pub fn tbd(cpu: Cpu) -> String {
    let t = format!("{}-macos", cpu.macho_arch());
    let mut syms: Vec<&str> = EXPORTS.to_vec();
    syms.extend_from_slice(DATA_EXPORTS);
    format!(
        "--- !tapi-tbd\ntbd-version: 4\ntargets: [ {t} ]\ninstall-name: '/usr/lib/libSystem.B.dylib'\ncurrent-version: 1311\nexports:\n  - targets: [ {t} ]\n    symbols: [ {} ]\n...\n",
        syms.join(", ")
    )
}

/// Map the stubs and the data page.
pub fn install(uc: &mut Unicorn<'_, ()>, cpu: Cpu, base: u64, data: u64) -> Result<Lib, String> {
    let mut names: Vec<String> = INTERNAL.iter().map(|n| format!("<{n}>")).collect();
    names.extend(EXPORTS.iter().map(|s| s.to_string()));
    let size = emu::round_up(16 * (names.len() as u64) + 16 * 4096, PAGE);
    uc.mem_map(base, size, Prot::ALL)
        .map_err(|e| e.to_string())?;
    let mut by_name = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        let a = base + 16 * i as u64;
        uc.mem_write(a, &cpu.stub_bytes())
            .map_err(|e| e.to_string())?;
        by_name.insert(n.clone(), a);
    }
    let unresolved_base = base + 16 * 1024;
    for i in 0..4096u32 {
        let _ = uc.mem_write(unresolved_base + 16 * i as u64, &cpu.stub_bytes());
    }
    uc.mem_protect(base, size, Prot::READ | Prot::EXEC)
        .map_err(|e| e.to_string())?;
    uc.mem_map(data, 4 * PAGE, Prot::READ | Prot::WRITE)
        .map_err(|e| e.to_string())?;
    // ___stack_chk_guard: a fixed canary.
    uc.mem_write(data, &0x00e1_7a5c_0ffe_e000u64.to_le_bytes())
        .map_err(|e| e.to_string())?;
    by_name.insert("___stack_chk_guard".into(), data);
    // mach_task_self_: the task's port name (osfmk: ipc_task_init's first send right; any
    // non-zero name will do, no Mach trap is modeled).
    uc.mem_write(data + 8, &0x103u32.to_le_bytes())
        .map_err(|e| e.to_string())?;
    by_name.insert("_mach_task_self_".into(), data + 8);
    Ok(Lib {
        base,
        size,
        names,
        by_name,
        program_vars: data + 0x100,
        unresolved_base,
        unresolved: Vec::new(),
    })
}

/// Register unknown import names (with --lazy-imports).
pub fn note_unresolved(lib: &mut Lib, names: &[String]) {
    for n in names {
        if !lib.unresolved.contains(n) && lib.unresolved.len() < 4096 {
            lib.unresolved.push(n.clone());
        }
    }
}

fn args(cpu: Cpu, uc: &Unicorn<'_, ()>) -> [u64; 6] {
    let r = cpu.c_arg_regs();
    [
        cpu.read(uc, r[0]),
        cpu.read(uc, r[1]),
        cpu.read(uc, r[2]),
        cpu.read(uc, r[3]),
        cpu.read(uc, r[4]),
        cpu.read(uc, r[5]),
    ]
}

/// pthread_attr_t layout of this model: {sig u64, stacksize u64, detached u64}
/// (LP src/pthread.c: _PTHREAD_ATTR_SIG 0x54484541 'THRA', default stack 512 KiB, joinable).
const ATTR_SIG: u64 = 0x5448_4541;
const DEFAULT_STACK: u64 = 512 * 1024;
/// EAGAIN (XNU bsd/sys/errno.h).
const EAGAIN: u64 = 35;
/// PTHREAD_STACK_MIN of the SDK's <limits.h> (XNU bsd/i386/limits.h 8192, bsd/arm/limits.h
/// 16384 — values as the SDK headers ship them; not checked against a stored copy here).
fn pthread_stack_min(cpu: Cpu) -> u64 {
    match cpu {
        Cpu::X86_64 => 8192,
        Cpu::Aarch64 => 16384,
    }
}

/// Run libSystem function `id`, called from the stub at `pc`.
pub fn call(st: &mut State, uc: &mut Unicorn<'_, ()>, pc: u64) {
    let cpu = st.cpu;
    let slot = ((pc - st.lib.base) / 16) as u32;
    let id = if pc >= st.lib.unresolved_base {
        UNRESOLVED_ID_BASE + ((pc - st.lib.unresolved_base) / 16) as u32
    } else {
        slot
    };
    if id >= UNRESOLVED_ID_BASE {
        let name = st
            .lib
            .unresolved
            .get((id - UNRESOLVED_ID_BASE) as usize)
            .cloned()
            .unwrap_or_default();
        let ret = return_address(cpu, uc);
        let msg = format!(
            "call to {name}, which the emulated libSystem does not provide (called from {ret:#x})"
        );
        st.fatal(uc, STATUS_EMULATOR_STOP, msg);
        return;
    }
    let name = st.lib.names.get(id as usize).cloned().unwrap_or_default();
    let a = args(cpu, uc);
    if !name.starts_with('<') {
        *st.libcalls.entry(name.clone()).or_insert(0) += 1;
        st.trace(format!(
            "{name}({:#x}, {:#x}, {:#x}, {:#x}) from {:#x}",
            a[0],
            a[1],
            a[2],
            a[3],
            return_address(cpu, uc)
        ));
    }
    let _ = pc;
    let ret: u64 = match name.as_str() {
        "<dyld_start>" | "<dyld_init_return>" => {
            dyld_next(st, uc);
            return;
        }
        "<dyld_main_return>" => {
            // DYLD dyld/dyldMain.cpp start: `int result = main(argc, argv, envp, apple);
            // exit(result);` — libSystem's exit, whole process.
            let code = cpu.read(uc, cpu.c_ret_reg()) as i32;
            st.report.push(format!("main_returned={code}"));
            let m = st.cur().sigmask;
            st.report.push(format!("main_thread_mask_at_exit={m:#x}"));
            emu::exit_process(st, uc, code & 0xff);
            return;
        }
        "<pthread_return>" | "_pthread_exit" => {
            // LP src/pthread.c _pthread_start → _pthread_exit(self, fun(arg)).
            emu::exit_thread(st, uc);
            return;
        }
        "<libpthread_thread_start>" => {
            // LP src/pthread.c _pthread_start validates the pthread_t it is given
            // (_pthread_validate_signature) and runs self->fun(self->arg), ignoring func/arg in
            // the registers: a thread made with someone else's bsdthread_create crashes here.
            let p = cpu.read(uc, cpu.thread_start_regs()[0]);
            emu::kill(st, uc, emu::SIGSEGV, format!("libpthread's thread_start got pthread_t {p:#x} that pthread_create did not make"));
            return;
        }
        "_write" => {
            let r = xnu::k_write(st, uc, a[0], a[1], a[2]);
            c_result(st, uc, r)
        }
        // LP/Libc exit: atexit handlers (none here) then __exit → syscall exit(1).
        "_exit" | "__exit" => {
            st.report.push(format!(
                "main_thread_mask_at_exit={:#x}",
                st.threads[0].sigmask
            ));
            emu::exit_process(st, uc, (a[0] & 0xff) as i32);
            return;
        }
        "_abort" | "___stack_chk_fail" => {
            emu::kill(
                st,
                uc,
                SIGABRT,
                format!("{name} called from {:#x}", return_address(cpu, uc)),
            );
            return;
        }
        "_pthread_attr_init" => {
            let w = [ATTR_SIG, DEFAULT_STACK, 1u64];
            let b: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
            match uc.mem_write(a[0], &b) {
                Ok(_) => 0,
                Err(_) => fault(st, uc, a[0]),
            }
        }
        // LP src/pthread.c pthread_attr_setstacksize: EINVAL unless a valid attr, a multiple of
        // vm_page_size and at least PTHREAD_STACK_MIN.
        "_pthread_attr_setstacksize" => {
            if emu::read_u64(uc, a[0]) != Some(ATTR_SIG)
                || a[1] % st.page != 0
                || a[1] < pthread_stack_min(cpu)
            {
                EINVAL
            } else {
                let _ = uc.mem_write(a[0] + 8, &a[1].to_le_bytes());
                0
            }
        }
        // LP pthread_attr_setdetachstate: PTHREAD_CREATE_JOINABLE 1 / DETACHED 2, else EINVAL.
        "_pthread_attr_setdetachstate" => {
            if emu::read_u64(uc, a[0]) != Some(ATTR_SIG) || !(a[1] == 1 || a[1] == 2) {
                EINVAL
            } else {
                let _ = uc.mem_write(a[0] + 16, &a[1].to_le_bytes());
                0
            }
        }
        "_pthread_attr_destroy" => {
            if emu::read_u64(uc, a[0]) != Some(ATTR_SIG) {
                EINVAL
            } else {
                let _ = uc.mem_write(a[0], &0u64.to_le_bytes());
                0
            }
        }
        "_pthread_create" => pthread_create(st, uc, a),
        // LP src/pthread.c pthread_sigmask: __pthread_sigmask, returning errno rather than -1.
        "_pthread_sigmask" => match xnu::k_sigmask(st, uc, false, a[0], a[1], a[2]) {
            Ok(()) => 0,
            Err(e) => e,
        },
        // Libc sigprocmask → syscall 48: process-wide (kern_sig.c sigprocmask).
        "_sigprocmask" => {
            *st.syscalls.entry(xnu::SYS_SIGPROCMASK).or_insert(0) += 1;
            let r = xnu::k_sigmask(st, uc, true, a[0], a[1], a[2]).map(|_| 0);
            c_result(st, uc, r)
        }
        // LP src/pthread.c pthread_threadid_np: thread 0 = self; null id EINVAL; unknown ESRCH.
        "_pthread_threadid_np" => {
            if a[1] == 0 {
                EINVAL
            } else {
                let tid = if a[0] == 0 {
                    Some(st.cur().tid)
                } else {
                    st.threads.iter().find(|t| t.pthread == a[0]).map(|t| t.tid)
                };
                match tid {
                    Some(t) => {
                        let _ = uc.mem_write(a[1], &t.to_le_bytes());
                        0
                    }
                    None => ESRCH,
                }
            }
        }
        "_pthread_self" => st.cur().pthread,
        // libsyscall wrappers of syscalls 515/516 (-1 + errno, or -errno with ULF_NO_ERRNO).
        "___ulock_wait" => match xnu::k_ulock_wait(
            st,
            uc,
            a[0],
            a[1],
            a[2] as u32,
            a[3] as u32,
            Ret::C { no_errno: false },
        ) {
            Some(r) => c_result(st, uc, r),
            None => return,
        },
        "___ulock_wake" => {
            let r = xnu::k_ulock_wake(st, a[0], a[1]);
            c_result(st, uc, r)
        }
        "_mmap" => {
            let r = xnu::k_mmap(st, uc, a[0], a[1], a[2], a[3], a[4], a[5]);
            c_result(st, uc, r)
        }
        "_munmap" => {
            let r = xnu::k_munmap(uc, st.page, a[0], a[1]).map(|_| 0);
            c_result(st, uc, r)
        }
        "_mprotect" => {
            let r = xnu::k_mprotect(uc, st.page, a[0], a[1], a[2]).map(|_| 0);
            c_result(st, uc, r)
        }
        "___error" => st.cur().errno_slot,
        "_sched_yield" => {
            cpu.c_return(uc, 0);
            st.switch(uc);
            return;
        }
        "_memcpy" | "_memmove" => {
            if a[2] > 0 {
                match uc.mem_read_as_vec(a[1], a[2] as usize) {
                    Ok(v) => {
                        if uc.mem_write(a[0], &v).is_err() {
                            fault(st, uc, a[0]);
                            return;
                        }
                    }
                    Err(_) => {
                        fault(st, uc, a[1]);
                        return;
                    }
                }
            }
            a[0]
        }
        "_memset" | "_bzero" | "___bzero" => {
            let (dst, val, n) = if name == "_memset" {
                (a[0], a[1] as u8, a[2])
            } else {
                (a[0], 0u8, a[1])
            };
            if n > 0 && uc.mem_write(dst, &vec![val; n as usize]).is_err() {
                fault(st, uc, dst);
                return;
            }
            dst
        }
        "_memcmp" | "_bcmp" => {
            let x = uc.mem_read_as_vec(a[0], a[2] as usize).unwrap_or_default();
            let y = uc.mem_read_as_vec(a[1], a[2] as usize).unwrap_or_default();
            let mut r = 0i64;
            for (p, q) in x.iter().zip(y.iter()) {
                if p != q {
                    r = *p as i64 - *q as i64;
                    break;
                }
            }
            r as u64
        }
        "_strlen" => emu::read_cstr(uc, a[0], 1 << 20)
            .map(|s| s.len() as u64)
            .unwrap_or(0),
        "_strcmp" | "_strncmp" => {
            let max = if name == "_strncmp" {
                a[2] as usize
            } else {
                1 << 20
            };
            let x = emu::read_cstr(uc, a[0], max).unwrap_or_default();
            let y = emu::read_cstr(uc, a[1], max).unwrap_or_default();
            let mut r = 0i64;
            for i in 0..max {
                let p = *x.get(i).unwrap_or(&0) as i64;
                let q = *y.get(i).unwrap_or(&0) as i64;
                if p != q || p == 0 {
                    r = p - q;
                    break;
                }
            }
            r as u64
        }
        // Libc clock_gettime: the model's virtual clock (ns since start) for every clock id.
        "_clock_gettime" => {
            let ns = st.clock;
            let ts = [ns / 1_000_000_000, ns % 1_000_000_000];
            let b: Vec<u8> = ts.iter().flat_map(|x| x.to_le_bytes()).collect();
            if uc.mem_write(a[1], &b).is_err() {
                u64::MAX
            } else {
                0
            }
        }
        // A bump allocator over anonymous mappings; free is a no-op (enough for hosts and
        // Rust's alloc in tests; libmalloc is not modeled).
        "_malloc" => {
            let n = emu::round_up(a[0].max(1), 16);
            let base = st.alloc_va(n);
            if uc
                .mem_map(base, emu::round_up(n, PAGE), Prot::READ | Prot::WRITE)
                .is_err()
            {
                0
            } else {
                base
            }
        }
        "_free" => 0,
        "_memchr" => {
            let v = uc.mem_read_as_vec(a[0], a[2] as usize).unwrap_or_default();
            v.iter()
                .position(|b| *b == a[1] as u8)
                .map(|i| a[0] + i as u64)
                .unwrap_or(0)
        }
        "_pthread_join" => {
            st.fatal(
                uc,
                STATUS_EMULATOR_STOP,
                "pthread_join is not modeled".into(),
            );
            return;
        }
        "dyld_stub_binder" => {
            st.fatal(
                uc,
                STATUS_EMULATOR_STOP,
                "dyld_stub_binder entered: lazy binding is done at load in this model".into(),
            );
            return;
        }
        other => {
            let msg = format!("libSystem function {other} is not modeled");
            st.fatal(uc, STATUS_EMULATOR_STOP, msg);
            return;
        }
    };
    cpu.c_return(uc, ret);
}

/// A libsyscall wrapper's return: the value, or -1 with errno stored in the thread's errno
/// slot (what `__error()` returns) — libsyscall custom/__syscall.s / cerror.c cerror_nocancel.
fn c_result(st: &mut State, uc: &mut Unicorn<'_, ()>, r: Result<u64, u64>) -> u64 {
    match r {
        Ok(v) => v,
        Err(e) => {
            let slot = st.cur().errno_slot;
            let _ = uc.mem_write(slot, &(e as u32).to_le_bytes());
            u64::MAX
        }
    }
}

fn fault(st: &mut State, uc: &mut Unicorn<'_, ()>, addr: u64) -> u64 {
    emu::kill(
        st,
        uc,
        emu::SIGSEGV,
        format!("libSystem touched bad address {addr:#x}"),
    );
    0
}

fn return_address(cpu: Cpu, uc: &Unicorn<'_, ()>) -> u64 {
    match cpu {
        Cpu::X86_64 => emu::read_u64(uc, cpu.read(uc, "rsp")).unwrap_or(0),
        Cpu::Aarch64 => cpu.read(uc, "lr"),
    }
}

/// pthread_create (LP src/pthread.c pthread_create → _pthread_allocate (stack + guard page) →
/// __bsdthread_create(thread_start, ...) → _pthread_start → fun(arg) → _pthread_exit). Modeled at
/// the function level: the kernel's mask inheritance (XNU kern_fork.c uthread_init) applies.
fn pthread_create(st: &mut State, uc: &mut Unicorn<'_, ()>, a: [u64; 6]) -> u64 {
    let cpu = st.cpu;
    let (out, attr, func, arg) = (a[0], a[1], a[2], a[3]);
    let mut size = DEFAULT_STACK;
    if attr != 0 {
        if emu::read_u64(uc, attr) != Some(ATTR_SIG) {
            return EINVAL;
        }
        size = emu::read_u64(uc, attr + 8).unwrap_or(DEFAULT_STACK);
    }
    // guard page (PROT_NONE) + stack + one page for the pthread_t. LP src/pthread.c
    // _pthread_allocate: when mach_vm_map and mach_vm_allocate both fail, pthread_create returns
    // EAGAIN (not ENOMEM). Sizes no address space can hold are refused before taking any range.
    let page = st.page;
    if size > (1 << 40) {
        return EAGAIN;
    }
    let total = page + emu::round_up(size, page) + page;
    let base = st.alloc_va(total);
    if uc.mem_map(base, total, Prot::READ | Prot::WRITE).is_err() {
        return EAGAIN;
    }
    let _ = uc.mem_protect(base, page, Prot::NONE);
    let pthread = base + page + emu::round_up(size, page);
    let top = pthread; // 16-aligned
    let mask = st.cur().sigmask;
    let ret = st.lib.internal("pthread_return");
    let mut regs: Vec<(String, u64)> = Vec::new();
    match cpu {
        Cpu::X86_64 => {
            let sp = top - 8;
            let _ = uc.mem_write(sp, &ret.to_le_bytes());
            regs.push(("rsp".into(), sp));
            regs.push(("rdi".into(), arg));
            regs.push(("rip".into(), func));
        }
        Cpu::Aarch64 => {
            regs.push(("sp".into(), top));
            regs.push(("x0".into(), arg));
            regs.push(("lr".into(), ret));
            regs.push(("pc".into(), func));
        }
    }
    let idx = st.new_thread("pthread_create", func, mask, regs);
    st.threads[idx].pthread = pthread;
    if out != 0 {
        let _ = uc.mem_write(out, &pthread.to_le_bytes());
    }
    st.trace(format!(
        "pthread_create: thread {} func={func:#x} arg={arg:#x} mask={mask:#x}",
        idx + 1
    ));
    // Let the scheduler pick again: the new thread runs first unless --parent-first.
    if !st.opts.parent_first {
        st.switch(uc);
    }
    0
}

/// dyld: run the next initializer, then main (DYLD dyld/Loader.cpp
/// Loader::findAndRunAllInitializers calls each `__mod_init_func` / `__init_offsets` entry as
/// func(argc, argv, envp, apple, &ProgramVars); dyld/dyldMain.cpp then calls main(argc, argv,
/// envp, apple)).
fn dyld_next(st: &mut State, uc: &mut Unicorn<'_, ()>) {
    let cpu = st.cpu;
    let top = st.dyld.stack_top;
    let args = st.dyld.args;
    if st.dyld.next < st.dyld.initializers.len() {
        let f = st.dyld.initializers[st.dyld.next];
        st.dyld.next += 1;
        let m = st.cur().sigmask;
        st.report
            .push(format!("initializer {f:#x} main_mask_before={m:#x}"));
        let ret = st.lib.internal("dyld_init_return");
        st.trace(format!("dyld: initializer {f:#x}"));
        cpu.setup_call_from_hook(uc, f, &args, ret, top);
        st.cur().redirect = Some(f);
    } else {
        let m = st.cur().sigmask;
        st.report.push(format!("main_thread_mask_at_main={m:#x}"));
        st.dyld.in_main = true;
        let ret = st.lib.internal("dyld_main_return");
        let main = st.dyld.main;
        st.trace(format!("dyld: main {main:#x}"));
        cpu.setup_call_from_hook(uc, main, &args[..4], ret, top);
        st.cur().redirect = Some(main);
    }
    // The pc changed inside the trap: stop so the scheduler resumes this thread at the new pc
    // (not a scheduling point: dyld runs initializers and main back to back).
    st.resume_same = true;
    st.switch(uc);
}
