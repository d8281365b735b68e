//! The thread-create stubs against the description, read from their machine code: where
//! `rt0_raw_thread_create` puts each argument at the trap (traced by `symexec`), and what the
//! darwin start routine does first.

use rt0_inspect::{disasm, Object};
use symexec::{split_instruction, Isa, Tracer, Value};

use super::objects::{stub_symbol, sym};
use super::step::{step, Step, Verdict};
use crate::description::{Arch, Description};

/// The tracer's name for a description's architecture.
fn isa(arch: Arch) -> Isa {
    match arch {
        Arch::X86_64 => Isa::X86_64,
        Arch::Aarch64 => Isa::Aarch64,
        Arch::Riscv64 => Isa::Riscv64,
    }
}

/// The instructions of the stub `name` (with its hash suffix) in `obj`, and its symbol.
fn stub_body(d: &Description, obj: &Object, name: &str) -> Result<(String, Vec<String>), String> {
    let want = sym(d, name);
    let s = stub_symbol(obj, &want).ok_or_else(|| format!("the object does not define {want}"))?;
    let body = disasm::function_text(obj, s).map_err(String::from)?;
    Ok((s.name.clone(), body))
}

/// At `rt0_raw_thread_create`'s trap, traced from its C arguments: the call number, the flags
/// and each `[thread_create]` argument in its register.
pub fn thread_create_layout(d: &Description, obj: &Object) -> Step {
    let name = "thread_create registers";
    let (f, body) = match stub_body(d, obj, "rt0_raw_thread_create") {
        Ok(x) => x,
        Err(e) => return step(name, Verdict::Fail, e),
    };
    let c_args = d
        .c_abi
        .arg_registers
        .iter()
        .map(String::as_str)
        .zip(["func", "arg", "stack"]);
    // Strict: an instruction the tracer does not model fails the step, so a stub never grows a
    // step nobody checked (tools/symexec learns it).
    let tracer = Tracer::new(isa(d.arch)).args(c_args).strict();
    let regs = match tracer.run_to(&body, &d.syscall.instruction) {
        Ok(r) => r,
        Err(e) => return step(name, Verdict::Fail, format!("{f}: {e}")),
    };
    let Some(nr) = d.number("thread_create") else {
        return step(name, Verdict::Fail, "no numbers.thread_create");
    };
    // What the description fixes: the number, the flags (at least its bits: a port may need more
    // on the straight-line path), and where func, arg and stack travel. The other arguments
    // (darwin's pthread; Linux's ptid, ctid, tls) are pointers the stub has none of: 0.
    let mut wrong = Vec::new();
    let get = |r: &str| regs.get(r);
    let want_nr = nr + d.syscall.number_prefix;
    if get(&d.syscall.number_register) != Value::Imm(want_nr) {
        wrong.push(format!(
            "{} = {}, want {want_nr:#x}",
            d.syscall.number_register,
            get(&d.syscall.number_register)
        ));
    }
    for (a, r) in d
        .thread_create
        .map
        .args
        .iter()
        .zip(&d.thread_create.map.registers)
    {
        let got = get(r);
        let ok = match a.as_str() {
            "flags" => {
                matches!(got, Value::Imm(v) if v & d.thread_create.flags == d.thread_create.flags)
            }
            "stack" | "func" | "arg" => got == Value::Arg(a.clone()),
            _ => got == Value::Imm(0),
        };
        if !ok {
            let want = match a.as_str() {
                "flags" => format!("{:#x} (at least those bits)", d.thread_create.flags),
                "stack" | "func" | "arg" => format!("the C argument {a}"),
                _ => "0 (none)".to_string(),
            };
            wrong.push(format!("{a} in {r} = {got}, want {want}"));
        }
    }
    let layout: Vec<String> = d
        .thread_create
        .map
        .args
        .iter()
        .zip(&d.thread_create.map.registers)
        .map(|(a, r)| format!("{a}={r}"))
        .collect();
    if wrong.is_empty() {
        step(
            name,
            Verdict::Pass,
            format!(
                "at `{}`: {}={want_nr:#x} {}",
                d.syscall.instruction,
                d.syscall.number_register,
                layout.join(" ")
            ),
        )
    } else {
        step(
            name,
            Verdict::Fail,
            format!(
                "at `{}` in {f}: {}",
                d.syscall.instruction,
                wrong.join("; ")
            ),
        )
    }
}

/// darwin: the registered start routine first takes its stack from `[thread_start]`'s stack
/// register, never the kernel's stack pointer.
pub fn thread_start_stack(d: &Description, obj: &Object) -> Option<Step> {
    let ts = d.thread_start.as_ref()?;
    let name = "thread_start stack";
    let (f, body) = match stub_body(d, obj, "rt0_raw_thread_start") {
        Ok(x) => x,
        Err(e) => return Some(step(name, Verdict::Fail, e)),
    };
    let stack_reg = ts.map.register_of("stack").unwrap_or("?");
    let first = body.first().cloned().unwrap_or_default();
    // A register move into the stack pointer from the stack register: AT&T names the source
    // first (`movq %r8, %rsp`), the others the destination (`mov sp, x4`, `mv sp, a4`).
    let (op, ops) = split_instruction(&first);
    let ops: Vec<&str> = ops.iter().map(|o| o.trim_start_matches('%')).collect();
    let ok = match d.arch {
        Arch::X86_64 => {
            matches!(op.as_str(), "mov" | "movq") && ops == [stack_reg, ts.stack_pointer.as_str()]
        }
        Arch::Aarch64 | Arch::Riscv64 => {
            matches!(op.as_str(), "mov" | "mv" | "c.mv")
                && ops == [ts.stack_pointer.as_str(), stack_reg]
        }
    };
    Some(if ok {
        step(name, Verdict::Pass, format!("{f} starts with `{first}`: the stack comes from {stack_reg}, never the kernel's {}", ts.stack_pointer))
    } else {
        step(name, Verdict::Fail, format!("{f} starts with `{first}`: it must first set {} from the stack register {stack_reg} (older kernels left it {} bytes off)", ts.stack_pointer, ts.legacy_stack_offset))
    })
}
