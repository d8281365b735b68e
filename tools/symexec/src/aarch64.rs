//! AArch64: register and immediate moves (`mov`, `movz`, `movk`), `orr #imm`, and spills through
//! `sp`-relative `str`/`ldr`/`stp`/`ldp` (offset, pre-indexed and post-indexed forms).

use crate::syntax::{immediate, split_instruction};
use crate::{or, Machine, Value};

/// The name the tracer gives the zero register (`xzr`, `wzr`).
pub(crate) const ZERO: &str = "zr";

/// The 64-bit register an operand names (`w4` -> `x4`, `x29` -> `fp`, `x30` -> `lr`).
pub(crate) fn full_register(r: &str) -> String {
    let r = r.trim();
    let r = match r.strip_prefix('w') {
        Some(n) if n.parse::<u8>().is_ok() => format!("x{n}"),
        _ => r.to_string(),
    };
    match r.as_str() {
        "xzr" | "wzr" => ZERO.to_string(),
        "x29" => "fp".to_string(),
        "x30" => "lr".to_string(),
        _ => r,
    }
}

/// `lsl #16` -> 16.
fn shift(operand: Option<&String>) -> u32 {
    operand
        .and_then(|s| s.trim().strip_prefix("lsl"))
        .and_then(immediate)
        .map_or(0, |s| s as u32)
}

/// An `sp`-based address: `[sp, #off]`, `[sp, #off]!` or `[sp], #post`, as
/// (offset, pre-indexed, post-increment).
fn sp_address(addr: &str) -> Option<(i64, bool, Option<i64>)> {
    let a: String = addr.split_whitespace().collect();
    if !a.starts_with("[sp") {
        return None;
    }
    let close = a.find(']')?;
    let off = a[1..close]
        .split_once(',')
        .and_then(|(_, o)| immediate(o))
        .unwrap_or(0) as i64;
    let after = &a[close + 1..];
    if after.starts_with('!') {
        return Some((off, true, None));
    }
    if let Some(p) = after.strip_prefix(',') {
        return Some((0, false, Some(immediate(p)? as i64)));
    }
    Some((off, false, None))
}

/// `str`/`ldr`/`stp`/`ldp`; `false` when the address is not on the stack.
fn load_store(m: &mut Machine, op: &str, ops: &[String]) -> bool {
    let n = if op.ends_with('p') { 2 } else { 1 };
    let loads = op.starts_with("ld");
    let Some((off, pre, post)) = ops.get(n..).and_then(|a| sp_address(&a.join(","))) else {
        if loads {
            for r in ops.iter().take(n) {
                m.set(r, Value::Unknown);
            }
        }
        return false;
    };
    let at = if post.is_some() { 0 } else { off };
    for (k, r) in ops[..n].iter().enumerate() {
        let slot = at + 8 * k as i64;
        if loads {
            let v = m.load(slot);
            m.set(r, v);
        } else {
            let v = m.get(r);
            m.store(slot, v);
        }
    }
    if pre {
        m.sp += off;
    }
    if let Some(p) = post {
        m.sp += p;
    }
    true
}

