//! Validation: a parsed TOML table to a [`Description`], checked against the rules of each
//! section (which keys each OS requires, register names of the architecture, numbers in range).
//! The first broken rule is the error, naming the file, the field and what was expected.

use std::path::Path;

use crate::arch::Arch;
use crate::error::DescriptionError;
use crate::model::{
    CAbi, Constant, Description, ErrorConvention, Initializer, Os, RegisterMap, StackFacts,
    Syscall, SyscallKind, ThreadCreate, ThreadStart,
};
use crate::reader::{describe, quoted, Reader, Table};
use crate::required::{
    CONSTANTS_COMMON, CONSTANTS_DARWIN, CONSTANTS_LINUX, CONSTANTS_WINDOWS, NUMBERS_COMMON,
    NUMBERS_DARWIN, NUMBERS_LINUX, THREAD_CREATE_ARGS_DARWIN, THREAD_CREATE_ARGS_LINUX,
    THREAD_START_ARGS_DARWIN,
};

/// What `[syscall]`, `[numbers]`, `[thread_create]` and `[thread_exit]` give.
type SyscallSections = (Syscall, Vec<(String, u64)>, ThreadCreate, Vec<String>);

/// `[syscall] kind`: absent or "trap" on Linux and darwin, "none" (and nothing else) on Windows.
fn syscall_kind(r: &Reader<'_>, os: Os, s: &Table) -> Result<SyscallKind, DescriptionError> {
    let kind = match s.get("kind") {
        None if os != Os::Windows => SyscallKind::Trap,
        _ => match r.choice(s, "syscall", "kind", &["trap", "none"])?.as_str() {
            "none" => SyscallKind::None,
            _ => SyscallKind::Trap,
        },
    };
    match (os, kind) {
        (Os::Windows, SyscallKind::Trap) => Err(r.err(
            "syscall.kind",
            "\"none\" on windows (it has no stable system-call interface: rt0 calls kernel32)",
            "\"trap\"",
        )),
        (Os::Linux | Os::Darwin, SyscallKind::None) => Err(r.err(
            "syscall.kind",
            &format!(
                "\"trap\" (or no kind) on {}: rt0 makes its system calls itself there, with the registers [syscall] names",
                os.as_str()
            ),
            "\"none\"",
        )),
        _ => Ok(kind),
    }
}

/// The sections of an OS that rt0 makes system calls on: `[syscall]`'s registers, `[numbers]`,
/// `[thread_create]` and `[thread_exit]`.
fn trap_sections(
    r: &Reader<'_>,
    arch: Arch,
    os: Os,
    root: &Table,
    s: &Table,
) -> Result<SyscallSections, DescriptionError> {
    let instruction = r.string(s, "syscall", "instruction")?;
    let number_register = r.string(s, "syscall", "number_register")?;
    r.register(arch, "syscall.number_register", &number_register)?;
    let number_prefix = r.uint(s, "syscall", "number_prefix")?;
    let arg_registers = r.registers(arch, s, "syscall", "arg_registers")?;
    if arg_registers.len() < 6 {
        return Err(r.err(
            "syscall.arg_registers",
            "at least 6 registers (rt0's trampoline passes six arguments)",
            format!("{} registers", arg_registers.len()),
        ));
    }
    if arg_registers.contains(&number_register) && arch == Arch::X86_64 {
        return Err(r.err(
            "syscall.number_register",
            "a register that is not also an argument register",
            format!("\"{number_register}\""),
        ));
    }
    let error = match r
        .choice(s, "syscall", "error", &["carry", "negative"])?
        .as_str()
    {
        "carry" => ErrorConvention::Carry,
        _ => ErrorConvention::Negative,
    };
    let return_registers = r.registers(arch, s, "syscall", "return_registers")?;
    if return_registers.is_empty() {
        return Err(r.err(
            "syscall.return_registers",
            "at least one register",
            "an empty list",
        ));
    }
    let clobbers = r.registers(arch, s, "syscall", "clobbers")?;
    let syscall = Syscall {
        kind: SyscallKind::Trap,
        instruction,
        number_register,
        number_prefix,
        arg_registers,
        error,
        return_registers,
        clobbers,
    };

    let n = r.table(root, "numbers")?;
    let mut numbers = Vec::new();
    for (key, v) in n {
        match v {
            toml::Value::Integer(i) if *i >= 0 => numbers.push((key.clone(), *i as u64)),
            v => {
                return Err(r.err(
                    &format!("numbers.{key}"),
                    "a non-negative syscall number",
                    describe(v),
                ))
            }
        }
    }
    let os_numbers = if os == Os::Darwin {
        NUMBERS_DARWIN
    } else {
        NUMBERS_LINUX
    };
    for want in NUMBERS_COMMON.iter().chain(os_numbers) {
        if !numbers.iter().any(|(k, _)| k == want) {
            r.uint(n, "numbers", want)?;
        }
    }

    let tc = r.table(root, "thread_create")?;
    let tc_names = if os == Os::Darwin {
        THREAD_CREATE_ARGS_DARWIN
    } else {
        THREAD_CREATE_ARGS_LINUX
    };
    let thread_create = ThreadCreate {
        map: r.register_map(arch, tc, "thread_create", Some(tc_names))?,
        flags: r.uint(tc, "thread_create", "flags")?,
    };
    for (i, reg) in thread_create.map.registers.iter().enumerate() {
        if !syscall.arg_registers.contains(reg) {
            return Err(r.err(
                &format!("thread_create.registers[{i}]"),
                "one of syscall.arg_registers",
                format!("\"{reg}\""),
            ));
        }
    }

    let te = r.table(root, "thread_exit")?;
    let thread_exit_args = r.strings(te, "thread_exit", "args")?;
    Ok((syscall, numbers, thread_create, thread_exit_args))
}

