//! Issue 6's reliability scenarios, written once. `tests/reliability.rs` runs them on this
//! machine's kernel (x86_64 glibc); `tests/cross_reliability.rs` runs the same checks on the other
//! Linux ports (aarch64 glibc under qemu-user, x86_64 musl). docs/reliability.md holds the table.
//!
//! Each scenario takes a label for failure messages (which target, path and link), a
//! [`Runner`] that executes the scenario's host (named by the constant beside it) with arguments
//! and environment, and what legitimately differs between the targets: iteration counts (the
//! emulator is slower), init sleeps and wall-time bounds, the guard size of the port, and how a
//! target treats a host that registered no rt0 destructor ([`Destructor`]). The callers choose
//! the links and hosts each scenario runs on, and say why a target skips one.

use super::{root, Run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use super::scenarios::Runner;

/// Item 1's host: handlers, an altstack and a signal sent while main waits in an export.
pub const SIGNALS: &str = "rel_signals.c";
/// Item 2's host: a SIGUSR1 storm over dlopen/dlclose (dlopen only).
pub const STORM: &str = "rel_storm.c";
/// Item 3's host: 64 threads calling exports during a slow init.
pub const THREADS: &str = "rel_threads.c";
/// Item 4's host: dlopen/dlclose in a loop, counting threads and mappings (dlopen only).
pub const DLCLOSE: &str = "rel_dlclose.c";
/// Item 5's host: fork while init runs.
pub const FORK: &str = "rel_fork.c";
/// Items 6 and 8: early calls from a constructor, init calling its own export, stack overflow.
pub const EARLY: &str = "rel_early.c";
/// Items 7 and 9: seccomp, RLIMIT_NPROC, an unmappable stack, init returning an error.
pub const FAULTS: &str = "rel_faults.c";
/// Item 11's host: stack permissions and guard, argv/envp pointers.
pub const SECURITY: &str = "rel_security.c";
/// The host that ends (`exit` or `_exit`) while init runs.
pub const EXIT: &str = "rel_exit.c";

/// What the entry prints when it cannot create the init thread.
pub const CREATE_FAILED: &str =
    "rt0: failed to create the init thread (errno 11); exports will report failure\n";

/// How a target treats a host whose `has_destructor=` line says rt0's destructor is not
/// registered, in the scenarios that unload the library or exit through the destructor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destructor {
    /// Natively: the x86_64 and aarch64 Linux ports must register it (a host saying otherwise
    /// fails the test); on another port (docs/reliability.md) the scenario is skipped with a note
    /// instead of crashing the host.
    SkipOnOtherPorts,
    /// Under qemu (aarch64): the port registers it, so every such run asserts it.
    Required,
}

impl Destructor {
    /// Whether the scenario goes on with this run (`false`: skipped, with a note on stderr).
    /// `scenario` names it for the note; `c` is the assertion context.
    pub fn present(self, r: &Run, scenario: &str, c: &str) -> bool {
        match self {
            Destructor::SkipOnOtherPorts => {
                if r.field("has_destructor") == "1" {
                    return true;
                }
                if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
                    panic!(
                        "the x86_64 and aarch64 Linux ports must register rt0's destructor: {r:#?}"
                    );
                }
                eprintln!(
                    "note: {scenario} skipped: this port's entry stub registers no rt0 destructor yet"
                );
                false
            }
            Destructor::Required => {
                assert_eq!(
                    r.field("has_destructor"),
                    "1",
                    "the aarch64 entry stub registers no rt0 destructor: {c}"
                );
                true
            }
        }
    }
}

fn ctx(label: &str, r: &Run) -> String {
    format!("{label}: {r:#?}")
}

