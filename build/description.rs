//! The register-convention description (`arch/<triple>/abi.toml`): its schema, a strict parser,
//! and the target registry (`arch/targets.toml`).
//!
//! One file serves three users: `build.rs` (which turns a description into Rust constants and an
//! assembler include), `rt0-port describe/check`, and the parser's property test. Every error names
//! the file, the field and what was expected, and no input makes the parser panic.

#![allow(dead_code)] // each user reads a different part

use std::fmt;
use std::path::{Path, PathBuf};

/// A TOML table as the parser gives it (keys sorted).
type Table = toml::value::Table;

/// Why a description (or the registry) was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptionError {
    /// The file that was read.
    pub file: PathBuf,
    /// The field, dotted (`syscall.arg_registers`), or `(file)` for the whole file.
    pub field: String,
    /// What a valid value looks like.
    pub expected: String,
    /// What was there instead.
    pub found: String,
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field `{}`: expected {}, found {}",
            self.file.display(),
            self.field,
            self.expected,
            self.found
        )
    }
}

impl std::error::Error for DescriptionError {}

/// Which way a syscall reports failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorConvention {
    /// darwin: carry flag set, positive errno in the first return register.
    Carry,
    /// Linux: a return value in -4095..=-1 is -errno.
    Negative,
}

impl ErrorConvention {
    /// The description's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorConvention::Carry => "carry",
            ErrorConvention::Negative => "negative",
        }
    }
}

/// The operating-system family a description is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// XNU (macOS).
    Darwin,
    /// Linux.
    Linux,
    /// Windows (NT): no stable system-call interface, rt0 calls kernel32 (`[syscall] kind =
    /// "none"`, no `[numbers]`, `[thread_create]` or `[thread_exit]`).
    Windows,
}

impl Os {
    /// The description's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Darwin => "darwin",
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }

    /// The object format every image of this OS uses.
    pub fn object_format(self) -> &'static str {
        match self {
            Os::Darwin => "macho",
            Os::Linux => "elf",
            Os::Windows => "coff",
        }
    }
}

/// `[syscall] kind`: whether rt0 makes system calls itself on this OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallKind {
    /// A trap instruction with the registers `[syscall]` names (Linux, darwin; the default
    /// when `kind` is absent).
    Trap,
    /// None at all (`kind = "none"`, Windows: the system-call numbers change with every build
    /// of the kernel; rt0 calls kernel32). The description then has no syscall registers, no
    /// `[numbers]`, no `[thread_create]` and no `[thread_exit]`, and the port no syscall.S.
    None,
}

impl SyscallKind {
    /// The description's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SyscallKind::Trap => "trap",
            SyscallKind::None => "none",
        }
    }
}

/// The instruction-set architecture a description is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86-64 (AT&T register names, `%` in assembly).
    X86_64,
    /// AArch64.
    Aarch64,
    /// RISC-V 64-bit (ABI register names: `a0`, `s0`, `sp`, ...).
    Riscv64,
}

impl Arch {
    /// The description's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// Whether `name` is a general-purpose register (or the stack pointer) of this architecture.
    pub fn is_register(self, name: &str) -> bool {
        match self {
            Arch::X86_64 => matches!(
                name,
                "rax"
                    | "rbx"
                    | "rcx"
                    | "rdx"
                    | "rsi"
                    | "rdi"
                    | "rbp"
                    | "rsp"
                    | "r8"
                    | "r9"
                    | "r10"
                    | "r11"
                    | "r12"
                    | "r13"
                    | "r14"
                    | "r15"
            ),
            Arch::Aarch64 => {
                matches!(name, "sp" | "lr" | "fp")
                    || name.strip_prefix('x').is_some_and(|n| {
                        n.parse::<u8>().is_ok_and(|v| v <= 30 && v.to_string() == n)
                    })
            }
            // The psABI's names (zero ra sp gp tp t0-t6 s0-s11 a0-a7, fp = s0) or x0..x31.
            Arch::Riscv64 => {
                let numbered = |prefix: char, max: u8| {
                    name.strip_prefix(prefix).is_some_and(|n| {
                        n.parse::<u8>()
                            .is_ok_and(|v| v <= max && v.to_string() == n)
                    })
                };
                matches!(name, "zero" | "ra" | "sp" | "gp" | "tp" | "fp")
                    || numbered('x', 31)
                    || numbered('t', 6)
                    || numbered('s', 11)
                    || numbered('a', 7)
            }
        }
    }

