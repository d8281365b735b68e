//! The porter's subcommands (`list`, `describe`, `new`, `check`), run as a porter would, on
//! scratch copies of arch/ (`--arch-dir`) so the workspace's own tree is never touched.
//!
//! The facts `describe --json` is compared with are written here from the sources (XNU
//! syscalls.master, libpthread kern_support.c, musl's bits/syscall.h.in and syscall_arch.h, the
//! kernel's clone), independently of any abi.toml.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{copy_dir, root};

fn rt0_port(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rt0-port"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run rt0-port")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh copy of the workspace's arch/ tree.
fn scratch_arch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "porting-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("arch"), &dir.join("arch"));
    dir.join("arch")
}

/// An unported Linux triple of an architecture the description parser does not know yet, to
/// demonstrate `new` and `check` on (riscv64 was it until it was ported).
const NEW: &str = "loongarch64-unknown-linux-gnu";

#[test]
fn new_scaffolds_check_names_what_is_missing_and_a_second_new_refuses() {
    let arch = scratch_arch("new");
    let a = arch.to_str().unwrap();
    let registry_before = std::fs::read_to_string(arch.join("targets.toml")).unwrap();

    let o = rt0_port(&["new", NEW, "--arch-dir", a]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = arch.join(NEW);
    for f in ["abi.toml", "entry.S", "syscall.S"] {
        assert!(dir.join(f).is_file(), "{f} not created: {}", text(&o));
    }
    // Registered: exactly one line appended, and the registry still parses (list reads it).
    let registry = std::fs::read_to_string(arch.join("targets.toml")).unwrap();
    assert!(registry.starts_with(&registry_before));
    let added: Vec<&str> = registry[registry_before.len()..]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        added[0].starts_with(&format!("\"{NEW}\" = \"{NEW}\"")),
        "{added:?}"
    );

    // Every arch-dependent fact is a TODO naming its question and a source.
    let abi = std::fs::read_to_string(dir.join("abi.toml")).unwrap();
    for key in [
        "instruction",
        "number_register",
        "arg_registers",
        "exit",
        "thread_create",
        "registers",
        "alignment",
    ] {
        let line = abi
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in\n{abi}"));
        assert!(
            line.contains("\"TODO: ") && line.contains('('),
            "{key} is not a TODO with a source: {line}"
        );
    }
    assert!(abi.contains("verified_by = \"not-yet\""), "{abi}");
    // loongarch64 is unknown to the parser: the scaffold says what the parser needs.
    assert!(abi.contains("give `Arch` a `loongarch64` variant"), "{abi}");
    // And names the kernel's folder for it (arch/loongarch, not arch/loongarch64).
    assert!(abi.contains("LNX arch/loongarch/"), "{abi}");
    // The stubs stop the build until they are ported.
    for f in ["entry.S", "syscall.S"] {
        let s = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(s.contains("#error") && s.contains("TODO"), "{f}:\n{s}");
    }

    // check fails and lists what is missing.
    let o = rt0_port(&["check", NEW, "--arch-dir", a]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("TODOs left") && out.contains("FAIL"), "{out}");
    assert!(
        out.contains(&format!("arch/{NEW}/abi.toml:")) && out.contains("number_register = \"TODO"),
        "TODO lines not listed: {out}"
    );
    assert!(
        out.contains(&format!("arch/{NEW}/syscall.S:")),
        "stub TODOs not listed: {out}"
    );
    assert!(
        out.contains("field `target.arch`"),
        "the description's first error is not named: {out}"
    );

    // list shows the scaffold as such.
    let o = rt0_port(&["list", "--arch-dir", a]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with(NEW))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("scaffold") && row.contains("TODOs") && row.contains("FAIL"),
        "{row}"
    );

    // A second new refuses, and changes nothing.
    let abi_before = std::fs::read_to_string(dir.join("abi.toml")).unwrap();
    let o = rt0_port(&["new", NEW, "--arch-dir", a]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refusing to overwrite"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("abi.toml")).unwrap(),
        abi_before
    );
    assert_eq!(
        std::fs::read_to_string(arch.join("targets.toml")).unwrap(),
        registry
    );

    // A registered triple whose folder is shared refuses too.
    let o = rt0_port(&["new", "x86_64-unknown-linux-musl", "--arch-dir", a]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already registered"),
        "{}",
        text(&o)
    );

    // --all passes over the unfinished scaffold without failing because of it (the registry is
    // cut down to the scaffold alone, so nothing needs building).
    std::fs::write(
        arch.join("targets.toml"),
        format!("[targets]\n{}\n", added[0]),
    )
    .unwrap();
    let o = rt0_port(&["check", "--all", "--no-scenarios", "--arch-dir", a]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(NEW) && l.contains("unfinished")),
        "{out}"
    );
    assert!(out.contains("0 port(s) checked"), "{out}");
}

