//! A library's `on_fork` policy as the hosts that fork see it, with `tests/crates/forky`: a std
//! library whose state owns a worker thread (answering over a channel) and a multi-threaded
//! tokio runtime, built once per policy (reinit, rt0's default; fail; inherit, whose state is
//! plain data).
//!
//! On this machine (x86_64 glibc, the shared library):
//! - a prefork C server (3 workers), forked after init and during init: every worker answers
//!   from its own init (its pid, its worker thread, its runtime), the parent too;
//! - Python's `multiprocessing` pool with the fork start method, through ctypes, after init and
//!   during a slow one: every task right, no hang;
//! - a tokio runtime in the state, forked after init;
//! - a grandchild of a reinitialized child, and a child that forks during its own reinit;
//! - `fail` and `inherit` as documented, and a default child that never waits for the parent's
//!   init;
//! - `RT0_TRACE=1` says that a process is a fork child and which policy applied.
//!
//! The reinit scenarios (prefork, tokio, grandchildren) also run on x86_64 musl (the static
//! archive, `musl-gcc -static`) and on aarch64 glibc under qemu-user; `fail` and `inherit` are
//! this machine's only (their answers follow from the same recognition of a child, which those
//! runs exercise). The raw creator cannot run std: `tests/reliability.rs` (and, on aarch64 under
//! qemu and on musl, `tests/cross_reliability.rs`) cover both creators with the demo, forked
//! during and after init. darwin: the emulated XNU has no fork; the last test links a forking
//! host for both darwin arches and creators (docs/reliability.md). Hangs end at the runner's
//! deadline, and the hosts bound their own waits for their children.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
#[path = "support/forky.rs"]
mod forky;
mod support;

use forky::{forky, run, run_on, Platform, Policy, DEADLINE};
use std::process::Command;
use support::{root, run_command, Run};

/// The parent's own answers after its children ran: its init, in its process, unaffected.
fn assert_parent_unaffected(r: &Run, c: &str) {
    assert_eq!(r.field("parent_init_pid"), r.field("parent_pid"), "{c}");
    assert_eq!(r.field("parent_inits"), "1", "{c}");
    assert_eq!(r.field("parent_state"), "2", "{c}");
}

/// The prefork server's checks: each of the 3 workers saw a fork child's state first, then got
/// every answer right from its own init (its pid, one init in its process, a worker thread of
/// its own that is not the parent's) and exited 0 without hanging; the parent is unaffected.
fn check_prefork(mode: &str, r: &Run) {
    let c = format!("{mode}: {r:#?}");
    let state_at_fork = if mode == "after" { "2" } else { "1" };
    assert_eq!(r.field("parent_state_at_fork"), state_at_fork, "{c}");
    let mut pids = std::collections::BTreeSet::new();
    for i in 0..3 {
        let f = |k: &str| r.field(&format!("worker{i}_{k}"));
        assert_eq!(f("hung"), "0", "worker {i} hung: {c}");
        assert_eq!(f("exit"), "0", "{c}");
        assert_eq!(f("state_first"), "4", "{c}");
        assert_eq!(
            f("init_pid"),
            f("pid"),
            "worker {i} answered from another init: {c}"
        );
        assert_ne!(f("pid"), r.field("parent_pid"), "{c}");
        assert_eq!(f("inits"), "1", "{c}");
        assert_eq!(f("right_square"), f("calls"), "{c}");
        assert_eq!(f("right_tokio"), f("calls"), "{c}");
        assert_eq!(f("calls"), "5", "{c}");
        assert_eq!(f("kind"), "ok", "{c}");
        assert_eq!(f("state"), "2", "{c}");
        assert_eq!(f("worker_tid_mine"), "1", "{c}");
        assert_ne!(f("worker_tid"), r.field("parent_worker_tid"), "{c}");
        pids.insert(f("pid"));
    }
    assert_eq!(pids.len(), 3, "{c}");
    assert_parent_unaffected(r, &c);
    assert_eq!(r.field("parent_square"), "49", "{c}");
    assert_eq!(r.field("parent_tokio"), "343", "{c}");
    assert_eq!(r.field("parent_worker_tid_mine"), "1", "{c}");
}

/// A prefork server forks its 3 workers after init: each worker runs init again (on_fork =
/// reinit, the default) and every answer comes from its own worker thread and runtime.
fn prefork_after_init(platform: Platform) {
    let r = run_on(platform, Policy::Reinit, "fork_prefork", &["after"], &[]);
    check_prefork("after", &r);
}