    /// The 32-bit view of a register in assembly (`%edi`, `%r8d`, `w0`), where it has one.
    pub fn asm_register32(self, name: &str) -> Option<String> {
        match self {
            Arch::X86_64 => {
                let low = match name {
                    "rax" | "rbx" | "rcx" | "rdx" | "rsi" | "rdi" | "rbp" | "rsp" => {
                        format!("e{}", &name[1..])
                    }
                    _ if name.starts_with('r') => format!("{name}d"),
                    _ => return None,
                };
                Some(format!("%{low}"))
            }
            Arch::Aarch64 => name.strip_prefix('x').map(|n| format!("w{n}")),
            // No 32-bit register views: the stubs use `li` and full registers.
            Arch::Riscv64 => None,
        }
    }

    /// Whether `name` is a vector register a calling convention may make callee-saved
    /// (`[c_abi] callee_saved_vector`: x86_64 `xmm0`..`xmm15`, aarch64 `v0`..`v31`, riscv64
    /// `fs0`..`fs11`).
    pub fn is_vector_register(self, name: &str) -> bool {
        let numbered = |prefix: &str, max: u8| {
            name.strip_prefix(prefix).is_some_and(|n| {
                n.parse::<u8>()
                    .is_ok_and(|v| v <= max && v.to_string() == n)
            })
        };
        match self {
            Arch::X86_64 => numbered("xmm", 15),
            Arch::Aarch64 => numbered("v", 31),
            Arch::Riscv64 => numbered("fs", 11),
        }
    }

    /// How a register is written in this architecture's assembly (`%rdi`, `x0`).
    pub fn asm_register(self, name: &str) -> String {
        match self {
            Arch::X86_64 => format!("%{name}"),
            Arch::Aarch64 | Arch::Riscv64 => name.to_string(),
        }
    }
}

/// A list of argument names and the register each travels in, index for index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterMap {
    /// Argument names, in the callee's order.
    pub args: Vec<String>,
    /// The register carrying `args[i]`.
    pub registers: Vec<String>,
}

impl RegisterMap {
    /// The register carrying the argument `name`, if the map has it.
    pub fn register_of(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .position(|a| a == name)
            .map(|i| self.registers[i].as_str())
    }
}

/// `[syscall]`: how a system call is made. Where `kind = "none"` (Windows) every field is empty
/// and [`Description::syscall_kind`] says so: users check it before reading these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syscall {
    /// The trapping instruction (`syscall`, `svc #0x80`, `svc #0`).
    pub instruction: String,
    /// The register holding the call number.
    pub number_register: String,
    /// Added to every number (darwin's class prefix); 0 where none.
    pub number_prefix: u64,
    /// Argument registers, first argument first.
    pub arg_registers: Vec<String>,
    /// How failure is reported.
    pub error: ErrorConvention,
    /// Registers carrying results.
    pub return_registers: Vec<String>,
    /// Registers the kernel destroys.
    pub clobbers: Vec<String>,
}

/// `[c_abi]`: the C calling convention the stubs are called with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CAbi {
    /// Integer argument registers.
    pub arg_registers: Vec<String>,
    /// Integer return register.
    pub return_register: String,
    /// Registers a callee must preserve.
    pub callee_saved: Vec<String>,
    /// Bytes the caller reserves on the stack, just above the return address, for the callee to
    /// spill its register arguments (Windows x64: 32, the "shadow space" or "home area"; 0 in the
    /// System V and AAPCS64 conventions). Stack arguments start above it.
    pub shadow_space: u64,
    /// Vector registers a callee must preserve (Windows x64: xmm6..xmm15; none in System V).
    pub callee_saved_vector: Vec<String>,
}

/// `[thread_create]`: the raw thread-create call (empty where `[syscall] kind = "none"`: such an
/// OS has no raw thread creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadCreate {
    /// Argument names and registers.
    pub map: RegisterMap,
    /// The flags word rt0 passes.
    pub flags: u64,
}

/// `[thread_start]`: how the kernel enters a new thread (darwin's registered start routine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStart {
    /// Argument names and registers.
    pub map: RegisterMap,
    /// The stack-pointer register.
    pub stack_pointer: String,
    /// Where older kernels left the stack pointer relative to the stack argument.
    pub legacy_stack_offset: i64,
}

