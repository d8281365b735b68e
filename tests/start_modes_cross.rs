#![cfg(all(target_os = "linux", target_arch = "x86_64"))]
//! `lib_entry!(.., start = at_load | inline | first_call | explicit)` on the other targets: the
//! std library `tests/crates/modes`, built once per mode for each target, linked into one C host
//! (`tests/hosts/modes_cross_host.c`, compiled with `-Wall -Werror` against the header cbindgen
//! makes from the library) and run there:
//!
//! - x86_64 musl (the static library in a `musl-gcc -static` host, as musl targets build no
//!   shared library), aarch64 musl under qemu-user (static, against rustup's musl), aarch64 and
//!   riscv64 glibc under qemu-user (the shared library, linked);
//! - Windows under Wine (the DLL through its import library, and loaded with `LoadLibraryW` by
//!   `tests/hosts/modes_win_loadlibrary.c`; MinGW-w64);
//! - darwin, x86_64 and arm64 (the static library linked by darwin-cc, run by the emulated XNU,
//!   which runs one image: the shared library is checked as linked, not run).
//!
//! In every mode, what a user would notice: `at_load` runs init on a thread of its own with no
//! call; `inline` has init done before `main`, on the main thread, which also ran the entry
//! (on Windows, where the entry runs inside DllMain under the loader's lock, init runs on its
//! own thread instead and the trace says why); `first_call` runs nothing until the first export
//! and then init once (eight threads racing the first call on the Linux targets); `explicit`
//! answers `on_error` at once before the start export, then the right answers; the status
//! export's codes (4 not started, 1 running, 2 done, 3 failed with init's message) and the
//! entry's trace line are the same on every target. An export's `timeout_ms = 50` gives up
//! after 50 ms while init is held (at once with `explicit` before the start), on every target.
//! On the Linux targets a fork child (rt0's default `on_fork = reinit`) sees status 5, then
//! init runs again there as the mode says (`explicit`: once the child calls the start export;
//! `inline`: on the child's calling thread) with the same trace lines as the parent's start.
//! Windows has no fork, and the emulated XNU does not model one.

#[path = "support/cross.rs"]
mod cross;
#[path = "support/modes.rs"]
mod modes;
#[path = "support/modes_cross.rs"]
mod modes_cross;
mod support;

use modes::{Mode, MODES};
use modes_cross::{host, library_dir, race_host, run_mode, run_on, win_loadlibrary_host, System};

/// The entry's trace line for `mode` on `system` (`at_load`'s entry says nothing of when init
/// runs: its init thread says it started).
fn entry_trace_line(system: System, mode: Mode) -> &'static str {
    match mode {
        Mode::AtLoad => "init thread started",
        Mode::Inline if system.entry_under_loader_lock() => {
            "entry: init runs on its own thread, not inline: this thread holds the dynamic loader's lock (start = inline)"
        }
        Mode::Inline => "entry: init runs inline on the loading thread (start = inline)",
        Mode::FirstCall => "entry: init starts on the library's first call (start = first_call)",
        Mode::Explicit => "entry: init starts when the library calls start() (start = explicit)",
    }
}

