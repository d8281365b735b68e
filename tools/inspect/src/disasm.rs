//! A function's instructions, disassembled with capstone: x86_64 in AT&T syntax
//! (`movq %rdi, %rax`), AArch64 (`mov x0, x1`) and RISC-V 64 with its compressed instructions
//! (`c.li a0, 0`), ABI register names. Each instruction is `mnemonic operands`, single-spaced,
//! the text `symexec` traces; immediates are printed in hexadecimal (`$0x168`, `#0x80`).

use capstone::arch::{self, BuildsCapstone, BuildsCapstoneExtraMode, BuildsCapstoneSyntax};
use capstone::Capstone;

use crate::{Arch, Error, Object, Symbol};

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Its address (in an ELF relocatable object: its offset in the section).
    pub address: u64,
    /// `mnemonic operands`, single-spaced.
    pub text: String,
}

/// A disassembler for `arch`.
fn disassembler(arch: Arch) -> Result<Capstone, Error> {
    let cs = match arch {
        Arch::X86_64 => Capstone::new()
            .x86()
            .mode(arch::x86::ArchMode::Mode64)
            .syntax(arch::x86::ArchSyntax::Att)
            .build(),
        Arch::Aarch64 => Capstone::new()
            .arm64()
            .mode(arch::arm64::ArchMode::Arm)
            .build(),
        Arch::Riscv64 => Capstone::new()
            .riscv()
            .mode(arch::riscv::ArchMode::RiscV64)
            .extra_mode([arch::riscv::ArchExtraMode::RiscVC].into_iter())
            .build(),
        Arch::Other(n) => {
            return Err(Error::new(
                "disassembler",
                format!("no instruction set for machine {n:#x}"),
            ))
        }
    };
    cs.map_err(|e| Error::new("capstone", e))
}

/// Disassembles `code`, which starts at `address`, for `arch`; bytes that are not an
/// instruction (data in code) come out as `.byte` lines and the listing goes on after them.
pub fn disassemble(arch: Arch, code: &[u8], address: u64) -> Result<Vec<Instruction>, Error> {
    let mut cs = disassembler(arch)?;
    cs.set_skipdata(true)
        .map_err(|e| Error::new("capstone", e))?;
    let insns = cs
        .disasm_all(code, address)
        .map_err(|e| Error::new("capstone", e))?;
    Ok(insns
        .iter()
        .map(|i| {
            let text = format!(
                "{} {}",
                i.mnemonic().unwrap_or(""),
                i.op_str().unwrap_or("")
            );
            Instruction {
                address: i.address(),
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
            }
        })
        .collect())
}

/// The instructions of the function `symbol` of `object` (see [`Object::function_bytes`] for
/// where it ends).
pub fn function(object: &Object, symbol: &Symbol) -> Result<Vec<Instruction>, Error> {
    let (address, code) = object.function_bytes(symbol).ok_or_else(|| {
        Error::new(
            &symbol.name,
            "not a function with code in this object (no section or out of its bounds)",
        )
    })?;
    disassemble(object.arch, code, address)
}

/// The text of each instruction of the function `symbol`.
pub fn function_text(object: &Object, symbol: &Symbol) -> Result<Vec<String>, Error> {
    Ok(function(object, symbol)?
        .into_iter()
        .map(|i| i.text)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(arch: Arch, code: &[u8]) -> Vec<String> {
        disassemble(arch, code, 0)
            .unwrap()
            .into_iter()
            .map(|i| i.text)
            .collect()
    }

    #[test]
    fn x86_64_is_read_in_att_syntax() {
        // push %rdx; pop %rsi; mov $0x2000168, %eax; syscall
        let code = [0x52, 0x5e, 0xb8, 0x68, 0x01, 0x00, 0x02, 0x0f, 0x05];
        assert_eq!(
            text(Arch::X86_64, &code),
            [
                "pushq %rdx",
                "popq %rsi",
                "movl $0x2000168, %eax",
                "syscall"
            ]
        );
    }

    #[test]
    fn aarch64_and_riscv64_are_read_with_their_usual_register_names() {
        // mov x0, x1; svc #0x80
        let code = [0xe0, 0x03, 0x01, 0xaa, 0x01, 0x10, 0x00, 0xd4];
        assert_eq!(text(Arch::Aarch64, &code), ["mov x0, x1", "svc #0x80"]);
        // ecall
        assert_eq!(text(Arch::Riscv64, &[0x73, 0x00, 0x00, 0x00]), ["ecall"]);
    }

    #[test]
    fn data_in_code_does_not_end_the_listing() {
        // ret; four bytes that are no AArch64 instruction... then ret again.
        let code = [
            0xc0, 0x03, 0x5f, 0xd6, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x03, 0x5f, 0xd6,
        ];
        let got = text(Arch::Aarch64, &code);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "ret");
        assert_eq!(got[2], "ret");
    }
}
