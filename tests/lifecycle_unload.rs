//! Lifecycle, round 2 (issue 17), Linux x86_64, native, with `tests/crates/std-init`:
//!
//! - a std init that calls `std::thread::current()`, receives on an `mpsc` channel and runs a
//!   `std::thread::scope` (`STD_INIT_STD_SYNC=1`: std's thread-info pthread key, whose destructor
//!   glibc runs at the init thread's exit), unloaded while init runs, by a C host, by Python
//!   ctypes and by Lua (`lua_close`, from a small host embedding liblua5.4): the host lives on
//!   past init's end and exits 0 with exactly its own output (an image unmapped before that
//!   destructor ran kills it with SIGSEGV);
//! - a fork during init whose child has the pid the entry saw (pid 1 of a new PID namespace, as
//!   its parent is pid 1 of its own), by `fork` and by `_Fork` (no fork handlers): the child is
//!   recognised and runs its own init (rt0's default `on_fork = reinit`), and so does a
//!   grandchild;
//! - eight threads started by a host constructor racing the entry never get `Forked`.
//!
//! Hangs end at the runner's deadline (and the fork host bounds its own waits). Results in
//! docs/reliability.md.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::{compile_once, root, run_command, Run};

const DEADLINE: Duration = Duration::from_secs(30);
/// Unload rounds per host; processes run at once per batch.
const ROUNDS: usize = 100;
const BATCH: usize = 4;
/// Init sleeps this long after its std calls, so the host's dlclose certainly comes first; the
/// host then sleeps `HOST_SLEEP_MS`, past init's end (when the init thread exits).
const INIT_SLEEP_MS: &str = "100";
const HOST_SLEEP_MS: &str = "250";

fn std_init() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_test_crate("std-init", "lifecycle/std-init"))
}

fn std_init_so() -> PathBuf {
    std_init().join("libstd_init.so")
}

/// Compiles `tests/hosts/<source>` with gcc, `flags` after the source, as `name`.
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