/// `[initializer]`: how the loader calls an initializer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initializer {
    /// The section the entry is registered in.
    pub section: String,
    /// Argument names and registers (empty for a loader that passes nothing).
    pub map: RegisterMap,
    /// How argc/argv/envp are found when the loader passes nothing.
    pub args_fallback: Option<String>,
}

/// `[stack]`: stack facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackFacts {
    /// Required alignment at a call.
    pub alignment: u64,
    /// Bytes below the stack pointer a leaf may use.
    pub red_zone: u64,
    /// The (largest) page size: stack sizes and guards are rounded to it.
    pub page_size: u64,
    /// The PROT_NONE guard under every raw stack.
    pub guard_size: u64,
}

/// A `[constants]` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constant {
    /// An integer.
    Int(u64),
    /// A list of integers.
    List(Vec<u64>),
}

/// A parsed, validated register-convention description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The file it came from.
    pub file: PathBuf,
    /// The triple the folder is named after.
    pub triple: String,
    /// Architecture.
    pub arch: Arch,
    /// Operating system.
    pub os: Os,
    /// `macho` or `elf`.
    pub object_format: String,
    /// How the port is verified here (`native`, `qemu-user`, `emulated-xnu`, `not-yet`).
    pub verified_by: String,
    /// `[syscall] kind`: [`SyscallKind::None`] where the OS has no stable system-call interface
    /// (Windows); `syscall`, `numbers`, `thread_create` and `thread_exit_args` are then empty.
    pub syscall_kind: SyscallKind,
    /// `[syscall]`.
    pub syscall: Syscall,
    /// `[c_abi]`.
    pub c_abi: CAbi,
    /// `[numbers]`, in file order, without the prefix.
    pub numbers: Vec<(String, u64)>,
    /// `[thread_create]`.
    pub thread_create: ThreadCreate,
    /// `[thread_start]` (darwin only).
    pub thread_start: Option<ThreadStart>,
    /// `[thread_exit]` argument names.
    pub thread_exit_args: Vec<String>,
    /// `[initializer]`.
    pub initializer: Initializer,
    /// `[stack]`.
    pub stack: StackFacts,
    /// `[constants]`, in file order.
    pub constants: Vec<(String, Constant)>,
}

impl Description {
    /// A syscall number without the class prefix.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.numbers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// An integer constant.
    pub fn constant(&self, name: &str) -> Option<u64> {
        self.constants.iter().find_map(|(n, v)| match v {
            Constant::Int(i) if n == name => Some(*i),
            _ => None,
        })
    }
}

/// Syscall numbers every description with system calls (Linux, darwin) must give, and the ones
/// each OS adds. A Windows description has none (`[syscall] kind = "none"`).
pub const NUMBERS_COMMON: &[&str] = &[
    "exit",
    "write",
    "mmap",
    "munmap",
    "mprotect",
    "thread_sigmask",
    "thread_id",
    "thread_create",
    "getpid",
];
/// Linux additions.
/// (`openat`, `read`, `close`: musl's argument recovery reads `/proc/self`, src/procself.rs.)
pub const NUMBERS_LINUX: &[&str] = &[
    "exit_group",
    "futex",
    "nanosleep",
    "openat",
    "read",
    "close",
    "clock_gettime",
    "getresuid",
    "getresgid",
    "capget",
];
/// darwin additions.
pub const NUMBERS_DARWIN: &[&str] = &[
    "process_sigmask",
    "thread_terminate",
    "thread_register",
    "wait_on_address",
    "wake_address",
];
/// Constants every Linux and darwin description must give (Windows: [`CONSTANTS_WINDOWS`]).
pub const CONSTANTS_COMMON: &[&str] = &[
    "prot_none",
    "prot_read",
    "prot_write",
    "map_private",
    "map_anonymous",
    "sig_block",
    "sig_setmask",
    "sigset_bytes",
    "einval",
    "enomem",
    "eagain",
    "etimedout",
    "eintr",
    "eperm",
];
/// Linux additions.
pub const CONSTANTS_LINUX: &[&str] = &[
    "futex_wait_private",
    "futex_wake_private",
    "o_rdonly",
    "o_cloexec",
    "clock_monotonic",
    "capability_version",
    "cap_setgid",
    "cap_setuid",
    "lazy_binding_hazard",
];
/// darwin additions.
pub const CONSTANTS_DARWIN: &[&str] =
    &["ulock_compare_and_wait", "ulock_wake_all", "ulock_no_errno"];
