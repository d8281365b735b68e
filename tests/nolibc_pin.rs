//! A raw-creator library built without rt0's `libc` feature (`tests/crates/nolibc-raw`), which
//! links no C library: its entry still pins the image, with the loader's own `dlopen` found
//! through `r_debug` (src/loader/nolibc/). A host that `dlclose`s it while init sleeps keeps
//! running when init wakes up in the image's code, and finds the image still loaded.
//!
//! The same holds in every way a program can be started or a library loaded: the program
//! started by naming its loader (`ld.so ./host`, `ld-musl ./host`), a static-pie, the library
//! linked at a fixed address (placed there, or moved by the loader), loaded into a new
//! namespace with `dlmopen`, a host whose dynamic section is read-only (no `DT_DEBUG`), and an
//! aarch64 program bound lazily, where the raw init thread must not start at all. No run may end
//! by a signal, and the trace says what rt0 found.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use support::{compile_once, root, run_command, unprivileged, Run};

/// Where the library is linked in the fixed-address builds.
const FIXED_BASE: &str = "0x20000000";
/// The trace line of a pinned image.
const PINNED: &str =
    "pin: image pinned for the life of the process (RTLD_NODELETE, through the loader's dlopen)";
/// The trace line of a library that is part of the program.
const IN_PROGRAM: &str = "pin: linked into the program, never unloaded";
/// qemu-user is slower than the hardware: a generous deadline, still a hang detector.
const DEADLINE: Duration = Duration::from_secs(120);

/// The x86_64 glibc build (shared and static library), in `target/nolibc-raw/debug`.
fn native() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::build_test_crate("nolibc-raw", "nolibc-raw"))
}

/// The library built for `target` with `rustflags` (words separated by spaces), into
/// `target/nolibc-raw-<name>`; returns the folder holding its libraries. `--target` is always
/// given, so the flags reach the library's link and never a build script's; they replace any
/// RUSTFLAGS of the environment (Cargo would otherwise prefer those).
fn variant(name: &str, target: &str, rustflags: &str) -> PathBuf {
    let target_dir = root().join("target").join(format!("nolibc-raw-{name}"));
    let encoded: Vec<&str> = rustflags.split_whitespace().collect();
    let out = Command::new(env!("CARGO"))
        .current_dir(root().join("tests/crates/nolibc-raw"))
        .args(["build", "--quiet", "--target", target, "--target-dir"])
        .arg(&target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env("CARGO_ENCODED_RUSTFLAGS", encoded.join("\x1f"))
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building tests/crates/nolibc-raw ({name}, {target}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    target_dir.join(target).join("debug")
}

/// Linked at [`FIXED_BASE`] instead of 0.
fn fixed_base() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        variant(
            "fixed",
            "x86_64-unknown-linux-gnu",
            &format!("-C link-arg=-Wl,--image-base={FIXED_BASE}"),
        )
    })
}

/// For x86_64 musl. Rust builds musl shared libraries only without `crt-static`.
fn musl() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        variant(
            "musl",
            "x86_64-unknown-linux-musl",
            "-C target-feature=-crt-static",
        )
    })
}

/// For aarch64 glibc (run under qemu-user).
fn aarch64() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| variant("aarch64", "aarch64-unknown-linux-gnu", ""))
}

/// For riscv64 glibc (run under qemu-user).
fn riscv64() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| variant("riscv64", "riscv64gc-unknown-linux-gnu", ""))
}

/// Compiles `tests/hosts/<source>` with `cc` and `flags` into `dir/<name>` (once).
fn host(dir: &Path, name: &str, cc: &str, source: &str, flags: &[&str]) -> PathBuf {
    cross::require(cc);
    let src = root().join("tests/hosts").join(source);
    compile_once(dir.join(name), source, |tmp| {
        let mut cmd = Command::new(cc);
        cmd.args(["-O1", "-Wall", "-Werror"])
            .arg(&src)
            .args(flags)
            .arg("-o")
            .arg(tmp);
        cmd
    })
}