#[test]
fn prefork_server_workers_forked_after_init_answer_from_their_own_init() {
    prefork_after_init(Platform::Native);
}

/// The same server forks its workers while init runs (300 ms): each worker's first export starts
/// its own init and waits for it; the parent's init finishes in the parent.
fn prefork_during_init(platform: Platform) {
    let env = [("FORKY_INIT_SLEEP_MS", "300")];
    let r = run_on(platform, Policy::Reinit, "fork_prefork", &["during"], &env);
    check_prefork("during", &r);
}

#[test]
fn prefork_server_workers_forked_during_init_answer_from_their_own_init() {
    prefork_during_init(Platform::Native);
}

/// Python: `multiprocessing.get_context("fork").Pool(4)` over forky through ctypes, 40 tasks,
/// forked after init and during a 1 s init: every task's answers come from its worker's own
/// init, all four workers take part, the map ends (bounded, 60 s) and the parent is unaffected.
#[test]
fn python_multiprocessing_fork_pool_every_task_right_no_hang() {
    let so = forky(Policy::Reinit, Platform::Native).join("libforky.so");
    let script = root().join("tests/support/python/fork_pool.py");
    for (mode, sleep, state_at_fork) in [("after", "0", "2"), ("during", "1000", "1")] {
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg(&so)
            .args([mode, "40"])
            .env("FORKY_INIT_SLEEP_MS", sleep);
        let r = run_command(cmd, &format!("python3 fork_pool.py {mode}"), DEADLINE);
        let c = format!("{mode}: {r:#?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("parent_state_at_fork"), state_at_fork, "{c}");
        assert_eq!(r.field("hung"), "0", "{c}");
        assert_eq!(r.field("tasks"), "40", "{c}");
        assert_eq!(r.field("right"), "40", "{c}");
        assert_eq!(r.field("workers"), "4", "{c}");
        assert_eq!(r.field("workers_not_parent"), "1", "{c}");
        assert_eq!(r.field("parent_init_pid"), r.field("parent_pid"), "{c}");
        assert_eq!(r.field("parent_square"), "36", "{c}");
        assert_eq!(r.field("parent_tokio"), "216", "{c}");
        assert_eq!(r.field("parent_inits"), "1", "{c}");
    }
}

/// The realistic case: a tokio runtime kept in the state, the process forked after init. The
/// child's tokio answer comes from a runtime of its own init (the parent's runtime has no
/// thread in the child), and so does the worker's; the parent's runtime still answers.
fn tokio_in_a_child_forked_after_init(platform: Platform) {
    let r = run_on(platform, Policy::Reinit, "fork_child", &["after"], &[]);
    let c = format!("{r:#?}");
    assert_eq!(r.field("parent_state_at_fork"), "2", "{c}");
    assert_ended_cleanly(&r, &["child"], &c);
    assert_eq!(r.field("child_state_first"), "4", "{c}");
    assert_eq!(r.field("child_tokio"), "729", "{c}");
    assert_eq!(r.field("child_square"), "81", "{c}");
    assert_eq!(r.field("child_init_pid"), r.field("child_pid"), "{c}");
    assert_eq!(r.field("child_inits"), "1", "{c}");
    assert_eq!(r.field("child_worker_tid_mine"), "1", "{c}");
    assert_eq!(r.field("child_state"), "2", "{c}");
    assert_parent_unaffected(&r, &c);
    assert_eq!(r.field("parent_tokio"), "729", "{c}");
}

#[test]
fn tokio_runtime_in_the_state_answers_in_a_child_forked_after_init() {
    tokio_in_a_child_forked_after_init(Platform::Native);
}

/// Each of `who` (the hosts' `child`, `grandchild`) neither hung nor exited with a failure.
fn assert_ended_cleanly(r: &Run, who: &[&str], c: &str) {
    for w in who {
        assert_eq!(r.field(&format!("{w}_hung")), "0", "{w} hung: {c}");
        assert_eq!(r.field(&format!("{w}_exit")), "0", "{w} exit: {c}");
    }
}

/// The answers of `who` (a `fork_grandchild` prefix) came from its own init.
fn assert_own_init(r: &Run, who: &str, c: &str) {
    let f = |k: &str| r.field(&format!("{who}_{k}"));
    assert_eq!(
        f("init_pid"),
        f("pid"),
        "{who} answered from another init: {c}"
    );
    assert_eq!(f("inits"), "1", "{who}: {c}");
    assert_eq!(f("square_right"), "1", "{who}: {c}");
    assert_eq!(f("tokio_right"), "1", "{who}: {c}");
    assert_eq!(f("worker_tid_mine"), "1", "{who}: {c}");
    assert_eq!(f("state"), "2", "{who}: {c}");
}

/// A grandchild: the child runs its own init (reinit) and answers, then forks; the grandchild
/// is recognised as a fork child of the child (state 4 first) and runs an init of its own.
fn grandchild_after_reinit(platform: Platform) {
    let r = run_on(
        platform,
        Policy::Reinit,
        "fork_grandchild",
        &["after_reinit"],
        &[],
    );
    let c = format!("{r:#?}");
    assert_ended_cleanly(&r, &["child", "grandchild"], &c);
    assert_eq!(r.field("child_before_fork_state_first"), "4", "{c}");
    assert_own_init(&r, "child_before_fork", &c);
    assert_eq!(r.field("child_state_at_fork"), "2", "{c}");
    assert_eq!(r.field("grandchild_state_first"), "4", "{c}");
    assert_own_init(&r, "grandchild", &c);
    assert_ne!(r.field("grandchild_pid"), r.field("child_pid"), "{c}");
    assert_own_init(&r, "child", &c);
    assert_own_init(&r, "parent", &c);
}

/// A child forks while its own reinit runs (started by an export that never waits, every init
/// 500 ms): the grandchild does not wait for the child's init, which runs only in the child; it
/// runs its own. The child's init finishes in the child.
fn grandchild_during_reinit(platform: Platform) {
    let env = [("FORKY_INIT_SLEEP_MS", "500")];
    let r = run_on(
        platform,
        Policy::Reinit,
        "fork_grandchild",
        &["during_reinit"],
        &env,
    );
    let c = format!("{r:#?}");
    assert_ended_cleanly(&r, &["child", "grandchild"], &c);
    assert_eq!(r.field("child_ready_now"), "0", "{c}");
    assert_eq!(r.field("child_state_at_fork"), "1", "{c}");
    assert_eq!(r.field("grandchild_state_first"), "4", "{c}");
    assert_own_init(&r, "grandchild", &c);
    assert_own_init(&r, "child", &c);
    assert_own_init(&r, "parent", &c);
}

#[test]
fn grandchild_of_a_reinitialized_child_runs_its_own_init() {
    grandchild_after_reinit(Platform::Native);
}

#[test]
fn child_forking_during_its_own_reinit_gives_the_grandchild_its_own_init() {
    grandchild_during_reinit(Platform::Native);
}

/// The reinit scenarios on another platform: the prefork server forked after and during init,
/// the tokio runtime in a child, a grandchild after and during the child's reinit.
fn reinit_scenarios(platform: Platform) {
    prefork_after_init(platform);
    prefork_during_init(platform);
    tokio_in_a_child_forked_after_init(platform);
    grandchild_after_reinit(platform);
    grandchild_during_reinit(platform);
}

/// x86_64 musl: forky's static archive in `musl-gcc -static` hosts (musl targets build no
/// cdylib), where the epoch page and musl's `pthread_atfork` mark a child.
#[test]
fn reinit_scenarios_on_musl() {
    reinit_scenarios(Platform::Musl);
}

/// aarch64 glibc under qemu-user, which ignores `MADV_WIPEONFORK`: there the `pthread_atfork`
/// child handler alone marks a child (and the pid, on the slow path).
#[test]
fn reinit_scenarios_on_aarch64_under_qemu() {
    reinit_scenarios(Platform::Aarch64);
}

/// What a child whose library gives it `Forked` sees: state 4 before and after, every export its
/// `on_error` value at once (all six calls within 100 ms, against a 1 s init), no init of its
/// own; it exits 0; the parent is unaffected.
fn assert_forked_at_once(r: &Run, c: &str) {
    assert_ended_cleanly(r, &["child"], c);
    assert_eq!(r.field("child_state_first"), "4", "{c}");
    assert_eq!(r.field("child_state"), "4", "{c}");
    assert_eq!(r.field("child_ready"), "0", "{c}");
    assert_eq!(r.field("child_kind"), "forked", "{c}");
    for k in [
        "child_init_pid",
        "child_square",
        "child_tokio",
        "child_worker_tid",
    ] {
        assert_eq!(r.field(k), "-1", "{k}: {c}");
    }
    assert_eq!(r.field("child_inits"), "0", "{c}");
    let ms: f64 = r.field("child_ms").parse().unwrap();
    assert!(ms < 100.0, "the child's exports took {ms} ms: {c}");
    assert_eq!(r.field("parent_ready"), "1", "{c}");
    assert_parent_unaffected(r, c);
}

/// `on_fork = fail`: a child forked after init and one forked during init both get `Forked`
/// from every export at once; the parent's exports answer as before.
#[test]
fn on_fork_fail_children_answer_forked_at_once() {
    for (mode, state_at_fork) in [("after", "2"), ("during", "1")] {
        let r = run(
            Policy::Fail,
            "fork_child",
            &[mode],
            &[("FORKY_INIT_SLEEP_MS", "1000")],
        );
        let c = format!("{mode}: {r:#?}");
        assert_eq!(r.field("policy"), "fail", "{c}");
        assert_eq!(r.field("parent_state_at_fork"), state_at_fork, "{c}");
        assert_forked_at_once(&r, &c);
        assert_eq!(r.field("parent_square"), "81", "{c}");
        assert_eq!(r.field("parent_tokio"), "729", "{c}");
    }
}

/// `on_fork = inherit`, forked after init: the child uses the parent's state as it is (plain
/// data): init ran in the parent (its pid), not in the child, the answers are the parent's
/// table's, the state is done from the first look, and no thread stands behind it.
#[test]
fn on_fork_inherit_child_after_init_keeps_the_parents_plain_state() {
    let r = run(Policy::Inherit, "fork_child", &["after"], &[]);
    let c = format!("{r:#?}");
    assert_eq!(r.field("policy"), "inherit", "{c}");
    assert_ended_cleanly(&r, &["child"], &c);
    assert_eq!(r.field("child_state_first"), "2", "{c}");
    assert_eq!(r.field("child_state"), "2", "{c}");
    assert_eq!(r.field("child_ready"), "1", "{c}");
    assert_eq!(r.field("child_kind"), "ok", "{c}");
    assert_eq!(r.field("child_init_pid"), r.field("parent_pid"), "{c}");
    assert_ne!(r.field("child_pid"), r.field("parent_pid"), "{c}");
    assert_eq!(r.field("child_inits"), "0", "init ran in the child: {c}");
    assert_eq!(r.field("child_square"), "81", "{c}");
    // The plain-data build has neither worker thread nor runtime.
    assert_eq!(r.field("child_worker_tid"), "0", "{c}");
    assert_eq!(r.field("child_tokio"), "-2", "{c}");
    assert_eq!(r.field("parent_ready"), "1", "{c}");
    assert_parent_unaffected(&r, &c);
}

/// `on_fork = inherit`, forked while init runs (1 s): the child gets `Forked` at once from every
/// export (init runs only in the parent), the parent's init finishes there.
#[test]
fn on_fork_inherit_child_during_init_answers_forked_at_once() {
    let r = run(
        Policy::Inherit,
        "fork_child",
        &["during"],
        &[("FORKY_INIT_SLEEP_MS", "1000")],
    );
    let c = format!("{r:#?}");
    assert_eq!(r.field("parent_state_at_fork"), "1", "{c}");
    assert_forked_at_once(&r, &c);
    assert_eq!(r.field("parent_square"), "81", "{c}");
}

/// The default never makes a child wait for the parent's init: the parent's init runs for a
/// minute (only the first init of the process tree sleeps), the child forked during it runs its
/// own init at once and answers within seconds; the parent's init is still running when the
/// host ends (an exit never waits for init either).
#[test]
fn default_policy_never_makes_a_child_wait_for_the_parents_init() {
    let r = run(
        Policy::Reinit,
        "fork_child",
        &["during", "nowait"],
        &[("FORKY_FIRST_INIT_SLEEP_MS", "60000")],
    );
    let c = format!("{r:#?}");
    assert_eq!(r.field("policy"), "reinit", "{c}");
    assert_eq!(r.field("parent_state_at_fork"), "1", "{c}");
    assert_ended_cleanly(&r, &["child"], &c);
    assert_eq!(r.field("child_ready"), "1", "{c}");
    assert_eq!(r.field("child_kind"), "ok", "{c}");
    assert_eq!(r.field("child_init_pid"), r.field("child_pid"), "{c}");
    assert_eq!(r.field("child_tokio"), "729", "{c}");
    let ms: f64 = r.field("child_ms").parse().unwrap();
    assert!(ms < 10_000.0, "the child waited {ms} ms: {c}");
    assert_eq!(r.field("parent_state"), "1", "{c}");
}

/// `RT0_TRACE=1` in a fork child names it and the policy that applied, once per child: reinit
/// (each of the prefork server's 3 workers), fail (after and during init), inherit after init
/// and during it.
#[test]
fn rt0_trace_says_this_process_is_a_fork_child_and_which_policy_applied() {
    const LINE: &str = "rt0 rt0-forky: fork child: ";
    let cases: [(Policy, &str, &[&str], &str, usize); 5] = [
        (
            Policy::Reinit,
            "fork_prefork",
            &["after"],
            "init runs again here (on_fork = reinit)",
            3,
        ),
        (
            Policy::Fail,
            "fork_child",
            &["after"],
            "its exports answer Forked (on_fork = fail)",
            1,
        ),
        (
            Policy::Fail,
            "fork_child",
            &["during"],
            "its exports answer Forked (on_fork = fail)",
            1,
        ),
        (
            Policy::Inherit,
            "fork_child",
            &["after"],
            "it keeps the parent's state (on_fork = inherit)",
            1,
        ),
        (
            Policy::Inherit,
            "fork_child",
            &["during"],
            "forked while init ran, which runs only in the parent (on_fork = inherit)",
            1,
        ),
    ];
    let mut wrong = Vec::new();
    for (policy, source, args, what, times) in cases {
        let env = [("RT0_TRACE", "1"), ("FORKY_INIT_SLEEP_MS", "300")];
        let r = run(policy, source, args, &env);
        let want = format!("{LINE}{what}");
        let trace = r.stderr_without_ids();
        let seen = trace.lines().filter(|l| *l == want).count();
        if seen != times {
            wrong.push(format!(
                "{} {source} {args:?}: `{want}` {seen} times, not {times}; fd 2:\n{trace}",
                policy.name()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// darwin: the emulated XNU has no fork (docs/reliability.md), so what can be checked here is
/// the link: a host that forks and calls the demo's exports in the child
/// (`tests/hosts/fork_darwin.c`) links with the demo's archive for both darwin arches and both
/// creators, the ordinary way (darwin-cc, ld64.lld), and the linked program imports `fork` and
/// rt0's `pthread_atfork` (the child handler that marks a fork child on darwin).
#[test]
fn darwin_fork_host_links_for_both_arches_and_creators() {
    for (target, arch) in [
        ("x86_64-apple-darwin", "x86_64"),
        ("aarch64-apple-darwin", "arm64"),
    ] {
        for path in support::DemoPath::ALL {
            let demo = support::demo_for(Some(target), path);
            let exe = demo.dir.join("fork_darwin");
            let out = Command::new(root().join("tools/darwin-sdk/bin/darwin-cc"))
                .args(["-arch", arch, "-mmacosx-version-min=11.0", "-nostdlibinc"])
                .arg("-I")
                .arg(root().join("examples/demo/include"))
                .arg(root().join("tests/hosts/fork_darwin.c"))
                .arg(demo.staticlib())
                .args(["-lSystem", "-o"])
                .arg(&exe)
                .output()
                .expect("run darwin-cc");
            let label = format!("{target}/{}", path.name());
            assert!(
                out.status.success(),
                "{label}: the fork host did not link: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let image = rt0_inspect::Object::read(&exe).unwrap_or_else(|e| panic!("{e}"));
            let imports: Vec<&str> = image
                .symbols
                .iter()
                .filter(|s| !s.defined())
                .map(|s| s.name.as_str())
                .collect();
            for want in ["_fork", "_pthread_atfork", "_waitpid"] {
                assert!(
                    imports.contains(&want),
                    "{label}: the program does not import {want}: {imports:?}"
                );
            }
            assert!(
                image
                    .defined_symbols()
                    .any(|s| rt0_inspect::is_stub_symbol(&s.name, "_rt0_lib_entry")),
                "{label}: rt0's entry is not linked"
            );
        }
    }
}
