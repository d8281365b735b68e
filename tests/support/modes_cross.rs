//! Where tests/start_modes_cross.rs builds and runs the modes library's hosts, per target: the
//! Linux targets (musl natively, the others under qemu-user), Windows under Wine and darwin under
//! the emulated XNU. Included by that test alone (with `#[path]`), next to `cross`, `modes` and
//! `support`.

use crate::cross;
use crate::modes::{header_dir, library_dir_for, Crate, Mode};
use crate::support::{compile_once, root, run_command, wine, Run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// A hang detector: qemu-user and the emulated XNU are many times slower than the hardware.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// Where a host of the modes library is built and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
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
    pub fn target(self) -> &'static str {
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
    pub fn linux(self) -> Option<cross::Host> {
        match self {
            System::Musl => Some(cross::Host::MuslStatic),
            System::Aarch64Musl => Some(cross::Host::Aarch64MuslStatic),
            System::Aarch64 => Some(cross::Host::Aarch64Gnu),
            System::Riscv64 => Some(cross::Host::Riscv64Gnu),
            _ => None,
        }
    }

    pub fn darwin_arch(self) -> Option<&'static str> {
        match self {
            System::DarwinX86_64 => Some("x86_64"),
            System::DarwinArm64 => Some("arm64"),
            _ => None,
        }
    }

    /// Whether the loading thread holds the loader's lock when rt0's entry runs in a host
    /// linked to the library: Windows (DllMain), so `inline` starts init on its own thread.
    pub fn entry_under_loader_lock(self) -> bool {
        self == System::Windows
    }
}

pub fn library_dir(system: System, mode: Mode) -> PathBuf {
    library_dir_for(Crate::Modes, mode, Some(system.target()))
}

/// `tests/hosts/<source>` for a Linux `system`, linked with the library built with `mode`, as
/// `<dir>/<name>`: x86_64 musl with `musl-gcc -static` and the archive; aarch64 musl compiled
/// against the cross glibc headers (ABI-compatible for what the hosts use) and linked
/// statically against musl alone, as tests/support/cross.rs does; glibc with the shared
/// library through an rpath, bound at load as tests/support/cross.rs links its hosts there.
pub fn linux_host(system: System, mode: Mode, source: &str, name: &str) -> PathBuf {
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
        // On musl the modes crate's std (built with panic = "unwind") unwinds through the
        // sysroot's self-contained libunwind, which musl-gcc does not have.
        match system {
            System::Musl => {
                cmd.arg(&src)
                    .arg("-static")
                    .arg(dir.join("libmodes.a"))
                    .arg("-Wl,--eh-frame-hdr")
                    .arg(cross::musl_self_contained(system.target()).join("libunwind.a"));
            }
            System::Aarch64Musl => {
                let sc = cross::musl_self_contained(system.target());
                cmd = cross::aarch64_musl_static_link(
                    cc,
                    &headers,
                    &src,
                    tmp,
                    &[dir.join("libmodes.a"), sc.join("libunwind.a")],
                );
                cmd.arg("-Wl,--eh-frame-hdr");
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

/// Rust's std imports ProcessPrng from bcryptprimitives.dll, which Wine gained in 8.13: under
/// an older Wine the README's shim goes next to the program, as a user of such a Wine does.
pub fn wine_shim(dir: &Path) {
    if !wine::has_process_prng() {
        wine::build_process_prng_shim(dir, "x86_64-w64-mingw32-gcc");
    }
}

/// `tests/hosts/modes_win_loadlibrary.c`, next to the DLL built with `mode`.
pub fn win_loadlibrary_host(mode: Mode) -> PathBuf {
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
pub fn host(system: System, mode: Mode) -> PathBuf {
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
pub fn race_host(system: System) -> PathBuf {
    linux_host(system, Mode::FirstCall, "modes_race.c", "modes_race")
}

/// `target/debug/rt0-port`, built once per test process.
pub fn rt0_port() -> &'static Path {
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
pub fn run_on(system: System, exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let what = format!("{} {args:?} {env:?} ({system:?})", exe.display());
    let mut cmd = match system {
        System::Windows => wine::command(exe),
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
pub fn run_mode(system: System, mode: Mode, env: &[(&str, &str)]) -> Run {
    let args: &[&str] = match mode {
        Mode::Explicit => &["explicit"],
        _ => &[],
    };
    let mut env = env.to_vec();
    env.push(("RT0_TRACE", "1"));
    run_on(system, &host(system, mode), args, &env)
}
