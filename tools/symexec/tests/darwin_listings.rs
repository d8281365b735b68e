//! The tracer on rt0's darwin thread-create stubs as `llvm-objdump --macho -d
//! --no-show-raw-insn` prints them, the way tests/darwin_archive.rs and
//! tests/darwin_arm64_archive.rs use it: strict, from the C arguments, to the trap.

use symexec::{function_body, Isa, Tracer, Value};

const X86_64: &str = "obj.o:
(__TEXT,__text) section
_rt0_raw_thread_create_ee1f4edb:
      20:\tpushq\t%rdx
      21:\tpushq\t%rsi
      22:\tpushq\t%rdi
      23:\tpopq\t%rdi
      24:\tpopq\t%rsi
      25:\tpopq\t%rdx
      26:\txorq\t%r10, %r10
      29:\tmovq\t$16777216, %r8
      30:\txorq\t%r9, %r9
      33:\tmovq\t$33554792, %rax
      3a:\tsyscall
      3c:\tjae\t0x41
      3e:\tnegq\t%rax
      41:\tretq
_rt0_raw_thread_start_ee1f4edb:
";

const AARCH64: &str = "obj.o:
(__TEXT,__text) section
_rt0_raw_thread_create_216487ca:
      54:\tsub\tsp, sp, #32
      58:\tstr\tx0, [sp]
      5c:\tstr\tx1, [sp, #8]
      60:\tstr\tx2, [sp, #16]
      64:\tldr\tx0, [sp]
      68:\tldr\tx1, [sp, #8]
      6c:\tldr\tx2, [sp, #16]
      70:\tadd\tsp, sp, #32
      74:\tmov\tx3, xzr
      78:\tmov\tx4, #0
      7c:\tmovk\tx4, #256, lsl #16
      80:\tmov\tx5, xzr
      84:\tmov\tx16, #360
      88:\tsvc\t#0x80
      8c:\tb.lo\t0x94
_rt0_raw_thread_start_216487ca:
";

fn layout(
    isa: Isa,
    listing: &str,
    symbol: &str,
    regs: [&str; 3],
    trap: &str,
) -> symexec::Registers {
    let body = function_body(listing, symbol).expect("the function is in the listing");
    Tracer::new(isa)
        .args(regs.into_iter().zip(["func", "arg", "stack"]))
        .strict()
        .run_to(&body, trap)
        .unwrap()
}

#[test]
fn x86_64_bsdthread_create_gets_func_arg_stack_pthread_flags_in_di_si_dx_r10_r8() {
    let r = layout(
        Isa::X86_64,
        X86_64,
        "_rt0_raw_thread_create_ee1f4edb",
        ["rdi", "rsi", "rdx"],
        "syscall",
    );
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
    let r = layout(
        Isa::Aarch64,
        AARCH64,
        "_rt0_raw_thread_create_216487ca",
        ["x0", "x1", "x2"],
        "svc #0x80",
    );
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
    let broken = AARCH64.replace("ldr\tx1, [sp, #8]", "ldr\tx1, [sp, #16]");
    let r = layout(
        Isa::Aarch64,
        &broken,
        "_rt0_raw_thread_create_216487ca",
        ["x0", "x1", "x2"],
        "svc #0x80",
    );
    assert_eq!(r.get("x1"), Value::arg("stack"));
    assert_ne!(r.get("x1"), Value::arg("arg"));
}
