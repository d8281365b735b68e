//! Reading a cross-built Mach-O archive with LLVM's tools: the darwin archive tests
//! (`tests/darwin_archive.rs`, `tests/darwin_arm64_archive.rs`) share these.

use super::Demo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `name args`, failing the test with its stderr when it fails; returns stdout.
pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Unpacks the demo's archive into a folder of its own (tests run in parallel) and returns its
/// object members, sorted.
pub fn members(demo: &Demo) -> Vec<PathBuf> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = demo.dir.join(format!("members-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new("ar")
        .arg("x")
        .arg(demo.staticlib())
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ar x {}: {}",
        demo.staticlib().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    v.sort();
    v
}

/// The object's disassembly, without raw bytes.
pub fn disassembly(obj: &Path) -> String {
    tool(
        "llvm-objdump",
        &["--macho", "-d", "--no-show-raw-insn", obj.to_str().unwrap()],
    )
}

/// The instructions of `function` in a disassembly (`op\toperands`), up to the next label.
pub fn function_body<'a>(dis: &'a str, function: &str) -> Vec<&'a str> {
    let mut lines = dis
        .lines()
        .skip_while(|l| l.trim() != format!("{function}:"));
    lines
        .next()
        .unwrap_or_else(|| panic!("{function} not in the disassembly"));
    lines
        .take_while(|l| !l.trim_end().ends_with(':'))
        .map(|l| l.split_once('\t').map_or(l, |(_, i)| i).trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The archive member that defines `symbol`.
pub fn object_with(members: &[PathBuf], symbol: &str) -> PathBuf {
    members
        .iter()
        .find(|m| {
            tool("llvm-nm", &["--defined-only", m.to_str().unwrap()])
                .lines()
                .any(|l| l.ends_with(&format!(" {symbol}")))
        })
        .unwrap_or_else(|| panic!("no archive member defines {symbol}"))
        .clone()
}

/// What a register holds, symbolically, while a test steps through a stub's instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// The value that arrived in this register (a C argument, or a kernel-set register).
    Arg(&'static str),
    /// A known constant.
    Imm(u64),
    /// Anything else.
    Unknown,
}
