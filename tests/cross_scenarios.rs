//! The demo's Linux scenarios on the other Linux ports, from this x86_64 machine:
//! aarch64 and riscv64 glibc under qemu-user (static, shared and dlopen links), and musl, where the loader
//! passes initializers no arguments and rt0 recovers argc/argv/envp itself (src/procself.rs):
//! x86_64 musl hosts built with `musl-gcc`, dynamic and fully static, run natively, and a
//! static aarch64 musl host under qemu-user. Every scenario runs on both paths (pthread, raw).
//!
//! `cargo test --test cross_scenarios`; the tools come from ci/needs/ports.txt.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
mod support;

use cross::Host;
use std::path::Path;
use std::time::Duration;
use support::scenarios::{self as s, Runner};
use support::{DemoPath, Link};

const ALL_HOSTS: [Host; 5] = [
    Host::Aarch64Gnu,
    Host::Riscv64Gnu,
    Host::MuslDynamic,
    Host::MuslStatic,
    Host::Aarch64MuslStatic,
];
/// qemu-user is slower than the hardware: a generous deadline, still a hang detector.
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `f` for every host in `hosts`, path and link, with a label naming the combination.
fn each(hosts: &[Host], source: &str, f: impl Fn(&str, Host, DemoPath, Link, Runner)) {
    for &host in hosts {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            for &link in host.links() {
                let exe = cross::build_host(host, &d, source, link);
                let runner = |args: &[&str], env: &[(&str, String)]| {
                    cross::run(host, &exe, args, env, &d, DEADLINE)
                };
                f(
                    &format!("{host:?}/{path:?}/{link:?}"),
                    host,
                    path,
                    link,
                    &runner,
                );
            }
        }
    }
}

#[test]
fn init_runs_on_another_thread_and_sees_argv() {
    each(&ALL_HOSTS, s::REPORT, |l, _, p, k, r| {
        s::init_runs_on_another_thread_and_sees_argv(l, p, k, r)
    });
}

/// musl passes nothing to initializers; rt0 finds the kernel's own vectors, so what would trip a
/// copy parsed from /proc/self/cmdline (empty arguments, '=' in arguments, many arguments) and
/// the environment (init reads its knobs from it) come through exactly.
#[test]
fn musl_init_sees_the_exact_argv_and_environment() {
    let musl = [Host::MuslDynamic, Host::MuslStatic, Host::Aarch64MuslStatic];
    let many: Vec<String> = (0..200).map(|i| format!("arg{i}")).collect();
    each(&musl, s::REPORT, |label, _, _, _, run| {
        let mut args: Vec<&str> = vec!["", "k=v", ""];
        args.extend(many.iter().map(String::as_str));
        let r = run(&args, &[("RT0_DEMO_INIT_SLEEP_MS", "1".into())]);
        let ctx = format!(
            "{label}: {}",
            r.stdout.lines().take(12).collect::<Vec<_>>().join(" | ")
        );
        assert_eq!(r.status, Some(0), "{ctx}\n{}", r.stderr);
        assert_eq!(r.num("argc"), 1 + 3 + 200, "{ctx}");
        assert_eq!(r.field("argv[1]"), "", "{ctx}");
        assert_eq!(r.field("argv[2]"), "k=v", "{ctx}");
        assert_eq!(r.field("argv[3]"), "", "{ctx}");
        assert_eq!(r.field("argv[203]"), "arg199", "{ctx}");
        assert_eq!(r.field("argv_past_end_is_null"), "1", "{ctx}");
        // And the plain case, one argument.
        let bare = run(&["only"], &[]);
        assert_eq!(bare.num("argc"), 2, "{label}: {bare:?}");
        assert_eq!(bare.field("argv[1]"), "only", "{label}: {bare:?}");
    });
}

/// `startstack` is found by counting /proc/self/stat's fields after the LAST ')': a command name
/// holding ") (" and spaces must not shift them.
#[test]
fn musl_recovery_survives_a_command_name_with_parentheses_and_spaces() {
    for host in [Host::MuslDynamic, Host::MuslStatic] {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            let exe = cross::build_host(host, &d, "report.c", Link::Static);
            let odd = exe.with_file_name("a) b (c");
            std::fs::copy(&exe, &odd).unwrap();
            let r = cross::run(host, &odd, &["x"], &[], &d, DEADLINE);
            let ctx = format!("{host:?}/{path:?}: {r:?}");
            assert_eq!(r.status, Some(0), "{ctx}");
            assert_eq!(r.num("argc"), 2, "{ctx}");
            assert!(r.field("argv[0]").ends_with("/a) b (c"), "{ctx}");
            assert_eq!(r.field("argv[1]"), "x", "{ctx}");
        }
    }
}

