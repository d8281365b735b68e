//! The demo's scenarios, written once. `tests/linux_scenarios.rs` runs them on this machine's
//! kernel; `tests/cross_scenarios.rs` runs the same checks on the other Linux ports (aarch64
//! under qemu-user, musl). Each takes a label for failure messages and a runner that executes
//! the scenario's host (named by the constant beside it) with arguments and environment.

use super::{DemoPath, Link, Run};

/// Runs the scenario's host with `args` and extra environment.
pub type Runner<'a> = &'a dyn Fn(&[&str], &[(&str, String)]) -> Run;

/// The host most scenarios use: it reports what init saw as key=value lines.
pub const REPORT: &str = "report.c";
/// The host whose 16 threads call an export while init runs.
pub const THREADS: &str = "threads.c";
/// The host that checks its own signal state around rt0.
pub const SIGNALS: &str = "signals.c";
/// The host that drives `newosproc0` through the demo's exports.
pub const NEWOSPROC0: &str = "newosproc0.c";

fn bit(signo: u32) -> u64 {
    1u64 << (signo - 1)
}

/// [`REPORT`]: init ran on a thread of its own, the entry on the loading (main) thread, and
/// init saw argv exactly.
pub fn init_runs_on_another_thread_and_sees_argv(
    label: &str,
    path: DemoPath,
    link: Link,
    run: Runner,
) {
    let r = run(&["alpha", "two words", "ünïcode"], &[]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.status, Some(0), "{ctx}");
    assert_eq!(r.field("ready"), "1", "{ctx}");
    assert_eq!(r.field("path"), path.name(), "{ctx}");
    // The loader ran the entry on the main thread; init ran on a thread of its own.
    assert_eq!(r.num("entry_tid"), r.num("main_tid"), "{ctx}");
    assert_ne!(r.num("init_tid"), r.num("entry_tid"), "{ctx}");
    assert!(r.num("init_tid") > 0, "{ctx}");
    assert_eq!(r.num("argc"), 4, "{ctx}");
    assert!(
        r.field("argv[0]")
            .ends_with(&format!("report-{link:?}").to_lowercase()),
        "{ctx}"
    );
    assert_eq!(r.field("argv[1]"), "alpha", "{ctx}");
    assert_eq!(r.field("argv[2]"), "two words", "{ctx}");
    assert_eq!(r.field("argv[3]"), "ünïcode", "{ctx}");
    assert_eq!(r.field("argv_past_end_is_null"), "1", "{ctx}");
    assert_eq!(r.field("error"), "(none)", "{ctx}");
    assert!(r.stderr.is_empty(), "{ctx}");
}

/// [`REPORT`]: process-directed signals are blocked in init, faults are not.
pub fn init_thread_blocks_async_signals_but_not_faults(label: &str, run: Runner) {
    let r = run(&[], &[]);
    let mask = r.num("init_sigmask") as u64;
    let ctx = format!("{label}: mask {mask:#x}");
    // Process-directed signals must go to the host's threads, never to init.
    for sig in [1, 2, 3, 10, 12, 13, 14, 15, 17, 28] {
        assert_ne!(
            mask & bit(sig),
            0,
            "signal {sig} not blocked in init: {ctx}"
        );
    }
    // Faults stay deliverable, so a crash in init is reported as one.
    for sig in [4, 5, 7, 8, 11] {
        assert_eq!(
            mask & bit(sig),
            0,
            "fault signal {sig} blocked in init: {ctx}"
        );
    }
}

/// [`REPORT`]: the entry returns at once, so main (or dlopen's caller) finds a 600 ms init still
/// running, and the first export waits for it.
pub fn host_main_runs_while_slow_init_is_still_running(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "600".into())]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.field("state_at_main"), "1", "{ctx}");
    assert_eq!(r.field("ready"), "1", "{ctx}");
    assert_eq!(r.field("state_after"), "2", "{ctx}");
}

