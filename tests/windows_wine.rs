//! The Windows port (x86_64-pc-windows-gnu) under Wine: the demo DLL and its static library,
//! C hosts built with MinGW-w64 (`tests/hosts/win_*.c`), run with `wine`. On Windows (the
//! GitHub workflow's windows-latest job: `cargo test --target x86_64-pc-windows-gnu --test
//! windows_wine`) the same hosts run natively.
//!
//! Scenarios: a host linked against the DLL's import library, one linking the static library
//! and one loading the DLL with `LoadLibraryW`: argv arrives (a non-ASCII argument and a quoted
//! one included) and init runs on another thread than the entry; 16 threads wait during a slow
//! init and all get ready; a failing init reports failure with its message; `FreeLibrary` during
//! init returns at once and the DLL stays loaded for good (rt0 pins it) and answers; 200
//! `LoadLibraryW`/`FreeLibrary` rounds find it ready and leave no thread behind; another DLL's
//! `DllMain` calling an export gets `WouldDeadlock` at once and a later call from `main`
//! succeeds.
//!
//! And a std library as a user writes it (`tests/hosts/win_std_lib.rs`: typed state, `?` in
//! init, a worker `std::thread` that outlives init, a `HashMap`), built in a fresh crate outside
//! the workspace against rt0 as `cargo package` ships it, as a DLL and a static library: hosts
//! linked to the DLL, loading it with `LoadLibraryW`, and linking the static library with the
//! libraries rustc's `--print native-static-libs` names, get argv, the worker's answers and init
//! on its own thread; an init error raised with `?` reaches the host. Rust's std imports
//! `ProcessPrng` from bcryptprimitives.dll, which Wine gained in 8.13: under an older Wine
//! (Debian 12's 8.0) the hosts get the shim `docs/windows/bcryptprimitives-shim.c` next to them,
//! as the README says, and a test checks that without it the DLL does not load there (and does
//! where ProcessPrng exists).
//!
//! Needs (ci/needs/windows.txt): `wine64` and `wine`, `gcc-mingw-w64-x86-64`, the rustup
//! target `x86_64-pc-windows-gnu`, and `tar` (to unpack the packaged crate).

#![cfg(any(
    all(target_os = "linux", target_arch = "x86_64"),
    all(windows, target_arch = "x86_64")
))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::{compile_once, root, run_command, wine, Run};

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

