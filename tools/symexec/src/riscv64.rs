//! RISC-V 64 (`llvm-objdump` spelling, ABI register names): `li`, `lui`, `mv`, `addi`/`addiw`,
//! `or`/`ori`, spills through `sp`-relative `sd`/`ld`, `addi sp, sp, imm` frames; branches and
//! jumps are stepped over (the tracer follows the straight-line path only).
//!
//! llvm-objdump prints compressed instructions (`c.li`, `c.mv`, `c.sdsp`) as their full forms
//! and `lui` immediates in decimal (`lui a0, 209` is 209 << 12).

use crate::listing::{immediate, split_instruction};
use crate::{or, Machine, Value};

/// The name every spelling of the zero register maps to (shared with the aarch64 `xzr`).
const ZERO: &str = crate::aarch64::ZERO;

/// The ABI name an operand's register has (`x10` -> `a0`, `fp` and `x8` -> `s0`, `x0` -> zero).
pub(crate) fn full_register(r: &str) -> String {
    let r = r.trim();
    const BY_NUMBER: [&str; 32] = [
        ZERO, "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
        "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
        "t5", "t6",
    ];
    if let Some(n) = r.strip_prefix('x').and_then(|n| n.parse::<usize>().ok()) {
        if let Some(name) = BY_NUMBER.get(n) {
            return name.to_string();
        }
    }
    match r {
        "zero" => ZERO.to_string(),
        "fp" => "s0".to_string(),
        _ => r.to_string(),
    }
}

/// An immediate or a register's value.
fn value(m: &Machine, operand: &str) -> Value {
    match immediate(operand) {
        Some(i) => Value::Imm(i),
        None => m.get(operand),
    }
}

/// `off(sp)` -> `Some(off)`; any other base register -> `None`.
fn sp_offset(addr: &str) -> Option<i64> {
    let a: String = addr.split_whitespace().collect();
    let (off, base) = a.strip_suffix(')')?.split_once('(')?;
    if full_register(base) != "sp" {
        return None;
    }
    Some(if off.is_empty() {
        0
    } else {
        immediate(off)? as i64
    })
}

/// Sign-extends the low 32 bits (what the `w` instructions leave in a register).
fn sext32(v: u64) -> u64 {
    v as u32 as i32 as i64 as u64
}

/// `a + imm` when `a` is known.
fn add(a: Value, imm: Option<u64>, word: bool) -> Value {
    match (a, imm) {
        (Value::Imm(a), Some(i)) => {
            let s = a.wrapping_add(i);
            Value::Imm(if word { sext32(s) } else { s })
        }
        _ => Value::Unknown,
    }
}

