//! Exports with and without `#[rt0::export]` (`tests/crates/exports`, built with
//! `panic = "unwind"`), called by C and C++ hosts: the wrapper waits, returns the failure value
//! after a failed init, and stops a panic at the C boundary; a hand-written export still works;
//! a C++ global constructor that calls an export gets the same answer linked statically (where
//! it runs before rt0's entry) and dynamically. And a std library that asks for the raw creator
//! does not compile.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::{compile_once, root, run_with, Run};

fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_test_crate("exports", "exports"))
}

#[derive(Debug, Clone, Copy)]
enum Link {
    Static,
    Shared,
}

fn host(source: &str, compiler: &str, link: Link) -> PathBuf {
    let dir = built();
    let stem = Path::new(source)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let exe = dir.join(format!("{stem}-{link:?}"));
    let src = root().join("tests/hosts").join(source);
    compile_once(exe, source, |tmp| {
        let mut cmd = Command::new(compiler);
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg(&src)
            .arg("-o")
            .arg(tmp);
        match link {
            Link::Static => {
                cmd.arg(dir.join("libexports.a"));
            }
            Link::Shared => {
                cmd.arg(dir.join("libexports.so"))
                    .arg("-Wl,--disable-new-dtags")
                    .arg(format!("-Wl,-rpath,{}", dir.display()));
            }
        }
        cmd.args(["-ldl", "-lm"]);
        cmd
    })
}

fn run(exe: &Path, env: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
    run_with(exe, &[], &env, Duration::from_secs(30), None)
}

#[test]
fn the_wrapper_waits_for_a_slow_init_and_gives_its_state() {
    for link in [Link::Static, Link::Shared] {
        let r = run(
            &host("exports.c", "gcc", link),
            &[("EXPORTS_INIT_SLEEP_MS", "300")],
        );
        let c = format!("{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(
            r.field("state_at_main"),
            "1",
            "init still running at main: {c}"
        );
        assert_eq!(r.field("add"), "42", "{c}");
        assert_eq!(r.field("state_after_add"), "2", "{c}");
        assert_eq!(
            r.field("plain"),
            "41",
            "the hand-written export works too: {c}"
        );
        assert_eq!(r.field("error"), "", "{c}");
    }
}

#[test]
fn the_wrapper_returns_the_failure_value_after_a_failed_init() {
    for link in [Link::Static, Link::Shared] {
        let r = run(
            &host("exports.c", "gcc", link),
            &[("EXPORTS_INIT_FAIL", "1")],
        );
        let c = format!("{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("add"), "-1", "{c}");
        assert_eq!(r.field("state_after_add"), "3", "{c}");
        assert_eq!(r.field("plain"), "-100", "{c}");
        assert_eq!(r.field("unit"), "returned", "{c}");
        assert_eq!(r.field("error"), "exports: init failed on request", "{c}");
        // A bad value makes `?` in init fail with the parse error as the message.
        let r = run(
            &host("exports.c", "gcc", link),
            &[("EXPORTS_INIT_SLEEP_MS", "soon")],
        );
        assert_eq!(r.field("add"), "-1", "{r:?}");
        assert_eq!(r.field("error"), "invalid digit found in string", "{r:?}");
    }
}

/// `#[rt0::export(timeout_ms = 100)]` over an init that never ends: the export returns its
/// failure value once the 100 ms are up (not before), and the host goes on.
#[test]
fn an_export_with_a_timeout_gives_up_on_an_init_that_never_ends() {
    for link in [Link::Static, Link::Shared] {
        let r = run(
            &host("exports_timeout.c", "gcc", link),
            &[("EXPORTS_INIT_SLEEP_MS", "forever")],
        );
        let c = format!("{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("add_within_100ms"), "-3", "{c}");
        let elapsed: u64 = r.field("elapsed_ms").parse().expect(&c);
        assert!(elapsed >= 100, "gave up before the timeout: {c}");
        assert!(elapsed < 5000, "waited far past the timeout: {c}");
        // With an init that finishes in time the same export gives the state.
        let r = run(&host("exports_timeout.c", "gcc", link), &[]);
        assert_eq!(r.field("add_within_100ms"), "42", "{link:?}: {r:?}");
    }
}

/// The waits of one library's exports while init takes 1.5 s: `timeout_ms = 0` answers at once
/// (it overrides the library's `export_timeout_ms = 300`), the library's limit holds for an
/// export without its own, and an export's longer limit overrides the library's too.
#[test]
fn a_zero_timeout_answers_at_once_and_an_exports_own_limit_always_wins() {
    for link in [Link::Static, Link::Shared] {
        let r = run(
            &host("exports_probe.c", "gcc", link),
            &[("EXPORTS_INIT_SLEEP_MS", "1500")],
        );
        let c = format!("{link:?}: {r:?}");
        let ms = |key: &str| -> u64 { r.field(&format!("{key}_ms")).parse().expect(&c) };
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("now"), "-4", "{c}");
        assert!(ms("now") < 100, "timeout_ms = 0 waited: {c}");
        assert_eq!(r.field("library_limit"), "-1", "{c}");
        assert!((300..1400).contains(&ms("library_limit")), "{c}");
        assert_eq!(
            r.field("within_2s"),
            "42",
            "the export's 2 s did not win: {c}"
        );
        assert_eq!(r.field("now_after"), "42", "{c}");
        assert!(ms("now_after") < 100, "{c}");
    }
}

#[test]
fn a_panic_in_an_export_becomes_the_failure_value_not_an_unwind_into_c() {
    let r = run(&host("exports.c", "gcc", Link::Shared), &[]);
    let c = format!("{r:?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("panic_0"), "0", "{c}");
    assert_eq!(r.field("panic_1"), "-2", "{c}");
    assert_eq!(
        r.field("host_alive"),
        "1",
        "the host went on after the panic: {c}"
    );
    // Caught, so rt0's to report: nothing on the host's stderr, ...
    assert!(
        !r.stderr.contains("ex_panic was given 1") && !r.stderr.contains("panicked at"),
        "std's report reached the host's stderr: {c}"
    );
    // ... and RT0_TRACE=1 shows where and why.
    let r = run(
        &host("exports.c", "gcc", Link::Shared),
        &[("RT0_TRACE", "1")],
    );
    assert_eq!(r.field("panic_1"), "-2", "{r:?}");
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(": an export panicked at ")
                && l.contains("src/lib.rs:")
                && l.contains("ex_panic was given 1")),
        "{r:?}"
    );
}

