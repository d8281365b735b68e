//! The reliability scenarios, written once. `tests/reliability.rs` runs them on this
//! machine's kernel (x86_64 glibc); `tests/cross_reliability.rs` runs the same checks on the other
//! Linux ports (aarch64 glibc under qemu-user, x86_64 musl). docs/reliability.md holds the table.
//!
//! Each scenario takes a label for failure messages (which target, path and link), a
//! [`Runner`] that executes the scenario's host (named by the constant beside it) with arguments
//! and environment, and what legitimately differs between the targets: iteration counts (the
//! emulator is slower), init sleeps, and the guard size of the port. The callers choose the links
//! and hosts each scenario runs on, and say why a target skips one. No check depends on how fast
//! a machine is: where an order matters (a call answered before init finished), the host observes
//! the order itself (init's state at that moment), and a hang is caught by the runner's deadline.

use super::{DemoPath, Run};
use std::process::Command;

pub use super::scenarios::Runner;

/// The host: handlers, an altstack and a signal sent while main waits in an export.
pub const SIGNALS: &str = "rel_signals.c";
/// The host: a SIGUSR1 storm over dlopen/dlclose (dlopen only).
pub const STORM: &str = "rel_storm.c";
/// The host: 64 threads calling exports during a slow init.
pub const THREADS: &str = "rel_threads.c";
/// The host: dlopen/dlclose in a loop, counting threads and mappings (dlopen only).
pub const DLCLOSE: &str = "rel_dlclose.c";
/// The host: fork while init runs.
pub const FORK: &str = "rel_fork.c";
/// The host: fork after init finished.
pub const FORK_AFTER: &str = "rel_fork_after.c";
/// Items 6 and 8: early calls from a constructor, init calling its own export, stack overflow.
pub const EARLY: &str = "rel_early.c";
/// Items 7 and 9: seccomp, RLIMIT_NPROC, an unmappable stack, init returning an error.
pub const FAULTS: &str = "rel_faults.c";
/// The host: stack permissions and guard, argv/envp pointers.
pub const SECURITY: &str = "rel_security.c";
/// The host that ends (`exit` or `_exit`) while init runs.
pub const EXIT: &str = "rel_exit.c";

/// The host that calls setgid/setuid in main while init runs.
pub const SETID: &str = "rel_setid.c";
/// The host that exhausts its file descriptors, then calls an export during a slow init.
pub const NOFILE: &str = "rel_nofile.c";
/// The host that dlclose()s the demo while its init runs, then watches the image (dlopen only).
pub const UNLOAD: &str = "rel_unload.c";

/// The demo's default init stack (rt0's default, 8 MiB), as creation failures name it.
pub const DEFAULT_STACK: u64 = 8 << 20;
/// An init sleep that outlasts every deadline (about 46 days): an init that never returns.
pub const FOREVER_MS: &str = "4000000000";

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

/// [`SIGNALS`]: the host's handlers installed before rt0's entry stay installed and
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

/// [`STORM`] (dlopen): a SIGUSR1 storm while the cdylib is loaded and unloaded `loads`
/// times; every load reaches ready. The image stays loaded (rt0 pins it for the life of the
/// process, both creators): no unload unmaps it.
pub fn signal_storm_during_loads_and_unloads(
    label: &str,
    _path: DemoPath,
    loads: i64,
    run: Runner,
) {
    let r = run(&[&loads.to_string()], &[]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.num("ready"), loads, "{c}");
    assert_eq!(r.num("unmapped"), 0, "{c}");
    assert_eq!(
        r.num("signalled"),
        loads,
        "a load saw no signal handled: the storm was too weak to mean anything: {c}"
    );
}

/// How many times the 64-thread scenario runs, and how slow init is.
#[derive(Debug, Clone, Copy)]
pub struct ThreadRounds {
    /// Static and shared links: processes, one round each.
    pub processes: usize,
    /// Dlopen: load/unload rounds in one process.
    pub dlopen_rounds: usize,
    /// `RT0_DEMO_INIT_SLEEP_MS`.
    pub init_sleep_ms: u64,
}

