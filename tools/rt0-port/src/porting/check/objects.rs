//! Reading the built archive: the member that defines a symbol, and its object format and
//! architecture as LLVM's tools see them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::step::{step, Step, Verdict};
use crate::description::{Arch, Description};
use crate::porting::toolchain::run_cmd;

/// The symbol name an object file uses for the C name `name`.
pub fn sym(d: &Description, name: &str) -> String {
    if d.object_format == "macho" {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// Whether `found` names the stub symbol `name`: `name` itself, or `name_<hex>` (rt0 suffixes
/// its stub symbols with a hash of their code, so that two copies of rt0 in one program share a
/// stub only when it is the same code).
pub fn is_stub_symbol(found: &str, name: &str) -> bool {
    found == name
        || found
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The stub symbol `name` as a disassembly listing spells it (with its hash suffix), if defined.
pub fn stub_symbol_in(listing: &str, name: &str) -> Option<String> {
    listing.lines().find_map(|l| {
        let label = l.trim().strip_suffix(':')?;
        let label = match label.split_once('<') {
            Some((_, inner)) => inner.strip_suffix('>')?,
            None => label,
        };
        is_stub_symbol(label, name).then(|| label.to_string())
    })
}

/// Extracts the archive member defining the stub symbol `symbol` into `dir`; returns its path.
pub fn member_defining(archive: &Path, symbol: &str, dir: &Path) -> Result<PathBuf, String> {
    // LLVM 14's llvm-nm cannot read some members newer rustc writes (bitcode in compiler_builtins)
    // and then exits non-zero: read what it printed for the others.
    let out = Command::new("llvm-nm")
        .args(["-A", "--defined-only"])
        .arg(archive)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run llvm-nm: {e}"))?;
    let nm = String::from_utf8_lossy(&out.stdout);
    let member = nm
        .lines()
        .find(|l| {
            l.split_whitespace()
                .last()
                .is_some_and(|s| is_stub_symbol(s, symbol))
                && !l.contains(" U ")
        })
        .and_then(|l| l.split(':').nth(1))
        .map(str::to_string)
        .ok_or_else(|| format!("no member of {} defines {symbol}", archive.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    run_cmd(
        Command::new("llvm-ar")
            .arg("x")
            .arg(archive)
            .arg(&member)
            .current_dir(dir),
    )?;
    Ok(dir.join(member))
}

/// The entry object's format and architecture are the description's.
pub fn object_format(d: &Description, obj: &Path) -> Step {
    // LLVM 14's `llvm-objdump -f` prints a Mach-O file's format, then fails on its headers.
    let out = match run_cmd(Command::new("llvm-objdump").arg("-f").arg(obj)) {
        Ok(o) | Err(o) => o,
    };
    let fmt = out
        .lines()
        .find_map(|l| l.split("file format ").nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    let fmt_ok = match d.object_format.as_str() {
        "macho" => fmt.starts_with("mach-o"),
        _ => fmt.starts_with("elf64"),
    };
    let arch_ok = match d.arch {
        Arch::X86_64 => fmt.contains("x86-64"),
        Arch::Aarch64 => fmt.contains("aarch64") || fmt.contains("arm64"),
        Arch::Riscv64 => fmt.contains("littleriscv"),
    };
    if fmt_ok && arch_ok {
        step(
            "object format",
            Verdict::Pass,
            format!("{fmt} ({} {})", d.object_format, d.arch.as_str()),
        )
    } else {
        step(
            "object format",
            Verdict::Fail,
            format!(
                "{}: `{fmt}`, the description says {} {}",
                obj.display(),
                d.object_format,
                d.arch.as_str()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_symbols_are_found_with_or_without_their_hash() {
        assert!(is_stub_symbol(
            "_rt0_raw_thread_create",
            "_rt0_raw_thread_create"
        ));
        assert!(is_stub_symbol(
            "_rt0_raw_thread_create_ee1f4edb",
            "_rt0_raw_thread_create"
        ));
        assert!(!is_stub_symbol(
            "_rt0_raw_thread_create_x",
            "_rt0_raw_thread_create"
        ));
        assert!(!is_stub_symbol(
            "_rt0_raw_thread_created",
            "_rt0_raw_thread_create"
        ));
        let macho = "_rt0_raw_thread_start_216487ca:\n  0:\tmov\tsp, x4\n";
        let elf = "0000000000000050 <rt0_raw_thread_start_1a2b>:\n  50:\tmovq\t%r8, %rsp\n";
        assert_eq!(
            stub_symbol_in(macho, "_rt0_raw_thread_start").as_deref(),
            Some("_rt0_raw_thread_start_216487ca")
        );
        assert_eq!(
            stub_symbol_in(elf, "rt0_raw_thread_start").as_deref(),
            Some("rt0_raw_thread_start_1a2b")
        );
        assert_eq!(stub_symbol_in(elf, "rt0_raw_thread_create"), None);
    }
}
