//! What only a real darwin kernel can show (GitHub's macOS runners, .github/workflows/ci.yml):
//! nothing here runs elsewhere. The emulated XNU (tools/rt0-port) models dyld, libSystem and the
//! kernel from their sources; these tests meet the real ones.
//!
//! - The pthread path end to end: the demo library built for this Mac, linked into a C host with
//!   the system's `cc` (ld64 or ld-prime, real dyld, real libSystem), run: init ran on another
//!   thread, the host's argv reached it, exports waited for it.
//! - The raw path's probe: in a normal process libSystem's initializer has already registered
//!   libpthread's thread start, so rt0's `bsdthread_register` gets EINVAL (libpthread
//!   kern_support.c: a second registration is refused). `try_newosproc0` must report
//!   `CreateStage::Register` with EINVAL and leave the process intact; a raw-path demo host
//!   must report that init failed, with the bsdthread_register message, instead of crashing.

#![cfg(target_os = "macos")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

mod support;
use support::root;

/// Builds the demo (pthread or raw path) into its own target dir; returns the products' folder.
fn demo(raw: bool) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let name = if raw { "raw" } else { "pthread" };
    let target_dir = root().join("target/macos-native").join(name);
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "-p", "rt0-demo", "--target-dir"])
        .arg(&target_dir);
    if raw {
        cmd.args(["--features", "raw"]);
    }
    let out = cmd.output().expect("run cargo");
    assert!(
        out.status.success(),
        "building the demo ({name}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    target_dir.join("debug")
}

/// Compiles the demo's C host against the static library with the system's cc.
fn host(dir: &Path) -> PathBuf {
    let exe = dir.join("demo-host");
    let out = Command::new("cc")
        .args(["-O1", "-Wall", "-Werror", "-I"])
        .arg(root().join("examples/demo/include"))
        .arg(root().join("examples/demo/host/host.c"))
        .arg(dir.join("librt0_demo.a"))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn run(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("run the host")
}

// The value of the first `key=` line of a host's stdout.
use rt0_inspect::report::first as value;

#[test]
fn pthread_path_runs_init_on_its_own_thread_with_the_hosts_argv() {
    let exe = host(&demo(false));
    let out = run(&exe, &["alpha", "beta gamma"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!(
        "status {:?}\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(value(&stdout, "ready").as_deref(), Some("1"), "{all}");
    assert_eq!(value(&stdout, "path").as_deref(), Some("pthread"), "{all}");
    assert_eq!(value(&stdout, "argc").as_deref(), Some("3"), "{all}");
    assert_eq!(value(&stdout, "argv[1]").as_deref(), Some("alpha"), "{all}");
    assert_eq!(
        value(&stdout, "argv[2]").as_deref(),
        Some("beta gamma"),
        "{all}"
    );
    let tid = |k: &str| {
        value(&stdout, k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {k}: {all}"))
    };
    let (main, entry, init) = (tid("main_tid"), tid("entry_tid"), tid("init_tid"));
    assert!(main != 0 && init != 0, "{all}");
    assert_eq!(
        entry, main,
        "dyld runs initializers on the main thread: {all}"
    );
    assert_ne!(init, main, "init must run on a thread of its own: {all}");
}

#[test]
fn raw_thread_create_is_refused_at_register_with_einval_and_nothing_breaks() {
    unsafe extern "C" fn never(_: *mut core::ffi::c_void) -> *mut core::ffi::c_void {
        core::ptr::null_mut()
    }
    // SAFETY: `never` uses nothing; it is not expected to run at all.
    let r = unsafe { rt0::thread::try_newosproc0(1 << 20, never, core::ptr::null_mut()) };
    let e = r.expect_err("bsdthread_register must be refused in a process that links libSystem");
    assert_eq!(e.stage, rt0::thread::CreateStage::Register, "{e:?}");
    assert_eq!(e.errno, rt0::sys::Errno::EINVAL, "{e:?}");
    // A second try is refused the same way (no state left half-changed).
    // SAFETY: as above.
    let r = unsafe { rt0::thread::try_newosproc0(1 << 20, never, core::ptr::null_mut()) };
    assert_eq!(
        r.map_err(|e| e.stage),
        Err(rt0::thread::CreateStage::Register)
    );
    // The process is intact: threads are still created (through libpthread) and joined.
    let t = std::thread::spawn(|| 41 + 1);
    assert_eq!(t.join().unwrap(), 42);
}

#[test]
fn raw_path_demo_reports_init_failed_with_the_bsdthread_register_message() {
    let exe = host(&demo(true));
    let out = run(&exe, &["raw"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("status {:?}\n{stdout}\n{stderr}", out.status.code());
    // Exit status 1 from the host (init failed), not a signal.
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert_eq!(value(&stdout, "ready").as_deref(), Some("0"), "{all}");
    let error = value(&stdout, "error").unwrap_or_default();
    assert!(
        error.contains("bsdthread_register"),
        "the failure must name bsdthread_register: {all}"
    );
}
