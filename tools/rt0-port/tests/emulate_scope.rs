//! The emulated libSystem's frozen scope (docs/emulator.md, "What the libSystem model covers,
//! and why no more"). Its one table (src/emulate/libsystem/exports.rs, written out as
//! tools/darwin-sdk/usr/lib/libSystem.tbd, which a unit test keeps equal to it) holds what the
//! programs ci/ runs under the emulator import, and nothing else:
//! - the demo (rt0 and examples/demo/host/host.c) on both paths and both CPUs, and the other
//!   hosts tests/emulate_darwin.rs links with it;
//! - the hosts tests/emulate_linked_exe.rs and tests/emulate_bringup.rs link;
//! - the packaged fresh std crate's C host (ci/fresh-user/host.c with its staticlib), as
//!   ci/package-check-darwin links it.
//!
//! Imports are read from the linked Mach-O files with goblin. A host linked without
//! `--lazy-imports` needs every function it imports (the emulator binds them all at load), and
//! may import only what the table has. The fresh host imports far more than it calls and runs
//! with `--lazy-imports` (a call to a function the table lacks stops the run with status 125):
//! it needs what it calls in the three runs ci/package-check-darwin makes, as `--report`
//! counts them. Every table entry must be needed by one of these programs: a function none
//! needs is removed, not kept "in case".

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::root;

const TRIPLES: [(&str, &str); 2] = [
    ("x86_64-apple-darwin", "x86_64"),
    ("aarch64-apple-darwin", "arm64"),
];

/// The hosts tests/emulate_darwin.rs links with the demo on the pthread path (`None` is the
/// demo's own host.c; unresolved.c is left out: it exists to fail the link). x18.c runs on
/// arm64 only.
const PTHREAD_HOSTS: &[Option<&str>] = &[
    None,
    Some("threads.c"),
    Some("early.c"),
    Some("init_export.c"),
    Some("guard.c"),
    Some("mask.c"),
    Some("newosproc0.c"),
    Some("trap.c"),
    Some("unmodeled.c"),
];
/// The same on the raw path.
const RAW_HOSTS: &[Option<&str>] = &[
    None,
    Some("threads.c"),
    Some("early.c"),
    Some("init_export.c"),
    Some("mask.c"),
    Some("newosproc0.c"),
];
/// The hosts tests/emulate_linked_exe.rs links with darwin-cc (flat_import.c is left out: it
/// exists to be refused).
const DARWIN_CC_HOSTS: &[&str] = &[
    "thread_local.c",
    "sync.c",
    "stdio.c",
    "printf_float.c",
    "printf_fault.c",
];

/// The size of the libSystem model when its scope was frozen (`wc -l` of
/// src/emulate/libsystem/**): it may shrink, never grow.
const FROZEN_MODEL_LINES: usize = 2617;

/// One program ci/ runs under the emulator.
struct Program {
    /// What it is, for messages.
    name: String,
    exe: PathBuf,
    /// For a program run with `--lazy-imports`, its triple: it needs what it calls, and may
    /// import what the table lacks.
    lazy: Option<&'static str>,
}

/// The runs ci/package-check-darwin makes of the fresh host: options, and the status each
/// ends with (an init that fails is 3; a panic stops at libunwind, which is not modeled).
const FRESH_RUNS: [(&[&str], i32); 3] = [
    (&["--env", "FRESH_SUM_TO=1000", "--", "one", "two"], 0),
    (&["--env", "FRESH_SUM_TO=many"], 3),
    (&["--env", "FRESH_PANIC=1"], 125),
];

/// The libSystem functions the fresh host calls in the runs ci makes, as `--report` counts
/// them.
fn fresh_calls(triple: &str, exe: &Path) -> BTreeSet<String> {
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emulate-scope/report.txt");
    let mut calls = BTreeSet::new();
    for (options, status) in FRESH_RUNS {
        let _ = std::fs::remove_file(&report);
        let out = Command::new(env!("CARGO_BIN_EXE_rt0-port"))
            .current_dir(root())
            .args(["emulate", triple, "--exe"])
            .arg(exe)
            .args(["--lazy-imports", "--report"])
            .arg(&report)
            .args(options)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(status),
            "{triple} {options:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&report).unwrap();
        let names = text.lines().filter_map(|l| l.strip_prefix("libcall "));
        calls.extend(
            names
                .filter_map(|l| l.split(' ').next())
                .map(str::to_string),
        );
    }
    calls
}

