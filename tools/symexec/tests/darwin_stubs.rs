//! The tracer on rt0's darwin thread stubs as the assembler encoded them (the bytes of
//! `_rt0_raw_thread_create` and `_rt0_raw_thread_start` in the demo's archives), disassembled by
//! rt0-inspect as tests/darwin_archive.rs, tests/darwin_arm64_archive.rs and `rt0-port check` do:
//! strict, from the C arguments (or what XNU passes a new thread), to the trap.

use rt0_inspect::disasm::disassemble;
use rt0_inspect::Arch;
use symexec::{Isa, Tracer, Value};

const X86_64_THREAD_CREATE: &[u8] = &[
    0x52, 0x56, 0x57, 0x5f, 0x5e, 0x5a, 0x4d, 0x31, 0xd2, 0x49, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x01,
    0x4d, 0x31, 0xc9, 0x48, 0xc7, 0xc0, 0x68, 0x01, 0x00, 0x02, 0x0f, 0x05, 0x73, 0x03, 0x48, 0xf7,
    0xd8, 0xc3,
];

const X86_64_THREAD_START: &[u8] = &[
    0x4c, 0x89, 0xc4, 0x31, 0xed, 0x49, 0x89, 0xf6, 0x52, 0x51, 0x5f, 0x58, 0x4c, 0x8b, 0x24, 0x24,
    0x4c, 0x8b, 0x6c, 0x24, 0x08, 0x48, 0x83, 0xe4, 0xf0, 0xff, 0xd0, 0x4c, 0x89, 0xe7, 0x4c, 0x89,
    0xee, 0x4c, 0x89, 0xf2, 0x4d, 0x31, 0xd2, 0x48, 0xc7, 0xc0, 0x69, 0x01, 0x00, 0x02, 0x0f, 0x05,
    0x0f, 0x0b,
];

const AARCH64_THREAD_CREATE: &[u8] = &[
    0xff, 0x83, 0x00, 0xd1, 0xe0, 0x03, 0x00, 0xf9, 0xe1, 0x07, 0x00, 0xf9, 0xe2, 0x0b, 0x00, 0xf9,
    0xe0, 0x03, 0x40, 0xf9, 0xe1, 0x07, 0x40, 0xf9, 0xe2, 0x0b, 0x40, 0xf9, 0xff, 0x83, 0x00, 0x91,
    0xe3, 0x03, 0x1f, 0xaa, 0x04, 0x00, 0x80, 0xd2, 0x04, 0x20, 0xa0, 0xf2, 0xe5, 0x03, 0x1f, 0xaa,
    0x10, 0x2d, 0x80, 0xd2, 0x01, 0x10, 0x00, 0xd4, 0x43, 0x00, 0x00, 0x54, 0xe0, 0x03, 0x00, 0xcb,
    0xe0, 0x03, 0x00, 0xaa, 0xc0, 0x03, 0x5f, 0xd6,
];

const AARCH64_THREAD_START: &[u8] = &[
    0x9f, 0x00, 0x00, 0x91, 0xfd, 0x03, 0x1f, 0xaa, 0xfe, 0x03, 0x1f, 0xaa, 0xf6, 0x03, 0x01, 0xaa,
    0xf3, 0x03, 0x02, 0xaa, 0xf4, 0x57, 0x40, 0xa9, 0xe9, 0x03, 0x00, 0x91, 0x3f, 0xed, 0x7c, 0x92,
    0xe0, 0x03, 0x03, 0xaa, 0x60, 0x02, 0x3f, 0xd6, 0xe0, 0x03, 0x14, 0xaa, 0xe1, 0x03, 0x15, 0xaa,
    0xe2, 0x03, 0x16, 0xaa, 0xe3, 0x03, 0x1f, 0xaa, 0x30, 0x2d, 0x80, 0xd2, 0x01, 0x10, 0x00, 0xd4,
    0x00, 0x00, 0x00, 0x00,
];

fn body(arch: Arch, code: &[u8]) -> Vec<String> {
    disassemble(arch, code, 0)
        .expect("capstone reads the stub")
        .into_iter()
        .map(|i| i.text)
        .collect()
}