#[test]
fn new_refuses_an_os_rt0_does_not_describe() {
    let arch = scratch_arch("os");
    let o = rt0_port(&[
        "new",
        "x86_64-unknown-freebsd",
        "--arch-dir",
        arch.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`Os`"),
        "{}",
        text(&o)
    );
    assert!(!arch.join("x86_64-unknown-freebsd").exists());
}

/// A scaffold of an installed target from a same-architecture, same-OS port parses (only
/// `verified_by` and the stubs are unfinished): the build itself must stop at the stubs' #error.
/// (Builds for x86_64 Linux targets: runs where they build, the x86_64 Linux hosts.)
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn a_scaffold_of_an_installed_target_fails_its_build_at_the_unported_stubs() {
    let triple = "x86_64-unknown-linux-musl";
    let arch = scratch_arch("build");
    let reg = arch.join("targets.toml");
    let text_before = std::fs::read_to_string(&reg).unwrap();
    let without: String = text_before
        .lines()
        .filter(|l| !l.starts_with(&format!("\"{triple}\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&reg, without).unwrap();
    let a = arch.to_str().unwrap();
    let o = rt0_port(&["new", triple, "--arch-dir", a]);
    assert!(o.status.success(), "{}", text(&o));
    let abi = std::fs::read_to_string(arch.join(triple).join("abi.toml")).unwrap();
    assert!(
        abi.contains("args_fallback = \"proc-self\""),
        "musl passes no initializer arguments:\n{abi}"
    );
    let o = rt0_port(&["check", triple, "--no-scenarios", "--arch-dir", a]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("verified_by = \\\"not-yet\\\"") || out.contains("verified_by = \"not-yet\""),
        "{out}"
    );
    let build = out
        .lines()
        .find(|l| l.contains("build (pthread)"))
        .unwrap_or_else(|| panic!("no build step: {out}"));
    assert!(build.contains("FAIL"), "{build}\n{out}");
    assert!(
        out.contains("unported copy"),
        "the #error message is not shown: {out}"
    );
}

/// A stub that routes the stack to the wrong place fails the thread-create step.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn check_catches_a_stub_that_disagrees_with_its_description() {
    let triple = "x86_64-unknown-linux-gnu";
    let arch = scratch_arch("broken");
    let f = arch.join(triple).join("syscall.S");
    let s = std::fs::read_to_string(&f).unwrap();
    // The label is spelled through the macro that adds the stub's hash suffix.
    let start = s
        .find("RT0_SYM_raw_thread_create:")
        .or_else(|| s.find("rt0_raw_thread_create:"))
        .expect("rt0_raw_thread_create in syscall.S");
    let trap = start
        + s[start..]
            .find("\tRT0_SYSCALL_INSTRUCTION")
            .expect("a trap in rt0_raw_thread_create");
    let broken = format!(
        "{}\txor\tRT0_THREAD_CREATE_stack, RT0_THREAD_CREATE_stack\t/* broken on purpose */\n{}",
        &s[..trap],
        &s[trap..]
    );
    std::fs::write(&f, broken).unwrap();
    let (_, row) = failing_check(triple, &arch, "thread_create registers");
    assert!(
        row.contains("FAIL") && row.contains("stack in rsi = 0x0"),
        "{row}"
    );
    // The results file of the scratch tree records the failure, and list shows it.
    let o = rt0_port(&["list", "--arch-dir", arch.to_str().unwrap()]);
    let out = text(&o);
    let row = out
        .lines()
        .find(|l| l.starts_with(triple))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("FAIL") && row.contains("thread_create registers"),
        "{row}"
    );
}

/// Register-convention facts per (os, arch), from the sources named in the module docs.
struct Facts {
    instruction: &'static str,
    number_register: &'static str,
    number_prefix: u64,
    arg_registers: &'static [&'static str],
    error: &'static str,
    numbers: &'static [(&'static str, u64)],
    thread_create: &'static [(&'static str, &'static str)],
    thread_start: &'static [(&'static str, &'static str)],
}

const DARWIN_NUMBERS: &[(&str, u64)] = &[
    ("exit", 1),
    ("write", 4),
    ("mmap", 197),
    ("munmap", 73),
    ("mprotect", 74),
    ("thread_sigmask", 329), // __pthread_sigmask: the calling thread; 48 would be the whole process
    ("thread_id", 372),
    ("thread_create", 360),
    ("thread_terminate", 361),
    ("thread_register", 366),
];