/// Runs `cmd`; its stdout, or a panic with what it printed.
fn output(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rt0-port emulate TRIPLE OPTIONS --link-only`: the executable it links.
fn link_only(triple: &str, options: &[&str]) -> PathBuf {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rt0-port"));
    c.current_dir(root())
        .args(["emulate", triple])
        .args(options)
        .arg("--link-only")
        .env_remove("RT0_ARCH_DIR")
        .env_remove("RT0_WORKSPACE");
    let what = format!(
        "rt0-port emulate {triple} {} --link-only",
        options.join(" ")
    );
    PathBuf::from(output(&mut c, &what).trim())
}

/// The demo with each host, both paths; and bring-up's host alone.
fn demo_programs(triple: &str, arch: &str) -> Vec<Program> {
    let mut v = Vec::new();
    for (path, hosts) in [("pthread", PTHREAD_HOSTS), ("raw", RAW_HOSTS)] {
        let x18 = (arch == "arm64" && path == "pthread").then_some(Some("x18.c"));
        for host in hosts.iter().copied().chain(x18) {
            let file = host.map(|h| support::host(h).display().to_string());
            let mut options: Vec<&str> = Vec::new();
            if path == "raw" {
                options.push("--raw");
            }
            if let Some(f) = &file {
                options.extend(["--host", f]);
            }
            v.push(Program {
                name: format!("demo ({path}) with {} for {arch}", host.unwrap_or("host.c")),
                exe: link_only(triple, &options),
                lazy: None,
            });
        }
    }
    let tdir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bringup-{triple}"));
    let bringup = support::host("bringup.c").display().to_string();
    let tdir_s = tdir.display().to_string();
    let options = [
        "--no-demo",
        "--raw",
        "--no-check",
        "--host",
        &bringup,
        "--target-dir",
        &tdir_s,
    ];
    v.push(Program {
        name: format!("bringup.c for {arch}"),
        exe: link_only(triple, &options),
        lazy: None,
    });
    v
}

/// `darwin-cc` (the packaged one, or the repository's) linking `inputs` for `arch` into `out`,
/// as tests/emulate_linked_exe.rs and ci/package-check-darwin do.
fn darwin_cc(darwin_cc: &Path, arch: &str, inputs: &[&Path], out: &Path) {
    let mut c = Command::new(darwin_cc);
    c.args(["-arch", arch, "-mmacosx-version-min=11.0", "-nostdlibinc"])
        .arg("-isystem")
        .arg(root().join("tools/rt0-port/sdk/include"))
        .args(inputs)
        .args(["-lSystem", "-o"])
        .arg(out);
    output(
        &mut c,
        &format!("darwin-cc -arch {arch} -o {}", out.display()),
    );
}

/// The hosts linked with darwin-cc.
fn darwin_cc_programs(arch: &str, dir: &Path) -> Vec<Program> {
    let cc = root().join("tools/darwin-sdk/bin/darwin-cc");
    DARWIN_CC_HOSTS
        .iter()
        .map(|host| {
            let exe = dir.join(format!("{host}-{arch}"));
            darwin_cc(&cc, arch, &[&support::host(host)], &exe);
            Program {
                name: format!("{host} linked by darwin-cc for {arch}"),
                exe,
                lazy: None,
            }
        })
        .collect()
}

/// The packaged fresh std crate's C host for each CPU, built as ci/package-check-darwin builds
/// it: ci/package-unpack outside the workspace, the packaged darwin-cc as the linker, the
/// staticlib linked with ci/fresh-user/host.c.
fn fresh_programs(dir: &Path) -> Vec<Program> {
    let unpacked = std::env::temp_dir().join(format!("rt0-emulate-scope-{}", std::process::id()));
    output(
        Command::new(root().join("ci/package-unpack")).arg(&unpacked),
        "ci/package-unpack",
    );
    let user = unpacked.join("fresh-user");
    let cc = unpacked.join("rt0/tools/darwin-sdk/bin/darwin-cc");
    let mut config = String::new();
    for (triple, _) in TRIPLES {
        config += &format!(
            "[target.{triple}]\nlinker = {:?}\n",
            cc.display().to_string()
        );
    }
    config += "[env]\nCC_x86_64_apple_darwin = \"clang\"\nCC_aarch64_apple_darwin = \"clang\"\n";
    config += &format!(
        "SDKROOT = {:?}\n",
        unpacked.join("rt0/tools/darwin-sdk").display().to_string()
    );
    std::fs::create_dir_all(user.join(".cargo")).unwrap();
    std::fs::write(user.join(".cargo/config.toml"), config).unwrap();
    // Kept between runs: the unpacked sources are new each time, their dependencies are not.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scope-fresh-user");
    let mut v = Vec::new();
    for (triple, arch) in TRIPLES {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.current_dir(&user)
            .args(["build", "-q", "--target", triple])
            .env("CARGO_TARGET_DIR", &target);
        output(
            &mut c,
            &format!("cargo build of the fresh crate for {triple}"),
        );
        let lib = target.join(triple).join("debug/libfresh_user.a");
        let exe = dir.join(format!("fresh-host-{arch}"));
        darwin_cc(&cc, arch, &[&user.join("host.c"), &lib], &exe);
        v.push(Program {
            name: format!("the fresh std crate's C host for {arch}"),
            exe,
            lazy: Some(triple),
        });
    }
    let _ = std::fs::remove_dir_all(&unpacked);
    v
}

/// The symbols `exe` imports (binds and lazy binds), read with goblin.
fn imports(exe: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(exe).unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    let macho = goblin::mach::MachO::parse(&bytes, 0)
        .unwrap_or_else(|e| panic!("{} is not a Mach-O file: {e}", exe.display()));
    let imports = macho
        .imports()
        .unwrap_or_else(|e| panic!("{}: bad bind info: {e}", exe.display()));
    imports.into_iter().map(|i| i.name.to_string()).collect()
}

/// The emulated libSystem's table, as the `.tbd` generated from it lists it.
fn table() -> BTreeSet<String> {
    let tbd = root().join("tools/darwin-sdk/usr/lib/libSystem.tbd");
    let text = std::fs::read_to_string(&tbd).unwrap();
    let body = text
        .split("symbols:")
        .nth(1)
        .expect("the .tbd lists symbols");
    body.split(|c: char| c == ',' || c == '[' || c == ']' || c.is_whitespace())
        .filter(|w| !w.is_empty() && *w != "...")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_libsystem_table_is_what_the_programs_ci_runs_need() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emulate-scope");
    std::fs::create_dir_all(&dir).unwrap();
    let mut programs = Vec::new();
    for (triple, arch) in TRIPLES {
        programs.extend(demo_programs(triple, arch));
        programs.extend(darwin_cc_programs(arch, &dir));
    }
    programs.extend(fresh_programs(&dir));

    let table = table();
    assert!(table.len() > 40, "the table looks truncated: {table:?}");
    // Which programs need each table entry.
    let mut users: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut beyond = Vec::new();
    for p in &programs {
        let imports = imports(&p.exe);
        assert!(!imports.is_empty(), "{} imports nothing", p.name);
        let needs = match p.lazy {
            None => {
                let lacking = imports.iter().filter(|i| !table.contains(*i));
                beyond.extend(lacking.map(|i| format!("{} imports {i}", p.name)));
                imports
            }
            Some(triple) => fresh_calls(triple, &p.exe),
        };
        assert!(!needs.is_empty(), "{} needs nothing", p.name);
        for name in needs {
            users.entry(name).or_default().push(&p.name);
        }
    }
    assert!(
        beyond.is_empty(),
        "programs ci/ runs without --lazy-imports import what the emulated libSystem lacks:\n  {}",
        beyond.join("\n  ")
    );
    let unneeded: Vec<&String> = table.iter().filter(|e| !users.contains_key(*e)).collect();
    assert!(
        unneeded.is_empty(),
        "the emulated libSystem models {unneeded:?}, which none of the {} programs ci/ runs \
         under the emulator needs: remove them from src/emulate/libsystem/exports.rs with their \
         model",
        programs.len()
    );
}

#[test]
fn the_libsystem_model_is_no_larger_than_when_its_scope_was_frozen() {
    fn lines(dir: &Path) -> usize {
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                n += lines(&p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                n += std::fs::read_to_string(&p).unwrap().lines().count();
            }
        }
        n
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/emulate/libsystem");
    let n = lines(&dir);
    assert!(n > 1000, "{} holds only {n} lines of Rust", dir.display());
    assert!(
        n <= FROZEN_MODEL_LINES,
        "the libSystem model is {n} lines, over the {FROZEN_MODEL_LINES} it was frozen at: a \
         program that needs more of libSystem is run on a Mac (docs/emulator.md)"
    );
}

/// The kernel model and the machine under it know nothing of the user space above them.
#[test]
fn the_kernel_does_not_use_dyld_or_libsystem() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/emulate");
    let mut uses = Vec::new();
    for layer in ["kernel", "machine"] {
        for e in std::fs::read_dir(src.join(layer)).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("emulate::libsystem") || code.contains("emulate::dyld") {
                    uses.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(uses.is_empty(), "{}", uses.join("\n"));
}
