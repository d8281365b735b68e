//! The demo's Linux scenarios on the other Linux ports, from this x86_64 machine:
//! aarch64 glibc under qemu-user (static, shared and dlopen links), and musl, where the loader
//! passes initializers no arguments and rt0 recovers argc/argv/envp itself (src/procself.rs):
//! x86_64 musl hosts built with `musl-gcc`, dynamic and fully static, run natively, and a
//! static aarch64 musl host under qemu-user. Every scenario runs on both paths (pthread, raw).
//!
//! `cargo test --test cross_scenarios`; the tools come from ci/needs/ports.txt.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;
#[path = "support/cross.rs"]
mod cross;

use cross::Host;
use std::time::Duration;
use support::{DemoPath, Link, Run};

const ALL_HOSTS: [Host; 4] = [Host::Aarch64Gnu, Host::MuslDynamic, Host::MuslStatic, Host::Aarch64MuslStatic];
/// qemu-user is slower than the hardware: a generous deadline, still a hang detector.
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `f` for every host in `hosts`, path and link, naming the combination in any failure.
fn each(hosts: &[Host], source: &str, f: impl Fn(Host, DemoPath, Link, &dyn Fn(&[&str], &[(&str, String)]) -> Run)) {
    for &host in hosts {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            for &link in host.links() {
                let exe = cross::build_host(host, &d, source, link);
                let runner = |args: &[&str], env: &[(&str, String)]| cross::run(host, &exe, args, env, &d, DEADLINE);
                f(host, path, link, &runner);
            }
        }
    }
}

fn bit(signo: u32) -> u64 {
    1u64 << (signo - 1)
}

#[test]
fn init_runs_on_another_thread_and_sees_argv() {
    each(&ALL_HOSTS, "report.c", |host, path, link, run| {
        let r = run(&["alpha", "two words", "ünïcode"], &[]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{ctx}");
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("path"), path.name(), "{ctx}");
        assert_eq!(r.num("entry_tid"), r.num("main_tid"), "{ctx}");
        assert_ne!(r.num("init_tid"), r.num("entry_tid"), "{ctx}");
        assert!(r.num("init_tid") > 0, "{ctx}");
        assert_eq!(r.num("argc"), 4, "{ctx}");
        assert!(r.field("argv[0]").ends_with(&format!("report-{}", format!("{link:?}").to_lowercase())), "{ctx}");
        assert_eq!(r.field("argv[1]"), "alpha", "{ctx}");
        assert_eq!(r.field("argv[2]"), "two words", "{ctx}");
        assert_eq!(r.field("argv[3]"), "ünïcode", "{ctx}");
        assert_eq!(r.field("argv_past_end_is_null"), "1", "{ctx}");
        assert_eq!(r.field("error"), "(none)", "{ctx}");
        assert!(r.stderr.is_empty(), "{ctx}");
    });
}

/// musl passes nothing to initializers; rt0 finds the kernel's own vectors, so what would trip a
/// copy parsed from /proc/self/cmdline (empty arguments, '=' in arguments, many arguments) and
/// the environment (init reads its knobs from it) come through exactly.
#[test]
fn musl_init_sees_the_exact_argv_and_environment() {
    let musl = [Host::MuslDynamic, Host::MuslStatic, Host::Aarch64MuslStatic];
    let many: Vec<String> = (0..200).map(|i| format!("arg{i}")).collect();
    each(&musl, "report.c", |host, path, link, run| {
        let mut args: Vec<&str> = vec!["", "k=v", ""];
        args.extend(many.iter().map(String::as_str));
        let r = run(&args, &[("RT0_DEMO_INIT_SLEEP_MS", "1".into())]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {}", r.stdout.lines().take(12).collect::<Vec<_>>().join(" | "));
        assert_eq!(r.status, Some(0), "{ctx}\n{}", r.stderr);
        assert_eq!(r.num("argc"), 1 + 3 + 200, "{ctx}");
        assert_eq!(r.field("argv[1]"), "", "{ctx}");
        assert_eq!(r.field("argv[2]"), "k=v", "{ctx}");
        assert_eq!(r.field("argv[3]"), "", "{ctx}");
        assert_eq!(r.field("argv[203]"), "arg199", "{ctx}");
        assert_eq!(r.field("argv_past_end_is_null"), "1", "{ctx}");
        // And the plain case, one argument.
        let bare = run(&["only"], &[]);
        assert_eq!(bare.num("argc"), 2, "{host:?}/{path:?}: {bare:?}");
        assert_eq!(bare.field("argv[1]"), "only", "{host:?}/{path:?}: {bare:?}");
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

/// Without /proc there is nothing to recover from: init still runs and succeeds, and sees no
/// arguments rather than wrong ones. Needs a private mount namespace (root; CI runs as root):
/// where `unshare -m` is refused the test says so and checks nothing.
#[test]
fn musl_without_proc_init_succeeds_with_no_arguments() {
    let can_unshare = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !can_unshare {
        eprintln!("musl_without_proc_init_succeeds_with_no_arguments: no private mount namespace here (needs root); skipped");
        return;
    }
    for host in [Host::MuslDynamic, Host::MuslStatic] {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            let exe = cross::build_host(host, &d, "report.c", Link::Static);
            let out = std::process::Command::new("timeout")
                .args(["60", "unshare", "-m", "--propagation", "private", "sh", "-c", "umount -l /proc && exec \"$0\" \"$@\""])
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
    each(&ALL_HOSTS, "report.c", |host, path, link, run| {
        let r = run(&[], &[]);
        let mask = r.num("init_sigmask") as u64;
        let ctx = format!("{host:?}/{path:?}/{link:?}: mask {mask:#x}");
        for sig in [1, 2, 3, 10, 12, 13, 14, 15, 17, 28] {
            assert_ne!(mask & bit(sig), 0, "signal {sig} not blocked in init: {ctx}");
        }
        for sig in [4, 5, 7, 8, 11] {
            assert_eq!(mask & bit(sig), 0, "fault signal {sig} blocked in init: {ctx}");
        }
    });
}

#[test]
fn host_main_runs_while_slow_init_is_still_running() {
    each(&ALL_HOSTS, "report.c", |host, path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "600".into())]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.field("state_at_main"), "1", "{ctx}");
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("state_after"), "2", "{ctx}");
    });
}

