//! The demo's scenarios for x86_64-apple-darwin and aarch64-apple-darwin (every scenario runs on
//! both: `on_both_triples!` at the end), run under rt0-port's emulated XNU: the pthread
//! path and the raw path, with the current and the legacy (libpthread <= 330) thread-start stack,
//! plus the harness's own failure modes (an unmodeled syscall, a guard-page touch, a stub that
//! disagrees with its description). Each run builds the demo (cached per path under
//! target/emulate/), links a C host and runs it; see docs/emulator.md.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use support::{copy_dir, root};

/// Runs share target directories: one at a time keeps cargo's lock waits out of the timings.
static LOCK: Mutex<()> = Mutex::new(());

/// Signals an init thread must block: every asynchronous one. Synchronous signals (SIGILL 4,
/// SIGTRAP 5, SIGFPE 8, SIGBUS 10, SIGSEGV 11, SIGSYS 12) are delivered to the faulting thread
/// and SIGKILL 9 / SIGSTOP 17 cannot be blocked (XNU bsd/sys/signalvar.h sigcantmask).
const NOT_ASYNC: [u32; 8] = [4, 5, 8, 9, 10, 11, 12, 17];

fn host(name: &str) -> String {
    support::host(name).display().to_string()
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
    report: String,
}

impl Run {
    fn get(&self, key: &str) -> Option<String> {
        rt0_inspect::report::first(&self.stdout, key)
    }
    fn must(&self, key: &str) -> String {
        self.get(key)
            .unwrap_or_else(|| panic!("no `{key}=` line in the output:\n{self}"))
    }
    fn report_line(&self, prefix: &str) -> Option<&str> {
        self.report.lines().find(|l| l.starts_with(prefix))
    }
    fn syscall_count(&self, n: u32) -> u64 {
        self.report_line(&format!("syscall {n} count="))
            .map(|l| l.rsplit('=').next().unwrap().parse().unwrap())
            .unwrap_or(0)
    }
    fn libcall_count(&self, name: &str) -> u64 {
        self.report_line(&format!("libcall {name} count="))
            .map(|l| l.rsplit('=').next().unwrap().parse().unwrap())
            .unwrap_or(0)
    }
    /// `key=value` of the report line about emulated thread `n`.
    fn thread(&self, n: usize, key: &str) -> String {
        let line = self
            .report_line(&format!("thread {n} "))
            .unwrap_or_else(|| panic!("no thread {n} in the report:\n{self}"));
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} for thread {n}: {line}"))
            .to_string()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {}\n--- stdout\n{}--- stderr\n{}--- report\n{}",
            self.status, self.stdout, self.stderr, self.report
        )
    }
}

fn emulate_with(t: &str, opts: &[&str], args: &[&str], env: &[(&str, &str)]) -> Run {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let report = tmp.join(format!("emulate-report-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&report);
    let mut c = Command::new(env!("CARGO_BIN_EXE_rt0-port"));
    c.current_dir(root())
        .arg("emulate")
        .arg(t)
        .args(opts)
        .arg("--report")
        .arg(&report)
        .arg("--")
        .args(args);
    c.env_remove("RT0_ARCH_DIR").env_remove("RT0_WORKSPACE");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run rt0-port");
    let run = Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report: std::fs::read_to_string(&report).unwrap_or_default(),
    };
    eprintln!(
        "rt0-port emulate {t} {} -- {}\n{run}",
        opts.join(" "),
        args.join(" ")
    );
    run
}

fn emulate(t: &str, opts: &[&str], args: &[&str]) -> Run {
    emulate_with(t, opts, args, &[])
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("not hex: {s}"))
}

/// The demo host's lines for a successful init on `path`, with argc/argv as passed.
fn assert_init_on_other_thread(r: &Run, path: &str, argv_tail: &[&str]) {
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(r.must("ready"), "1", "{r}");
    assert_eq!(r.must("path"), path, "{r}");
    let (main, entry, init) = (r.must("main_tid"), r.must("entry_tid"), r.must("init_tid"));
    assert_eq!(
        entry, main,
        "the load-time entry runs on the thread that runs main: {r}"
    );
    assert_ne!(init, entry, "init must run on another OS thread: {r}");
    // The emulator's view: thread 2 was created by thread 1 through the path's creator, and its
    // thread_selfid is the tid init reported.
    let via = if path == "raw" {
        "bsdthread_create"
    } else {
        "pthread_create"
    };
    assert_eq!(r.thread(2, "via"), via, "{r}");
    assert_eq!(r.thread(2, "created_by"), "1", "{r}");
    assert_eq!(
        hex(&r.thread(2, "tid")),
        init.parse::<u64>().unwrap(),
        "{r}"
    );
    // argc/argv as dyld passed them to the initializer.
    assert_eq!(r.must("argc"), (1 + argv_tail.len()).to_string(), "{r}");
    assert!(r.must("argv[0]").ends_with("/host"), "{r}");
    for (i, a) in argv_tail.iter().enumerate() {
        assert_eq!(r.must(&format!("argv[{}]", i + 1)), *a, "{r}");
    }
}

