//! Cross-target support for `tests/cross_scenarios.rs`: the demo built for another Linux target
//! (aarch64 and riscv64 glibc, x86_64 and aarch64 musl), C hosts compiled by that target's C compiler, and
//! runs through qemu-user where the target is not this machine's.
//!
//! Builds go through [`crate::support::demo_for`] (`target/scenarios/<target>/<path>`), so a demo built
//! once serves every test of the process.

#![allow(dead_code)]

use crate::support::{compile_once, demo_for, root, run_command, Demo, DemoPath, Link, Run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How the C host is built and run for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// aarch64 glibc: `aarch64-linux-gnu-gcc`, run by qemu-aarch64 (`ci/qemu-user`) with
    /// `-L /usr/aarch64-linux-gnu`.
    Aarch64Gnu,
    /// x86_64 musl, dynamically linked against musl's libc.so: `musl-gcc`, run natively.
    MuslDynamic,
    /// x86_64 musl, fully static: `musl-gcc -static`, run natively.
    MuslStatic,
    /// aarch64 musl, fully static: compiled by `aarch64-linux-gnu-gcc`, linked against the musl
    /// crt objects and libc.a that rustup ships for aarch64-unknown-linux-musl (Debian has no
    /// aarch64 musl-gcc), run by qemu-aarch64.
    Aarch64MuslStatic,
    /// riscv64 glibc: `riscv64-linux-gnu-gcc`, run by qemu-riscv64 with `-L /usr/riscv64-linux-gnu`.
    Riscv64Gnu,
}

impl Host {
    /// The Rust target the demo is built for.
    pub fn target(self) -> &'static str {
        match self {
            Host::Aarch64Gnu => "aarch64-unknown-linux-gnu",
            Host::MuslDynamic | Host::MuslStatic => "x86_64-unknown-linux-musl",
            Host::Aarch64MuslStatic => "aarch64-unknown-linux-musl",
            Host::Riscv64Gnu => "riscv64gc-unknown-linux-gnu",
        }
    }

    /// The ways the demo can be linked on this platform (musl targets build no cdylib).
    pub fn links(self) -> &'static [Link] {
        match self {
            Host::Aarch64Gnu | Host::Riscv64Gnu => &[Link::Static, Link::Shared, Link::Dlopen],
            _ => &[Link::Static],
        }
    }

    /// The emulator prefix, empty for native runs: `ci/qemu-user ARCH`, which runs qemu-user
    /// under the name this system gives it (`qemu-aarch64-static` on Debian 12 and Ubuntu
    /// 24.04, `qemu-aarch64` on Debian 13 and Ubuntu 26.04), then qemu's own options.
    pub fn runner(self) -> Vec<String> {
        let (arch, options): (&str, &[&str]) = match self {
            Host::Aarch64Gnu => ("aarch64", &["-L", "/usr/aarch64-linux-gnu"]),
            Host::Aarch64MuslStatic => ("aarch64", &[]),
            Host::Riscv64Gnu => ("riscv64", &["-L", "/usr/riscv64-linux-gnu"]),
            Host::MuslDynamic | Host::MuslStatic => return Vec::new(),
        };
        let qemu_user = root().join("ci/qemu-user").display().to_string();
        [qemu_user.as_str(), arch]
            .iter()
            .chain(options)
            .map(|s| s.to_string())
            .collect()
    }

    fn cc(self) -> &'static str {
        match self {
            Host::Aarch64Gnu | Host::Aarch64MuslStatic => "aarch64-linux-gnu-gcc",
            Host::MuslDynamic | Host::MuslStatic => "musl-gcc",
            Host::Riscv64Gnu => "riscv64-linux-gnu-gcc",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Host::Aarch64Gnu => "aarch64-gnu",
            Host::MuslDynamic => "musl-dynamic",
            Host::MuslStatic => "musl-static",
            Host::Aarch64MuslStatic => "aarch64-musl-static",
            Host::Riscv64Gnu => "riscv64-gnu",
        }
    }
}

/// Fails with the package to install when a tool the cross tests need is missing.
pub fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is not installed: see ci/needs/ports.txt (ci/test installs it)"
    );
}

/// The demo for `host`'s target and `path`.
pub fn demo(host: Host, path: DemoPath) -> Demo {
    demo_for(Some(host.target()), path)
}

/// The self-contained musl objects rustup ships for `target` (crt objects, `libc.a`,
/// `libunwind.a`).
pub fn musl_self_contained(target: &str) -> PathBuf {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib/self-contained")
}