fn facts(os: &str, arch: &str) -> Option<Facts> {
    Some(match (os, arch) {
        ("darwin", "x86_64") => Facts {
            instruction: "syscall",
            number_register: "rax",
            number_prefix: 0x2000000,
            arg_registers: &["rdi", "rsi", "rdx", "r10", "r8", "r9"],
            error: "carry",
            numbers: DARWIN_NUMBERS,
            thread_create: &[
                ("func", "rdi"),
                ("arg", "rsi"),
                ("stack", "rdx"),
                ("pthread", "r10"),
                ("flags", "r8"),
            ],
            thread_start: &[
                ("pthread", "rdi"),
                ("kport", "rsi"),
                ("func", "rdx"),
                ("arg", "rcx"),
                ("stack", "r8"),
                ("flags", "r9"),
            ],
        },
        ("darwin", "aarch64") => Facts {
            instruction: "svc #0x80",
            number_register: "x16",
            number_prefix: 0,
            arg_registers: &["x0", "x1", "x2", "x3", "x4", "x5"],
            error: "carry",
            numbers: DARWIN_NUMBERS,
            thread_create: &[
                ("func", "x0"),
                ("arg", "x1"),
                ("stack", "x2"),
                ("pthread", "x3"),
                ("flags", "x4"),
            ],
            thread_start: &[
                ("pthread", "x0"),
                ("kport", "x1"),
                ("func", "x2"),
                ("arg", "x3"),
                ("stack", "x4"),
                ("flags", "x5"),
            ],
        },
        ("linux", "x86_64") => Facts {
            instruction: "syscall",
            number_register: "rax",
            number_prefix: 0,
            arg_registers: &["rdi", "rsi", "rdx", "r10", "r8", "r9"],
            error: "negative",
            numbers: &[
                ("exit", 60),
                ("exit_group", 231),
                ("write", 1),
                ("mmap", 9),
                ("munmap", 11),
                ("mprotect", 10),
                ("thread_sigmask", 14),
                ("thread_id", 186),
                ("thread_create", 56),
            ],
            thread_create: &[
                ("flags", "rdi"),
                ("stack", "rsi"),
                ("ptid", "rdx"),
                ("ctid", "r10"),
                ("tls", "r8"),
            ],
            thread_start: &[],
        },
        ("linux", "aarch64") => Facts {
            instruction: "svc #0",
            number_register: "x8",
            number_prefix: 0,
            arg_registers: &["x0", "x1", "x2", "x3", "x4", "x5"],
            error: "negative",
            numbers: &[
                ("exit", 93),
                ("exit_group", 94),
                ("write", 64),
                ("mmap", 222),
                ("munmap", 215),
                ("mprotect", 226),
                ("thread_sigmask", 135),
                ("thread_id", 178),
                ("thread_create", 220),
            ],
            // CLONE_BACKWARDS: clone(flags, stack, ptid, tls, ctid)
            thread_create: &[
                ("flags", "x0"),
                ("stack", "x1"),
                ("ptid", "x2"),
                ("tls", "x3"),
                ("ctid", "x4"),
            ],
            thread_start: &[],
        },
        // linux arch/riscv/include/asm/syscall.h (number a7, arguments a0..a5, result a0),
        // include/uapi/asm-generic/unistd.h (musl arch/riscv64/bits/syscall.h.in), and
        // arch/riscv/Kconfig `select CLONE_BACKWARDS` with glibc riscv/clone.S's a0..a4.
        ("linux", "riscv64") => Facts {
            instruction: "ecall",
            number_register: "a7",
            number_prefix: 0,
            arg_registers: &["a0", "a1", "a2", "a3", "a4", "a5"],
            error: "negative",
            numbers: &[
                ("exit", 93),
                ("exit_group", 94),
                ("write", 64),
                ("mmap", 222),
                ("munmap", 215),
                ("mprotect", 226),
                ("thread_sigmask", 135),
                ("thread_id", 178),
                ("thread_create", 220),
            ],
            // CLONE_BACKWARDS: clone(flags, stack, ptid, tls, ctid)
            thread_create: &[
                ("flags", "a0"),
                ("stack", "a1"),
                ("ptid", "a2"),
                ("tls", "a3"),
                ("ctid", "a4"),
            ],
            thread_start: &[],
        },
        _ => return None,
    })
}

fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

fn registered_triples() -> Vec<String> {
    let reg = std::fs::read_to_string(root().join("arch/targets.toml")).unwrap();
    let t: toml::value::Table = toml::from_str(&reg).unwrap();
    t["targets"].as_table().unwrap().keys().cloned().collect()
}