/// What a user of `system` sees in `mode`: the plain run's answers, where and when init ran,
/// and the entry's trace line.
fn check_mode(system: System, mode: Mode) {
    let r = run_mode(system, mode, &[]);
    let c = format!("{system:?} {mode:?}: {r:#?}");
    let main_tid = r.num("main_tid");
    assert!(main_tid != 0, "{c}");
    // The loader ran the entry on the main thread (the library is linked).
    assert_eq!(r.num("entry_tid"), main_tid, "{c}");
    let trace = entry_trace_line(system, mode);
    assert!(r.stderr.contains(trace), "no trace line `{trace}`: {c}");
    assert!(r.stderr.contains("init done"), "no `init done` traced: {c}");
    match mode {
        Mode::AtLoad => {
            assert_ne!(r.num("init_tid"), main_tid, "init on the main thread: {c}");
        }
        Mode::Inline if system.entry_under_loader_lock() => {
            assert!(
                !r.stderr.contains("init runs inline on the loading thread"),
                "{c}"
            );
            assert_ne!(r.num("init_tid"), main_tid, "init inline in DllMain: {c}");
        }
        Mode::Inline => {
            assert_eq!(r.num("status_at_main"), 2, "init not done at main: {c}");
            assert_eq!(r.num("runs_at_main"), 1, "{c}");
            assert_eq!(
                r.num("init_tid_at_main"),
                main_tid,
                "init not on the main thread: {c}"
            );
            assert!(!r.stderr.contains("init thread started"), "{c}");
        }
        Mode::FirstCall => {
            assert_eq!(r.num("status_at_main"), 4, "{c}");
            assert_eq!(r.field("status_at_main_message"), "(null)", "{c}");
            assert_eq!(
                r.num("runs_at_main"),
                0,
                "init ran before the first call: {c}"
            );
            assert_eq!(r.num("init_tid_at_main"), 0, "{c}");
            assert_ne!(r.num("init_tid"), main_tid, "{c}");
        }
        Mode::Explicit => {
            assert_eq!(r.num("status_at_main"), 4, "{c}");
            assert_eq!(r.num("first_call_before_start"), -1, "{c}");
            // At once: no wait for an init nobody started (the bound is generous, for qemu and
            // Wine; the point is that the call does not wait at all). The emulated XNU's clock
            // is its own, counted in instructions, so only the answers count there.
            if system.darwin_arch().is_none() {
                let us = r.num("first_call_before_start_us");
                assert!(us < 100_000, "the export took {us} us before start: {c}");
            }
            assert_eq!(r.num("add_before_start"), -1, "{c}");
            assert_eq!(r.num("sum_before_start"), -1, "{c}");
            assert_eq!(r.num("ready_before_start"), -1, "{c}");
            assert_eq!(r.num("helper_tid_before_start"), 0, "{c}");
            assert_eq!(r.num("status_before_start"), 4, "{c}");
            assert_eq!(r.field("status_before_start_message"), "(null)", "{c}");
            assert_eq!(r.num("runs_before_start"), 0, "{c}");
            assert_ne!(r.num("init_tid"), main_tid, "{c}");
        }
    }
    // Every mode ends with init done once and the right answers from the typed state.
    assert_eq!(r.num("add"), 42, "{c}");
    assert_eq!(r.num("sum"), 46, "{c}");
    assert_eq!(r.num("ready"), 1, "{c}");
    let helper = r.num("helper_tid");
    assert!(
        helper != 0 && helper != r.num("init_tid"),
        "init's std thread: {c}"
    );
    assert_eq!(r.num("add_again"), 40, "{c}");
    assert_eq!(r.num("status"), 2, "{c}");
    assert_eq!(r.field("status_message"), "(null)", "{c}");
    assert_eq!(r.num("runs"), 1, "init did not run exactly once: {c}");
}

/// A failed init in `mode`: status 3 and init's message, `on_error` answers, init ran once.
fn check_failure(system: System, mode: Mode) {
    let r = run_mode(system, mode, &[("MODES_FAIL", "1")]);
    let c = format!("{system:?} {mode:?} failing: {r:#?}");
    let at_main = r.num("status_at_main");
    match mode {
        Mode::FirstCall | Mode::Explicit => assert_eq!(at_main, 4, "{c}"),
        Mode::Inline if !system.entry_under_loader_lock() => assert_eq!(at_main, 3, "{c}"),
        // On its own thread: running, or failed already.
        _ => assert!(matches!(at_main, 1 | 3), "status {at_main} at main: {c}"),
    }
    modes::assert_failed_init_answers(&r, &c);
    assert!(
        r.stderr
            .contains("init failed: modes: init failed on request"),
        "{c}"
    );
}

/// A host that calls nothing that waits: with `first_call` init never runs; with `at_load` it
/// runs on its own (the contrast, which says the host would have seen it).
fn check_idle(system: System) {
    let r = run_on(system, &host(system, Mode::FirstCall), &["idle"], &[]);
    let c = format!("{system:?} first_call idle: {r:#?}");
    assert_eq!(r.num("status_after_idle"), 4, "{c}");
    assert_eq!(r.num("runs_after_idle"), 0, "{c}");
    assert_eq!(r.field("status_after_idle_message"), "(null)", "{c}");

    let r = run_on(system, &host(system, Mode::AtLoad), &["idle"], &[]);
    let c = format!("{system:?} at_load idle: {r:#?}");
    assert_eq!(r.num("status_after_idle"), 2, "{c}");
    assert_eq!(r.num("runs_after_idle"), 1, "{c}");
}

/// Eight threads released at once all make the first call while init (200 ms) runs: one init,
/// eight right answers (three processes).
fn check_race(system: System) {
    let exe = race_host(system);
    for _ in 0..3 {
        let r = run_on(system, &exe, &[], &[("MODES_INIT_SLEEP_MS", "200")]);
        let c = format!("{system:?} race: {r:#?}");
        assert_eq!(r.num("status_before"), 4, "{c}");
        assert_eq!(r.num("runs_before"), 0, "{c}");
        assert_eq!(r.field("answers"), "40,41,42,43,44,45,46,47", "{c}");
        assert_eq!(r.num("runs"), 1, "{c}");
        assert_eq!(r.num("status"), 2, "{c}");
    }
}