/// The init thread's mask blocks every asynchronous signal and leaves the synchronous ones
/// deliverable; the emulator's own record of the thread agrees with what init reported.
fn assert_init_mask(r: &Run, reported: u64) {
    for sig in 1..=31u32 {
        let blocked = reported >> (sig - 1) & 1 == 1;
        if NOT_ASYNC.contains(&sig) {
            if sig != 9 && sig != 17 {
                assert!(
                    !blocked,
                    "synchronous signal {sig} blocked in init ({reported:#x}): {r}"
                );
            }
        } else {
            assert!(
                blocked,
                "asynchronous signal {sig} not blocked in init ({reported:#x}): {r}"
            );
        }
    }
    // The thread was created with at least those blocked (the mask is set before the create and
    // inherited, XNU uthread_init), and the emulator saw the final mask init reported.
    let start = hex(&r.thread(2, "start_mask"));
    for sig in 1..=31u32 {
        if !NOT_ASYNC.contains(&sig) {
            assert!(
                start >> (sig - 1) & 1 == 1,
                "signal {sig} not blocked when thread 2 started ({start:#x}): {r}"
            );
        }
    }
    assert_eq!(hex(&r.thread(2, "final_mask")), reported, "{r}");
}

/// The libSystem calls thread `n` made, as the report lists them (`NAME:COUNT`), empty for none.
fn thread_libcalls(r: &Run, n: usize) -> Vec<String> {
    let v = r.thread(n, "libcalls");
    if v == "-" {
        Vec::new()
    } else {
        v.split(',').map(str::to_string).collect()
    }
}

/// Every thread bsdthread_create made gave its own port back to bsdthread_terminate (XNU then
/// deallocates it); none leaked one. Returns how many such threads there were.
fn assert_raw_threads_release_their_ports(r: &Run) -> usize {
    let raw: Vec<usize> = (1..)
        .map_while(|n| r.report_line(&format!("thread {n} ")).map(|_| n))
        .filter(|n| r.thread(*n, "via") == "bsdthread_create")
        .collect();
    for &n in &raw {
        let kport = r.thread(n, "kport");
        assert!(
            kport.ends_with(":released"),
            "thread {n} (bsdthread_create) did not give its port back to bsdthread_terminate ({kport}): {r}"
        );
    }
    assert_eq!(r.report_line("kport_leaks="), Some("kport_leaks=0"), "{r}");
    raw.len()
}

/// The entry pinned the demo's image: on the loading thread (1), dladdr found the image and
/// dlopen reopened the image itself with RTLD_NOLOAD|RTLD_NODELETE, once, and got a handle; the
/// emulated dyld marked the image never-unload.
fn assert_entry_pinned_its_image(r: &Run) {
    let dladdr: Vec<&str> = r
        .report
        .lines()
        .filter(|l| l.starts_with("dladdr "))
        .collect();
    assert!(
        dladdr
            .iter()
            .any(|l| l.starts_with("dladdr thread=1 ") && l.ends_with(" found=1")),
        "the entry did not find its image with dladdr on the loading thread: {r}"
    );
    let dlopen: Vec<&str> = r
        .report
        .lines()
        .filter(|l| l.starts_with("dlopen "))
        .collect();
    assert_eq!(
        dlopen.len(),
        1,
        "the image must be pinned exactly once: {r}"
    );
    let l = dlopen[0];
    assert!(l.starts_with("dlopen thread=1 path=self "), "{r}");
    for flag in ["RTLD_NOLOAD", "RTLD_NODELETE"] {
        assert!(l.contains(flag), "the pin's dlopen lacks {flag}: {l}\n{r}");
    }
    assert!(!l.ends_with("handle=0x0"), "{r}");
    assert!(r.report.contains("image_dlopen_nodelete=1"), "{r}");
}

fn assert_no_process_sigmask(r: &Run) {
    assert_eq!(
        r.syscall_count(48),
        0,
        "sigprocmask (48) changes every thread's mask; rt0 must not call it: {r}"
    );
    // libSystem's sigprocmask is not in the emulated libSystem: importing it fails the link.
}

// --- init on another thread, argc/argv -------------------------------------------------------

fn pthread_path_runs_init_on_another_thread(t: &str) {
    let r = emulate(t, &[], &["alpha", "beta gamma"]);
    assert_init_on_other_thread(&r, "pthread", &["alpha", "beta gamma"]);
    assert_eq!(r.libcall_count("_pthread_create"), 1, "{r}");
    assert_eq!(
        r.syscall_count(360),
        0,
        "the pthread path must not make raw threads: {r}"
    );
    assert!(r.report.contains("libsystem_registered=1"), "{r}");
    assert_no_process_sigmask(&r);
    assert_entry_pinned_its_image(&r);
}

fn pthread_path_legacy_stack_is_unaffected(t: &str) {
    // --legacy-stack changes only bsdthread starts; libSystem's pthread_create is not one.
    let r = emulate(t, &["--legacy-stack"], &["x"]);
    assert_init_on_other_thread(&r, "pthread", &["x"]);
}

