//! A raw-creator library built without rt0's `libc` feature (`tests/crates/nolibc-raw`), which
//! links no C library: its entry still pins the image, with the loader's own `dlopen` found
//! through `r_debug` (src/loader/nolibc.rs). A host that `dlclose`s it while init sleeps keeps
//! running when init wakes up in the image's code, and finds the image still loaded.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::process::Command;
use std::time::Duration;
use support::{compile_once, root, run_command, unprivileged};

#[test]
fn a_library_without_libc_stays_mapped_when_dlclosed_during_init() {
    let dir = support::build_test_crate("nolibc-raw", "nolibc-raw");
    let so = dir.join("librt0_nolibc_raw.so");
    let src = root().join("tests/hosts/nolibc_unload.c");
    let host = compile_once(dir.join("nolibc_unload"), "nolibc_unload.c", |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-Wall", "-Werror"])
            .arg(&src)
            .args(["-ldl", "-o"])
            .arg(tmp);
        cmd
    });
    // The raw creator refuses to start as root: run as nobody (unprivileged).
    let mut cmd = unprivileged(&host);
    cmd.arg(&so)
        .env("NOLIBC_SLEEP_MS", "300")
        .env("RT0_TRACE", "1");
    let r = run_command(cmd, "nolibc_unload", Duration::from_secs(60));
    let c = format!("{r:#?}");
    assert_eq!(r.signal, None, "the host died: {c}");
    assert_eq!(r.status, Some(0), "{c}");
    assert!(
        r.stderr.contains("pin: image pinned for the life of the process (RTLD_NODELETE, through the loader's dlopen)"),
        "{c}"
    );
    assert_eq!(r.field("close_result"), "0", "{c}");
    assert_eq!(r.field("loaded_after_close"), "1", "{c}");
    assert_eq!(r.field("value"), "42", "{c}");
    assert_eq!(r.field("host_alive"), "1", "{c}");
    let init_done = r.stderr.find("nolibc init done").expect(&c);
    let host_done = r.stderr.find("host done").expect(&c);
    assert!(init_done < host_done, "{c}");
}
