//! Inspects the aarch64-apple-darwin build (cross-compiled here) without running it, as
//! tests/darwin_archive.rs does for x86_64: the initializer record, the bsdthread_create register
//! layout and the raw start routine (traced instruction by instruction from the disassembly), the
//! per-thread mask syscall, x18 left alone, and a dylib link with ld64.lld that needs no text
//! relocations.

#![cfg(not(target_os = "macos"))]

mod support;

use std::collections::HashMap;
use support::macho::{
    disassembly, function_body, link_host_dylib_and_check_entry, members, object_with, tool, Val,
};
use support::{demo_for, DemoPath};

const TARGET: &str = "aarch64-apple-darwin";

/// Splits `op a, b, c` into the operation and its operands, keeping `[sp, #8]` together.
fn parse(ins: &str) -> (&str, Vec<String>) {
    let (op, rest) = ins.split_once(char::is_whitespace).unwrap_or((ins, ""));
    let mut ops = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in rest.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            ops.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        ops.push(cur.trim().to_string());
    }
    (op, ops)
}

fn imm(s: &str) -> Option<u64> {
    let n = s.strip_prefix('#')?;
    match n.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => n.parse().ok(),
    }
}

/// `[sp]` / `[sp, #16]` -> 16; anything else is not a stack slot.
fn sp_slot(s: &str) -> Option<i64> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let mut parts = inner.split(',').map(str::trim);
    if parts.next()? != "sp" {
        return None;
    }
    Some(parts.next().map_or(Some(0), |o| imm(o).map(|v| v as i64))?)
}

/// The full register a name refers to (`w4` -> `x4`).
fn full(r: &str) -> String {
    match r.strip_prefix('w') {
        Some(n) if n.parse::<u8>().is_ok() => format!("x{n}"),
        _ => r.to_string(),
    }
}

/// Executes sub/add sp, str/ldr through stack slots, mov/movz/movk, starting from `start`,
/// up to the first `svc`; returns the registers at the trap. Panics on anything else.
fn registers_at_svc(body: &[&str], start: &[(&'static str, &'static str)]) -> HashMap<String, Val> {
    let mut regs: HashMap<String, Val> = start
        .iter()
        .map(|(r, a)| (r.to_string(), Val::Arg(a)))
        .collect();
    let mut sp: i64 = 0;
    let mut mem: HashMap<i64, Val> = HashMap::new();
    let get = |regs: &HashMap<String, Val>, r: &str| {
        if r == "xzr" || r == "wzr" {
            Val::Imm(0)
        } else {
            regs.get(&full(r)).cloned().unwrap_or(Val::Unknown)
        }
    };
    for ins in body {
        let (op, ops) = parse(ins);
        match op {
            "svc" => return regs,
            "sub" | "add" if ops[0] == "sp" && ops[1] == "sp" => {
                let n = imm(&ops[2]).expect("immediate stack adjustment") as i64;
                sp += if op == "sub" { -n } else { n };
            }
            "str" => {
                let off =
                    sp_slot(&ops[1]).unwrap_or_else(|| panic!("store not to a stack slot: {ins}"));
                mem.insert(sp + off, get(&regs, &ops[0]));
            }
            "ldr" => {
                let off =
                    sp_slot(&ops[1]).unwrap_or_else(|| panic!("load not from a stack slot: {ins}"));
                regs.insert(
                    full(&ops[0]),
                    mem.get(&(sp + off)).cloned().unwrap_or(Val::Unknown),
                );
            }
            "mov" | "movz" => {
                let v = imm(&ops[1])
                    .map(Val::Imm)
                    .unwrap_or_else(|| get(&regs, &ops[1]));
                regs.insert(full(&ops[0]), v);
            }
            "movk" => {
                let add = imm(&ops[1]).expect("movk immediate");
                let shift = ops
                    .get(2)
                    .and_then(|s| s.strip_prefix("lsl #"))
                    .map_or(0, |n| n.parse::<u32>().unwrap());
                let v = match get(&regs, &ops[0]) {
                    Val::Imm(old) => Val::Imm((old & !(0xffff << shift)) | (add << shift)),
                    _ => Val::Unknown,
                };
                regs.insert(full(&ops[0]), v);
            }
            _ => panic!("unexpected instruction before the svc: {ins}"),
        }
    }
    panic!("no svc instruction in {body:?}");
}

