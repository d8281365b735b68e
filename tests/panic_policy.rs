//! One panic policy for everything rt0 runs of a library (tests/crates/panic-init, built with
//! `panic = "unwind"`): a panic in the library's `stack_size` function, which runs on the
//! loader's thread inside the entry, is caught like one in init (the host goes on, exports
//! answer `Panicked`), in a static C host and under Python's `ctypes.CDLL`; nothing reaches the
//! host's stderr unless `RT0_TRACE=1`. A panic that cannot unwind (one that reaches an
//! `extern "C"` function) ends the process, and its message and location reach fd 2 first.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::{compile_once, root, run_command, Run};

fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_test_crate("panic-init", "panic-policy"))
}

/// `rel_panic.c` linked against the static library, with the system libraries a std staticlib
/// needs on glibc (rustc's `--print native-static-libs`).
fn static_host() -> PathBuf {
    let dir = built();
    compile_once(dir.join("rel_panic-static"), "rel_panic.c", |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-Wall", "-Werror"])
            .arg(root().join("tests/hosts/rel_panic.c"))
            .arg(dir.join("librt0_panic_init.a"))
            .args(support::STD_STATIC_LIBS)
            .arg("-o")
            .arg(tmp);
        cmd
    })
}

fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args).env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, &program.display().to_string(), Duration::from_secs(60))
}

const STACK_SIZE_MESSAGE: &str =
    "rt0: the stack_size function panicked: stack_size gave up on PANIC_STACK_SIZE";

fn check_stack_size_panic_caught(r: &Run, what: &str) {
    let c = format!("{what}: {r:#?}");
    assert_eq!(r.signal, None, "{c}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert_eq!(r.field("kind"), "panicked", "{c}");
    assert_eq!(r.field("error"), STACK_SIZE_MESSAGE, "{c}");
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

#[test]
fn a_panicking_stack_size_function_is_caught_in_a_static_host_and_under_python() {
    let host = static_host();
    let r = run(&host, &[], &[("PANIC_STACK_SIZE", "1")]);
    check_stack_size_panic_caught(&r, "static C host");
    assert!(
        !r.stderr.contains("panicked at"),
        "std's report reached the host's stderr: {r:#?}"
    );
    let traced = run(&host, &[], &[("PANIC_STACK_SIZE", "1"), ("RT0_TRACE", "1")]);
    check_stack_size_panic_caught(&traced, "static C host, traced");
    assert!(
        traced.stderr.lines().any(|l| l
            .contains(": the stack_size function panicked at src/lib.rs:")
            && l.contains("stack_size gave up on PANIC_STACK_SIZE")),
        "{traced:#?}"
    );

    let script = root().join("tests/support/python/panic_stack_size.py");
    let so = built().join("librt0_panic_init.so");
    let r = run(
        Path::new("/usr/bin/python3"),
        &[script.to_str().unwrap(), so.to_str().unwrap()],
        &[("PANIC_STACK_SIZE", "1")],
    );
    check_stack_size_panic_caught(&r, "python3 ctypes");
    assert!(!r.stderr.contains("panicked at"), "{r:#?}");
}

#[test]
fn a_panic_that_cannot_unwind_ends_the_process_with_its_message_on_stderr() {
    let r = run(&static_host(), &[], &[("PANIC_INIT", "abort")]);
    let c = format!("{r:#?}");
    assert_eq!(r.signal, Some(6), "the process must abort: {c}");
    // The panic's own message and location, which std's abort line alone does not give...
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(": init panicked at src/lib.rs:")
                && l.contains("the callback gave up")),
        "{c}"
    );
    // ... and the one that aborts, saying why.
    assert!(r.stderr.contains("cannot unwind"), "{c}");
}
