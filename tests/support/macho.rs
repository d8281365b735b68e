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

/// Links `tests/hosts/darwin_lib.c` (a host library that calls one export) with the demo's
/// archive into a dylib the ordinary way: no `-force_load`, no `-read_only_relocs`, through
/// `tools/darwin-sdk/bin/darwin-cc` (ld64.lld here). Then checks what that must give: the one
/// export pulled rt0's entry in, an initializer record points at it, and no rebase lands in
/// `__TEXT` (no text relocations). `arch` is clang's name (`x86_64`, `arm64`). Returns the
/// dylib's path for target-specific checks.
pub fn link_host_dylib_and_check_entry(demo: &Demo, arch: &str, label: &str) -> PathBuf {
    let root = super::root();
    let out = demo.dir.join("libhost_calls_demo.dylib");
    let st = Command::new(root.join("tools/darwin-sdk/bin/darwin-cc"))
        .arg(format!("--target={arch}-apple-darwin"))
        .args([
            "-arch",
            arch,
            "-mmacosx-version-min=11.0",
            "-dynamiclib",
            "-o",
        ])
        .arg(&out)
        .arg("-I")
        .arg(root.join("examples/demo/include"))
        .arg(root.join("tests/hosts/darwin_lib.c"))
        .arg(demo.staticlib())
        .arg("-lSystem")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{label}: link failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let o = out.to_str().unwrap();
    // The entry was pulled in by the one export, and dyld will call it.
    let nm = tool("llvm-nm", &[o]);
    let entry = nm
        .lines()
        .find(|l| l.ends_with(" _rt0_lib_entry"))
        .unwrap_or_else(|| panic!("{label}: entry not linked:\n{nm}"));
    let entry_addr = u64::from_str_radix(entry.split_whitespace().next().unwrap(), 16).unwrap();
    let sections = tool("llvm-objdump", &["--macho", "--section-headers", o]);
    assert!(
        sections.contains("__mod_init_func"),
        "{label}: no initializer section:\n{sections}"
    );
    let contents = tool(
        "llvm-objdump",
        &[
            "--macho",
            "-s",
            "--section=__DATA,__mod_init_func",
            "--section=__DATA_CONST,__mod_init_func",
            o,
        ],
    );
    // Each line is `<slot address> <pointer value> [symbol]`: one pointer must be the entry's.
    let points_at_entry = contents.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.len() >= 2
            && words[0].starts_with("0x")
            && u64::from_str_radix(words[1].trim_start_matches("0x"), 16).ok() == Some(entry_addr)
    });
    assert!(
        points_at_entry,
        "{label}: initializer does not point at _rt0_lib_entry ({entry_addr:#x}):\n{contents}"
    );
    // No text relocations: every rebase is in a writable data segment.
    let rebase = tool("llvm-objdump", &["--macho", "--rebase", o]);
    for line in rebase.lines().skip(1) {
        assert!(
            !line.starts_with("__TEXT"),
            "{label}: text relocation: {line}"
        );
    }
    out
}
