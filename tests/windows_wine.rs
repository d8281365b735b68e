//! The Windows port (x86_64-pc-windows-gnu) under Wine: the demo DLL and its static library,
//! C hosts built with MinGW-w64 (`tests/hosts/win_*.c`), run with `wine`. On Windows (the
//! GitHub workflow's windows-latest job: `cargo test --target x86_64-pc-windows-gnu --test
//! windows_wine`) the same hosts run natively.
//!
//! Scenarios: a host linked against the DLL's import library, one linking the static library
//! and one loading the DLL with `LoadLibraryW`: argv arrives (a non-ASCII argument and a quoted
//! one included) and init runs on another thread than the entry; 16 threads wait during a slow
//! init and all get ready; a failing init reports failure with its message; `FreeLibrary` during
//! init returns at once and the DLL stays until init ends, then unloads; 200
//! `LoadLibraryW`/`FreeLibrary` rounds leave no module and no thread behind; another DLL's
//! `DllMain` calling an export gets `WouldDeadlock` at once and a later call from `main`
//! succeeds.
//!
//! Needs (ci/needs/windows.txt): `wine64` and `wine`, `gcc-mingw-w64-x86-64`, and the rustup
//! target `x86_64-pc-windows-gnu`.

#![cfg(any(
    all(target_os = "linux", target_arch = "x86_64"),
    all(windows, target_arch = "x86_64")
))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::{compile_once, root, run_command, Run};

const TARGET: &str = "x86_64-pc-windows-gnu";

/// MinGW-w64's C compiler: the cross compiler's name on Linux; on Windows the same, or `gcc`.
fn cc() -> &'static str {
    static CC: OnceLock<&'static str> = OnceLock::new();
    CC.get_or_init(|| {
        let cross = "x86_64-w64-mingw32-gcc";
        let found = Command::new(cross)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found || cfg!(not(windows)) {
            cross
        } else {
            "gcc"
        }
    })
}

/// The demo built for Windows (once per test process) into
/// `target/scenarios/x86_64-pc-windows-gnu/pthread`.
fn demo_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target_dir = root().join("target/scenarios").join(TARGET).join("pthread");
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args([
                "build",
                "-p",
                "rt0-demo",
                "--target",
                TARGET,
                "--target-dir",
            ])
            .arg(&target_dir)
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building the demo for {TARGET} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target_dir.join(TARGET).join("debug")
    })
    .clone()
}

/// The hosts' directory, with `rt0_demo.dll` copied into it (the loader looks in the
/// program's directory first).
fn hosts_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let demo = demo_dir();
        let dir = demo.join("win-hosts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(demo.join("rt0_demo.dll"), dir.join("rt0_demo.dll")).unwrap();
        dir
    })
}

/// Compiles `tests/hosts/<source>` with MinGW-w64 into `<name>` (an .exe or a .dll) next to the
/// demo DLL, with `extra` arguments (the demo's import or static library, defines, -shared).
fn build(source: &str, name: &str, extra: &[&str]) -> PathBuf {
    let src = root().join("tests/hosts").join(source);
    let out = hosts_dir().join(name);
    compile_once(out, source, |tmp| {
        let mut cmd = Command::new(cc());
        cmd.args(["-O1", "-g", "-Wall", "-Werror"])
            .arg("-I")
            .arg(root().join("examples/demo/include"))
            .arg(&src)
            .args(extra)
            .arg("-o")
            .arg(tmp);
        cmd
    })
}

/// The linked host: `dll` links the DLL's import library, `static` the static library.
fn linked_host(kind: &str) -> PathBuf {
    let dir = demo_dir();
    match kind {
        "dll" => build(
            "win_host.c",
            "win_host_dll.exe",
            &[dir.join("librt0_demo.dll.a").to_str().unwrap()],
        ),
        _ => build(
            "win_host.c",
            "win_host_static.exe",
            // rt0's own imports (rustc --print native-static-libs): kernel32 (the default) and
            // the Synchronization API set (WaitOnAddress).
            &[
                dir.join("librt0_demo.a").to_str().unwrap(),
                "-lsynchronization",
            ],
        ),
    }
}

fn loadlibrary_host() -> PathBuf {
    build(
        "win_host.c",
        "win_host_loadlibrary.exe",
        &["-DRT0_LOADLIBRARY"],
    )
}

/// The Wine loader: `wine64` where it is on the PATH (Wine's own packages), Debian's
/// `/usr/lib/wine/wine64`, else `wine`.
fn wine() -> &'static str {
    static WINE: OnceLock<&'static str> = OnceLock::new();
    WINE.get_or_init(|| {
        let on_path = |name: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if on_path("wine64") {
            "wine64"
        } else if Path::new("/usr/lib/wine/wine64").exists() {
            "/usr/lib/wine/wine64"
        } else {
            "wine"
        }
    })
}

/// The command that runs a host: under Wine on Linux, directly on Windows.
fn wine_command(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = if cfg!(windows) {
        Command::new(exe)
    } else {
        let mut cmd = Command::new(wine());
        cmd.arg(exe);
        cmd
    };
    cmd.args(args)
        .current_dir(exe.parent().unwrap())
        .env("WINEPREFIX", root().join("target/wine-prefix"))
        .env("WINEDEBUG", "-all")
        // Wine turns the Unix arguments into the UTF-16 command line with the locale's charset.
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("RT0_TRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Creates the Wine prefix once per test process (the first start of Wine takes seconds).
fn prefix_ready() {
    if cfg!(windows) {
        return;
    }
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let t = Instant::now();
        let exe = loadlibrary_host();
        let run = run_command(
            wine_command(&exe, &["report"], &[]),
            "the first Wine start (creating target/wine-prefix)",
            Duration::from_secs(300),
        );
        assert_eq!(run.status, Some(0), "{run:?}");
        eprintln!("wine prefix ready in {:?}", t.elapsed());
    });
}

