//! The register-convention description of an rt0 port (`arch/<folder>/abi.toml`) and the target
//! registry (`arch/targets.toml`): what they say ([`Description`], [`Registration`]) and a strict
//! reader for them.
//!
//! rt0's build script turns a description into Rust constants and an assembler include;
//! `rt0-port` (describe, check, new, emulate) reads the same descriptions through this crate, so
//! both agree on every fact. Every error names the file, the field and what was expected
//! ([`DescriptionError`]), and no input makes the reader panic.
//!
//! The modules, one concept each:
//! - [`model`]: the types a valid description is made of (and [`arch`]: each architecture's
//!   register names);
//! - [`required`]: the numbers, constants and argument names each OS's description must give;
//! - `reader`: typed access to a parsed TOML table, naming the field and what was expected;
//! - `validation`: a TOML table to a [`Description`], checked against the rules;
//! - `overlay`: a second file laid over a folder's `abi.toml` (musl over glibc's stubs);
//! - `registry`: `arch/targets.toml`, the triple each folder serves.
//!
//! With the `serde` feature the model derives `Serialize` (the shape `rt0-port describe --json`
//! prints).

#![deny(missing_docs)]

pub mod arch;
mod error;
pub mod model;
mod overlay;
mod reader;
mod registry;
pub mod required;
mod validation;

pub use arch::Arch;
pub use error::DescriptionError;
pub use model::{
    CAbi, Constant, Description, ErrorConvention, Initializer, Os, RegisterMap, StackFacts,
    Syscall, SyscallKind, ThreadCreate, ThreadStart,
};
pub use overlay::parse_with_overlay;
pub use registry::{parse_registry, Registration};
pub use required::{
    CONSTANTS_COMMON, CONSTANTS_DARWIN, CONSTANTS_LINUX, CONSTANTS_WINDOWS, NUMBERS_COMMON,
    NUMBERS_DARWIN, NUMBERS_LINUX, THREAD_CREATE_ARGS_DARWIN, THREAD_CREATE_ARGS_LINUX,
    THREAD_START_ARGS_DARWIN,
};

use std::path::Path;

/// Parses and validates the description `text` read from `file`.
pub fn parse(file: &Path, text: &str) -> Result<Description, DescriptionError> {
    let root = reader::parse_toml(file, text)?;
    validation::validate(file, &root)
}
