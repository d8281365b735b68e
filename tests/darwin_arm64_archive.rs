//! Inspects the aarch64-apple-darwin build (cross-compiled here) without running it, as
//! tests/darwin_archive.rs does for x86_64 (what `rt0-port check` states for every port is not
//! repeated: tests/support/macho.rs lists it): the entry stub's hand-over to `prepare`, the
//! syscall trampoline, the raw start routine from XNU's registers to bsdthread_terminate (traced
//! instruction by instruction), the per-thread mask syscall, x18 left alone, and a host dylib
//! linked with ld64.lld that needs no text relocations.

#![cfg(not(target_os = "macos"))]

mod support;

use rt0_inspect::Arch;
use support::macho::{all_code, archive, link_host_dylib_and_check_entry, stub};
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

/// Whether an instruction names x18 (or w18), the platform's register.
fn uses_x18(ins: &str) -> bool {
    split_instruction(ins).1.iter().any(|o| {
        o.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "x18" || w == "w18")
    })
}

#[test]
fn entry_stub_moves_dyld_arguments_up_for_prepare_and_calls_it_through_the_record() {
    for path in DemoPath::ALL {
        let demo = demo_for(Some(TARGET), path);
        // dyld's argc, argv, envp (x0, x1, x2) move one argument slot up for
        // prepare(record, argc, argv, envp); the record arrives in the sixth C argument (x5).
        let (_, body) = stub(&archive(&demo), "_rt0_lib_entry");
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
            !body.iter().any(|i| uses_x18(i)),
            "x18 is the platform's: {body:#?}"
        );
    }
}

#[test]
fn syscall_trampoline_moves_nr_to_x16_and_arguments_to_x0_x5() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let (_, body) = stub(&archive(&demo), "_rt0_syscall6");
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

/// Whether `ins` aligns `sp` down to 16 bytes (`and` with a mask whose low four bits are clear).
fn aligns_stack_to_16(ins: &str) -> bool {
    let (op, ops) = split_instruction(ins);
    let mask = ops.iter().find_map(|o| immediate(o));
    op == "and"
        && ops.first().is_some_and(|d| d == "sp")
        && mask.is_some_and(|m| m & 0xf == 0 && m >> 63 == 1)
}

#[test]
fn raw_start_routine_runs_func_on_the_given_stack_and_gives_back_its_port() {
    let demo = demo_for(Some(TARGET), DemoPath::Raw);
    let (_, body) = stub(&archive(&demo), "_rt0_raw_thread_start");
    // XNU enters with pthread, kport, func, arg, stack, flags in x0..x5; the stack rt0 made
    // starts with its header {map_base, map_len}.
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
    // Up to the call: func(arg) on the given stack (the header is read from the stack x4 names,
    // never from the kernel's sp), the frame chain ended, and the stack aligned.
    let at_call = Tracer::new(Isa::Aarch64)
        .args(start)
        .points_to("stack", &["map_base", "map_len"])
        .strict()
        .run_to(&body, &body[call])
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"));
    let target = split_instruction(&body[call]).1[0].clone();
    assert_eq!(at_call.get(&target), Value::arg("func"), "{body:#?}");
    assert_eq!(at_call.get("x0"), Value::arg("arg"), "{body:#?}");
    assert_eq!(
        at_call.get("fp"),
        Value::Imm(0),
        "outermost frame: {body:#?}"
    );
    assert_eq!(
        at_call.get("lr"),
        Value::Imm(0),
        "no return address: {body:#?}"
    );
    assert!(
        body[..call].iter().any(|i| aligns_stack_to_16(i)),
        "the stack is not 16-aligned before the call: {body:#?}"
    );
    // map_base, map_len and the thread's port survive func in callee-saved registers.
    let kept = |v: &str| {
        (19..=28)
            .map(|n| format!("x{n}"))
            .find(|r| at_call.get(r) == Value::arg(v))
            .unwrap_or_else(|| {
                panic!("{v} is not kept in a callee-saved register across func: {body:#?}")
            })
    };
    let kept = [kept("map_base"), kept("map_len"), kept("kport")];
    // After func returns only callee-saved registers are known: bsdthread_terminate(map_base,
    // map_len, kport, 0) frees the stack and gives the thread's port back.
    let regs = trace(
        &body[call + 1..],
        &[
            (kept[0].as_str(), "map_base"),
            (kept[1].as_str(), "map_len"),
            (kept[2].as_str(), "kport"),
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
    let mut found = 0;
    for (name, obj) in archive(&demo).objects() {
        if name.contains("compiler_builtins") {
            continue;
        }
        // rt0::sys::raw::thread_sigmask: the only place rt0 changes a signal mask on this path.
        for f in obj
            .defined_symbols()
            .filter(|s| s.name.contains("3raw14thread_sigmask"))
        {
            let body = rt0_inspect::disasm::function_text(&obj, f).unwrap();
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
                "__pthread_sigmask (329) not loaded in {}: {body:#?}",
                f.name
            );
            assert!(
                !loads.contains(&48),
                "sigprocmask (48) changes every thread's mask: {}: {body:#?}",
                f.name
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
        let image = link_host_dylib_and_check_entry(&demo, "arm64", &format!("{path:?}"));
        assert_eq!(image.arch, Arch::Aarch64, "{path:?}: not an arm64 image");
        // x18 belongs to the platform: nothing in the image may read or write it.
        let uses: Vec<String> = all_code(&image)
            .into_iter()
            .filter(|i| uses_x18(i))
            .collect();
        assert!(uses.is_empty(), "{path:?}: x18 used: {uses:#?}");
    }
}