fn raw_path_runs_init_on_another_thread(t: &str) {
    let r = emulate(t, &["--raw"], &["alpha", "beta"]);
    assert_init_on_other_thread(&r, "raw", &["alpha", "beta"]);
    assert!(r.report.contains("bsdthread_register=ok"), "{r}");
    assert_eq!(r.syscall_count(360), 1, "{r}");
    assert_eq!(
        r.syscall_count(361),
        1,
        "the init thread ends with bsdthread_terminate: {r}"
    );
    assert_eq!(r.thread(2, "state"), "exited", "{r}");
    assert_no_process_sigmask(&r);
    // The raw init thread makes no libSystem call at all: it has no thread pointer, and a libcall
    // there would run libSystem on a thread libpthread never set up. The loader thread (1) may:
    // `prepare` pins the image (dladdr, dlopen) and records its ids (getpid, pthread_threadid_np).
    assert_eq!(
        thread_libcalls(&r, 2),
        Vec::<String>::new(),
        "the raw init thread called libSystem: {r}"
    );
    let loader = thread_libcalls(&r, 1);
    for f in ["_dladdr:1", "_dlopen:1"] {
        assert!(
            loader.iter().any(|c| c == f),
            "the loader thread's libcalls lack {f}: {loader:?}\n{r}"
        );
    }
    assert_entry_pinned_its_image(&r);
    assert_eq!(assert_raw_threads_release_their_ports(&r), 1, "{r}");
}

fn raw_path_legacy_stack(t: &str) {
    // rsp/sp = stack - 128: the start routine must take the stack from r8/x4 (the emulator also checks
    // that bsdthread_terminate frees exactly the mapping named by the header at the stack argument).
    let r = emulate(t, &["--raw", "--legacy-stack"], &["legacy"]);
    assert_init_on_other_thread(&r, "raw", &["legacy"]);
    assert_no_process_sigmask(&r);
}

fn raw_build_in_a_normal_process_sees_einval(t: &str) {
    // The real world: libSystem registered libpthread's thread_start before rt0's entry, so the
    // raw path's bsdthread_register is refused and init is reported as failed, without a thread.
    let r = emulate(t, &["--raw", "--register-libsystem"], &[]);
    assert_eq!(r.must("ready"), "0", "{r}");
    assert!(r.must("error").contains("bsdthread_register"), "{r}");
    assert!(r.report.contains("bsdthread_register=EINVAL"), "{r}");
    assert_eq!(
        r.syscall_count(360),
        0,
        "no bsdthread_create after EINVAL: {r}"
    );
    assert_eq!(r.status, 1, "{r}");
    assert_no_process_sigmask(&r);
    // The refused probe still set the process's thread-stack address hint (LP kern_support.c
    // _bsdthread_register sets it before the "prevent multiple registrations" check): x86_64
    // draws a new random one, arm64 takes the main thread's stack top again.
    let hint = |prefix: &str| {
        let l = r
            .report_line(prefix)
            .unwrap_or_else(|| panic!("no `{prefix}` line: {r}"));
        hex(l.rsplit("stack_addr_hint=").next().unwrap())
    };
    let (first, refused) = (
        hint("libsystem_registered=1"),
        hint("bsdthread_register=EINVAL"),
    );
    assert!(
        r.report.contains("set_by_bsdthread_register=2"),
        "both registrations set the hint: {r}"
    );
    assert_eq!(
        r.report_line("stack_addr_hint="),
        Some(format!("stack_addr_hint={refused:#x} set_by_bsdthread_register=2").as_str()),
        "{r}"
    );
    if t.starts_with("x86_64") {
        assert_ne!(
            first, refused,
            "x86_64: the refused call re-randomises the hint: {r}"
        );
        assert_eq!(
            first >> 28,
            0x70000,
            "0x700000000000 + random() % 2^28: {r}"
        );
    } else {
        assert_eq!(
            first, refused,
            "arm64: the hint is the main thread's stack top: {r}"
        );
    }
}

// --- exports wait for a slow init ------------------------------------------------------------

fn slow_init(t: &str, opts: &[&str], path: &str) {
    let mut o = opts.to_vec();
    o.extend_from_slice(&["--env", "RT0_DEMO_INIT_SLEEP_MS=40"]);
    let r = emulate(t, &o, &["slow"]);
    // main got there before init finished, and the export still saw a finished init.
    assert_ne!(
        r.must("state_at_main"),
        "2",
        "init finished before main: the wait was not exercised: {r}"
    );
    assert_init_on_other_thread(&r, path, &["slow"]);
    let ns: u64 = r
        .report_line("virtual_ns=")
        .unwrap()
        .trim_start_matches("virtual_ns=")
        .parse()
        .unwrap();
    assert!(
        ns >= 40_000_000,
        "init's 40 ms sleep did not pass in virtual time ({ns} ns): {r}"
    );
}

fn pthread_path_exports_wait_for_slow_init(t: &str) {
    slow_init(t, &[], "pthread");
}

fn raw_path_exports_wait_for_slow_init(t: &str) {
    slow_init(t, &["--raw"], "raw");
}

fn exports_wait_with_a_tiny_quantum(t: &str) {
    // Switch threads every 37 instructions: the init/export race is interleaved finely.
    slow_init(t, &["--quantum", "37"], "pthread");
    slow_init(t, &["--raw", "--quantum", "37", "--legacy-stack"], "raw");
}

