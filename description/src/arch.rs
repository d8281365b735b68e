//! [`Arch`]: the instruction-set architecture a description is for, and how its registers are
//! named (in the description and in assembly).

/// The instruction-set architecture a description is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Arch {
    /// x86-64 (AT&T register names, `%` in assembly).
    X86_64,
    /// AArch64.
    Aarch64,
    /// RISC-V 64-bit (ABI register names: `a0`, `s0`, `sp`, ...).
    Riscv64,
}

impl Arch {
    /// The description's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// Whether `name` is a general-purpose register (or the stack pointer) of this architecture.
    pub fn is_register(self, name: &str) -> bool {
        match self {
            Arch::X86_64 => matches!(
                name,
                "rax"
                    | "rbx"
                    | "rcx"
                    | "rdx"
                    | "rsi"
                    | "rdi"
                    | "rbp"
                    | "rsp"
                    | "r8"
                    | "r9"
                    | "r10"
                    | "r11"
                    | "r12"
                    | "r13"
                    | "r14"
                    | "r15"
            ),
            Arch::Aarch64 => {
                matches!(name, "sp" | "lr" | "fp")
                    || name.strip_prefix('x').is_some_and(|n| {
                        n.parse::<u8>().is_ok_and(|v| v <= 30 && v.to_string() == n)
                    })
            }
            // The psABI's names (zero ra sp gp tp t0-t6 s0-s11 a0-a7, fp = s0) or x0..x31.
            Arch::Riscv64 => {
                let numbered = |prefix: char, max: u8| {
                    name.strip_prefix(prefix).is_some_and(|n| {
                        n.parse::<u8>()
                            .is_ok_and(|v| v <= max && v.to_string() == n)
                    })
                };
                matches!(name, "zero" | "ra" | "sp" | "gp" | "tp" | "fp")
                    || numbered('x', 31)
                    || numbered('t', 6)
                    || numbered('s', 11)
                    || numbered('a', 7)
            }
        }
    }

    /// The 32-bit view of a register in assembly (`%edi`, `%r8d`, `w0`), where it has one.
    pub fn asm_register32(self, name: &str) -> Option<String> {
        match self {
            Arch::X86_64 => {
                let low = match name {
                    "rax" | "rbx" | "rcx" | "rdx" | "rsi" | "rdi" | "rbp" | "rsp" => {
                        format!("e{}", &name[1..])
                    }
                    _ if name.starts_with('r') => format!("{name}d"),
                    _ => return None,
                };
                Some(format!("%{low}"))
            }
            Arch::Aarch64 => name.strip_prefix('x').map(|n| format!("w{n}")),
            // No 32-bit register views: the stubs use `li` and full registers.
            Arch::Riscv64 => None,
        }
    }

    /// Whether `name` is a vector register a calling convention may make callee-saved
    /// (`[c_abi] callee_saved_vector`: x86_64 `xmm0`..`xmm15`, aarch64 `v0`..`v31`, riscv64
    /// `fs0`..`fs11`).
    pub fn is_vector_register(self, name: &str) -> bool {
        let numbered = |prefix: &str, max: u8| {
            name.strip_prefix(prefix).is_some_and(|n| {
                n.parse::<u8>()
                    .is_ok_and(|v| v <= max && v.to_string() == n)
            })
        };
        match self {
            Arch::X86_64 => numbered("xmm", 15),
            Arch::Aarch64 => numbered("v", 31),
            Arch::Riscv64 => numbered("fs", 11),
        }
    }

    /// How a register is written in this architecture's assembly (`%rdi`, `x0`).
    pub fn asm_register(self, name: &str) -> String {
        match self {
            Arch::X86_64 => format!("%{name}"),
            Arch::Aarch64 | Arch::Riscv64 => name.to_string(),
        }
    }
}
