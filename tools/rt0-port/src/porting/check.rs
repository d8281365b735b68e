//! `rt0-port check <triple>... | --all [--no-scenarios]`: is a port done?
//!
//! For each port, in order (a step that cannot run is `skip` with the reason; any `FAIL` makes the
//! exit status 1):
//! 1. **port**: the folder and its files exist, no `TODO` marker is left (each is listed), the
//!    description parses (the parser's error names the field) and `verified_by` is not `not-yet`;
//! 2. **toolchain**: rustup has the target's std and the linker `.cargo/config.toml` names exists;
//! 3. **build**: `cargo build -p rt0-demo --target T` for the pthread and the raw path, into
//!    `target/port-check` (one target dir for every port, so host build dependencies are shared;
//!    the products are copied to `target/port-check/artifacts/T/{pthread,raw}`);
//! 4. **static checks**, from the description, on the built archive: the object format and
//!    architecture; the initializer record in `[initializer].section` pointing at the entry, in
//!    the object that defines `rt0_entry_state` (so any export links it); the registers at
//!    `rt0_raw_thread_create`'s trap, executed symbolically, against `[thread_create]` and the
//!    call number; on darwin, the start routine taking its stack from `[thread_start]`'s stack
//!    register; only PC-relative relocations in the stubs' code; no text relocations in the shared
//!    library (when the target builds one);
//! 5. **scenarios**, as `verified_by` says and where they can run here: `native` runs
//!    `cargo test --test linux_scenarios` (Linux host) or `--test macos_native` (macOS host);
//!    `qemu-user` runs `cargo test --test cross_scenarios` (once per invocation); `emulated-xnu`
//!    runs `rt0-port emulate T` and `rt0-port emulate T --raw`.
//!
//! `--all` checks every registered port; an unfinished scaffold (TODOs left or
//! `verified_by = "not-yet"`) is listed as `unfinished` without failing the run: checking it by
//! name fails with the list of what is missing. Verdicts are recorded in
//! `target/rt0-port/last-check.json` for `rt0-port list`.

use super::json::{self, Json};
use super::list::{find_program, toolchain_ready};
use super::{host_triple, installed_targets, port, ports, print_table, Ctx, Port, Usage};
use crate::description::{Arch, Description, Os};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Checked and right.
    Pass,
    /// Checked and wrong, or required and impossible.
    Fail,
    /// Could not run here; the detail says why.
    Skip,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        }
    }
}

/// One row of the verdict table.
#[derive(Debug, Clone)]
pub struct Step {
    /// What was checked.
    pub name: String,
    /// Its outcome.
    pub verdict: Verdict,
    /// Why, briefly (multi-line details are printed under the table).
    pub detail: String,
}

fn step(name: &str, verdict: Verdict, detail: impl Into<String>) -> Step {
    Step {
        name: name.to_string(),
        verdict,
        detail: detail.into(),
    }
}

/// Runs a command; `Ok(stdout+stderr)` on success, `Err(the same)` otherwise.
fn run_cmd(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// The lines of a failed build that say why (rt0's build-script errors, compiler and assembler errors).
pub fn build_error_summary(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("error")
                || l.contains("rt0 build:")
                || l.contains(": error:")
                || l.contains("#error")
        })
        .filter(|l| {
            !l.contains("could not compile") && !l.contains("failed to run custom build command")
        })
        .collect();
    let mut seen = Vec::new();
    for l in lines {
        let l = l.trim().to_string();
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    if seen.is_empty() {
        text.lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        seen.into_iter().take(8).collect::<Vec<_>>().join("\n")
    }
}

/// Builds the demo for `triple` (raw path when `raw`); returns the folder holding its products.
pub fn build_demo(ctx: &Ctx, triple: &str, raw: bool) -> Result<PathBuf, String> {
    let target_dir = ctx.root.join("target/port-check");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&ctx.root)
        .args([
            "build",
            "-p",
            "rt0-demo",
            "--target",
            triple,
            "--target-dir",
        ])
        .arg(&target_dir);
    if raw {
        cmd.args(["--features", "raw"]);
    }
    ctx.arch_env(&mut cmd);
    run_cmd(&mut cmd)?;
    let built = target_dir.join(triple).join("debug");
    let keep = target_dir
        .join("artifacts")
        .join(triple)
        .join(if raw { "raw" } else { "pthread" });
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&keep).map_err(|e| format!("{}: {e}", keep.display()))?;
    for name in ["librt0_demo.a", "librt0_demo.so", "librt0_demo.dylib"] {
        if built.join(name).is_file() {
            std::fs::copy(built.join(name), keep.join(name))
                .map_err(|e| format!("copying {name}: {e}"))?;
        }
    }
    Ok(keep)
}

/// Runs only what can run without the target's std: rt0's build script (description, generated
/// header, stubs assembled by cc), through `cargo build --keep-going -p rt0`.
fn build_script_only(ctx: &Ctx, triple: &str) -> Step {
    let name = "build script";
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&ctx.root)
        .args([
            "build",
            "--keep-going",
            "-p",
            "rt0",
            "--target",
            triple,
            "--target-dir",
        ])
        .arg(ctx.root.join("target/port-check"));
    ctx.arch_env(&mut cmd);
    let text = match run_cmd(&mut cmd) {
        Ok(t) | Err(t) => t,
    };
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("rt0 build:")
                || l.contains("#error")
                || (l.contains(".S:") && l.contains("error"))
        })
        .map(str::trim)
        .collect();
    if ours.is_empty() {
        step(name, Verdict::Skip, format!("rt0's build script found nothing wrong; the rest needs `rustup target add {triple}`"))
    } else {
        step(
            name,
            Verdict::Fail,
            ours.into_iter().take(8).collect::<Vec<_>>().join("\n"),
        )
    }
}