fn exports_wait_when_the_creator_keeps_the_cpu(t: &str) {
    // --parent-first: after the create, the entry's thread keeps running through dyld into main,
    // so main's first export call finds init not yet run, and must wait for it (no sleep knob).
    for (opts, path) in [
        (&["--parent-first"][..], "pthread"),
        (&["--parent-first", "--raw"][..], "raw"),
    ] {
        let r = emulate(t, opts, &["first"]);
        assert_ne!(r.must("state_at_main"), "2", "init ran before main: {r}");
        assert_init_on_other_thread(&r, path, &["first"]);
    }
}

fn exports_wait_under_many_interleavings(t: &str) {
    // Seeded random slices of 1..=64 instructions, both creators, both start orders: whatever the
    // interleaving, every export sees a finished init on its own thread.
    let mut states = std::collections::BTreeSet::new();
    for seed in 1..=8u32 {
        for (raw, path) in [(false, "pthread"), (true, "raw")] {
            let seed_s = seed.to_string();
            let mut o = vec!["--quantum", "64", "--seed", &seed_s];
            if raw {
                o.push("--raw");
            }
            if seed % 2 == 0 {
                o.push("--parent-first");
            }
            let r = emulate(t, &o, &["s"]);
            assert_init_on_other_thread(&r, path, &["s"]);
            states.insert(r.report_line("virtual_ns=").unwrap().to_string());
        }
    }
    assert!(
        states.len() > 4,
        "the seeds did not change the schedule: {states:?}"
    );
}

// --- failing init ----------------------------------------------------------------------------

fn failing_init(t: &str, opts: &[&str]) {
    let mut o = opts.to_vec();
    o.extend_from_slice(&["--env", "RT0_DEMO_INIT_FAIL=1"]);
    let r = emulate(t, &o, &[]);
    assert_eq!(r.must("ready"), "0", "{r}");
    assert!(r.must("error").contains("RT0_DEMO_INIT_FAIL"), "{r}");
    assert_eq!(r.status, 1, "the demo host exits 1 when init failed: {r}");
}

fn pthread_path_reports_a_failing_init(t: &str) {
    failing_init(t, &[]);
}

fn raw_path_reports_a_failing_init(t: &str) {
    failing_init(t, &["--raw"]);
}

// --- signal masks ----------------------------------------------------------------------------

fn masks(t: &str, opts: &[&str]) {
    let r = emulate(t, opts, &[]);
    assert_eq!(r.status, 0, "{r}");
    let init = hex(&r.must("init_sigmask"));
    assert_init_mask(&r, init);
    // The host's thread: mask before the initializers = at main = at exit = 0.
    assert!(r.report.contains("main_thread_mask_at_main=0x0"), "{r}");
    assert!(r.report.contains("main_thread_mask_at_exit=0x0"), "{r}");
    assert_no_process_sigmask(&r);
    // A host that blocked SIGUSR2 (31) in its own initializer keeps exactly that.
    let h = host("mask.c");
    let mut o = opts.to_vec();
    o.extend_from_slice(&["--host", &h]);
    let r = emulate(t, &o, &[]);
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(r.must("ready"), "1", "{r}");
    assert_eq!(
        hex(&r.must("host_mask")),
        1 << 30,
        "the host's mask must come through rt0's entry unchanged: {r}"
    );
    assert_init_mask(&r, hex(&r.must("init_mask")));
    assert_no_process_sigmask(&r);
}

fn pthread_path_masks(t: &str) {
    masks(t, &[]);
}

fn raw_path_masks(t: &str) {
    masks(t, &["--raw"]);
}

fn async_signals_during_init_never_land_on_the_init_thread(t: &str) {
    for raw in [false, true] {
        let base: Vec<&str> = if raw { vec!["--raw"] } else { vec![] };
        // SIGUSR1 5 ms into a 20 ms init: XNU's get_signalthread takes the first thread that does
        // not block it, the host's main thread; with no handler the process dies of it.
        let mut o = base.clone();
        o.extend_from_slice(&["--env", "RT0_DEMO_INIT_SLEEP_MS=20", "--signal", "30@5"]);
        let r = emulate(t, &o, &[]);
        assert!(
            r.report
                .contains("signal 30 at_ns=5000000 delivered_to=thread1"),
            "{r}"
        );
        assert_eq!(r.status, 128 + 30, "{r}");
        // The host blocks SIGUSR2 on its only thread; the init thread is then the only candidate,
        // and it blocks it too: the signal stays pending and the run ends normally.
        let h = host("mask.c");
        let mut o = base.clone();
        o.extend_from_slice(&[
            "--host",
            &h,
            "--env",
            "RT0_DEMO_INIT_SLEEP_MS=20",
            "--signal",
            "31@5",
        ]);
        let r = emulate(t, &o, &[]);
        assert!(
            r.report
                .contains("signal 31 at_ns=5000000 pending=all_threads_block_it"),
            "{r}"
        );
        assert_eq!(r.status, 0, "{r}");
        assert_eq!(r.must("ready"), "1", "{r}");
    }
}

// --- many callers, early calls, re-entrant init, unmappable init stack -----------------------

