//! Inspects the x86_64-apple-darwin build (cross-compiled here) without running it: the
//! initializer record, the bsdthread_create register layout, the per-thread mask syscall, and a
//! dylib link with ld64.lld that needs no text relocations. The code runs under rt0-port's
//! emulated XNU (tools/rt0-port tests).

#![cfg(not(target_os = "macos"))]

mod support;

use support::macho::{
    check_per_library_entry, disassembly, function_body, link_host_dylib_and_check_entry, members,
    object_with, stub_symbol,
};
use support::{demo_for, DemoPath};
use symexec::{Isa, Tracer, Value};

const TARGET: &str = "x86_64-apple-darwin";

/// The registers at the first `trap` in `body`, from the named starting registers (symexec:
/// push/pop/mov/xor traced; strict, so an instruction nobody modeled fails the test).
fn trace(body: &[String], start: &[(&str, &str)], trap: &str) -> symexec::Registers {
    Tracer::new(Isa::X86_64)
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
        // The stub: dyld's argc, argv, envp (rdi, rsi, rdx) move one argument slot up for
        // prepare(record, argc, argv, envp), and the record arrives in the sixth C argument (r9).
        let stub = object_with(&ms, "_rt0_lib_entry");
        let dis = disassembly(&stub);
        let f = stub_symbol(&dis, "_rt0_lib_entry");
        let body = function_body(&dis, &f);
        let first_call = body
            .iter()
            .find(|i| i.starts_with("callq"))
            .expect("a call")
            .clone();
        let at = Tracer::new(Isa::X86_64)
            .args([
                ("rdi", "argc"),
                ("rsi", "argv"),
                ("rdx", "envp"),
                ("rcx", "apple"),
                ("r8", "vars"),
                ("r9", "record"),
            ])
            .run_to(&body, &first_call)
            .unwrap();
        for (reg, v) in [
            ("rdi", "record"),
            ("rsi", "argc"),
            ("rdx", "argv"),
            ("rcx", "envp"),
        ] {
            assert_eq!(
                at.get(reg),
                Value::arg(v),
                "{path:?}: {reg} at prepare: {body:#?}"
            );
        }
        assert!(
            first_call.contains("(%rbx)"),
            "prepare is called through the record: {body:#?}"
        );
        assert_eq!(at.get("rbx"), Value::arg("record"), "{body:#?}");
    }
}

#[test]
fn bsdthread_create_gets_func_arg_stack_pthread_flags_in_di_si_dx_r10_r8() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        let ms = members(&demo);
        let obj = object_with(&ms, "_rt0_raw_thread_create");
        let dis = disassembly(&obj);
        let body = function_body(&dis, &stub_symbol(&dis, "_rt0_raw_thread_create"));
        // rt0_raw_thread_create(func, arg, stack) is called with the C convention.
        let regs = trace(
            &body,
            &[("rdi", "func"), ("rsi", "arg"), ("rdx", "stack")],
            "syscall",
        );
        let want = [
            ("rax", Value::Imm(0x2000000 + 360)), // SYSCALL_CLASS_UNIX | bsdthread_create
            ("rdi", Value::arg("func")),
            ("rsi", Value::arg("arg")),
            ("rdx", Value::arg("stack")),
            ("r10", Value::Imm(0)), // pthread: none, the stack is ours
            ("r8", Value::Imm(0x0100_0000)), // PTHREAD_START_CUSTOM
            ("r9", Value::Imm(0)),
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
fn raw_start_routine_takes_its_stack_from_r8_calls_func_and_gives_back_its_port() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let ms = members(&demo);
    let obj = object_with(&ms, "_rt0_raw_thread_start");
    let dis = disassembly(&obj);
    let body = function_body(&dis, &stub_symbol(&dis, "_rt0_raw_thread_start"));
    assert_eq!(
        body[0], "movq %r8, %rsp",
        "the stack must come from r8, never the kernel's rsp: {body:#?}"
    );
    for want in ["xorl %ebp, %ebp", "andq $-16, %rsp", "movq 8(%rsp), %r13"] {
        assert!(
            body.iter().any(|i| i == want),
            "`{want}` missing: {body:#?}"
        );
    }
    // map_base from 0(%rsp) (llvm-objdump may print the offset 0 as a symbol at address 0).
    assert!(
        body.iter()
            .any(|i| i.starts_with("movq ") && i.ends_with("(%rsp), %r12")),
        "map_base not read from the header: {body:#?}"
    );
    // XNU enters with pthread, kport, func, arg, stack, flags in rdi, rsi, rdx, rcx, r8, r9.
    let start = [
        ("rdi", "pthread"),
        ("rsi", "kport"),
        ("rdx", "func"),
        ("rcx", "arg"),
        ("r8", "stack"),
        ("r9", "flags"),
    ];
    // Up to the call: func(arg), with the port kept in a callee-saved register.
    let at_call = Tracer::new(Isa::X86_64)
        .args(start)
        .run_to(&body, "callq *%rax")
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
    assert_eq!(at_call.get("rax"), Value::arg("func"), "{body:#?}");
    assert_eq!(at_call.get("rdi"), Value::arg("arg"), "{body:#?}");
    let kept = ["rbx", "r12", "r13", "r14", "r15"]
        .into_iter()
        .find(|r| at_call.get(r) == Value::arg("kport"))
        .unwrap_or_else(|| {
            panic!("kport is not kept in a callee-saved register across func: {body:#?}")
        });
    // After func returns only callee-saved registers are known: bsdthread_terminate(map_base,
    // map_len, kport, 0) frees the stack and gives the thread's port back (issue 11).
    let call = body.iter().position(|i| i == "callq *%rax").unwrap();
    let regs = trace(
        &body[call + 1..],
        &[("r12", "map_base"), ("r13", "map_len"), (kept, "kport")],
        "syscall",
    );
    assert_eq!(regs.get("rax"), Value::Imm(0x2000000 + 361), "{body:#?}");
    assert_eq!(regs.get("rdi"), Value::arg("map_base"), "{body:#?}");
    assert_eq!(regs.get("rsi"), Value::arg("map_len"), "{body:#?}");
    assert_eq!(
        regs.get("rdx"),
        Value::arg("kport"),
        "the port must not be 0: {body:#?}"
    );
    assert_eq!(regs.get("r10"), Value::Imm(0), "no semaphore: {body:#?}");
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
