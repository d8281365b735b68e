//! Shared test support (Unix hosts, and the Windows hosts of windows_wine.rs): builds the demo library (each path in its own target dir), compiles C
//! hosts against it, and runs them with a deadline so a hang fails the test instead of stalling.

#![allow(dead_code)]

// The darwin archive tests (never run on macOS) read stubs with the disassembler.
#[cfg(not(target_os = "macos"))]
pub mod macho;
pub mod reliability;
pub mod scenarios;
pub mod wine;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which thread creator the demo's entry uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoPath {
    /// `pthread_create` (rt0's default `libc` feature).
    Pthread,
    /// rt0's raw `newosproc0` (the demo's `raw` feature).
    Raw,
}

impl DemoPath {
    pub const ALL: [DemoPath; 2] = [DemoPath::Pthread, DemoPath::Raw];

    pub fn name(self) -> &'static str {
        match self {
            DemoPath::Pthread => "pthread",
            DemoPath::Raw => "raw",
        }
    }
}

/// How a host gets the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `librt0_demo.a` on the command line, the ordinary way (no --whole-archive).
    Static,
    /// `-lrt0_demo` against the cdylib, found through an rpath.
    Shared,
    /// No link: the host dlopen()s the path in `RT0_DEMO_SO`.
    Dlopen,
}

/// The workspace root: rt0's own folder, where arch/, examples/ and tests/ are.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo's build products for one path.
pub struct Demo {
    pub path: DemoPath,
    pub dir: PathBuf,
}

impl Demo {
    pub fn staticlib(&self) -> PathBuf {
        self.dir.join("librt0_demo.a")
    }
    pub fn cdylib(&self) -> PathBuf {
        self.dir.join("librt0_demo.so")
    }
}

/// Builds the demo (once per test process and path) with cargo into
/// `target/scenarios/<target>/<path>`.
pub fn demo_for(target: Option<&str>, path: DemoPath) -> Demo {
    static BUILT: OnceLock<std::sync::Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{}/{}", target.unwrap_or("host"), path.name());
    let map = BUILT.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = map.get(&key) {
        return Demo {
            path,
            dir: dir.clone(),
        };
    }
    let target_dir = root().join("target/scenarios").join(&key);
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "-p", "rt0-demo", "--target-dir"])
        .arg(&target_dir);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    if path == DemoPath::Raw {
        cmd.args(["--features", "raw"]);
    }
    let out = cmd.output().expect("run cargo");
    assert!(
        out.status.success(),
        "building the demo ({key}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = match target {
        Some(t) => target_dir.join(t).join("debug"),
        None => target_dir.join("debug"),
    };
    map.insert(key, dir.clone());
    Demo { path, dir }
}

pub fn demo(path: DemoPath) -> Demo {
    demo_for(None, path)
}

/// Compiles `tests/hosts/<source>` (or a path) into a host linked to `demo` as `link` says.
pub fn host(demo: &Demo, source: &str, link: Link) -> PathBuf {
    let src = if Path::new(source).is_absolute() {
        PathBuf::from(source)
    } else {
        root().join("tests/hosts").join(source)
    };
    let stem = src.file_stem().unwrap().to_string_lossy().to_string();
    let out_dir = demo.dir.join("hosts");
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(format!("{stem}-{link:?}").to_lowercase());
    compile_once(exe, &src.display().to_string(), |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg("-I")
            .arg(root().join("examples/demo/include"))
            .arg(&src)
            .arg("-o")
            .arg(tmp);
        link.add_to(&mut cmd, demo);
        cmd
    })
}

impl Link {
    /// Adds what links a host to `demo` this way to a C compiler's command line.
    pub fn add_to(self, cmd: &mut Command, demo: &Demo) {
        match self {
            Link::Static => {
                cmd.arg(demo.staticlib());
            }
            Link::Shared => {
                // DT_RPATH, not RUNPATH: the demo build under test must win over any library path.
                cmd.arg("-L")
                    .arg(&demo.dir)
                    .arg("-lrt0_demo")
                    .arg("-Wl,--disable-new-dtags")
                    .arg(format!("-Wl,-rpath,{}", demo.dir.display()));
            }
            Link::Dlopen => {
                cmd.args(["-DRT0_DLOPEN", "-ldl"]);
            }
        }
    }
}