fn many_threads_wait_for_slow_init(t: &str) {
    // 64 emulated host threads call exports while init sleeps 20 ms; each waits, then
    // sees init done with its thread id, argc and path.
    for raw in [false, true] {
        let mut o = vec!["--host", "", "--env", "RT0_DEMO_INIT_SLEEP_MS=20"];
        let h = host("threads.c");
        o[1] = &h;
        if raw {
            o.push("--raw");
        }
        let r = emulate(t, &o, &["a", "b"]);
        assert_eq!(r.status, 0, "{r}");
        assert_eq!(r.must("created"), "64", "{r}");
        assert_eq!(
            r.must("ok"),
            "64",
            "every caller must see the whole of init's result: {r}"
        );
        assert_eq!(
            r.must("state_after_create"),
            "1",
            "init must still run when the callers start: {r}"
        );
        assert!(
            r.must("saw_running").parse::<u32>().unwrap() > 0,
            "no caller arrived during init: {r}"
        );
        // 1 main + 1 init + 64 callers, all created by main except init's.
        assert_eq!(
            r.report
                .lines()
                .filter(|l| l.starts_with("thread "))
                .count(),
            66,
            "{r}"
        );
        assert_eq!(r.thread(66, "created_by"), "1", "{r}");
        assert_eq!(r.thread(66, "state"), "exited", "{r}");
    }
}

fn export_before_the_entry_starts_it(t: &str) {
    // A host initializer that dyld runs before rt0's entry calls an export: the export starts
    // the entry itself (on that thread) and waits, so it returns ready (1); dyld's later call of
    // rt0's initializer then finds the entry claimed and starts nothing.
    for raw in [false, true] {
        let h = host("early.c");
        let mut o = vec!["--host", &h, "--env", "RT0_DEMO_INIT_CALLS_EXPORT=1"];
        if raw {
            o.push("--raw");
        }
        let r = emulate(t, &o, &["x"]);
        assert_eq!(r.status, 0, "{r}");
        assert_eq!(r.must("early_ran"), "1", "{r}");
        assert_eq!(
            r.must("early_state"),
            "0",
            "the host initializer must run before rt0's entry: {r}"
        );
        assert_eq!(
            r.must("early_ready"),
            "1",
            "an export before the entry starts the entry and waits for init: {r}"
        );
        assert_eq!(r.must("ready"), "1", "{r}");
        assert_eq!(r.must("state"), "2", "{r}");
        // An entry started by an export has no loader arguments: rt0 asks libSystem
        // (_NSGetArgc/_NSGetArgv/_NSGetEnviron), so init sees dyld's argc (the path and "x") and
        // environment: it read RT0_DEMO_INIT_CALLS_EXPORT and called its own export
        // (CalledFromInit, 0; -1 would mean it never saw the knob).
        assert_eq!(r.must("init_argc"), "2", "init must see dyld's argc: {r}");
        assert_eq!(
            r.must("init_export_result"),
            "0",
            "init must see the environment (RT0_DEMO_INIT_CALLS_EXPORT=1): {r}"
        );
        // Asked once, by the early export on the main thread (dyld's later call passes them).
        let main_calls = thread_libcalls(&r, 1);
        for f in ["__NSGetArgc:1", "__NSGetArgv:1", "__NSGetEnviron:1"] {
            assert!(
                main_calls.iter().any(|c| c == f),
                "{f}: {main_calls:?}\n{r}"
            );
        }
        // dyld ran two initializers: the host's first, then rt0's entry.
        let inits: Vec<&str> = r
            .report
            .lines()
            .filter(|l| l.starts_with("initializer "))
            .collect();
        assert_eq!(inits.len(), 2, "{r}");
        // One init thread, created by the main thread (the early export's), and one pin: the
        // second call of the entry (dyld's) created and pinned nothing.
        let threads = r
            .report
            .lines()
            .filter(|l| l.starts_with("thread "))
            .count();
        assert_eq!(
            threads, 2,
            "the entry must create exactly one init thread: {r}"
        );
        assert_eq!(r.thread(2, "created_by"), "1", "{r}");
        assert_eq!(r.thread(2, "state"), "exited", "{r}");
        assert_entry_pinned_its_image(&r);
        if raw {
            // Init, seeing RT0_DEMO_INIT_CALLS_EXPORT, calls its own export on the raw init
            // thread: rt0 answers it with raw system calls only. What libSystem sees from that
            // thread is init's own environment lookups (strlen, memcmp: pure functions that
            // need no thread pointer); any other call fails here.
            let init_calls = thread_libcalls(&r, 2);
            for c in &init_calls {
                let name = c.split(':').next().unwrap();
                assert!(
                    ["_memcmp", "_strlen"].contains(&name),
                    "the raw init thread called {c}: {r}"
                );
            }
            assert_raw_threads_release_their_ports(&r);
        }
    }
}

