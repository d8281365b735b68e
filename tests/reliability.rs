//! Issue 6, "survive the host": signals, concurrency, dlclose, fork, faults, stack overflow and
//! bad input, on a real Linux kernel, for both of the demo's paths (pthread and raw) and, where
//! the scenario allows, every way of linking it (static archive, shared library, dlopen).
//! docs/reliability.md holds the table of scenarios, iterations and outcomes.
//!
//! The hosts are `tests/hosts/rel_*.c` (portable C: the same sources serve aarch64 under
//! qemu-user). Each prints `key=value` lines; every assertion here is on what a C host sees.

#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{demo, host, run, run_with, Demo, DemoPath, Link, Run};

const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];

fn ctx(path: DemoPath, link: Link, r: &Run) -> String {
    format!("{path:?}/{link:?}: {r:#?}")
}

/// Whether the port's entry stub registers rt0's destructor (the host printed
/// `has_destructor=`). Both Linux ports (x86_64, aarch64) must; on a port that does not yet
/// (docs/reliability.md), scenarios that unload the library are skipped with a note instead of
/// crashing the host.
fn has_destructor(r: &Run, scenario: &str) -> bool {
    if r.field("has_destructor") == "1" {
        return true;
    }
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        panic!("the x86_64 and aarch64 Linux ports must register rt0's destructor: {r:#?}");
    }
    eprintln!("note: {scenario} skipped: this port's entry stub registers no rt0 destructor yet");
    false
}

fn run_env(exe: &Path, d: &Demo, args: &[&str], env: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
    run(exe, args, &env, d)
}

/// Item 1: the host's handlers installed before rt0's entry stay installed and fire, also for a
/// signal that arrives while a host thread waits inside an export; rt0 installs none.
#[test]
fn host_signal_handlers_survive_and_fire() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_signals.c", link);
            let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "500")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(
                r.field("state_at_send"),
                "1",
                "the signal was sent after init finished: {c}"
            );
            if link == Link::Static {
                // A priority constructor runs before rt0's entry in a static link.
                assert_eq!(r.field("state_in_constructor"), "0", "{c}");
            }
            assert_eq!(r.field("ready"), "1", "{c}");
            assert_eq!(r.field("handlers_kept"), "4", "{c}");
            assert_eq!(r.field("foreign_handlers"), "0", "{c}");
            assert_eq!(r.field("altstack_kept"), "1", "{c}");
            assert_eq!(
                r.field("usr1_during_wait"),
                "1",
                "SIGUSR1 sent during the wait never reached the host: {c}"
            );
            for sig in ["usr1", "pipe", "bus", "segv"] {
                assert!(
                    r.num(&format!("fired_{sig}")) >= 1,
                    "the host's SIG{} handler did not fire: {c}",
                    sig.to_uppercase()
                );
            }
        }
    }
}

/// Item 2: a SIGUSR1 storm while the shared library is loaded and unloaded 200 times per path.
#[test]
fn signal_storm_during_200_loads_and_unloads() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "rel_storm.c", Link::Dlopen);
        let r = run_with(&exe, &["200"], &[], Duration::from_secs(90), Some(&d));
        let c = ctx(path, Link::Dlopen, &r);
        if !has_destructor(&r, "the signal storm over loads and unloads") {
            continue;
        }
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.num("ready"), 200, "{c}");
        assert!(
            r.num("received") > 200,
            "the storm was too weak to mean anything: {c}"
        );
    }
}

/// Item 3: 64 host threads call exports during a slow init; all wait and see the whole result.
/// Static and shared: 5 processes each; dlopen: 20 load/unload rounds in one process.
#[test]
fn sixty_four_threads_wait_for_slow_init_many_rounds() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_threads.c", link);
            let (processes, rounds) = if link == Link::Dlopen {
                (1, "20")
            } else {
                (5, "1")
            };
            let mut saw_running = 0;
            for _ in 0..processes {
                let r = run_env(&exe, &d, &[rounds], &[("RT0_DEMO_INIT_SLEEP_MS", "40")]);
                let c = ctx(path, link, &r);
                if link == Link::Dlopen && !has_destructor(&r, "64 threads over load/unload rounds")
                {
                    saw_running = 1;
                    continue;
                }
                assert_eq!(r.status, Some(0), "{c}");
                assert_eq!(r.num("ok"), r.num("calls"), "{c}");
                saw_running += r.num("saw_running");
            }
            assert!(
                saw_running > 0,
                "{path:?}/{link:?}: no thread ever arrived while init ran"
            );
        }
    }
}

