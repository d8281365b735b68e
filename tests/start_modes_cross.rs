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
mod support;

use modes::{header_dir, library_dir_for, Crate, Mode, MODES};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::{compile_once, root, run_command, Run};

/// A hang detector: qemu-user and the emulated XNU are many times slower than the hardware.
const DEADLINE: Duration = Duration::from_secs(180);

/// Where a host of the modes library is built and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    /// x86_64 musl: the static library in a `musl-gcc -static` host, run natively.
    Musl,
    /// aarch64 musl under qemu-user: the static library in a static host linked against the
    /// musl that rustup ships for the target (Debian has no aarch64 musl-gcc).
    Aarch64Musl,
    /// aarch64 glibc under qemu-user: the shared library, linked.
    Aarch64,
    /// riscv64 glibc under qemu-user: the shared library, linked.
    Riscv64,
    /// x86_64 Windows under Wine: the DLL, through its import library.
    Windows,
    /// x86_64 darwin under the emulated XNU: the static library, linked by darwin-cc.
    DarwinX86_64,
    /// arm64 darwin under the emulated XNU.
    DarwinArm64,
}

impl System {
    fn target(self) -> &'static str {
        match self {
            System::Musl => "x86_64-unknown-linux-musl",
            System::Aarch64Musl => "aarch64-unknown-linux-musl",
            System::Aarch64 => "aarch64-unknown-linux-gnu",
            System::Riscv64 => "riscv64gc-unknown-linux-gnu",
            System::Windows => "x86_64-pc-windows-gnu",
            System::DarwinX86_64 => "x86_64-apple-darwin",
            System::DarwinArm64 => "aarch64-apple-darwin",
        }
    }

    /// The qemu-user side of the Linux targets (`None`: Windows and darwin).
    fn linux(self) -> Option<cross::Host> {
        match self {
            System::Musl => Some(cross::Host::MuslStatic),
            System::Aarch64Musl => Some(cross::Host::Aarch64MuslStatic),
            System::Aarch64 => Some(cross::Host::Aarch64Gnu),
            System::Riscv64 => Some(cross::Host::Riscv64Gnu),
            _ => None,
        }
    }

    fn darwin_arch(self) -> Option<&'static str> {
        match self {
            System::DarwinX86_64 => Some("x86_64"),
            System::DarwinArm64 => Some("arm64"),
            _ => None,
        }
    }

    /// Whether the loading thread holds the loader's lock when rt0's entry runs in a host
    /// linked to the library: Windows (DllMain), so `inline` starts init on its own thread.
    fn entry_under_loader_lock(self) -> bool {
        self == System::Windows
    }
}

fn library_dir(system: System, mode: Mode) -> PathBuf {
    library_dir_for(Crate::Modes, mode, Some(system.target()))
}

/// The sysroot's self-contained objects for a musl `target` (crt objects, libc.a, libunwind.a):
/// a `std` static library unwinds through that libunwind (the modes crate is built with
/// panic = "unwind"), which musl-gcc does not have.
fn musl_self_contained(target: &str) -> PathBuf {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib/self-contained")
}