fn init_calling_its_own_export_gets_called_from_init(t: &str) {
    // Init calls its own export: CalledFromInit (the demo records 0) at once, never a wait for
    // itself; the host then sees init done.
    for raw in [false, true] {
        let h = host("init_export.c");
        let mut o = vec!["--host", &h, "--env", "RT0_DEMO_INIT_CALLS_EXPORT=1"];
        if raw {
            o.push("--raw");
        }
        let r = emulate(t, &o, &["x"]);
        assert_eq!(r.status, 0, "{r}");
        assert_eq!(r.must("ready"), "1", "{r}");
        assert_eq!(r.must("init_argc"), "2", "dyld's argc reached init: {r}");
        assert_eq!(
            r.must("init_export_result"),
            "0",
            "init's own export call: CalledFromInit: {r}"
        );
    }
}

fn unmappable_init_stack(t: &str) {
    // An init stack no address space holds (2^62 bytes).
    // The entry prints one line on fd 2 (naming the library, the process and the loading thread,
    // the cause, the errno and the size), returns to dyld, and the host goes on: its exports
    // fail with the message. pthread_create reports it as EAGAIN (35 on darwin: LP
    // _pthread_allocate), the raw path's own mmap as ENOMEM (12).
    const STACK: &str = "4611686018427387904";
    for (raw, cause, errno) in [
        (
            false,
            "pthread_create failed to create the init thread (its stack could not be mapped, or a thread or memory limit was reached)",
            "EAGAIN, errno 35",
        ),
        (
            true,
            "failed to allocate the init thread's stack (mmap refused the mapping)",
            "ENOMEM, errno 12",
        ),
    ] {
        let env = format!("RT0_DEMO_STACK_BYTES={STACK}");
        let mut o = vec!["--env", &env];
        if raw {
            o.push("--raw");
        }
        let r = emulate(t, &o, &[]);
        // The ids are the emulated process's pid and the loading thread's id (thread 1).
        let loader_tid = hex(&r.thread(1, "tid"));
        let line = format!(
            "rt0 rt0-demo [pid 4242 tid {loader_tid}]: {cause}: {errno}, for a {STACK}-byte stack; exports will report failure"
        );
        let ours: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("rt0")).collect();
        assert_eq!(ours, [line.as_str()], "{r}");
        assert_eq!(r.must("ready"), "0", "{r}");
        assert!(
            r.must("error").contains(cause),
            "the message must be retrievable: {r}"
        );
        assert_eq!(r.status, 1, "the host lives on and exits 1 itself (init failed): {r}");
        assert_eq!(
            r.report.lines().filter(|l| l.starts_with("thread ")).count(),
            1,
            "no thread was created: {r}"
        );
    }
}

fn init_stack_overflow_dies_on_the_guard_page(t: &str) {
    // Init recurses through a 64 KiB stack into the guard page below it (raw: rt0's
    // PROT_NONE guard; pthread: the model's _pthread_allocate guard). A protection failure is
    // SIGBUS (XNU ux_exception: KERN_PROTECTION_FAILURE), on the init thread, never a silent run on.
    for raw in [false, true] {
        let mut o = vec![
            "--env",
            "RT0_DEMO_INIT_OVERFLOW=1",
            "--env",
            "RT0_DEMO_STACK_BYTES=65536",
        ];
        if raw {
            o.push("--raw");
        }
        let r = emulate(t, &o, &[]);
        assert_eq!(r.status, 128 + 10, "{r}");
        assert!(
            r.stderr.contains("thread 2 killed by SIGBUS")
                && r.stderr.contains("write to protected"),
            "{r}"
        );
        assert!(!r.stderr.contains("did not fault"), "{r}");
    }
}

// --- newosproc0 ------------------------------------------------------------------------------

fn newosproc0_stack_failure_message_and_exit(t: &str) {
    // The raw creator with an mmap that fails: rt0's exact message on fd 2, exit status 1.
    // The init thread's own stack (1 MiB) stays under the limit; newosproc0 asks for 4 MiB.
    let r = emulate(
        t,
        &[
            "--raw",
            "--fail-mmap-over",
            "2097152",
            "--env",
            "RT0_DEMO_STACK_BYTES=1048576",
            "--host",
            &host("newosproc0.c"),
        ],
        &["fail"],
    );
    assert_eq!(
        r.stderr
            .lines()
            .filter(|l| l.starts_with("rt0:"))
            .collect::<Vec<_>>(),
        ["rt0: failed to allocate stack for the new OS thread"],
        "{r}"
    );
    assert_eq!(r.status, 1, "{r}");
    assert!(!r.stdout.contains("returned"), "{r}");
    assert_no_process_sigmask(&r);
}

fn newosproc0_try_form_and_success(t: &str) {
    let r = emulate(
        t,
        &[
            "--raw",
            "--fail-mmap-over",
            "2097152",
            "--env",
            "RT0_DEMO_STACK_BYTES=1048576",
            "--host",
            &host("newosproc0.c"),
        ],
        &["try"],
    );
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(r.must("errno"), "12", "ENOMEM from the refused mmap: {r}");
    assert_eq!(r.must("mask_unchanged"), "1", "{r}");
    let r = emulate(t, &["--raw", "--host", &host("newosproc0.c")], &["ok"]);
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(r.must("created"), "1", "{r}");
    assert_eq!(r.must("mask_unchanged"), "1", "{r}");
    assert_eq!(
        r.syscall_count(360),
        2,
        "init thread + newosproc0's thread: {r}"
    );
    assert_no_process_sigmask(&r);
    assert_eq!(assert_raw_threads_release_their_ports(&r), 2, "{r}");
}