/// Item 4: dlopen/dlclose 1,000 times per path, a quarter of them closed while init still runs:
/// no crash, threads and mappings back at the baseline, and fork still works afterwards.
#[test]
fn dlopen_dlclose_1000_times_leaves_no_thread_or_mapping() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "rel_dlclose.c", Link::Dlopen);
        let r = run_with(&exe, &["1000"], &[], Duration::from_secs(120), Some(&d));
        let c = ctx(path, Link::Dlopen, &r);
        if !has_destructor(&r, "dlopen/dlclose x1000") {
            continue;
        }
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.num("cycles"), 1000, "{c}");
        assert!(
            r.num("closed_while_running") > 100,
            "too few closes raced a running init: {c}"
        );
        assert_eq!(r.num("threads_end"), r.num("threads_base"), "{c}");
        assert_eq!(r.num("threads_max"), r.num("threads_base"), "{c}");
        assert_eq!(r.num("maps_end"), r.num("maps_base"), "{c}");
        assert_eq!(r.num("maps_max"), r.num("maps_base"), "{c}");
        assert_eq!(r.field("fork_after"), "1", "{c}");
    }
}

/// Item 5: fork while init runs. The child's exports answer at once with failure ("forked while
/// init was running"), its exit (which runs rt0's destructor) does not hang; the parent is fine.
#[test]
fn fork_during_init_child_answers_and_exits_parent_unaffected() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_fork.c", link);
            let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "1500")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(r.field("child_state_at_fork"), "1", "{c}");
            assert_eq!(r.field("child_hung"), "0", "{c}");
            assert_eq!(r.field("child_exit"), "0", "{c}");
            assert_eq!(r.field("child_ready"), "0", "{c}");
            assert_eq!(r.field("child_state"), "3", "{c}");
            assert_eq!(
                r.field("child_error"),
                "rt0: this process was forked while init was running; init does not run in the child",
                "{c}"
            );
            // Well before init (1.5 s) could have finished: the child did not wait for it.
            assert!(r.num("child_ms") < 1000, "{c}");
            assert_eq!(r.field("parent_ready"), "1", "{c}");
            assert_eq!(r.field("parent_state"), "2", "{c}");
            assert_eq!(r.field("parent_error"), "(none)", "{c}");
        }
    }
}

/// Item 6: an export called from a host constructor that runs before rt0's entry returns 0
/// (NotStarted) at once and the library still initializes; init calling its own export gets
/// CalledFromInit at once instead of deadlocking.
#[test]
fn early_calls_and_init_calling_its_own_export_do_not_deadlock() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "rel_early.c", Link::Static);
        let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "100")]);
        let c = ctx(path, Link::Static, &r);
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("early_state"), "0", "{c}");
        assert_eq!(r.field("early_ready"), "0", "{c}");
        assert!(r.field("early_ms").parse::<f64>().unwrap() < 50.0, "{c}");
        assert_eq!(r.field("ready"), "1", "{c}");
        assert_eq!(r.field("state"), "2", "{c}");
        for link in LINKS {
            let exe = host(&d, "rel_early.c", link);
            let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_CALLS_EXPORT", "1")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(r.field("init_export_result"), "0", "{c}");
            assert_eq!(r.field("ready"), "1", "{c}");
        }
    }
}

const CREATE_FAILED: &str =
    "rt0: failed to create the init thread (errno 11); exports will report failure\n";

/// Item 7a: clone/clone3 refused by a seccomp filter installed before rt0's entry: the entry
/// reports it on fd 2, exports report failure, the host lives on; the `try_` form returns EAGAIN
/// and `newosproc0` keeps its message and exit(1).
#[test]
fn thread_create_refused_by_seccomp_fails_init_not_the_host() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in [Link::Static, Link::Dlopen] {
            let exe = host(&d, "rel_faults.c", link);
            let r = run_env(&exe, &d, &["try"], &[("REL_SECCOMP", "1")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(r.field("setup"), "1", "{c}");
            assert_eq!(r.stderr, CREATE_FAILED, "{c}");
            assert_eq!(r.field("ready"), "0", "{c}");
            assert_eq!(r.field("state"), "3", "{c}");
            assert_eq!(r.field("error"), "failed to create the init thread", "{c}");
            assert_eq!(r.field("try_errno"), "11", "{c}");
            assert_eq!(r.field("host_alive"), "1", "{c}");
        }
        let exe = host(&d, "rel_faults.c", Link::Static);
        let r = run_env(&exe, &d, &["newosproc0"], &[("REL_SECCOMP", "1")]);
        let c = ctx(path, Link::Static, &r);
        assert_eq!(r.status, Some(1), "{c}");
        assert_eq!(
            r.stderr,
            format!("{CREATE_FAILED}rt0: failed to create new OS thread\n"),
            "{c}"
        );
        assert!(!r.stdout.contains("newosproc0_returned"), "{c}");
    }
}

