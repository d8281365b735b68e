//! rt0-port: tooling for porters.
//!
//! `rt0-port list | describe <triple> [--json] | new <triple> | check <triple>... | --all`:
//! where every port stands, its conventions, a new port's skeleton, and its verdict
//! (src/porting/, docs/porting.md).
//!
//! `rt0-port emulate <triple> [--raw] [--legacy-stack] [--host FILE.c] [--quantum N]
//! [--env K=V]... [--fail-mmap-over BYTES] [--report FILE] [--trace] [--exe MACHO]
//! [--target-dir DIR] [--lazy-imports] [--no-check] [--register-libsystem] [--no-demo]
//! [--parent-first] [--seed N] [--signal SIG@MS]... [-- ARGS...]`
//! builds the demo (or takes `--exe`), links it with a C host against the emulated libSystem,
//! and runs it under an emulated XNU (see docs/emulator.md). Exits with the emulated status.

mod arch;
mod conformance;
#[path = "../../../build/description.rs"]
mod description;
mod emu;
mod libsystem;
mod loader;
mod pipeline;
mod porting;
mod xnu;

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: rt0-port list [--build]                  every port under arch/ and how it is verified\n\
         \x20      rt0-port describe <triple> [--json]      a port's register conventions\n\
         \x20      rt0-port new <triple>                    start a port from the nearest one (docs/porting.md)\n\
         \x20      rt0-port check <triple>... | --all       build, static checks, scenarios; verdict table\n\
         \x20      rt0-port emulate <triple> [--raw] [--legacy-stack] [--host FILE.c] [--quantum N] [--env K=V]...\n\
         \x20                      [--fail-mmap-over BYTES] [--report FILE] [--trace] [--exe MACHO] [--target-dir DIR]\n\
         \x20                      [--lazy-imports] [--no-check] [--register-libsystem] [--no-demo] [--parent-first]\n\
         \x20                      [--seed N] [--signal SIG@MS]... [-- ARGS...]\n\
         triples: x86_64-apple-darwin, aarch64-apple-darwin"
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("emulate") => std::process::exit(emulate(&args[1..])),
        Some(cmd @ ("list" | "describe" | "new" | "check")) => {
            std::process::exit(porting::run(cmd, &args[1..]))
        }
        _ => usage(),
    }
}

fn emulate(args: &[String]) -> i32 {
    let mut it = args.iter();
    let Some(triple) = it.next() else { usage() };
    let Some(cpu) = arch::Cpu::from_triple(triple) else {
        eprintln!("rt0-port: no emulated XNU for {triple} (have x86_64-apple-darwin, aarch64-apple-darwin)");
        return 2;
    };
    let mut p = pipeline::Plan::new(triple, cpu);
    let mut quantum = 20_000u64;
    let mut env: Vec<String> = Vec::new();
    let mut fail_mmap_over = None;
    let mut report = None;
    let mut trace = false;
    let mut lazy = false;
    let mut check = true;
    let mut register_libsystem = false;
    let mut parent_first = false;
    let mut seed = None;
    let mut signals: Vec<(u32, u64)> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    let need = |it: &mut std::slice::Iter<String>, what: &str| -> String {
        it.next().cloned().unwrap_or_else(|| {
            eprintln!("rt0-port: {what} needs a value");
            std::process::exit(2)
        })
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--raw" => p.raw = true,
            "--register-libsystem" => register_libsystem = true,
            "--no-demo" => p.no_demo = true,
            "--parent-first" => parent_first = true,
            "--signal" => {
                let v = need(&mut it, "--signal");
                let parsed = v
                    .split_once('@')
                    .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u64>().ok()?)));
                match parsed {
                    Some((sig, ms)) if (1..=31).contains(&sig) => {
                        signals.push((sig, ms * 1_000_000))
                    }
                    _ => {
                        eprintln!("rt0-port: --signal takes SIG@MS (signal 1..31 at MS ms of virtual time)");
                        std::process::exit(2);
                    }
                }
            }
            "--seed" => seed = Some(need(&mut it, "--seed").parse().unwrap_or_else(|_| usage())),
            "--legacy-stack" => p.legacy_stack = true,
            "--host" => p.host = Some(PathBuf::from(need(&mut it, "--host"))),
            "--exe" => p.exe = Some(PathBuf::from(need(&mut it, "--exe"))),
            "--target-dir" => p.target_dir = Some(PathBuf::from(need(&mut it, "--target-dir"))),
            "--quantum" => {
                quantum = need(&mut it, "--quantum")
                    .parse()
                    .unwrap_or_else(|_| usage());
                if quantum == 0 {
                    usage()
                }
            }
            "--env" => env.push(need(&mut it, "--env")),
            "--fail-mmap-over" => {
                fail_mmap_over = Some(
                    need(&mut it, "--fail-mmap-over")
                        .parse()
                        .unwrap_or_else(|_| usage()),
                )
            }
            "--report" => report = Some(PathBuf::from(need(&mut it, "--report"))),
            "--trace" => trace = true,
            "--lazy-imports" => lazy = true,
            "--no-check" => check = false,
            "--" => {
                rest.extend(it.by_ref().cloned());
            }
            other => {
                eprintln!("rt0-port: unknown option {other}");
                usage()
            }
        }
    }
    let desc = if check {
        match p.description() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("rt0-port: {e}");
                return emu::STATUS_CONFORMANCE;
            }
        }
    } else {
        None
    };
    let exe = match p.build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("rt0-port: {e}");
            return emu::STATUS_EMULATOR_STOP;
        }
    };
    let bytes = match std::fs::read(&exe) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("rt0-port: reading {}: {e}", exe.display());
            return emu::STATUS_EMULATOR_STOP;
        }
    };
    let image = match loader::load(&bytes, cpu.macho_cputype()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("rt0-port: {}: {e}", exe.display());
            return emu::STATUS_EMULATOR_STOP;
        }
    };
    let mut argv = vec![exe.display().to_string()];
    argv.extend(rest);
    let opts = emu::Options {
        cpu,
        raw: p.raw && !register_libsystem,
        legacy_stack: p.legacy_stack,
        quantum,
        argv,
        envp: env,
        fail_mmap_over,
        trace,
        lazy_imports: lazy,
        desc,
        report,
        parent_first,
        seed,
        signals,
    };
    match emu::run(&image, opts) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("rt0-port: {e}");
            if e.starts_with("conformance") {
                emu::STATUS_CONFORMANCE
            } else {
                emu::STATUS_EMULATOR_STOP
            }
        }
    }
}