/// Runs `program args..` as nobody (the raw creator refuses to start as root) with tracing on,
/// init sleeping 300 ms, and `env`.
fn run(program: &Path, args: &[&Path], env: &[(&str, &str)], what: &str) -> Run {
    let mut cmd = unprivileged(program);
    cmd.args(args)
        .env("NOLIBC_SLEEP_MS", "300")
        .env("RT0_TRACE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, what, DEADLINE)
}

/// The address in rt0's `pin: this image's dynamic section (_DYNAMIC) is at 0x...` line, in
/// hexadecimal as the hosts print pointers (`0x0` for none).
fn traced_dynamic(r: &Run, c: &str) -> String {
    let at = "pin: this image's dynamic section (_DYNAMIC) is at ";
    r.stderr
        .lines()
        .find_map(|l| l.split_once(at).map(|(_, v)| v.to_string()))
        .unwrap_or_else(|| panic!("no `{at}` line: {c}"))
}

/// rt0's line saying where it found its image: `namespace` of the loader's lists, `r_debug`
/// found through `source`.
fn found_line(namespace: &str, source: &str) -> String {
    format!("pin: found in namespace {namespace} of the loader's lists (r_debug from {source})")
}

/// A program with the library linked in, whose init ran: nothing pinned (`line` says why), and
/// the dynamic section rt0 sees as its own is the program's (`_DYNAMIC` as the host prints it).
fn assert_in_program(r: &Run, line: &str, c: &str) {
    assert_clean(r, c);
    assert!(r.stderr.contains(line), "{c}");
    assert!(!r.stderr.contains("not pinned"), "{c}");
    assert_eq!(r.field("value"), "42", "{c}");
    let program = r.field("dynamic");
    // glibc prints a null pointer as (nil), musl as 0.
    let program = match program.as_str() {
        "(nil)" | "0" => "0x0".to_string(),
        _ => program,
    };
    assert_eq!(traced_dynamic(r, c), program, "{c}");
    let init_done = r.stderr.find("nolibc init done").expect(c);
    let host_done = r.stderr.find("host done").expect(c);
    assert!(init_done < host_done, "{c}");
}

/// `llvm-readelf -d`: the dynamic section of `file`.
fn readelf_dynamic(file: &Path) -> String {
    let out = Command::new("llvm-readelf")
        .arg("-d")
        .arg(file)
        .output()
        .expect("run llvm-readelf");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What every run must show: no signal, status 0, the host's last line after init's when init
/// ran.
fn assert_clean(r: &Run, c: &str) {
    assert_eq!(r.signal, None, "the host died of a signal: {c}");
    assert_eq!(r.status, Some(0), "{c}");
    assert_eq!(r.field("host_alive"), "1", "{c}");
}

/// A host that dlopens the library and dlcloses it during init: pinned, still loaded after the
/// dlclose, init's last line before the host's, and rt0's record of its own dynamic section
/// the one the loader's link_map shows.
fn assert_pinned_through_dlclose(r: &Run, c: &str) {
    assert_clean(r, c);
    assert!(r.stderr.contains(PINNED), "{c}");
    assert_eq!(r.field("close_result"), "0", "{c}");
    assert_eq!(r.field("loaded_after_close"), "1", "{c}");
    assert_eq!(r.field("value"), "42", "{c}");
    assert_eq!(traced_dynamic(r, c), r.field("dynamic"), "{c}");
    let init_done = r.stderr.find("nolibc init done").expect(c);
    let host_done = r.stderr.find("host done").expect(c);
    assert!(init_done < host_done, "{c}");
}

#[test]
fn a_library_without_libc_stays_mapped_when_dlclosed_during_init() {
    let so = native().join("librt0_nolibc_raw.so");
    let exe = host(
        native(),
        "nolibc_unload",
        "gcc",
        "nolibc_unload.c",
        &["-ldl"],
    );
    let r = run(&exe, &[&so], &[], "nolibc_unload");
    assert_pinned_through_dlclose(&r, &format!("{r:#?}"));
}

/// `ld.so ./host`: the kernel started the loader as the program, so the auxiliary vector's
/// program headers are the loader's (no PT_PHDR, no DT_DEBUG) and AT_BASE is 0. The library is
/// dlopened (and pinned), or linked into the program the loader then mapped (nothing to pin).
#[test]
fn a_glibc_host_started_by_naming_its_loader_pins_the_library() {
    started_by_naming_its_loader(
        native(),
        "gcc",
        &["-ldl"],
        "",
        Path::new("/lib64/ld-linux-x86-64.so.2"),
        "glibc's _r_debug",
    );
}

/// `ld-musl-x86_64.so.1 ./host`, with the musl-built library dlopened, or linked in: musl's
/// loader is its C library, exports `dlopen` and `_dl_debug_addr`, and never relocates a
/// dynamic section.
#[test]
fn a_musl_host_started_by_naming_its_loader_pins_the_library() {
    started_by_naming_its_loader(
        musl(),
        "musl-gcc",
        &[],
        "-musl",
        Path::new("/lib/ld-musl-x86_64.so.1"),
        "musl's _dl_debug_addr",
    );
}

/// Runs the dlopen host and the linked host (built from `dir`'s library with `cc`, their names
/// ending in `suffix`) through `loader`, and checks that the walk found `r_debug` through
/// `r_debug_source`: pinned through a dlclose, or linked into the program.
fn started_by_naming_its_loader(
    dir: &Path,
    cc: &str,
    libs: &[&str],
    suffix: &str,
    loader: &Path,
    r_debug_source: &str,
) {
    let so = dir.join("librt0_nolibc_raw.so");
    let exe = host(
        dir,
        &format!("nolibc_unload{suffix}"),
        cc,
        "nolibc_unload.c",
        libs,
    );
    let r = run(
        loader,
        &[&exe, &so],
        &[],
        "nolibc_unload through its loader",
    );
    let c = format!("{r:#?}");
    assert_pinned_through_dlclose(&r, &c);
    assert!(r.stderr.contains(&found_line("0", r_debug_source)), "{c}");

    let a = dir.join("librt0_nolibc_raw.a");
    let linked = host(
        dir,
        &format!("nolibc_linked{suffix}-pie"),
        cc,
        "nolibc_linked.c",
        &[a.to_str().unwrap()],
    );
    let r = run(loader, &[&linked], &[], "nolibc_linked through its loader");
    let c = format!("linked: {r:#?}");
    assert_in_program(&r, IN_PROGRAM, &c);
    assert!(r.stderr.contains(&found_line("0", r_debug_source)), "{c}");
}

/// The static library linked into a program: a PIE (the default), a static-pie (no loader, no
/// PT_PHDR) and a static musl program (no dynamic section at all). Nothing to pin, init runs,
/// and the dynamic section rt0 sees as its own is the program's.
#[test]
fn a_library_linked_into_the_program_runs_init_and_knows_it() {
    let glibc = native().join("librt0_nolibc_raw.a");
    let musl_a = musl().join("librt0_nolibc_raw.a");
    let cases: [(&str, &str, &Path, &[&str], &str); 3] = [
        ("pie", "gcc", &glibc, &[], IN_PROGRAM),
        ("static-pie", "gcc", &glibc, &["-static-pie"], IN_PROGRAM),
        (
            "musl-static",
            "musl-gcc",
            &musl_a,
            &["-static"],
            "pin: a static program, which never unloads anything",
        ),
    ];
    for (name, cc, lib, flags, line) in cases {
        let dir = lib.parent().unwrap();
        let mut all: Vec<&str> = vec![lib.to_str().unwrap()];
        all.extend_from_slice(flags);
        let exe = host(
            dir,
            &format!("nolibc_linked-{name}"),
            cc,
            "nolibc_linked.c",
            &all,
        );
        let r = run(&exe, &[], &[], name);
        assert_in_program(&r, line, &format!("{name}: {r:#?}"));
    }
}

/// The library linked at a fixed address (not 0), so its link_map's l_addr is not where its
/// ELF header is. Where the loader can honour that address, l_addr is 0; where another library
/// already holds it, the loader maps the library elsewhere and l_addr is the distance moved,
/// an address with nothing mapped at it.
#[test]
fn a_library_linked_at_a_fixed_address_is_pinned_where_it_lands() {
    let so = fixed_base().join("librt0_nolibc_raw.so");
    let dir = fixed_base();
    let exe = host(
        dir,
        "nolibc_unload-no-pie",
        "gcc",
        "nolibc_unload.c",
        &["-no-pie", "-ldl"],
    );
    let blocker = host(
        dir,
        "libnolibc_blocker.so",
        "gcc",
        "nolibc_blocker.c",
        &[
            "-shared",
            "-fPIC",
            &format!("-Wl,-Ttext-segment={FIXED_BASE}"),
        ],
    );
    // (name, the library the host loads first, whether ours must have moved)
    let cases = [
        ("at its address", None, false),
        (
            "moved by another library",
            Some(blocker.to_str().unwrap()),
            true,
        ),
    ];
    for (name, first, moved) in cases {
        let env: Vec<(&str, &str)> = first.map(|f| ("NOLIBC_FIRST", f)).into_iter().collect();
        let r = run(&exe, &[&so], &env, name);
        let c = format!("{name}: {r:#?}");
        assert_eq!(r.field("base") != FIXED_BASE, moved, "{c}");
        assert_pinned_through_dlclose(&r, &c);
    }
}

/// dlmopen(LM_ID_NEWLM): the library is in the second namespace's list, which glibc (2.35 and
/// later) chains to the first through `r_debug`'s `r_next`.
#[test]
fn a_library_in_a_new_namespace_is_pinned_there() {
    let so = native().join("librt0_nolibc_raw.so");
    let exe = host(
        native(),
        "nolibc_dlmopen",
        "gcc",
        "nolibc_dlmopen.c",
        &["-ldl"],
    );
    let r = run(&exe, &[&so], &[], "nolibc_dlmopen");
    let c = format!("{r:#?}");
    let namespace = r.field("namespace");
    assert_ne!(namespace, "0", "{c}");
    assert_pinned_through_dlclose(&r, &c);
    let found = found_line(&namespace, "the program's DT_DEBUG");
    assert!(r.stderr.contains(&found), "{c}");
}

/// A host linked by lld with `-z rodynamic`: its dynamic section is read-only, so it has no
/// DT_DEBUG for the loader to fill in; `r_debug` comes from the loader's `_r_debug`.
#[test]
fn a_host_without_dt_debug_pins_the_library() {
    let so = native().join("librt0_nolibc_raw.so");
    let exe = host(
        native(),
        "nolibc_unload-rodynamic",
        "clang",
        "nolibc_unload.c",
        &["-fuse-ld=lld", "-Wl,-z,rodynamic", "-ldl"],
    );
    let dynamic = readelf_dynamic(&exe);
    assert!(
        dynamic.contains("(NEEDED)") && !dynamic.contains("(DEBUG)"),
        "the host must be dynamic and have no DT_DEBUG:\n{dynamic}"
    );
    let r = run(&exe, &[&so], &[], "nolibc_unload-rodynamic");
    let c = format!("{r:#?}");
    assert_pinned_through_dlclose(&r, &c);
    assert!(
        r.stderr.contains(&found_line("0", "glibc's _r_debug")),
        "{c}"
    );
}

/// aarch64 glibc, the static library in a program bound lazily (Debian's default: no `-z now`):
/// the raw init thread has no thread pointer, and a first call through the PLT would enter
/// glibc's lazy resolver, which needs one. The entry refuses to start init and says why; with
/// `LD_BIND_NOW=1` everything is bound at load and init runs.
#[test]
fn an_aarch64_program_bound_lazily_refuses_the_raw_init_and_runs_it_bound_now() {
    let lib = aarch64().join("librt0_nolibc_raw.a");
    let exe = host(
        aarch64(),
        "nolibc_linked-lazy",
        "aarch64-linux-gnu-gcc",
        "nolibc_linked.c",
        &[lib.to_str().unwrap()],
    );
    let dynamic = readelf_dynamic(&exe);
    assert!(
        dynamic.contains("(JMPREL)") && !dynamic.contains("NOW"),
        "the host must have a PLT bound lazily:\n{dynamic}"
    );
    cross::require("qemu-aarch64-static");
    let qemu = Path::new("qemu-aarch64-static");
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    let args: [&Path; 3] = [Path::new("-L"), sysroot, &exe];
    let lazy = run(qemu, &args, &[], "aarch64 lazy");
    let c = format!("lazy: {lazy:#?}");
    assert_clean(&lazy, &c);
    assert!(
        lazy.stderr.contains(
            "the raw creator refuses to start init in an image whose calls are bound lazily"
        ),
        "{c}"
    );
    assert_eq!(lazy.field("value"), "-1", "{c}");
    assert!(!lazy.stderr.contains("nolibc init done"), "{c}");

    let now = run(qemu, &args, &[("LD_BIND_NOW", "1")], "aarch64 bound now");
    let c = format!("LD_BIND_NOW=1: {now:#?}");
    assert_clean(&now, &c);
    assert!(now.stderr.contains(IN_PROGRAM), "{c}");
    assert_eq!(now.field("value"), "42", "{c}");
    assert!(
        now.stderr.find("nolibc init done").expect(&c) < now.stderr.find("host done").expect(&c),
        "{c}"
    );
}

/// aarch64 and riscv64 glibc under qemu-user, the library dlopened and dlclosed during init:
/// the walk reads through qemu's emulation of the kernel's copies, and glibc keeps dynamic
/// sections relocated in place on aarch64 and as linked on riscv64 (its DL_RO_DYN_SECTION):
/// `dlopen` is found in libc.so.6 both ways.
#[test]
fn the_aarch64_and_riscv64_ports_pin_a_dlopened_library() {
    let ports = [
        (
            aarch64(),
            "aarch64-linux-gnu-gcc",
            "qemu-aarch64-static",
            "/usr/aarch64-linux-gnu",
        ),
        (
            riscv64(),
            "riscv64-linux-gnu-gcc",
            "qemu-riscv64-static",
            "/usr/riscv64-linux-gnu",
        ),
    ];
    for (dir, cc, qemu, sysroot) in ports {
        let so = dir.join("librt0_nolibc_raw.so");
        let exe = host(dir, "nolibc_unload", cc, "nolibc_unload.c", &["-ldl"]);
        cross::require(qemu);
        let args: [&Path; 4] = [Path::new("-L"), Path::new(sysroot), &exe, &so];
        let r = run(Path::new(qemu), &args, &[], qemu);
        let c = format!("{qemu}: {r:#?}");
        assert_pinned_through_dlclose(&r, &c);
        assert!(
            r.stderr
                .contains(&found_line("0", "the program's DT_DEBUG")),
            "{c}"
        );
    }
}
