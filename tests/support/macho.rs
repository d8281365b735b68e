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

/// The instructions of `function` in a disassembly (`op operands`, single-spaced, as
/// `symexec::function_body` gives them), up to the next label.
pub fn function_body(dis: &str, function: &str) -> Vec<String> {
    symexec::function_body(dis, function)
        .unwrap_or_else(|| panic!("{function} not in the disassembly"))
}

/// Whether `found` is rt0's stub symbol `base` with its hash suffix (`_rt0_lib_entry_c8cbb5a5`:
/// build.rs tags every stub symbol with a hash of the stub code and the description).
pub fn is_stub(found: &str, base: &str) -> bool {
    found
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('_'))
        .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The stub symbol `base` (with its hash) as the disassembly labels it.
pub fn stub_symbol(dis: &str, base: &str) -> String {
    dis.lines()
        .filter_map(|l| l.trim().strip_suffix(':'))
        .find(|l| is_stub(l, base))
        .unwrap_or_else(|| panic!("no {base}_<hash> in the disassembly"))
        .to_string()
}

/// The archive member that defines `symbol`: that exact name, or rt0's stub `symbol_<hash>`.
pub fn object_with(members: &[PathBuf], symbol: &str) -> PathBuf {
    members
        .iter()
        .find(|m| {
            tool("llvm-nm", &["--defined-only", m.to_str().unwrap()])
                .lines()
                .filter_map(|l| l.split_whitespace().last())
                .any(|s| s == symbol || is_stub(s, symbol))
        })
        .unwrap_or_else(|| panic!("no archive member defines {symbol}"))
        .clone()
}

/// The per-library entry the demo's `lib_entry!` makes, checked on the objects of its archive:
/// the stub object defines `_rt0_lib_entry_<hash>` as a private extern and holds no initializer
/// record; the demo's own object holds the `__mod_init_func` record, which points at its
/// initializer shim (`rt0_demo::__rt0_lib_entry::entry`), next to its `LIBRARY` state (every
/// export reads it, so any export pulls the record in); the shim refers to the stub; and no
/// object of the archive has the old `_rt0_entry_state`. Returns the shim's object.
pub fn check_per_library_entry(members: &[PathBuf], label: &str) -> PathBuf {
    let stub = object_with(members, "_rt0_lib_entry");
    let s = stub.to_str().unwrap();
    let nm = tool("llvm-nm", &["-m", s]);
    assert!(
        nm.lines().any(|l| l.contains("private external")
            && l.split_whitespace()
                .last()
                .is_some_and(|n| is_stub(n, "_rt0_lib_entry"))),
        "{label}: the entry stub must be a private extern: {nm}"
    );
    let relocs = tool("llvm-objdump", &["--macho", "-r", s]);
    assert!(
        !relocs.contains("__mod_init_func"),
        "{label}: the stateless stub object registers an initializer: {relocs}"
    );
    let mut shim_objects = Vec::new();
    for m in members {
        // LLVM 14's tools cannot read the bitcode some newer rustc members carry (core,
        // compiler_builtins): those are not rt0's or the demo's objects.
        let out = Command::new("llvm-nm").arg(m).output().unwrap();
        if !out.status.success() {
            continue;
        }
        let nm = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            !nm.lines().any(|l| l.ends_with(" _rt0_entry_state")),
            "{label}: {} still has _rt0_entry_state",
            m.display()
        );
        let relocs = tool("llvm-objdump", &["--macho", "-r", m.to_str().unwrap()]);
        let Some(section) = relocs
            .split("Relocation information (__DATA,__mod_init_func)")
            .nth(1)
        else {
            continue;
        };
        let record = section.lines().nth(2).unwrap_or_default();
        let target = record.split_whitespace().last().unwrap_or_default();
        assert!(
            record.contains("UNSIGND") && target.contains("15__rt0_lib_entry5entry"),
            "{label}: the initializer record in {} is {record:?}, not a pointer to the demo's shim",
            m.display()
        );
        assert!(
            nm.lines()
                .any(|l| l.ends_with(&format!(" T {target}"))
                    || l.ends_with(&format!(" t {target}"))),
            "{label}: {target} is not code of {}: {nm}",
            m.display()
        );
        assert!(
            nm.lines()
                .any(|l| l.contains(" D ") && l.contains("15__rt0_lib_entry7LIBRARY")),
            "{label}: the record is not next to the library's LIBRARY state: {nm}"
        );
        assert!(
            relocs.lines().any(|l| l
                .split_whitespace()
                .last()
                .is_some_and(|n| is_stub(n, "_rt0_lib_entry"))),
            "{label}: {} does not refer to _rt0_lib_entry_<hash>: {relocs}",
            m.display()
        );
        shim_objects.push(m.clone());
    }
    assert_eq!(
        shim_objects.len(),
        1,
        "{label}: exactly one object of the demo holds its initializer record"
    );
    shim_objects.remove(0)
}

/// Links `tests/hosts/darwin_lib.c` (a host library that calls one export) with the demo's
/// archive into a dylib the ordinary way: no `-force_load`, no `-read_only_relocs`, through
/// `tools/darwin-sdk/bin/darwin-cc` (ld64.lld here). Then checks what that must give: the one
/// export pulled rt0's entry in, an initializer record points at the demo's shim, and no rebase lands in
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
    // The entry was pulled in by the one export (the stub and the demo's initializer shim), and
    // dyld will call the shim.
    let nm = tool("llvm-nm", &[o]);
    assert!(
        nm.lines().any(|l| l
            .split_whitespace()
            .last()
            .is_some_and(|n| is_stub(n, "_rt0_lib_entry"))),
        "{label}: the entry stub is not linked:\n{nm}"
    );
    let entry = nm
        .lines()
        .find(|l| l.contains("15__rt0_lib_entry5entry"))
        .unwrap_or_else(|| panic!("{label}: the demo's initializer shim is not linked:\n{nm}"));
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
        "{label}: initializer does not point at the demo's shim ({entry_addr:#x}):\n{contents}"
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
