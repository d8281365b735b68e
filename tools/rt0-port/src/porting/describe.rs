//! `rt0-port describe <triple> [--json]`: a port's conventions without reading its assembly.
//!
//! The JSON (stable for scripts and the tool's tests) carries: `target`, `folder`, `files`, `arch`,
//! `os`, `object_format`, `verified_by`; `syscall` {`instruction`, `number_register`,
//! `number_prefix`, `arg_registers`, `error`, `return_registers`, `clobbers`}; `numbers` (every
//! `[numbers]` entry, without the prefix); `thread_create` (argument name -> register) and
//! `thread_create_flags`; `thread_start` (darwin: argument name -> register) with
//! `thread_start_stack_pointer`; `initializer_args`, `initializer_registers`,
//! `initializer_section`; `stack`. Register names are lower case without `%`.

use super::json::Json;
use super::{port, Ctx, Usage};
use crate::description::{Constant, Description, RegisterMap};

/// The description as JSON (see the module docs for the fields).
pub fn to_json(d: &Description, folder: &str, files: &[String]) -> Json {
    let map = |m: &RegisterMap| {
        Json::obj(
            m.args
                .iter()
                .zip(&m.registers)
                .map(|(a, r)| (a.clone(), Json::str(r))),
        )
    };
    let mut j = Json::obj([
        ("target", Json::str(&d.triple)),
        ("folder", Json::str(folder)),
        ("files", Json::strs(files)),
        ("arch", Json::str(d.arch.as_str())),
        ("os", Json::str(d.os.as_str())),
        ("object_format", Json::str(&d.object_format)),
        ("verified_by", Json::str(&d.verified_by)),
        (
            "syscall",
            Json::obj([
                ("instruction", Json::str(&d.syscall.instruction)),
                ("number_register", Json::str(&d.syscall.number_register)),
                ("number_prefix", Json::int(d.syscall.number_prefix)),
                ("arg_registers", Json::strs(&d.syscall.arg_registers)),
                ("error", Json::str(d.syscall.error.as_str())),
                ("return_registers", Json::strs(&d.syscall.return_registers)),
                ("clobbers", Json::strs(&d.syscall.clobbers)),
            ]),
        ),
        (
            "numbers",
            Json::obj(d.numbers.iter().map(|(k, v)| (k.clone(), Json::int(*v)))),
        ),
        ("thread_create", map(&d.thread_create.map)),
        ("thread_create_args", Json::strs(&d.thread_create.map.args)),
        ("thread_create_flags", Json::int(d.thread_create.flags)),
    ]);
    if let Some(ts) = &d.thread_start {
        j.set("thread_start", map(&ts.map));
        j.set("thread_start_stack_pointer", Json::str(&ts.stack_pointer));
        j.set(
            "thread_start_legacy_stack_offset",
            Json::Num(ts.legacy_stack_offset as f64),
        );
    }
    j.set("initializer_args", Json::strs(&d.initializer.map.args));
    j.set("initializer_registers", map(&d.initializer.map));
    j.set("initializer_section", Json::str(&d.initializer.section));
    j.set(
        "initializer_args_fallback",
        d.initializer
            .args_fallback
            .as_ref()
            .map_or(Json::Null, |f| Json::str(f)),
    );
    j.set(
        "stack",
        Json::obj([
            ("alignment", Json::int(d.stack.alignment)),
            ("red_zone", Json::int(d.stack.red_zone)),
            ("page_size", Json::int(d.stack.page_size)),
            ("guard_size", Json::int(d.stack.guard_size)),
        ]),
    );
    j.set(
        "constants",
        Json::obj(d.constants.iter().map(|(k, v)| {
            let v = match v {
                Constant::Int(i) => Json::int(*i),
                Constant::List(l) => Json::Arr(l.iter().map(|x| Json::int(*x)).collect()),
            };
            (k.clone(), v)
        })),
    );
    j
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
pub fn run(ctx: &Ctx, args: &[String]) -> Result<i32, Usage> {
    let mut json = false;
    let mut triple = None;
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            a if a.starts_with('-') => return Err(Usage(Some(format!("unknown option {a}")))),
            a if triple.is_none() => triple = Some(a.to_string()),
            a => return Err(Usage(Some(format!("one triple only (also got {a})")))),
        }
    }
    let Some(triple) = triple else {
        return Err(Usage(Some("which triple?".into())));
    };
    let p = match port(ctx, &triple) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rt0-port describe: {e}");
            return Ok(1);
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
            return Ok(1);
        }
    };
    if json {
        println!("{}", to_json(&d, &p.folder, &p.files()).pretty());
    } else {
        print!("{}", text(&d, &p.folder, &p.files()));
    }
    Ok(0)
}
