//! `examples/minimal` works as its README line says: the library builds, `host.c` links it,
//! and the export returns what init made, with the host's argc.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::process::Command;
use std::time::Duration;
use support::{compile_once, root, run_with};

#[test]
fn the_minimal_example_greets_with_the_hosts_argc() {
    let target = root().join("target/minimal");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "rt0-minimal", "--target-dir"])
        .arg(&target)
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib_dir = target.join("debug");
    let exe = compile_once(
        lib_dir.join("minimal-host"),
        "examples/minimal/host.c",
        |tmp| {
            let mut cmd = Command::new("cc");
            cmd.arg(root().join("examples/minimal/host.c"))
                .arg("-o")
                .arg(tmp)
                .arg("-L")
                .arg(&lib_dir)
                .arg("-lrt0_minimal")
                .arg(format!("-Wl,-rpath,{}", lib_dir.display()));
            cmd
        },
    );
    let r = run_with(&exe, &["x", "y"], &[], Duration::from_secs(30), None);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.stdout, "hello from init, argc = 3\n", "{r:?}");
}
