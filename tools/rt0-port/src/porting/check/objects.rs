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

/// Extracts the archive member defining `symbol` into `dir`; returns its path.
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
        .find(|l| l.split_whitespace().last() == Some(symbol) && !l.contains(" U "))
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