/// `tests/hosts/<source>` for a Linux `system`, linked with the library built with `mode`, as
/// `<dir>/<name>`: x86_64 musl with `musl-gcc -static` and the archive; aarch64 musl compiled
/// against the cross glibc headers (ABI-compatible for what the hosts use) and linked
/// statically against musl alone, as tests/support/cross.rs does; glibc with the shared
/// library through an rpath, bound at load as tests/support/cross.rs links its hosts there.
fn linux_host(system: System, mode: Mode, source: &str, name: &str) -> PathBuf {
    let dir = library_dir(system, mode);
    let headers = header_dir(Crate::Modes);
    let src = root().join("tests/hosts").join(source);
    let cc = match system {
        System::Musl => "musl-gcc",
        System::Aarch64 | System::Aarch64Musl => "aarch64-linux-gnu-gcc",
        System::Riscv64 => "riscv64-linux-gnu-gcc",
        other => panic!("{other:?} is not a Linux system"),
    };
    let what = format!("{source} for {system:?} ({mode:?})");
    compile_once(dir.join(name), &what, |tmp| {
        cross::require(cc);
        let mut cmd = Command::new(cc);
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg("-I")
            .arg(&headers);
        match system {
            System::Musl => {
                cmd.arg(&src)
                    .arg("-static")
                    .arg(dir.join("libmodes.a"))
                    .arg("-Wl,--eh-frame-hdr")
                    .arg(musl_self_contained(system.target()).join("libunwind.a"));
            }
            System::Aarch64Musl => {
                let obj = tmp.with_extension("o");
                let out = Command::new(cc)
                    .args(["-O1", "-g", "-Wall", "-Werror", "-fno-stack-protector"])
                    .args(["-U_FORTIFY_SOURCE", "-c", "-I"])
                    .arg(&headers)
                    .arg(&src)
                    .arg("-o")
                    .arg(&obj)
                    .output()
                    .expect("run the C compiler");
                assert!(
                    out.status.success(),
                    "compiling {what}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let libgcc = Command::new(cc)
                    .arg("-print-libgcc-file-name")
                    .output()
                    .expect("run the C compiler")
                    .stdout;
                let sc = musl_self_contained(system.target());
                cmd = Command::new(cc);
                cmd.args([
                    "-static",
                    "-nostdlib",
                    "-nostartfiles",
                    "-Wl,--eh-frame-hdr",
                ])
                .arg(sc.join("crt1.o"))
                .arg(sc.join("crti.o"))
                .arg(sc.join("crtbegin.o"))
                .arg(&obj)
                .arg(dir.join("libmodes.a"))
                .arg(sc.join("libunwind.a"))
                .arg(sc.join("libc.a"))
                .arg(String::from_utf8(libgcc).unwrap().trim())
                .arg(sc.join("crtend.o"))
                .arg(sc.join("crtn.o"));
            }
            _ => {
                cmd.arg(&src)
                    .args(["-Wl,-z,now", "-L"])
                    .arg(&dir)
                    .args(["-lmodes", "-Wl,--disable-new-dtags"])
                    .arg(format!("-Wl,-rpath,{}", dir.display()));
            }
        }
        cmd.arg("-o").arg(tmp);
        cmd
    })
}

/// The Wine release, as `(major, minor)`: `wine-8.0 (Debian 8.0~repack-4)` is `(8, 0)`.
fn wine_version() -> (u32, u32) {
    let out = Command::new(wine())
        .arg("--version")
        .output()
        .expect("run wine --version");
    let text = String::from_utf8_lossy(&out.stdout);
    let number = text
        .trim()
        .strip_prefix("wine-")
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit() && c != '.').next())
        .unwrap_or_else(|| panic!("unexpected `wine --version`: {text}"));
    let mut parts = number.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The Wine loader: `wine64` where it is on the PATH, Debian's `/usr/lib/wine/wine64`, else
/// `wine` (as tests/windows_wine.rs finds it).
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

/// Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine gained in 8.13: under
/// an older Wine the README's shim goes next to the program, as a user of such a Wine does.
fn wine_shim(dir: &Path) {
    if wine_version() >= (8, 13) {
        return;
    }
    compile_once(
        dir.join("bcryptprimitives.dll"),
        "the bcryptprimitives shim",
        |tmp| {
            let mut cmd = Command::new("x86_64-w64-mingw32-gcc");
            cmd.args(["-O2", "-Wall", "-Werror", "-shared"])
                .arg(root().join("docs/windows/bcryptprimitives-shim.c"))
                .arg("-ladvapi32")
                .arg("-o")
                .arg(tmp);
            cmd
        },
    );
}

/// `tests/hosts/modes_win_loadlibrary.c`, next to the DLL built with `mode`.
fn win_loadlibrary_host(mode: Mode) -> PathBuf {
    let dir = library_dir(System::Windows, mode);
    wine_shim(&dir);
    let headers = header_dir(Crate::Modes);
    let src = root().join("tests/hosts/modes_win_loadlibrary.c");
    compile_once(
        dir.join("modes_win_loadlibrary.exe"),
        &format!("modes_win_loadlibrary.c ({mode:?})"),
        |tmp| {
            cross::require("x86_64-w64-mingw32-gcc");
            let mut cmd = Command::new("x86_64-w64-mingw32-gcc");
            cmd.args(["-O1", "-g", "-Wall", "-Werror"])
                .arg("-I")
                .arg(&headers)
                .arg(&src)
                .arg("-o")
                .arg(tmp);
            cmd
        },
    )
}

