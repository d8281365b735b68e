//! RISC-V 64 (ABI register names): `li`, `lui`, `mv`, `addi`/`addiw`, `or`/`ori`, spills
//! through `sp`-relative `sd`/`ld`, `addi sp, sp, imm` frames, `andi sp` alignment; branches and
//! jumps are stepped over (the tracer follows the straight-line path only).
//!
//! Compressed instructions (`c.li a2, 0`, `c.sdsp s1, 0(sp)`, `c.addi16sp sp, 0x20`), as
//! capstone prints them, are read as the full instructions they expand to; `lui` immediates are
//! the upper 20 bits (`lui a0, 0xd1` is 0xd1 << 12).

use crate::syntax::{immediate, split_instruction};
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

/// A compressed instruction as the full instruction it expands to (the RVC expansions of the
/// RISC-V manual): `c.addi rd, imm` is `addi rd, rd, imm`, `c.sdsp rs, off(sp)` is
/// `sd rs, off(sp)`; others keep their operands and lose the `c.` prefix.
fn expand_compressed(op: &str, ops: Vec<String>) -> (String, Vec<String>) {
    let Some(base) = op.strip_prefix("c.") else {
        return (op.to_string(), ops);
    };
    let base = match base {
        "addi16sp" => "addi",
        "addi4spn" => return ("addi".to_string(), ops),
        "sdsp" => "sd",
        "ldsp" => "ld",
        other => other,
    };
    match (base, ops.as_slice()) {
        // Two-operand forms whose destination is also the first source.
        ("addi" | "addiw" | "add" | "addw" | "or" | "and" | "andi" | "sub", [rd, rest]) => {
            (base.to_string(), vec![rd.clone(), rd.clone(), rest.clone()])
        }
        _ => (base.to_string(), ops),
    }
}

/// Steps one instruction; `false` when it is not modeled (its first operand, if any, then
/// holds an unknown value).
pub(crate) fn step(m: &mut Machine, ins: &str) -> bool {
    let (op, ops) = split_instruction(ins);
    let (op, ops) = expand_compressed(&op, ops);
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
                let v = m.get(src);
                m.new_stack(v);
            } else {
                let v = m.get(src);
                m.set(dst, v);
            }
        }
        ("addi" | "addiw", [dst, src, imm]) => {
            let (d, s) = (full_register(dst), full_register(src));
            match immediate(imm) {
                Some(i) if d == "sp" && s == "sp" => m.sp += i as i64,
                _ if d == "sp" => m.lose_stack(),
                i => {
                    let v = add(m.get(src), i, op == "addiw");
                    m.set(dst, v);
                }
            }
        }
        // Aligning the stack pointer moves it by an amount not known here.
        ("andi", [dst, src, _]) if full_register(dst) == "sp" && full_register(src) == "sp" => {
            m.lose_stack()
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
            if op == "ld" {
                let v = m.load(off);
                m.set(reg, v);
            } else {
                let v = m.get(reg);
                m.store(off, v);
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
        // arch/riscv64gc-unknown-linux-gnu's rt0_raw_thread_create, disassembled (compressed
        // instructions included).
        let body = [
            "c.addi sp, -0x20",
            "c.sdsp s1, 0(sp)",
            "c.sdsp s2, 8(sp)",
            "c.mv s1, a0",
            "c.mv s2, a1",
            "c.sdsp a2, 0x10(sp)",
            "c.ldsp a1, 0x10(sp)",
            "lui a0, 0xd1",
            "addiw a0, a0, -0x100",
            "c.li a2, 0",
            "c.li a4, 0",
            "c.li a3, 0",
            "addi a7, zero, 0xdc",
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
            "c.beqz a4, 0xc",
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
        let body = [
            "c.addi16sp sp, 0x20",
            "andi sp, sp, -0x10",
            "ld a2, 0(sp)",
            "ecall",
        ];
        let r = c_args().strict().run_to(&body, "ecall").unwrap();
        assert_eq!(
            r.get("a2"),
            Value::Unknown,
            "the alignment moved sp by an unknown amount"
        );
        let body = ["auipc a0, 0", "ecall"];
        assert_eq!(
            c_args().run_to(&body, "ecall").unwrap().get("a0"),
            Value::Unknown
        );
        assert!(c_args().strict().run_to(&body, "ecall").is_err());
    }
}
