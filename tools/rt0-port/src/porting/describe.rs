//! `rt0-port describe <triple> [--json]`: a port's conventions without reading its assembly.
//!
//! The JSON (stable for scripts and the tool's tests) carries: `target`, `folder`, `files`, `arch`,
//! `os`, `object_format`, `verified_by`; `syscall` {`instruction`, `number_register`,
//! `number_prefix`, `arg_registers`, `error`, `return_registers`, `clobbers`}; `numbers` (every
//! `[numbers]` entry, without the prefix); `thread_create` (argument name -> register) and
//! `thread_create_flags`; `thread_start` (darwin: argument name -> register) with
//! `thread_start_stack_pointer`; `initializer_args`, `initializer_registers`,
//! `initializer_section`; `stack`. Register names are lower case without `%`.

use serde::{Serialize, Serializer};

use super::ctx::Ctx;
use super::ports::port;
use super::ArchDir;
use crate::description::{Constant, Description, RegisterMap};

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

/// A JSON object whose keys keep the description's order.
struct Ordered<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

fn registers(m: &RegisterMap) -> Ordered<String> {
    Ordered(
        m.args
            .iter()
            .cloned()
            .zip(m.registers.iter().cloned())
            .collect(),
    )
}

/// `describe --json`, field by field (see the module docs).
#[derive(Serialize)]
struct DescriptionJson<'a> {
    target: &'a str,
    folder: &'a str,
    files: &'a [String],
    arch: &'a str,
    os: &'a str,
    object_format: &'a str,
    verified_by: &'a str,
    syscall: SyscallJson<'a>,
    numbers: Ordered<u64>,
    thread_create: Ordered<String>,
    thread_create_args: &'a [String],
    thread_create_flags: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_start: Option<Ordered<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_start_stack_pointer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_start_legacy_stack_offset: Option<i64>,
    initializer_args: &'a [String],
    initializer_registers: Ordered<String>,
    initializer_section: &'a str,
    initializer_args_fallback: Option<&'a str>,
    stack: StackJson,
    constants: Ordered<ConstantJson>,
}

#[derive(Serialize)]
struct SyscallJson<'a> {
    /// `trap`, or `none` where rt0 makes no system calls (Windows): the other fields are empty.
    kind: &'a str,
    instruction: &'a str,
    number_register: &'a str,
    number_prefix: u64,
    arg_registers: &'a [String],
    error: &'a str,
    return_registers: &'a [String],
    clobbers: &'a [String],
}

#[derive(Serialize)]
struct StackJson {
    alignment: u64,
    red_zone: u64,
    page_size: u64,
    guard_size: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ConstantJson {
    Int(u64),
    List(Vec<u64>),
}

/// The description as pretty-printed JSON (see the module docs for the fields).
pub fn to_json(d: &Description, folder: &str, files: &[String]) -> String {
    let ts = d.thread_start.as_ref();
    let j = DescriptionJson {
        target: &d.triple,
        folder,
        files,
        arch: d.arch.as_str(),
        os: d.os.as_str(),
        object_format: &d.object_format,
        verified_by: &d.verified_by,
        syscall: SyscallJson {
            kind: d.syscall_kind.as_str(),
            instruction: &d.syscall.instruction,
            number_register: &d.syscall.number_register,
            number_prefix: d.syscall.number_prefix,
            arg_registers: &d.syscall.arg_registers,
            error: d.syscall.error.as_str(),
            return_registers: &d.syscall.return_registers,
            clobbers: &d.syscall.clobbers,
        },
        numbers: Ordered(d.numbers.clone()),
        thread_create: registers(&d.thread_create.map),
        thread_create_args: &d.thread_create.map.args,
        thread_create_flags: d.thread_create.flags,
        thread_start: ts.map(|t| registers(&t.map)),
        thread_start_stack_pointer: ts.map(|t| t.stack_pointer.as_str()),
        thread_start_legacy_stack_offset: ts.map(|t| t.legacy_stack_offset),
        initializer_args: &d.initializer.map.args,
        initializer_registers: registers(&d.initializer.map),
        initializer_section: &d.initializer.section,
        initializer_args_fallback: d.initializer.args_fallback.as_deref(),
        stack: StackJson {
            alignment: d.stack.alignment,
            red_zone: d.stack.red_zone,
            page_size: d.stack.page_size,
            guard_size: d.stack.guard_size,
        },
        constants: Ordered(
            d.constants
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Constant::Int(i) => ConstantJson::Int(*i),
                        Constant::List(l) => ConstantJson::List(l.clone()),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
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
    if d.syscall_kind == crate::description::SyscallKind::None {
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