/// The host for `system`, linked to the library built with `mode`, in that library's folder
/// (Windows: next to the DLL, where the loader looks first; darwin: the static library, with
/// darwin-cc and the emulated XNU's headers).
fn host(system: System, mode: Mode) -> PathBuf {
    if system.linux().is_some() {
        return linux_host(system, mode, "modes_cross_host.c", "modes_cross_host");
    }
    let dir = library_dir(system, mode);
    let headers = header_dir(Crate::Modes);
    let src = root().join("tests/hosts/modes_cross_host.c");
    let name = match system {
        System::Windows => "modes_cross_host.exe",
        _ => "modes_cross_host",
    };
    let what = format!("modes_cross_host.c for {system:?} ({mode:?})");
    if system == System::Windows {
        wine_shim(&dir);
    }
    compile_once(dir.join(name), &what, |tmp| {
        let mut cmd = match system.darwin_arch() {
            Some(arch) => {
                cross::require("clang");
                let mut cmd = Command::new(root().join("tools/darwin-sdk/bin/darwin-cc"));
                cmd.args(["-arch", arch, "-mmacosx-version-min=11.0", "-nostdlibinc"])
                    .arg("-isystem")
                    .arg(root().join("tools/rt0-port/sdk/include"));
                cmd
            }
            None => {
                cross::require("x86_64-w64-mingw32-gcc");
                Command::new("x86_64-w64-mingw32-gcc")
            }
        };
        cmd.args(["-O1", "-g", "-Wall", "-Werror"])
            .arg("-I")
            .arg(&headers)
            .arg(&src);
        match system {
            System::Windows => cmd.arg(dir.join("libmodes.dll.a")),
            _ => cmd.arg(dir.join("libmodes.a")).arg("-lSystem"),
        };
        cmd.arg("-o").arg(tmp);
        cmd
    })
}

/// `tests/hosts/modes_race.c` for a Linux `system` with the `first_call` library.
fn race_host(system: System) -> PathBuf {
    linux_host(system, Mode::FirstCall, "modes_race.c", "modes_race")
}

/// `target/debug/rt0-port`, built once per test process.
fn rt0_port() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["build", "--quiet", "-p", "rt0-port"])
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "building rt0-port: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target"));
        target_dir.join("debug/rt0-port")
    })
}

/// Runs `exe` on `system` (natively, under qemu-user, Wine or the emulated XNU) with `args`
/// and `env`, killed after the deadline.
fn run_on(system: System, exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let what = format!("{} {args:?} {env:?} ({system:?})", exe.display());
    let mut cmd = match system {
        System::Windows => {
            let mut cmd = Command::new(wine());
            cmd.arg(exe)
                .current_dir(exe.parent().unwrap())
                .env("WINEPREFIX", root().join("target/wine-prefix"))
                .env("WINEDEBUG", "-all");
            cmd
        }
        System::DarwinX86_64 | System::DarwinArm64 => {
            // The emulated process gets only the environment given with --env.
            let mut cmd = Command::new(rt0_port());
            cmd.args(["emulate", system.target(), "--exe"])
                .arg(exe)
                .arg("--lazy-imports");
            for (k, v) in env {
                cmd.arg("--env").arg(format!("{k}={v}"));
            }
            cmd.arg("--");
            cmd
        }
        _ => {
            let runner = system.linux().unwrap().runner();
            match runner.split_first() {
                Some((emulator, options)) => {
                    let mut cmd = Command::new(emulator);
                    cmd.args(options).arg(exe);
                    cmd
                }
                None => Command::new(exe),
            }
        }
    };
    cmd.args(args).env_remove("RT0_TRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r = run_command(cmd, &what, DEADLINE);
    assert_eq!(r.status, Some(0), "{what}: {r:#?}");
    r
}

/// The host's plain run for `mode` (`explicit` with its `explicit` step), traced.
fn run_mode(system: System, mode: Mode, env: &[(&str, &str)]) -> Run {
    let args: &[&str] = match mode {
        Mode::Explicit => &["explicit"],
        _ => &[],
    };
    let mut env = env.to_vec();
    env.push(("RT0_TRACE", "1"));
    run_on(system, &host(system, mode), args, &env)
}

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
    assert_eq!(r.num("add"), -1, "{c}");
    assert_eq!(r.num("sum"), -1, "{c}");
    assert_eq!(r.num("ready"), -1, "{c}");
    assert_eq!(r.num("helper_tid"), 0, "{c}");
    assert_eq!(r.num("status"), 3, "{c}");
    assert_eq!(
        r.field("status_message"),
        "modes: init failed on request",
        "{c}"
    );
    assert_eq!(r.num("runs"), 1, "{c}");
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
