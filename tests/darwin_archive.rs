//! Inspects the x86_64-apple-darwin build (cross-compiled here) without running it, beyond what
//! `rt0-port check` states for every port (tests/support/macho.rs lists that): the entry stub's
//! hand-over to `prepare`, the raw start routine from XNU's registers to bsdthread_terminate, the
//! per-thread mask syscall, and a host dylib linked with ld64.lld that pulls the entry in through
//! one export and needs no text relocations. The code runs under rt0-port's emulated XNU
//! (tools/rt0-port tests).

#![cfg(not(target_os = "macos"))]

mod support;

use support::macho::{all_code, archive, link_host_dylib_and_check_entry, stub};
use support::{demo_for, DemoPath};
use symexec::{immediate, split_instruction, Isa, Tracer, Value};

const TARGET: &str = "x86_64-apple-darwin";

/// The callee-saved registers of the x86_64 C convention.
const CALLEE_SAVED: [&str; 5] = ["rbx", "r12", "r13", "r14", "r15"];

#[test]
fn entry_stub_moves_dyld_arguments_up_for_prepare_and_calls_it_through_the_record() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        // dyld's argc, argv, envp (rdi, rsi, rdx) move one argument slot up for
        // prepare(record, argc, argv, envp), and the record arrives in the sixth C argument (r9).
        let (_, body) = stub(&archive(&demo), "_rt0_lib_entry");
        let first_call = body
            .iter()
            .find(|i| i.starts_with("call"))
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
        // prepare is the record's first word: `call *(%reg)` through the register holding it.
        let (_, target) = split_instruction(&first_call);
        let through = target[0]
            .strip_prefix("*(")
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("prepare is not called through a register: {first_call}"));
        assert_eq!(at.get(through), Value::arg("record"), "{body:#?}");
    }
}

/// Whether `ins` aligns `sp` down to 16 bytes (`and` with a mask whose low four bits are clear).
fn aligns_stack_to_16(ins: &str, sp: &str) -> bool {
    let (op, ops) = split_instruction(ins);
    let mask = ops.iter().find_map(|o| immediate(o));
    op.starts_with("and")
        && ops.iter().any(|o| o.trim_start_matches('%') == sp)
        && mask.is_some_and(|m| m & 0xf == 0 && m >> 63 == 1)
}

#[test]
fn raw_start_routine_runs_func_on_the_given_stack_and_gives_back_its_port() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let (_, body) = stub(&archive(&demo), "_rt0_raw_thread_start");
    // XNU enters with pthread, kport, func, arg, stack, flags in rdi, rsi, rdx, rcx, r8, r9; the
    // stack rt0 made starts with its header {map_base, map_len}.
    let start = [
        ("rdi", "pthread"),
        ("rsi", "kport"),
        ("rdx", "func"),
        ("rcx", "arg"),
        ("r8", "stack"),
        ("r9", "flags"),
    ];
    let call = body
        .iter()
        .position(|i| i.starts_with("call"))
        .expect("func called");
    // Up to the call: func(arg) on the given stack (the header is read from the stack r8
    // names, never from the kernel's rsp), the frame chain ended, and the stack aligned.
    let at_call = Tracer::new(Isa::X86_64)
        .args(start)
        .points_to("stack", &["map_base", "map_len"])
        .strict()
        .run_to(&body, &body[call])
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
    let (_, target) = split_instruction(&body[call]);
    let func_reg = target[0].trim_start_matches('*');
    assert_eq!(at_call.get(func_reg), Value::arg("func"), "{body:#?}");
    assert_eq!(at_call.get("rdi"), Value::arg("arg"), "{body:#?}");
    assert_eq!(
        at_call.get("rbp"),
        Value::Imm(0),
        "outermost frame: {body:#?}"
    );
    assert!(
        body[..call].iter().any(|i| aligns_stack_to_16(i, "rsp")),
        "the stack is not 16-aligned before the call: {body:#?}"
    );
    // map_base, map_len and the thread's port survive func in callee-saved registers.
    let kept = |v: &str| {
        CALLEE_SAVED
            .into_iter()
            .find(|r| at_call.get(r) == Value::arg(v))
            .unwrap_or_else(|| {
                panic!("{v} is not kept in a callee-saved register across func: {body:#?}")
            })
    };
    let kept = [kept("map_base"), kept("map_len"), kept("kport")];
    // After func returns only callee-saved registers are known: bsdthread_terminate(map_base,
    // map_len, kport, 0) frees the stack and gives the thread's port back.
    let regs = Tracer::new(Isa::X86_64)
        .args(kept.into_iter().zip(["map_base", "map_len", "kport"]))
        .strict()
        .run_to(&body[call + 1..], "syscall")
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
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
    let ar = archive(&demo);
    let mut immediates = Vec::new();
    for (name, obj) in ar.objects() {
        if name.contains("compiler_builtins") {
            continue;
        }
        for ins in all_code(&obj) {
            immediates.extend(
                split_instruction(&ins)
                    .1
                    .iter()
                    .filter_map(|o| immediate(o)),
            );
        }
    }
    assert!(
        immediates.contains(&(0x2000000 + 329)),
        "__pthread_sigmask (0x2000000 + 329) not found in the raw build"
    );
    assert!(
        !immediates.contains(&(0x2000000 + 48)),
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