/// [`THREADS`]: 16 host threads calling during a 500 ms init all wait and all get 1.
pub fn sixteen_threads_calling_during_slow_init_all_wait_and_get_1(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "500".into())]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.status, Some(0), "{ctx}");
    assert_eq!(r.num("ones"), 16, "{ctx}");
    assert!(
        r.num("saw_running") > 0,
        "no caller arrived while init ran, so nothing waited: {ctx}"
    );
}

/// [`REPORT`]: a failing init gives 0 and its message, without hanging.
pub fn failing_init_reports_0_without_hanging(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_FAIL", "1".into())]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.status, Some(1), "{ctx}");
    assert_eq!(r.field("ready"), "0", "{ctx}");
    assert_eq!(r.field("state_after"), "3", "{ctx}");
    assert_eq!(
        r.field("error"),
        "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)",
        "{ctx}"
    );
}

/// [`REPORT`]: an init stack that cannot be mapped fails init, with one line on fd 2, and the
/// host lives on.
pub fn init_stack_that_cannot_be_mapped_fails_init_not_the_host(
    label: &str,
    path: DemoPath,
    run: Runner,
) {
    let r = run(&[], &[("RT0_DEMO_STACK_BYTES", (1u64 << 62).to_string())]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.signal, None, "{ctx}");
    assert_eq!(r.status, Some(1), "{ctx}");
    assert_eq!(r.field("ready"), "0", "{ctx}");
    // The raw path maps the stack itself and knows the mapping failed; glibc's and musl's
    // pthread_create both report a stack they cannot map as EAGAIN.
    let want = match path {
        DemoPath::Raw => super::creation_failure_line(path, ("ENOMEM", 12), 1 << 62),
        DemoPath::Pthread => super::creation_failure_line(path, ("EAGAIN", 11), 1 << 62),
    };
    assert_eq!(r.stderr_without_ids(), want, "{ctx}");
}

/// [`SIGNALS`]: the loading thread's mask, the host's handlers, and no handler of rt0's own.
pub fn host_signal_mask_and_handlers_are_unchanged(label: &str, run: Runner) {
    let r = run(&[], &[]);
    let ctx = format!("{label}: {r:?}");
    assert_eq!(r.field("ready"), "1", "{ctx}");
    assert_eq!(r.field("mask_unchanged"), "1", "{ctx}");
    assert_eq!(r.field("handler_kept"), "1", "{ctx}");
    assert_eq!(r.field("handler_ran"), "1", "{ctx}");
    assert_eq!(r.field("foreign_handlers"), "0", "{ctx}");
}

/// [`NEWOSPROC0`]: a stack that cannot be mapped: the exact message on fd 2 and exit status 1.
pub fn newosproc0_failure_prints_the_exact_message_and_exits_1(label: &str, run: Runner) {
    let r = run(&["fail-stack"], &[]);
    assert_eq!(r.status, Some(1), "{label}: {r:?}");
    assert_eq!(
        r.stderr, "rt0: failed to allocate stack for the new OS thread\n",
        "{label}: {r:?}"
    );
    assert!(
        !r.stdout.contains("returned"),
        "{label}: newosproc0 returned after failing: {r:?}"
    );
}

/// [`NEWOSPROC0`]: the fallible form returns ENOMEM and changes nothing; a good call creates the
/// thread and leaves the caller's mask as it was.
pub fn try_newosproc0_returns_the_errno_and_changes_nothing(label: &str, run: Runner) {
    let r = run(&["try-stack"], &[]);
    assert_eq!(r.status, Some(0), "{label}: {r:?}");
    assert_eq!(r.num("errno"), 12, "{label}: {r:?}");
    assert_eq!(r.field("mask_unchanged"), "1", "{label}: {r:?}");
    let ok = run(&["ok"], &[]);
    assert_eq!(ok.field("created"), "1", "{label}: {ok:?}");
    assert_eq!(ok.field("mask_unchanged"), "1", "{label}: {ok:?}");
    assert_eq!(ok.field("usr2_still_blocked"), "1", "{label}: {ok:?}");
}