/// An export with `timeout_ms = 50` while init is held at its gate: `on_error` after the
/// timeout with init still running (status 1); with `explicit`, before the start, at once with
/// status 4. Then the gate opens and the other exports answer. Not for an inline init that runs
/// before `main` (held there, nothing would open the gate; its exports never wait anyway).
fn check_timeout(system: System, mode: Mode) {
    if mode == Mode::Inline && !system.entry_under_loader_lock() {
        return;
    }
    let r = run_on(
        system,
        &host(system, mode),
        &["timeout"],
        &[("MODES_INIT_GATE", "1")],
    );
    let c = format!("{system:?} {mode:?} timeout: {r:#?}");
    assert_eq!(r.num("timed_first"), -1, "{c}");
    let first_us = r.num("timed_first_us");
    if mode == Mode::Explicit {
        assert_eq!(r.num("status_after_timed_first"), 4, "{c}");
        assert!(first_us < 40_000, "not at once before start: {c}");
    } else {
        assert_eq!(r.num("status_after_timed_first"), 1, "{c}");
        assert!(first_us >= 40_000, "returned before its timeout: {c}");
    }
    assert_eq!(r.num("timed"), -1, "{c}");
    assert!(
        r.num("timed_us") >= 40_000,
        "returned before its timeout: {c}"
    );
    assert_eq!(r.num("status_after_timed"), 1, "{c}");
    assert_eq!(r.num("add"), 42, "{c}");
    assert_eq!(r.num("status"), 2, "{c}");
    assert_eq!(r.num("runs"), 1, "{c}");
}

/// A fork child of a host whose init is done, with rt0's default `on_fork = reinit`: the child
/// cannot use the parent's state (status 5) until init runs again there, on a thread of the
/// child, as the mode says: on the first export, or (`explicit`) once the child calls the
/// start export, the first export answering `on_error` at once before that.
fn check_fork(system: System, mode: Mode) {
    let r = run_on(
        system,
        &host(system, mode),
        &["fork"],
        &[("RT0_TRACE", "1")],
    );
    let c = format!("{system:?} {mode:?} fork: {r:#?}");
    assert_eq!(r.num("add_parent"), 42, "{c}");
    assert_eq!(r.num("child_exit"), 0, "{c}");
    assert_eq!(r.num("child_status_at_fork"), 5, "{c}");
    assert_eq!(r.num("child_runs_at_fork"), 1, "{c}");
    match mode {
        Mode::Explicit => {
            assert_eq!(r.num("child_add_first"), -1, "{c}");
            assert_eq!(r.num("child_status_after_first"), 4, "{c}");
        }
        _ => {
            assert_eq!(r.num("child_add_first"), 42, "{c}");
            assert_eq!(r.num("child_status_after_first"), 2, "{c}");
        }
    }
    assert_eq!(r.num("child_add"), 42, "{c}");
    assert_eq!(r.num("child_status"), 2, "{c}");
    assert_eq!(
        r.num("child_runs"),
        2,
        "init did not run again in the child: {c}"
    );
    let child_pid = r.num("child_pid");
    let child_init = r.num("child_init_tid");
    assert!(
        child_init != 0 && child_init != r.num("init_tid"),
        "the child's init ran on the parent's thread id: {c}"
    );
    let child_helper = r.num("child_helper_tid");
    assert!(
        child_helper != 0 && child_helper != r.num("helper_tid"),
        "{c}"
    );
    let child_tid = r.num("child_tid");
    if mode == Mode::Inline {
        // As at load: on the thread that started it, here the child's caller.
        assert_eq!(child_init, child_tid, "{c}");
    } else {
        assert_ne!(child_init, child_tid, "{c}");
    }
    // The child's trace: why init runs again, then the same lines as the parent's start (in
    // any order between threads; whether a caller waited is a race, so those lines are left
    // out).
    let parent_lines = trace_lines(&r.stderr, r.num("pid"));
    let mut child_lines = trace_lines(&r.stderr, child_pid);
    let why = "fork child: init runs again here (on_fork = reinit)";
    let at = child_lines.iter().position(|l| l == why);
    assert!(at.is_some(), "no `{why}` traced in the child: {c}");
    child_lines.remove(at.unwrap());
    assert_eq!(child_lines, parent_lines, "{c}");
    assert!(
        parent_lines.contains(&entry_trace_line(system, mode).to_string()),
        "{c}"
    );
    // The parent goes on with its own state.
    assert_eq!(r.num("add"), 42, "{c}");
    assert_eq!(r.num("runs"), 1, "{c}");
}

/// The trace lines of process `pid` (without the `rt0 modes [pid P tid T]: ` prefix), sorted,
/// leaving out `waiting for init`.
fn trace_lines(stderr: &str, pid: i64) -> Vec<String> {
    let prefix = format!("rt0 modes [pid {pid} tid ");
    let mut lines: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|l| l.split_once("]: ").map(|(_, text)| text.to_string()))
        .filter(|l| l != "waiting for init")
        .collect();
    lines.sort();
    lines
}