/// A dynamic musl program started by naming its loader (`ld-musl-x86_64.so.1 ./host x y`):
/// musl's loader skips its own name in place, writing the program's argc over the first argv
/// slot. Init sees the program's own arguments (`./host x y`), never that number as a string.
#[test]
fn musl_program_started_through_its_loader_sees_its_own_arguments() {
    let ld_musl = Path::new("/lib/ld-musl-x86_64.so.1");
    for path in DemoPath::ALL {
        let d = cross::demo(Host::MuslDynamic, path);
        let exe = cross::build_host(Host::MuslDynamic, &d, "report.c", Link::Static);
        let mut cmd = support::command_for(ld_musl, Some(&d), &[]);
        cmd.arg(&exe).args(["x", "y"]);
        let r = support::run_command(cmd, "ld-musl report", DEADLINE);
        let ctx = format!("{path:?}: {r:?}");
        assert_eq!(r.signal, None, "{ctx}");
        assert_eq!(r.status, Some(0), "{ctx}");
        assert_eq!(r.num("argc"), 3, "{ctx}");
        assert_eq!(r.field("argv[0]"), exe.display().to_string(), "{ctx}");
        assert_eq!(r.field("argv[1]"), "x", "{ctx}");
        assert_eq!(r.field("argv[2]"), "y", "{ctx}");
    }
}

/// Without /proc there is nothing to recover from: init still runs and succeeds, and sees no
/// arguments rather than wrong ones. Needs a private mount namespace, so root: ci/test runs it
/// as root.
#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn musl_without_proc_init_succeeds_with_no_arguments() {
    let unshare = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "true"])
        .output()
        .expect("run unshare (util-linux)");
    assert!(
        unshare.status.success(),
        "no private mount namespace here (needs root: run this test as root, as ci/test does): {unshare:?}"
    );
    for host in [Host::MuslDynamic, Host::MuslStatic] {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            let exe = cross::build_host(host, &d, "report.c", Link::Static);
            // unshare and umount need root; a raw-creator host then runs as nobody (the raw
            // creator refuses a process that can change its ids).
            let exec = if path == DemoPath::Raw {
                "umount -l /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" \"$@\""
            } else {
                "umount -l /proc && exec \"$0\" \"$@\""
            };
            let out = std::process::Command::new("timeout")
                .args([
                    "60",
                    "unshare",
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    exec,
                ])
                .arg(&exe)
                .args(["a", "b"])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let ctx = format!("{host:?}/{path:?}: {out:?}");
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            assert!(stdout.lines().any(|l| l == "ready=1"), "{ctx}");
            assert!(stdout.lines().any(|l| l == "argc=0"), "{ctx}");
        }
    }
}

#[test]
fn init_thread_blocks_async_signals_but_not_faults() {
    each(&ALL_HOSTS, s::REPORT, |l, _, _, _, r| {
        s::init_thread_blocks_async_signals_but_not_faults(l, r)
    });
}

#[test]
fn host_main_runs_while_slow_init_is_still_running() {
    each(&ALL_HOSTS, s::REPORT, |l, _, _, _, r| {
        s::host_main_runs_while_slow_init_is_still_running(l, r)
    });
}

#[test]
fn sixteen_threads_calling_during_slow_init_all_wait_and_get_1() {
    each(&ALL_HOSTS, s::THREADS, |l, _, _, _, r| {
        s::sixteen_threads_calling_during_slow_init_all_wait_and_get_1(l, r)
    });
}

#[test]
fn failing_init_reports_0_without_hanging() {
    each(&ALL_HOSTS, s::REPORT, |l, _, _, _, r| {
        s::failing_init_reports_0_without_hanging(l, r)
    });
}

#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each(&ALL_HOSTS, s::REPORT, |l, _, p, _, r| {
        s::init_stack_that_cannot_be_mapped_fails_init_not_the_host(l, p, r)
    });
}

/// Not on the aarch64 musl host: it is compiled with glibc's cross headers against musl's libc.a
/// (Debian has no aarch64 musl-gcc), and the two libraries' signal structures may differ.
#[test]
fn host_signal_mask_and_handlers_are_unchanged() {
    let hosts = [
        Host::Aarch64Gnu,
        Host::Riscv64Gnu,
        Host::MuslDynamic,
        Host::MuslStatic,
    ];
    each(&hosts, s::SIGNALS, |l, _, _, _, r| {
        s::host_signal_mask_and_handlers_are_unchanged(l, r)
    });
}

#[test]
fn newosproc0_failure_prints_the_exact_message_and_exits_1() {
    each(&ALL_HOSTS, s::NEWOSPROC0, |l, _, _, _, r| {
        s::newosproc0_failure_prints_the_exact_message_and_exits_1(l, r)
    });
}

#[test]
fn try_newosproc0_returns_the_errno_and_changes_nothing() {
    each(&ALL_HOSTS, s::NEWOSPROC0, |l, _, _, _, r| {
        s::try_newosproc0_returns_the_errno_and_changes_nothing(l, r)
    });
}
