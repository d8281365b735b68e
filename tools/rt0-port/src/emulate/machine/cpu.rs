//! The emulated CPUs: register names, the trap instruction, how a syscall reports success or
//! failure, the trap-stub bytes and how a C call is set up. Everything else (loader, XNU model,
//! scheduler) is written against [`Cpu`], so adding a CPU starts here.

use unicorn_engine::{RegisterARM64, RegisterX86, Unicorn};

/// The CPUs the emulated XNU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cpu {
    /// x86_64-apple-darwin.
    X86_64,
    /// aarch64-apple-darwin.
    Aarch64,
}

/// Class prefix of a BSD syscall number on x86_64 (XNU osfmk/mach/i386/syscall_sw.h:
/// SYSCALL_CLASS_UNIX = 2, SYSCALL_CLASS_SHIFT = 24; libsyscall/custom/SYS.h UNIX_SYSCALL).
pub const X86_CLASS_UNIX: u64 = 2;
/// Mach trap class on x86_64 (XNU osfmk/mach/i386/syscall_sw.h SYSCALL_CLASS_MACH).
pub const X86_CLASS_MACH: u64 = 1;

impl Cpu {
    /// Every emulated CPU.
    pub const ALL: [Cpu; 2] = [Cpu::X86_64, Cpu::Aarch64];