/// The command that runs a host: under Wine on Linux, directly on Windows.
fn wine_command(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = if cfg!(windows) {
        let mut cmd = Command::new(exe);
        cmd.current_dir(exe.parent().unwrap());
        cmd
    } else {
        wine::command(exe)
    };
    cmd.args(args)
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
fn freelibrary_during_init_returns_at_once_and_the_pinned_dll_stays() {
    let exe = build("win_unload.c", "win_unload.exe", &[]);
    let run = wine_run(&exe, &["during-init"], &[("RT0_DEMO_INIT_SLEEP_MS", "800")]);
    assert_eq!(run.field("state_after_load"), "1", "{run:?}");
    assert!(run.num("free_ms") < 500, "FreeLibrary waited: {run:?}");
    assert_eq!(run.field("loaded_after_free"), "1", "{run:?}");
    assert_eq!(run.field("ready_after_free"), "1", "{run:?}");
    assert_eq!(run.field("loaded_after_init"), "1", "{run:?}");
    // Init was sleeping when the host looked: its thread, and no other, ran rt0 code.
    assert_eq!(run.num("rt0_threads_seen"), 1, "{run:?}");
    no_thread_of_rt0_is_left(&run);
}

/// rt0's threads (those that start in the DLL, held by handle by `win_unload.c`) have all
/// ended. The process's thread count is compared only under Wine: a real Windows loader starts
/// and retires worker threads of its own (parallel loading), so there the count proves nothing.
fn no_thread_of_rt0_is_left(run: &Run) {
    assert_eq!(run.num("rt0_threads_left"), 0, "rt0 left a thread: {run:?}");
    if cfg!(windows) {
        eprintln!(
            "threads of the process before {} and after {} (the loader's workers included)",
            run.num("threads_before"),
            run.num("threads_after")
        );
    } else {
        assert_eq!(
            run.num("threads_after"),
            run.num("threads_before"),
            "{run:?}"
        );
    }
}

#[test]
fn two_hundred_load_unload_rounds_find_the_one_pinned_library_ready() {
    let exe = build("win_unload.c", "win_unload.exe", &[]);
    let t = Instant::now();
    let run = wine_run(&exe, &["rounds", "200"], &[]);
    eprintln!("200 rounds under Wine: {:?}", t.elapsed());
    assert_eq!(run.num("rounds_ready"), 200, "{run:?}");
    assert_eq!(run.field("loaded_after_rounds"), "1", "{run:?}");
    // The one pinned library's one init: every round saw the same init thread, which was
    // either gone already when the host looked or held until it ended.
    assert_eq!(run.num("init_threads_accounted"), 200, "{run:?}");
    assert_eq!(run.num("init_threads_distinct"), 1, "{run:?}");
    no_thread_of_rt0_is_left(&run);
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

// A std library as a user builds it: `tests/hosts/win_std_lib.rs` in a fresh crate outside this
// workspace, depending on rt0 as `cargo package` ships it, built as a DLL and a static library.

/// The fresh crate's products.
struct StdUserLib {
    /// Holds `win_std_user.dll`, its import library and `libwin_std_user.a`.
    dir: PathBuf,
    /// What rustc says a static link of the library needs (`--print native-static-libs`).
    native_static_libs: Vec<String>,
}

/// Where the package is unpacked and the fresh crate lives: under the system's temporary
/// folder, so no workspace `Cargo.toml` or `.cargo/config.toml` of this repository applies to
/// it, one folder per checkout (kept between runs: an unchanged package is not rebuilt).
fn std_user_work_dir() -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    root().hash(&mut hasher);
    std::env::temp_dir().join(format!("rt0-win-std-{:016x}", hasher.finish()))
}

fn cargo_ok(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes `contents` unless the file already holds them (a rewrite would make cargo rebuild).
fn write_if_changed(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap();
    }
}

/// `cargo package`s rt0 and rt0-macros, unpacks them (again only when a .crate changed) and
/// returns the unpacked folders' names, rt0's first.
fn unpack_packaged_rt0(work: &Path) -> [String; 3] {
    let package_target = root().join("target/win-std-package");
    cargo_ok(
        Command::new(env!("CARGO")).current_dir(root()).args([
            "package",
            "-q",
            "-p",
            "rt0-macros",
            "-p",
            "rt0-description",
            "-p",
            "rt0",
            "--allow-dirty",
            // The fresh crate's build below is the verification (for the Windows target).
            "--no-verify",
            "--target-dir",
            package_target.to_str().unwrap(),
        ]),
        "cargo package -p rt0-macros -p rt0-description -p rt0",
    );
    let packages = package_target.join("package");
    let crate_file = |name: &str| {
        let stem = format!("{name}-{}", env!("CARGO_PKG_VERSION"));
        assert!(
            packages.join(format!("{stem}.crate")).exists(),
            "cargo package wrote no {stem}.crate in {}",
            packages.display()
        );
        stem
    };
    let stems = [
        crate_file("rt0"),
        crate_file("rt0-macros"),
        crate_file("rt0-description"),
    ];
    for stem in &stems {
        let packaged = std::fs::read(packages.join(format!("{stem}.crate"))).unwrap();
        let kept = work.join(format!("{stem}.crate"));
        if work.join(stem).is_dir() && std::fs::read(&kept).ok() == Some(packaged.clone()) {
            continue;
        }
        // A changed package: the files cargo packs carry a fixed time stamp, so a build of the
        // user crate would take the old package's outputs for up to date. Start it afresh.
        let _ = std::fs::remove_dir_all(work.join("user").join("target"));
        let _ = std::fs::remove_dir_all(work.join(stem));
        std::fs::write(&kept, &packaged).unwrap();
        // A relative name: the Git-for-Windows tar on a Windows PATH takes `C:...` for a host.
        let out = Command::new("tar")
            .current_dir(work)
            .arg("xzf")
            .arg(format!("{stem}.crate"))
            .output()
            .expect("run tar");
        assert!(
            out.status.success(),
            "unpacking {stem}.crate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stems
}

/// Builds the fresh crate for Windows (once per test process).
fn std_user_lib() -> &'static StdUserLib {
    static LIB: OnceLock<StdUserLib> = OnceLock::new();
    LIB.get_or_init(|| {
        let t = Instant::now();
        let work = std_user_work_dir();
        let user = work.join("user");
        std::fs::create_dir_all(user.join("src")).unwrap();
        let [rt0_dir, macros_dir, description_dir] = unpack_packaged_rt0(&work);
        let manifest = format!(
            r#"[package]
name = "win-std-user"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib", "staticlib"]

[dependencies]
rt0 = {{ path = "../{rt0_dir}", features = ["alloc"] }}

# rt0-macros and rt0-description are not on crates.io yet: take the packaged ones.
[patch.crates-io]
rt0-macros = {{ path = "../{macros_dir}" }}
rt0-description = {{ path = "../{description_dir}" }}

[workspace]
"#
        );
        write_if_changed(&user.join("Cargo.toml"), manifest.as_bytes());
        let source = std::fs::read(root().join("tests/hosts/win_std_lib.rs")).unwrap();
        write_if_changed(&user.join("src/lib.rs"), &source);
        // `cargo rustc` builds both crate types; rustc prints the note for the staticlib, and
        // cargo replays it when nothing needed rebuilding.
        let out = cargo_ok(
            Command::new(env!("CARGO")).current_dir(&user).args([
                "rustc",
                "--lib",
                "--target",
                TARGET,
                "--",
                "--print",
                "native-static-libs",
            ]),
            "building the fresh std crate for Windows",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find_map(|l| l.split_once("native-static-libs: ").map(|(_, libs)| libs))
            .unwrap_or_else(|| panic!("rustc printed no native-static-libs line:\n{stderr}"));
        let native_static_libs: Vec<String> = line.split_whitespace().map(String::from).collect();
        assert!(
            !native_static_libs.is_empty()
                && native_static_libs.iter().all(|l| l.starts_with("-l")),
            "native-static-libs: {line}"
        );
        eprintln!(
            "packaged rt0 + std library built for {TARGET} in {:?}; native-static-libs: {line}",
            t.elapsed()
        );
        StdUserLib {
            dir: user.join("target").join(TARGET).join("debug"),
            native_static_libs,
        }
    })
}

/// Whether the system the hosts run on has `ProcessPrng` in bcryptprimitives.dll, which Rust's
/// std imports: Windows since Windows 8 (std itself needs 10), Wine since 8.13.
fn system_has_process_prng() -> bool {
    cfg!(windows) || wine::has_process_prng()
}

/// A folder of std-library hosts next to a copy of win_std_user.dll; with `shim`, also the
/// Wine workaround `docs/windows/bcryptprimitives-shim.c` built as bcryptprimitives.dll (the
/// loader looks in the program's folder first).
fn std_hosts_dir(shim: bool) -> PathBuf {
    static DLL_COPIED: OnceLock<std::sync::Mutex<Vec<PathBuf>>> = OnceLock::new();
    let lib = std_user_lib();
    let dir = demo_dir().join(if shim {
        "win-std-shimmed"
    } else {
        "win-std-bare"
    });
    let mut copied = DLL_COPIED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !copied.contains(&dir) {
        // Once per process, and by rename: another test's host may have the DLL mapped.
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!("win_std_user.tmp{}.dll", std::process::id()));
        std::fs::copy(lib.dir.join("win_std_user.dll"), &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("win_std_user.dll")).unwrap();
        copied.push(dir.clone());
    }
    drop(copied);
    if shim {
        wine::build_process_prng_shim(&dir, cc());
    }
    dir
}

/// The std library's hosts are given the shim where the system lacks ProcessPrng (a Wine before
/// 8.13), as the README tells a user to do, and nothing elsewhere.
fn std_hosts_dir_as_documented() -> PathBuf {
    std_hosts_dir(!system_has_process_prng())
}

/// `win_std_host.c` linked as `kind` says: `dll` (the import library), `static` (the static
/// library and rustc's native-static-libs) or `loadlibrary`.
fn std_host(dir: &Path, kind: &str) -> PathBuf {
    let lib = std_user_lib();
    let mut extra: Vec<String> = Vec::new();
    match kind {
        "dll" => extra.push(lib.dir.join("libwin_std_user.dll.a").display().to_string()),
        "static" => {
            extra.push(lib.dir.join("libwin_std_user.a").display().to_string());
            extra.extend(lib.native_static_libs.iter().cloned());
        }
        "loadlibrary" => extra.push("-DWIN_STD_LOADLIBRARY".into()),
        other => panic!("no std host kind {other}"),
    }
    let src = root().join("tests/hosts/win_std_host.c");
    compile_once(
        dir.join(format!("win_std_host_{kind}.exe")),
        "win_std_host.c",
        |tmp| {
            let mut cmd = Command::new(cc());
            cmd.args(["-O1", "-g", "-Wall", "-Werror"])
                .arg(&src)
                .args(&extra)
                .arg("-o")
                .arg(tmp);
            cmd
        },
    )
}

/// What the std hosts are given: a repeated word (counted by the library's HashMap), a
/// non-ASCII argument and one with a space.
const STD_ARGS: [&str; 4] = ["twice", "héllo", "a b", "twice"];
const STD_SCALE: i64 = 3;

/// What the library's worker thread answers for `n`, computed here independently.
fn worker_answer(scale: i64, n: i64) -> i64 {
    scale * (1..=n).map(|k| k * k).sum::<i64>()
}

fn check_std_report(run: &Run, exe: &Path) {
    assert_eq!(run.field("ready"), "1", "{run:?}");
    let argc = STD_ARGS.len() as i64 + 1;
    assert_eq!(run.num("argc"), argc, "{run:?}");
    let argv0 = run.field("argv[0]");
    assert!(
        argv0.ends_with(exe.file_name().unwrap().to_str().unwrap()),
        "argv[0] = {argv0}"
    );
    for (i, want) in STD_ARGS.iter().enumerate() {
        assert_eq!(run.field(&format!("argv[{}]", i + 1)), *want, "{run:?}");
    }
    let twice = STD_ARGS.iter().filter(|a| **a == "twice").count() as i64;
    assert_eq!(run.num("count_twice"), twice, "{run:?}");
    // The entry ran on the loading thread (main), init on its own thread, and init's worker on
    // a third one that still answers after init returned.
    let main = run.num("main_tid");
    assert_eq!(run.num("entry_tid"), main, "{run:?}");
    let init = run.num("init_tid");
    let worker = run.num("worker_tid");
    assert!(init > 0 && init != main, "{run:?}");
    assert!(worker > 0 && worker != main && worker != init, "{run:?}");
    assert_eq!(
        run.num("answer_during_init"),
        worker_answer(STD_SCALE, argc),
        "{run:?}"
    );
    assert_eq!(
        run.num("answer_after_init"),
        worker_answer(STD_SCALE, 10),
        "{run:?}"
    );
}

#[test]
fn a_packaged_std_library_works_from_dll_static_and_loadlibrary_hosts() {
    let dir = std_hosts_dir_as_documented();
    let scale = STD_SCALE.to_string();
    for kind in ["dll", "static", "loadlibrary"] {
        let exe = std_host(&dir, kind);
        let t = Instant::now();
        let run = wine_run(&exe, &STD_ARGS, &[("WIN_STD_SCALE", &scale)]);
        eprintln!("std library, {kind} host: {:?}", t.elapsed());
        check_std_report(&run, &exe);
    }
}

/// A std DLL whose init leaves a thread running (a ticker waking every 10 ms), loaded with
/// `LoadLibraryW` and `FreeLibrary`d by the host once init is done: rt0 pinned the DLL, so the
/// ticker keeps running in mapped code and the host lives on (unpinned, the DLL would be
/// unmapped under the ticker: "Unhandled page fault on execute access" under Wine).
#[test]
fn a_std_dll_freed_after_init_stays_loaded_under_the_threads_init_left() {
    let dir = std_hosts_dir_as_documented();
    let exe = std_host(&dir, "loadlibrary");
    let scale = STD_SCALE.to_string();
    let run = wine_run(
        &exe,
        &STD_ARGS,
        &[("WIN_STD_SCALE", &scale), ("WIN_STD_FREE", "1")],
    );
    check_std_report(&run, &exe);
    assert_eq!(run.status, Some(0), "{run:?}");
    assert_eq!(run.field("free_result"), "1", "{run:?}");
    assert_eq!(run.field("loaded_after_free"), "1", "{run:?}");
    assert!(run.num("ticks_after_free") > 0, "{run:?}");
    assert_eq!(run.field("alive_after_free"), "1", "{run:?}");
}

#[test]
fn a_std_library_init_failing_through_question_mark_reports_the_error() {
    let dir = std_hosts_dir_as_documented();
    let bad = "abc";
    let want = format!(
        "win-std: WIN_STD_SCALE={bad}: {}",
        bad.parse::<i64>().unwrap_err()
    );
    for kind in ["dll", "static", "loadlibrary"] {
        let exe = std_host(&dir, kind);
        let run = wine_run(&exe, &[], &[("WIN_STD_SCALE", bad)]);
        assert_eq!(run.field("ready"), "0", "{run:?}");
        assert_eq!(run.field("error"), want, "{run:?}");
    }
}

/// The README's claim, both ways: without the shim a std DLL loads where the system has
/// ProcessPrng, and under a Wine before 8.13 it does not (a linked host exits with 53, Wine's
/// "DLL not found", and LoadLibraryW fails with ERROR_MOD_NOT_FOUND, 126); the shim fixes that
/// (the test above).
#[test]
fn without_the_shim_a_std_dll_loads_only_where_process_prng_exists() {
    let dir = std_hosts_dir(false);
    let scale = STD_SCALE.to_string();
    prefix_ready();
    for kind in ["dll", "loadlibrary"] {
        let exe = std_host(&dir, kind);
        let what = format!("{} without the shim", exe.display());
        let run = run_command(
            wine_command(&exe, &STD_ARGS, &[("WIN_STD_SCALE", &scale)]),
            &what,
            Duration::from_secs(120),
        );
        if system_has_process_prng() {
            assert_eq!(run.status, Some(0), "{what}: {run:?}");
            check_std_report(&run, &exe);
        } else if kind == "dll" {
            assert_eq!(run.status, Some(53), "{what}: {run:?}");
        } else {
            assert_eq!(run.status, Some(2), "{what}: {run:?}");
            assert_eq!(run.field("loadlibrary_error"), "126", "{run:?}");
        }
    }
}

/// rustc's native-static-libs line is what a MinGW static link needs: the static library alone
/// leaves std's imports (WaitOnAddress, ntdll, userenv, ws2_32 ...) unresolved.
#[test]
fn a_static_host_needs_the_native_static_libs_line() {
    let lib = std_user_lib();
    let out = Command::new(cc())
        .arg(root().join("tests/hosts/win_std_host.c"))
        .arg(lib.dir.join("libwin_std_user.a"))
        .arg("-o")
        .arg(std_user_work_dir().join("unlinkable.exe"))
        .output()
        .expect("run the C compiler");
    assert!(
        !out.status.success(),
        "linking the static library without its native libraries succeeded"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("undefined reference"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
