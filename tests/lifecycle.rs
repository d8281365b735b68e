//! A library's life in a host process, Linux x86_64, native. The library under test is
//! mostly `tests/crates/std-init`, whose init uses std: a `std::thread` (joined), a
//! `thread_local!` with a destructor and a small tokio runtime (dropped before init returns), so
//! unloading it exercises what a real std library leaves behind. The demo (`examples/demo`)
//! covers the raw creator, which std cannot use.
//!
//! - (a) Python ctypes loads, calls and unloads std-init 200 times in one process: threads and the
//!   library's mappings come back to where they started.
//! - (b) dlclose while init runs returns before init finished (the order of lines on fd 2), and
//!   the image stays mapped (pinned for the life of the process).
//! - (c) a library constructor calling an export during `dlopen` (glibc's loader lock held) gets
//!   `WouldDeadlock` at once; a later call from main waits and succeeds.
//! - (d) the same constructor at startup (`DT_NEEDED`, no lock held): the export waits, succeeds.
//! - a preloaded library whose init never returns changes nothing in `/bin/true`, `bash`,
//!   `python3` (both creators).
//! - exports in a new PID namespace (`unshare --pid --fork`, /proc still the parent's).
//!
//! Ordering is observed, never timed: init waits at a gate (a FIFO) that only the test opens, or
//! the host writes a line to fd 2 next to rt0's `RT0_TRACE=1` lines. Hangs are caught by the
//! runner's deadline. docs/reliability.md holds the results.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::reliability::{self as rel, FOREVER_MS};
use support::{compile_once, demo, host, root, run_command, run_with, DemoPath, Link, Run};

const DEADLINE: Duration = Duration::from_secs(60);

/// Builds `tests/crates/std-init` once (its own workspace and `panic = "unwind"` profile) into
/// `target/lifecycle/std-init`; returns the directory of `libstd_init.so`.
fn std_init() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_test_crate("std-init", "lifecycle/std-init"))
}

fn std_init_so() -> PathBuf {
    std_init().join("libstd_init.so")
}

/// Compiles `tests/hosts/<source>` with gcc and `flags`, into std-init's directory as `name`.
fn c_build(source: &str, name: &str, flags: &[&str]) -> PathBuf {
    let exe = std_init().join("hosts").join(name);
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let src = root().join("tests/hosts").join(source);
    compile_once(exe, &src.display().to_string(), |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg(&src)
            .args(flags)
            .arg("-o")
            .arg(tmp);
        cmd
    })
}

/// `lc_ctor_lib.c` as a shared library linked against std-init (DT_NEEDED, found by rpath).
fn ctor_lib() -> PathBuf {
    let dir = std_init().display().to_string();
    c_build(
        "lc_ctor_lib.c",
        "liblc_ctor.so",
        &[
            "-shared",
            "-fPIC",
            "-L",
            &dir,
            "-lstd_init",
            "-Wl,--disable-new-dtags",
            &format!("-Wl,-rpath,{dir}"),
        ],
    )
}

/// A fresh FIFO for init's gate (`STD_INIT_GATE`), named after the test.
fn gate(name: &str) -> PathBuf {
    let dir = std_init().join("gates");
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success(), "mkfifo {}", fifo.display());
    fifo
}

fn run(cmd: Command, what: &str) -> Run {
    run_command(cmd, what, DEADLINE)
}