/// Steps one instruction; `false` when it is not modeled (its first operand, if any, then
/// holds an unknown value).
pub(crate) fn step(m: &mut Machine, ins: &str) -> bool {
    let (op, ops) = split_instruction(ins);
    // llvm-objdump may annotate a branch target as `0x50 <.L21>`: operands stay as printed.
    match (op.as_str(), ops.as_slice()) {
        ("li", [dst, imm]) => {
            let v = immediate(imm).map_or(Value::Unknown, Value::Imm);
            m.set(dst, v);
        }
        ("lui", [dst, imm]) => {
            let v = immediate(imm).map_or(Value::Unknown, |i| Value::Imm(sext32(i << 12)));
            m.set(dst, v);
        }
        ("mv", [dst, src]) => {
            if full_register(dst) == "sp" {
                // A new stack: what was stored on the old one is out of reach.
                m.sp = 0;
                m.slots.clear();
            } else {
                let v = m.get(src);
                m.set(dst, v);
            }
        }
        ("addi" | "addiw", [dst, src, imm]) => {
            let (d, s) = (full_register(dst), full_register(src));
            match immediate(imm) {
                Some(i) if d == "sp" && s == "sp" => m.sp += i as i64,
                _ if d == "sp" => {
                    m.sp = 0;
                    m.slots.clear();
                }
                i => {
                    let v = add(m.get(src), i, op == "addiw");
                    m.set(dst, v);
                }
            }
        }
        ("or" | "ori", [dst, a, b]) => {
            let v = match value(m, b) {
                Value::Imm(i) => or(m.get(a), Some(i)),
                _ => Value::Unknown,
            };
            m.set(dst, v);
        }
        ("sd" | "ld", [reg, addr]) => {
            let Some(off) = sp_offset(addr) else {
                if op == "ld" {
                    m.set(reg, Value::Unknown);
                }
                return false;
            };
            let slot = m.sp + off;
            if op == "ld" {
                let v = m.slots.get(&slot).cloned().unwrap_or(Value::Unknown);
                m.set(reg, v);
            } else {
                let v = m.get(reg);
                m.slots.insert(slot, v);
            }
        }
        // Branches and jumps change no register on the straight-line path (`jal`/`jalr` would:
        // they are calls, not modeled).
        (
            "beqz" | "bnez" | "beq" | "bne" | "blt" | "bge" | "bltu" | "bgeu" | "bltz" | "bgez"
            | "blez" | "bgtz" | "j" | "nop",
            _,
        ) => {}
        (_, [first, ..]) => {
            m.set(first, Value::Unknown);
            return false;
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::{Isa, TraceError, Tracer, Value};

    fn c_args() -> Tracer {
        Tracer::new(Isa::Riscv64).args([("a0", "func"), ("a1", "arg"), ("a2", "stack")])
    }

    #[test]
    fn linux_clone_stack_slots_lui_and_addiw() {
        // arch/riscv64gc-unknown-linux-gnu's rt0_raw_thread_create as llvm-objdump prints it.
        let body = [
            "addi sp, sp, -32",
            "sd s1, 0(sp)",
            "sd s2, 8(sp)",
            "mv s1, a0",
            "mv s2, a1",
            "sd a2, 16(sp)",
            "ld a1, 16(sp)",
            "lui a0, 209",
            "addiw a0, a0, -256",
            "li a2, 0",
            "li a4, 0",
            "li a3, 0",
            "li a7, 220",
            "ecall",
        ];
        let r = c_args().strict().run_to(&body, "ecall").unwrap();
        assert_eq!(r.get("a0"), Value::Imm(0xd0f00));
        assert_eq!(r.get("a1"), Value::arg("stack"));
        assert_eq!(r.get("x12"), Value::Imm(0));
        assert_eq!(r.get("a3"), Value::Imm(0));
        assert_eq!(r.get("a4"), Value::Imm(0));
        assert_eq!(r.get("a7"), Value::Imm(220));
        assert_eq!(r.get("s1"), Value::arg("func"));
        assert_eq!(r.get("x18"), Value::arg("arg"));
        assert_eq!(r.get("zero"), Value::Imm(0));
    }

    #[test]
    fn branches_are_stepped_over_and_or_takes_a_register_immediate() {
        // A straight-line path through a conditional flag addition: the tracer steps over the
        // branch, so the added bits count, and a load that is not sp-relative is unknown.
        let body = [
            "lui a0, 209",
            "addiw a0, a0, -256",
            "ld a4, 16(a1)",
            "beqz a4, 0x50 <.L21>",
            "lui t0, 768",
            "or a0, a0, t0",
            "li a7, 220",
            "ecall",
        ];
        let r = c_args().run_to(&body, "ecall").unwrap();
        assert_eq!(r.get("a0"), Value::Imm(0xd0f00 | 0x300000));
        assert_eq!(r.get("a4"), Value::Unknown);
        // Strict: only the non-sp load is unmodeled.
        assert_eq!(
            c_args().strict().run_to(&body, "ecall").unwrap_err(),
            TraceError::Unmodeled {
                instruction: "ld a4, 16(a1)".to_string()
            }
        );
    }

    #[test]
    fn a_swapped_pair_through_the_stack_and_register_aliases() {
        let body = [
            "addi sp, sp, -16",
            "sd a0, 0(sp)",
            "sd a1, 8(sp)",
            "ld x11, 0(sp)",
            "ld a0, 8(sp)",
            "addi sp, sp, 16",
            "ori a2, zero, 5",
            "mv fp, a2",
            "ecall",
        ];
        let r = c_args().strict().run_to(&body, "ecall").unwrap();
        assert_eq!(r.get("a0"), Value::arg("arg"));
        assert_eq!(r.get("a1"), Value::arg("func"));
        assert_eq!(r.get("a2"), Value::Imm(5));
        assert_eq!(r.get("s0"), Value::Imm(5));
        assert_eq!(r.get("x8"), Value::Imm(5));
    }

    #[test]
    fn lui_sign_extends_and_a_new_stack_forgets_the_old_slots() {
        let body = [
            "lui a0, 0x80000",
            "sd a2, 0(sp)",
            "mv sp, a3",
            "ld a2, 0(sp)",
            "ecall",
        ];
        let r = c_args().strict().run_to(&body, "ecall").unwrap();
        assert_eq!(r.get("a0"), Value::Imm(0xffff_ffff_8000_0000));
        assert_eq!(r.get("a2"), Value::Unknown);
        let body = ["auipc a0, 0", "ecall"];
        assert_eq!(
            c_args().run_to(&body, "ecall").unwrap().get("a0"),
            Value::Unknown
        );
        assert!(c_args().strict().run_to(&body, "ecall").is_err());
    }
}
