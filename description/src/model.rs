//! The model: what a valid description says, section by section (`[target]`, `[syscall]`,
//! `[c_abi]`, `[numbers]`, `[thread_create]`, `[thread_start]`, `[thread_exit]`, `[initializer]`,
//! `[stack]`, `[constants]`).
//!
//! With the `serde` feature every type derives `Serialize`. The shape is the one
//! `rt0-port describe --json` has always printed, which scripts and its tests read: the sections
//! `[thread_create]`, `[thread_start]` and `[initializer]` lie flat in the description with their
//! section's name as a prefix (`thread_create_flags`, `initializer_section`), a register map is an
//! object from argument name to register, and `[numbers]` and `[constants]` are objects.

use std::path::PathBuf;

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

use crate::arch::Arch;

/// Which way a syscall reports failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize), serde(rename_all = "lowercase"))]
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
#[cfg_attr(feature = "serde", derive(Serialize), serde(rename_all = "lowercase"))]
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
#[cfg_attr(feature = "serde", derive(Serialize), serde(rename_all = "lowercase"))]
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

/// A list of argument names and the register each travels in, index for index.
///
/// Serialized as an object from argument name to register, in the callee's order.
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

#[cfg(feature = "serde")]
impl Serialize for RegisterMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.args.iter().zip(&self.registers))
    }
}

/// `[numbers]` and `[constants]` as objects, keeping the model's order.
#[cfg(feature = "serde")]
fn as_object<V: Serialize, S: Serializer>(pairs: &[(String, V)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// `[syscall]`: how a system call is made. Where `kind = "none"` (Windows) every other field is
/// empty: users check [`Syscall::kind`] before reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Syscall {
    /// `kind`: [`SyscallKind::None`] where the OS has no stable system-call interface (Windows);
    /// the other fields, and the description's `numbers`, `thread_create` and
    /// `thread_exit_args`, are then empty.
    pub kind: SyscallKind,
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
#[cfg_attr(feature = "serde", derive(Serialize))]
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
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ThreadCreate {
    /// Argument names and registers.
    #[cfg_attr(feature = "serde", serde(rename = "thread_create"))]
    pub map: RegisterMap,
    /// The flags word rt0 passes.
    #[cfg_attr(feature = "serde", serde(rename = "thread_create_flags"))]
    pub flags: u64,
}

/// `[thread_start]`: how the kernel enters a new thread (darwin's registered start routine).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ThreadStart {
    /// Argument names and registers.
    #[cfg_attr(feature = "serde", serde(rename = "thread_start"))]
    pub map: RegisterMap,
    /// The stack-pointer register.
    #[cfg_attr(feature = "serde", serde(rename = "thread_start_stack_pointer"))]
    pub stack_pointer: String,
    /// Where older kernels left the stack pointer relative to the stack argument.
    #[cfg_attr(feature = "serde", serde(rename = "thread_start_legacy_stack_offset"))]
    pub legacy_stack_offset: i64,
}

/// `[initializer]`: how the loader calls an initializer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Initializer {
    /// The section the entry is registered in.
    #[cfg_attr(feature = "serde", serde(rename = "initializer_section"))]
    pub section: String,
    /// Argument names and registers (empty for a loader that passes nothing).
    #[cfg_attr(feature = "serde", serde(rename = "initializer_registers"))]
    pub map: RegisterMap,
    /// How argc/argv/envp are found when the loader passes nothing.
    #[cfg_attr(feature = "serde", serde(rename = "initializer_args_fallback"))]
    pub args_fallback: Option<String>,
}

/// `[stack]`: stack facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
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
#[cfg_attr(feature = "serde", derive(Serialize), serde(untagged))]
pub enum Constant {
    /// An integer.
    Int(u64),
    /// A list of integers.
    List(Vec<u64>),
}

/// A parsed, validated register-convention description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Description {
    /// The file it came from (the overlay, for a description laid over another).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub file: PathBuf,
    /// The triple the folder is named after.
    #[cfg_attr(feature = "serde", serde(rename = "target"))]
    pub triple: String,
    /// Architecture.
    pub arch: Arch,
    /// Operating system.
    pub os: Os,
    /// `macho`, `elf` or `coff`.
    pub object_format: String,
    /// How the port is verified here (`native`, `qemu-user`, `emulated-xnu`, `wine`, `not-yet`).
    pub verified_by: String,
    /// `[syscall]`.
    pub syscall: Syscall,
    /// `[c_abi]`.
    pub c_abi: CAbi,
    /// `[numbers]`, sorted by name (the TOML reader keeps no file order), without the prefix.
    #[cfg_attr(feature = "serde", serde(serialize_with = "as_object"))]
    pub numbers: Vec<(String, u64)>,
    /// `[thread_create]`.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub thread_create: ThreadCreate,
    /// `[thread_start]` (darwin only).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub thread_start: Option<ThreadStart>,
    /// `[thread_exit]` argument names.
    pub thread_exit_args: Vec<String>,
    /// `[initializer]`.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub initializer: Initializer,
    /// `[stack]`.
    pub stack: StackFacts,
    /// `[constants]`, sorted by name.
    #[cfg_attr(feature = "serde", serde(serialize_with = "as_object"))]
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
