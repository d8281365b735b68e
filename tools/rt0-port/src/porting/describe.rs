//! `rt0-port describe <triple> [--json]`: a port's conventions without reading its assembly.
//!
//! The JSON (stable for scripts and the tool's tests) carries: `target`, `arch`, `os`,
//! `object_format`, `verified_by`; `syscall` {`kind`, `instruction`, `number_register`,
//! `number_prefix`, `arg_registers`, `error`, `return_registers`, `clobbers`}; `c_abi`
//! {`arg_registers`, `return_register`, `callee_saved`, `shadow_space`, `callee_saved_vector`};
//! `numbers` (every `[numbers]` entry, without the prefix); `thread_create` (argument name ->
//! register) and `thread_create_flags`; `thread_start` (darwin: argument name -> register) with
//! `thread_start_stack_pointer` and `thread_start_legacy_stack_offset`; `thread_exit_args`;
//! `initializer_section`, `initializer_registers`, `initializer_args_fallback`; `stack`;
//! `constants`; and, from this command, `folder`, `files`, `thread_create_args` and
//! `initializer_args` (the kernel's and the loader's argument orders). Register names are lower
//! case without `%`. The description's part is rt0-description's model as it serializes itself.

use serde::Serialize;

use super::ctx::Ctx;
use super::ports::port;
use super::ArchDir;
use crate::description::{Description, RegisterMap, SyscallKind};

/// `rt0-port describe`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The target triple to describe.
    pub triple: String,
    /// Print JSON (the fields in the module documentation) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub arch: ArchDir,
}

/// `describe --json`: the description as the model serializes it (rt0-description's `serde`
/// feature), with where the port lives and the argument orders, which a JSON object's keys do not
/// keep.
#[derive(Serialize)]
struct DescribeJson<'a> {
    #[serde(flatten)]
    description: &'a Description,
    folder: &'a str,
    files: &'a [String],
    thread_create_args: &'a [String],
    initializer_args: &'a [String],
}

/// The description as pretty-printed JSON (see the module docs for the fields).
pub fn to_json(d: &Description, folder: &str, files: &[String]) -> String {
    let j = DescribeJson {
        description: d,
        folder,
        files,
        thread_create_args: &d.thread_create.map.args,
        initializer_args: &d.initializer.map.args,
    };
    serde_json::to_string_pretty(&j).expect("a description serializes")
}

fn text(d: &Description, folder: &str, files: &[String]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let pairs = |m: &RegisterMap| {
        m.args
            .iter()
            .zip(&m.registers)
            .map(|(a, r)| format!("{a}={r}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        s,
        "{} ({} {}, {}), from arch/{folder}/{{{}}}",
        d.triple,
        d.arch.as_str(),
        d.os.as_str(),
        d.object_format,
        files.join(",")
    );
    let _ = writeln!(s, "verified by:    {}", d.verified_by);
    if d.syscall.kind == SyscallKind::None {
        let _ = writeln!(
            s,
            "syscall:        none ({} has no stable system-call interface: rt0 calls its system library; no numbers, no raw thread create)",
            d.os.as_str()
        );
        let _ = writeln!(
            s,
            "c_abi:          args {}, result {}, shadow space {} bytes, callee-saved {} {}",
            d.c_abi.arg_registers.join(" "),
            d.c_abi.return_register,
            d.c_abi.shadow_space,
            d.c_abi.callee_saved.join(" "),
            d.c_abi.callee_saved_vector.join(" ")
        );
    } else {
        let _ = writeln!(
            s,
            "syscall:        `{}`, number in {}{}, args {}, error: {}",
            d.syscall.instruction,
            d.syscall.number_register,
            if d.syscall.number_prefix != 0 {
                format!(" (+ {:#x})", d.syscall.number_prefix)
            } else {
                String::new()
            },
            d.syscall.arg_registers.join(" "),
            match d.syscall.error.as_str() {
                "carry" => "carry flag set, positive errno",
                _ => "-4095..-1 is -errno",
            }
        );
        let _ = writeln!(
            s,
            "                returns in {}, clobbers {}",
            d.syscall.return_registers.join(" "),
            if d.syscall.clobbers.is_empty() {
                "nothing".to_string()
            } else {
                d.syscall.clobbers.join(" ")
            }
        );
        let nums: Vec<String> = d.numbers.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(s, "numbers:        {}", nums.join(" "));
        let _ = writeln!(
            s,
            "thread_create:  {}  flags={:#x}",
            pairs(&d.thread_create.map),
            d.thread_create.flags
        );
    }
    if let Some(ts) = &d.thread_start {
        let _ = writeln!(
            s,
            "thread_start:   {}  ({} = stack exactly; legacy kernels: {:+})",
            pairs(&ts.map),
            ts.stack_pointer,
            ts.legacy_stack_offset
        );
    }
    let init = if d.initializer.map.args.is_empty() {
        format!(
            "no arguments (recovered via {})",
            d.initializer.args_fallback.as_deref().unwrap_or("?")
        )
    } else {
        pairs(&d.initializer.map)
    };
    let _ = writeln!(s, "initializer:    {} in {}", init, d.initializer.section);
    let _ = writeln!(
        s,
        "stack:          align {}, red zone {}, page {}, guard {}",
        d.stack.alignment, d.stack.red_zone, d.stack.page_size, d.stack.guard_size
    );
    s
}

/// Runs `describe`.
pub fn run(ctx: &Ctx, args: &Args) -> i32 {
    let triple = &args.triple;
    let p = match port(ctx, triple) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rt0-port describe: {e}");
            return 1;
        }
    };
    let d = match p.description(ctx) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rt0-port describe: {e}");
            let todos = p.todos(ctx);
            if !todos.is_empty() {
                eprintln!("  (an unfinished port: {} TODO markers left; `rt0-port check {triple}` lists them)", todos.len());
            }
            return 1;
        }
    };
    if args.json {
        println!("{}", to_json(&d, &p.folder, &p.files()));
    } else {
        print!("{}", text(&d, &p.folder, &p.files()));
    }
    0
}