/// Constants a Windows description gives: the C runtime's errno values rt0's `Errno` names
/// (ucrt/msvcrt `errno.h`), the TLS callback's reasons (winnt.h), `GetModuleHandleExW`'s flags
/// (libloaderapi.h), and the x64 offsets of the loader lock's owner (TEB, PEB, critical section).
pub const CONSTANTS_WINDOWS: &[&str] = &[
    "einval",
    "enomem",
    "eagain",
    "etimedout",
    "eintr",
    "eperm",
    "dll_process_detach",
    "dll_process_attach",
    "get_module_handle_ex_flag_from_address",
    "get_module_handle_ex_flag_unchanged_refcount",
    "teb_self_offset",
    "teb_peb_offset",
    "peb_loader_lock_offset",
    "critical_section_owning_thread_offset",
];
/// Thread-create argument names per OS.
pub const THREAD_CREATE_ARGS_DARWIN: &[&str] = &["func", "arg", "stack", "pthread", "flags"];
/// Linux's clone arguments (the order is the architecture's, the names are fixed).
pub const THREAD_CREATE_ARGS_LINUX: &[&str] = &["flags", "stack", "ptid", "ctid", "tls"];
/// darwin's thread-start register names.
pub const THREAD_START_ARGS_DARWIN: &[&str] =
    &["pthread", "kport", "func", "arg", "stack", "flags"];

struct Reader<'a> {
    file: &'a Path,
}

impl<'a> Reader<'a> {
    fn err(&self, field: &str, expected: &str, found: impl Into<String>) -> DescriptionError {
        DescriptionError {
            file: self.file.to_path_buf(),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.into(),
        }
    }