/// Item 7b: RLIMIT_NPROC reached by an unprivileged user (setpriv drops root; the host's
/// constructor sets the limit to 1 before rt0's entry).
#[test]
fn thread_create_refused_by_rlimit_nproc_fails_init_not_the_host() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "rel_faults.c", Link::Static);
        let setpriv = PathBuf::from("/usr/bin/setpriv");
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
        let r = if is_root {
            let args = [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                exe.to_str().unwrap(),
            ];
            run_with(
                &setpriv,
                &args,
                &[("REL_NPROC", "1".into())],
                Duration::from_secs(60),
                Some(&d),
            )
        } else {
            run_env(&exe, &d, &[], &[("REL_NPROC", "1")])
        };
        let c = ctx(path, Link::Static, &r);
        assert_eq!(r.status, Some(0), "{c}");
        assert_ne!(r.field("uid"), "0", "{c}");
        assert_eq!(r.field("setup"), "2", "{c}");
        assert_eq!(r.stderr, CREATE_FAILED, "{c}");
        assert_eq!(r.field("ready"), "0", "{c}");
        assert_eq!(r.field("error"), "failed to create the init thread", "{c}");
        assert_eq!(r.field("host_alive"), "1", "{c}");
    }
}

/// Item 7c: an init stack that cannot be mapped (RT0_DEMO_STACK_BYTES=2^62), every link.
#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_faults.c", link);
            let r = run_env(
                &exe,
                &d,
                &["try"],
                &[("RT0_DEMO_STACK_BYTES", &(1u64 << 62).to_string())],
            );
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            let (what, errno) = match path {
                DemoPath::Raw => ("failed to allocate the init thread's stack", 12),
                DemoPath::Pthread => ("failed to create the init thread", 11),
            };
            assert_eq!(
                r.stderr,
                format!("rt0: {what} (errno {errno}); exports will report failure\n"),
                "{c}"
            );
            assert_eq!(r.field("error"), what, "{c}");
            assert_eq!(r.field("ready"), "0", "{c}");
            assert_eq!(
                r.field("try_errno"),
                "0",
                "a small raw thread still works: {c}"
            );
            assert_eq!(r.field("host_alive"), "1", "{c}");
        }
    }
}

/// Item 8: init overflowing its stack dies on the guard page (SIGSEGV or SIGBUS), never runs on.
#[test]
fn init_stack_overflow_dies_on_the_guard_page() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_early.c", link);
            for stack in ["65536", "8388608"] {
                let r = run_env(
                    &exe,
                    &d,
                    &[],
                    &[
                        ("RT0_DEMO_INIT_OVERFLOW", "1"),
                        ("RT0_DEMO_STACK_BYTES", stack),
                    ],
                );
                let c = ctx(path, link, &r);
                assert!(
                    matches!(r.signal, Some(11) | Some(7)),
                    "not killed by SIGSEGV/SIGBUS: {c}"
                );
                assert!(!r.stderr.contains("did not fault"), "{c}");
                assert!(!r.stdout.contains("ready=1"), "{c}");
            }
        }
    }
}

/// Item 9: init returning an error: every export reports failure and the message is kept.
/// (The panic path, rt0's `std` feature with a panic=unwind library, is in docs/reliability.md.)
#[test]
fn init_error_is_reported_by_every_export_with_its_message() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_faults.c", link);
            let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_FAIL", "1")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(r.field("ready"), "0", "{c}");
            assert_eq!(r.field("state"), "3", "{c}");
            assert_eq!(
                r.field("error"),
                "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)",
                "{c}"
            );
            assert_eq!(r.field("host_alive"), "1", "{c}");
            assert!(r.stderr.is_empty(), "{c}");
        }
    }
}

