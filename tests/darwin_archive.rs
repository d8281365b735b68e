//! Inspects the x86_64-apple-darwin build (cross-compiled here) without running it: the
//! initializer record, the bsdthread_create register layout, the per-thread mask syscall, and a
//! dylib link with ld64.lld that needs no text relocations. The code runs under rt0-port's
//! emulated XNU (tools/rt0-port tests).

#![cfg(not(target_os = "macos"))]

mod support;

use std::collections::HashMap;
use support::macho::{
    disassembly, function_body, link_host_dylib_and_check_entry, members, object_with, tool, Val,
};
use support::{demo_for, DemoPath};

const TARGET: &str = "x86_64-apple-darwin";

/// Executes push/pop/mov/xor up to the first `syscall`, starting from the C arguments, and
/// returns the register file at the trap.
fn registers_at_syscall(
    body: &[&str],
    c_args: &[(&'static str, &'static str)],
) -> HashMap<String, Val> {
    let mut regs: HashMap<String, Val> = c_args
        .iter()
        .map(|(r, a)| (r.to_string(), Val::Arg(a)))
        .collect();
    let mut stack: Vec<Val> = Vec::new();
    let get = |regs: &HashMap<String, Val>, r: &str| regs.get(r).cloned().unwrap_or(Val::Unknown);
    for ins in body {
        let mut parts = ins.splitn(2, char::is_whitespace);
        let op = parts.next().unwrap();
        let ops: Vec<String> = parts
            .next()
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().trim_start_matches('%').to_string())
            .collect();
        let imm = |s: &str| {
            s.strip_prefix('$').and_then(|n| {
                if let Some(h) = n.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).ok()
                } else {
                    n.parse().ok()
                }
            })
        };
        let full = |r: &str| match r {
            "edi" => "rdi".to_string(),
            "esi" => "rsi".to_string(),
            "edx" => "rdx".to_string(),
            "eax" => "rax".to_string(),
            "ecx" => "rcx".to_string(),
            r if r.ends_with('d') && r.starts_with('r') => r.trim_end_matches('d').to_string(),
            r => r.to_string(),
        };
        match op {
            "syscall" => return regs,
            "pushq" => stack.push(get(&regs, &full(&ops[0]))),
            "popq" => {
                let v = stack.pop().unwrap_or(Val::Unknown);
                regs.insert(full(&ops[0]), v);
            }
            "movq" | "movl" => {
                let v = imm(&ops[0])
                    .map(Val::Imm)
                    .unwrap_or_else(|| get(&regs, &full(&ops[0])));
                regs.insert(full(&ops[1]), v);
            }
            "xorq" | "xorl" if full(&ops[0]) == full(&ops[1]) => {
                regs.insert(full(&ops[1]), Val::Imm(0));
            }
            _ => panic!("unexpected instruction before the syscall: {ins}"),
        }
    }
    panic!("no syscall instruction in {body:?}");
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
            .unwrap_or_else(|| panic!("{path:?}: no __mod_init_func in {}", entry.display()));
        let first = section.lines().nth(2).unwrap_or_default();
        assert!(
            first.contains("_rt0_lib_entry") && first.contains("UNSIGND"),
            "{path:?}: the initializer record is {first:?}"
        );
        // The state word exports wait on lives in the same object: any export pulls the record.
        let nm = tool("llvm-nm", &[entry.to_str().unwrap()]);
        assert!(
            nm.lines().any(|l| l.ends_with(" _rt0_entry_state")),
            "{path:?}: {nm}"
        );
    }
}

#[test]
fn bsdthread_create_gets_func_arg_stack_pthread_flags_in_di_si_dx_r10_r8() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        let obj = object_with(&ms, "_rt0_raw_thread_create");
        let dis = disassembly(&obj);
        let body = function_body(&dis, "_rt0_raw_thread_create");
        // rt0_raw_thread_create(func, arg, stack) is called with the C convention.
        let regs =
            registers_at_syscall(&body, &[("rdi", "func"), ("rsi", "arg"), ("rdx", "stack")]);
        let want = [
            ("rax", Val::Imm(0x2000000 + 360)), // SYSCALL_CLASS_UNIX | bsdthread_create
            ("rdi", Val::Arg("func")),
            ("rsi", Val::Arg("arg")),
            ("rdx", Val::Arg("stack")),
            ("r10", Val::Imm(0)),          // pthread: none, the stack is ours
            ("r8", Val::Imm(0x0100_0000)), // PTHREAD_START_CUSTOM
            ("r9", Val::Imm(0)),
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
fn raw_start_routine_takes_its_stack_from_r8_and_calls_func_with_arg() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_raw_thread_start");
    let dis = disassembly(&obj);
    let body = function_body(&dis, "_rt0_raw_thread_start");
    assert_eq!(
        body[0], "movq\t%r8, %rsp",
        "the stack must come from r8, never the kernel's rsp: {body:#?}"
    );
    assert!(
        body.iter().any(|i| i.starts_with("xorl\t%ebp, %ebp")),
        "frame pointer not zeroed: {body:#?}"
    );
    assert!(
        body.iter().any(|i| i.starts_with("andq\t$-16, %rsp")),
        "stack not aligned: {body:#?}"
    );
    // func (rdx) and arg (rcx) go through the stack into rax and rdi before the call.
    let push_func = body
        .iter()
        .position(|i| *i == "pushq\t%rdx")
        .expect("func pushed");
    let push_arg = body
        .iter()
        .position(|i| *i == "pushq\t%rcx")
        .expect("arg pushed");
    assert!(push_func < push_arg);
    assert_eq!(body[push_arg + 1], "popq\t%rdi", "{body:#?}");
    assert_eq!(body[push_arg + 2], "popq\t%rax", "{body:#?}");
    assert!(body.iter().any(|i| *i == "callq\t*%rax"), "{body:#?}");
    assert!(
        body.iter()
            .any(|i| i.contains(&format!("${}, %rax", 0x2000000 + 361))),
        "bsdthread_terminate missing: {body:#?}"
    );
}

#[test]
fn signal_mask_uses_the_per_thread_syscall_329_never_48() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let mut all = String::new();
    for m in ms.iter().filter(|m| {
        !m.file_name()
            .unwrap()
            .to_string_lossy()
            .contains("compiler_builtins")
    }) {
        all.push_str(&disassembly(m));
    }
    let per_thread = format!("${}", 0x2000000 + 329);
    let process_wide = format!("${}", 0x2000000 + 48);
    assert!(
        all.contains(&per_thread),
        "__pthread_sigmask (0x2000000 + 329) not found in the raw build"
    );
    assert!(
        !all.contains(&process_wide),
        "sigprocmask (48) changes every thread's mask and must not be used"
    );
}

#[test]
fn archive_links_into_a_dylib_with_ld64_lld_without_text_relocations() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        link_host_dylib_and_check_entry(&demo, "x86_64", &format!("{path:?}"));
    }
}