/// (a) Python ctypes: `CDLL(path)`, export calls (init's std::thread and tokio results),
/// `_ctypes.dlclose(handle)`, 200 times in one process. The library is pinned for the life of the
/// process: every dlclose leaves the same mappings, and once init's threads are gone the thread
/// count is back where it started. No hang, no crash.
#[test]
fn python_ctypes_loads_calls_and_unloads_200_times_and_leaves_no_thread() {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/support/python/lc_loop.py"))
        .arg(std_init_so())
        .arg("200");
    let r = run(cmd, "python3 lc_loop.py");
    let c = format!("{r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.num("ok"), 200, "{c}");
    assert_eq!(r.num("maps_changed_after_close"), 0, "{c}");
    assert_eq!(r.field("settled"), "1", "{c}");
    assert_eq!(r.field("threads_end"), r.field("threads_start"), "{c}");
    assert_eq!(r.num("lib_maps_start"), 0, "{c}");
    assert!(r.num("lib_maps_pinned") > 0, "{c}");
    assert_eq!(r.num("lib_maps_end"), r.num("lib_maps_pinned"), "{c}");
}

/// (b) std-init unloaded during a 500 ms init: dlclose right after dlopen returns before init
/// finished (the host's `host: dlclose returned` line precedes the init thread's `init done` on
/// fd 2), the image is pinned for the life of the process: once the init thread is gone the
/// library is still mapped and `dlopen(RTLD_NOLOAD)` finds it. No crash.
#[test]
fn std_init_unloaded_during_init_returns_at_once_and_stays_mapped() {
    let exe = c_build("lc_unload.c", "lc_unload", &["-ldl"]);
    let mut cmd = Command::new(&exe);
    cmd.env("STD_INIT_SO", std_init_so())
        .env("STD_INIT_SLEEP_MS", "500")
        .env("RT0_TRACE", "1");
    let r = run(cmd, "lc_unload");
    let c = format!("{r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("state_before_close"), "1", "{c}");
    assert_eq!(r.field("close_result"), "0", "{c}");
    let trace = r.stderr_without_ids();
    let at = |line: &str| {
        trace
            .lines()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no `{line}` on fd 2: {c}"))
    };
    assert!(
        at("rt0 rt0-std-init: pin: image pinned for the life of the process (RTLD_NODELETE)")
            < at("host: dlclose returned"),
        "{c}"
    );
    assert!(
        at("host: dlclose returned") < at("rt0 rt0-std-init: init done"),
        "dlclose returned only after init finished: {c}"
    );
    assert_eq!(r.field("settled"), "1", "{c}");
    assert_eq!(r.field("threads_end"), r.field("threads_start"), "{c}");
    assert!(r.num("lib_maps_after_close") > 0, "{c}");
    assert_eq!(r.num("lib_maps_end"), r.num("lib_maps_after_close"), "{c}");
    assert_eq!(r.field("loaded_end"), "1", "{c}");
}

/// The demo with either creator (raw: `--features raw`): dlclose during a 500 ms init returns
/// before init finished; the image stays mapped (RTLD_NODELETE) and init finishes in it. No
/// crash.
#[test]
fn demo_unloaded_during_init_stays_mapped_with_either_creator() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, rel::UNLOAD, Link::Dlopen);
        rel::dlclose_during_init_returns_before_init_finishes(
            &format!("{path:?}/Dlopen"),
            path,
            500,
            &|args, env| run_with(&exe, args, env, DEADLINE, Some(&d)),
        );
    }
}

/// (c) A library whose constructor calls a std-init export, dlopen()ed by a C host: the
/// constructor runs with glibc's loader lock held while init is held at its gate (so certainly
/// still running): the export answers `WouldDeadlock` at once, instead of hanging the process.
/// After dlopen returned, the host opens the gate; a call from main waits and succeeds, and
/// init's tokio result is there.
#[test]
fn constructor_calling_an_export_during_dlopen_gets_would_deadlock_then_main_succeeds() {
    let lib = ctor_lib();
    let exe = c_build("lc_host.c", "lc_host_dlopen", &["-DLC_DLOPEN", "-ldl"]);
    let fifo = gate("dlopen");
    let mut cmd = Command::new(&exe);
    cmd.env("LC_CTOR_LIB", &lib).env("STD_INIT_GATE", &fifo);
    let r = run(cmd, "lc_host (dlopen)");
    let c = format!("{r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("dlopen_returned"), "1", "{c}");
    assert_eq!(r.field("ctor_state_before"), "1", "{c}");
    assert_eq!(r.field("ctor_kind"), "would_deadlock", "{c}");
    assert_eq!(r.field("ctor_state_after"), "1", "{c}");
    assert_eq!(r.field("main_kind"), "ok", "{c}");
    assert_eq!(r.num("tokio_sum"), 204, "{c}");
    let _ = std::fs::remove_file(fifo);
}

/// (d) The same library linked into the host (DT_NEEDED), its constructor run at startup, where
/// glibc holds no loader lock: init is held at its gate when the constructor reads the state
/// (running), the constructor starts a thread that opens the gate, and its export call waits
/// for init and succeeds.
#[test]
fn constructor_calling_an_export_at_startup_waits_and_succeeds() {
    let lib = ctor_lib();
    let dir = lib.parent().unwrap().display().to_string();
    let exe = c_build(
        "lc_host.c",
        "lc_host_needed",
        &[
            "-L",
            &dir,
            "-llc_ctor",
            "-Wl,--disable-new-dtags",
            &format!("-Wl,-rpath,{dir}"),
        ],
    );
    let fifo = gate("needed");
    let mut cmd = Command::new(&exe);
    cmd.env("STD_INIT_GATE", &fifo)
        .env("LC_CTOR_OPENS_GATE", "1");
    let r = run(cmd, "lc_host (DT_NEEDED)");
    let c = format!("{r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ctor_state_before"), "1", "{c}");
    assert_eq!(r.field("ctor_kind"), "ok", "{c}");
    assert_eq!(r.field("ctor_state_after"), "2", "{c}");
    assert_eq!(r.field("main_kind"), "ok", "{c}");
    assert_eq!(r.num("tokio_sum"), 204, "{c}");
    let _ = std::fs::remove_file(fifo);
}

