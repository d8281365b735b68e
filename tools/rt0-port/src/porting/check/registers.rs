//! The thread-create stubs against the description, read from their disassembly: where
//! `rt0_raw_thread_create` puts each argument at the trap (traced by `symexec`), and what the
//! darwin start routine does first.

use std::path::Path;
use std::process::Command;

use symexec::{function_body, Isa, Tracer, Value};

use super::objects::{stub_symbol_in, sym};
use super::step::{step, Step, Verdict};
use crate::description::{Arch, Description};
use crate::porting::toolchain::run_cmd;

/// The tracer's name for a description's architecture.
fn isa(arch: Arch) -> Isa {
    match arch {
        Arch::X86_64 => Isa::X86_64,
        Arch::Aarch64 => Isa::Aarch64,
        Arch::Riscv64 => Isa::Riscv64,
    }
}

/// The object's disassembly, without raw bytes.
fn disassembly(obj: &Path) -> Result<String, String> {
    run_cmd(
        Command::new("llvm-objdump")
            .args(["-d", "--no-show-raw-insn"])
            .arg(obj),
    )
}

/// At `rt0_raw_thread_create`'s trap, traced from its C arguments: the call number, the flags
/// and each `[thread_create]` argument in its register.
pub fn thread_create_layout(d: &Description, obj: &Path) -> Step {
    let name = "thread_create registers";
    let dis = match disassembly(obj) {
        Ok(o) => o,
        Err(e) => return step(name, Verdict::Fail, e),
    };
    let f = stub_symbol_in(&dis, &sym(d, "rt0_raw_thread_create"))
        .unwrap_or_else(|| sym(d, "rt0_raw_thread_create"));
    let Some(body) = function_body(&dis, &f) else {
        return step(name, Verdict::Fail, format!("{f} not in the disassembly"));
    };
    let c_args = d
        .c_abi
        .arg_registers
        .iter()
        .map(String::as_str)
        .zip(["func", "arg", "stack"]);
    let tracer = Tracer::new(isa(d.arch)).args(c_args);
    let regs = match tracer.run_to(&body, &d.syscall.instruction) {
        Ok(r) => r,
        Err(e) => return step(name, Verdict::Fail, format!("{f}: {e}")),
    };
    let Some(nr) = d.number("thread_create") else {
        return step(name, Verdict::Fail, "no numbers.thread_create");
    };
    // What the description fixes: the number, the flags (at least its bits: a port may need more on
    // the straight-line path), and where func, arg and stack travel. The other arguments (pthread; ptid, ctid, tls) are the stub's own values and
    // must at least not be one of the C arguments routed to the wrong place.
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
            _ => !matches!(got, Value::Arg(_)),
        };
        if !ok {
            let want = match a.as_str() {
                "flags" => format!("{:#x} (at least those bits)", d.thread_create.flags),
                "stack" | "func" | "arg" => format!("the C argument {a}"),
                _ => "not a C argument".to_string(),
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
pub fn thread_start_stack(d: &Description, obj: &Path) -> Option<Step> {
    let ts = d.thread_start.as_ref()?;
    let name = "thread_start stack";
    let dis = match disassembly(obj) {
        Ok(o) => o,
        Err(e) => return Some(step(name, Verdict::Fail, e)),
    };
    let f = stub_symbol_in(&dis, &sym(d, "rt0_raw_thread_start"))
        .unwrap_or_else(|| sym(d, "rt0_raw_thread_start"));
    let Some(body) = function_body(&dis, &f) else {
        return Some(step(
            name,
            Verdict::Fail,
            format!("{f} not in the disassembly"),
        ));
    };
    let stack_reg = ts.map.register_of("stack").unwrap_or("?");
    let first = body.first().cloned().unwrap_or_default();
    let ok = match d.arch {
        Arch::X86_64 => {
            first == format!("movq %{stack_reg}, %{}", ts.stack_pointer)
                || first == format!("mov %{stack_reg}, %{}", ts.stack_pointer)
        }
        Arch::Aarch64 => first == format!("mov {}, {stack_reg}", ts.stack_pointer),
        Arch::Riscv64 => first == format!("mv {}, {stack_reg}", ts.stack_pointer),
    };
    Some(if ok {
        step(name, Verdict::Pass, format!("{f} starts with `{first}`: the stack comes from {stack_reg}, never the kernel's {}", ts.stack_pointer))
    } else {
        step(name, Verdict::Fail, format!("{f} starts with `{first}`: it must first set {} from the stack register {stack_reg} (older kernels left it {} bytes off)", ts.stack_pointer, ts.legacy_stack_offset))
    })
}