/// Whether the tests run as root (then RLIMIT_NPROC needs a user it applies to).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// The command that runs a host as user `nobody` when the tests run as root (RLIMIT_NPROC does
/// not bind root), else nothing: it must exec the host (or the emulator that runs it).
pub fn as_nobody() -> &'static [&'static str] {
    if is_root() {
        &[
            "/usr/bin/setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
    } else {
        &[]
    }
}

/// Item 1, [`SIGNALS`]: the host's handlers installed before rt0's entry stay installed and
/// fire, also for a signal that arrives while a host thread waits inside an export; rt0 installs
/// none.
pub fn host_signal_handlers_survive_and_fire(label: &str, link: super::Link, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "500".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(
        r.field("state_at_send"),
        "1",
        "the signal was sent after init finished: {c}"
    );
    if link == super::Link::Static {
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

/// Item 2, [`STORM`] (dlopen): a SIGUSR1 storm while the cdylib is loaded and unloaded `loads`
/// times.
pub fn signal_storm_during_loads_and_unloads(
    label: &str,
    loads: i64,
    destructor: Destructor,
    run: Runner,
) {
    let r = run(&[&loads.to_string()], &[]);
    let c = ctx(label, &r);
    if !destructor.present(&r, "the signal storm over loads and unloads", &c) {
        return;
    }
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.num("ready"), loads, "{c}");
    assert!(
        r.num("received") > loads,
        "the storm was too weak to mean anything: {c}"
    );
}

/// How many times item 3 runs, and how slow init is.
#[derive(Debug, Clone, Copy)]
pub struct ThreadRounds {
    /// Static and shared links: processes, one round each.
    pub processes: usize,
    /// Dlopen: load/unload rounds in one process.
    pub dlopen_rounds: usize,
    /// `RT0_DEMO_INIT_SLEEP_MS`.
    pub init_sleep_ms: u64,
}

/// Item 3, [`THREADS`]: 64 host threads call exports during a slow init; all wait and see the
/// whole result, and at least one of them arrived while init ran.
pub fn sixty_four_threads_wait_for_slow_init_many_rounds(
    label: &str,
    link: super::Link,
    rounds: ThreadRounds,
    destructor: Destructor,
    run: Runner,
) {
    let (processes, per_process) = if link == super::Link::Dlopen {
        (1, rounds.dlopen_rounds.to_string())
    } else {
        (rounds.processes, "1".to_string())
    };
    let sleep = rounds.init_sleep_ms.to_string();
    let mut saw_running = 0;
    for _ in 0..processes {
        let r = run(
            &[&per_process],
            &[("RT0_DEMO_INIT_SLEEP_MS", sleep.clone())],
        );
        let c = ctx(label, &r);
        if link == super::Link::Dlopen
            && !destructor.present(&r, "64 threads over load/unload rounds", &c)
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
        "{label}: no thread ever arrived while init ran"
    );
}

/// Item 4, [`DLCLOSE`] (dlopen): dlopen/dlclose 1,000 times, a quarter of them closed while init
/// still runs: no crash; threads and mappings back at the baseline taken in the same process
/// (under qemu `/proc/self/task` also lists qemu's own thread, so never an absolute number); fork
/// still works afterwards.
pub fn dlopen_dlclose_1000_times_leaves_no_thread_or_mapping(
    label: &str,
    destructor: Destructor,
    run: Runner,
) {
    let r = run(&["1000"], &[]);
    let c = ctx(label, &r);
    if !destructor.present(&r, "dlopen/dlclose x1000", &c) {
        return;
    }
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.num("cycles"), 1000, "{c}");
    assert!(
        r.num("closed_while_running") > 100,
        "too few closes raced a running init: {c}"
    );
    assert_eq!(r.num("threads_end"), r.num("threads_base"), "{c}");
    assert_eq!(r.num("threads_max"), r.num("threads_base"), "{c}");
    // Exact on both paths. This check, run under qemu with the CPU contended, found a race:
    // a waiter that saw the init thread gone just after it finished took it for a fork and
    // dropped the joinable thread's handle, so the destructor did not join it and glibc kept
    // its 8 MiB stack (src/entry.rs wait_running).
    assert_eq!(r.num("maps_end"), r.num("maps_base"), "{c}");
    assert_eq!(r.num("maps_max"), r.num("maps_base"), "{c}");
    assert_eq!(r.field("fork_after"), "1", "{c}");
}

/// Item 5, [`FORK`]: fork while init runs. The child's exports answer at once with failure
/// ("forked while init was running"), its exit (which runs rt0's destructor) does not hang; the
/// parent is fine.
pub fn fork_during_init_child_answers_and_exits_parent_unaffected(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "1500".into())]);
    let c = ctx(label, &r);
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
    assert!(
        r.num("child_ms") < 1000,
        "the child waited for an init it does not have: {c}"
    );
    assert_eq!(r.field("parent_ready"), "1", "{c}");
    assert_eq!(r.field("parent_state"), "2", "{c}");
    assert_eq!(r.field("parent_error"), "(none)", "{c}");
}