fn wine_run(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    prefix_ready();
    let what = format!("wine {} {args:?}", exe.display());
    let run = run_command(
        wine_command(exe, args, env),
        &what,
        Duration::from_secs(120),
    );
    assert_eq!(run.status, Some(0), "{what}: {run:?}");
    run
}

/// The non-ASCII and quoted arguments every host is given (Wine quotes them into the command
/// line; rt0 parses that back by the C runtime's rules).
const ARGS: [&str; 4] = ["report", "héllo", "a b", "q\"x"];

fn check_report(run: &Run, exe: &Path) {
    assert_eq!(run.field("ready"), "1", "{run:?}");
    assert_eq!(run.field("path"), "pthread");
    assert_eq!(run.num("argc"), 5, "{run:?}");
    let argv0 = run.field("argv[0]");
    assert!(
        argv0.ends_with(exe.file_name().unwrap().to_str().unwrap()),
        "argv[0] = {argv0}"
    );
    for (i, want) in ARGS.iter().enumerate() {
        assert_eq!(run.field(&format!("argv[{}]", i + 1)), *want, "{run:?}");
    }
    // The entry ran on the loading thread (main), init on a thread of its own.
    assert_eq!(run.num("entry_tid"), run.num("main_tid"), "{run:?}");
    assert_ne!(run.num("init_tid"), run.num("main_tid"), "{run:?}");
    assert_ne!(run.num("init_tid"), 0);
}

#[test]
fn linked_hosts_get_argv_and_init_runs_on_another_thread() {
    for kind in ["dll", "static"] {
        let exe = linked_host(kind);
        let run = wine_run(&exe, &ARGS, &[]);
        check_report(&run, &exe);
    }
}

#[test]
fn a_loadlibrary_host_gets_argv_and_init_runs_on_another_thread() {
    let exe = loadlibrary_host();
    let run = wine_run(&exe, &ARGS, &[]);
    check_report(&run, &exe);
}

#[test]
fn sixteen_threads_wait_for_a_slow_init() {
    for exe in [linked_host("dll"), loadlibrary_host()] {
        let t = Instant::now();
        let run = wine_run(&exe, &["threads"], &[("RT0_DEMO_INIT_SLEEP_MS", "700")]);
        assert_eq!(
            run.field("state_before"),
            "1",
            "init still running: {run:?}"
        );
        assert_eq!(run.num("ready_threads"), 16, "{run:?}");
        assert!(t.elapsed() >= Duration::from_millis(700));
    }
}

#[test]
fn a_failing_init_reports_its_message() {
    for exe in [
        linked_host("dll"),
        linked_host("static"),
        loadlibrary_host(),
    ] {
        let run = wine_run(&exe, &["fail"], &[("RT0_DEMO_INIT_FAIL", "1")]);
        assert_eq!(run.field("ready"), "0", "{run:?}");
        assert_eq!(
            run.field("error"),
            "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)"
        );
    }
}

#[test]
fn freelibrary_during_init_keeps_the_dll_until_init_ends() {
    let exe = build("win_unload.c", "win_unload.exe", &[]);
    let run = wine_run(&exe, &["during-init"], &[("RT0_DEMO_INIT_SLEEP_MS", "800")]);
    assert_eq!(run.field("state_after_load"), "1", "{run:?}");
    assert!(run.num("free_ms") < 500, "FreeLibrary waited: {run:?}");
    assert_eq!(run.field("loaded_after_free"), "1", "{run:?}");
    let unloaded = run.num("unloaded_after_ms");
    assert!(
        (750..15_000).contains(&unloaded),
        "the DLL must stay until init (800 ms) ends, then go: {run:?}"
    );
    assert_eq!(
        run.num("threads_after"),
        run.num("threads_before"),
        "{run:?}"
    );
}

#[test]
fn two_hundred_load_unload_rounds_leave_nothing_behind() {
    let exe = build("win_unload.c", "win_unload.exe", &[]);
    let t = Instant::now();
    let run = wine_run(&exe, &["rounds", "200"], &[]);
    eprintln!("200 rounds under Wine: {:?}", t.elapsed());
    assert_eq!(run.num("rounds_ready"), 200, "{run:?}");
    assert!(run.num("unloaded_after_ms") >= 0, "still loaded: {run:?}");
    assert_eq!(
        run.num("threads_after"),
        run.num("threads_before"),
        "{run:?}"
    );
}

#[test]
fn an_export_called_from_another_dlls_dllmain_would_deadlock() {
    let dll = demo_dir().join("librt0_demo.dll.a");
    build(
        "win_dllmain_caller.c",
        "win_dllmain_caller.dll",
        &["-shared", dll.to_str().unwrap()],
    );
    let exe = build("win_dllmain_host.c", "win_dllmain_host.exe", &[]);
    let run = wine_run(&exe, &[], &[("RT0_DEMO_INIT_SLEEP_MS", "300")]);
    assert_eq!(run.field("dllmain_ready"), "0", "{run:?}");
    assert!(run.num("dllmain_ms") < 200, "answered at once: {run:?}");
    assert!(
        run.field("dllmain_error").contains("loader's lock"),
        "WouldDeadlock's message: {run:?}"
    );
    assert_eq!(run.field("main_ready"), "1", "{run:?}");
}