#[test]
fn describe_json_agrees_with_the_abi_facts_for_every_port() {
    let mut checked = 0;
    for triple in registered_triples() {
        let o = rt0_port(&["describe", &triple, "--json"]);
        if !o.status.success() {
            // An unfinished scaffold (someone's `rt0-port new` in this tree) has no description yet.
            let folder = root().join("arch").join(&triple).join("abi.toml");
            let scaffold = std::fs::read_to_string(&folder)
                .map(|t| t.contains("TODO"))
                .unwrap_or(false);
            assert!(scaffold, "describe {triple} failed: {}", text(&o));
            continue;
        }
        let j: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{triple}: {e}\n{}", text(&o)));
        let get = |k: &str| {
            j.get(k)
                .unwrap_or_else(|| panic!("{triple}: no `{k}` in {j:#}"))
        };
        assert_eq!(get("target").as_str(), Some(triple.as_str()));
        let os = get("os").as_str().unwrap().to_string();
        let arch = get("arch").as_str().unwrap().to_string();
        if get("verified_by").as_str() == Some("not-yet") {
            continue;
        }
        if os == "windows" {
            // No system calls (their numbers change with every Windows build): kernel32 instead.
            // The entry is a TLS callback, (module, reason, reserved) in rcx, rdx, r8 (winnt.h
            // PIMAGE_TLS_CALLBACK; Microsoft Learn, x64 calling convention), in .CRT$XLB.
            let sc = get("syscall");
            assert_eq!(
                sc.get("kind").and_then(Value::as_str),
                Some("none"),
                "{triple}"
            );
            assert_eq!(
                get("numbers").as_object().map(|m| m.len()),
                Some(0),
                "{triple}"
            );
            assert_eq!(
                strs(get("initializer_args")),
                ["module", "reason", "reserved"]
            );
            assert_eq!(
                get("initializer_section").as_str(),
                Some(".CRT$XLB"),
                "{triple}"
            );
            checked += 1;
            continue;
        }
        let f = facts(&os, &arch).unwrap_or_else(|| {
            panic!("{triple}: no facts for {os} {arch} in this test: add them from the sources")
        });
        let sc = get("syscall");
        assert_eq!(
            sc.get("instruction").and_then(Value::as_str),
            Some(f.instruction),
            "{triple}"
        );
        assert_eq!(
            sc.get("number_register").and_then(Value::as_str),
            Some(f.number_register),
            "{triple}"
        );
        assert_eq!(
            sc.get("number_prefix").and_then(Value::as_u64),
            Some(f.number_prefix),
            "{triple}"
        );
        assert_eq!(
            strs(sc.get("arg_registers").unwrap()),
            f.arg_registers,
            "{triple}"
        );
        assert_eq!(
            sc.get("error").and_then(Value::as_str),
            Some(f.error),
            "{triple}"
        );

        let numbers = get("numbers");
        let mut required = vec![
            "exit",
            "write",
            "mmap",
            "munmap",
            "mprotect",
            "thread_sigmask",
            "thread_create",
        ];
        required.extend(if os == "linux" {
            &["exit_group"][..]
        } else {
            &["thread_register", "thread_terminate"][..]
        });
        for name in required {
            assert!(
                numbers.get(name).is_some(),
                "{triple}: numbers.{name} missing"
            );
        }
        for (name, n) in f.numbers {
            assert_eq!(
                numbers.get(name).and_then(Value::as_u64),
                Some(*n),
                "{triple}: numbers.{name}"
            );
        }
        if os == "darwin" {
            assert_ne!(
                numbers.get("thread_sigmask").and_then(Value::as_u64),
                Some(48),
                "{triple}: 48 is the whole-process sigprocmask"
            );
        }

        let tc = get("thread_create");
        let Value::Object(tc_pairs) = tc else {
            panic!("{triple}: thread_create is not an object")
        };
        assert_eq!(tc_pairs.len(), f.thread_create.len(), "{triple}: {tc:?}");
        for (name, reg) in f.thread_create {
            assert_eq!(
                tc.get(name).and_then(Value::as_str),
                Some(*reg),
                "{triple}: thread_create.{name}"
            );
        }
        if os == "darwin" {
            let ts = get("thread_start");
            for (name, reg) in f.thread_start {
                assert_eq!(
                    ts.get(name).and_then(Value::as_str),
                    Some(*reg),
                    "{triple}: thread_start.{name}"
                );
            }
        } else {
            assert!(
                j.get("thread_start").is_none(),
                "{triple}: Linux has no thread_start"
            );
        }

        // dyld: (argc, argv, envp, apple, &ProgramVars); glibc: (argc, argv, envp); musl: nothing.
        let init = strs(get("initializer_args"));
        let want: &[&str] = match (os.as_str(), triple.ends_with("musl")) {
            ("darwin", _) => &["argc", "argv", "envp", "apple", "program_vars"],
            (_, true) => &[],
            _ => &["argc", "argv", "envp"],
        };
        assert_eq!(init, want, "{triple}: initializer_args");

        // Register names: lower case, no `%`, everywhere.
        let mut regs = strs(sc.get("arg_registers").unwrap());
        regs.push(
            sc.get("number_register")
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        );
        for m in [
            Some(tc),
            j.get("thread_start"),
            j.get("initializer_registers"),
        ]
        .into_iter()
        .flatten()
        {
            if let Value::Object(pairs) = m {
                regs.extend(pairs.iter().map(|(_, v)| v.as_str().unwrap().to_string()));
            }
        }
        for r in regs {
            assert!(
                !r.contains('%') && r == r.to_lowercase(),
                "{triple}: register name {r:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} ports described");
}

#[test]
fn describe_of_an_unknown_triple_says_how_to_start_one() {
    let o = rt0_port(&["describe", "mips64-unknown-linux-gnuabi64"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rt0-port new mips64-unknown-linux-gnuabi64"),
        "{}",
        text(&o)
    );
}

#[test]
fn list_names_every_folder_and_every_registered_triple() {
    let o = rt0_port(&["list"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for t in registered_triples() {
        assert!(
            out.lines().any(|l| l.starts_with(&t)),
            "{t} not listed: {out}"
        );
    }
    for e in std::fs::read_dir(root().join("arch")).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            let f = e.file_name().into_string().unwrap();
            assert!(out.contains(&f), "folder {f} not listed: {out}");
        }
    }
    assert!(
        out.contains("VERIFIED BY") && out.contains("LAST CHECK"),
        "{out}"
    );
}

/// An absolute address in a stub's code is caught on the objects, even for a target that builds
/// no shared library (musl), where no linker would refuse it.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn check_catches_an_absolute_relocation_in_a_static_only_targets_stub() {
    let arch = scratch_arch("abs");
    let f = arch.join("x86_64-unknown-linux-gnu").join("entry.S");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s.push_str("\n\t.text\n\t.globl rt0_broken_abs\nrt0_broken_abs:\n\tmovabsq $rt0_some_data, %rax\t/* broken on purpose */\n\tret\n\t.section .note.GNU-stack,\"\",@progbits\n");
    std::fs::write(&f, s).unwrap();
    let (out, row) = failing_check(
        "x86_64-unknown-linux-musl",
        &arch,
        "stubs position-independent",
    );
    assert!(row.contains("FAIL"), "{row}");
    assert!(out.contains("R_X86_64_64 rt0_some_data"), "{out}");
}

/// The entry stub is stateless: a stub object that keeps a word of its own (here, a `.data`
/// counter) fails the `entry stub` row, naming the section; the per-library initializer still
/// passes (the demo's record points at its shim, which calls the stub).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn check_catches_an_entry_stub_with_state_of_its_own() {
    let arch = scratch_arch("stateful");
    let f = arch.join("x86_64-unknown-linux-gnu").join("entry.S");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s.push_str("\n\t.data\n\t.p2align 3\nrt0_broken_counter:\n\t.quad 0\t/* broken on purpose */\n\t.section .note.GNU-stack,\"\",@progbits\n");
    std::fs::write(&f, s).unwrap();
    let (out, row) = failing_check("x86_64-unknown-linux-musl", &arch, "entry stub");
    assert!(row.contains("FAIL"), "{row}");
    assert!(out.contains(".data (8 bytes)"), "{out}");
    let init = out
        .lines()
        .find(|l| l.contains("initializer") && !l.contains("entry stub"))
        .unwrap_or_else(|| panic!("no initializer row:\n{out}"));
    assert!(init.contains("pass"), "{init}\n{out}");
}

/// Runs `rt0-port check <triple> --no-scenarios` on the arch tree `arch`, requires it to fail
/// (exit 1), and returns its output and the verdict row of the check named `check`.
fn failing_check(triple: &str, arch: &Path, check: &str) -> (String, String) {
    let o = rt0_port(&[
        "check",
        triple,
        "--no-scenarios",
        "--arch-dir",
        arch.to_str().unwrap(),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains(check))
        .unwrap_or_else(|| panic!("no `{check}` row:\n{out}"))
        .to_string();
    (out, row)
}