/// Runs `make()` `n` times, `BATCH` processes at once; every outcome.
fn rounds(n: usize, what: &str, make: &(dyn Fn() -> Command + Sync)) -> Vec<Run> {
    let mut all = Vec::with_capacity(n);
    while all.len() < n {
        let k = BATCH.min(n - all.len());
        let batch: Vec<Run> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..k)
                .map(|_| s.spawn(|| run_command(make(), what, DEADLINE)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        all.extend(batch);
    }
    all
}

/// Every round ended with status 0, no signal, exactly `stdout` and nothing on stderr.
fn assert_all_clean(what: &str, runs: &[Run], stdout: &str) {
    let bad: Vec<&Run> = runs
        .iter()
        .filter(|r| {
            r.status != Some(0) || r.signal.is_some() || r.stdout != stdout || !r.stderr.is_empty()
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} of {} rounds did not end as the host does without rt0 (status 0, `{stdout}`), first: {:#?}",
        bad.len(),
        runs.len(),
        bad[0]
    );
}

/// `cmd` with std-init's knobs for an unload during a std-using init.
fn with_std_sync(mut cmd: Command) -> Command {
    cmd.env("STD_INIT_STD_SYNC", "1")
        .env("STD_INIT_SLEEP_MS", INIT_SLEEP_MS);
    cmd
}

/// (a) A C host dlopens std-init and dlcloses it at once (init still running its std calls),
/// sleeps past init's end, prints `host done`, exits 0: 100 rounds, every one exactly that. A
/// control run of the same host with libm (no rt0) prints the same.
#[test]
fn c_host_dlclose_during_std_init_survives_init_thread_exit() {
    let exe = c_build("lc_close_early.c", "lc_close_early", &["-ldl"]);
    let plain = run_command(
        {
            let mut c = Command::new(&exe);
            c.arg(HOST_SLEEP_MS).env("STD_INIT_SO", "libm.so.6");
            c
        },
        "lc_close_early with libm",
        DEADLINE,
    );
    assert_eq!(
        (plain.status, plain.stdout.as_str()),
        (Some(0), "host done\n"),
        "{plain:#?}"
    );
    let runs = rounds(ROUNDS, "lc_close_early", &|| {
        let mut c = Command::new(&exe);
        c.arg(HOST_SLEEP_MS).env("STD_INIT_SO", std_init_so());
        with_std_sync(c)
    });
    assert_all_clean("C host", &runs, &plain.stdout);
}

/// (b) Python: `ctypes.CDLL(std-init)`, `_ctypes.dlclose(handle)` at once, a sleep past init's
/// end, one line, exit 0; 100 rounds, each exactly like the script run on libm.
#[test]
fn python_dlclose_during_std_init_survives_init_thread_exit() {
    let script = root().join("tests/support/python/lc_close_early.py");
    let py = |so: &Path| {
        let mut c = Command::new("python3");
        c.arg(&script).arg(so).arg(HOST_SLEEP_MS);
        c
    };
    let plain = run_command(py(Path::new("libm.so.6")), "python3 with libm", DEADLINE);
    assert_eq!(
        (plain.status, plain.stdout.as_str()),
        (Some(0), "python host done\n"),
        "{plain:#?}"
    );
    let so = std_init_so();
    let runs = rounds(ROUNDS, "python3 lc_close_early.py", &|| {
        with_std_sync(py(&so))
    });
    assert_all_clean("Python host", &runs, &plain.stdout);
}

/// (c) Lua: a host embedding liblua5.4 loads std-init as a C module
/// (`package.loadlib(path, "luaopen_std_init")()`) and calls `lua_close`, which dlcloses it,
/// during init; then sleeps past init's end and prints `lua host done`: 100 rounds. And the
/// `lua5.4` interpreter itself loading it and ending with `os.exit(0, true)` (lua_close, then
/// exit while init runs) prints its line and exits 0.
#[test]
fn lua_close_during_std_init_survives_init_thread_exit() {
    let exe = c_build(
        "lc_lua_close.c",
        "lc_lua_close",
        &["-I/usr/include/lua5.4", "-llua5.4"],
    );
    let so = std_init_so();
    let runs = rounds(ROUNDS, "lc_lua_close", &|| {
        let mut c = Command::new(&exe);
        c.arg(&so).arg(HOST_SLEEP_MS);
        with_std_sync(c)
    });
    assert_all_clean("Lua host", &runs, "lua host done\n");
    let file = std_init().join("hosts").join("lc_lua_exit.lua");
    std::fs::write(
        &file,
        "local f = assert(package.loadlib(arg[1], 'luaopen_std_init'))\nf()\n\
         io.write('lua done\\n')\nos.exit(0, true)\n",
    )
    .unwrap();
    let runs = rounds(8, "lua5.4 lc_lua_exit.lua", &|| {
        let mut c = Command::new("lua5.4");
        c.arg(&file).arg(&so);
        with_std_sync(c)
    });
    assert_all_clean("lua5.4 interpreter", &runs, "lua done\n");
}

/// Fails the test unless `unshare --pid --fork` works here (it needs root: ci/test runs the
/// namespace tests as root).
fn require_pid_namespaces() {
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "/bin/true"])
        .output()
        .expect("unshare (util-linux)");
    assert!(
        out.status.success(),
        "unshare --pid --fork /bin/true failed (a new PID namespace needs root: run this test as root, as ci/test does): {out:?}"
    );
}