/// An OS without system calls (`kind = "none"`): `[syscall]` says only that, and there is no
/// `[numbers]`, `[thread_create]` or `[thread_exit]` (rt0 cannot create a raw thread there).
fn no_syscall_sections(
    r: &Reader<'_>,
    os: Os,
    root: &Table,
    s: &Table,
) -> Result<SyscallSections, DescriptionError> {
    if let Some(key) = s.keys().find(|k| *k != "kind") {
        return Err(r.err(
            &format!("syscall.{key}"),
            &format!(
                "nothing but `kind = \"none\"` in [syscall] on {} (no system-call registers: rt0 makes no system calls there)",
                os.as_str()
            ),
            format!("the key {key}"),
        ));
    }
    for section in ["numbers", "thread_create", "thread_exit"] {
        if root.contains_key(section) {
            return Err(r.err(
                section,
                &format!(
                    "no [{section}] section on {} ([syscall] kind = \"none\": no system-call numbers and no raw thread creation)",
                    os.as_str()
                ),
                format!("a [{section}] section"),
            ));
        }
    }
    let syscall = Syscall {
        kind: SyscallKind::None,
        instruction: String::new(),
        number_register: String::new(),
        number_prefix: 0,
        arg_registers: Vec::new(),
        error: ErrorConvention::Negative,
        return_registers: Vec::new(),
        clobbers: Vec::new(),
    };
    let thread_create = ThreadCreate {
        map: RegisterMap {
            args: Vec::new(),
            registers: Vec::new(),
        },
        flags: 0,
    };
    Ok((syscall, Vec::new(), thread_create, Vec::new()))
}

/// `sigset_bytes`, `libc_reserved_signals` and `synchronous_signals` (Linux, darwin).
fn check_signal_constants(
    r: &Reader<'_>,
    constants: &[(String, Constant)],
) -> Result<(), DescriptionError> {
    let sigset = constants
        .iter()
        .find(|(k, _)| k == "sigset_bytes")
        .map(|(_, v)| v.clone());
    if !matches!(sigset, Some(Constant::Int(4)) | Some(Constant::Int(8))) {
        return Err(r.err("constants.sigset_bytes", "4 or 8", format!("{sigset:?}")));
    }
    // The C library's own signals: left out of every "block all" mask rt0 sets (may be empty).
    match constants.iter().find(|(k, _)| k == "libc_reserved_signals") {
        Some((_, Constant::List(l))) if l.iter().all(|s| (1..=64).contains(s)) => {}
        Some((_, v)) => {
            return Err(r.err(
                "constants.libc_reserved_signals",
                "a list of signal numbers from 1 to 64 (empty where the C library reserves none)",
                format!("{v:?}"),
            ))
        }
        None => {
            return Err(r.err(
                "constants.libc_reserved_signals",
                "a list of signal numbers from 1 to 64 (empty where the C library reserves none)",
                "nothing (the key is missing)",
            ))
        }
    }
    match constants.iter().find(|(k, _)| k == "synchronous_signals") {
        Some((_, Constant::List(l))) if l.iter().all(|s| (1..=64).contains(s)) => {}
        Some((_, v)) => {
            return Err(r.err(
                "constants.synchronous_signals",
                "a list of signal numbers from 1 to 64",
                format!("{v:?}"),
            ))
        }
        None => {
            return Err(r.err(
                "constants.synchronous_signals",
                "a list of signal numbers from 1 to 64",
                "nothing (the key is missing)",
            ))
        }
    }
    Ok(())
}

