//! How the CPU enters the kernel: a trap instruction (x86_64 `syscall`, arm64 `svc`) is a
//! syscall, or a call into user space modeled in Rust when it is one of that layer's stubs; a
//! memory fault or an arm64 exception becomes a signal. Also the CPU as the kernel sets it up
//! for user threads.

use unicorn_engine::{Arch as UcArch, HookType, Mode, Unicorn, X86Insn};

use super::{conformance, syscalls, Shared, Stop, Userspace, SIGILL, SIGTRAP};
use crate::emulate::error::Error;
use crate::emulate::machine::cpu::{Cpu, X86_CLASS_MACH, X86_CLASS_UNIX};

/// What x18 holds after an arm64 trap (see `trap`).
const X18_SCRAMBLE: u64 = 0x1818_dead_0000_0018;

/// A unicorn CPU as a Mac's user threads see it.
pub fn new_cpu(cpu: Cpu) -> Result<Unicorn<'static, ()>, Error> {
    let (arch, mode) = match cpu {
        Cpu::X86_64 => (UcArch::X86, Mode::MODE_64),
        Cpu::Aarch64 => (UcArch::ARM64, Mode::ARM),
    };
    let mut uc = Unicorn::new(arch, mode).map_err(|e| Error::Setup(format!("unicorn: {e}")))?;
    if cpu == Cpu::Aarch64 {
        // Rust's arm64 macOS code assumes the Apple M1 baseline (ARMv8.4+: LSE atomics `casal`,
        // RCpc `ldapr`); unicorn's default arm64 model (Cortex-A72, ARMv8.0) lacks them and
        // raises an undefined-instruction exception at the first atomic. The "max" model has them.
        uc.ctl_set_cpu_model(unicorn_engine::Arm64CpuModel::MAX as i32)
            .map_err(|e| Error::Setup(format!("unicorn cpu model: {e}")))?;
        // FPEN so compiler-generated SIMD moves work (XNU enables FP/SIMD for user threads).
        let _ = uc.reg_write(unicorn_engine::RegisterARM64::CPACR_EL1, 3 << 20);
    }
    Ok(uc)
}

/// Traps (syscall, svc) and faults reach the emulator through these hooks.
pub fn install_hooks<U: Userspace + 'static>(
    uc: &mut Unicorn<'_, ()>,
    state: &Shared<U>,
) -> Result<(), Error> {
    let cpu = state.borrow().kernel.cpu;
    let s = state.clone();
    match cpu {
        Cpu::X86_64 => {
            uc.add_insn_sys_hook(X86Insn::SYSCALL, 1, 0, move |uc| {
                // helper_syscall calls the hook with rip at the syscall instruction and adds
                // the instruction length afterwards.
                let pc = uc.reg_read(unicorn_engine::RegisterX86::RIP).unwrap_or(0);
                trap(uc, &s, pc, pc + 2);
            })?;
        }
        Cpu::Aarch64 => {
            uc.add_intr_hook(move |uc, intno| {
                let pc = uc.pc_read().unwrap_or(0);
                if intno != 2 {
                    let st = &mut s.borrow_mut().kernel;
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
                            let e = format!("unexpected exception {intno} at {pc:#x}");
                            st.fatal(uc, Error::Unmodeled(e));
                            return;
                        }
                    }
                    let _ = uc.emu_stop();
                    return;
                }
                // EXCP_SWI: pc already points past the svc.
                trap(uc, &s, pc - 4, pc);
            })?;
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
            s.borrow_mut().kernel.fault = Some((ty, addr));
            false
        },
    )?;
    Ok(())
}

/// Every trap: the program's syscalls, and user space's stubs.
fn trap<U: Userspace>(uc: &mut Unicorn<'_, ()>, state: &Shared<U>, pc: u64, next_pc: u64) {
    let mut p = state.borrow_mut();
    let super::Process { kernel: st, user } = &mut *p;
    let cpu = st.cpu;
    if cpu == Cpu::Aarch64 {
        // x18 is the platform's: Apple's arm64 ABI ("Writing ARM64 code for Apple platforms":
        // "The platforms reserve register x18. Don't use this register.") lets the kernel change it
        // at any time, so user code, rt0's stubs included, must never depend on it. The model
        // changes it at every trap (syscalls and libSystem calls alike): a stub that kept a value
        // in x18 across one breaks here as it could on a Mac.
        let _ = uc.reg_write(unicorn_engine::RegisterARM64::X18, X18_SCRAMBLE ^ st.clock);
    }
    if user.owns(pc) {
        user.call(st, uc, pc);
        return;
    }
    let num_reg = cpu.syscall_number_reg();
    let raw_num = cpu.read(uc, num_reg);
    let class = raw_num >> 24;
    // Conformance: the number register carries the class prefix the description names, and the
    // trapping instruction is the one it names.
    if let Some(d) = st.opts.desc.clone() {
        if let Err(e) = conformance::check_trap(&d, cpu, uc, pc, raw_num) {
            st.fatal(uc, e);
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
                st.fatal(uc, Error::Unmodeled(msg));
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
                st.fatal(uc, Error::Unmodeled(msg));
                return;
            }
            raw_num
        }
    };
    *st.syscalls.entry(num).or_insert(0) += 1;
    let argregs = cpu.syscall_arg_regs();
    let args: Vec<u64> = argregs.iter().take(6).map(|r| cpu.read(uc, r)).collect();
    cpu.clobber_after_trap(uc, next_pc);
    syscalls::syscall(st, uc, num, &args, pc);
}