    /// The Rust target triple the emulator runs code of on this CPU: the one place the darwin
    /// triples are spelled.
    pub fn triple(self) -> &'static str {
        match self {
            Cpu::X86_64 => "x86_64-apple-darwin",
            Cpu::Aarch64 => "aarch64-apple-darwin",
        }
    }

    /// The CPU of a target triple.
    pub fn from_triple(triple: &str) -> Option<Cpu> {
        Cpu::ALL.into_iter().find(|c| c.triple() == triple)
    }

    /// The triples the emulator runs, for messages (`x86_64-apple-darwin, aarch64-apple-darwin`).
    pub fn triples() -> String {
        Cpu::ALL.map(Cpu::triple).join(", ")
    }

    /// The `-arch` / tbd spelling.
    pub fn macho_arch(self) -> &'static str {
        match self {
            Cpu::X86_64 => "x86_64",
            Cpu::Aarch64 => "arm64",
        }
    }

    /// clang's `--target`.
    pub fn clang_target(self) -> &'static str {
        match self {
            Cpu::X86_64 => "x86_64-apple-macos11",
            Cpu::Aarch64 => "arm64-apple-macos11",
        }
    }

    /// Mach-O cputype (mach/machine.h CPU_TYPE_X86_64, CPU_TYPE_ARM64).
    pub fn macho_cputype(self) -> u32 {
        match self {
            Cpu::X86_64 => 0x0100_0007,
            Cpu::Aarch64 => 0x0100_000c,
        }
    }

    /// vm_page_size: 4 KiB on x86_64; 16 KiB for arm64 processes on Apple silicon (XNU
    /// osfmk/arm64 PAGE_SHIFT_CONST 14 for user maps, vm_map_page_size).
    pub fn page_size(self) -> u64 {
        match self {
            Cpu::X86_64 => 4096,
            Cpu::Aarch64 => 16384,
        }
    }

    /// The register id of a register name (`rdi`, `x4`, `sp`), as the description spells it.
    pub fn reg(self, name: &str) -> Option<i32> {
        match self {
            Cpu::X86_64 => Some(match name {
                "rax" => RegisterX86::RAX,
                "rbx" => RegisterX86::RBX,
                "rcx" => RegisterX86::RCX,
                "rdx" => RegisterX86::RDX,
                "rsi" => RegisterX86::RSI,
                "rdi" => RegisterX86::RDI,
                "rbp" => RegisterX86::RBP,
                "rsp" => RegisterX86::RSP,
                "r8" => RegisterX86::R8,
                "r9" => RegisterX86::R9,
                "r10" => RegisterX86::R10,
                "r11" => RegisterX86::R11,
                "r12" => RegisterX86::R12,
                "r13" => RegisterX86::R13,
                "r14" => RegisterX86::R14,
                "r15" => RegisterX86::R15,
                "rip" => RegisterX86::RIP,
                _ => return None,
            } as i32),
            Cpu::Aarch64 => {
                let r = match name {
                    "sp" => RegisterARM64::SP,
                    "lr" | "x30" => RegisterARM64::X30,
                    "fp" | "x29" => RegisterARM64::X29,
                    "pc" => RegisterARM64::PC,
                    _ => {
                        let n: i32 = name.strip_prefix('x')?.parse().ok()?;
                        if !(0..=28).contains(&n) {
                            return None;
                        }
                        return Some(RegisterARM64::X0 as i32 + n);
                    }
                };
                Some(r as i32)
            }
        }
    }

    /// Every general register name, for searching where a value went.
    pub fn gprs(self) -> Vec<String> {
        match self {
            Cpu::X86_64 => [
                "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12",
                "r13", "r14", "r15",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            Cpu::Aarch64 => (0..=28).map(|i| format!("x{i}")).collect(),
        }
    }

    /// The program counter.
    pub fn pc_reg(self) -> i32 {
        match self {
            Cpu::X86_64 => RegisterX86::RIP as i32,
            Cpu::Aarch64 => RegisterARM64::PC as i32,
        }
    }

    /// The program counter's name.
    pub fn pc_name(self) -> &'static str {
        match self {
            Cpu::X86_64 => "rip",
            Cpu::Aarch64 => "pc",
        }
    }

    /// The stack pointer's name.
    pub fn sp_name(self) -> &'static str {
        match self {
            Cpu::X86_64 => "rsp",
            Cpu::Aarch64 => "sp",
        }
    }

    /// The register carrying a BSD syscall number (XNU x86_64: bsd/dev/i386/systemcalls.c
    /// unix_syscall64 reads `regs->rax`; arm64: bsd/dev/arm/systemcalls.c arm_get_syscall_number
    /// reads x16).
    pub fn syscall_number_reg(self) -> &'static str {
        match self {
            Cpu::X86_64 => "rax",
            Cpu::Aarch64 => "x16",
        }
    }

    /// The syscall argument registers the kernel reads (XNU x86_64: unix_syscall64 copies
    /// `&regs->rdi` onward, the x86_saved_state64 order rdi rsi rdx r10 r8 r9 — libsyscall/custom/
    /// SYS.h moves rcx to r10; arm64: bsd/dev/arm/systemcalls.c arm_get_u64_syscall_args, x0..x7).
    pub fn syscall_arg_regs(self) -> &'static [&'static str] {
        match self {
            Cpu::X86_64 => &["rdi", "rsi", "rdx", "r10", "r8", "r9"],
            Cpu::Aarch64 => &["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"],
        }
    }

    /// The registers a new bsdthread starts with, in the order pthread, kport, func, arg, stack,
    /// flags (libpthread kern/kern_support.c _bsdthread_create: x86_thread_state64_t rdi..r9,
    /// arm_thread_state64_t x[0]..x[5]).
    pub fn thread_start_regs(self) -> &'static [&'static str] {
        match self {
            Cpu::X86_64 => &["rdi", "rsi", "rdx", "rcx", "r8", "r9"],
            Cpu::Aarch64 => &["x0", "x1", "x2", "x3", "x4", "x5"],
        }
    }

    /// C argument registers (x86-64 psABI; AAPCS64 as Apple uses it for non-variadic calls).
    pub fn c_arg_regs(self) -> &'static [&'static str] {
        match self {
            Cpu::X86_64 => &["rdi", "rsi", "rdx", "rcx", "r8", "r9"],
            Cpu::Aarch64 => &["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"],
        }
    }

    /// The C return register.
    pub fn c_ret_reg(self) -> &'static str {
        match self {
            Cpu::X86_64 => "rax",
            Cpu::Aarch64 => "x0",
        }
    }

    /// Read a named register.
    pub fn read(self, uc: &Unicorn<'_, ()>, name: &str) -> u64 {
        uc.reg_read(
            self.reg(name)
                .unwrap_or_else(|| panic!("no register {name}")),
        )
        .unwrap_or(0)
    }

    /// Write a named register.
    pub fn write(self, uc: &mut Unicorn<'_, ()>, name: &str, v: u64) {
        let _ = uc.reg_write(
            self.reg(name)
                .unwrap_or_else(|| panic!("no register {name}")),
            v,
        );
    }

    /// The carry flag the darwin syscall convention uses for failure (x86_64: CF, bit 0 of
    /// rflags — XNU bsd/dev/i386/systemcalls.c unix_syscall_return sets `regs->isf.rflags |= EFL_CF`;
    /// arm64: PSR C bit 29 — bsd/dev/arm/systemcalls.c arm_prepare_u64_syscall_return sets
    /// `ss64->cpsr |= PSR64_C`).
    pub fn set_carry(self, uc: &mut Unicorn<'_, ()>, on: bool) {
        let (reg, bit) = match self {
            Cpu::X86_64 => (RegisterX86::EFLAGS as i32, 1u64),
            Cpu::Aarch64 => (RegisterARM64::NZCV as i32, 1u64 << 29),
        };
        let f = uc.reg_read(reg).unwrap_or(0);
        let _ = uc.reg_write(reg, if on { f | bit } else { f & !bit });
    }

    /// Return from a BSD syscall: success puts `v0`/`v1` in the return registers and clears the
    /// carry; failure puts the positive errno in the first and sets the carry (XNU
    /// unix_syscall_return on both architectures; on arm64 x1 is zeroed on error).
    pub fn syscall_return(self, uc: &mut Unicorn<'_, ()>, r: Result<(u64, u64), u64>) {
        let (a, b) = match self {
            Cpu::X86_64 => ("rax", "rdx"),
            Cpu::Aarch64 => ("x0", "x1"),
        };
        match r {
            Ok((v0, v1)) => {
                self.write(uc, a, v0);
                self.write(uc, b, v1);
                self.set_carry(uc, false);
            }
            Err(e) => {
                self.write(uc, a, e);
                if self == Cpu::Aarch64 {
                    self.write(uc, b, 0);
                }
                self.set_carry(uc, true);
            }
        }
    }

    /// The kernel-clobbered registers after a trap (x86_64: the `syscall` instruction itself
    /// puts the return rip in rcx and rflags in r11, PSABI A.2.1 / Intel SDM SYSCALL).
    pub fn clobber_after_trap(self, uc: &mut Unicorn<'_, ()>, next_pc: u64) {
        if self == Cpu::X86_64 {
            let fl = uc.reg_read(RegisterX86::EFLAGS).unwrap_or(0);
            self.write(uc, "rcx", next_pc);
            self.write(uc, "r11", fl);
        }
    }

    /// Bytes of one libSystem stub: the trap instruction, then return. The emulator knows the
    /// function by the trap's address (16 bytes per stub), so no register is disturbed: the
    /// C arguments stay where the caller put them and a return value passes through
    /// (x86_64: `syscall; ret`; arm64: `svc #0x80; ret`).
    pub fn stub_bytes(self) -> Vec<u8> {
        match self {
            Cpu::X86_64 => {
                let mut v = vec![0x0F, 0x05, 0xC3];
                v.resize(16, 0xCC);
                v
            }
            Cpu::Aarch64 => {
                let svc = 0xD400_1001u32; // svc #0x80
                let ret = 0xD65F_03C0u32;
                let brk = 0xD420_0000u32;
                [svc, ret, brk, brk]
                    .iter()
                    .flat_map(|w| w.to_le_bytes())
                    .collect()
            }
        }
    }

    /// Whether `bytes` (the instruction at the trapping pc) is the darwin syscall instruction the
    /// description names (`syscall` = 0f 05; `svc #0x80` = 01 10 00 d4).
    pub fn is_trap_insn(self, bytes: &[u8], described: &str) -> bool {
        match self {
            Cpu::X86_64 => described == "syscall" && bytes.starts_with(&[0x0F, 0x05]),
            Cpu::Aarch64 => {
                described.replace(' ', "") == "svc#0x80"
                    && bytes.starts_with(&[0x01, 0x10, 0x00, 0xD4])
            }
        }
    }

    /// Set up a C call of `func(args...)` returning to `ret`, with the stack top `sp_top`
    /// (16-aligned): x86_64 pushes the return address so (rsp+8)%16 == 0 at entry (PSABI 3.2.2);
    /// arm64 puts it in lr and keeps sp 16-aligned (AAPCS64 6.4.5.1).
    pub fn setup_call(
        self,
        uc: &mut Unicorn<'_, ()>,
        func: u64,
        args: &[u64],
        ret: u64,
        sp_top: u64,
    ) {
        let regs = self.c_arg_regs();
        for (i, a) in args.iter().enumerate() {
            self.write(uc, regs[i], *a);
        }
        match self {
            Cpu::X86_64 => {
                let sp = sp_top - 8;
                let _ = uc.mem_write(sp, &ret.to_le_bytes());
                self.write(uc, "rsp", sp);
                self.write(uc, "rbp", 0);
                self.write(uc, "rip", func);
            }
            Cpu::Aarch64 => {
                self.write(uc, "sp", sp_top);
                self.write(uc, "lr", ret);
                self.write(uc, "fp", 0);
                self.write(uc, "pc", func);
            }
        }
    }

    /// [`Cpu::setup_call`] from inside a trap hook: everything but the pc, which the scheduler
    /// sets when it resumes the thread (unicorn's x86 syscall helper adds the instruction length
    /// to rip after the hook, so the hook must not write it).
    pub fn setup_call_from_hook(
        self,
        uc: &mut Unicorn<'_, ()>,
        func: u64,
        args: &[u64],
        ret: u64,
        sp_top: u64,
    ) {
        let pc = match self {
            Cpu::X86_64 => uc.reg_read(RegisterX86::RIP).unwrap_or(0),
            Cpu::Aarch64 => uc.reg_read(RegisterARM64::PC).unwrap_or(0),
        };
        self.setup_call(uc, func, args, ret, sp_top);
        let r = self.pc_reg();
        let _ = uc.reg_write(r, pc);
    }

    /// Return from an emulated libSystem function: the value goes in the C return register
    /// (the stub's `ret` then returns to the caller).
    pub fn c_return(self, uc: &mut Unicorn<'_, ()>, v: u64) {
        self.write(uc, self.c_ret_reg(), v);
    }

    /// The return address of a function just entered (x86_64: on the stack; arm64: in lr).
    pub fn return_address(self, uc: &Unicorn<'_, ()>) -> u64 {
        match self {
            Cpu::X86_64 => super::memory::read_u64(uc, self.read(uc, "rsp")).unwrap_or(0),
            Cpu::Aarch64 => self.read(uc, "lr"),
        }
    }
}