#[test]
fn initializer_record_points_at_the_entry_stub() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        let entry = object_with(&ms, "_rt0_lib_entry");
        let relocs = tool("llvm-objdump", &["--macho", "-r", entry.to_str().unwrap()]);
        let section = relocs
            .split("Relocation information (__DATA,__mod_init_func)")
            .nth(1)
            .unwrap_or_else(|| {
                panic!(
                    "{path:?}: no __mod_init_func in {}:\n{relocs}",
                    entry.display()
                )
            });
        let first = section.lines().nth(2).unwrap_or_default();
        assert!(
            first.contains("_rt0_lib_entry") && first.contains("UNSIGND"),
            "{path:?}: the initializer record is {first:?}"
        );
        let nm = tool("llvm-nm", &[entry.to_str().unwrap()]);
        assert!(
            nm.lines().any(|l| l.ends_with(" _rt0_entry_state")),
            "{path:?}: {nm}"
        );
        // dyld's arguments: argc, argv, envp arrive in x0, x1, x2 and are stored before any call.
        let dis = disassembly(&entry);
        let body = function_body(&dis, "_rt0_lib_entry");
        let first_call = body
            .iter()
            .position(|i| i.starts_with("bl\t"))
            .expect("a call");
        for (reg, off) in [("x0", "[x9]"), ("x1", "[x9, #8]"), ("x2", "[x9, #16]")] {
            let want = format!("str\t{reg}, {off}");
            let at = body
                .iter()
                .position(|i| *i == want)
                .unwrap_or_else(|| panic!("{path:?}: `{want}` missing: {body:#?}"));
            assert!(
                at < first_call,
                "{path:?}: {reg} saved after a call clobbered it: {body:#?}"
            );
        }
    }
}

#[test]
fn syscall_trampoline_moves_nr_to_x16_and_arguments_to_x0_x5() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_syscall6");
    let dis = disassembly(&obj);
    let body = function_body(&dis, "_rt0_syscall6");
    let c = [
        ("x0", "nr"),
        ("x1", "a0"),
        ("x2", "a1"),
        ("x3", "a2"),
        ("x4", "a3"),
        ("x5", "a4"),
        ("x6", "a5"),
    ];
    let regs = registers_at_svc(&body, &c);
    for (reg, val) in [
        ("x16", "nr"),
        ("x0", "a0"),
        ("x1", "a1"),
        ("x2", "a2"),
        ("x3", "a3"),
        ("x4", "a4"),
        ("x5", "a5"),
    ] {
        assert_eq!(
            regs.get(reg),
            Some(&Val::Arg(val)),
            "{reg} at the svc; body: {body:#?}"
        );
    }
    let at_svc = body.iter().position(|i| i.starts_with("svc")).unwrap();
    assert_eq!(body[at_svc], "svc\t#0x80", "{body:#?}");
    // Carry set means errno in x0: negated into rt0's -errno form.
    assert!(
        body[at_svc + 1].starts_with("b.lo") || body[at_svc + 1].starts_with("b.cc"),
        "{body:#?}"
    );
    assert_eq!(body[at_svc + 2], "neg\tx0, x0", "{body:#?}");
}

#[test]
fn bsdthread_create_gets_func_arg_stack_pthread_flags_in_x0_to_x4() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        let obj = object_with(&ms, "_rt0_raw_thread_create");
        let dis = disassembly(&obj);
        let body = function_body(&dis, "_rt0_raw_thread_create");
        let regs = registers_at_svc(&body, &[("x0", "func"), ("x1", "arg"), ("x2", "stack")]);
        let want = [
            ("x16", Val::Imm(360)), // bsdthread_create, no class prefix on arm64
            ("x0", Val::Arg("func")),
            ("x1", Val::Arg("arg")),
            ("x2", Val::Arg("stack")),
            ("x3", Val::Imm(0)),           // pthread: none, the stack is ours
            ("x4", Val::Imm(0x0100_0000)), // PTHREAD_START_CUSTOM
            ("x5", Val::Imm(0)),
        ];
        for (reg, val) in want {
            assert_eq!(
                regs.get(reg),
                Some(&val),
                "{path:?}: {reg} at the bsdthread_create trap; body: {body:#?}"
            );
        }
    }
}

