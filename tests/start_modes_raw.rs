//! `start = first_call`, `explicit` and `inline` with the raw creator (rt0's own thread
//! creation, no C library): `tests/crates/modes/raw`, a `no_std` library, linked into a C host
//! compiled with `-Wall -Werror` against the header cbindgen makes from it. A deferred start
//! makes the raw init thread from an export, on the host's thread, and checks the raw creator's
//! refusals then; `inline` runs init on the main thread with no raw thread at all.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/modes.rs"]
mod modes;
mod support;

use modes::{host_of, Crate, Link, Mode};
use std::time::Duration;
use support::{run_with, Run};

/// A raw-creator host, run as it must be for the raw creator to start (unprivileged: it refuses
/// in a process that can change its ids, as root can).
fn run_raw(mode: Mode, args: &[&str], env: &[(&str, String)]) -> Run {
    let exe = host_of(Crate::Raw, "modes_raw_host.c", mode, Link::Shared);
    let mut cmd = support::unprivileged(&exe);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    support::run_command(
        cmd,
        &format!("{} {args:?}", exe.display()),
        Duration::from_secs(60),
    )
}

/// The raw creator with a deferred start: the first export (`first_call`) or the library's start
/// export (`explicit`) makes rt0's own raw init thread, from the host's thread.
#[test]
fn the_raw_creator_starts_init_from_the_first_call_or_the_start_export() {
    let r = run_raw(Mode::FirstCall, &[], &[]);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("runs_at_main"), 0, "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");
    assert_eq!(r.num("runs"), 1, "{r:?}");
    assert_eq!(r.num("is_raw"), 1, "{r:?}");
    let init_tid = r.num("init_tid");
    assert!(init_tid != 0 && init_tid != r.num("pid"), "{r:?}");

    let r = run_raw(Mode::Explicit, &["explicit"], &[]);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("add_before_start"), -1, "{r:?}");
    assert_eq!(r.num("status_before_start"), 4, "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");
    assert_eq!(r.num("runs"), 1, "{r:?}");
    assert!(r.num("init_tid") != r.num("pid"), "{r:?}");

    let r = run_raw(Mode::FirstCall, &[], &[("MODES_FAIL", "1".into())]);
    assert_eq!(r.num("add"), -1, "{r:?}");
    assert_eq!(r.num("status"), 3, "{r:?}");
    assert_eq!(
        r.field("status_message"),
        "modes-raw: init failed on request",
        "{r:?}"
    );
}

/// `inline` with the raw creator, linked: init runs on the main thread before `main` (no raw
/// thread at all).
#[test]
fn the_raw_creator_inline_runs_init_on_the_main_thread_before_main() {
    let r = run_raw(Mode::Inline, &[], &[]);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 2, "{r:?}");
    assert_eq!(r.num("runs_at_main"), 1, "{r:?}");
    assert_eq!(r.num("init_tid_at_main"), r.num("pid"), "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
}

/// The raw creator's refusals are checked when a deferred start makes the thread: in a process
/// that can change its ids (root), loading is fine (status 4) and the first call answers
/// `on_error` with the refusal's message, never a raw thread.
#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn the_raw_creators_refusal_comes_at_the_deferred_start() {
    assert!(
        support::running_as_root(),
        "the refusal needs a process that can change its ids: run this test as root (ci/test does)"
    );
    let exe = host_of(
        Crate::Raw,
        "modes_raw_host.c",
        Mode::FirstCall,
        Link::Shared,
    );
    let r = run_with(&exe, &[], &[], Duration::from_secs(60), None);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("add"), -1, "{r:?}");
    assert_eq!(r.num("status"), 3, "{r:?}");
    assert!(
        r.field("status_message")
            .starts_with("rt0: the raw creator refuses to start init in a process that can change its user or group ids"),
        "{r:?}"
    );
    assert_eq!(r.num("runs"), 0, "{r:?}");
}