/// [`THREADS`]: 64 host threads call exports during a slow init; all wait and see the
/// whole result, and at least one of them arrived while init ran. With dlopen the image stays
/// pinned after the first round, whose threads meet the running init; later rounds find it done.
pub fn sixty_four_threads_wait_for_slow_init_many_rounds(
    label: &str,
    link: super::Link,
    rounds: ThreadRounds,
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
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.num("ok"), r.num("calls"), "{c}");
        saw_running += r.num("saw_running");
    }
    assert!(
        saw_running > 0,
        "{label}: no thread ever arrived while init ran"
    );
}

/// [`DLCLOSE`] (dlopen): dlopen/dlclose 1,000 times, a quarter of them closed while init
/// still runs; dlclose never waits for init. No crash; threads back at the baseline taken in the
/// same process (under qemu `/proc/self/task` also lists qemu's own thread, so never an absolute
/// number); mappings counted every 100 cycles do not grow from the first 500 cycles to the last 500 (up to
/// `maps_slack` more lines); fork
/// still works afterwards.
/// The image stays loaded for the life of the process (rt0 pins it, both creators): no init
/// after the first, its mappings unchanged, `dlopen(RTLD_NOLOAD)` still finds it.
pub fn dlopen_dlclose_1000_times_leaves_no_thread_or_mapping(
    label: &str,
    path: DemoPath,
    maps_slack: i64,
    run: Runner,
) {
    let r = run(&["1000"], &[]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.num("cycles"), 1000, "{c}");
    assert_eq!(r.num("threads_base"), r.num("threads_start"), "{c}");
    assert_eq!(r.num("threads_end"), r.num("threads_base"), "{c}");
    assert_eq!(r.num("threads_max"), r.num("threads_base"), "{c}");
    // A leaked thread stack or image adds mappings with every cycle; glibc's thread-stack cache
    // holds a few stacks (two lines each) more or less from one checkpoint to the next, a bounded
    // number (seen natively: 32 lines against a baseline of 28). So the check is growth: the most
    // lines at the checkpoints of the second 500 cycles may not exceed the most of the first 500
    // (plus the caller's `maps_slack`, for qemu-user), nor the end the second half's most.
    let (early, late) = (r.num("maps_early_max"), r.num("maps_late_max"));
    assert!(
        late <= early + maps_slack,
        "mappings grew from the first 500 cycles ({early}) to the last 500 ({late}): {c}"
    );
    assert!(r.num("maps_end") <= late + maps_slack, "{c}");
    assert_eq!(
        r.num("unload_timeouts"),
        0,
        "an unloaded image stayed mapped: {c}"
    );
    let _ = path;
    assert_eq!(r.num("unloads"), 0, "{c}");
    // Counted after the warm-up: the pinned image's one init ran there.
    assert_eq!(r.num("inits"), 0, "the pinned image ran init again: {c}");
    assert!(r.num("lib_maps_base") > 0, "the image went away: {c}");
    for k in ["lib_maps_end", "lib_maps_max", "lib_maps_min"] {
        assert_eq!(r.num(k), r.num("lib_maps_base"), "{k}: {c}");
    }
    assert_eq!(r.num("loaded_end"), 1, "{c}");
    assert_eq!(r.field("fork_after"), "1", "{c}");
}