/// Steps one instruction; `false` when it is not modeled (its first operand, if any, then
/// holds an unknown value).
pub(crate) fn step(m: &mut Machine, ins: &str) -> bool {
    let (op, ops) = split_instruction(ins);
    match (op.as_str(), ops.as_slice()) {
        ("mov" | "movz", [dst, src, rest @ ..]) => {
            let v = if src.starts_with('#') {
                immediate(src).map_or(Value::Unknown, |i| Value::Imm(i << shift(rest.first())))
            } else {
                m.get(src)
            };
            if full_register(dst) == "sp" {
                // A new stack: what was stored on the old one is out of reach.
                m.new_stack(v);
            } else {
                m.set(dst, v);
            }
        }
        ("movk", [dst, imm, rest @ ..]) => {
            let sh = shift(rest.first());
            let v = match (m.get(dst), immediate(imm)) {
                (Value::Imm(old), Some(i)) => Value::Imm((old & !(0xffffu64 << sh)) | (i << sh)),
                _ => Value::Unknown,
            };
            m.set(dst, v);
        }
        // Aligning the stack pointer moves it by an amount not known here.
        ("and", [dst, _, imm]) if full_register(dst) == "sp" && imm.starts_with('#') => {
            m.lose_stack()
        }
        ("orr", [dst, src, imm]) if imm.starts_with('#') => {
            let v = or(m.get(src), immediate(imm));
            m.set(dst, v);
        }
        ("sub" | "add", [d, s, n]) if d == "sp" && s == "sp" && immediate(n).is_some() => {
            let n = immediate(n).unwrap_or(0) as i64;
            m.sp += if op == "sub" { -n } else { n };
        }
        ("str" | "ldr" | "stp" | "ldp", _) => return load_store(m, &op, &ops),
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
        Tracer::new(Isa::Aarch64).args([("x0", "func"), ("x1", "arg"), ("x2", "stack")])
    }

    #[test]
    fn linux_clone_stack_slots_and_movk() {
        // arch/aarch64-unknown-linux-gnu's rt0_raw_thread_create, disassembled.
        let body = [
            "stp x19, x20, [sp, #-32]!",
            "mov x19, x0",
            "mov x20, x1",
            "str x2, [sp, #16]",
            "ldr x1, [sp, #16]",
            "mov x0, #3840",
            "movk x0, #13, lsl #16",
            "mov x2, xzr",
            "mov x4, xzr",
            "mov x3, xzr",
            "mov x8, #220",
            "svc #0",
        ];
        let r = c_args().strict().run_to(&body, "svc #0").unwrap();
        assert_eq!(r.get("x0"), Value::Imm(0xd0f00));
        assert_eq!(r.get("x1"), Value::arg("stack"));
        assert_eq!(r.get("x2"), Value::Imm(0));
        assert_eq!(r.get("x4"), Value::Imm(0));
        assert_eq!(r.get("x8"), Value::Imm(220));
        assert_eq!(r.get("x19"), Value::arg("func"));
        assert_eq!(r.get("w20"), Value::arg("arg"));
        assert_eq!(r.get("xzr"), Value::Imm(0));
    }

    #[test]
    fn orr_adds_flag_bits_to_a_known_value_only() {
        let body = [
            "mov x0, #3840",
            "orr x0, x0, #0x300000",
            "orr x3, x2, #0x1",
            "svc #0",
        ];
        let r = c_args().strict().run_to(&body, "svc #0").unwrap();
        assert_eq!(r.get("x0"), Value::Imm(0xf00 | 0x300000));
        assert_eq!(r.get("x3"), Value::Unknown);
    }

    #[test]
    fn darwin_post_index_and_sub_sp_frames() {
        let body = [
            "sub sp, sp, #32",
            "str x0, [sp]",
            "str x2, [sp, #16]",
            "ldr x2, [sp, #16]",
            "ldr x0, [sp], #32",
            "mov x16, #360",
            "svc\t#0x80",
        ];
        let r = c_args().strict().run_to(&body, "svc #0x80").unwrap();
        assert_eq!(r.get("x0"), Value::arg("func"));
        assert_eq!(r.get("x2"), Value::arg("stack"));
        assert_eq!(r.get("x16"), Value::Imm(360));
    }

    #[test]
    fn a_swapped_pair_of_loads_is_seen() {
        let body = [
            "stp x0, x1, [sp, #-16]!",
            "ldp x1, x0, [sp], #16",
            "svc #0x80",
        ];
        let r = c_args().strict().run_to(&body, "svc #0x80").unwrap();
        assert_eq!(r.get("x0"), Value::arg("arg"));
        assert_eq!(r.get("x1"), Value::arg("func"));
    }

    #[test]
    fn movz_with_a_shift_and_a_thread_start_after_a_call() {
        let body = [
            "mov x0, x20",
            "mov x1, x21",
            "mov x2, xzr",
            "movz w16, #0x169",
            "movz x3, #1, lsl #16",
            "svc #0x80",
        ];
        let r = Tracer::new(Isa::Aarch64)
            .args([("x20", "map_base"), ("x21", "map_len")])
            .strict()
            .run_to(&body, "svc #0x80")
            .unwrap();
        assert_eq!(r.get("x0"), Value::arg("map_base"));
        assert_eq!(r.get("x1"), Value::arg("map_len"));
        assert_eq!(r.get("x16"), Value::Imm(361));
        assert_eq!(r.get("x3"), Value::Imm(0x1_0000));
    }

    #[test]
    fn a_new_stack_forgets_the_old_slots_and_unmodeled_instructions_are_reported() {
        let body = ["str x2, [sp]", "mov sp, x4", "ldr x2, [sp]", "svc #0x80"];
        let r = c_args().strict().run_to(&body, "svc #0x80").unwrap();
        assert_eq!(r.get("x2"), Value::Unknown);

        let body = ["adrp x0, sym", "svc #0x80"];
        assert_eq!(
            c_args().run_to(&body, "svc #0x80").unwrap().get("x0"),
            Value::Unknown
        );
        assert!(matches!(
            c_args().strict().run_to(&body, "svc #0x80"),
            Err(TraceError::Unmodeled { .. })
        ));
        let body = ["str x0, [x9]", "svc #0x80"];
        assert!(c_args().strict().run_to(&body, "svc #0x80").is_err());
    }
}
