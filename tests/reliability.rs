//! Surviving the host: signals, concurrency, dlclose, fork, faults, stack overflow and
//! bad input, on a real Linux kernel, for both of the demo's paths (pthread and raw) and, where
//! the scenario allows, every way of linking it (static archive, shared library, dlopen).
//! docs/reliability.md holds the table of scenarios, iterations and outcomes.
//!
//! The hosts are `tests/hosts/rel_*.c` (portable C: the same sources serve aarch64 under
//! qemu-user). Each prints `key=value` lines; every assertion is on what a C host sees. The
//! checks themselves are in `support/reliability.rs`, shared with `tests/cross_reliability.rs`;
//! this file says what runs natively: which links, how many times, with which deadlines.

#![cfg(target_os = "linux")]

mod support;

use std::path::PathBuf;
use std::time::Duration;
use support::reliability::{self as rel, Runner, ThreadRounds};
use support::{demo, host, run, run_with, DemoPath, Link};

const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];
/// `support::run`'s deadline, for the scenarios that do not name one.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `f` for every path and `links`, with a label naming the combination and a runner for
/// `source` built for it that kills the host after `deadline`.
fn each(
    source: &str,
    links: &[Link],
    deadline: Duration,
    f: impl Fn(&str, DemoPath, Link, Runner),
) {
    for path in DemoPath::ALL {
        let d = demo(path);
        for &link in links {
            let exe = host(&d, source, link);
            let runner = |args: &[&str], env: &[(&str, String)]| {
                run_with(&exe, args, env, deadline, Some(&d))
            };
            f(&format!("{path:?}/{link:?}"), path, link, &runner);
        }
    }
}

/// The host's handlers installed before rt0's entry stay installed and fire, also for a
/// signal that arrives while a host thread waits inside an export; rt0 installs none.
#[test]
fn host_signal_handlers_survive_and_fire() {
    each(rel::SIGNALS, &LINKS, DEADLINE, |l, _, k, r| {
        rel::host_signal_handlers_survive_and_fire(l, k, r)
    });
}

/// A SIGUSR1 storm while the shared library is loaded and unloaded 200 times per path
/// (pthread: each unload awaited until the image is gone; raw: the image stays loaded).
#[test]
fn signal_storm_during_200_loads_and_unloads() {
    each(
        rel::STORM,
        &[Link::Dlopen],
        Duration::from_secs(90),
        |l, p, _, r| rel::signal_storm_during_loads_and_unloads(l, p, 200, r),
    );
}

/// 64 host threads call exports during a slow init; all wait and see the whole result.
/// Static and shared: 5 processes each; dlopen: 20 load/unload rounds in one process.
#[test]
fn sixty_four_threads_wait_for_slow_init_many_rounds() {
    let rounds = ThreadRounds {
        processes: 5,
        dlopen_rounds: 20,
        init_sleep_ms: 40,
    };
    each(rel::THREADS, &LINKS, DEADLINE, |l, _, k, r| {
        rel::sixty_four_threads_wait_for_slow_init_many_rounds(l, k, rounds, r)
    });
}

/// Dlopen/dlclose 1,000 times per path, a quarter of them closed while init still runs:
/// no crash, threads and mappings back at the baseline, and fork still works afterwards; the
/// image stays loaded (pinned) with either creator.
#[test]
fn dlopen_dlclose_1000_times_leaves_no_thread_or_mapping() {
    each(
        rel::DLCLOSE,
        &[Link::Dlopen],
        Duration::from_secs(120),
        |l, p, _, r| rel::dlopen_dlclose_1000_times_leaves_no_thread_or_mapping(l, p, 0, r),
    );
}

/// dlclose while a 500 ms init runs returns before init finished (an order seen on fd 2); the
/// image stays mapped (RTLD_NODELETE, either creator) and init finishes there. No crash.
#[test]
fn dlclose_during_init_returns_before_init_finishes() {
    each(rel::UNLOAD, &[Link::Dlopen], DEADLINE, |l, p, _, r| {
        rel::dlclose_during_init_returns_before_init_finishes(l, p, 500, r)
    });
}

/// Fork while init runs. The child runs init anew (rt0's default `on_fork = reinit`) and its
/// exports answer from the child's own init; its exit does not hang; the parent is fine.
#[test]
fn fork_during_init_child_answers_and_exits_parent_unaffected() {
    each(rel::FORK, &LINKS, DEADLINE, |l, _, _, r| {
        rel::fork_during_init_child_answers_and_exits_parent_unaffected(l, r)
    });
}

/// Fork after init finished (a 300 ms init): the child runs init again on a thread of its own
/// (the default `on_fork = reinit`), with the creator of the load, and answers ready; its exit
/// does not hang; the parent is unaffected. Both creators, every link.
#[test]
fn fork_after_init_child_runs_its_own_init_parent_unaffected() {
    each(rel::FORK_AFTER, &LINKS, DEADLINE, |l, p, _, r| {
        rel::fork_after_init_child_runs_its_own_init_parent_unaffected(l, p, 300, r)
    });
}

/// An export called from a host constructor that runs before rt0's entry (static link)
/// starts the entry itself, with the process's arguments, and waits: ready; init calling its own
/// export gets CalledFromInit at once instead of deadlocking.
#[test]
fn early_calls_and_init_calling_its_own_export_do_not_deadlock() {
    each(rel::EARLY, &[Link::Static], DEADLINE, |l, _, _, r| {
        rel::early_call_starts_the_entry_and_waits(l, r)
    });
    each(rel::EARLY, &LINKS, DEADLINE, |l, _, _, r| {
        rel::init_calling_its_own_export_does_not_deadlock(l, r)
    });
}

