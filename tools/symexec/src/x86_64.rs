//! x86_64 (AT&T syntax): pushes and pops, register and immediate moves, `rsp`-relative loads
//! and stores, `xor r, r`, `or $imm`, and the stack pointer set from a register.

use crate::syntax::{immediate, split_instruction};
use crate::{or, Machine, Value};

/// The 64-bit register an operand names (`%edi` and `rdi` -> `rdi`, `%r8d` -> `r8`).
pub(crate) fn full_register(r: &str) -> String {
    let r = r.trim().trim_start_matches('%');
    match r {
        "eax" | "ebx" | "ecx" | "edx" | "esi" | "edi" | "ebp" | "esp" => format!("r{}", &r[1..]),
        _ if r.starts_with('r')
            && r.len() > 2
            && matches!(r.as_bytes()[r.len() - 1], b'd' | b'w' | b'b')
            && r[1..r.len() - 1].parse::<u8>().is_ok() =>
        {
            r[..r.len() - 1].to_string()
        }
        _ => r.to_string(),
    }
}

fn is_memory(operand: &str) -> bool {
    operand.contains('(')
}

/// `off(%rsp)` -> `Some(off)`; any other address -> `None`.
fn rsp_offset(operand: &str) -> Option<i64> {
    let (off, base) = operand.trim().strip_suffix(')')?.split_once('(')?;
    if full_register(base) != "rsp" {
        return None;
    }
    Some(if off.is_empty() {
        0
    } else {
        immediate(off)? as i64
    })
}

fn value(m: &Machine, operand: &str) -> Value {
    if operand.starts_with('$') {
        immediate(operand).map_or(Value::Unknown, Value::Imm)
    } else if is_memory(operand) {
        rsp_offset(operand).map_or(Value::Unknown, |off| m.load(off))
    } else {
        m.get(operand)
    }
}

fn is_sp(operand: &str) -> bool {
    !is_memory(operand) && full_register(operand) == "rsp"
}

