//! `lib_entry!(.., start = at_load | inline | first_call | explicit)`, seen from C: the std
//! library `tests/crates/modes`, built once per mode, preloaded into `/bin/true`, linked into C
//! hosts and dlopen()ed by one. Its init starts a std thread and joins it, and counts its runs.
//! The hosts are compiled with `-Wall -Werror` against the header cbindgen makes from the
//! library's source (stateful exports in the `#[rt0::export(state = ..)]` form, stateless ones,
//! and the status export written out), so their right answers also say the header is right.
//!
//! - `inline`: preloaded into `/bin/true` 20 times, init runs 20 times, each on the main thread
//!   before `main`, the same thread as the entry; linked into a host, init is done at `main`;
//!   dlopen()ed, where the loading thread holds glibc's loader lock, init runs on its own thread
//!   (the trace says so) and its spawn-and-join of a std thread does not deadlock.
//! - `first_call`: preloaded into `/bin/true`, or linked into a host that calls nothing, init
//!   never runs; the first export runs it once; eight threads racing the first call run it once.
//! - `explicit`: before the library's start export, exports answer `on_error` at once and the
//!   status is 4 (not started); after it, the right answers.
//! - The status export's codes in every mode, a failed init's message included.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/modes.rs"]
mod modes;
mod support;

use modes::{host, library, Link, Mode, MODES};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{root, run_with, Run};

fn run(exe: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    run_with(exe, args, env, Duration::from_secs(60), None)
}

/// A fresh file name for init's `MODES_MARK` lines (the file does not exist yet).
fn mark_file(what: &str) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = root().join("target/modes/marks");
    std::fs::create_dir_all(&dir).unwrap();
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// One `init pid=P tid=T entry_tid=E helper_tid=H` line of a mark file.
#[derive(Debug)]
struct InitRun {
    pid: u64,
    tid: u64,
    entry_tid: u64,
    helper_tid: u64,
}

/// The runs a mark file records (none when init never wrote it).
fn init_runs(mark: &Path) -> Vec<InitRun> {
    let text = std::fs::read_to_string(mark).unwrap_or_default();
    text.lines()
        .map(|line| {
            let fields: BTreeMap<&str, u64> = line
                .strip_prefix("init ")
                .unwrap_or_else(|| panic!("not an init line: {line:?}"))
                .split(' ')
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k, v.parse().unwrap())
                })
                .collect();
            InitRun {
                pid: fields["pid"],
                tid: fields["tid"],
                entry_tid: fields["entry_tid"],
                helper_tid: fields["helper_tid"],
            }
        })
        .collect()
}

/// `LD_PRELOAD=<mode's library> /bin/true`, with init's runs marked in `mark`.
fn preload_into_true(mode: Mode, mark: &Path, more: &[(&str, String)]) -> Run {
    let mut env = vec![
        ("LD_PRELOAD", library(mode).display().to_string()),
        ("MODES_MARK", mark.display().to_string()),
    ];
    env.extend(more.iter().cloned());
    let r = run(Path::new("/bin/true"), &[], &env);
    assert_eq!(r.status, Some(0), "{mode:?}: {r:?}");
    r
}

#[test]
fn inline_preloaded_into_true_runs_init_every_time_on_the_main_thread_before_main() {
    let mark = mark_file("inline-preload");
    for _ in 0..20 {
        preload_into_true(Mode::Inline, &mark, &[]);
    }
    let runs = init_runs(&mark);
    assert_eq!(
        runs.len(),
        20,
        "init ran {} times in 20 processes",
        runs.len()
    );
    for run in &runs {
        // The main thread's id is the process id: init ran there, on the entry's thread, and
        // (since /bin/true exits at once) before main.
        assert_eq!(run.tid, run.pid, "init not on the main thread: {run:?}");
        assert_eq!(
            run.entry_tid, run.tid,
            "init not on the entry's thread: {run:?}"
        );
        assert!(
            run.helper_tid != 0 && run.helper_tid != run.tid,
            "init's own thread did not run: {run:?}"
        );
    }
}

