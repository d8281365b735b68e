//! `examples/demo/include/rt0_demo.h` is cbindgen's output for the demo (its
//! `examples/demo/cbindgen.toml`), never edited by hand: this test makes the header again with
//! the cbindgen crate and fails, showing the difference, when the committed one is not it.
//! `RT0_UPDATE_HEADERS=1 cargo test --test c_header` writes the new header instead.
//! (The C hosts in tests/ compile against it with `-Wall -Werror`.)

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support;

use std::process::Command;
use support::root;

/// What cbindgen makes of the crate in `crate_dir` with the `cbindgen.toml` there.
fn cbindgen_header(crate_dir: &str) -> Vec<u8> {
    let dir = root().join(crate_dir);
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("{crate_dir}/cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(&dir)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen on {crate_dir}: {e}"));
    let mut text = Vec::new();
    bindings.write(&mut text);
    text
}

#[test]
fn the_demo_header_is_what_cbindgen_makes_of_the_demo() {
    let committed_path = root().join("examples/demo/include/rt0_demo.h");
    let generated = cbindgen_header("examples/demo");
    let committed = std::fs::read(&committed_path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if std::env::var_os("RT0_UPDATE_HEADERS").is_some_and(|v| v == "1") {
        std::fs::write(&committed_path, &generated).unwrap();
        return;
    }
    let fresh = root().join("target/c_header/rt0_demo.h");
    std::fs::create_dir_all(fresh.parent().unwrap()).unwrap();
    std::fs::write(&fresh, &generated).unwrap();
    let diff = Command::new("diff")
        .arg("-u")
        .arg(&committed_path)
        .arg(&fresh)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|e| format!("(diff -u could not run: {e})"));
    panic!(
        "examples/demo/include/rt0_demo.h is not cbindgen's output for the demo (the demo's \
         exports or doc comments, or examples/demo/cbindgen.toml, changed since it was made): \
         run `RT0_UPDATE_HEADERS=1 cargo test --test c_header` and commit the header.\n{diff}"
    );
}