/// The symbol name an object file uses for the C name `name`.
fn sym(d: &Description, name: &str) -> String {
    if d.object_format == "macho" {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// Extracts the archive member defining `symbol` into `dir`; returns its path.
fn member_defining(archive: &Path, symbol: &str, dir: &Path) -> Result<PathBuf, String> {
    // LLVM 14's llvm-nm cannot read some members newer rustc writes (bitcode in compiler_builtins)
    // and then exits non-zero: read what it printed for the others.
    let out = Command::new("llvm-nm")
        .args(["-A", "--defined-only"])
        .arg(archive)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run llvm-nm: {e}"))?;
    let nm = String::from_utf8_lossy(&out.stdout);
    let member = nm
        .lines()
        .find(|l| l.split_whitespace().last() == Some(symbol) && !l.contains(" U "))
        .and_then(|l| l.split(':').nth(1))
        .map(str::to_string)
        .ok_or_else(|| format!("no member of {} defines {symbol}", archive.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    run_cmd(
        Command::new("llvm-ar")
            .arg("x")
            .arg(archive)
            .arg(&member)
            .current_dir(dir),
    )?;
    Ok(dir.join(member))
}

fn object_format(d: &Description, obj: &Path) -> Step {
    // LLVM 14's `llvm-objdump -f` prints a Mach-O file's format, then fails on its headers.
    let out = match run_cmd(Command::new("llvm-objdump").arg("-f").arg(obj)) {
        Ok(o) | Err(o) => o,
    };
    let fmt = out
        .lines()
        .find_map(|l| l.split("file format ").nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    let fmt_ok = match d.object_format.as_str() {
        "macho" => fmt.starts_with("mach-o"),
        _ => fmt.starts_with("elf64"),
    };
    let arch_ok = match d.arch {
        Arch::X86_64 => fmt.contains("x86-64"),
        Arch::Aarch64 => fmt.contains("aarch64") || fmt.contains("arm64"),
    };
    if fmt_ok && arch_ok {
        step(
            "object format",
            Verdict::Pass,
            format!("{fmt} ({} {})", d.object_format, d.arch.as_str()),
        )
    } else {
        step(
            "object format",
            Verdict::Fail,
            format!(
                "{}: `{fmt}`, the description says {} {}",
                obj.display(),
                d.object_format,
                d.arch.as_str()
            ),
        )
    }
}

fn initializer(d: &Description, obj: &Path) -> Step {
    let entry = sym(d, "rt0_lib_entry");
    let relocs = match run_cmd(Command::new("llvm-objdump").arg("-r").arg(obj)) {
        Ok(o) => o,
        Err(e) => return step("initializer", Verdict::Fail, e),
    };
    // `llvm-objdump -r` names Mach-O sections without their segment.
    let want = d
        .initializer
        .section
        .rsplit(',')
        .next()
        .unwrap_or("")
        .to_string();
    let mut found_section = false;
    let mut points_at_entry = false;
    for block in relocs.split("RELOCATION RECORDS FOR [").skip(1) {
        let name = block.split(']').next().unwrap_or("");
        if name == want || name.starts_with(&format!("{want}.")) {
            found_section = true;
            points_at_entry |= block
                .lines()
                .skip(1)
                .any(|l| l.split_whitespace().last() == Some(entry.as_str()));
        }
    }
    let nm = run_cmd(Command::new("llvm-nm").arg("--defined-only").arg(obj)).unwrap_or_default();
    let state_here = nm
        .lines()
        .any(|l| l.split_whitespace().last() == Some(sym(d, "rt0_entry_state").as_str()));
    match (found_section, points_at_entry, state_here) {
        (true, true, true) => step(
            "initializer",
            Verdict::Pass,
            format!(
                "{} -> {entry}, with rt0_entry_state in the same object",
                d.initializer.section
            ),
        ),
        (false, _, _) => step(
            "initializer",
            Verdict::Fail,
            format!(
                "no relocated {} section in the entry object",
                d.initializer.section
            ),
        ),
        (true, false, _) => step(
            "initializer",
            Verdict::Fail,
            format!("{} does not point at {entry}", d.initializer.section),
        ),
        (true, true, false) => step(
            "initializer",
            Verdict::Fail,
            "rt0_entry_state is not in the entry's object: a static link may drop the initializer",
        ),
    }
}

/// What a register holds, symbolically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// The C argument that arrived with this name.
    Arg(String),
    /// A known constant.
    Imm(u64),
    /// Anything else.
    Unknown,
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Arg(a) => write!(f, "{a}"),
            Val::Imm(i) => write!(f, "{i:#x}"),
            Val::Unknown => write!(f, "?"),
        }
    }
}

/// The instructions of `function` in an `llvm-objdump -d --no-show-raw-insn` listing.
fn function_body(dis: &str, function: &str) -> Option<Vec<String>> {
    let header = format!("<{function}>:");
    let mut lines = dis.lines().skip_while(|l| !l.trim_end().ends_with(&header));
    lines.next()?;
    Some(
        lines
            .take_while(|l| !l.trim().is_empty() && !l.trim_end().ends_with(">:"))
            .filter_map(|l| l.split_once(':').map(|(_, i)| i.trim().replace('\t', " ")))
            .map(|i| i.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect(),
    )
}

fn parse_imm(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('$').trim_start_matches('#');
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else {
        s.parse().ok()?
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

fn x86_full(r: &str) -> String {
    let r = r.trim().trim_start_matches('%');
    match r {
        "eax" | "ebx" | "ecx" | "edx" | "esi" | "edi" | "ebp" | "esp" => format!("r{}", &r[1..]),
        _ if r.starts_with('r')
            && (r.ends_with('d') || r.ends_with('w') || r.ends_with('b'))
            && r[1..r.len() - 1].parse::<u8>().is_ok() =>
        {
            r[..r.len() - 1].to_string()
        }
        _ => r.to_string(),
    }
}

fn a64_full(r: &str) -> String {
    let r = r.trim();
    match r {
        "wzr" | "xzr" => "zr".to_string(),
        "x29" => "fp".to_string(),
        "x30" => "lr".to_string(),
        _ => match r.strip_prefix('w') {
            Some(n) if n.parse::<u8>().is_ok() => format!("x{n}"),
            _ => r.to_string(),
        },
    }
}

/// Executes `body` symbolically from the C arguments up to the first instruction `trap`;
/// returns the registers at the trap, or why it could not.
pub fn registers_at_trap(
    arch: Arch,
    body: &[String],
    c_args: &[(String, String)],
    trap: &str,
) -> Result<HashMap<String, Val>, String> {
    let mut regs: HashMap<String, Val> = c_args
        .iter()
        .map(|(r, a)| (r.clone(), Val::Arg(a.clone())))
        .collect();
    let get = |regs: &HashMap<String, Val>, r: &str| {
        if r == "zr" {
            Val::Imm(0)
        } else {
            regs.get(r).cloned().unwrap_or(Val::Unknown)
        }
    };
    let mut stack: Vec<Val> = Vec::new();
    let mut sp: i64 = 0;
    let mut mem: HashMap<i64, Val> = HashMap::new();
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for ins in body {
        if squash(ins) == squash(trap) {
            return Ok(regs);
        }
        // AT&T operands never contain `#`: there it opens llvm-objdump's `# imm = ...` comment.
        let ins = if arch == Arch::X86_64 {
            ins.split('#').next().unwrap_or("").trim().to_string()
        } else {
            ins.clone()
        };
        let (op, rest) = ins.split_once(' ').unwrap_or((ins.as_str(), ""));
        let ops: Vec<String> = split_operands(rest);
        match arch {
            Arch::X86_64 => match op {
                "pushq" | "push" => stack.push(
                    parse_imm(&ops[0])
                        .map(Val::Imm)
                        .unwrap_or_else(|| get(&regs, &x86_full(&ops[0]))),
                ),
                "popq" | "pop" => {
                    let v = stack.pop().unwrap_or(Val::Unknown);
                    regs.insert(x86_full(&ops[0]), v);
                }
                "movq" | "movl" | "mov" if ops.len() == 2 && !ops[1].contains('(') => {
                    let v = if ops[0].starts_with('$') {
                        parse_imm(&ops[0]).map(Val::Imm).unwrap_or(Val::Unknown)
                    } else if ops[0].contains('(') {
                        Val::Unknown
                    } else {
                        get(&regs, &x86_full(&ops[0]))
                    };
                    regs.insert(x86_full(&ops[1]), v);
                }
                "xorq" | "xorl" | "xor"
                    if ops.len() == 2 && x86_full(&ops[0]) == x86_full(&ops[1]) =>
                {
                    regs.insert(x86_full(&ops[1]), Val::Imm(0));
                }
                // Flag bits added on the fall-through path (e.g. CLONE_CHILD_CLEARTID when a tid slot is given).
                "orq" | "orl" | "or" if ops.len() == 2 && ops[0].starts_with('$') => {
                    let dst = x86_full(&ops[1]);
                    let v = match (get(&regs, &dst), parse_imm(&ops[0])) {
                        (Val::Imm(a), Some(b)) => Val::Imm(a | b),
                        _ => Val::Unknown,
                    };
                    regs.insert(dst, v);
                }
                _ if ops.len() >= 2 && !ops.last().unwrap().contains('(') => {
                    regs.insert(x86_full(ops.last().unwrap()), Val::Unknown);
                }
                _ => {}
            },
            Arch::Aarch64 => match op {
                "mov" | "movz" if ops.len() == 2 => {
                    let dst = a64_full(&ops[0]);
                    let v = if ops[1].starts_with('#') {
                        parse_imm(&ops[1]).map(Val::Imm).unwrap_or(Val::Unknown)
                    } else {
                        get(&regs, &a64_full(&ops[1]))
                    };
                    if dst == "sp" {
                        sp = 0;
                    } else {
                        regs.insert(dst, v);
                    }
                }
                "movk" if ops.len() >= 2 => {
                    let dst = a64_full(&ops[0]);
                    let imm = parse_imm(&ops[1]).unwrap_or(0);
                    let shift = ops
                        .get(2)
                        .and_then(|s| s.trim().strip_prefix("lsl"))
                        .and_then(|s| parse_imm(s))
                        .unwrap_or(0);
                    let v = match get(&regs, &dst) {
                        Val::Imm(old) => Val::Imm((old & !(0xffffu64 << shift)) | (imm << shift)),
                        _ => Val::Unknown,
                    };
                    regs.insert(dst, v);
                }
                "orr" if ops.len() == 3 && ops[2].starts_with('#') => {
                    let dst = a64_full(&ops[0]);
                    let v = match (get(&regs, &a64_full(&ops[1])), parse_imm(&ops[2])) {
                        (Val::Imm(a), Some(b)) => Val::Imm(a | b),
                        _ => Val::Unknown,
                    };
                    regs.insert(dst, v);
                }
                "sub" | "add" if ops.len() == 3 && ops[0] == "sp" && ops[1] == "sp" => {
                    let n = parse_imm(&ops[2]).unwrap_or(0) as i64;
                    sp += if op == "sub" { -n } else { n };
                }
                "str" | "ldr" | "stp" | "ldp" => {
                    let nregs = if op.ends_with('p') { 2 } else { 1 };
                    let addr = ops[nregs..].join(",");
                    let Some((base_off, pre, post)) = a64_sp_addr(&addr) else {
                        if op.starts_with("ld") {
                            for r in &ops[..nregs] {
                                regs.insert(a64_full(r), Val::Unknown);
                            }
                        }
                        continue;
                    };
                    let at = if pre {
                        sp + base_off
                    } else {
                        sp + if post.is_some() { 0 } else { base_off }
                    };
                    for (k, r) in ops[..nregs].iter().enumerate() {
                        let slot = at + 8 * k as i64;
                        if op.starts_with("st") {
                            mem.insert(slot, get(&regs, &a64_full(r)));
                        } else {
                            regs.insert(
                                a64_full(r),
                                mem.get(&slot).cloned().unwrap_or(Val::Unknown),
                            );
                        }
                    }
                    if pre {
                        sp += base_off;
                    }
                    if let Some(p) = post {
                        sp += p;
                    }
                }
                _ if !ops.is_empty() => {
                    regs.insert(a64_full(&ops[0]), Val::Unknown);
                }
                _ => {}
            },
        }
    }
    Err(format!("no `{trap}` instruction in the function"))
}

/// Splits operands on commas outside brackets.
fn split_operands(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                cur.push(c)
            }
            ']' | ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    // Drop trailing comments (`// =0xd0f00`).
    out.into_iter()
        .map(|o| o.split("//").next().unwrap_or("").trim().to_string())
        .filter(|o| !o.is_empty())
        .collect()
}

/// `[sp, #off]`, `[sp, #off]!`, `[sp], #post`: (offset, pre-indexed, post-increment).
fn a64_sp_addr(addr: &str) -> Option<(i64, bool, Option<i64>)> {
    let a = addr.replace(' ', "");
    if !a.starts_with("[sp") {
        return None;
    }
    let close = a.find(']')?;
    let inside = &a[1..close];
    let off = inside
        .split_once(',')
        .and_then(|(_, o)| parse_imm(o))
        .unwrap_or(0) as i64;
    let after = &a[close + 1..];
    if after.starts_with('!') {
        return Some((off, true, None));
    }
    if let Some(p) = after.strip_prefix(',') {
        return Some((0, false, Some(parse_imm(p)? as i64)));
    }
    Some((off, false, None))
}

fn thread_create_layout(d: &Description, obj: &Path) -> Step {
    let name = "thread_create registers";
    let dis = match run_cmd(
        Command::new("llvm-objdump")
            .args(["-d", "--no-show-raw-insn"])
            .arg(obj),
    ) {
        Ok(o) => o,
        Err(e) => return step(name, Verdict::Fail, e),
    };
    let f = sym(d, "rt0_raw_thread_create");
    let Some(body) = function_body(&dis, &f) else {
        return step(name, Verdict::Fail, format!("{f} not in the disassembly"));
    };
    let c_args: Vec<(String, String)> = ["func", "arg", "stack"]
        .iter()
        .zip(&d.c_abi.arg_registers)
        .map(|(a, r)| (r.clone(), a.to_string()))
        .collect();
    let regs = match registers_at_trap(d.arch, &body, &c_args, &d.syscall.instruction) {
        Ok(r) => r,
        Err(e) => return step(name, Verdict::Fail, format!("{f}: {e}")),
    };
    let Some(nr) = d.number("thread_create") else {
        return step(name, Verdict::Fail, "no numbers.thread_create");
    };
    // What the description fixes: the number, the flags (the stub may add bits, e.g. a tid slot's
    // CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, on the straight-line path), and where func, arg and
    // stack travel. The other arguments (pthread; ptid, ctid, tls) are the stub's own values and
    // must at least not be one of the C arguments routed to the wrong place.
    let mut wrong = Vec::new();
    let get = |r: &str| {
        if r == "zr" {
            Val::Imm(0)
        } else {
            regs.get(r).cloned().unwrap_or(Val::Unknown)
        }
    };
    let want_nr = nr + d.syscall.number_prefix;
    if get(&d.syscall.number_register) != Val::Imm(want_nr) {
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
                matches!(got, Val::Imm(v) if v & d.thread_create.flags == d.thread_create.flags)
            }
            "stack" | "func" | "arg" => got == Val::Arg(a.clone()),
            _ => !matches!(got, Val::Arg(_)),
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

fn thread_start_stack(d: &Description, obj: &Path) -> Option<Step> {
    let ts = d.thread_start.as_ref()?;
    let name = "thread_start stack";
    let dis = match run_cmd(
        Command::new("llvm-objdump")
            .args(["-d", "--no-show-raw-insn"])
            .arg(obj),
    ) {
        Ok(o) => o,
        Err(e) => return Some(step(name, Verdict::Fail, e)),
    };
    let f = sym(d, "rt0_raw_thread_start");
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
    };
    Some(if ok {
        step(name, Verdict::Pass, format!("{f} starts with `{first}`: the stack comes from {stack_reg}, never the kernel's {}", ts.stack_pointer))
    } else {
        step(name, Verdict::Fail, format!("{f} starts with `{first}`: it must first set {} from the stack register {stack_reg} (older kernels left it {} bytes off)", ts.stack_pointer, ts.legacy_stack_offset))
    })
}

fn text_relocations(d: &Description, dir: &Path) -> Step {
    let name = "no text relocations";
    match d.os {
        Os::Linux => {
            let so = dir.join("librt0_demo.so");
            if !so.is_file() {
                return step(
                    name,
                    Verdict::Skip,
                    "the target builds no cdylib (musl: static only)",
                );
            }
            match run_cmd(Command::new("llvm-readelf").arg("-d").arg(&so)) {
                Ok(out) if out.contains("TEXTREL") => step(
                    name,
                    Verdict::Fail,
                    format!("{}: DT_TEXTREL / DF_TEXTREL present", so.display()),
                ),
                Ok(_) => step(name, Verdict::Pass, "librt0_demo.so: no DT_TEXTREL"),
                Err(e) => step(name, Verdict::Fail, e),
            }
        }
        Os::Darwin => {
            let dylib = dir.join("librt0_demo.dylib");
            if !dylib.is_file() {
                return step(name, Verdict::Skip, "no librt0_demo.dylib was linked");
            }
            match run_cmd(
                Command::new("llvm-objdump")
                    .args(["--macho", "--rebase"])
                    .arg(&dylib),
            ) {
                Ok(out) => match out.lines().find(|l| l.starts_with("__TEXT")) {
                    Some(l) => step(name, Verdict::Fail, format!("rebase in __TEXT: {l}")),
                    None => step(
                        name,
                        Verdict::Pass,
                        "librt0_demo.dylib: every rebase is in a data segment",
                    ),
                },
                Err(e) => step(name, Verdict::Fail, e),
            }
        }
    }
}

/// Whether a relocation type in a code section would need the loader to patch the code (an
/// absolute address), rather than being resolved PC-relative at link time.
pub fn absolute_relocation(kind: &str) -> bool {
    matches!(
        kind,
        "R_X86_64_64"
            | "R_X86_64_32"
            | "R_X86_64_32S"
            | "R_AARCH64_ABS64"
            | "R_AARCH64_ABS32"
            | "R_AARCH64_ABS16"
    ) || kind.starts_with("R_AARCH64_MOVW_UABS")
        || kind == "X86_64_RELOC_UNSIGNED"
        || kind == "ARM64_RELOC_UNSIGNED"
}

/// The stubs' own code needs no text relocation: every relocation in their code sections is
/// PC-relative (checked on the objects, so it holds for targets that build no shared library too).
fn stub_relocations(objects: &[PathBuf]) -> Step {
    let name = "stubs position-independent";
    let mut bad = Vec::new();
    for obj in objects {
        let relocs = match run_cmd(Command::new("llvm-objdump").arg("-r").arg(obj)) {
            Ok(o) | Err(o) => o,
        };
        for block in relocs.split("RELOCATION RECORDS FOR [").skip(1) {
            let section = block.split(']').next().unwrap_or("");
            if section != ".text" && !section.starts_with(".text.") && section != "__text" {
                continue;
            }
            for line in block.lines().skip(2) {
                let words: Vec<&str> = line.split_whitespace().collect();
                if words.len() >= 3 && absolute_relocation(words[1]) {
                    let file = obj
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or_default();
                    bad.push(format!("{file} {section}: {} {}", words[1], words[2]));
                }
            }
        }
    }
    if bad.is_empty() {
        step(
            name,
            Verdict::Pass,
            "entry and syscall objects: only PC-relative relocations in code",
        )
    } else {
        step(
            name,
            Verdict::Fail,
            format!(
                "absolute relocations in code (text relocations once linked):\n{}",
                bad.join("\n")
            ),
        )
    }
}

/// Scenario runs shared by every port in one invocation (`cross_scenarios` runs once).
#[derive(Default)]
struct Shared {
    ran: BTreeMap<String, Step>,
}

impl Shared {
    fn cargo_test(&mut self, ctx: &Ctx, test: &str) -> Step {
        if let Some(s) = self.ran.get(test) {
            return Step {
                detail: format!("{} (ran once for this invocation)", s.detail),
                ..s.clone()
            };
        }
        let name = format!("scenarios ({test})");
        let s = if !ctx.root.join("tests").join(format!("{test}.rs")).is_file() {
            step(
                &name,
                Verdict::Skip,
                format!("tests/{test}.rs is not in this tree"),
            )
        } else if ctx.foreign_arch {
            step(
                &name,
                Verdict::Skip,
                "scenarios run on the workspace's own arch/ only",
            )
        } else {
            let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cmd.current_dir(&ctx.root)
                .args(["test", "--test", test, "--target-dir"])
                .arg(ctx.root.join("target/port-check/tests"));
            match run_cmd(&mut cmd) {
                Ok(out) => step(&name, Verdict::Pass, summary_line(&out)),
                Err(out) => step(
                    &name,
                    Verdict::Fail,
                    format!("{}\n{}", summary_line(&out), failures(&out)),
                ),
            }
        };
        self.ran.insert(test.to_string(), s.clone());
        s
    }
}

fn summary_line(out: &str) -> String {
    out.lines()
        .filter(|l| l.starts_with("test result:"))
        .last()
        .unwrap_or("no test result line")
        .to_string()
}

fn failures(out: &str) -> String {
    out.lines()
        .filter(|l| l.starts_with("test ") && l.ends_with("FAILED"))
        .take(10)
        .collect::<Vec<_>>()
        .join("\n")
}

fn scenarios(ctx: &Ctx, d: &Description, triple: &str, shared: &mut Shared) -> Vec<Step> {
    let host = host_triple();
    let host_arch = std::env::consts::ARCH;
    let host_os = if cfg!(target_os = "macos") {
        "darwin"
    } else {
        std::env::consts::OS
    };
    let same_machine = d.arch.as_str() == host_arch && d.os.as_str() == host_os;
    match d.verified_by.as_str() {
        "native" if triple == host && d.os == Os::Linux => {
            vec![shared.cargo_test(ctx, "linux_scenarios")]
        }
        "native" if triple == host && d.os == Os::Darwin => {
            vec![shared.cargo_test(ctx, "macos_native")]
        }
        "native" | "qemu-user"
            if d.os == Os::Linux && (same_machine || d.verified_by == "qemu-user") =>
        {
            vec![shared.cargo_test(ctx, "cross_scenarios")]
        }
        "native" => vec![step(
            "scenarios",
            Verdict::Skip,
            format!(
                "native: needs a {} {} host (this is {host})",
                d.arch.as_str(),
                d.os.as_str()
            ),
        )],
        "emulated-xnu" => {
            if ctx.foreign_arch {
                return vec![step(
                    "scenarios (emulated XNU)",
                    Verdict::Skip,
                    "the emulator builds from the workspace's own arch/ only",
                )];
            }
            let exe = match std::env::current_exe() {
                Ok(e) => e,
                Err(e) => {
                    return vec![step(
                        "scenarios (emulated XNU)",
                        Verdict::Fail,
                        format!("cannot find rt0-port itself: {e}"),
                    )]
                }
            };
            let mut v = Vec::new();
            for (label, extra) in [("pthread", &[][..]), ("raw", &["--raw"][..])] {
                let name = format!("emulated XNU ({label})");
                // A concurrent `cargo build` may be relinking this very binary: wait for it.
                let mut out = Command::new(&exe)
                    .arg("emulate")
                    .arg(triple)
                    .args(extra)
                    .stdin(Stdio::null())
                    .output();
                for _ in 0..10 {
                    match &out {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            std::thread::sleep(std::time::Duration::from_secs(3));
                            out = Command::new(&exe)
                                .arg("emulate")
                                .arg(triple)
                                .args(extra)
                                .stdin(Stdio::null())
                                .output();
                        }
                        _ => break,
                    }
                }
                v.push(match out {
                    Ok(o) if o.status.success() => step(
                        &name,
                        Verdict::Pass,
                        format!(
                            "rt0-port emulate {triple}{}{}: status 0",
                            if extra.is_empty() { "" } else { " " },
                            extra.join(" ")
                        ),
                    ),
                    Ok(o) => {
                        let text = format!(
                            "{}{}",
                            String::from_utf8_lossy(&o.stdout),
                            String::from_utf8_lossy(&o.stderr)
                        );
                        let tail: Vec<&str> = text.lines().rev().take(6).collect();
                        step(
                            &name,
                            Verdict::Fail,
                            format!(
                                "status {:?}\n{}",
                                o.status.code(),
                                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                            ),
                        )
                    }
                    Err(e) => step(
                        &name,
                        Verdict::Fail,
                        format!("running {} emulate: {e}", exe.display()),
                    ),
                });
            }
            v
        }
        other => vec![step(
            "scenarios",
            Verdict::Fail,
            format!("verified_by = {other:?}: no way to verify this port yet"),
        )],
    }
}

/// Checks one port; returns its steps.
fn check_port(
    ctx: &Ctx,
    p: &Port,
    installed: &[String],
    with_scenarios: bool,
    shared: &mut Shared,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let dir = p.dir(ctx);
    let missing: Vec<String> = p
        .files()
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !p.registered {
        steps.push(step(
            "registered",
            Verdict::Fail,
            format!(
                "{} has no line for {}",
                ctx.registry_file().display(),
                p.triple
            ),
        ));
    }
    if !missing.is_empty() {
        steps.push(step(
            "files",
            Verdict::Fail,
            format!("missing in {}: {}", dir.display(), missing.join(", ")),
        ));
    }
    let todos = p.todos(ctx);
    if !todos.is_empty() {
        let list: Vec<String> = todos
            .iter()
            .map(|(f, n, t)| format!("arch/{}/{f}:{n}: {}", p.folder, shorten(t, 150)))
            .collect();
        steps.push(step(
            "TODOs left",
            Verdict::Fail,
            format!("{} left:\n{}", todos.len(), list.join("\n")),
        ));
    }
    let desc = p.description(ctx);
    match &desc {
        Ok(d) if d.verified_by == "not-yet" => steps.push(step("description", Verdict::Fail, "valid, but target.verified_by = \"not-yet\": say how the port is verified once its scenarios pass")),
        Ok(d) => steps.push(step("description", Verdict::Pass, format!("{} ({} {}, verified by {})", d.file.display(), d.arch.as_str(), d.os.as_str(), d.verified_by))),
        Err(e) => steps.push(step("description", Verdict::Fail, e.clone())),
    }
    if !p.registered || !missing.is_empty() {
        return steps;
    }
    if let Err(e) = toolchain_ready(ctx, &p.triple, installed) {
        steps.push(step("toolchain", Verdict::Fail, e));
        if !installed.iter().any(|t| t == &p.triple) {
            // Without the target's std nothing links, but rt0's build script still runs (with
            // --keep-going): what it says about the description and the stubs is worth showing.
            steps.push(build_script_only(ctx, &p.triple));
        }
        return steps;
    }
    let mut built = BTreeMap::new();
    for raw in [false, true] {
        let label = if raw {
            "build (raw)"
        } else {
            "build (pthread)"
        };
        match build_demo(ctx, &p.triple, raw) {
            Ok(dir) => {
                steps.push(step(
                    label,
                    Verdict::Pass,
                    format!(
                        "cargo build -p rt0-demo --target {}{}",
                        p.triple,
                        if raw { " --features raw" } else { "" }
                    ),
                ));
                built.insert(raw, dir);
            }
            Err(e) => {
                steps.push(step(label, Verdict::Fail, build_error_summary(&e)));
                break; // the other path fails the same way
            }
        }
    }
    let Ok(d) = desc else { return steps };
    let Some(raw_dir) = built.get(&true) else {
        return steps;
    };
    let missing_tools: Vec<&str> = ["llvm-nm", "llvm-ar", "llvm-objdump", "llvm-readelf"]
        .into_iter()
        .filter(|t| find_program(&ctx.root, t).is_none())
        .collect();
    if !missing_tools.is_empty() {
        steps.push(step(
            "static checks",
            Verdict::Fail,
            format!(
                "{} not found: the static checks read objects with LLVM's tools (apt: llvm)",
                missing_tools.join(", ")
            ),
        ));
        return steps;
    }
    let work = ctx.root.join("target/port-check/objects").join(&p.triple);
    let _ = std::fs::remove_dir_all(&work);
    let archive = raw_dir.join("librt0_demo.a");
    let mut stub_objects = Vec::new();
    match member_defining(&archive, &sym(&d, "rt0_lib_entry"), &work.join("entry")) {
        Ok(obj) => {
            steps.push(object_format(&d, &obj));
            steps.push(initializer(&d, &obj));
            stub_objects.push(obj);
        }
        Err(e) => steps.push(step("initializer", Verdict::Fail, e)),
    }
    match member_defining(
        &archive,
        &sym(&d, "rt0_raw_thread_create"),
        &work.join("syscall"),
    ) {
        Ok(obj) => {
            steps.push(thread_create_layout(&d, &obj));
            if let Some(s) = thread_start_stack(&d, &obj) {
                steps.push(s);
            }
            stub_objects.push(obj);
        }
        Err(e) => steps.push(step("thread_create registers", Verdict::Fail, e)),
    }
    if !stub_objects.is_empty() {
        steps.push(stub_relocations(&stub_objects));
    }
    for (raw, dir) in &built {
        let mut s = text_relocations(&d, dir);
        s.name = format!("{} ({})", s.name, if *raw { "raw" } else { "pthread" });
        steps.push(s);
    }
    if with_scenarios {
        steps.extend(scenarios(ctx, &d, &p.triple, shared));
    } else {
        steps.push(step("scenarios", Verdict::Skip, "--no-scenarios"));
    }
    steps
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

/// The recorded verdicts for the current arch tree, by triple.
pub fn load_results(ctx: &Ctx) -> BTreeMap<String, Json> {
    let text = std::fs::read_to_string(ctx.results_file()).unwrap_or_default();
    let Ok(all) = json::parse(&text) else {
        return BTreeMap::new();
    };
    let key = ctx.arch.display().to_string();
    match all.get("arch_trees").and_then(|t| t.get(&key)) {
        Some(Json::Obj(m)) => m.iter().cloned().collect(),
        _ => BTreeMap::new(),
    }
}

fn save_results(ctx: &Ctx, results: &[(String, Json)]) {
    let file = ctx.results_file();
    let mut all = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| json::parse(&t).ok())
        .unwrap_or_else(|| Json::obj::<String>([]));
    if all.get("arch_trees").is_none() {
        all.set("arch_trees", Json::obj::<String>([]));
    }
    let key = ctx.arch.display().to_string();
    if let Json::Obj(m) = &mut all {
        if let Some((_, trees)) = m.iter_mut().find(|(k, _)| k == "arch_trees") {
            if trees.get(&key).is_none() {
                trees.set(&key, Json::obj::<String>([]));
            }
            if let Json::Obj(t) = trees {
                if let Some((_, tree)) = t.iter_mut().find(|(k, _)| *k == key) {
                    for (triple, r) in results {
                        tree.set(triple, r.clone());
                    }
                }
            }
        }
    }
    let _ = std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")));
    let _ = std::fs::write(&file, all.pretty() + "\n");
}

/// UTC time as `YYYY-MM-DD HH:MMZ`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Runs `check`.
pub fn run(ctx: &Ctx, args: &[String]) -> Result<i32, Usage> {
    let mut all = false;
    let mut with_scenarios = true;
    let mut triples = Vec::new();
    for a in args {
        match a.as_str() {
            "--all" => all = true,
            "--no-scenarios" => with_scenarios = false,
            a if a.starts_with('-') => return Err(Usage(Some(format!("unknown option {a}")))),
            a => triples.push(a.to_string()),
        }
    }
    if all == !triples.is_empty() {
        return Err(Usage(Some("give one or more triples, or --all".into())));
    }
    let mut selected = Vec::new();
    let mut unfinished = Vec::new();
    if all {
        match ports(ctx) {
            Ok(ps) => {
                for p in ps {
                    if !p.registered {
                        unfinished.push((
                            p.triple.clone(),
                            "a folder no triple is registered for".to_string(),
                        ));
                    } else if p.unfinished(ctx) {
                        unfinished.push((
                            p.triple.clone(),
                            format!(
                                "scaffold ({} TODOs; `rt0-port check {}` lists them)",
                                p.todos(ctx).len(),
                                p.triple
                            ),
                        ));
                    } else {
                        selected.push(p);
                    }
                }
            }
            Err(e) => {
                eprintln!("rt0-port check: {e}");
                return Ok(1);
            }
        }
    } else {
        for t in &triples {
            match port(ctx, t) {
                Ok(p) => selected.push(p),
                Err(e) => {
                    eprintln!("rt0-port check: {e}");
                    return Ok(1);
                }
            }
        }
    }
    let installed = installed_targets();
    let mut shared = Shared::default();
    let mut rows = Vec::new();
    let mut details = Vec::new();
    let mut results = Vec::new();
    let mut failed_any = false;
    for p in &selected {
        eprintln!("rt0-port check: {} ...", p.triple);
        let steps = check_port(ctx, p, &installed, with_scenarios, &mut shared);
        let failed: Vec<String> = steps
            .iter()
            .filter(|s| s.verdict == Verdict::Fail)
            .map(|s| s.name.clone())
            .collect();
        failed_any |= !failed.is_empty();
        for s in &steps {
            let mut lines = s.detail.lines();
            let first = lines.next().unwrap_or("").to_string();
            let more: Vec<&str> = lines.collect();
            if !more.is_empty() {
                details.push(format!(
                    "{} / {}:\n  {first}\n  {}",
                    p.triple,
                    s.name,
                    more.join("\n  ")
                ));
            }
            rows.push(vec![
                p.triple.clone(),
                s.name.clone(),
                s.verdict.as_str().to_string(),
                shorten(&first, 110),
            ]);
        }
        let build = if steps
            .iter()
            .any(|s| s.name.starts_with("build") && s.verdict == Verdict::Fail)
        {
            "no"
        } else if steps.iter().any(|s| s.name.starts_with("build")) {
            "yes"
        } else {
            "not tried"
        };
        results.push((
            p.triple.clone(),
            Json::obj([
                ("time", Json::str(now_utc())),
                (
                    "verdict",
                    Json::str(if failed.is_empty() { "pass" } else { "FAIL" }),
                ),
                ("build", Json::str(build)),
                ("failed", Json::strs(&failed)),
                ("scenarios", Json::Bool(with_scenarios)),
            ]),
        ));
    }
    for (t, why) in &unfinished {
        rows.push(vec![
            t.clone(),
            "(not checked)".into(),
            "unfinished".into(),
            why.clone(),
        ]);
    }
    println!();
    print_table(&["TARGET", "STEP", "VERDICT", "DETAIL"], &rows);
    for d in &details {
        println!("\n{d}");
    }
    save_results(ctx, &results);
    let n_fail = results
        .iter()
        .filter(|(_, r)| r.get("verdict").and_then(Json::as_str) == Some("FAIL"))
        .count();
    println!(
        "\n{} port(s) checked: {} passed, {n_fail} failed{}",
        results.len(),
        results.len() - n_fail,
        if unfinished.is_empty() {
            String::new()
        } else {
            format!(", {} unfinished not checked", unfinished.len())
        }
    );
    Ok(if failed_any { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    fn c_args(regs: &[&str]) -> Vec<(String, String)> {
        ["func", "arg", "stack"]
            .iter()
            .zip(regs)
            .map(|(a, r)| (r.to_string(), a.to_string()))
            .collect()
    }

    #[test]
    fn x86_64_darwin_push_pop_shuffle_and_imm_comments() {
        // llvm-objdump's listing of arch/x86_64-apple-darwin's rt0_raw_thread_create.
        let b = body(&[
            "pushq %rdx",
            "pushq %rsi",
            "pushq %rdi",
            "popq %rdi",
            "popq %rsi",
            "popq %rdx",
            "xorq %r10, %r10",
            "movq $16777216, %r8 ## imm = 0x1000000",
            "xorq %r9, %r9",
            "movq $33554792, %rax ## imm = 0x2000168",
            "syscall",
            "jae 0x41",
        ]);
        let r = registers_at_trap(Arch::X86_64, &b, &c_args(&["rdi", "rsi", "rdx"]), "syscall")
            .unwrap();
        assert_eq!(r["rax"], Val::Imm(0x2000168));
        assert_eq!(r["rdi"], Val::Arg("func".into()));
        assert_eq!(r["rsi"], Val::Arg("arg".into()));
        assert_eq!(r["rdx"], Val::Arg("stack".into()));
        assert_eq!(r["r10"], Val::Imm(0));
        assert_eq!(r["r8"], Val::Imm(0x100_0000));
    }

    #[test]
    fn x86_64_pops_in_the_wrong_order_are_seen() {
        let b = body(&[
            "pushq %rdx",
            "pushq %rsi",
            "popq %rdx",
            "popq %rsi",
            "syscall",
        ]);
        let r = registers_at_trap(Arch::X86_64, &b, &c_args(&["rdi", "rsi", "rdx"]), "syscall")
            .unwrap();
        assert_eq!(r["rdx"], Val::Arg("arg".into()));
        assert_eq!(r["rsi"], Val::Arg("stack".into()));
    }

    #[test]
    fn aarch64_stack_slots_movk_and_or_on_the_fall_through_path() {
        // arch/aarch64-unknown-linux-gnu's rt0_raw_thread_create as llvm-objdump prints it.
        let b = body(&[
            "stp x19, x20, [sp, #-32]!",
            "mov x19, x0",
            "mov x20, x1",
            "str x2, [sp, #16]",
            "ldr x1, [sp, #16]",
            "mov x0, #3840",
            "movk x0, #13, lsl #16",
            "orr x0, x0, #0x300000",
            "mov x2, xzr",
            "mov x3, xzr",
            "mov x4, xzr",
            "mov x8, #220",
            "svc #0",
        ]);
        let r =
            registers_at_trap(Arch::Aarch64, &b, &c_args(&["x0", "x1", "x2"]), "svc #0").unwrap();
        assert_eq!(r["x0"], Val::Imm(0xd0f00 | 0x300000));
        assert_eq!(r["x1"], Val::Arg("stack".into()));
        assert_eq!(r["x2"], Val::Imm(0));
        assert_eq!(r["x8"], Val::Imm(220));
        assert_eq!(r["x19"], Val::Arg("func".into()));
        assert_eq!(r["x20"], Val::Arg("arg".into()));
    }

    #[test]
    fn aarch64_post_index_and_sub_sp_frames() {
        let b = body(&[
            "sub sp, sp, #32",
            "str x0, [sp]",
            "str x2, [sp, #16]",
            "ldr x2, [sp, #16]",
            "ldr x0, [sp], #32",
            "mov x16, #360",
            "svc #0x80",
        ]);
        let r = registers_at_trap(Arch::Aarch64, &b, &c_args(&["x0", "x1", "x2"]), "svc #0x80")
            .unwrap();
        assert_eq!(r["x0"], Val::Arg("func".into()));
        assert_eq!(r["x2"], Val::Arg("stack".into()));
        assert_eq!(r["x16"], Val::Imm(360));
    }

    #[test]
    fn a_function_without_the_trap_is_an_error() {
        let b = body(&["movq $56, %rax", "retq"]);
        assert!(registers_at_trap(Arch::X86_64, &b, &[], "syscall").is_err());
    }

    #[test]
    fn function_bodies_stop_at_the_next_symbol() {
        let dis = "0000000000000020 <f>:\n      20:      \tpushq\t%rdx\n      21:      \tsyscall\n\n0000000000000030 <g>:\n      30:      \tretq\n";
        assert_eq!(
            function_body(dis, "f").unwrap(),
            vec!["pushq %rdx", "syscall"]
        );
        assert!(function_body(dis, "h").is_none());
    }

    #[test]
    fn absolute_relocations_are_told_from_pc_relative_ones() {
        for k in [
            "R_X86_64_64",
            "R_X86_64_32S",
            "R_AARCH64_ABS64",
            "R_AARCH64_MOVW_UABS_G0_NC",
            "X86_64_RELOC_UNSIGNED",
            "ARM64_RELOC_UNSIGNED",
        ] {
            assert!(absolute_relocation(k), "{k}");
        }
        for k in [
            "R_X86_64_PC32",
            "R_X86_64_PLT32",
            "R_X86_64_GOTPCREL",
            "R_AARCH64_ADR_PREL_PG_HI21",
            "R_AARCH64_ADD_ABS_LO12_NC",
            "R_AARCH64_LDST64_ABS_LO12_NC",
            "R_AARCH64_CALL26",
            "X86_64_RELOC_BRANCH",
            "X86_64_RELOC_SIGNED",
            "ARM64_RELOC_PAGE21",
            "ARM64_RELOC_PAGEOFF12",
        ] {
            assert!(!absolute_relocation(k), "{k}");
        }
    }

    #[test]
    fn build_errors_are_summarised_to_rt0s_lines() {
        let text = "   Compiling rt0 v0.1.0\nerror: failed to run custom build command for `rt0`\n  --- stderr\n  error: rt0 build: arch/x/abi.toml: field `numbers.exit`: expected ...\nerror: could not compile\n";
        assert_eq!(
            build_error_summary(text),
            "error: rt0 build: arch/x/abi.toml: field `numbers.exit`: expected ..."
        );
    }
}
