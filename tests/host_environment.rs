//! Hosts that change their environment and their arguments around loading a library, as real
//! hosts do: a C host, Python (`os.environ[...] = ...` and ctypes) and Node.js
//! (`process.env.X = ...` and an addon) set variables before the load, then 3000 new names
//! after it (glibc `realloc`s its `environ` array and frees the old one), change a variable in
//! place, `putenv`, `clearenv`, and rewrite an argument string in place (a process title).
//! Init, which runs after all of that (it sleeps first), and every later reader must see the
//! environment and arguments as they were at the load: rt0 reads only its own copy, never the
//! host's vectors. Both creators (the raw creator's hosts run as `nobody`: it refuses root).

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{
    command_for, compile_once, demo, host, root, run_command, Demo, DemoPath, Link, Run,
};

const ARGUMENT: &str = "original-argument";

fn init_env(demo: &Demo) -> [(&'static str, String); 3] {
    [
        ("RT0_DEMO_INIT_SLEEP_MS", "300".to_string()),
        ("RT0_DEMO_WATCH", "RT0_ENV_LOADTIME".to_string()),
        ("RT0_DEMO_SO", demo.cdylib().display().to_string()),
    ]
}

fn run_host(demo: &Demo, program: &Path, args: &[&str], what: &str) -> Run {
    let env = init_env(demo);
    let mut cmd = command_for(program, Some(demo), &[]);
    cmd.args(args);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    run_command(cmd, what, Duration::from_secs(120))
}

/// What every host must report: the host itself saw its changes (`host_sees` what it set last,
/// or nothing after `clearenv`), while init (at its end) and rt0's kept environment show the
/// load-time values, with none of the 3000 new names.
fn check(r: &Run, what: &str, host_sees: &str) {
    let c = format!("{what}: {r:#?}");
    assert_eq!(r.signal, None, "the host died: {c}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("host_sees_loadtime"), host_sees, "{c}");
    assert_eq!(r.field("init_watched"), "before", "{c}");
    assert_eq!(r.field("kept_loadtime"), "before", "{c}");
    assert_eq!(r.field("kept_put"), "put-before", "{c}");
    assert_eq!(r.field("kept_new_0"), "(null)", "{c}");
    assert_eq!(r.field("kept_new_2999"), "(null)", "{c}");
    assert_eq!(
        r.field("init_env_count"),
        r.field("env_count_at_load"),
        "init must see the environment's size at the load: {c}"
    );
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

#[test]
fn a_c_host_changing_its_environment_and_argv_around_dlopen() {
    for path in DemoPath::ALL {
        let d = demo(path);
        let exe = host(&d, "env_around_load.c", Link::Dlopen);
        for extra in [&[][..], &["clearenv"][..]] {
            let mut args = vec![ARGUMENT];
            args.extend_from_slice(extra);
            let what = format!("C host, {} creator, {args:?}", path.name());
            let r = run_host(&d, &exe, &args, &what);
            check(
                &r,
                &what,
                if extra.is_empty() {
                    "changed"
                } else {
                    "(null)"
                },
            );
            // The host rewrote its argument in place; rt0's copy did not change.
            assert_eq!(r.field("host_argv1"), "X".repeat(ARGUMENT.len()), "{what}");
            assert_eq!(r.field("kept_argv1"), ARGUMENT, "{what}: {r:#?}");
        }
    }
}

#[test]
fn python_changing_os_environ_around_ctypes_cdll() {
    let script = root().join("tests/support/python/env_around_load.py");
    for path in DemoPath::ALL {
        let d = demo(path);
        for extra in [&[][..], &["clearenv"][..]] {
            let so = d.cdylib().display().to_string();
            let mut args = vec![script.to_str().unwrap(), so.as_str()];
            args.extend_from_slice(extra);
            let what = format!("python3, {} creator, {extra:?}", path.name());
            let r = run_host(&d, Path::new("/usr/bin/python3"), &args, &what);
            // (os.getenv reads Python's own mapping, which clearenv does not change.)
            check(&r, &what, "changed");
        }
    }
}

/// The N-API addon that links the demo, built against Node's own headers.
fn node_addon(d: &Demo) -> PathBuf {
    let src = root().join("tests/hosts/node/env_addon.c");
    let headers = Path::new("/usr/include/node");
    assert!(
        headers.join("node_api.h").exists(),
        "Node.js's headers (node_api.h) are missing: ci/needs lists the nodejs package that has them"
    );
    let out_dir = d.dir.join("hosts");
    std::fs::create_dir_all(&out_dir).unwrap();
    compile_once(out_dir.join("env_addon.node"), "env_addon.c", |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-Wall", "-Werror", "-shared", "-fPIC"])
            .arg("-I")
            .arg(headers)
            .arg(&src)
            .arg("-o")
            .arg(tmp)
            .arg("-L")
            .arg(&d.dir)
            .arg("-lrt0_demo")
            .arg("-Wl,--disable-new-dtags")
            .arg(format!("-Wl,-rpath,{}", d.dir.display()));
        cmd
    })
}

#[test]
fn node_changing_process_env_around_loading_an_addon() {
    let script = root().join("tests/hosts/node/env_around_load.js");
    let node = which("node");
    for path in DemoPath::ALL {
        let d = demo(path);
        let addon = node_addon(&d);
        let what = format!("node, {} creator", path.name());
        let args = [script.to_str().unwrap(), addon.to_str().unwrap()];
        let r = run_host(&d, &node, &args, &what);
        check(&r, &what, "changed");
    }
}

fn which(program: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .expect("sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "{program} not found: ci/needs lists it, ci/test installs it"
    );
    PathBuf::from(path)
}