fn raw_threads_release_their_kernel_port(t: &str) {
    // Issue 11: XNU gives every bsdthread a send right to its own port (the start routine's
    // `kport`); only bsdthread_terminate(stack, size, kport, 0) gives it back. The raw init thread
    // and newosproc0's thread both must, including when init failed or the thread ends early.
    let r = emulate(t, &["--raw", "--host", &host("newosproc0.c")], &["ok"]);
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(assert_raw_threads_release_their_ports(&r), 2, "{r}");
    let r = emulate(t, &["--raw", "--env", "RT0_DEMO_INIT_FAIL=1"], &[]);
    assert_eq!(r.must("ready"), "0", "{r}");
    assert_eq!(assert_raw_threads_release_their_ports(&r), 1, "{r}");
    // And the report does show a leak: a stub whose start routine keeps `pthread` (0 from rt0's
    // bsdthread_create) instead of `kport` terminates with port 0.
    let r = broken_stub(
        t,
        "kport",
        "RT0_THREAD_START_kport",
        "RT0_THREAD_START_pthread",
    );
    assert_eq!(r.status, 0, "the run itself succeeds: {r}");
    assert!(r.thread(2, "kport").ends_with(":leaked"), "{r}");
    assert_eq!(r.report_line("kport_leaks="), Some("kport_leaks=1"), "{r}");
}

fn newosproc0_in_a_pthread_process_is_refused(t: &str) {
    // In a process whose libSystem registered thread_start (every real macOS process), the raw
    // creator cannot register its own: newosproc0 reports a failed create and exits 1.
    let r = emulate(t, &["--host", &host("newosproc0.c")], &["fail"]);
    assert!(
        r.stderr.contains("rt0: failed to create new OS thread"),
        "{r}"
    );
    assert_eq!(r.status, 1, "{r}");
    assert!(r.report.contains("bsdthread_register=EINVAL"), "{r}");
}

// --- the harness can fail --------------------------------------------------------------------

fn unmodeled_syscall_stops_the_run(t: &str) {
    let r = emulate(t, &["--host", &host("unmodeled.c")], &[]);
    assert_eq!(r.status, 125, "{r}");
    assert!(
        r.stderr.contains("unmodeled syscall 39 called from 0x"),
        "{r}"
    );
    assert!(!r.stdout.contains("returned"), "{r}");
}

fn unresolved_imports_are_named(t: &str) {
    let r = emulate(t, &["--host", &host("unresolved.c")], &[]);
    assert_eq!(r.status, 125, "{r}");
    assert!(
        r.stderr
            .contains("unresolved imports: the emulated libSystem does not provide"),
        "{r}"
    );
    assert!(
        r.stderr.contains("_getppid") && r.stderr.contains("_getuid"),
        "{r}"
    );
}

fn guard_page_touch_is_sigbus(t: &str) {
    let r = emulate(t, &["--host", &host("guard.c")], &[]);
    assert_eq!(r.stdout, "before\n", "{r}");
    assert_eq!(r.status, 128 + 10, "{r}");
    assert!(r.stderr.contains("SIGBUS"), "{r}");
}

fn trap_instruction_is_a_signal(t: &str) {
    // __builtin_trap: ud2 → SIGILL on x86_64, brk #1 → SIGTRAP on arm64 (XNU ux_exception); an
    // undefined instruction on arm64 → SIGILL. Never an emulator stop.
    let r = emulate(t, &["--host", &host("trap.c")], &[]);
    assert_eq!(r.stdout, "before\n", "{r}");
    let (sig, name) = if t.starts_with("aarch64") {
        (5, "SIGTRAP")
    } else {
        (4, "SIGILL")
    };
    assert_eq!(r.status, 128 + sig, "{r}");
    assert!(r.stderr.contains(name), "{r}");
    if t.starts_with("aarch64") {
        let r = emulate(t, &["--host", &host("trap.c")], &["udf"]);
        assert_eq!(r.status, 128 + 4, "{r}");
        assert!(r.stderr.contains("SIGILL: undefined instruction"), "{r}");
    }
}