#[test]
fn a_cxx_global_constructor_calling_an_export_gets_the_same_answer_static_and_shared() {
    let env = [("EXPORTS_INIT_SLEEP_MS", "100")];
    let stat = run(&host("early_ctor.cpp", "g++", Link::Static), &env);
    let shared = run(&host("early_ctor.cpp", "g++", Link::Shared), &env);
    for (label, r) in [("static", &stat), ("shared", &shared)] {
        let c = format!("{label}: {r:?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("ctor_result"), "42", "{c}");
        assert_eq!(r.field("main_result"), "43", "{c}");
    }
    // The static link really called the export before rt0's entry ran (it started the entry
    // itself); the shared one found init already running.
    assert_eq!(stat.field("ctor_state_before"), "0", "{stat:?}");
    assert_eq!(shared.field("ctor_state_before"), "1", "{shared:?}");
}

/// `creator = raw` in a library that links std is refused at compile time.
#[test]
fn a_std_library_choosing_the_raw_creator_does_not_compile() {
    let dir = root().join("target/raw-with-std");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"raw-with-std\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nrt0 = {{ path = {:?} }}\n\n\
             [workspace]\n\n[profile.dev]\npanic = \"abort\"\n",
            root().display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "rt0::lib_entry!(init, creator = raw);\n\
         fn init(_: &rt0::Args) -> Result<(), rt0::InitError> {\n    \
             println!(\"std on a raw thread\");\n    Ok(())\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(root().join("target/raw-with-std-build"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it compiled: {stderr}");
    // The error points at the lib_entry! line that asked for the raw creator.
    assert!(
        stderr.contains("duplicate lang item `panic_impl`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rt0::lib_entry!(init, creator = raw);"),
        "{stderr}"
    );
}

/// `RT0_TRACE=1`: one line on fd 2 for each step of the library's entry, its init thread and
/// the waits, so a stuck host can be diagnosed; nothing without it.
#[test]
fn rt0_trace_shows_the_entry_the_init_thread_and_the_waits() {
    for link in [Link::Static, Link::Shared] {
        let env = [("EXPORTS_INIT_SLEEP_MS", "200"), ("RT0_TRACE", "1")];
        let r = run(&host("exports.c", "gcc", link), &env);
        let c = format!("{link:?}: {r:?}");
        assert_eq!(r.field("add"), "42", "{c}");
        let trace = r.stderr_without_ids();
        let pin = match link {
            Link::Static => "rt0 exports: pin: linked into the program, never unloaded",
            Link::Shared => {
                "rt0 exports: pin: image pinned for the life of the process (RTLD_NODELETE)"
            }
        };
        let steps = [
            "rt0 exports: entry: starting init with the pthread creator, 8388608-byte stack, argc 1",
            pin,
            "rt0 exports: init thread started",
            "rt0 exports: waiting for init",
            "rt0 exports: init done",
        ];
        let mut at = 0;
        for step in steps {
            let found = trace[at..]
                .find(step)
                .unwrap_or_else(|| panic!("no `{step}` after the steps before it: {c}"));
            at += found + step.len();
        }
        let quiet = run(
            &host("exports.c", "gcc", link),
            &[("EXPORTS_INIT_SLEEP_MS", "10")],
        );
        assert!(
            !quiet.stderr.contains("rt0 exports"),
            "no trace without RT0_TRACE: {quiet:?}"
        );
    }
}
