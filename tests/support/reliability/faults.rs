//! The reliability scenarios about faults: thread creation refused (seccomp, RLIMIT_NPROC), an
//! unmappable or overflowing init stack, init returning an error or panicking, and text
//! relocations. Part of [`super`]; the constants naming the hosts are there.

use super::super::{creation_failure_line, root, DemoPath, Run};
use super::{ctx, Runner, DEFAULT_STACK};
use std::path::{Path, PathBuf};
use std::process::Command;

/// [`FAULTS`]: clone/clone3 refused by a seccomp filter installed before rt0's entry:
/// the entry reports it on fd 2, exports report failure, the host lives on; the `try_` form
/// returns EAGAIN. (Native only: qemu-user does not install a guest's filter.)
pub fn thread_create_refused_by_seccomp_fails_init_not_the_host(
    label: &str,
    path: DemoPath,
    run: Runner,
) {
    let r = run(&["try"], &[("REL_SECCOMP", "1".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    init_thread_refused(&r, &c, path, "1", true);
}

/// The creation-failure line on fd 2 for `path` and `errno`, and the message exports report
/// (the same text, `rt0: ` first, without the errno and stack size).
fn creation_failure(path: DemoPath, errno: (&str, i32), stack: u64) -> (String, String) {
    let line = creation_failure_line(path, errno, stack);
    let what = line
        .strip_prefix("rt0 rt0-demo: ")
        .and_then(|l| l.split(&format!(": {}, errno", errno.0)).next())
        .expect("creation_failure_line's format")
        .to_string();
    (line, format!("rt0: {what}"))
}

/// What a [`FAULTS`] host sees when its `setup` (1: seccomp, 2: RLIMIT_NPROC) refused the init
/// thread (EAGAIN); with `tried`, the host also ran `try_newosproc0` (the `try` argument).
fn init_thread_refused(r: &Run, c: &str, path: DemoPath, setup: &str, tried: bool) {
    let (line, error) = creation_failure(path, ("EAGAIN", 11), DEFAULT_STACK);
    assert_eq!(r.field("setup"), setup, "{c}");
    assert_eq!(r.stderr_without_ids(), line, "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert_eq!(r.field("state"), "3", "{c}");
    assert_eq!(r.field("error"), error, "{c}");
    if tried {
        assert_eq!(r.field("try_errno"), "11", "{c}");
    }
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

/// [`FAULTS`], static link: with thread creation refused (`env` says how),
/// `newosproc0` keeps its message and exit(1).
pub fn newosproc0_refused_prints_its_message_and_exits_1(
    label: &str,
    path: DemoPath,
    env: &[(&str, String)],
    run: Runner,
) {
    let r = run(&["newosproc0"], env);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(1), "{c}");
    let (line, _) = creation_failure(path, ("EAGAIN", 11), DEFAULT_STACK);
    assert_eq!(
        r.stderr_without_ids(),
        format!("{line}rt0: failed to create new OS thread\n"),
        "{c}"
    );
    assert!(!r.stdout.contains("newosproc0_returned"), "{c}");
}

/// [`FAULTS`], static link: RLIMIT_NPROC reached by an unprivileged user (`run` must
/// start the host under [`as_nobody`]; the host's constructor sets the limit to 1 before rt0's
/// entry). The entry reports the failure, exports fail, the host lives on. With `with_try`, the
/// host also calls `try_newosproc0` (EAGAIN) and `newosproc0` is checked too
/// ([`newosproc0_refused_prints_its_message_and_exits_1`]).
pub fn thread_create_refused_by_rlimit_nproc_fails_init_not_the_host(
    label: &str,
    path: DemoPath,
    with_try: bool,
    run: Runner,
) {
    let env = [("REL_NPROC", "1".to_string())];
    let args: &[&str] = if with_try { &["try"] } else { &[] };
    let r = run(args, &env);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_ne!(r.field("uid"), "0", "{c}");
    init_thread_refused(&r, &c, path, "2", with_try);
    if with_try {
        newosproc0_refused_prints_its_message_and_exits_1(label, path, &env, run);
    }
}

/// [`FAULTS`]: an init stack that cannot be mapped (RT0_DEMO_STACK_BYTES=2^62): the
/// entry reports it, exports fail, a small raw thread still works, the host lives on.
pub fn init_stack_that_cannot_be_mapped_fails_init_not_the_host(
    label: &str,
    path: DemoPath,
    run: Runner,
) {
    let r = run(
        &["try"],
        &[("RT0_DEMO_STACK_BYTES", (1u64 << 62).to_string())],
    );
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    let errno = match path {
        DemoPath::Raw => ("ENOMEM", 12),
        DemoPath::Pthread => ("EAGAIN", 11),
    };
    let (line, error) = creation_failure(path, errno, 1 << 62);
    assert_eq!(r.stderr_without_ids(), line, "{c}");
    assert_eq!(r.field("error"), error, "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert_eq!(
        r.field("try_errno"),
        "0",
        "a small raw thread still works: {c}"
    );
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

/// [`EARLY`]: init overflowing its stack (64 KiB and 8 MiB) dies on the guard page
/// (SIGSEGV or SIGBUS; qemu re-raises the guest's fatal signal on itself), never runs on.
pub fn init_stack_overflow_dies_on_the_guard_page(label: &str, run: Runner) {
    for stack in ["65536", "8388608"] {
        let r = run(
            &[],
            &[
                ("RT0_DEMO_INIT_OVERFLOW", "1".into()),
                ("RT0_DEMO_STACK_BYTES", stack.into()),
            ],
        );
        let c = format!("{stack}: {}", ctx(label, &r));
        assert!(
            matches!(r.signal, Some(11) | Some(7)),
            "not killed by SIGSEGV/SIGBUS: {c}"
        );
        assert!(!r.stderr.contains("did not fault"), "{c}");
        assert!(!r.stdout.contains("ready=1"), "{c}");
    }
}

/// [`FAULTS`]: init returning an error: every export reports failure and the message is
/// kept.
pub fn init_error_is_reported_by_every_export_with_its_message(label: &str, run: Runner) {
    let r = run(&[], &[("RT0_DEMO_INIT_FAIL", "1".into())]);
    let c = ctx(label, &r);
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("ready"), "0", "{c}");
    assert_eq!(r.field("state"), "3", "{c}");
    assert_eq!(
        r.field("error"),
        "rt0-demo: init failed on request (RT0_DEMO_INIT_FAIL=1)",
        "{c}"
    );
    assert_eq!(r.field("host_alive"), "1", "{c}");
    assert!(r.stderr.is_empty(), "{c}");
}

/// panic path: builds `tests/crates/panic-init` (its own `panic = "unwind"` profile,
/// under which rt0 catches init's panics; the rt0 workspace builds with `panic = "abort"`) for
/// `target` (`None`: this machine) into `target_dir`, and links `tests/hosts/rel_panic.c` against it
/// with `cc`. Returns the host.
pub fn build_panic_host(target: Option<&str>, target_dir: &Path, cc: &str) -> PathBuf {
    let krate = root().join("tests/crates/panic-init");
    let mut cargo = Command::new(env!("CARGO"));
    cargo.current_dir(&krate).arg("build");
    if let Some(t) = target {
        cargo.args(["--target", t]);
    }
    let out = cargo
        .arg("--target-dir")
        .arg(target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building panic-init{}: {}",
        target.map(|t| format!(" for {t}")).unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    let lib_dir = match target {
        Some(t) => target_dir.join(t).join("debug"),
        None => target_dir.join("debug"),
    };
    let exe = lib_dir.join("rel_panic");
    let out = Command::new(cc)
        .args(["-O1", "-Wall", "-Werror"])
        .arg(root().join("tests/hosts/rel_panic.c"))
        .arg("-L")
        .arg(&lib_dir)
        .args(["-lrt0_panic_init", "-Wl,--disable-new-dtags"])
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect(cc);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// panic path, `run` executing [`build_panic_host`]'s host: its init panics, rt0 catches
/// the panic on the init thread, exports report `Panicked` with the payload kept, the host
/// lives on and its stderr shows no panic report (only `RT0_TRACE=1` shows one, as a trace
/// line); without the knob init succeeds.
pub fn init_panic_with_std_is_caught_and_its_message_kept(run: Runner) {
    for (knob, message) in [
        ("1", "rt0: init panicked: init gave up after 3 tries"),
        ("static", "rt0: init panicked: init gave up"),
    ] {
        let r = run(
            &[],
            &[("PANIC_INIT", knob.into()), ("RUST_BACKTRACE", "0".into())],
        );
        assert_eq!(r.status, Some(0), "{r:#?}");
        assert_eq!(r.field("ready"), "0", "{r:#?}");
        assert_eq!(r.field("kind"), "panicked", "{r:#?}");
        assert_eq!(r.field("error"), message, "{r:#?}");
        assert_eq!(r.field("host_alive"), "1", "{r:#?}");
        // The panic is rt0's to report: std's hook prints nothing on the host's stderr...
        assert!(
            !r.stderr.contains("panicked at"),
            "std's panic report reached the host's stderr: {r:#?}"
        );
        // ... and RT0_TRACE=1 shows where init panicked, with the message.
        let traced = run(
            &[],
            &[
                ("PANIC_INIT", knob.into()),
                ("RUST_BACKTRACE", "1".into()),
                ("RT0_TRACE", "1".into()),
            ],
        );
        assert_eq!(traced.field("error"), message, "{traced:#?}");
        let payload = message.trim_start_matches("rt0: init panicked: ");
        assert!(
            traced
                .stderr
                .lines()
                .any(|l| l.contains(": init panicked at ") && l.contains(payload)),
            "no trace line for the panic: {traced:#?}"
        );
        assert!(
            !traced.stderr.contains("stack backtrace"),
            "std printed a backtrace: {traced:#?}"
        );
    }
    let r = run(&[], &[]);
    assert_eq!(r.field("ready"), "1", "{r:#?}");
    assert_eq!(r.field("kind"), "ok", "{r:#?}");
}

/// statically: no text relocations in `demo`'s cdylib, nor in a PIE host linked by `cc`
/// with `-z text` against its static archive (written to `demo.dir/hosts/<exe_name>`).
pub fn no_text_relocations(label: &str, demo: &super::super::Demo, cc: &str, exe_name: &str) {
    let dynamic = Command::new("readelf")
        .arg("-dW")
        .arg(demo.cdylib())
        .output()
        .expect("readelf");
    let dynamic = String::from_utf8_lossy(&dynamic.stdout).to_string();
    assert!(
        dynamic.contains("(FLAGS)") || dynamic.contains("(SONAME)") || dynamic.contains("(NEEDED)"),
        "{dynamic}"
    );
    assert!(
        !dynamic.contains("TEXTREL"),
        "{label}: the cdylib has text relocations:\n{dynamic}"
    );
    let exe = demo.dir.join("hosts").join(exe_name);
    let out = Command::new(cc)
        .args(["-O1", "-pie", "-fPIE", "-pthread", "-Wl,-z,text", "-I"])
        .arg(root().join("examples/demo/include"))
        .arg(root().join("tests/hosts/rel_security.c"))
        .arg(demo.staticlib())
        .arg("-o")
        .arg(&exe)
        .output()
        .expect(cc);
    assert!(
        out.status.success(),
        "{label}: -z text link failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dynamic = Command::new("readelf")
        .arg("-dW")
        .arg(&exe)
        .output()
        .expect("readelf");
    assert!(
        !String::from_utf8_lossy(&dynamic.stdout).contains("TEXTREL"),
        "{label}"
    );
}