fn every_mode(system: System) {
    for mode in MODES {
        check_mode(system, mode);
        check_failure(system, mode);
        check_timeout(system, mode);
        if system.linux().is_some() {
            check_fork(system, mode);
        }
    }
    check_idle(system);
}

#[test]
fn musl_static_every_mode() {
    every_mode(System::Musl);
    check_race(System::Musl);
}

#[test]
fn aarch64_under_qemu_every_mode() {
    every_mode(System::Aarch64);
    check_race(System::Aarch64);
}

#[test]
fn aarch64_musl_static_under_qemu_every_mode() {
    every_mode(System::Aarch64Musl);
    check_race(System::Aarch64Musl);
}

#[test]
fn riscv64_under_qemu_every_mode() {
    every_mode(System::Riscv64);
    check_race(System::Riscv64);
}

#[test]
fn windows_under_wine_every_mode() {
    every_mode(System::Windows);
}

/// Loaded with `LoadLibraryW` (the entry runs in the DLL's loader callbacks, under the loader's
/// lock, on the loading thread): `first_call` and `explicit` have started nothing when the load
/// returns, `at_load` and `inline` run init on a thread of its own, and every mode then answers
/// from the same state.
#[test]
fn windows_loadlibrary_every_mode() {
    for mode in MODES {
        let args: &[&str] = match mode {
            Mode::Explicit => &["explicit"],
            _ => &[],
        };
        let exe = win_loadlibrary_host(mode);
        let r = run_on(System::Windows, &exe, args, &[("RT0_TRACE", "1")]);
        let c = format!("LoadLibraryW {mode:?}: {r:#?}");
        let main_tid = r.num("main_tid");
        assert_eq!(r.num("entry_tid"), main_tid, "{c}");
        let trace = entry_trace_line(System::Windows, mode);
        assert!(r.stderr.contains(trace), "no trace line `{trace}`: {c}");
        let after_load = r.num("status_after_load");
        match mode {
            Mode::AtLoad | Mode::Inline => {
                assert!(matches!(after_load, 1 | 2), "{c}");
            }
            Mode::FirstCall => {
                assert_eq!(after_load, 4, "{c}");
                assert_eq!(r.num("runs_after_load"), 0, "{c}");
            }
            Mode::Explicit => {
                assert_eq!(after_load, 4, "{c}");
                assert_eq!(r.num("add_before_start"), -1, "{c}");
                assert_eq!(r.num("status_before_start"), 4, "{c}");
                assert_eq!(r.num("runs_before_start"), 0, "{c}");
            }
        }
        assert_ne!(r.num("init_tid"), main_tid, "{c}");
        assert_eq!(r.num("add"), 42, "{c}");
        assert_eq!(r.num("add_again"), 40, "{c}");
        assert_eq!(r.num("status"), 2, "{c}");
        assert_eq!(r.field("status_message"), "(null)", "{c}");
        assert_eq!(r.num("runs"), 1, "{c}");
    }
}

#[test]
fn darwin_x86_64_under_the_emulated_xnu_every_mode() {
    every_mode(System::DarwinX86_64);
}

#[test]
fn darwin_arm64_under_the_emulated_xnu_every_mode() {
    every_mode(System::DarwinArm64);
}

/// The emulated XNU runs one image, the executable (loading another dylib than libSystem is not
/// modeled: docs/emulator.md), so the shared library is checked as built: for both arches and
/// every mode cargo links `libmodes.dylib` through darwin-cc, a Mach-O of the right CPU that
/// exports the library's functions and starts init threads through libSystem.
#[test]
fn darwin_dylibs_are_linked_for_both_arches_in_every_mode() {
    for (system, arch) in [
        (System::DarwinX86_64, rt0_inspect::Arch::X86_64),
        (System::DarwinArm64, rt0_inspect::Arch::Aarch64),
    ] {
        for mode in MODES {
            let dylib = library_dir(system, mode).join("libmodes.dylib");
            let image = rt0_inspect::Object::read(&dylib).unwrap_or_else(|e| panic!("{e}"));
            let c = format!("{system:?} {mode:?}: {}", dylib.display());
            assert_eq!(image.format, rt0_inspect::Format::MachO, "{c}");
            assert_eq!(image.arch, arch, "{c}");
            for export in [
                "_modes_add",
                "_modes_add_within_50ms",
                "_modes_start",
                "_modes_status",
                "_modes_open_gate",
            ] {
                assert!(
                    image.symbol(export).is_some_and(|s| s.global),
                    "{c}: does not export {export}"
                );
            }
            assert!(
                image
                    .symbols
                    .iter()
                    .any(|s| !s.defined() && s.name == "_pthread_create"),
                "{c}: does not import _pthread_create"
            );
        }
    }
}
