//! One emulated run: set up the CPU, let dyld map and bind the image, start the main thread in
//! dyld, and route every trap to the XNU syscalls or the libSystem functions. The scheduler
//! (`scheduler`) then runs the threads until the process ends.

use std::cell::RefCell;
use std::rc::Rc;

use unicorn_engine::{Arch as UcArch, HookType, Mode, Prot, Unicorn, X86Insn};

use crate::emulate::conformance;
use crate::emulate::cpu::{Cpu, X86_CLASS_MACH, X86_CLASS_UNIX};
use crate::emulate::dyld;
use crate::emulate::libsystem;
use crate::emulate::loader::Image;
use crate::emulate::memory::{TSD_BASE, TSD_SLOTS, UNICORN_GRANULE};
use crate::emulate::process::{
    Options, Shared, State, Stop, SIGILL, SIGTRAP, STATUS_CONFORMANCE, STATUS_EMULATOR_STOP,
};
use crate::emulate::{report, scheduler, xnu};

/// What x18 holds after an arm64 trap (see `trap`).
const X18_SCRAMBLE: u64 = 0x1818_dead_0000_0018;

/// Runs the image; returns the process's exit status.
pub fn run(image: &Image, opts: Options) -> Result<i32, String> {
    let cpu = opts.cpu;
    let mut uc = new_cpu(cpu)?;
    let mut blank = uc.context_alloc().map_err(|e| e.to_string())?;
    uc.context_save(&mut blank).map_err(|e| e.to_string())?;

    if let Some(d) = &opts.desc {
        let errs = conformance::check_static(d, cpu);
        if !errs.is_empty() {
            return Err(format!("conformance: {}", errs.join("\n  ")));
        }
    }
    dyld::map_segments(&mut uc, image)?;
    let lib = libsystem::install(&mut uc, cpu)?;
    let mut stubs = lib.stubs;
    dyld::bind_imports(&mut uc, image, &mut stubs, opts.lazy_imports)?;
    dyld::bind_thread_locals(&mut uc, image, &stubs)?;
    dyld::protect(&mut uc, image)?;
    let dyld = dyld::exec(&mut uc, image, &opts, lib.program_vars)?;
    let raw = opts.raw;
    let state = Rc::new(RefCell::new(State::new(cpu, opts, stubs, dyld)));
    state.borrow_mut().tlv_template = image.thread_locals.template.clone();
    start_main_thread(&mut state.borrow_mut(), image, raw);
    // One TSD granule per thread (State::new_thread).
    uc.mem_map(
        TSD_BASE,
        TSD_SLOTS * UNICORN_GRANULE,
        Prot::READ | Prot::WRITE,
    )
    .map_err(|e| e.to_string())?;

    install_hooks(&mut uc, &state)?;
    let status = scheduler::schedule(&mut uc, &state, &blank);
    report::write(&state.borrow(), status);
    Ok(status)
}

/// A unicorn CPU as a Mac's user threads see it.
fn new_cpu(cpu: Cpu) -> Result<Unicorn<'static, ()>, String> {
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
    Ok(uc)
}

/// The main thread, starting in the emulator's dyld stub; and libSystem's own initializer.
fn start_main_thread(st: &mut State, image: &Image, raw: bool) {
    let cpu = st.cpu;
    let start = st.stubs.internal("dyld_start");
    let sp = st.dyld.stack_top;
    let regs = vec![
        (cpu.sp_name().to_string(), sp),
        (cpu.pc_name().to_string(), start),
    ];
    let main = st.new_thread("exec", image.entry, 0, regs);
    st.threads[main].pthread = crate::emulate::memory::MAIN_PTHREAD;
    // XNU kern_exec.c: the main thread's stack is the exec-time one, MAXSSIZ-sized at the top.
    st.threads[main].stack = (
        crate::emulate::memory::MAIN_STACK_TOP,
        crate::emulate::memory::MAIN_STACK_SIZE,
    );
    // libSystem's initializer registers libpthread's thread_start before any image initializer
    // runs (DYLD dyld/DyldAPIs.cpp / libSystem_initializer → LP src/pthread.c __pthread_init →
    // __bsdthread_register). Skipped with --raw.
    if !raw {
        st.threadstart = st.stubs.internal("libpthread_thread_start");
        st.registered = true;
        let hint = crate::emulate::xnu::set_stack_addr_hint(st);
        st.report
            .push(format!("libsystem_registered=1 stack_addr_hint={hint:#x}"));
    } else {
        st.report.push("libsystem_registered=0".into());
    }
}
/// Traps (syscall, svc) and faults reach the emulator through these hooks.
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
    if st.stubs.contains(pc) {
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
    xnu::syscall(&mut st, uc, num, &args, pc);
}
