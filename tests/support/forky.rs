//! Support for `tests/fork_policy.rs`: `tests/crates/forky` built for each `on_fork` policy and
//! platform, the fork hosts (`tests/hosts/fork_*.c`) linked with it, and their runs (through
//! qemu-user for aarch64) with a deadline that turns a hang into a failure.

#![allow(dead_code)]

use crate::cross::{self, Host};
use crate::support::{self, compile_once, root, run_command, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A hang detector: qemu-user is several times slower than the hardware.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The `on_fork` policies forky is built with (one cargo feature each; reinit is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    Reinit,
    Fail,
    Inherit,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Reinit => "reinit",
            Policy::Fail => "fail",
            Policy::Inherit => "inherit",
        }
    }

    fn features(self) -> &'static [&'static str] {
        match self {
            Policy::Reinit => &[],
            Policy::Fail => &["policy-fail"],
            Policy::Inherit => &["policy-inherit"],
        }
    }
}

/// Where forky and its hosts are built and run: this machine (the shared library, linked), x86_64
/// musl (the static archive in a `musl-gcc -static` host, with Rust's unwinder as the README
/// says) or aarch64 glibc under qemu-user (the shared library).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    Native,
    Musl,
    Aarch64,
}

impl Platform {
    fn host(self) -> Option<Host> {
        match self {
            Platform::Native => None,
            Platform::Musl => Some(Host::MuslStatic),
            Platform::Aarch64 => Some(Host::Aarch64Gnu),
        }
    }

    fn cc(self) -> &'static str {
        match self {
            Platform::Native => "gcc",
            Platform::Musl => "musl-gcc",
            Platform::Aarch64 => "aarch64-linux-gnu-gcc",
        }
    }
}

/// forky built with `policy` for `platform`, in a target folder per policy: the folder holding
/// its libraries (one build per test process).
pub fn forky(policy: Policy, platform: Platform) -> PathBuf {
    static DIRS: OnceLock<Mutex<BTreeMap<(Policy, Platform), PathBuf>>> = OnceLock::new();
    let mut dirs = DIRS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    dirs.entry((policy, platform))
        .or_insert_with(|| {
            let target = platform.host().map(Host::target);
            let dir = format!("fork/{}", policy.name());
            support::build_test_crate_for("forky", &dir, target, policy.features())
        })
        .clone()
}

/// `tests/hosts/<source>.c` for `platform`, linked with forky built for `policy` (the shared
/// library through an rpath; on musl the static archive).
pub fn host(policy: Policy, platform: Platform, source: &str) -> PathBuf {
    if platform != Platform::Native {
        cross::require(platform.cc());
    }
    let dir = forky(policy, platform);
    let exe = dir.join("hosts").join(source);
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let src = root().join("tests/hosts").join(format!("{source}.c"));
    compile_once(exe, &src.display().to_string(), |tmp| {
        let mut cmd = Command::new(platform.cc());
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg(&src);
        if platform == Platform::Musl {
            let unwind = Path::new(&rust_sysroot())
                .join("lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained/libunwind.a");
            cmd.arg("-static")
                .arg(dir.join("libforky.a"))
                .arg("-Wl,--eh-frame-hdr")
                .arg(unwind);
        } else {
            cmd.arg("-L")
                .arg(&dir)
                .args(["-lforky", "-Wl,--disable-new-dtags"])
                .arg(format!("-Wl,-rpath,{}", dir.display()));
        }
        cmd.arg("-o").arg(tmp);
        cmd
    })
}

pub fn rust_sysroot() -> String {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs `source` (built for `policy` and `platform`, through qemu-user where needed) with
/// `args` and `env`, killed after the deadline; it must exit 0.
pub fn run_on(
    platform: Platform,
    policy: Policy,
    source: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let exe = host(policy, platform, source);
    let runner = platform.host().map(Host::runner).unwrap_or_default();
    let mut cmd = match runner.split_first() {
        Some((emulator, options)) => {
            let mut c = Command::new(emulator);
            c.args(options).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let what = format!("{source} {args:?} ({}, {platform:?})", policy.name());
    let r = run_command(cmd, &what, DEADLINE);
    assert_eq!(r.status, Some(0), "{what}: {r:#?}");
    r
}

/// [`run_on`] this machine.
pub fn run(policy: Policy, source: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_on(Platform::Native, policy, source, args, env)
}