/// [`UNLOAD`] (dlopen), run with `RT0_TRACE=1`: dlclose while init runs (`init_sleep_ms`)
/// returns before init finished: the host's `host: dlclose returned` line reaches fd 2 before the
/// init thread's `init done` trace line. No crash. The image is pinned for the life of the
/// process (RTLD_NODELETE, both creators): init finishes in the still mapped image (state 2, read
/// through a pointer resolved before dlclose), its mappings stay and `dlopen(RTLD_NOLOAD)` still
/// finds it.
pub fn dlclose_during_init_returns_before_init_finishes(
    label: &str,
    path: DemoPath,
    init_sleep_ms: u64,
    run: Runner,
) {
    let r = run(
        &[path.name()],
        &[
            ("RT0_DEMO_INIT_SLEEP_MS", init_sleep_ms.to_string()),
            ("RT0_TRACE", "1".into()),
        ],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("state_before_close"), "1", "{c}");
    assert_eq!(r.field("close_result"), "0", "{c}");
    let trace = r.stderr_without_ids();
    let at = |line: &str| {
        trace
            .lines()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no `{line}` line on fd 2: {c}"))
    };
    assert!(
        at("host: dlclose returned") < at("rt0 rt0-demo: init done"),
        "dlclose returned only after init finished: {c}"
    );
    let _ = path;
    let pin = "rt0 rt0-demo: pin: image pinned for the life of the process (RTLD_NODELETE)";
    assert!(at(pin) < at("host: dlclose returned"), "{c}");
    assert_eq!(r.field("threads_end"), r.field("threads_start"), "{c}");
    assert!(r.num("lib_maps_after_close") > 0, "{c}");
    assert_eq!(r.field("state_end"), "2", "{c}");
    assert_eq!(
        r.field("lib_maps_end"),
        r.field("lib_maps_after_close"),
        "{c}"
    );
    assert_eq!(r.field("loaded_end"), "1", "{c}");
}

/// [`FORK`]: `fork` while init runs (1.5 s). The demo keeps rt0's default `on_fork =
/// reinit`: the child sees a fork child's state (4) at first, its first export starts init anew
/// there (the entry on the child's own thread, the init on another thread of the child) and
/// answers ready; the child exits normally (no hang), and the parent is unaffected, its init
/// on its own thread.
pub fn fork_during_init_child_answers_and_exits_parent_unaffected(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_SLEEP_MS", "1500".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("child_state_at_fork"), "1", "{c}");
    assert_eq!(r.field("child_state_at_first_look"), "4", "{c}");
    assert_eq!(r.field("child_hung"), "0", "{c}");
    assert_eq!(r.field("child_exit"), "0", "{c}");
    assert_eq!(r.field("child_ready"), "1", "{c}");
    assert_eq!(r.field("child_state"), "2", "{c}");
    assert_eq!(r.field("child_error"), "(none)", "{c}");
    assert_eq!(r.field("child_entry_is_child_main"), "1", "{c}");
    assert!(r.num("child_init_tid") > 0, "{c}");
    assert_eq!(
        r.field("child_init_tid_seen"),
        "1",
        "the child's init thread was never one of the child's threads: {c}"
    );
    assert_ne!(r.field("child_init_tid"), r.field("parent_init_tid"), "{c}");
    assert_eq!(r.field("parent_ready"), "1", "{c}");
    assert_eq!(r.field("parent_state"), "2", "{c}");
    assert_eq!(r.field("parent_error"), "(none)", "{c}");
}

/// [`FORK_AFTER`]: `fork` after init finished (a `init_sleep_ms` init: the child's runs as
/// long). With the demo's `on_fork = reinit` (rt0's default) the child sees a fork child's state
/// (4) first; its first export runs init again in the child, with the creator of the load: the
/// entry on the child's own thread, init on another thread of the child (one the child's task
/// list showed while the export waited), not the parent's; it answers ready and exits normally
/// (no hang). The parent is unaffected: ready, its init thread the same before and after.
pub fn fork_after_init_child_runs_its_own_init_parent_unaffected(
    label: &str,
    path: DemoPath,
    init_sleep_ms: u64,
    run: Runner,
) {
    let r = run(
        &[],
        &[("RT0_DEMO_INIT_SLEEP_MS", init_sleep_ms.to_string())],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("parent_ready_before"), "1", "{c}");
    assert_eq!(r.field("child_state_at_fork"), "2", "{c}");
    assert_eq!(r.field("child_state_at_first_look"), "4", "{c}");
    assert_eq!(r.field("child_hung"), "0", "{c}");
    assert_eq!(r.field("child_exit"), "0", "{c}");
    assert_eq!(r.field("child_ready"), "1", "{c}");
    assert_eq!(r.field("child_state"), "2", "{c}");
    assert_eq!(r.field("child_error"), "(none)", "{c}");
    assert_eq!(r.field("child_path"), path.name(), "{c}");
    assert!(
        r.num("child_ms") >= init_sleep_ms as i64 - 1,
        "the child's export answered before an init of its own could have run: {c}"
    );
    assert_eq!(r.field("child_entry_is_child_main"), "1", "{c}");
    assert!(r.num("child_init_tid") > 0, "{c}");
    assert_eq!(
        r.field("child_init_tid_seen"),
        "1",
        "the child's init thread was never one of the child's threads: {c}"
    );
    assert_ne!(r.field("child_init_tid"), r.field("parent_init_tid"), "{c}");
    assert_eq!(r.field("parent_ready"), "1", "{c}");
    assert_eq!(r.field("parent_state"), "2", "{c}");
    assert_eq!(r.field("parent_error"), "(none)", "{c}");
    assert_eq!(
        r.field("parent_init_tid"),
        r.field("parent_init_tid_before"),
        "{c}"
    );
    assert_eq!(r.field("parent_entry_is_main"), "1", "{c}");
}

