//! Inspects the aarch64-apple-darwin build (cross-compiled here) without running it, as
//! tests/darwin_archive.rs does for x86_64: the initializer record, the bsdthread_create register
//! layout and the raw start routine (traced instruction by instruction from the disassembly), the
//! per-thread mask syscall, x18 left alone, and a dylib link with ld64.lld that needs no text
//! relocations.

#![cfg(not(target_os = "macos"))]

mod support;

use support::macho::{
    check_per_library_entry, disassembly, function_body, link_host_dylib_and_check_entry, members,
    object_with, stub_symbol, tool,
};
use support::{demo_for, DemoPath};
use symexec::{immediate, split_instruction, Isa, Tracer, Value};

const TARGET: &str = "aarch64-apple-darwin";

/// The registers at the first `trap` in `body`, from the named starting registers (symexec:
/// stack slots through sub/add sp, str/ldr, stp/ldp; mov/movz/movk). Strict: an instruction
/// nobody modeled fails the test.
fn trace(body: &[String], start: &[(&str, &str)], trap: &str) -> symexec::Registers {
    Tracer::new(Isa::Aarch64)
        .args(start.iter().copied())
        .strict()
        .run_to(body, trap)
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"))
}

#[test]
fn initializer_record_points_at_the_per_library_shim_which_calls_the_stub() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        check_per_library_entry(&ms, &format!("{path:?}"));
        // The stub: dyld's argc, argv, envp (x0, x1, x2) move one argument slot up for
        // prepare(record, argc, argv, envp); the record arrives in the sixth C argument (x5).
        let stub = object_with(&ms, "_rt0_lib_entry");
        let dis = disassembly(&stub);
        let body = function_body(&dis, &stub_symbol(&dis, "_rt0_lib_entry"));
        let at = Tracer::new(Isa::Aarch64)
            .args([
                ("x0", "argc"),
                ("x1", "argv"),
                ("x2", "envp"),
                ("x3", "apple"),
                ("x4", "vars"),
                ("x5", "record"),
            ])
            .run_to(&body, "blr x9")
            .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
        for (reg, v) in [
            ("x0", "record"),
            ("x1", "argc"),
            ("x2", "argv"),
            ("x3", "envp"),
        ] {
            assert_eq!(
                at.get(reg),
                Value::arg(v),
                "{path:?}: {reg} at prepare: {body:#?}"
            );
        }
        assert_eq!(at.get("x19"), Value::arg("record"), "{body:#?}");
        assert!(
            body.iter()
                .all(|i| !split_instruction(i).1.iter().any(|o| o.contains("x18"))),
            "x18 is the platform's: {body:#?}"
        );
    }
}

#[test]
fn syscall_trampoline_moves_nr_to_x16_and_arguments_to_x0_x5() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_syscall6");
    let dis = disassembly(&obj);
    let body = function_body(&dis, &stub_symbol(&dis, "_rt0_syscall6"));
    let c = [
        ("x0", "nr"),
        ("x1", "a0"),
        ("x2", "a1"),
        ("x3", "a2"),
        ("x4", "a3"),
        ("x5", "a4"),
        ("x6", "a5"),
    ];
    let regs = trace(&body, &c, "svc #0x80");
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
            Value::arg(val),
            "{reg} at the svc; body: {body:#?}"
        );
    }
    let at_svc = body.iter().position(|i| i.starts_with("svc")).unwrap();
    assert_eq!(body[at_svc], "svc #0x80", "{body:#?}");
    // Carry set means errno in x0: negated into rt0's -errno form.
    assert!(
        body[at_svc + 1].starts_with("b.lo") || body[at_svc + 1].starts_with("b.cc"),
        "{body:#?}"
    );
    assert_eq!(body[at_svc + 2], "neg x0, x0", "{body:#?}");
}