fn thread_create(isa: Isa, body: &[String], regs: [&str; 3], trap: &str) -> symexec::Registers {
    Tracer::new(isa)
        .args(regs.into_iter().zip(["func", "arg", "stack"]))
        .strict()
        .run_to(body, trap)
        .unwrap_or_else(|e| panic!("{e}: {body:#?}"))
}

#[test]
fn x86_64_bsdthread_create_gets_func_arg_stack_pthread_flags_in_di_si_dx_r10_r8() {
    let body = body(Arch::X86_64, X86_64_THREAD_CREATE);
    let r = thread_create(Isa::X86_64, &body, ["rdi", "rsi", "rdx"], "syscall");
    assert_eq!(r.get("rax"), Value::Imm(0x2000000 + 360));
    assert_eq!(r.get("rdi"), Value::arg("func"));
    assert_eq!(r.get("rsi"), Value::arg("arg"));
    assert_eq!(r.get("rdx"), Value::arg("stack"));
    assert_eq!(r.get("r10"), Value::Imm(0));
    assert_eq!(r.get("r8"), Value::Imm(0x0100_0000));
    assert_eq!(r.get("r9"), Value::Imm(0));
}

#[test]
fn aarch64_bsdthread_create_gets_func_arg_stack_pthread_flags_in_x0_to_x4() {
    let body = body(Arch::Aarch64, AARCH64_THREAD_CREATE);
    let r = thread_create(Isa::Aarch64, &body, ["x0", "x1", "x2"], "svc #0x80");
    assert_eq!(r.get("x16"), Value::Imm(360));
    assert_eq!(r.get("x0"), Value::arg("func"));
    assert_eq!(r.get("x1"), Value::arg("arg"));
    assert_eq!(r.get("x2"), Value::arg("stack"));
    assert_eq!(r.get("x3"), Value::Imm(0));
    assert_eq!(r.get("x4"), Value::Imm(0x0100_0000));
    assert_eq!(r.get("x5"), Value::Imm(0));
}

#[test]
fn swapped_loads_in_the_aarch64_stub_are_caught() {
    let mut body = body(Arch::Aarch64, AARCH64_THREAD_CREATE);
    let load = body
        .iter()
        .position(|i| i == "ldr x1, [sp, #8]")
        .expect("arg reloaded from its slot");
    body[load] = "ldr x1, [sp, #0x10]".to_string();
    let r = thread_create(Isa::Aarch64, &body, ["x0", "x1", "x2"], "svc #0x80");
    assert_eq!(r.get("x1"), Value::arg("stack"));
}

/// What XNU passes a new thread (libpthread's `_pthread_start` arguments); the stack it names
/// starts with rt0's header {map_base, map_len}.
fn thread_start(isa: Isa, regs: [&str; 6]) -> Tracer {
    Tracer::new(isa)
        .args(
            regs.into_iter()
                .zip(["pthread", "kport", "func", "arg", "stack", "flags"]),
        )
        .points_to("stack", &["map_base", "map_len"])
}

#[test]
fn the_start_routines_read_the_header_of_the_stack_they_were_given() {
    let x86 = body(Arch::X86_64, X86_64_THREAD_START);
    let r = thread_start(Isa::X86_64, ["rdi", "rsi", "rdx", "rcx", "r8", "r9"])
        .strict()
        .run_to(&x86, "callq *%rax")
        .unwrap_or_else(|e| panic!("{e}: {x86:#?}"));
    assert_eq!(r.get("r12"), Value::arg("map_base"));
    assert_eq!(r.get("r13"), Value::arg("map_len"));
    assert_eq!(r.get("r14"), Value::arg("kport"));

    let arm = body(Arch::Aarch64, AARCH64_THREAD_START);
    let r = thread_start(Isa::Aarch64, ["x0", "x1", "x2", "x3", "x4", "x5"])
        .strict()
        .run_to(&arm, "blr x19")
        .unwrap_or_else(|e| panic!("{e}: {arm:#?}"));
    assert_eq!(r.get("x20"), Value::arg("map_base"));
    assert_eq!(r.get("x21"), Value::arg("map_len"));
    assert_eq!(r.get("x22"), Value::arg("kport"));
    assert_eq!(r.get("x0"), Value::arg("arg"));
}
