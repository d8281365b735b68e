//! The kernel model without rt0: a C host drives bsdthread_register/create/terminate and the
//! ulock calls directly, on x86_64 and on aarch64 (`--no-demo`), with both thread-start stack
//! conventions. This is also how a new darwin port is brought up before its stubs exist.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

fn bringup(triple: &str, legacy: bool) -> (i32, String, String) {
    bringup_args(triple, legacy, &[])
}

fn bringup_args(triple: &str, legacy: bool, args: &[&str]) -> (i32, String, String) {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let tdir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bringup-{triple}"));
    let mut c = Command::new(env!("CARGO_BIN_EXE_rt0-port"));
    c.current_dir(support::root())
        .args([
            "emulate",
            triple,
            "--no-demo",
            "--raw",
            "--no-check",
            "--host",
        ])
        .arg(support::host("bringup.c"))
        .arg("--target-dir")
        .arg(&tdir)
        .env_remove("RT0_ARCH_DIR")
        .env_remove("RT0_WORKSPACE");
    if legacy {
        c.arg("--legacy-stack");
    }
    c.arg("--").args(args);
    let out = c.output().expect("run rt0-port");
    let r = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    eprintln!("{triple} legacy={legacy}: status {}\n{}{}", r.0, r.1, r.2);
    r
}

fn check(triple: &str, legacy: bool) {
    let (status, out, err) = bringup(triple, legacy);
    let want =
        "register=1\nregister_again=-22\nmmap_ok=1\ncreate=0\nchild_arg=24301\nno_custom=-22\n\
                timeout=-60\ntimeout_no_errno=-60\nvalue_changed=0\nwake_nobody=-2\n";
    assert_eq!(out, want, "stderr: {err}");
    assert_eq!(status, 0, "stderr: {err}");
}

#[test]
fn x86_64_bringup() {
    check("x86_64-apple-darwin", false);
}

#[test]
fn x86_64_bringup_legacy_stack() {
    check("x86_64-apple-darwin", true);
}

#[test]
fn aarch64_bringup() {
    check("aarch64-apple-darwin", false);
}

#[test]
fn aarch64_bringup_legacy_stack() {
    check("aarch64-apple-darwin", true);
}

#[test]
fn a_wait_nobody_can_end_is_reported_as_a_deadlock() {
    for triple in ["x86_64-apple-darwin", "aarch64-apple-darwin"] {
        let (status, _out, err) = bringup_args(triple, false, &["deadlock"]);
        assert_eq!(status, 125, "{err}");
        assert!(
            err.contains("deadlock: every thread is blocked with no timeout (thread 1 waits on 0x"),
            "{err}"
        );
    }
}