/// A program's output and exit status.
fn outcome(r: &Run) -> (Option<i32>, Option<i32>, String, String) {
    (r.status, r.signal, r.stdout.clone(), r.stderr.clone())
}

/// A library preloaded into ordinary programs (`LD_PRELOAD`) whose init never returns:
/// std-init (`STD_INIT_FOREVER=1`) and the demo on both creators (a sleep of ~46 days).
/// `/bin/true`, `bash -c 'echo hi'` and `python3 -c pass` end with the output and status they
/// have without it, within a 20 s deadline (a wait for init would hit it). A control run shows
/// the preload took effect: bash has the library mapped and its init thread running.
#[test]
fn preloaded_library_whose_init_never_returns_changes_nothing() {
    let libs: Vec<(String, PathBuf, (&str, &str))> = vec![
        ("std-init".into(), std_init_so(), ("STD_INIT_FOREVER", "1")),
        (
            "demo/pthread".into(),
            demo(DemoPath::Pthread).cdylib(),
            ("RT0_DEMO_INIT_SLEEP_MS", FOREVER_MS),
        ),
        (
            "demo/raw".into(),
            demo(DemoPath::Raw).cdylib(),
            ("RT0_DEMO_INIT_SLEEP_MS", FOREVER_MS),
        ),
    ];
    let programs: [&[&str]; 3] = [
        &["/bin/true"],
        &["bash", "-c", "echo hi"],
        &["python3", "-c", "pass"],
    ];
    // The raw creator refuses to start in a process that can change its ids (root): its
    // programs run as `nobody`, with and without the preload.
    // (Through `env`, so that the preload reaches the program, not setpriv running as root.)
    let command = |argv: &[&str], raw: bool, preload: Option<(&Path, (&str, &str))>| {
        let mut cmd = if raw {
            support::unprivileged(Path::new("/usr/bin/env"))
        } else {
            Command::new("/usr/bin/env")
        };
        if let Some((so, (k, v))) = preload {
            cmd.arg(format!("LD_PRELOAD={}", so.display()))
                .arg(format!("{k}={v}"));
        }
        cmd.args(argv);
        cmd
    };
    for argv in programs {
        for (name, so, knob) in &libs {
            let raw = name.ends_with("/raw");
            let plain = run_command(command(argv, raw, None), &format!("{argv:?}"), DEADLINE);
            let what = format!("{argv:?} with {name} preloaded");
            let r = run_command(
                command(argv, raw, Some((so, *knob))),
                &what,
                Duration::from_secs(20),
            );
            assert_eq!(outcome(&r), outcome(&plain), "{what}: {r:#?}");
        }
    }
    for (name, so, knob) in &libs {
        let file = so.file_name().unwrap().to_string_lossy().to_string();
        let script = format!(
            "echo maps=$(grep -c {file} /proc/$$/maps); echo threads=$(ls /proc/$$/task | wc -l)"
        );
        let r = run_command(
            command(
                &["bash", "-c", &script],
                name.ends_with("/raw"),
                Some((so, *knob)),
            ),
            &format!("control with {name}"),
            Duration::from_secs(20),
        );
        assert_eq!(r.status, Some(0), "{name}: {r:#?}");
        assert!(r.num("maps") > 0, "{name}: not preloaded: {r:#?}");
        assert_eq!(r.num("threads"), 2, "{name}: no init thread: {r:#?}");
    }
}

/// Fails the test unless `unshare --pid --fork` works here (it needs root: ci/test runs the
/// namespace tests as root).
fn require_pid_namespaces() {
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "/bin/true"])
        .output()
        .expect("unshare (util-linux, ci/needs/reliability.txt)");
    assert!(
        out.status.success(),
        "unshare --pid --fork /bin/true failed (a new PID namespace needs root: run this test as root, as ci/test does): {out:?}"
    );
}