/// A host that is pid 1 of a new PID namespace (linked against std-init, init sleeping 0.5 s)
/// forks while init runs; with `LC_NEW_PIDNS=1` it first unshares a PID namespace again, so the
/// child is pid 1 too, like the process the entry ran in; the child likewise for a grandchild;
/// with `LC_RAW_FORK=1` the forks are glibc's `_Fork()`, which runs no fork handler. Every child
/// is recognised as one and runs its own init (rt0's default `on_fork = reinit`): its export
/// answers `ok` with its own runtime's result (the host bounds its waits at 15 s and reports a
/// child it had to kill, which a child waiting for its parent's init would be).
#[test]
#[ignore = "needs root: ci/test runs it as root (with sudo where it is not root)"]
fn fork_during_init_in_a_pid_namespace_child_with_the_same_pid_runs_its_own_init() {
    require_pid_namespaces();
    let dir = std_init().display().to_string();
    let exe = c_build(
        "lc_pidns_fork.c",
        "lc_pidns_fork",
        &["-L", &dir, "-lstd_init", &format!("-Wl,-rpath,{dir}")],
    );
    // `_Fork()` skips the C library's fork handlers: with the same pid too, only the kernel's
    // marks (a wipe-on-fork page, the init thread's absence) tell the child apart. The host
    // forks as soon as main runs, often before the init thread has started: that case runs
    // 12 times, since a mark made later than the entry's return (by the init thread) was
    // missing in about one such child in three.
    let runs = [(false, false), (true, false)]
        .into_iter()
        .chain(std::iter::repeat((true, true)).take(12));
    for (same_pid, raw_fork) in runs {
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--kill-child"])
            .arg(&exe)
            .env("STD_INIT_SLEEP_MS", "500");
        if same_pid {
            cmd.env("LC_NEW_PIDNS", "1");
        }
        if raw_fork {
            cmd.env("LC_RAW_FORK", "1");
        }
        let r = run_command(cmd, "unshare lc_pidns_fork", DEADLINE);
        let c = format!("same_pid={same_pid} raw_fork={raw_fork}: {r:#?}");
        assert_eq!(r.status, Some(0), "{c}");
        assert_eq!(r.field("pid"), "1", "{c}");
        assert_eq!(r.field("state_at_fork"), "1", "{c}");
        let f = r.fields();
        assert!(
            !f.contains_key("child_hung"),
            "the child waited for init: {c}"
        );
        assert!(
            !f.contains_key("grandchild_hung"),
            "the grandchild waited for init: {c}"
        );
        // std-init keeps rt0's default, on_fork = reinit: each child ran an init of its own
        // (its tokio runtime answered there), however it was forked.
        assert_eq!(r.field("child_kind"), "ok", "{c}");
        assert_eq!(r.field("child_tokio_sum"), "204", "{c}");
        assert_eq!(r.field("grandchild_kind"), "ok", "{c}");
        assert_eq!(r.field("grandchild_tokio_sum"), "204", "{c}");
        if same_pid {
            assert_eq!(r.field("child_pid"), "1", "{c}");
            assert_eq!(r.field("grandchild_pid"), "1", "{c}");
        }
        assert_eq!(r.field("parent_kind"), "ok", "{c}");
    }
}

/// A static host whose priority-101 constructor starts 8 threads that call an export before
/// rt0's entry ran (they race one another and the entry): 1,000 runs, never `forked` (no fork
/// happens), every thread `ok`.
#[test]
fn eight_constructor_threads_racing_the_entry_never_get_forked() {
    let lib = std_init().join("libstd_init.a").display().to_string();
    let mut link = vec![lib.as_str()];
    link.extend_from_slice(support::STD_STATIC_LIBS);
    let exe = c_build("lc_race_ctor.c", "lc_race_ctor", &link);
    let runs = rounds(1000, "lc_race_ctor", &|| Command::new(&exe));
    let bad: Vec<&Run> = runs
        .iter()
        .filter(|r| r.status != Some(0) || r.fields().get("ok").map(String::as_str) != Some("8"))
        .collect();
    let forked = runs
        .iter()
        .filter(|r| r.fields().get("forked").is_some_and(|v| v != "0"))
        .count();
    assert!(
        bad.is_empty(),
        "{} of 1000 runs had a thread not `ok` ({forked} with `forked`), first: {:#?}",
        bad.len(),
        bad[0]
    );
}
