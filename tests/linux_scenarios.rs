//! The demo's scenarios on this machine's Linux kernel: C hosts link the demo as a static
//! archive (the ordinary way, no --whole-archive), as a shared library, and through dlopen, on
//! both the pthread and the raw path. The checks themselves are in `support/scenarios.rs`,
//! shared with `tests/cross_scenarios.rs`.

#![cfg(target_os = "linux")]

mod support;

use support::scenarios::{self as s, Runner};
use support::{demo, host, run, DemoPath, Link};

const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];

/// Runs `f` for every path and `links`, with a label naming the combination.
fn each(source: &str, links: &[Link], f: impl Fn(&str, DemoPath, Link, Runner)) {
    for path in DemoPath::ALL {
        let d = demo(path);
        for &link in links {
            let exe = host(&d, source, link);
            let runner = |args: &[&str], env: &[(&str, String)]| run(&exe, args, env, &d);
            f(&format!("{path:?}/{link:?}"), path, link, &runner);
        }
    }
}

#[test]
fn init_runs_on_another_thread_and_sees_argv() {
    each(
        s::REPORT,
        &LINKS,
        s::init_runs_on_another_thread_and_sees_argv,
    );
}

#[test]
fn init_thread_blocks_async_signals_but_not_faults() {
    each(s::REPORT, &LINKS, |l, _, _, r| {
        s::init_thread_blocks_async_signals_but_not_faults(l, r)
    });
}

#[test]
fn host_main_runs_while_slow_init_is_still_running() {
    each(s::REPORT, &LINKS, |l, _, _, r| {
        s::host_main_runs_while_slow_init_is_still_running(l, r)
    });
}

#[test]
fn sixteen_threads_calling_during_slow_init_all_wait_and_get_1() {
    each(s::THREADS, &LINKS, |l, _, _, r| {
        s::sixteen_threads_calling_during_slow_init_all_wait_and_get_1(l, r)
    });
}

#[test]
fn failing_init_reports_0_without_hanging() {
    each(s::REPORT, &LINKS, |l, _, _, r| {
        s::failing_init_reports_0_without_hanging(l, r)
    });
}

#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each(s::REPORT, &LINKS, |l, p, _, r| {
        s::init_stack_that_cannot_be_mapped_fails_init_not_the_host(l, p, r)
    });
}

#[test]
fn host_signal_mask_and_handlers_are_unchanged() {
    each(s::SIGNALS, &LINKS, |l, _, _, r| {
        s::host_signal_mask_and_handlers_are_unchanged(l, r)
    });
}

#[test]
fn newosproc0_failure_prints_the_exact_message_and_exits_1() {
    each(s::NEWOSPROC0, &[Link::Static], |l, _, _, r| {
        s::newosproc0_failure_prints_the_exact_message_and_exits_1(l, r)
    });
}

#[test]
fn try_newosproc0_returns_the_errno_and_changes_nothing() {
    each(s::NEWOSPROC0, &[Link::Static], |l, _, _, r| {
        s::try_newosproc0_returns_the_errno_and_changes_nothing(l, r)
    });
}