#[test]
fn sixteen_threads_calling_during_slow_init_all_wait_and_get_1() {
    each(&ALL_HOSTS, "threads.c", |host, path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "500".into())]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{ctx}");
        assert_eq!(r.num("ones"), 16, "{ctx}");
        assert!(r.num("saw_running") > 0, "no caller arrived while init ran, so nothing waited: {ctx}");
    });
}

#[test]
fn failing_init_reports_0_without_hanging() {
    each(&ALL_HOSTS, "report.c", |host, path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_FAIL", "1".into())]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(1), "{ctx}");
        assert_eq!(r.field("ready"), "0", "{ctx}");
        assert_eq!(r.field("state_after"), "3", "{ctx}");
        assert_eq!(r.field("error"), "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)", "{ctx}");
    });
}

#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each(&ALL_HOSTS, "report.c", |host, path, link, run| {
        let r = run(&[], &[("RT0_DEMO_STACK_BYTES", (1u64 << 62).to_string())]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.signal, None, "{ctx}");
        assert_eq!(r.status, Some(1), "{ctx}");
        assert_eq!(r.field("ready"), "0", "{ctx}");
        let want = match path {
            // The raw path maps the stack itself and knows the mapping failed.
            DemoPath::Raw => "rt0: failed to allocate the init thread's stack (errno 12); exports will report failure\n",
            // glibc's and musl's pthread_create both report a stack they cannot map as EAGAIN.
            DemoPath::Pthread => "rt0: failed to create the init thread (errno 11); exports will report failure\n",
        };
        assert_eq!(r.stderr, want, "{ctx}");
    });
}

#[test]
fn host_signal_mask_and_handlers_are_unchanged() {
    each(&[Host::Aarch64Gnu, Host::MuslDynamic, Host::MuslStatic], "signals.c", |host, path, link, run| {
        let r = run(&[], &[]);
        let ctx = format!("{host:?}/{path:?}/{link:?}: {r:?}");
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("mask_unchanged"), "1", "{ctx}");
        assert_eq!(r.field("handler_kept"), "1", "{ctx}");
        assert_eq!(r.field("handler_ran"), "1", "{ctx}");
        assert_eq!(r.field("foreign_handlers"), "0", "{ctx}");
    });
}

#[test]
fn newosproc0_failure_prints_the_exact_message_and_exits_1() {
    for host in ALL_HOSTS {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            let exe = cross::build_host(host, &d, "newosproc0_cross.c", Link::Static);
            let r = cross::run(host, &exe, &["fail-stack"], &[], &d, DEADLINE);
            assert_eq!(r.status, Some(1), "{host:?}/{path:?}: {r:?}");
            assert_eq!(r.stderr, "rt0: failed to allocate stack for the new OS thread\n", "{host:?}/{path:?}: {r:?}");
            assert!(!r.stdout.contains("returned"), "{host:?}/{path:?}: newosproc0 returned after failing: {r:?}");
        }
    }
}

#[test]
fn try_newosproc0_returns_the_errno_and_changes_nothing() {
    for host in ALL_HOSTS {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            let exe = cross::build_host(host, &d, "newosproc0_cross.c", Link::Static);
            let r = cross::run(host, &exe, &["try-stack"], &[], &d, DEADLINE);
            assert_eq!(r.status, Some(0), "{host:?}/{path:?}: {r:?}");
            assert_eq!(r.num("errno"), 12, "{host:?}/{path:?}: {r:?}");
            assert_eq!(r.field("mask_unchanged"), "1", "{host:?}/{path:?}: {r:?}");
            let ok = cross::run(host, &exe, &["ok"], &[], &d, DEADLINE);
            assert_eq!(ok.field("created"), "1", "{host:?}/{path:?}: {ok:?}");
            assert_eq!(ok.field("mask_unchanged"), "1", "{host:?}/{path:?}: {ok:?}");
            assert_eq!(ok.field("usr2_still_blocked"), "1", "{host:?}/{path:?}: {ok:?}");
        }
    }
}