/// Clone/clone3 refused by a seccomp filter installed before rt0's entry: the entry
/// reports it on fd 2, exports report failure, the host lives on; the `try_` form returns EAGAIN
/// and `newosproc0` keeps its message and exit(1).
#[test]
fn thread_create_refused_by_seccomp_fails_init_not_the_host() {
    each(
        rel::FAULTS,
        &[Link::Static, Link::Dlopen],
        DEADLINE,
        |l, p, _, r| rel::thread_create_refused_by_seccomp_fails_init_not_the_host(l, p, r),
    );
    each(rel::FAULTS, &[Link::Static], DEADLINE, |l, p, _, r| {
        let env = [("REL_SECCOMP", "1".to_string())];
        rel::newosproc0_refused_prints_its_message_and_exits_1(l, p, &env, r)
    });
}

/// RLIMIT_NPROC reached by an unprivileged user (setpriv drops root; the host's
/// constructor sets the limit to 1 before rt0's entry).
#[test]
fn thread_create_refused_by_rlimit_nproc_fails_init_not_the_host() {
    let wrapper = rel::as_nobody();
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, rel::FAULTS, Link::Static);
        let runner = |args: &[&str], env: &[(&str, String)]| match wrapper.split_first() {
            Some((setpriv, rest)) => {
                let mut argv = rest.to_vec();
                argv.push(exe.to_str().unwrap());
                argv.extend(args);
                run_with(&PathBuf::from(setpriv), &argv, env, DEADLINE, Some(&d))
            }
            None => run(&exe, args, env, &d),
        };
        let label = format!("{path:?}/{:?}", Link::Static);
        rel::thread_create_refused_by_rlimit_nproc_fails_init_not_the_host(
            &label, path, true, &runner,
        );
    }
}

/// An init stack that cannot be mapped (RT0_DEMO_STACK_BYTES=2^62), every link.
#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each(rel::FAULTS, &LINKS, DEADLINE, |l, p, _, r| {
        rel::init_stack_that_cannot_be_mapped_fails_init_not_the_host(l, p, r)
    });
}

/// Init overflowing its stack dies on the guard page (SIGSEGV or SIGBUS), never runs on.
#[test]
fn init_stack_overflow_dies_on_the_guard_page() {
    each(rel::EARLY, &LINKS, DEADLINE, |l, _, _, r| {
        rel::init_stack_overflow_dies_on_the_guard_page(l, r)
    });
}

/// Init returning an error: every export reports failure and the message is kept.
#[test]
fn init_error_is_reported_by_every_export_with_its_message() {
    each(rel::FAULTS, &LINKS, DEADLINE, |l, _, _, r| {
        rel::init_error_is_reported_by_every_export_with_its_message(l, r)
    });
}

/// No text relocations anywhere (the cdylib, and a PIE host linked with -z text against
/// the static archive); the init stack is read/write only with an inaccessible guard right below;
/// rt0 keeps a read-only copy of argv and envp of its own.
#[test]
fn no_text_relocations_rw_stacks_with_guard_and_a_read_only_copy_of_the_arguments() {
    for path in DemoPath::ALL {
        rel::no_text_relocations(&format!("{path:?}"), &demo(path), "gcc", "rel-pie-ztext");
    }
    // x86_64's guard, on both paths, is a page (arch/x86_64-unknown-linux-gnu/abi.toml).
    each(rel::SECURITY, &LINKS, DEADLINE, |l, _, _, r| {
        rel::rw_stacks_with_guard_and_a_read_only_copy_of_the_arguments(l, 500, 4096, r)
    });
}

/// panic path: `tests/crates/panic-init`, a library built with its own
/// `panic = "unwind"` profile (the rt0 workspace builds with `panic = "abort"`, where a
/// panic ends the process like any Rust panic). Its init panics; rt0 catches it on the init
/// thread, exports report `Panicked` with the payload kept, and the host lives on.
#[test]
fn init_panic_with_std_is_caught_and_its_message_kept() {
    let target_dir = support::root().join("target/rel-panic");
    let exe = rel::build_panic_host(None, &target_dir, "gcc");
    rel::init_panic_with_std_is_caught_and_its_message_kept(&|args, env| {
        run_with(&exe, args, env, Duration::from_secs(30), None)
    });
}

/// The host ends while init still runs, and init would run for weeks: returning from main
/// (`exit`) and `_exit` both end the process at once, status 0 (a wait would hit the deadline).
#[test]
fn exit_during_init_does_not_wait_for_it() {
    each(rel::EXIT, &LINKS, Duration::from_secs(20), |l, _, _, r| {
        rel::exit_during_init_does_not_wait_for_it(l, r)
    });
}

/// setgid/setuid in main while init runs: the C library's broadcast to its threads reaches the
/// pthread init thread (whose uid changes with the others); the raw creator runs only where the
/// process cannot change its ids (the host runs as nobody). The calls return while init still
/// runs; init then finishes; no thread keeps another uid.
#[test]
fn setuid_during_init_completes_and_init_finishes() {
    each(rel::SETID, &LINKS, DEADLINE, |l, p, _, r| {
        rel::setuid_during_init_completes_and_init_finishes(l, p, 300, r)
    });
}

/// RLIMIT_NOFILE exhausted (EMFILE): an export called during a slow init waits and succeeds, every
/// link; an export called from a constructor before the entry with no descriptor left still
/// starts init and succeeds (static link; no arguments recovered then).
#[test]
fn exports_wait_and_succeed_with_no_free_descriptor() {
    each(rel::NOFILE, &LINKS, DEADLINE, |l, _, _, r| {
        rel::export_waits_and_succeeds_with_no_free_descriptor(l, r)
    });
    each(rel::NOFILE, &[Link::Static], DEADLINE, |l, _, _, r| {
        rel::early_call_with_no_free_descriptor_still_initializes(l, r)
    });
}