/// Steps one instruction; `false` when it is not modeled (its register destination, if any,
/// then holds an unknown value).
pub(crate) fn step(m: &mut Machine, ins: &str) -> bool {
    // AT&T operands never contain `#`: a disassembler may start a comment with it.
    let ins = ins.split('#').next().unwrap_or("");
    let (op, ops) = split_instruction(ins);
    match (op.as_str(), ops.as_slice()) {
        ("pushq" | "push", [src]) => {
            let v = value(m, src);
            m.sp -= 8;
            m.store(0, v);
        }
        ("popq" | "pop", [dst]) if !is_memory(dst) => {
            let v = m.load(0);
            m.sp += 8;
            m.set(dst, v);
        }
        ("movq" | "movl" | "mov" | "movabsq", [src, dst]) if is_sp(dst) => {
            let v = value(m, src);
            m.new_stack(v);
        }
        ("movq" | "movl" | "mov" | "movabsq", [src, dst]) if !is_memory(dst) => {
            let v = value(m, src);
            m.set(dst, v);
        }
        ("movq" | "mov", [src, dst]) if rsp_offset(dst).is_some() && !is_memory(src) => {
            let v = value(m, src);
            m.store(rsp_offset(dst).unwrap_or(0), v);
        }
        ("subq" | "addq" | "sub" | "add", [n, dst]) if is_sp(dst) && n.starts_with('$') => {
            let n = immediate(n).unwrap_or(0) as i64;
            m.sp += if op.starts_with("sub") { -n } else { n };
        }
        // Aligning the stack pointer moves it by an amount not known here.
        ("andq" | "and", [mask, dst]) if is_sp(dst) && mask.starts_with('$') => m.lose_stack(),
        ("xorq" | "xorl" | "xor", [a, b]) if full_register(a) == full_register(b) => {
            m.set(b, Value::Imm(0));
        }
        // Flag bits a stub adds to an immediate on the straight-line path.
        ("orq" | "orl" | "or", [src, dst]) if src.starts_with('$') && !is_memory(dst) => {
            let v = or(m.get(dst), immediate(src));
            m.set(dst, v);
        }
        (_, [.., dst]) if ops.len() >= 2 && !is_memory(dst) => {
            m.set(dst, Value::Unknown);
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
        Tracer::new(Isa::X86_64).args([("rdi", "func"), ("rsi", "arg"), ("rdx", "stack")])
    }

    #[test]
    fn darwin_thread_create_push_pop_shuffle() {
        // arch/x86_64-apple-darwin's rt0_raw_thread_create, disassembled.
        let body = [
            "pushq %rdx",
            "pushq %rsi",
            "pushq %rdi",
            "popq %rdi",
            "popq %rsi",
            "popq %rdx",
            "xorq %r10, %r10",
            "movq $0x1000000, %r8",
            "xorq %r9, %r9",
            "movq $0x2000168, %rax",
            "syscall",
            "jae 0x41",
        ];
        let r = c_args().strict().run_to(&body, "syscall").unwrap();
        assert_eq!(r.get("rax"), Value::Imm(0x2000168));
        assert_eq!(r.get("rdi"), Value::arg("func"));
        assert_eq!(r.get("rsi"), Value::arg("arg"));
        assert_eq!(r.get("rdx"), Value::arg("stack"));
        assert_eq!(r.get("r10"), Value::Imm(0));
        assert_eq!(r.get("r8"), Value::Imm(0x100_0000));
        assert_eq!(r.get("%r8d"), Value::Imm(0x100_0000));
    }

    #[test]
    fn a_new_stack_holds_what_its_address_points_at_until_it_is_aligned() {
        // arch/x86_64-apple-darwin's rt0_raw_thread_start, disassembled: the header at the new
        // stack's base holds {map_base, map_len}.
        let body = [
            "movq %r8, %rsp",
            "xorl %ebp, %ebp",
            "movq %rsi, %r14",
            "pushq %rdx",
            "pushq %rcx",
            "popq %rdi",
            "popq %rax",
            "movq (%rsp), %r12",
            "movq 8(%rsp), %r13",
            "andq $0xfffffffffffffff0, %rsp",
            "popq %rbx",
            "callq *%rax",
        ];
        let r = Tracer::new(Isa::X86_64)
            .args([
                ("rsi", "kport"),
                ("rdx", "func"),
                ("rcx", "arg"),
                ("r8", "stack"),
            ])
            .points_to("stack", &["map_base", "map_len"])
            .strict()
            .run_to(&body, "callq *%rax")
            .unwrap();
        assert_eq!(r.get("rax"), Value::arg("func"));
        assert_eq!(r.get("rdi"), Value::arg("arg"));
        assert_eq!(r.get("r12"), Value::arg("map_base"));
        assert_eq!(r.get("r13"), Value::arg("map_len"));
        assert_eq!(r.get("r14"), Value::arg("kport"));
        assert_eq!(r.get("rbp"), Value::Imm(0));
        // After the alignment the header's slots are out of reach.
        assert_eq!(r.get("rbx"), Value::Unknown);

        // Loads off a stack that is not the described memory are unknown.
        let r = Tracer::new(Isa::X86_64)
            .args([("r9", "other")])
            .points_to("stack", &["map_base"])
            .run_to(
                &["movq %r9, %rsp", "movq (%rsp), %r12", "syscall"],
                "syscall",
            )
            .unwrap();
        assert_eq!(r.get("r12"), Value::Unknown);
    }

    #[test]
    fn pops_in_the_wrong_order_are_seen() {
        let body = [
            "pushq %rdx",
            "pushq %rsi",
            "popq %rdx",
            "popq %rsi",
            "syscall",
        ];
        let r = c_args().run_to(&body, "syscall").unwrap();
        assert_eq!(r.get("rdx"), Value::arg("arg"));
        assert_eq!(r.get("rsi"), Value::arg("stack"));
    }

    #[test]
    fn thirty_two_bit_moves_and_or_of_flag_bits() {
        let body = [
            "movl %edi, %eax",
            "movl $0x100, %r8d",
            "orq $3, %r8",
            "movq (%rsp), %rcx",
            "syscall",
        ];
        let r = c_args().run_to(&body, "syscall").unwrap();
        assert_eq!(r.get("rax"), Value::arg("func"));
        assert_eq!(r.get("r8"), Value::Imm(0x103));
        assert_eq!(r.get("rcx"), Value::Unknown);
    }

    #[test]
    fn lenient_mode_forgets_what_it_cannot_follow_and_strict_mode_refuses() {
        let body = ["leaq 8(%rip), %rdi", "syscall"];
        let r = c_args().run_to(&body, "syscall").unwrap();
        assert_eq!(r.get("rdi"), Value::Unknown);
        assert_eq!(
            c_args().strict().run_to(&body, "syscall").unwrap_err(),
            TraceError::Unmodeled {
                instruction: "leaq 8(%rip), %rdi".into()
            }
        );
    }

    #[test]
    fn a_function_without_the_trap_is_an_error() {
        let body = ["movq $0x38, %rax", "retq"];
        let e = c_args().run_to(&body, "syscall").unwrap_err();
        assert_eq!(e.to_string(), "no `syscall` instruction in the function");
    }
}
