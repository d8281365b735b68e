//! The built archive: the member that defines a stub, and its object format and architecture.

use rt0_inspect::{is_stub_symbol, Archive, Format, Object};

use super::step::{step, Step, Verdict};
use crate::description::{Arch, Description};

/// The symbol name an object file uses for the C name `name`.
pub fn sym(d: &Description, name: &str) -> String {
    if d.object_format == "macho" {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// The archive member that defines the stub symbol `symbol` (with or without its hash), read.
pub fn member_defining(archive: &Archive, symbol: &str) -> Result<(String, Object), String> {
    archive
        .object_defining(|s| is_stub_symbol(s, symbol))
        .map(|(name, o)| (name.to_string(), o))
        .ok_or_else(|| format!("no member of {} defines {symbol}", archive.path.display()))
}

/// The defined stub symbol `name` (with its hash suffix) of `obj`.
pub fn stub_symbol<'o>(obj: &'o Object, name: &str) -> Option<&'o rt0_inspect::Symbol> {
    obj.defined_symbols()
        .find(|s| is_stub_symbol(&s.name, name))
}

/// The entry object's format and architecture are the description's.
pub fn object_format(d: &Description, member: &str, obj: &Object) -> Step {
    let want_format = match d.object_format.as_str() {
        "macho" => Format::MachO,
        _ => Format::Elf,
    };
    let want_arch = match d.arch {
        Arch::X86_64 => rt0_inspect::Arch::X86_64,
        Arch::Aarch64 => rt0_inspect::Arch::Aarch64,
        Arch::Riscv64 => rt0_inspect::Arch::Riscv64,
    };
    let found = format!("{} {}", obj.format.as_str(), obj.arch.as_str());
    if obj.format == want_format && obj.arch == want_arch {
        step("object format", Verdict::Pass, format!("{member}: {found}"))
    } else {
        step(
            "object format",
            Verdict::Fail,
            format!(
                "{member}: {found}, the description says {} {}",
                d.object_format,
                d.arch.as_str()
            ),
        )
    }
}