#[test]
fn inline_linked_into_a_host_is_done_before_main_on_the_main_thread() {
    let r = run(&host("modes_host.c", Mode::Inline, Link::Shared), &[], &[]);
    assert_eq!(r.status, Some(0), "{r:?}");
    let pid = r.num("pid");
    assert_eq!(r.num("status_at_main"), 2, "init not done at main: {r:?}");
    assert_eq!(r.num("runs_at_main"), 1, "{r:?}");
    assert_eq!(
        r.num("init_tid_at_main"),
        pid,
        "init not on the main thread: {r:?}"
    );
    assert_eq!(r.num("entry_tid"), pid, "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("sum"), 46, "{r:?}");
    assert_eq!(r.num("ready"), 1, "{r:?}");
    assert_eq!(r.num("runs"), 1, "{r:?}");
}

/// Inside glibc's dlopen the loading thread holds the loader's lock, which the std thread init
/// starts needs: init runs on its own thread there, the trace says why, and nothing deadlocks
/// (a hang fails the run at its deadline).
#[test]
fn inline_dlopened_runs_init_on_its_own_thread_and_its_std_thread_does_not_deadlock() {
    let exe = host("modes_dlopen.c", Mode::Inline, Link::Dlopen);
    let mark = mark_file("inline-dlopen");
    let r = run(
        &exe,
        &[],
        &[
            ("MODES_SO", library(Mode::Inline).display().to_string()),
            ("MODES_MARK", mark.display().to_string()),
            ("RT0_TRACE", "1".into()),
        ],
    );
    assert_eq!(r.status, Some(0), "{r:?}");
    assert!(
        r.stderr.contains(
            "entry: init runs on its own thread, not inline: this thread holds the dynamic loader's lock (start = inline)"
        ),
        "no trace line saying why init did not run inline: {r:?}"
    );
    assert!(
        !r.stderr.contains("init runs inline on the loading thread"),
        "{r:?}"
    );
    let pid = r.num("pid");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("ready"), 1, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");
    assert_eq!(r.num("runs"), 1, "{r:?}");
    assert_eq!(
        r.num("entry_tid"),
        pid,
        "dlopen ran on the main thread: {r:?}"
    );
    let init_tid = r.num("init_tid");
    assert!(init_tid != 0 && init_tid != pid, "{r:?}");
    let helper = r.num("helper_tid");
    assert!(helper != 0 && helper != init_tid, "{r:?}");
    assert_eq!(init_runs(&mark).len(), 1, "{r:?}");
    assert_eq!(r.num("loaded_after_dlclose"), 1, "pinned at load: {r:?}");
}

/// `first_call` pins the image when init starts, not at load: dlopened and never called, a
/// dlclose unloads it (nothing of it ever ran on a thread); called once, it stays for good.
#[test]
fn first_call_pins_the_image_when_init_starts_not_at_load() {
    let exe = host("modes_dlopen.c", Mode::FirstCall, Link::Dlopen);
    let so = ("MODES_SO", library(Mode::FirstCall).display().to_string());
    let mark = mark_file("first-call-dlopen");
    let marked = ("MODES_MARK", mark.display().to_string());
    let never_called = run(
        &exe,
        &[],
        &[so.clone(), marked.clone(), ("MODES_NO_CALLS", "1".into())],
    );
    assert_eq!(never_called.status, Some(0), "{never_called:?}");
    assert_eq!(
        never_called.num("loaded_after_dlclose"),
        0,
        "a first_call library never called stayed loaded: {never_called:?}"
    );
    assert!(init_runs(&mark).is_empty(), "{never_called:?}");
    let called = run(&exe, &[], &[so, marked]);
    assert_eq!(called.status, Some(0), "{called:?}");
    assert_eq!(called.num("add"), 42, "{called:?}");
    assert_eq!(called.num("runs"), 1, "{called:?}");
    assert_eq!(
        called.num("loaded_after_dlclose"),
        1,
        "init ran on a thread of the image, which dlclose unmapped: {called:?}"
    );
}

/// The contrast: preloaded (no loader lock held at start-up), the trace says init ran inline.
#[test]
fn inline_preloaded_says_so_in_the_trace() {
    let mark = mark_file("inline-trace");
    let r = preload_into_true(Mode::Inline, &mark, &[("RT0_TRACE", "1".into())]);
    assert!(
        r.stderr
            .contains("entry: init runs inline on the loading thread (start = inline)"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("not inline"), "{r:?}");
    assert_eq!(init_runs(&mark).len(), 1, "{r:?}");
}

#[test]
fn first_call_preloaded_into_true_never_runs_init() {
    let mark = mark_file("first-call-preload");
    for _ in 0..5 {
        let r = preload_into_true(Mode::FirstCall, &mark, &[("RT0_TRACE", "1".into())]);
        assert!(
            r.stderr
                .contains("entry: init starts on the library's first call (start = first_call)"),
            "{r:?}"
        );
        assert!(!r.stderr.contains("init thread started"), "{r:?}");
    }
    assert!(!mark.exists(), "init ran: {:?}", init_runs(&mark));
}

/// A host that loads the library and calls nothing that waits: 300 ms later init has not run
/// (with `at_load` it would have, which the same host shows).
#[test]
fn first_call_in_a_host_that_calls_nothing_never_runs_init() {
    let r = run(
        &host("modes_host.c", Mode::FirstCall, Link::Shared),
        &["idle"],
        &[],
    );
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("status_after_idle"), 4, "{r:?}");
    assert_eq!(r.num("runs_after_idle"), 0, "{r:?}");
    assert_eq!(r.field("status_after_idle_message"), "(null)", "{r:?}");

    let r = run(
        &host("modes_host.c", Mode::AtLoad, Link::Shared),
        &["idle"],
        &[],
    );
    assert_eq!(r.num("status_after_idle"), 2, "{r:?}");
    assert_eq!(r.num("runs_after_idle"), 1, "{r:?}");
}

#[test]
fn first_call_runs_init_once_on_the_first_export() {
    let mark = mark_file("first-call");
    let r = run(
        &host("modes_host.c", Mode::FirstCall, Link::Shared),
        &[],
        &[("MODES_MARK", mark.display().to_string())],
    );
    assert_eq!(r.status, Some(0), "{r:?}");
    let pid = r.num("pid");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("runs_at_main"), 0, "{r:?}");
    assert_eq!(r.num("init_tid_at_main"), 0, "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("sum"), 46, "{r:?}");
    assert_eq!(r.num("ready"), 1, "{r:?}");
    assert_eq!(r.num("add_again"), 40, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");
    assert_eq!(r.num("runs"), 1, "{r:?}");
    let init_tid = r.num("init_tid");
    assert!(
        init_tid != 0 && init_tid != pid,
        "init on its own thread: {r:?}"
    );
    assert!(r.num("helper_tid") != 0, "{r:?}");
    let runs = init_runs(&mark);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        runs[0].entry_tid, pid as u64,
        "the loader's thread ran the entry"
    );
}

/// Eight threads released at once by a barrier all make the first call, while init (200 ms)
/// cannot have finished for any of them: one init, eight right answers. Ten processes.
#[test]
fn eight_threads_racing_the_first_call_start_init_once() {
    let exe = host("modes_race.c", Mode::FirstCall, Link::Shared);
    for _ in 0..10 {
        let mark = mark_file("first-call-race");
        let r = run(
            &exe,
            &[],
            &[
                ("MODES_MARK", mark.display().to_string()),
                ("MODES_INIT_SLEEP_MS", "200".into()),
            ],
        );
        assert_eq!(r.status, Some(0), "{r:?}");
        assert_eq!(r.num("status_before"), 4, "{r:?}");
        assert_eq!(r.num("runs_before"), 0, "{r:?}");
        assert_eq!(r.field("answers"), "40,41,42,43,44,45,46,47", "{r:?}");
        assert_eq!(r.num("runs"), 1, "{r:?}");
        assert_eq!(r.num("status"), 2, "{r:?}");
        assert_eq!(init_runs(&mark).len(), 1, "{r:?}");
    }
}

#[test]
fn explicit_answers_on_error_at_once_until_started_then_right() {
    let exe = host("modes_host.c", Mode::Explicit, Link::Shared);
    let r = run(&exe, &["explicit"], &[]);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.num("status_at_main"), 4, "{r:?}");
    assert_eq!(r.num("first_call_before_start"), -1, "{r:?}");
    // At once: no wait for an init nobody started (the bound is generous, the point is that
    // the call does not wait at all).
    let us = r.num("first_call_before_start_us");
    assert!(us < 100_000, "the export took {us} us before start: {r:?}");
    assert_eq!(r.num("add_before_start"), -1, "{r:?}");
    assert_eq!(r.num("sum_before_start"), -1, "{r:?}");
    assert_eq!(r.num("ready_before_start"), -1, "{r:?}");
    assert_eq!(r.num("helper_tid_before_start"), 0, "{r:?}");
    assert_eq!(r.num("status_before_start"), 4, "{r:?}");
    assert_eq!(r.field("status_before_start_message"), "(null)", "{r:?}");
    assert_eq!(r.num("runs_before_start"), 0, "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("sum"), 46, "{r:?}");
    assert_eq!(r.num("ready"), 1, "{r:?}");
    assert!(r.num("helper_tid") != 0, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");
    assert_eq!(r.num("runs"), 1, "a second start ran init again: {r:?}");
    assert!(r.num("init_tid") != r.num("pid"), "{r:?}");
}

/// The status export's codes: 1 while init runs, 2 once done, 4 before a deferred start, 3 with
/// the failure's message after a failed init, in every mode.
#[test]
fn the_status_export_says_where_init_stands_in_every_mode() {
    let r = run(
        &host("modes_host.c", Mode::AtLoad, Link::Shared),
        &[],
        &[("MODES_INIT_SLEEP_MS", "500".into())],
    );
    assert_eq!(
        r.num("status_at_main"),
        1,
        "init still running at main: {r:?}"
    );
    assert_eq!(r.field("status_at_main_message"), "(null)", "{r:?}");
    assert_eq!(r.num("add"), 42, "{r:?}");
    assert_eq!(r.num("status"), 2, "{r:?}");

    for mode in MODES {
        let args: &[&str] = match mode {
            Mode::Explicit => &["explicit"],
            _ => &[],
        };
        let r = run(
            &host("modes_host.c", mode, Link::Shared),
            args,
            &[("MODES_FAIL", "1".into())],
        );
        let c = format!("{mode:?}: {r:?}");
        assert_eq!(r.status, Some(0), "{c}");
        let at_main = match mode {
            Mode::FirstCall | Mode::Explicit => 4,
            // Inline: init failed before main.
            Mode::Inline => 3,
            // At load: running, or failed already.
            Mode::AtLoad => match r.num("status_at_main") {
                s @ (1 | 3) => s,
                s => panic!("status {s} at main: {c}"),
            },
        };
        assert_eq!(r.num("status_at_main"), at_main, "{c}");
        modes::assert_failed_init_answers(&r, &c);
    }
}