/// The description `root` (read from `file`) says, if it keeps every rule.
pub(crate) fn validate(file: &Path, root: &Table) -> Result<Description, DescriptionError> {
    let r = Reader { file };
    let target = r.table(root, "target")?;
    let triple = r.string(target, "target", "triple")?;
    let arch = match r
        .choice(target, "target", "arch", &["x86_64", "aarch64", "riscv64"])?
        .as_str()
    {
        "x86_64" => Arch::X86_64,
        "riscv64" => Arch::Riscv64,
        _ => Arch::Aarch64,
    };
    let os = match r
        .choice(target, "target", "os", &["darwin", "linux", "windows"])?
        .as_str()
    {
        "darwin" => Os::Darwin,
        "windows" => Os::Windows,
        _ => Os::Linux,
    };
    let object_format = r.choice(target, "target", "object_format", &["macho", "elf", "coff"])?;
    let want_format = os.object_format();
    if object_format != want_format {
        return Err(r.err(
            "target.object_format",
            &format!("\"{want_format}\" for os \"{}\"", os.as_str()),
            format!("\"{object_format}\""),
        ));
    }
    let verified_by = r.choice(
        target,
        "target",
        "verified_by",
        &["native", "qemu-user", "emulated-xnu", "wine", "not-yet"],
    )?;

    let s = r.table(root, "syscall")?;
    let syscall_kind = syscall_kind(&r, os, s)?;
    let (syscall, numbers, thread_create, thread_exit_args) = match syscall_kind {
        SyscallKind::Trap => trap_sections(&r, arch, os, root, s)?,
        SyscallKind::None => no_syscall_sections(&r, os, root, s)?,
    };

    let c = r.table(root, "c_abi")?;
    let c_abi = CAbi {
        arg_registers: r.registers(arch, c, "c_abi", "arg_registers")?,
        return_register: {
            let reg = r.string(c, "c_abi", "return_register")?;
            r.register(arch, "c_abi.return_register", &reg)?;
            reg
        },
        callee_saved: r.registers(arch, c, "c_abi", "callee_saved")?,
        // Optional where they are 0 / empty (System V, AAPCS64); a Windows description must say.
        shadow_space: match (os, c.get("shadow_space")) {
            (Os::Windows, _) | (_, Some(_)) => r.uint(c, "c_abi", "shadow_space")?,
            _ => 0,
        },
        callee_saved_vector: match (os, c.get("callee_saved_vector")) {
            (Os::Windows, _) | (_, Some(_)) => r.vector_registers(arch, c)?,
            _ => Vec::new(),
        },
    };
    if c_abi.shadow_space % 8 != 0 {
        return Err(r.err(
            "c_abi.shadow_space",
            "a multiple of 8 bytes (one slot per register argument)",
            c_abi.shadow_space.to_string(),
        ));
    }

    let thread_start = match (os, root.get("thread_start")) {
        (Os::Darwin, _) => {
            let ts = r.table(root, "thread_start")?;
            let map = r.register_map(arch, ts, "thread_start", Some(THREAD_START_ARGS_DARWIN))?;
            let stack_pointer = r.string(ts, "thread_start", "stack_pointer")?;
            r.register(arch, "thread_start.stack_pointer", &stack_pointer)?;
            let legacy_stack_offset = r.int(ts, "thread_start", "legacy_stack_offset")?;
            Some(ThreadStart {
                map,
                stack_pointer,
                legacy_stack_offset,
            })
        }
        (Os::Linux | Os::Windows, None) => None,
        (Os::Linux, Some(_)) => {
            return Err(r.err(
                "thread_start",
                "no [thread_start] section on Linux (clone's child returns on the new stack)",
                "a [thread_start] section",
            ))
        }
        (Os::Windows, Some(_)) => {
            return Err(r.err(
                "thread_start",
                "no [thread_start] section on Windows (CreateThread starts its threads)",
                "a [thread_start] section",
            ))
        }
    };

    let init = r.table(root, "initializer")?;
    let section = r.string(init, "initializer", "section")?;
    let map = r.register_map(arch, init, "initializer", None)?;
    for (i, a) in map.args.iter().enumerate() {
        // Windows: a TLS callback's (module, reason, reserved) (winnt.h PIMAGE_TLS_CALLBACK).
        let known = [
            "argc",
            "argv",
            "envp",
            "apple",
            "program_vars",
            "module",
            "reason",
            "reserved",
        ];
        if !known.contains(&a.as_str()) {
            return Err(r.err(
                &format!("initializer.args[{i}]"),
                &format!("one of {}", quoted(&known)),
                format!("\"{a}\""),
            ));
        }
    }
    // Where argv comes from when the loader passes none: the process's initial stack found
    // through /proc/self (Linux), or GetCommandLineW parsed by rt0 (Windows).
    let fallback = if os == Os::Windows {
        "command-line"
    } else {
        "proc-self"
    };
    let args_fallback = match init.get("args_fallback") {
        None => None,
        Some(_) => Some(r.choice(init, "initializer", "args_fallback", &[fallback])?),
    };
    if !map.args.iter().any(|a| a == "argv") && args_fallback.is_none() {
        return Err(r.err(
            "initializer.args_fallback",
            &format!("\"{fallback}\" when the loader passes no argv"),
            "nothing",
        ));
    }
    let initializer = Initializer {
        section,
        map,
        args_fallback,
    };

    let st = r.table(root, "stack")?;
    let stack = StackFacts {
        alignment: r.power_of_two(st, "stack", "alignment")?,
        red_zone: r.uint(st, "stack", "red_zone")?,
        page_size: r.power_of_two(st, "stack", "page_size")?,
        guard_size: r.power_of_two(st, "stack", "guard_size")?,
    };
    if stack.guard_size < stack.page_size {
        return Err(r.err(
            "stack.guard_size",
            &format!("at least stack.page_size ({})", stack.page_size),
            stack.guard_size.to_string(),
        ));
    }

    let k = r.table(root, "constants")?;
    let mut constants = Vec::new();
    for (key, v) in k {
        let value = match v {
            toml::Value::Integer(i) if *i >= 0 => Constant::Int(*i as u64),
            toml::Value::Array(a) => {
                let mut list = Vec::new();
                for (i, item) in a.iter().enumerate() {
                    match item {
                        toml::Value::Integer(x) if *x >= 0 => list.push(*x as u64),
                        v => {
                            return Err(r.err(
                                &format!("constants.{key}[{i}]"),
                                "a non-negative integer",
                                describe(v),
                            ))
                        }
                    }
                }
                Constant::List(list)
            }
            v => {
                return Err(r.err(
                    &format!("constants.{key}"),
                    "a non-negative integer or a list of them",
                    describe(v),
                ))
            }
        };
        constants.push((key.clone(), value));
    }
    let (common, os_constants) = match os {
        Os::Darwin => (CONSTANTS_COMMON, CONSTANTS_DARWIN),
        Os::Linux => (CONSTANTS_COMMON, CONSTANTS_LINUX),
        Os::Windows => (CONSTANTS_WINDOWS, &[][..]),
    };
    for want in common.iter().chain(os_constants) {
        match constants.iter().find(|(k, _)| k == want) {
            None => {
                r.uint(k, "constants", want)?;
            }
            // The required constants are single numbers (the stubs and Rust use them as one).
            Some((_, Constant::List(l))) => {
                return Err(r.err(
                    &format!("constants.{want}"),
                    "a non-negative integer",
                    format!("a list of {} items", l.len()),
                ))
            }
            Some(_) => {}
        }
    }
    // Signals exist on Linux and darwin only.
    if os != Os::Windows {
        check_signal_constants(&r, &constants)?;
    }

    Ok(Description {
        file: file.to_path_buf(),
        triple,
        arch,
        os,
        object_format,
        verified_by,
        syscall,
        c_abi,
        numbers,
        thread_create,
        thread_start,
        thread_exit_args,
        initializer,
        stack,
        constants,
    })
}