#[test]
fn bsdthread_create_gets_func_arg_stack_pthread_flags_in_x0_to_x4() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        let obj = object_with(&ms, "_rt0_raw_thread_create");
        let dis = disassembly(&obj);
        let body = function_body(&dis, &stub_symbol(&dis, "_rt0_raw_thread_create"));
        let regs = trace(
            &body,
            &[("x0", "func"), ("x1", "arg"), ("x2", "stack")],
            "svc #0x80",
        );
        let want = [
            ("x16", Value::Imm(360)), // bsdthread_create, no class prefix on arm64
            ("x0", Value::arg("func")),
            ("x1", Value::arg("arg")),
            ("x2", Value::arg("stack")),
            ("x3", Value::Imm(0)),           // pthread: none, the stack is ours
            ("x4", Value::Imm(0x0100_0000)), // PTHREAD_START_CUSTOM
            ("x5", Value::Imm(0)),
        ];
        for (reg, val) in want {
            assert_eq!(
                regs.get(reg),
                val,
                "{path:?}: {reg} at the bsdthread_create trap; body: {body:#?}"
            );
        }
    }
}

#[test]
fn raw_start_routine_takes_its_stack_from_x4_calls_func_and_gives_back_its_port() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_raw_thread_start");
    let dis = disassembly(&obj);
    let body = function_body(&dis, &stub_symbol(&dis, "_rt0_raw_thread_start"));
    assert_eq!(
        body[0], "mov sp, x4",
        "the stack must come from x4, never the kernel's sp: {body:#?}"
    );
    for want in [
        "mov x29, xzr",
        "mov x30, xzr",
        "ldp x20, x21, [sp]",
        "and sp, x9, #0xfffffffffffffff0",
    ] {
        assert!(
            body.iter().any(|i| i == want),
            "`{want}` missing: {body:#?}"
        );
    }
    // XNU enters with pthread, kport, func, arg, stack, flags in x0..x5.
    let start = [
        ("x0", "pthread"),
        ("x1", "kport"),
        ("x2", "func"),
        ("x3", "arg"),
        ("x4", "stack"),
        ("x5", "flags"),
    ];
    let call = body
        .iter()
        .position(|i| i.starts_with("blr "))
        .expect("func called");
    let at_call = Tracer::new(Isa::Aarch64)
        .args(start)
        .run_to(&body, &body[call])
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
    let target = split_instruction(&body[call]).1[0].clone();
    assert_eq!(at_call.get(&target), Value::arg("func"), "{body:#?}");
    assert_eq!(at_call.get("x0"), Value::arg("arg"), "{body:#?}");
    let callee_saved: Vec<String> = (19..=28).map(|n| format!("x{n}")).collect();
    let kept = callee_saved
        .iter()
        .find(|r| at_call.get(r) == Value::arg("kport"))
        .unwrap_or_else(|| {
            panic!("kport is not kept in a callee-saved register across func: {body:#?}")
        });
    // After func returns only callee-saved registers are known: bsdthread_terminate(map_base,
    // map_len, kport, 0) frees the stack and gives the thread's port back (issue 11).
    let regs = trace(
        &body[call + 1..],
        &[
            ("x20", "map_base"),
            ("x21", "map_len"),
            (kept.as_str(), "kport"),
        ],
        "svc #0x80",
    );
    assert_eq!(regs.get("x16"), Value::Imm(361), "{body:#?}");
    assert_eq!(regs.get("x0"), Value::arg("map_base"), "{body:#?}");
    assert_eq!(regs.get("x1"), Value::arg("map_len"), "{body:#?}");
    assert_eq!(
        regs.get("x2"),
        Value::arg("kport"),
        "the port must not be 0: {body:#?}"
    );
    assert_eq!(regs.get("x3"), Value::Imm(0), "no semaphore: {body:#?}");
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
            let body = function_body(&dis, name.trim().trim_end_matches(':'));
            let loads: Vec<u64> = body
                .iter()
                .filter_map(|i| {
                    let (op, ops) = split_instruction(i);
                    (op == "mov" || op == "movz")
                        .then(|| ops.get(1).and_then(|o| immediate(o)))
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