/// Build the demo (raw path) from a copy of arch/ whose stub for `t` has the macro
/// names `a` and `b` swapped, while its abi.toml is unchanged, and run it.
fn broken_stub(t: &str, tag: &str, a: &str, b: &str) -> Run {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let tag = format!("{t}-{tag}");
    let arch = tmp.join(format!("broken-arch-{tag}"));
    let _ = std::fs::remove_dir_all(&arch);
    copy_dir(&root().join("arch"), &arch);
    let stub = arch.join(t).join("syscall.S");
    let text = std::fs::read_to_string(&stub).unwrap();
    assert!(
        text.contains(a) && text.contains(b),
        "the stub no longer names {a}/{b}; update this test"
    );
    let swapped = text.replace(a, "@SWAP@").replace(b, a).replace("@SWAP@", b);
    // A target dir per content of the broken stub: cargo does not watch the copy, but build.rs
    // reruns when the real arch/ changes (rerun-if-changed=arch), and a different copy gets a
    // different, fresh directory. Warm runs reuse the build.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&swapped, &mut h);
    let key = format!("{:016x}", std::hash::Hasher::finish(&h));
    std::fs::write(&stub, swapped).unwrap();
    let target = tmp.join(format!("broken-target-{tag}-{key}"));
    for e in std::fs::read_dir(&tmp).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(&format!("broken-target-{tag}-")) && e.path() != target {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let arch_s = arch.display().to_string();
    let target_s = target.display().to_string();
    emulate_with(
        t,
        &["--raw", "--target-dir", &target_s],
        &[],
        &[("RT0_ARCH_DIR", &arch_s)],
    )
}

/// The registers a triple's description gives to (bsdthread_create `pthread`, `flags`) and to
/// syscall arguments (3, 4).
fn regs(t: &str) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match t {
        "x86_64-apple-darwin" => (("r10", "r8"), ("r10", "r8")),
        "aarch64-apple-darwin" => (("x3", "x4"), ("x3", "x4")),
        _ => panic!("no registers for {t}"),
    }
}

fn broken_stub_fails_conformance_naming_the_register(t: &str) {
    // bsdthread_create's flags put in the `pthread` register and pthread in the `flags` one
    // (swapped), while abi.toml still says pthread=r10/x3, flags=r8/x4.
    let ((pthread, flags), _) = regs(t);
    let r = broken_stub(
        t,
        "thread-create",
        "RT0_THREAD_CREATE_pthread",
        "RT0_THREAD_CREATE_flags",
    );
    assert_eq!(
        r.status, 124,
        "the conformance check must stop the run: {r}"
    );
    assert!(r.stderr.contains("conformance: bsdthread_create"), "{r}");
    assert!(
        r.stderr
            .contains(&format!("register {flags} carries `flags`")),
        "the message must name {flags}: {r}"
    );
    assert!(
        r.stderr.contains(&format!("it is in {pthread}")),
        "the message must say where the value went: {r}"
    );
}

fn broken_generic_syscall_stub_fails_conformance(t: &str) {
    // The generic syscall stub with arguments 3 and 4 (r10, r8 / x3, x4) swapped: the first mmap
    // of the raw path gets its flags in argument 4's register and its fd (-1) in argument 3's.
    let (_, (a3, a4)) = regs(t);
    let r = broken_stub(t, "syscall-args", "RT0_SYSCALL_ARG3", "RT0_SYSCALL_ARG4");
    assert_eq!(
        r.status, 124,
        "the conformance check must stop the run: {r}"
    );
    assert!(r.stderr.contains("conformance: mmap (197)"), "{r}");
    assert!(
        r.stderr.contains(&format!("travels in {a3}")),
        "the message must name {a3}: {r}"
    );
    assert!(
        r.stderr.contains(&format!(
            "{a4} (argument 4 by the description) holds 0x1002"
        )),
        "and where the flags went: {r}"
    );
}

// --- every scenario on both darwin triples ---------------------------------------------------

macro_rules! on_both_triples {
    ($($name:ident),* $(,)?) => {
        mod x86_64_apple_darwin {
            $( #[test] fn $name() { super::$name("x86_64-apple-darwin") } )*
        }
        mod aarch64_apple_darwin {
            $( #[test] fn $name() { super::$name("aarch64-apple-darwin") } )*
        }
    };
}

on_both_triples!(
    pthread_path_runs_init_on_another_thread,
    pthread_path_legacy_stack_is_unaffected,
    raw_path_runs_init_on_another_thread,
    raw_path_legacy_stack,
    raw_build_in_a_normal_process_sees_einval,
    pthread_path_exports_wait_for_slow_init,
    raw_path_exports_wait_for_slow_init,
    exports_wait_with_a_tiny_quantum,
    exports_wait_when_the_creator_keeps_the_cpu,
    exports_wait_under_many_interleavings,
    pthread_path_reports_a_failing_init,
    raw_path_reports_a_failing_init,
    many_threads_wait_for_slow_init,
    export_before_the_entry_starts_it,
    init_calling_its_own_export_gets_called_from_init,
    unmappable_init_stack,
    init_stack_overflow_dies_on_the_guard_page,
    pthread_path_masks,
    raw_path_masks,
    async_signals_during_init_never_land_on_the_init_thread,
    newosproc0_stack_failure_message_and_exit,
    newosproc0_try_form_and_success,
    newosproc0_in_a_pthread_process_is_refused,
    raw_threads_release_their_kernel_port,
    unmodeled_syscall_stops_the_run,
    unresolved_imports_are_named,
    guard_page_touch_is_sigbus,
    trap_instruction_is_a_signal,
    broken_stub_fails_conformance_naming_the_register,
    broken_generic_syscall_stub_fails_conformance,
);

/// arm64 only: the model changes x18 (the platform's register) at every trap, so every scenario
/// above also proves rt0's arm64 stubs never keep a value in it; this checks the model does.
#[test]
fn aarch64_x18_changes_at_every_trap() {
    let r = emulate("aarch64-apple-darwin", &["--host", &host("x18.c")], &[]);
    assert_eq!(r.status, 0, "{r}");
    assert_eq!(r.must("x18_changed"), "1", "{r}");
}
