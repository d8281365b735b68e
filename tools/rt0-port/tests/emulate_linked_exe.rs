//! Mach-O programs linked the way a user links for darwin (tools/darwin-sdk/bin/darwin-cc,
//! README: `-undefined dynamic_lookup`), run with `rt0-port emulate --exe`. Thread-local
//! variables (every std Rust library has them) run with a copy per thread. Programs the
//! emulator cannot run must fail the command: a non-zero status and a message naming what is
//! missing, never an exit 0 that reads as a pass (a flat-namespace import the emulated
//! libSystem lacks, a dylib in place of an executable).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::root;

/// STATUS_EMULATOR_STOP (src/emulate/error.rs): the run stopped for the emulator's reasons.
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
    emulate_exe_with(triple, exe, &[])
}

/// `rt0-port emulate TRIPLE --exe EXE OPTIONS...`.
fn emulate_exe_with(triple: &str, exe: &Path, options: &[&str]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_rt0-port"))
        .current_dir(root())
        .args(["emulate", triple, "--exe"])
        .arg(exe)
        .args(options)
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
fn thread_local_variables_have_a_copy_per_thread() {
    for (triple, arch) in TRIPLES {
        let exe = link("thread_local.c", arch, &[], "thread-local");
        let o = emulate_exe(triple, &exe);
        // main changed its copies (41 -> 42, 0 -> 100) before the thread started; the thread's
        // copies still hold the initial values.
        assert!(
            o.stdout.lines().any(|l| l == "main=42,100"),
            "{triple}: {}",
            o.stdout
        );
        assert!(
            o.stdout.lines().any(|l| l == "thread=41,0"),
            "{triple}: {}",
            o.stdout
        );
        assert_eq!(o.status, 0, "{triple}: {}", o.stderr);
    }
}

/// The libSystem a std Rust library uses beyond thread creation (tests/hosts/sync.c): each line
/// is one behaviour, the same on both CPUs.
#[test]
fn mutexes_conditions_semaphores_joins_and_destructors_behave_as_libsystem() {
    let want = [
        // 3 threads x 200 increments, each yielding inside the critical section.
        "counter=600",
        // 40+41+42 joined; a second join EINVAL; joining oneself EDEADLK.
        "joined=123,22,11",
        // ERRORCHECK: relock EDEADLK, unlock 0, unlock when not owned EPERM.
        "errorcheck=11,0,1",
        // RECURSIVE: two locks, two unlocks, a third unlock EPERM.
        "recursive=0,0,0,0,1",
        // trylock of a mutex another thread holds: EBUSY; once free: 0.
        "trylock_held=16,0",
        // 1 ms relative wait with no signal: ETIMEDOUT, and the mutex is held again.
        "cond_timeout=60,0",
        "cond_signal=7",
        // wait with a 1 ms deadline: KERN_OPERATION_TIMED_OUT; signal with no waiter 0; wait 0;
        // a negative initial value gives NULL.
        "semaphore=49,0,0,1",
        // signal that wakes a waiter: non-zero; the waiter's wait returns 0.
        "semaphore_wake=1,0",
        // dyld's tlv_finalize_list: newest first, a list registered meanwhile right after.
        "tlv_order=2,3,1",
        "stack=1048576,1",
        "getenv=1,1,1",
        // realloc keeps the bytes; posix_memalign aligns, refuses alignment 3 with EINVAL;
        // calloc zeroes.
        "alloc=1,0,1,22,1",
    ];
    for (triple, arch) in TRIPLES {
        let exe = link("sync.c", arch, &[], "sync");
        let o = emulate_exe_with(triple, &exe, &["--env", "RT0_SYNC_ENV=yes"]);
        assert_eq!(o.status, 0, "{triple}: {}", o.stderr);
        let got: Vec<&str> = o.stdout.lines().collect();
        assert_eq!(got, want, "{triple}");
    }
}

#[test]
fn flat_namespace_import_the_model_lacks_is_named() {
    for (triple, arch) in TRIPLES {
        let exe = link("flat_import.c", arch, &[], "flat-import");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, STATUS_EMULATOR_STOP, "{triple}: {}", o.stderr);
        assert!(
            o.stderr.contains(
                "rt0-port: cannot run: unresolved imports (not in the emulated libSystem): _getppid"
            ),
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
            o.stderr.contains("rt0-port: cannot run:"),
            "{triple}: {}",
            o.stderr
        );
        assert!(
            o.stderr.contains("not an MH_EXECUTE file"),
            "{triple}: {}",
            o.stderr
        );
    }
}

/// The stdio of the emulated libSystem (printf, fprintf, snprintf, puts, fputs, putchar,
/// fflush, stdout/stderr): each formatted call passes more than eight variadic arguments, so
/// x86_64's stack spill past the return address and arm64's one-stack-slot-per-argument rule
/// are both what the text depends on.
#[test]
fn stdio_formats_variadic_arguments_on_both_cpus() {
    let mixed =
        "mixed -42 3000000000 beef -1234567890123 str Z 0x1000 -7 00042 ab  | FEDCBA9876543210 %\n";
    let want_stdout = format!(
        "{mixed}\
         star [    42] [xy   ] [-1] [+007] [010]\n\
         null=[(null)]\n\
         snprintf=15 [truncat] after=X\n\
         snprintf=20 [1,2,3,4,5,6,7,8,9,10] size0=6\n\
         puts line\n\
         !\n\
         fputs to stdout\n\
         bad stream fprintf=-1 fputs=-1 fflush=-1 errno=9\n\
         returns printf={} puts=10 putchar=33 fputs=16 fflush=0\n",
        mixed.len()
    );
    let want_stderr = ["err code=7 -8 9 q ff 10 0xff +5", "fputs to stderr"];
    for (triple, arch) in TRIPLES {
        let exe = link("stdio.c", arch, &[], "stdio");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, 0, "{triple}: {}", o.stderr);
        assert_eq!(o.stdout, want_stdout, "{triple}");
        // The emulator's own lines on fd 2 start with `rt0-port:`; the rest is the program's.
        let program_stderr: Vec<&str> = o
            .stderr
            .lines()
            .filter(|l| !l.starts_with("rt0-port:"))
            .collect();
        assert_eq!(program_stderr, want_stderr, "{triple}: {}", o.stderr);
    }
}

/// printf of a double stops the run naming the conversion: floating point is not modeled, and
/// nothing is printed in its place.
#[test]
fn printf_of_a_float_stops_the_run_naming_the_conversion() {
    for (triple, arch) in TRIPLES {
        let exe = link("printf_float.c", arch, &[], "printf-float");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, STATUS_EMULATOR_STOP, "{triple}: {}", o.stderr);
        assert!(
            o.stderr.contains("printf: conversion %f is not modeled"),
            "{triple}: {}",
            o.stderr
        );
        assert_eq!(o.stdout, "before\n", "{triple}");
    }
}

/// A `%s` argument nothing is mapped at kills the thread with SIGSEGV, naming the address.
#[test]
fn printf_of_an_unmapped_string_is_sigsegv() {
    for (triple, arch) in TRIPLES {
        let exe = link("printf_fault.c", arch, &[], "printf-fault");
        let o = emulate_exe(triple, &exe);
        assert_eq!(o.status, 128 + 11, "{triple}: {}", o.stderr);
        assert!(
            o.stderr
                .contains("killed by SIGSEGV: libSystem touched bad address 0x18"),
            "{triple}: {}",
            o.stderr
        );
        assert_eq!(o.stdout, "before\n", "{triple}");
    }
}