/// The aarch64 musl host: compiles `src` with `cc` (the cross glibc compiler) against its glibc
/// headers, which are ABI-compatible for what the hosts use, into `<tmp>.o`, and returns the
/// command that links that object statically against musl alone: its crt objects, `archives`
/// (the library under test first), its `libc.a` and libgcc for builtins. The caller adds `-o`.
pub fn aarch64_musl_static_link(
    cc: &str,
    include: &Path,
    src: &Path,
    tmp: &Path,
    archives: &[PathBuf],
) -> Command {
    let obj = tmp.with_extension("o");
    let st = Command::new(cc)
        .args(["-O1", "-g", "-Wall", "-Werror", "-fno-stack-protector"])
        .args(["-U_FORTIFY_SOURCE", "-c", "-I"])
        .arg(include)
        .arg(src)
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("run the C compiler");
    assert!(
        st.status.success(),
        "compiling {}: {}",
        src.display(),
        String::from_utf8_lossy(&st.stderr)
    );
    let libgcc = Command::new(cc)
        .arg("-print-libgcc-file-name")
        .output()
        .expect("run the C compiler")
        .stdout;
    let sc = musl_self_contained("aarch64-unknown-linux-musl");
    let mut cmd = Command::new(cc);
    cmd.args(["-static", "-nostdlib", "-nostartfiles"])
        .arg(sc.join("crt1.o"))
        .arg(sc.join("crti.o"))
        .arg(sc.join("crtbegin.o"))
        .arg(&obj)
        .args(archives)
        .arg(sc.join("libc.a"))
        .arg(String::from_utf8(libgcc).unwrap().trim())
        .arg(sc.join("crtend.o"))
        .arg(sc.join("crtn.o"));
    cmd
}

/// Compiles `tests/hosts/<source>` for `host`, linked to `demo` as `link` says. The executable
/// is named `<stem>-<link>` like the native hosts, so argv[0] checks read the same.
pub fn build_host(host: Host, demo: &Demo, source: &str, link: Link) -> PathBuf {
    require(host.cc());
    let src = root().join("tests/hosts").join(source);
    let stem = src.file_stem().unwrap().to_string_lossy().to_string();
    let out_dir = demo.dir.join("hosts").join(host.name());
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(format!("{stem}-{link:?}").to_lowercase());
    let what = format!("{} for {host:?}", src.display());
    compile_once(exe, &what, |tmp| {
        let include = root().join("examples/demo/include");
        let mut cmd = Command::new(host.cc());
        cmd.args(["-O1", "-g", "-Wall", "-Werror"])
            .arg("-I")
            .arg(&include);
        match host {
            Host::Aarch64MuslStatic => {
                cmd = aarch64_musl_static_link(host.cc(), &include, &src, tmp, &[demo.staticlib()]);
                cmd.arg("-o").arg(tmp);
            }
            _ => {
                if host == Host::MuslStatic {
                    cmd.arg("-static");
                }
                cmd.arg(&src).arg("-o").arg(tmp);
                if matches!(host, Host::Aarch64Gnu | Host::Riscv64Gnu) {
                    // Bound at load: rt0's raw creator refuses a lazily bound image where Rust
                    // calls libc through the PLT, as on these two (tests/raw_hazards.rs).
                    cmd.args(["-pthread", "-Wl,-z,now"]);
                }
                link.add_to(&mut cmd, demo);
            }
        }
        cmd
    })
}

/// Runs `exe` for `host` (through qemu-user where needed) with `args` and extra environment,
/// killing it after `deadline` so a hang fails the test.
pub fn run(
    host: Host,
    exe: &Path,
    args: &[&str],
    env: &[(&str, String)],
    demo: &Demo,
    deadline: Duration,
) -> Run {
    let runner = host.runner();
    let mut cmd = match runner.split_first() {
        Some((emu, rest)) => {
            let mut c = crate::support::command_for(Path::new(emu), Some(demo), env);
            c.args(rest).arg(exe);
            c
        }
        None => crate::support::command_for(exe, Some(demo), env),
    };
    cmd.args(args);
    cmd.env("RT0_DEMO_SO", demo.cdylib());
    for (k, v) in env.iter().filter(|(k, _)| *k != crate::support::RUN_AS) {
        cmd.env(k, v);
    }
    run_command(
        cmd,
        &format!("{} {args:?} ({host:?})", exe.display()),
        deadline,
    )
}
