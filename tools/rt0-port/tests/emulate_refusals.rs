//! Programs `rt0-port emulate` cannot run must fail the command: a non-zero status and a
//! message naming what is missing, never an exit 0 that reads as a pass. Each host is linked
//! the way a user links for darwin (tools/darwin-sdk/bin/darwin-cc, README), then run with
//! `--exe`: a thread-local variable (every std Rust library has them), a flat-namespace import
//! the emulated libSystem lacks, and a dylib in place of an executable.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::root;

/// STATUS_EMULATOR_STOP (src/emulate/process.rs): the run stopped for the emulator's reasons.
const STATUS_EMULATOR_STOP: i32 = 125;

const TRIPLES: [(&str, &str); 2] = [
    ("x86_64-apple-darwin", "x86_64"),
    ("aarch64-apple-darwin", "arm64"),
];

/// Links `host` (tests/hosts) with darwin-cc into a Mach-O file; `extra` adds driver flags.
fn link(host: &str, arch: &str, extra: &[&str], out_name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("emulate-refusals");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{out_name}-{arch}"));
    let _ = std::fs::remove_file(&out);
    let root = root();
    let status = Command::new(root.join("tools/darwin-sdk/bin/darwin-cc"))
        .args(["-arch", arch, "-mmacosx-version-min=11.0", "-nostdlibinc"])
        .arg("-isystem")
        .arg(root.join("tools/rt0-port/sdk/include"))
        .arg(support::host(host))
        .args(extra)
        .args(["-lSystem", "-o"])
        .arg(&out)
        .status()
        .expect("run darwin-cc");
    assert!(
        status.success(),
        "darwin-cc could not link {host} for {arch}"
    );
    out
}

struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

fn emulate_exe(triple: &str, exe: &Path) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_rt0-port"))
        .current_dir(root())
        .args(["emulate", triple, "--exe"])
        .arg(exe)
        .env_remove("RT0_ARCH_DIR")
        .env_remove("RT0_WORKSPACE")
        .output()
        .expect("run rt0-port");
    let o = Outcome {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!(
        "rt0-port emulate {triple} --exe {}: status {}\n--- stdout\n{}--- stderr\n{}",
        exe.display(),
        o.status,
        o.stdout,
        o.stderr
    );
    o
}

#[test]
fn thread_local_variables_are_refused_with_a_failing_status() {
    for (triple, arch) in TRIPLES {
        let exe = link("thread_local.c", arch, &[], "thread-local");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, STATUS_EMULATOR_STOP, "{triple}: {}", o.stderr);
        assert!(
            o.stderr.contains("rt0-port: cannot run:"),
            "{triple}: {}",
            o.stderr
        );
        assert!(
            o.stderr.contains(
                "1 thread-local variable descriptors (__DATA,__thread_vars) are not modeled"
            ),
            "{triple}: {}",
            o.stderr
        );
        assert!(
            o.stderr.contains("__tlv_bootstrap"),
            "{triple}: {}",
            o.stderr
        );
    }
}

#[test]
fn flat_namespace_import_the_model_lacks_is_named() {
    for (triple, arch) in TRIPLES {
        let exe = link("flat_import.c", arch, &[], "flat-import");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, STATUS_EMULATOR_STOP, "{triple}: {}", o.stderr);
        assert!(
            o.stderr
                .contains("unresolved imports (not in the emulated libSystem): _getppid"),
            "{triple}: {}",
            o.stderr
        );
    }
}

#[test]
fn a_dylib_is_not_run_as_an_executable() {
    for (triple, arch) in TRIPLES {
        let dylib = link(
            "flat_import.c",
            arch,
            &["-dynamiclib"],
            "libflat-import.dylib",
        );
        let o = emulate_exe(triple, &dylib);
        assert_eq!(o.status, STATUS_EMULATOR_STOP, "{triple}: {}", o.stderr);
        assert!(
            o.stderr.contains("not an MH_EXECUTE file"),
            "{triple}: {}",
            o.stderr
        );
    }
}
