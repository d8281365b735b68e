//! What the raw creator does where its thread could not be made safe, and what reaches it: each
//! hazard has a documented outcome (docs/reliability.md), never a silent privilege or a crash.
//!
//! - A host that can change its ids (root) and drops them during init: the raw creator refused
//!   to start (a raw thread, unknown to the C library, would have kept root), so no thread of
//!   the process keeps a uid the host dropped. The same where only another thread than the
//!   loading one can still change them (capabilities are per thread).
//! - Host signal handlers that save and restore `errno` (a thread-local access) while a raw init
//!   runs: a seccomp SIGSYS trap of the host's own calls and a storm of process-directed signals
//!   never run a handler on the raw init thread, which has no thread pointer.
//! - aarch64 under qemu-user: a lazily bound host whose raw init calls `Args::env` (strlen and
//!   bcmp through the PLT, which would enter glibc's lazy resolver) is refused with a message
//!   naming `-z now`; linked with `-z now`, or run with `LD_BIND_NOW=1`, init runs.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
mod support;

use cross::Host;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{demo, host, run, run_with, DemoPath, Link, Run, RUN_AS};

const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];
const CREDENTIALS_REFUSAL: &str = "rt0 rt0-demo: the raw creator refuses to start init in a process that can change its user or group ids";
const LAZY_REFUSAL: &str =
    "rt0 rt0-demo: the raw creator refuses to start init in an image whose calls are bound lazily";

#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn a_root_host_dropping_its_ids_during_init_keeps_no_privileged_thread() {
    assert!(
        support::running_as_root(),
        "a host that drops root needs root: run this test as root (ci/test does)"
    );
    let d = demo(DemoPath::Raw);
    for link in LINKS {
        let exe = host(&d, "rel_setid.c", link);
        let r = run_with(
            &exe,
            &[],
            &[
                (RUN_AS, "root".into()),
                ("RT0_DEMO_INIT_SLEEP_MS", "300".into()),
            ],
            Duration::from_secs(30),
            Some(&d),
        );
        let c = format!("{link:?}: {r:#?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("uid_start"), "0", "{c}");
        // Refused at the entry, before any thread existed: init failed at once.
        assert_eq!(r.field("state_before"), "3", "{c}");
        assert_eq!(r.field("setuid"), "0", "{c}");
        assert_eq!(r.field("uid_end"), "65534", "{c}");
        assert_eq!(r.field("threads_not_dropped"), "0", "{c}");
        assert_eq!(r.field("ready"), "0", "{c}");
        assert!(
            r.stderr_without_ids().starts_with(CREDENTIALS_REFUSAL),
            "{c}"
        );
        assert!(
            r.field("error").starts_with("rt0: the raw creator refuses"),
            "{c}"
        );
    }
}

/// Root whose loading thread dropped every capability while another thread kept them: the
/// process can still change its ids, through that thread, so the raw creator refuses; without
/// such a thread it starts.
#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn a_capability_kept_by_another_thread_keeps_the_raw_creator_refused() {
    assert!(
        support::running_as_root(),
        "a host thread holding CAP_SETUID needs root: run this test as root (ci/test does)"
    );
    let d = demo(DemoPath::Raw);
    let exe = host(&d, "raw_caps.c", Link::Dlopen);
    let env = [(RUN_AS, "root".to_string())];
    let r = run_with(
        &exe,
        &["with-helper"],
        &env,
        Duration::from_secs(30),
        Some(&d),
    );
    let c = format!("with a capable thread: {r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("capset"), "0", "{c}");
    assert_eq!(r.field("uid"), "0", "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert!(
        r.field("error").starts_with("rt0: the raw creator refuses"),
        "{c}"
    );
    assert!(
        r.stderr_without_ids().starts_with(CREDENTIALS_REFUSAL),
        "{c}"
    );
    let r = run_with(&exe, &["alone"], &env, Duration::from_secs(30), Some(&d));
    let c = format!("alone: {r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("error"), "(none)", "{c}");
}

#[test]
fn host_handlers_touching_errno_never_run_on_the_raw_init_thread() {
    let d = demo(DemoPath::Raw);
    for link in LINKS {
        let exe = host(&d, "raw_signals.c", link);
        let r = run(&exe, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "300".into())], &d);
        let c = format!("{link:?}: {r:#?}");
        assert_eq!(r.signal, None, "{c}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("seccomp"), "0", "{c}");
        assert_eq!(r.field("path"), "raw", "{c}");
        assert_eq!(
            r.field("state_during"),
            "1",
            "the signals came while init ran: {c}"
        );
        assert!(r.num("sigsys") > 0, "{c}");
        assert!(r.num("usr1") > 0, "{c}");
        assert_eq!(r.field("handlers_on_init_thread"), "0", "{c}");
        assert_eq!(r.field("ready"), "1", "{c}");
    }
}

/// aarch64's report host, built with the given extra link flags.
fn aarch64_report_host(d: &support::Demo, name: &str, flags: &[&str]) -> std::path::PathBuf {
    cross::require("aarch64-linux-gnu-gcc");
    let out = d.dir.join("hosts").join(name);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    support::compile_once(out, "tests/hosts/report.c for aarch64", |tmp| {
        let mut cmd = Command::new("aarch64-linux-gnu-gcc");
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg("-I")
            .arg(support::root().join("examples/demo/include"))
            .arg(support::root().join("tests/hosts/report.c"))
            .args(flags)
            .arg(d.staticlib())
            .arg("-o")
            .arg(tmp);
        cmd
    })
}

fn run_aarch64(exe: &Path, d: &support::Demo, env: &[(&str, String)]) -> Run {
    cross::run(
        Host::Aarch64Gnu,
        exe,
        &["x"],
        env,
        d,
        Duration::from_secs(120),
    )
}

#[test]
fn aarch64_lazily_bound_host_is_refused_and_bound_hosts_run_raw_init() {
    let d = cross::demo(Host::Aarch64Gnu, DemoPath::Raw);
    // Debian's gcc binds lazily by default; the demo's init calls Args::env.
    let lazy = aarch64_report_host(&d, "report-lazy", &["-Wl,-z,lazy"]);
    let r = run_aarch64(&lazy, &d, &[]);
    let c = format!("lazy: {r:#?}");
    assert_eq!(r.signal, None, "no crash: {c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert!(r.stderr_without_ids().starts_with(LAZY_REFUSAL), "{c}");
    assert!(
        r.stderr.contains("-z now"),
        "the message says what to do: {c}"
    );

    let r = run_aarch64(&lazy, &d, &[("LD_BIND_NOW", "1".into())]);
    assert_eq!(r.field("ready"), "1", "LD_BIND_NOW=1: {r:#?}");
    assert_eq!(r.field("argc"), "2", "{r:#?}");

    let now = aarch64_report_host(&d, "report-now", &["-Wl,-z,now"]);
    let r = run_aarch64(&now, &d, &[]);
    assert_eq!(r.status, Some(0), "-z now: {r:#?}");
    assert_eq!(r.field("ready"), "1", "{r:#?}");
    assert_eq!(r.field("path"), "raw", "{r:#?}");
}