/// Item 11: no text relocations anywhere (the cdylib, and a PIE host linked with -z text against
/// the static archive); the init stack is read/write only with an inaccessible guard right below;
/// rt0 keeps the loader's argv and envp pointers.
#[test]
fn no_text_relocations_rw_stacks_with_guard_and_no_environment_copy() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let dynamic = Command::new("readelf")
            .arg("-dW")
            .arg(d.cdylib())
            .output()
            .expect("readelf");
        let dynamic = String::from_utf8_lossy(&dynamic.stdout).to_string();
        assert!(
            dynamic.contains("(FLAGS)")
                || dynamic.contains("(SONAME)")
                || dynamic.contains("(NEEDED)"),
            "{dynamic}"
        );
        assert!(
            !dynamic.contains("TEXTREL"),
            "{path:?}: the cdylib has text relocations:\n{dynamic}"
        );
        let exe = d.dir.join("hosts/rel-pie-ztext");
        let out = Command::new("gcc")
            .args(["-O1", "-pie", "-fPIE", "-pthread", "-Wl,-z,text", "-I"])
            .arg(support::root().join("examples/demo/include"))
            .arg(support::root().join("tests/hosts/rel_security.c"))
            .arg(d.staticlib())
            .arg("-o")
            .arg(&exe)
            .output()
            .expect("gcc");
        assert!(
            out.status.success(),
            "{path:?}: -z text link failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dynamic = Command::new("readelf")
            .arg("-dW")
            .arg(&exe)
            .output()
            .expect("readelf");
        assert!(
            !String::from_utf8_lossy(&dynamic.stdout).contains("TEXTREL"),
            "{path:?}"
        );
        for link in LINKS {
            let exe = host(&d, "rel_security.c", link);
            let r = run_env(&exe, &d, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "500")]);
            let c = ctx(path, link, &r);
            assert_eq!(r.status, Some(0), "{c}");
            assert_eq!(r.field("ready"), "1", "{c}");
            assert_eq!(r.field("state_while_reading"), "1", "{c}");
            assert_eq!(r.field("stack_perms"), "rw-p", "{c}");
            assert_eq!(
                r.field("below_perms"),
                "---p",
                "no guard right under the init stack: {c}"
            );
            assert!(r.num("below_size") >= 4096, "{c}");
            assert_eq!(r.field("argv0_same_pointer"), "1", "{c}");
            assert_eq!(r.field("envp_same_pointer"), "1", "{c}");
        }
    }
}

/// Item 9, panic path: `tests/crates/panic-init`, a library built with rt0's `std` feature and
/// its own `panic = "unwind"` profile (the rt0 workspace builds with `panic = "abort"`, where a
/// panic ends the process like any Rust panic). Its init panics; rt0 catches it on the init
/// thread, exports report `Panicked` with the payload kept, and the host lives on.
#[test]
fn init_panic_with_std_is_caught_and_its_message_kept() {
    let krate = support::root().join("tests/crates/panic-init");
    let target_dir = support::root().join("target/rel-panic");
    let out = Command::new(env!("CARGO"))
        .current_dir(&krate)
        .args(["build", "--target-dir"])
        .arg(&target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building panic-init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib_dir = target_dir.join("debug");
    let exe = lib_dir.join("rel_panic");
    let out = Command::new("gcc")
        .args(["-O1", "-Wall", "-Werror"])
        .arg(support::root().join("tests/hosts/rel_panic.c"))
        .arg("-L")
        .arg(&lib_dir)
        .args(["-lrt0_panic_init", "-Wl,--disable-new-dtags"])
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("gcc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Duration::from_secs(30);
    for (knob, message) in [
        ("1", "rt0: init panicked: init gave up after 3 tries"),
        ("static", "rt0: init panicked: init gave up"),
    ] {
        let r = run_with(
            &exe,
            &[],
            &[("PANIC_INIT", knob.into()), ("RUST_BACKTRACE", "0".into())],
            deadline,
            None,
        );
        assert_eq!(r.status, Some(0), "{r:#?}");
        assert_eq!(r.field("ready"), "0", "{r:#?}");
        assert_eq!(r.field("kind"), "panicked", "{r:#?}");
        assert_eq!(r.field("error"), message, "{r:#?}");
        assert_eq!(r.field("host_alive"), "1", "{r:#?}");
        assert!(
            r.stderr.contains("panicked at"),
            "std's panic report is missing: {r:#?}"
        );
    }
    let r = run_with(&exe, &[], &[], deadline, None);
    assert_eq!(r.field("ready"), "1", "{r:#?}");
    assert_eq!(r.field("kind"), "ok", "{r:#?}");
}

/// The host ends while init still runs (documented in docs/reliability.md): `exit` runs rt0's
/// destructor, which waits for init to finish and its thread to be gone, then the process exits
/// normally; `_exit` ends at once. Neither crashes.
#[test]
fn exit_during_init_waits_for_it_and_underscore_exit_does_not() {
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in LINKS {
            let exe = host(&d, "rel_exit.c", link);
            for (how, waits) in [("exit", true), ("_exit", false)] {
                let start = std::time::Instant::now();
                let r = run_env(&exe, &d, &[how], &[("RT0_DEMO_INIT_SLEEP_MS", "700")]);
                let took = start.elapsed();
                let c = format!("{how} after {took:?}: {}", ctx(path, link, &r));
                assert_eq!(r.status, Some(0), "{c}");
                assert_eq!(r.field("state_at_end"), "1", "{c}");
                if waits && !has_destructor(&r, "exit waiting for init") {
                    continue;
                }
                if waits {
                    assert!(
                        took >= Duration::from_millis(600),
                        "exit did not wait for init: {c}"
                    );
                } else {
                    assert!(took < Duration::from_millis(600), "_exit waited: {c}");
                }
            }
        }
    }
}