/// [`EARLY`], static link: an export called from a host constructor that runs before
/// rt0's entry starts the entry itself and waits: it returns ready, init saw the process's real
/// argc and the arguments main gets (recovered from the initial stack, then copied).
pub fn early_call_starts_the_entry_and_waits(label: &str, run: Runner) {
    let r = run(&["one", "two"], &[("RT0_DEMO_INIT_SLEEP_MS", "100".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(
        r.field("early_state"),
        "0",
        "the entry had already run: {c}"
    );
    assert_eq!(r.field("early_ready"), "1", "{c}");
    assert_eq!(r.field("early_state_after"), "2", "{c}");
    assert_eq!(r.field("argc"), "3", "{c}");
    assert_eq!(r.field("early_argc"), "3", "{c}");
    assert_eq!(r.field("early_argv0_same_text"), "1", "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("state"), "2", "{c}");
    assert!(r.stderr.is_empty(), "{c}");
}

/// [`EARLY`], every link: init calling its own export gets CalledFromInit at once
/// instead of deadlocking.
pub fn init_calling_its_own_export_does_not_deadlock(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_CALLS_EXPORT", "1".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("init_export_result"), "0", "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
}

// Thread-creation failures, stack overflow, init errors and panics, text relocations.
mod faults;
#[allow(unused_imports)] // each test binary uses some of the scenarios
pub use faults::*;

/// [`SECURITY`]: the init stack is read/write only with an inaccessible guard right
/// below (at least `min_guard` bytes: the raw path's guard is the port's abi.toml
/// `[stack] guard_size`, glibc's a page); rt0 keeps its own copy of argv and envp (other
/// pointers, the same text) in a read-only mapping; the init thread carries the library's name.
/// Init sleeps `init_sleep_ms` so the host reads the maps while it runs.
pub fn rw_stacks_with_guard_and_a_read_only_copy_of_the_arguments(
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
    assert_eq!(r.field("argv0_same_pointer"), "0", "{c}");
    assert_eq!(r.field("argv0_same_text"), "1", "{c}");
    assert_eq!(r.field("envp_same_pointer"), "0", "{c}");
    assert_eq!(r.field("envp0_same_text"), "1", "{c}");
    assert_eq!(r.field("args_copy_perms"), "r--p", "{c}");
    assert_eq!(
        r.field("init_thread_named"),
        "1",
        "no thread named after the library while init ran: {c}"
    );
}

/// [`EXIT`]: the host ends while init still runs, and init would run for weeks
/// ([`FOREVER_MS`]): returning from main (`exit`: atexit handlers and library destructors run)
/// and `_exit` both end the process at once with status 0. rt0 registers no destructor, so
/// nothing waits for init; a wait would be caught by the runner's deadline as a hang.
pub fn exit_during_init_does_not_wait_for_it(label: &str, run: Runner) {
    for how in ["exit", "_exit"] {
        let r = run(&[how], &[("RT0_DEMO_INIT_SLEEP_MS", FOREVER_MS.into())]);
        let c = format!("{how}: {}", ctx(label, &r));
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("state_at_end"), "1", "{c}");
        let atexit = if how == "exit" { "1" } else { "(none)" };
        assert_eq!(
            r.fields()
                .get("atexit_ran")
                .map_or("(none)", String::as_str),
            atexit,
            "{c}"
        );
        assert!(r.stderr.is_empty(), "{c}");
    }
}

/// [`SETID`]: setgid and setuid in main while init runs (`init_sleep_ms`): the C library signals
/// each of its threads to change their credentials and waits for all of them, which the init
/// thread must answer (its mask leaves the C library's reserved signals open). The calls succeed
/// and return while init still runs; init then finishes. Afterwards no thread of the process
/// kept another uid: the pthread creator's thread is one of the C library's and changed with the
/// others; a raw creator's thread, unknown to the C library, runs only in a process that cannot
/// change its ids (as root it is refused: `tests/raw_hazards.rs`), so it has nothing to keep.
pub fn setuid_during_init_completes_and_init_finishes(
    label: &str,
    path: DemoPath,
    init_sleep_ms: u64,
    run: Runner,
) {
    let r = run(
        &[],
        &[("RT0_DEMO_INIT_SLEEP_MS", init_sleep_ms.to_string())],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("state_before"), "1", "{c}");
    assert_eq!(r.field("setgid"), "0", "{c}");
    assert_eq!(r.field("setuid"), "0", "{c}");
    assert_eq!(r.field("uid_end"), r.field("uid_target"), "{c}");
    assert_eq!(
        r.field("state_after_setid"),
        "1",
        "setuid/setgid returned only after init finished: {c}"
    );
    let _ = path;
    assert_eq!(r.field("init_thread_uid"), r.field("uid_target"), "{c}");
    // qemu-user's own threads show in /proc/self/task and keep qemu's ids: only natively can
    // every thread be counted.
    if !label.contains("Aarch64") && !label.contains("Riscv64") {
        assert_eq!(r.field("threads_not_dropped"), "0", "{c}");
    }
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("state"), "2", "{c}");
    assert_eq!(r.field("error"), "(none)", "{c}");
}

/// [`NOFILE`], `main` mode, every link: with every file descriptor in use (EMFILE), an export
/// called while init still runs waits and succeeds.
pub fn export_waits_and_succeeds_with_no_free_descriptor(label: &str, run: Runner) {
    let r = run(
        &[],
        &[
            ("REL_NOFILE_MODE", "main".into()),
            ("RT0_DEMO_INIT_SLEEP_MS", "300".into()),
        ],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("emfile"), "1", "{c}");
    assert_eq!(r.field("emfile_during_call"), "1", "{c}");
    assert_eq!(r.field("state_before"), "1", "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("error"), "(none)", "{c}");
    assert_eq!(r.field("state"), "2", "{c}");
}

/// [`NOFILE`], `ctor` mode, static link: a constructor that runs before rt0's entry uses up every
/// descriptor and calls an export: the export starts the entry itself and waits, and succeeds.
/// The arguments cannot be recovered without a descriptor (`/proc/self/stat` cannot be opened),
/// and the loader's later call of the entry finds it already started: init sees argc 0
/// (docs/reliability.md).
pub fn early_call_with_no_free_descriptor_still_initializes(label: &str, run: Runner) {
    let r = run(
        &["a", "b"],
        &[
            ("REL_NOFILE_MODE", "ctor".into()),
            ("RT0_DEMO_INIT_SLEEP_MS", "100".into()),
        ],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ctor_emfile"), "1", "{c}");
    assert_eq!(r.field("ctor_state"), "0", "{c}");
    assert_eq!(r.field("ctor_ready"), "1", "{c}");
    assert_eq!(r.field("ready"), "1", "{c}");
    assert_eq!(r.field("argc"), "0", "{c}");
    assert_eq!(r.field("state"), "2", "{c}");
}
