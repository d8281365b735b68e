//! The demo's scenarios on a real Linux kernel: C hosts link the demo as a static archive (the
//! ordinary way, no --whole-archive), as a shared library, and through dlopen, on both the
//! pthread and the raw path.

#![cfg(target_os = "linux")]

mod support;

use support::{demo, host, run, DemoPath, Link, Run};

const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];

/// Runs `f` for every path and link, naming the combination in any failure.
fn each(source: &str, f: impl Fn(DemoPath, Link, &dyn Fn(&[&str], &[(&str, String)]) -> Run)) {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, source, link);
            let runner = |args: &[&str], env: &[(&str, String)]| run(&exe, args, env, &d);
            f(path, link, &runner);
        }
    }
}

fn bit(signo: u32) -> u64 {
    1u64 << (signo - 1)
}

#[test]
fn init_runs_on_another_thread_and_sees_argv() {
    each("report.c", |path, link, run| {
        let r = run(&["alpha", "two words", "ünïcode"], &[]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{ctx}");
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("path"), path.name(), "{ctx}");
        // The loader ran the entry on the main thread; init ran on a thread of its own.
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

#[test]
fn init_thread_blocks_async_signals_but_not_faults() {
    each("report.c", |path, link, run| {
        let r = run(&[], &[]);
        let mask = r.num("init_sigmask") as u64;
        let ctx = format!("{path:?}/{link:?}: mask {mask:#x}");
        // Process-directed signals must go to the host's threads, never to init.
        for sig in [1, 2, 3, 10, 12, 13, 14, 15, 17, 28] {
            assert_ne!(mask & bit(sig), 0, "signal {sig} not blocked in init: {ctx}");
        }
        // Faults stay deliverable, so a crash in init is reported as one.
        for sig in [4, 5, 7, 8, 11] {
            assert_eq!(mask & bit(sig), 0, "fault signal {sig} blocked in init: {ctx}");
        }
    });
}

#[test]
fn host_main_runs_while_slow_init_is_still_running() {
    each("report.c", |path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "600".into())]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        // The entry returned at once: main (or dlopen's caller) found init still running...
        assert_eq!(r.field("state_at_main"), "1", "{ctx}");
        // ...and the export waited for it to finish.
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("state_after"), "2", "{ctx}");
    });
}

#[test]
fn sixteen_threads_calling_during_slow_init_all_wait_and_get_1() {
    each("threads.c", |path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "500".into())]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{ctx}");
        assert_eq!(r.num("ones"), 16, "{ctx}");
        assert!(r.num("saw_running") > 0, "no caller arrived while init ran, so nothing waited: {ctx}");
    });
}

#[test]
fn failing_init_reports_0_without_hanging() {
    each("report.c", |path, link, run| {
        let r = run(&[], &[("RT0_DEMO_INIT_FAIL", "1".into())]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        assert_eq!(r.status, Some(1), "{ctx}");
        assert_eq!(r.field("ready"), "0", "{ctx}");
        assert_eq!(r.field("state_after"), "3", "{ctx}");
        assert_eq!(r.field("error"), "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)", "{ctx}");
    });
}

#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each("report.c", |path, link, run| {
        let r = run(&[], &[("RT0_DEMO_STACK_BYTES", (1u64 << 62).to_string())]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        assert_eq!(r.signal, None, "{ctx}");
        assert_eq!(r.status, Some(1), "{ctx}");
        assert_eq!(r.field("ready"), "0", "{ctx}");
        let want = match path {
            // The raw path maps the stack itself and knows the mapping failed.
            DemoPath::Raw => "rt0: failed to allocate the init thread's stack (errno 12); exports will report failure\n",
            // pthread_create reports a stack it cannot allocate as EAGAIN.
            DemoPath::Pthread => "rt0: failed to create the init thread (errno 11); exports will report failure\n",
        };
        assert_eq!(r.stderr, want, "{ctx}");
    });
}

#[test]
fn host_signal_mask_and_handlers_are_unchanged() {
    each("signals.c", |path, link, run| {
        let r = run(&[], &[]);
        let ctx = format!("{path:?}/{link:?}: {r:?}");
        assert_eq!(r.field("ready"), "1", "{ctx}");
        assert_eq!(r.field("mask_unchanged"), "1", "{ctx}");
        assert_eq!(r.field("handler_kept"), "1", "{ctx}");
        assert_eq!(r.field("handler_ran"), "1", "{ctx}");
        assert_eq!(r.field("foreign_handlers"), "0", "{ctx}");
    });
}

#[test]
fn newosproc0_failure_prints_the_exact_message_and_exits_1() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "newosproc0.c", Link::Static);
        let r = run(&exe, &["fail-stack"], &[], &d);
        assert_eq!(r.status, Some(1), "{path:?}: {r:?}");
        assert_eq!(r.stderr, "rt0: failed to allocate stack for the new OS thread\n", "{path:?}: {r:?}");
        assert!(!r.stdout.contains("returned"), "{path:?}: newosproc0 returned after failing: {r:?}");
    }
}

#[test]
fn try_newosproc0_returns_the_errno_and_changes_nothing() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "newosproc0.c", Link::Static);
        let r = run(&exe, &["try-stack"], &[], &d);
        assert_eq!(r.status, Some(0), "{path:?}: {r:?}");
        assert_eq!(r.num("errno"), 12, "{path:?}: {r:?}");
        assert_eq!(r.field("mask_unchanged"), "1", "{path:?}: {r:?}");
        let ok = run(&exe, &["ok"], &[], &d);
        assert_eq!(ok.field("created"), "1", "{path:?}: {ok:?}");
        assert_eq!(ok.field("mask_unchanged"), "1", "{path:?}: {ok:?}");
    }
}