/// Item 6, [`EARLY`], static link: an export called from a host constructor that runs before
/// rt0's entry returns 0 (NotStarted) at once and the library still initializes.
pub fn early_call_returns_at_once_and_init_still_completes(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "100".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("early_state"), "0", "{c}");
    assert_eq!(r.field("early_ready"), "0", "{c}");
    assert!(r.field("early_ms").parse::<f64>().unwrap() < 50.0, "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("state"), "2", "{c}");
}

/// Item 6, [`EARLY`], every link: init calling its own export gets CalledFromInit at once
/// instead of deadlocking.
pub fn init_calling_its_own_export_does_not_deadlock(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_CALLS_EXPORT", "1".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("init_export_result"), "0", "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
}

/// Item 7a, [`FAULTS`]: clone/clone3 refused by a seccomp filter installed before rt0's entry:
/// the entry reports it on fd 2, exports report failure, the host lives on; the `try_` form
/// returns EAGAIN. (Native only: qemu-user does not install a guest's filter.)
pub fn thread_create_refused_by_seccomp_fails_init_not_the_host(label: &str, run: Runner) {
    let r = run(&["try"], &[("REL_SECCOMP", "1".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    init_thread_refused(&r, &c, "1", true);
}

/// What a [`FAULTS`] host sees when its `setup` (1: seccomp, 2: RLIMIT_NPROC) refused the init
/// thread; with `tried`, the host also ran `try_newosproc0` (the `try` argument).
fn init_thread_refused(r: &Run, c: &str, setup: &str, tried: bool) {
    assert_eq!(r.field("setup"), setup, "{c}");
    assert_eq!(r.stderr, CREATE_FAILED, "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    if tried {
        assert_eq!(r.field("state"), "3", "{c}");
    }
    assert_eq!(r.field("error"), "failed to create the init thread", "{c}");
    if tried {
        assert_eq!(r.field("try_errno"), "11", "{c}");
    }
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

/// Item 7a/7b, [`FAULTS`], static link: with thread creation refused (`env` says how),
/// `newosproc0` keeps its message and exit(1).
pub fn newosproc0_refused_prints_its_message_and_exits_1(
    label: &str,
    env: &[(&str, String)],
    run: Runner,
) {
    let r = run(&["newosproc0"], env);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(1), "{c}");
    assert_eq!(
        r.stderr,
        format!("{CREATE_FAILED}rt0: failed to create new OS thread\n"),
        "{c}"
    );
    assert!(!r.stdout.contains("newosproc0_returned"), "{c}");
}

/// Item 7b, [`FAULTS`], static link: RLIMIT_NPROC reached by an unprivileged user (`run` must
/// start the host under [`as_nobody`]; the host's constructor sets the limit to 1 before rt0's
/// entry). The entry reports the failure, exports fail, the host lives on. With `with_try`, the
/// host also calls `try_newosproc0` (EAGAIN) and `newosproc0` is checked too
/// ([`newosproc0_refused_prints_its_message_and_exits_1`]).
pub fn thread_create_refused_by_rlimit_nproc_fails_init_not_the_host(
    label: &str,
    with_try: bool,
    run: Runner,
) {
    let env = [("REL_NPROC", "1".to_string())];
    let args: &[&str] = if with_try { &["try"] } else { &[] };
    let r = run(args, &env);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_ne!(r.field("uid"), "0", "{c}");
    init_thread_refused(&r, &c, "2", with_try);
    if with_try {
        newosproc0_refused_prints_its_message_and_exits_1(label, &env, run);
    }
}

/// Item 7c, [`FAULTS`]: an init stack that cannot be mapped (RT0_DEMO_STACK_BYTES=2^62): the
/// entry reports it, exports fail, a small raw thread still works, the host lives on.
pub fn init_stack_that_cannot_be_mapped_fails_init_not_the_host(
    label: &str,
    path: super::DemoPath,
    run: Runner,
) {
    let r = run(
        &["try"],
        &[("RT0_DEMO_STACK_BYTES", (1u64 << 62).to_string())],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    let (what, errno) = match path {
        super::DemoPath::Raw => ("failed to allocate the init thread's stack", 12),
        super::DemoPath::Pthread => ("failed to create the init thread", 11),
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

/// Item 8, [`EARLY`]: init overflowing its stack (64 KiB and 8 MiB) dies on the guard page
/// (SIGSEGV or SIGBUS; qemu re-raises the guest's fatal signal on itself), never runs on.
pub fn init_stack_overflow_dies_on_the_guard_page(label: &str, run: Runner) {
    for stack in ["65536", "8388608"] {
        let r = run(
            &[],
            &[
                ("RT0_DEMO_INIT_OVERFLOW", "1".into()),
                ("RT0_DEMO_STACK_BYTES", stack.into()),
            ],
        );
        let c = format!("{stack}: {}", ctx(label, &r));
        assert!(
            matches!(r.signal, Some(11) | Some(7)),
            "not killed by SIGSEGV/SIGBUS: {c}"
        );
        assert!(!r.stderr.contains("did not fault"), "{c}");
        assert!(!r.stdout.contains("ready=1"), "{c}");
    }
}

/// Item 9, [`FAULTS`]: init returning an error: every export reports failure and the message is
/// kept.
pub fn init_error_is_reported_by_every_export_with_its_message(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_FAIL", "1".into())]);
    let c = ctx(label, &r);
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

/// Item 9, panic path: builds `tests/crates/panic-init` (rt0's `std` feature, its own
/// `panic = "unwind"` profile; the rt0 workspace builds with `panic = "abort"`) for `target`
/// (`None`: this machine) into `target_dir`, and links `tests/hosts/rel_panic.c` against it
/// with `cc`. Returns the host.
pub fn build_panic_host(target: Option<&str>, target_dir: &Path, cc: &str) -> PathBuf {
    let krate = root().join("tests/crates/panic-init");
    let mut cargo = Command::new(env!("CARGO"));
    cargo.current_dir(&krate).arg("build");
    if let Some(t) = target {
        cargo.args(["--target", t]);
    }
    let out = cargo
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building panic-init{}: {}",
        target.map(|t| format!(" for {t}")).unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    let lib_dir = match target {
        Some(t) => target_dir.join(t).join("debug"),
        None => target_dir.join("debug"),
    };
    let exe = lib_dir.join("rel_panic");
    let out = Command::new(cc)
        .args(["-O1", "-Wall", "-Werror"])
        .arg(root().join("tests/hosts/rel_panic.c"))
        .arg("-L")
        .arg(&lib_dir)
        .args(["-lrt0_panic_init", "-Wl,--disable-new-dtags"])
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect(cc);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Item 9, panic path, `run` executing [`build_panic_host`]'s host: its init panics, rt0 catches
/// the panic on the init thread, exports report `Panicked` with the payload kept, and the host
/// lives on; without the knob init succeeds.
pub fn init_panic_with_std_is_caught_and_its_message_kept(run: Runner) {
    for (knob, message) in [
        ("1", "rt0: init panicked: init gave up after 3 tries"),
        ("static", "rt0: init panicked: init gave up"),
    ] {
        let r = run(
            &[],
            &[("PANIC_INIT", knob.into()), ("RUST_BACKTRACE", "0".into())],
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
    let r = run(&[], &[]);
    assert_eq!(r.field("ready"), "1", "{r:#?}");
    assert_eq!(r.field("kind"), "ok", "{r:#?}");
}

/// Item 11, statically: no text relocations in `demo`'s cdylib, nor in a PIE host linked by `cc`
/// with `-z text` against its static archive (written to `demo.dir/hosts/<exe_name>`).
pub fn no_text_relocations(label: &str, demo: &super::Demo, cc: &str, exe_name: &str) {
    let dynamic = Command::new("readelf")
        .arg("-dW")
        .arg(demo.cdylib())
        .output()
        .expect("readelf");
    let dynamic = String::from_utf8_lossy(&dynamic.stdout).to_string();
    assert!(
        dynamic.contains("(FLAGS)") || dynamic.contains("(SONAME)") || dynamic.contains("(NEEDED)"),
        "{dynamic}"
    );
    assert!(
        !dynamic.contains("TEXTREL"),
        "{label}: the cdylib has text relocations:\n{dynamic}"
    );
    let exe = demo.dir.join("hosts").join(exe_name);
    let out = Command::new(cc)
        .args(["-O1", "-pie", "-fPIE", "-pthread", "-Wl,-z,text", "-I"])
        .arg(root().join("examples/demo/include"))
        .arg(root().join("tests/hosts/rel_security.c"))
        .arg(demo.staticlib())
        .arg("-o")
        .arg(&exe)
        .output()
        .expect(cc);
    assert!(
        out.status.success(),
        "{label}: -z text link failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dynamic = Command::new("readelf")
        .arg("-dW")
        .arg(&exe)
        .output()
        .expect("readelf");
    assert!(
        !String::from_utf8_lossy(&dynamic.stdout).contains("TEXTREL"),
        "{label}"
    );
}

/// Item 11, [`SECURITY`]: the init stack is read/write only with an inaccessible guard right
/// below (at least `min_guard` bytes: the raw path's guard is the port's abi.toml
/// `[stack] guard_size`, glibc's a page); rt0 keeps the loader's argv and envp pointers. Init
/// sleeps `init_sleep_ms` so the host reads the maps while it runs.
pub fn rw_stacks_with_guard_and_no_environment_copy(
    label: &str,
    init_sleep_ms: u64,
    min_guard: i64,
    run: Runner,
) {
    let r = run(
        &[],
        &[("RT0_DEMO_INIT_SLEEP_MS", init_sleep_ms.to_string())],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("state_while_reading"), "1", "{c}");
    assert_eq!(r.field("stack_perms"), "rw-p", "{c}");
    assert_eq!(
        r.field("below_perms"),
        "---p",
        "no guard right under the init stack: {c}"
    );
    assert!(r.num("below_size") >= min_guard, "{c}");
    assert_eq!(r.field("argv0_same_pointer"), "1", "{c}");
    assert_eq!(r.field("envp_same_pointer"), "1", "{c}");
}

/// The wall-time bounds of [`exit_during_init_waits_for_it_and_underscore_exit_does_not`].
#[derive(Debug, Clone, Copy)]
pub struct ExitTiming {
    /// `RT0_DEMO_INIT_SLEEP_MS`.
    pub init_sleep_ms: u64,
    /// `exit` takes at least this long (it waits for init).
    pub exit_at_least: Duration,
    /// `_exit` takes less than this (it does not).
    pub underscore_exit_below: Duration,
}

/// [`EXIT`]: the host ends while init still runs (docs/reliability.md): `exit` runs rt0's
/// destructor, which waits for init to finish and its thread to be gone, then the process exits
/// normally; `_exit` ends at once. Neither crashes. Wall time includes an emulator's start-up, so
/// the bounds are the caller's.
pub fn exit_during_init_waits_for_it_and_underscore_exit_does_not(
    label: &str,
    timing: ExitTiming,
    destructor: Destructor,
    run: Runner,
) {
    let sleep = timing.init_sleep_ms.to_string();
    for (how, waits) in [("exit", true), ("_exit", false)] {
        let start = Instant::now();
        let r = run(&[how], &[("RT0_DEMO_INIT_SLEEP_MS", sleep.clone())]);
        let took = start.elapsed();
        let c = format!("{how} after {took:?}: {}", ctx(label, &r));
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("state_at_end"), "1", "{c}");
        // Only `exit` needs the destructor; where it is required, both runs assert it.
        if (waits || destructor == Destructor::Required)
            && !destructor.present(&r, "exit waiting for init", &c)
        {
            continue;
        }
        if waits {
            assert!(
                took >= timing.exit_at_least,
                "exit did not wait for init: {c}"
            );
        } else {
            assert!(took < timing.underscore_exit_below, "_exit waited: {c}");
        }
    }
}
