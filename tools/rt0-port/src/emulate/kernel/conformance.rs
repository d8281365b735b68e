//! Conformance: the target's register description (`arch/<triple>/abi.toml`), the stubs built
//! from it, and this model of XNU are checked against each other — statically when a run
//! starts, and at every trap with the live register values.

use unicorn_engine::{Prot, Unicorn};

use crate::description::{Description, ErrorConvention};
use crate::emulate::error::Error;
use crate::emulate::machine::cpu::Cpu;
use crate::emulate::machine::memory::{mapping_of, read_u64};

fn file(d: &Description) -> String {
    d.file.display().to_string()
}

/// Description vs model, field by field. Each error names the field and both registers.
pub fn check_static(d: &Description, cpu: Cpu) -> Vec<String> {
    let mut errs = Vec::new();
    let f = file(d);
    let mut same = |field: &str, described: &[String], model: &[&str], source: &str| {
        for (i, m) in model.iter().enumerate() {
            match described.get(i) {
                Some(r) if r == m => {}
                Some(r) => errs.push(format!(
                    "{f}: `{field}[{i}]` names {r}, but the kernel uses {m} ({source})"
                )),
                None => {}
            }
        }
    };
    // XNU systemcalls.c / SYS.h
    same(
        "syscall.arg_registers",
        &d.syscall.arg_registers,
        cpu.syscall_arg_regs(),
        "XNU bsd/dev/*/systemcalls.c",
    );
    same(
        "syscall.number_register",
        std::slice::from_ref(&d.syscall.number_register),
        &[cpu.syscall_number_reg()],
        "XNU bsd/dev/*/systemcalls.c",
    );
    // bsdthread_create(func, func_arg, stack, pthread, flags): argument i of the syscall.
    let order = ["func", "arg", "stack", "pthread", "flags"];
    let model_tc: Vec<&str> = order
        .iter()
        .enumerate()
        .map(|(i, _)| cpu.syscall_arg_regs()[i])
        .collect();
    let described_tc: Vec<String> = order
        .iter()
        .map(|n| {
            d.thread_create
                .map
                .register_of(n)
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    for (i, n) in order.iter().enumerate() {
        if described_tc[i] != model_tc[i] {
            errs.push(format!(
                "{f}: [thread_create] puts `{n}` in {}, but bsdthread_create takes it as syscall argument {i}, \
                 register {} (LP kern/kern_support.c _bsdthread_create)",
                described_tc[i], model_tc[i]
            ));
        }
    }
    if let Some(ts) = &d.thread_start {
        let order = ["pthread", "kport", "func", "arg", "stack", "flags"];
        for (i, n) in order.iter().enumerate() {
            let r = ts.map.register_of(n).unwrap_or("?");
            if r != cpu.thread_start_regs()[i] {
                errs.push(format!(
                    "{f}: [thread_start] puts `{n}` in {r}, but the kernel starts the thread with it in {} \
                     (LP kern/kern_support.c _bsdthread_create thread state)",
                    cpu.thread_start_regs()[i]
                ));
            }
        }
        if ts.stack_pointer != cpu.sp_name() {
            errs.push(format!(
                "{f}: [thread_start] stack_pointer is {}, the CPU's is {}",
                ts.stack_pointer,
                cpu.sp_name()
            ));
        }
        if cpu == Cpu::X86_64 && ts.legacy_stack_offset != -128 {
            errs.push(format!(
                "{f}: [thread_start] legacy_stack_offset is {}, libpthread <= 330 used -128 (C_64_REDZONE_LEN)",
                ts.legacy_stack_offset
            ));
        }
    }
    // dyld's initializer call: argc, argv, envp, apple, &ProgramVars in the C argument registers.
    let order = ["argc", "argv", "envp", "apple", "program_vars"];
    for (i, n) in order.iter().enumerate() {
        if let Some(r) = d.initializer.map.register_of(n) {
            if r != cpu.c_arg_regs()[i] {
                errs.push(format!(
                    "{f}: [initializer] puts `{n}` in {r}, but dyld passes it as C argument {i} in {} (DYLD dyld/Loader.cpp)",
                    cpu.c_arg_regs()[i]
                ));
            }
        }
    }
    if d.syscall.error != ErrorConvention::Carry {
        errs.push(format!(
            "{f}: syscall.error is `{}`, XNU reports errors with the carry flag",
            d.syscall.error.as_str()
        ));
    }
    let want_prefix = if cpu == Cpu::X86_64 { 0x200_0000 } else { 0 };
    if d.syscall.number_prefix != want_prefix {
        errs.push(format!(
            "{f}: syscall.number_prefix is {:#x}, XNU's BSD class is {want_prefix:#x}",
            d.syscall.number_prefix
        ));
    }
    let nums = [
        ("exit", 1),
        ("write", 4),
        ("getpid", 20),
        ("mmap", 197),
        ("munmap", 73),
        ("mprotect", 74),
        ("process_sigmask", 48),
        ("thread_sigmask", 329),
        ("thread_id", 372),
        ("thread_create", 360),
        ("thread_terminate", 361),
        ("thread_register", 366),
        ("wait_on_address", 515),
        ("wake_address", 516),
    ];
    for (n, v) in nums {
        if let Some(x) = d.number(n) {
            if x != v {
                errs.push(format!(
                    "{f}: numbers.{n} is {x}, XNU bsd/kern/syscalls.master has {v}"
                ));
            }
        }
    }
    errs
}

/// At every trap: the number register carries the class prefix, and the instruction is the one
/// the description names.
pub fn check_trap(
    d: &Description,
    cpu: Cpu,
    uc: &Unicorn<'_, ()>,
    pc: u64,
    num: u64,
) -> Result<(), Error> {
    let f = file(d);
    let mut insn = [0u8; 4];
    let _ = uc.mem_read(pc, &mut insn);
    if !cpu.is_trap_insn(&insn, &d.syscall.instruction) {
        return Err(Error::Conformance(format!(
            "trap at {pc:#x} is not the `{}` instruction {f} names",
            d.syscall.instruction
        )));
    }
    let prefix = d.syscall.number_prefix;
    if prefix != 0 && num & prefix != prefix && (num >> 24) == 0 {
        return Err(Error::Conformance(format!(
            "syscall at {pc:#x}: {} = {num:#x} lacks the class prefix {prefix:#x} that {f} \
             (syscall.number_prefix) adds to every number",
            d.syscall.number_register
        )));
    }
    Ok(())
}

/// At bsdthread_create: each argument is in the register the description names. The values
/// are checked by what they must be (flags = the described flags word, stack = a writable
/// mapping holding a {base, len} header, func = executable code, pthread = 0 on the raw path);
/// when one is wrong, the value is looked for in the other registers to name where it went.
pub fn check_thread_create(
    d: &Description,
    cpu: Cpu,
    uc: &Unicorn<'_, ()>,
    pc: u64,
) -> Result<(), Error> {
    let f = file(d);
    let map = &d.thread_create.map;
    let reg = |n: &str| map.register_of(n).unwrap_or("?").to_string();
    let val = |n: &str| cpu.reg(&reg(n)).map(|_| cpu.read(uc, &reg(n))).unwrap_or(0);
    let whose = |v: u64, skip: &str| -> String {
        let others: Vec<String> = cpu
            .gprs()
            .into_iter()
            .filter(|r| r != skip && cpu.read(uc, r) == v)
            .map(|r| {
                let role = map
                    .args
                    .iter()
                    .zip(map.registers.iter())
                    .find(|(_, rr)| **rr == r)
                    .map(|(a, _)| format!(" (the register {f} gives to `{a}`)"))
                    .unwrap_or_default();
                format!("{r}{role}")
            })
            .collect();
        if others.is_empty() {
            "no other register holds it".into()
        } else {
            format!("it is in {}", others.join(", "))
        }
    };
    let flags = val("flags");
    if flags as u32 as u64 != d.thread_create.flags {
        let r = reg("flags");
        return Err(Error::Conformance(format!(
            "bsdthread_create at {pc:#x}: {f} ([thread_create]) says register {r} carries `flags` = {:#x}, \
             but {r} = {flags:#x}; {} — the stub and the description disagree about {r}",
            d.thread_create.flags,
            whose(d.thread_create.flags, &r)
        )));
    }
    let stack = val("stack");
    let ok_stack = mapping_of(uc, stack.wrapping_sub(1))
        .map(|(_, _, p)| p.0 & (Prot::READ.0 | Prot::WRITE.0) == (Prot::READ.0 | Prot::WRITE.0))
        .unwrap_or(false)
        && read_u64(uc, stack).is_some();
    if !ok_stack {
        let r = reg("stack");
        return Err(Error::Conformance(format!(
            "bsdthread_create at {pc:#x}: {f} says register {r} carries `stack`, but {r} = {stack:#x} \
             is not the top of a writable mapping with a readable header"
        )));
    }
    let func = val("func");
    let ok_func = mapping_of(uc, func)
        .map(|(_, _, p)| p.0 & Prot::EXEC.0 != 0)
        .unwrap_or(false);
    if !ok_func {
        let r = reg("func");
        return Err(Error::Conformance(format!(
            "bsdthread_create at {pc:#x}: {f} says register {r} carries `func`, but {r} = {func:#x} is not code"
        )));
    }
    let pthread = val("pthread");
    if pthread != 0 && mapping_of(uc, pthread).is_none() {
        let r = reg("pthread");
        return Err(Error::Conformance(format!(
            "bsdthread_create at {pc:#x}: {f} says register {r} carries `pthread`, but {r} = {pthread:#x} \
             is neither 0 nor mapped; {}",
            whose(0, &r)
        )));
    }
    Ok(())
}

/// mmap flag bits XNU knows (<sys/mman.h>: SHARED PRIVATE FIXED RENAME NORESERVE NOEXTEND
/// HASSEMAPHORE NOCACHE JIT ANON RESILIENT_CODESIGN RESILIENT_MEDIA 32BIT TRANSLATED_ALLOW_EXECUTE
/// UNIX03 TPRO).
const MAP_KNOWN: u64 = 0x1
    | 0x2
    | 0x10
    | 0x20
    | 0x40
    | 0x100
    | 0x200
    | 0x400
    | 0x800
    | 0x1000
    | 0x2000
    | 0x4000
    | 0x8000
    | 0x20000
    | 0x40000
    | 0x80000;

/// At every syscall whose arguments have a recognisable shape: each argument is read from the
/// register `[syscall] arg_registers` names for its position, and must look like what the call
/// takes there. When it does not, the other argument registers are searched for a value that
/// does, to name where the stub put it.
pub fn check_args(
    d: &Description,
    cpu: Cpu,
    uc: &Unicorn<'_, ()>,
    num: u64,
    pc: u64,
) -> Result<(), Error> {
    let f = file(d);
    let regs = &d.syscall.arg_registers;
    let val = |i: usize| {
        regs.get(i)
            .and_then(|r| cpu.reg(r))
            .map(|_| cpu.read(uc, &regs[i]))
            .unwrap_or(0)
    };
    let elsewhere = |skip: usize, ok: &dyn Fn(u64) -> bool| -> String {
        let hits: Vec<String> = (0..regs.len())
            .filter(|&i| i != skip && ok(val(i)))
            .map(|i| {
                format!(
                    "{} (argument {i} by the description) holds {:#x}",
                    regs[i],
                    val(i)
                )
            })
            .collect();
        if hits.is_empty() {
            "no other argument register holds one".into()
        } else {
            hits.join(", ")
        }
    };
    let bad = |call: &str, i: usize, name: &str, what: &str, found: String| -> Error {
        let r = regs.get(i).map(String::as_str).unwrap_or("?");
        Error::Conformance(format!(
            "{call} at {pc:#x}: {f} ([syscall] arg_registers) says argument {i} (`{name}`) travels in {r}, \
             but {r} = {:#x} is not {what}; {found} — the stub and the description disagree about {r}",
            val(i)
        ))
    };
    match num {
        // mmap(addr, len, prot, flags, fd, pos) (XNU bsd/kern/syscalls.master 197)
        197 => {
            let is_prot = |v: u64| v <= 7;
            let is_flags = |v: u64| v != 0 && v & !MAP_KNOWN == 0 && v & 0x3 != 0x3;
            if !is_prot(val(2)) {
                return Err(bad(
                    "mmap (197)",
                    2,
                    "prot",
                    "a PROT_* value",
                    elsewhere(2, &is_prot),
                ));
            }
            if !is_flags(val(3)) {
                return Err(bad(
                    "mmap (197)",
                    3,
                    "flags",
                    "a MAP_* flags word",
                    elsewhere(3, &is_flags),
                ));
            }
        }
        // __ulock_wait(operation, addr, value, timeout) / __ulock_wake(operation, addr, wake_value)
        // (XNU bsd/kern/syscalls.master 515/516; opcodes 1..=5 in <sys/ulock.h>).
        515 | 516 => {
            let is_op = |v: u64| (1..=5).contains(&(v & 0xff)) && v >> 32 == 0;
            if !is_op(val(0)) {
                let call = if num == 515 {
                    "__ulock_wait (515)"
                } else {
                    "__ulock_wake (516)"
                };
                return Err(bad(
                    call,
                    0,
                    "operation",
                    "a UL_* operation",
                    elsewhere(0, &is_op),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}