/// Builds `exe` once per test process: `make(tmp)` returns the command that writes a temporary
/// file, which is renamed into place, so tests running in parallel never execute a half-written
/// host. `what` names the build in a failure.
pub fn compile_once(exe: PathBuf, what: &str, make: impl FnOnce(&Path) -> Command) -> PathBuf {
    static COMPILED: OnceLock<std::sync::Mutex<std::collections::BTreeSet<PathBuf>>> =
        OnceLock::new();
    let mut compiled = COMPILED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if compiled.contains(&exe) {
        return exe;
    }
    // The extension stays last (`host.tmp42.exe`): MinGW's gcc names its output by it.
    let tmp = match exe.extension() {
        Some(ext) => exe.with_extension(format!(
            "tmp{}.{}",
            std::process::id(),
            ext.to_string_lossy()
        )),
        None => exe.with_extension(format!("tmp{}", std::process::id())),
    };
    let out = make(&tmp).output().expect("run the C compiler");
    assert!(
        out.status.success(),
        "building {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &exe).unwrap();
    compiled.insert(exe.clone());
    exe
}

/// What a host did.
#[derive(Debug)]
pub struct Run {
    pub status: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stderr with every `[pid N tid N]` of rt0's lines taken out (they change from run to run).
    pub fn stderr_without_ids(&self) -> String {
        let mut out = String::new();
        let mut rest = self.stderr.as_str();
        while let Some(at) = rest.find(" [pid ") {
            out.push_str(&rest[..at]);
            match rest[at..].find("]:") {
                Some(end) => rest = &rest[at + end + 1..],
                None => {
                    rest = &rest[at..];
                    break;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// `key=value` lines of stdout (the last wins where a key repeats).
    pub fn fields(&self) -> BTreeMap<String, String> {
        rt0_inspect::report::fields(&self.stdout)
    }

    pub fn field(&self, key: &str) -> String {
        self.fields().get(key).cloned().unwrap_or_else(|| {
            panic!(
                "no `{key}=` line in the host's output:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn num(&self, key: &str) -> i64 {
        let v = self.field(key);
        let v = v.trim();
        if let Some(hex) = v.strip_prefix("0x") {
            i64::from_str_radix(hex, 16).or_else(|_| u64::from_str_radix(hex, 16).map(|x| x as i64))
        } else {
            v.parse()
        }
        .unwrap_or_else(|e| panic!("`{key}={v}` is not a number: {e}"))
    }
}

/// Runs `exe` with `args` and extra environment, killing it after `deadline`.
pub fn run_with(
    exe: &Path,
    args: &[&str],
    env: &[(&str, String)],
    deadline: Duration,
    demo: Option<&Demo>,
) -> Run {
    let mut cmd = command_for(exe, demo, env);
    cmd.args(args);
    if let Some(d) = demo {
        cmd.env("RT0_DEMO_SO", d.cdylib());
    }
    for (k, v) in env.iter().filter(|(k, _)| *k != RUN_AS) {
        cmd.env(k, v);
    }
    run_command(cmd, &format!("{} {args:?}", exe.display()), deadline)
}

/// `(RUN_AS, "root")` in a host's environment keeps a raw-creator host running as root (see
/// [`command_for`]); the variable itself is not passed on.
pub const RUN_AS: &str = "RT0_TEST_RUN_AS";

/// Whether the tests run as root.
pub fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false)
    })
}

/// The command that starts `program`: as user `nobody` when it hosts the raw-creator demo and
/// the tests run as root, because rt0's raw creator refuses to start in a process that can
/// change its user ids (root can), unless the test asked for root with [`RUN_AS`].
pub fn command_for(program: &Path, demo: Option<&Demo>, env: &[(&str, String)]) -> Command {
    let keep_root = env.iter().any(|(k, v)| *k == RUN_AS && v == "root");
    let raw = demo.is_some_and(|d| d.path == DemoPath::Raw);
    let wrapped = program.file_name().is_some_and(|n| n == "setpriv");
    if raw && !keep_root && !wrapped {
        unprivileged(program)
    } else {
        Command::new(program)
    }
}

/// The command that starts `program` as user `nobody` when the tests run as root (with no
/// capabilities left: the process cannot change its ids), else as it is.
pub fn unprivileged(program: &Path) -> Command {
    if running_as_root() {
        let mut cmd = Command::new("/usr/bin/setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Runs a prepared command with no stdin, capturing stdout and stderr, killing it after
/// `deadline` so a hang fails the test instead of stalling it.
pub fn run_command(mut cmd: Command, what: &str, deadline: Duration) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // cargo test points LD_LIBRARY_PATH at target/*/deps, which holds another demo build.
    cmd.env_remove("LD_LIBRARY_PATH");
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {deadline:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Run {
        status: status.code(),
        signal,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

pub fn run(exe: &Path, args: &[&str], env: &[(&str, String)], demo: &Demo) -> Run {
    run_with(exe, args, env, Duration::from_secs(60), Some(demo))
}

pub fn output_ok(o: &Output) -> bool {
    o.status.success()
}

/// Why the demo's init thread could not be made, as rt0's entry words it on fd 2 (without the
/// `[pid N tid N]` part, see [`Run::stderr_without_ids`]).
pub fn creation_failure_line(path: DemoPath, errno: (&str, i32), stack: u64) -> String {
    let what = match path {
        DemoPath::Raw if errno.0 == "ENOMEM" => {
            "failed to allocate the init thread's stack (mmap refused the mapping)"
        }
        DemoPath::Raw => {
            "the kernel refused to create the init thread (a thread or memory limit was reached)"
        }
        DemoPath::Pthread => {
            "pthread_create failed to create the init thread (its stack could not be mapped, or a thread or memory limit was reached)"
        }
    };
    format!(
        "rt0 rt0-demo: {what}: {}, errno {}, for a {stack}-byte stack; exports will report failure\n",
        errno.0, errno.1
    )
}

/// Builds the test crate `tests/crates/<name>` (its own workspace and profile) with cargo into
/// `target/<target_name>` and returns the folder holding its libraries; panics with cargo's
/// output when the build fails. Callers keep the result in a `OnceLock` (one build per process).
pub fn build_test_crate(name: &str, target_name: &str) -> PathBuf {
    build_test_crate_for(name, target_name, None, &[])
}

/// [`build_test_crate`] with the crate's `features` (none: its defaults), for this machine.
pub fn build_test_crate_with(name: &str, target_name: &str, features: &[&str]) -> PathBuf {
    build_test_crate_for(name, target_name, None, features)
}

/// [`build_test_crate`] for another Rust `target` (`None`: this machine's) with the crate's
/// cargo `features` on; each build of other features belongs in a `target_name` of its own, so
/// their libraries do not replace each other.
pub fn build_test_crate_for(
    name: &str,
    target_name: &str,
    target: Option<&str>,
    features: &[&str],
) -> PathBuf {
    let target_dir = root().join("target").join(target_name);
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root().join("tests/crates").join(name))
        .args(["build", "--quiet", "--target-dir"])
        .arg(&target_dir)
        .env_remove("CARGO_TARGET_DIR");
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let out = cmd.output().expect("run cargo");
    assert!(
        out.status.success(),
        "building tests/crates/{name} (target {target:?}, features {features:?}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match target {
        Some(t) => target_dir.join(t).join("debug"),
        None => target_dir.join("debug"),
    }
}

/// What a C host links after a `std` static library on x86_64 glibc: rustc's
/// `--print native-static-libs` for the target (the C library itself comes last by default).
pub const STD_STATIC_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl"];