#[test]
fn raw_start_routine_takes_its_stack_from_x4_and_calls_func_with_arg() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_raw_thread_start");
    let dis = disassembly(&obj);
    let body = function_body(&dis, "_rt0_raw_thread_start");
    assert_eq!(
        body[0], "mov\tsp, x4",
        "the stack must come from x4, never the kernel's sp: {body:#?}"
    );
    assert!(
        body.contains(&"mov\tx29, xzr"),
        "frame pointer not zeroed: {body:#?}"
    );
    assert!(
        body.contains(&"mov\tx30, xzr"),
        "link register not zeroed: {body:#?}"
    );
    let header = body
        .iter()
        .position(|i| *i == "ldp\tx20, x21, [sp]")
        .expect("header {map_base, map_len} read at [stack]");
    let align = body
        .iter()
        .position(|i| i.starts_with("and\tsp, x9, #0xfffffffffffffff0"))
        .expect("sp 16-aligned");
    let func = body
        .iter()
        .position(|i| *i == "mov\tx19, x2")
        .expect("func (x2) kept in x19");
    let arg = body
        .iter()
        .position(|i| *i == "mov\tx0, x3")
        .expect("arg (x3) moved to x0");
    let call = body
        .iter()
        .position(|i| *i == "blr\tx19")
        .expect("func called");
    assert!(
        header < call && align < call && func < arg && arg < call,
        "{body:#?}"
    );
    // bsdthread_terminate(map_base, map_len, 0, 0) after func returns.
    let after = &body[call + 1..];
    let regs = registers_at_svc(after, &[("x20", "map_base"), ("x21", "map_len")]);
    assert_eq!(regs.get("x16"), Some(&Val::Imm(361)), "{body:#?}");
    assert_eq!(regs.get("x0"), Some(&Val::Arg("map_base")), "{body:#?}");
    assert_eq!(regs.get("x1"), Some(&Val::Arg("map_len")), "{body:#?}");
    assert_eq!(regs.get("x2"), Some(&Val::Imm(0)), "{body:#?}");
    assert_eq!(regs.get("x3"), Some(&Val::Imm(0)), "{body:#?}");
}

#[test]
fn signal_mask_uses_the_per_thread_syscall_329_never_48() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let mut found = 0;
    for m in ms.iter().filter(|m| {
        !m.file_name()
            .unwrap()
            .to_string_lossy()
            .contains("compiler_builtins")
    }) {
        let dis = disassembly(m);
        // rt0::sys::raw::thread_sigmask: the only place rt0 changes a signal mask on this path.
        for name in dis
            .lines()
            .filter(|l| l.contains("3raw14thread_sigmask") && l.ends_with(':'))
        {
            let body = function_body(&dis, name.trim_end_matches(':'));
            let loads: Vec<u64> = body
                .iter()
                .filter_map(|i| {
                    let (op, ops) = parse(i);
                    (op == "mov" || op == "movz")
                        .then(|| ops.get(1).and_then(|o| imm(o)))
                        .flatten()
                })
                .collect();
            assert!(
                loads.contains(&329),
                "__pthread_sigmask (329) not loaded in {name}: {body:#?}"
            );
            assert!(
                !loads.contains(&48),
                "sigprocmask (48) changes every thread's mask: {name}: {body:#?}"
            );
            found += 1;
        }
    }
    assert_eq!(
        found, 1,
        "rt0::sys::raw::thread_sigmask not found exactly once in the raw build"
    );
}

#[test]
fn archive_links_into_a_dylib_with_ld64_lld_without_text_relocations_or_x18() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let out = link_host_dylib_and_check_entry(&demo, "arm64", &format!("{path:?}"));
        let o = out.to_str().unwrap();
        let headers = tool("llvm-objdump", &["--macho", "--private-headers", o]);
        assert!(
            headers.contains("ARM64"),
            "{path:?}: not an arm64 image:\n{headers}"
        );
        // x18 belongs to the platform: nothing in the image may read or write it.
        let dis = tool("llvm-objdump", &["--macho", "-d", "--no-show-raw-insn", o]);
        let uses: Vec<&str> = dis
            .lines()
            .filter(|l| {
                let ins = l.split_once('\t').map_or("", |(_, i)| i);
                ins.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "x18" || w == "w18")
            })
            .collect();
        assert!(uses.is_empty(), "{path:?}: x18 used: {uses:#?}");
    }
}