/// Exports in a new PID namespace whose /proc is still the parent's (`unshare --pid
/// --fork`: the host is pid 1 there, and /proc/self names its pid in the parent namespace).
/// 64 threads wait for a slow init and see it done (glibc, both creators, every link); an export
/// called before the entry (static link) starts it with the process's real argc and argv,
/// recovered from /proc/self/stat; the musl static host, whose entry always recovers its
/// arguments that way, sees them too.
#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn exports_in_a_new_pid_namespace_wait_and_succeed() {
    require_pid_namespaces();
    // unshare needs root; inside the new namespace a raw-creator host runs as `nobody` (the raw
    // creator refuses to start in a process that can change its ids).
    let in_ns = |exe: &Path, d: &support::Demo, args: &[&str], env: &[(&str, String)]| {
        let mut argv = vec!["--pid", "--fork"];
        if d.path == DemoPath::Raw && support::running_as_root() {
            argv.extend([
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ]);
        }
        argv.push(exe.to_str().unwrap());
        argv.extend(args);
        let mut env = env.to_vec();
        env.push((support::RUN_AS, "root".to_string()));
        run_with(Path::new("unshare"), &argv, &env, DEADLINE, Some(d))
    };
    for path in DemoPath::ALL {
        let d = demo(path);
        for link in [Link::Static, Link::Shared, Link::Dlopen] {
            let exe = host(&d, rel::THREADS, link);
            let rounds = rel::ThreadRounds {
                processes: 2,
                dlopen_rounds: 5,
                init_sleep_ms: 100,
            };
            rel::sixty_four_threads_wait_for_slow_init_many_rounds(
                &format!("pidns/{path:?}/{link:?}"),
                link,
                rounds,
                &|args, env| in_ns(&exe, &d, args, env),
            );
        }
        let exe = host(&d, rel::EARLY, Link::Static);
        rel::early_call_starts_the_entry_and_waits(&format!("pidns/{path:?}/Static"), &|a, e| {
            in_ns(&exe, &d, a, e)
        });
        let musl = cross::Host::MuslStatic;
        let md = cross::demo(musl, path);
        let exe = cross::build_host(musl, &md, rel::EARLY, Link::Static);
        rel::early_call_starts_the_entry_and_waits(&format!("pidns/musl/{path:?}"), &|a, e| {
            in_ns(&exe, &md, a, e)
        });
        // The pid the host sees is 1: the namespace really is a new one.
        let r = run_with(
            Path::new("unshare"),
            &["--pid", "--fork", "sh", "-c", "echo pid=$$"],
            &[],
            DEADLINE,
            None,
        );
        assert_eq!(r.field("pid"), "1", "{r:#?}");
    }
}

/// A Go host (`tests/hosts/go_cgo/main.go`, cgo, linked against std-init): a runtime with its own
/// threads, scheduler and signal handlers. Main starts while init still runs; eight goroutines
/// call an export at once and all wait and get "ok"; init's std thread and tokio results arrive.
#[test]
fn a_go_cgo_host_with_goroutines_waiting_during_init() {
    let lib = std_init();
    let exe = lib.join("hosts").join("go-cgo-host");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let src = root().join("tests/hosts/go_cgo/main.go");
    let exe = compile_once(exe, "tests/hosts/go_cgo/main.go", |tmp| {
        let mut cmd = Command::new("go");
        cmd.arg("build")
            .arg("-o")
            .arg(tmp)
            .arg(&src)
            .env(
                "CGO_LDFLAGS",
                format!("-L{0} -lstd_init -Wl,-rpath,{0}", lib.display()),
            )
            .env("GOCACHE", root().join("target/go-cache"));
        cmd
    });
    let r = run_with(
        &exe,
        &[],
        &[("STD_INIT_SLEEP_MS", "300".into())],
        DEADLINE,
        None,
    );
    let c = format!("{r:#?}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(
        r.field("state_at_main"),
        "1",
        "main ran while init was running: {c}"
    );
    assert_eq!(r.field("goroutines_ok"), "8", "{c}");
    assert_eq!(r.field("state_after"), "2", "{c}");
    assert_eq!(r.num("thread_sum"), 55, "{c}");
    assert_eq!(r.num("tokio_sum"), 204, "{c}");
}