    fn table<'t>(&self, root: &'t Table, name: &str) -> Result<&'t Table, DescriptionError> {
        match root.get(name) {
            Some(toml::Value::Table(t)) => Ok(t),
            Some(v) => Err(self.err(name, "a table", describe(v))),
            None => Err(self.err(name, "a table", "nothing (the section is missing)")),
        }
    }

    fn get<'t>(
        &self,
        t: &'t Table,
        sect: &str,
        key: &str,
        expected: &str,
    ) -> Result<&'t toml::Value, DescriptionError> {
        t.get(key).ok_or_else(|| {
            self.err(
                &format!("{sect}.{key}"),
                expected,
                "nothing (the key is missing)",
            )
        })
    }

    fn string(&self, t: &Table, sect: &str, key: &str) -> Result<String, DescriptionError> {
        let exp = "a non-empty string";
        match self.get(t, sect, key, exp)? {
            toml::Value::String(s) if !s.trim().is_empty() && !is_todo(s) => Ok(s.clone()),
            v @ toml::Value::String(t) if is_todo(t) => Err(self.err(
                &format!("{sect}.{key}"),
                "a non-empty string answering the TODO",
                describe(v),
            )),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    fn choice(
        &self,
        t: &Table,
        sect: &str,
        key: &str,
        options: &[&str],
    ) -> Result<String, DescriptionError> {
        let exp = format!("one of {}", quoted(options));
        match self.get(t, sect, key, &exp)? {
            toml::Value::String(s) if options.contains(&s.as_str()) => Ok(s.clone()),
            v => Err(self.err(&format!("{sect}.{key}"), &exp, describe(v))),
        }
    }

    fn uint(&self, t: &Table, sect: &str, key: &str) -> Result<u64, DescriptionError> {
        let exp = "a non-negative integer";
        match self.get(t, sect, key, exp)? {
            toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    fn int(&self, t: &Table, sect: &str, key: &str) -> Result<i64, DescriptionError> {
        let exp = "an integer";
        match self.get(t, sect, key, exp)? {
            toml::Value::Integer(i) => Ok(*i),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    fn power_of_two(&self, t: &Table, sect: &str, key: &str) -> Result<u64, DescriptionError> {
        let v = self.uint(t, sect, key)?;
        if v == 0 || !v.is_power_of_two() {
            return Err(self.err(&format!("{sect}.{key}"), "a power of two", v.to_string()));
        }
        Ok(v)
    }

    fn strings(&self, t: &Table, sect: &str, key: &str) -> Result<Vec<String>, DescriptionError> {
        let exp = "a list of strings";
        match self.get(t, sect, key, exp)? {
            toml::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    toml::Value::String(s) if !s.trim().is_empty() && !is_todo(s) => Ok(s.clone()),
                    v => Err(self.err(
                        &format!("{sect}.{key}[{i}]"),
                        "a non-empty string",
                        describe(v),
                    )),
                })
                .collect(),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    fn register(&self, arch: Arch, field: &str, name: &str) -> Result<(), DescriptionError> {
        if arch.is_register(name) {
            Ok(())
        } else {
            Err(self.err(
                field,
                &format!("a lower-case {} register name without `%`", arch.as_str()),
                format!("\"{name}\""),
            ))
        }
    }

    fn registers(
        &self,
        arch: Arch,
        t: &Table,
        sect: &str,
        key: &str,
    ) -> Result<Vec<String>, DescriptionError> {
        let regs = self.strings(t, sect, key)?;
        for (i, r) in regs.iter().enumerate() {
            self.register(arch, &format!("{sect}.{key}[{i}]"), r)?;
        }
        for (i, r) in regs.iter().enumerate() {
            if regs[..i].contains(r) {
                return Err(self.err(
                    &format!("{sect}.{key}[{i}]"),
                    "a register not already in the list",
                    format!("\"{r}\" a second time"),
                ));
            }
        }
        Ok(regs)
    }

    /// `[c_abi] callee_saved_vector`: vector registers of `arch`, each once.
    fn vector_registers(&self, arch: Arch, c: &Table) -> Result<Vec<String>, DescriptionError> {
        let regs = self.strings(c, "c_abi", "callee_saved_vector")?;
        for (i, reg) in regs.iter().enumerate() {
            if !arch.is_vector_register(reg) || regs[..i].contains(reg) {
                return Err(self.err(
                    &format!("c_abi.callee_saved_vector[{i}]"),
                    &format!(
                        "a lower-case {} vector register name without `%`, not already in the list",
                        arch.as_str()
                    ),
                    format!("\"{reg}\""),
                ));
            }
        }
        Ok(regs)
    }

    /// `args` + `registers` of equal length; `names` (if given) are the exact argument names.
    fn register_map(
        &self,
        arch: Arch,
        t: &Table,
        sect: &str,
        names: Option<&[&str]>,
    ) -> Result<RegisterMap, DescriptionError> {
        let args = self.strings(t, sect, "args")?;
        if let Some(names) = names {
            let mut sorted_have: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut sorted_want: Vec<&str> = names.to_vec();
            sorted_have.sort_unstable();
            sorted_want.sort_unstable();
            if sorted_have != sorted_want {
                return Err(self.err(
                    &format!("{sect}.args"),
                    &format!("exactly the names {} in the kernel's order", quoted(names)),
                    format!("{args:?}"),
                ));
            }
        }
        let registers = self.registers(arch, t, sect, "registers")?;
        if registers.len() != args.len() {
            return Err(self.err(
                &format!("{sect}.registers"),
                &format!("one register per entry of {sect}.args ({})", args.len()),
                format!("{} registers", registers.len()),
            ));
        }
        Ok(RegisterMap { args, registers })
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An unanswered fact of a scaffold (`rt0-port new` writes them as "TODO: <question> (<source>)"):
/// never a value, even where any string would do.
fn is_todo(s: &str) -> bool {
    s.trim_start().starts_with("TODO")
}

fn describe(v: &toml::Value) -> String {
    match v {
        // `rt0-port new` writes every fact still to find as a "TODO: <question> (<source>)" string.
        toml::Value::String(s) if is_todo(s) => format!("an unanswered \"{s}\""),
        toml::Value::String(s) => format!("the string \"{s}\""),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the float {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the datetime {d}"),
        toml::Value::Array(a) => format!("a list of {} items", a.len()),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

/// Parses and validates the description `text` read from `file`.
pub fn parse(file: &Path, text: &str) -> Result<Description, DescriptionError> {
    let root = parse_toml(file, text)?;
    validate(file, &root)
}

/// Parses `base` (a folder's `abi.toml`) with `overlay` (a registry entry's `description` file in
/// the same folder) laid over it, then validates the result. Tables merge key by key, any other
/// value in the overlay replaces the base's: an overlay names only what differs (musl's
/// `[initializer]`), so no number is written twice. Errors name the overlay file.
pub fn parse_with_overlay(
    base_file: &Path,
    base_text: &str,
    overlay_file: &Path,
    overlay_text: &str,
) -> Result<Description, DescriptionError> {
    let mut root = parse_toml(base_file, base_text)?;
    let overlay = parse_toml(overlay_file, overlay_text)?;
    merge(&mut root, overlay);
    validate(overlay_file, &root)
}

fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => merge(mine, theirs),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

fn parse_toml(file: &Path, text: &str) -> Result<Table, DescriptionError> {
    toml::from_str::<Table>(text)
        .map_err(|e| Reader { file }.err("(file)", "valid TOML", syntax_error(&e)))
}

/// "a TOML syntax error at line L: <what>", as the parser reports it.
fn syntax_error(e: &toml::de::Error) -> String {
    let text = e.to_string();
    // toml ends its message with " at line L column C" (1-based) when it knows where.
    match (e.line_col(), text.rfind(" at line ")) {
        (Some((line, _)), Some(at)) => {
            format!("a TOML syntax error at line {}: {}", line + 1, &text[..at])
        }
        _ => format!("a TOML syntax error: {text}"),
    }
}

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

fn validate(file: &Path, root: &Table) -> Result<Description, DescriptionError> {
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
        syscall_kind,
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

/// One line of `arch/targets.toml`: a Rust target triple and the `arch/` folder that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The Rust target triple.
    pub triple: String,
    /// The folder under `arch/` holding its stubs and description.
    pub folder: String,
    /// An overlay file in that folder laid over its `abi.toml` (see [`parse_with_overlay`]):
    /// how two targets share stubs while their descriptions differ (glibc and musl).
    pub description: Option<String>,
}

fn plain_name(s: &str) -> bool {
    !s.is_empty() && !s.contains("..") && !s.contains('/') && !s.contains('\\')
}

/// Parses the registry `arch/targets.toml`: one line per triple, either
/// `"<triple>" = "<folder>"` or `"<triple>" = { folder = "<folder>", description = "<file>" }`.
pub fn parse_registry(file: &Path, text: &str) -> Result<Vec<Registration>, DescriptionError> {
    let r = Reader { file };
    let root: Table =
        toml::from_str(text).map_err(|e| r.err("(file)", "valid TOML", syntax_error(&e)))?;
    let t = r.table(&root, "targets")?;
    let mut out = Vec::new();
    for (triple, v) in t {
        let field = format!("targets.\"{triple}\"");
        let expected = "the name of a folder under arch/, or { folder = \"<folder>\", description = \"<file in it>\" }";
        let (folder, description) = match v {
            toml::Value::String(folder) if plain_name(folder) => (folder.clone(), None),
            toml::Value::Table(entry) => {
                if let Some(k) = entry.keys().find(|k| *k != "folder" && *k != "description") {
                    return Err(r.err(
                        &format!("{field}.{k}"),
                        "only the keys folder and description",
                        format!("the key {k}"),
                    ));
                }
                let folder = match entry.get("folder") {
                    Some(toml::Value::String(f)) if plain_name(f) => f.clone(),
                    Some(v) => {
                        return Err(r.err(
                            &format!("{field}.folder"),
                            "the name of a folder under arch/",
                            describe(v),
                        ))
                    }
                    None => {
                        return Err(r.err(
                            &format!("{field}.folder"),
                            "the name of a folder under arch/",
                            "nothing (the key is missing)",
                        ))
                    }
                };
                let description = match entry.get("description") {
                    None => None,
                    Some(toml::Value::String(d)) if plain_name(d) => Some(d.clone()),
                    Some(v) => {
                        return Err(r.err(
                            &format!("{field}.description"),
                            "a file name inside the folder",
                            describe(v),
                        ))
                    }
                };
                (folder, description)
            }
            v => return Err(r.err(&field, expected, describe(v))),
        };
        out.push(Registration {
            triple: triple.clone(),
            folder,
            description,
        });
    }
    Ok(out)
}
