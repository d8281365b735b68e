//! `rt0-port emulate`: builds the demo (or takes `--exe`), links it with a C host against the
//! emulated libSystem, and runs it under an emulated XNU (docs/emulator.md). The exit status is
//! the emulated process's.
//!
//! Layers, bottom up, each using only those below it: `machine` (CPUs, memory, trap stubs);
//! `kernel` (the XNU model: Mach-O loading, syscalls, threads, scheduler, conformance checks),
//! which knows nothing of libSystem; `dyld` and `libsystem` (user space modeled in Rust, on
//! the kernel's `Userspace` extension point); `run` and `report` (one run); `link` builds what
//! runs. `error` is what stops the emulator, for every layer.

pub mod dyld;
pub mod error;
pub mod kernel;
pub mod libsystem;
pub mod link;
pub mod machine;
pub mod report;
pub mod run;

use std::path::PathBuf;

use error::Error;
use machine::cpu::Cpu;

/// `rt0-port emulate`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The darwin target to emulate (x86_64-apple-darwin or aarch64-apple-darwin).
    pub triple: String,
    /// Build the demo's raw path (no libSystem bsdthread_register before the initializers).
    #[arg(long)]
    pub raw: bool,
    /// Start bsdthreads with the stack pointer 128 bytes below the stack, as libpthread <= 330
    /// kernels did.
    #[arg(long)]
    pub legacy_stack: bool,
    /// The C host to link with the demo (default: examples/demo/host/host.c).
    #[arg(long, value_name = "FILE.c")]
    pub host: Option<PathBuf>,
    /// Instructions per time slice.
    #[arg(long, value_name = "N", default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub quantum: u64,
    /// An environment variable of the emulated process (repeatable).
    #[arg(long, value_name = "K=V")]
    pub env: Vec<String>,
    /// mmap calls asking for more than this many bytes fail with ENOMEM.
    #[arg(long, value_name = "BYTES")]
    pub fail_mmap_over: Option<u64>,
    /// Write the run report (threads, masks, syscall counts) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print every syscall and libSystem call on stderr.
    #[arg(long)]
    pub trace: bool,
    /// Run this Mach-O executable instead of building one.
    #[arg(long, value_name = "MACHO")]
    pub exe: Option<PathBuf>,
    /// Cargo's target directory for the demo build.
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Bind imports the emulated libSystem lacks to stubs that stop the run only when called.
    #[arg(long)]
    pub lazy_imports: bool,
    /// Do not check the run against the target's abi.toml.
    #[arg(long)]
    pub no_check: bool,
    /// Build and link only: print the executable's path instead of running it.
    #[arg(long)]
    pub link_only: bool,
    /// With --raw: let libSystem register its thread start anyway (a raw build in a normal
    /// process).
    #[arg(long)]
    pub register_libsystem: bool,
    /// Link the host alone (bring-up of a port before rt0 builds for it; needs --host).
    #[arg(long)]
    pub no_demo: bool,
    /// After a thread create, the creator keeps the CPU (default: the new thread runs first).
    #[arg(long)]
    pub parent_first: bool,
    /// Run each slice for a pseudo-random 1..=quantum instructions from this seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Send signal SIG (1..31) to the process at MS milliseconds of virtual time (repeatable).
    #[arg(long, value_name = "SIG@MS", value_parser = parse_signal)]
    pub signal: Vec<(u32, u64)>,
    /// The emulated program's arguments (after argv[0]).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// `SIG@MS` -> (signal, virtual ns).
fn parse_signal(v: &str) -> Result<(u32, u64), String> {
    let parsed = v
        .split_once('@')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u64>().ok()?)));
    match parsed {
        Some((sig, ms)) if (1..=31).contains(&sig) => Ok((sig, ms * 1_000_000)),
        _ => Err("takes SIG@MS (signal 1..31 at MS ms of virtual time)".into()),
    }
}

/// Runs `emulate`; returns the exit status.
pub fn command(a: Args) -> i32 {
    let Some(cpu) = Cpu::from_triple(&a.triple) else {
        eprintln!(
            "rt0-port: no emulated XNU for {} (have {})",
            a.triple,
            Cpu::triples()
        );
        return 2;
    };
    match emulate(a, cpu) {
        Ok(status) => status,
        Err(e) => {
            // The program never ran, which is never a pass: the run that cannot happen exits
            // non-zero, naming what is missing.
            if e.is_cannot_run() {
                eprintln!("rt0-port: cannot run: {e}");
            } else {
                eprintln!("rt0-port: {e}");
            }
            e.status()
        }
    }
}

/// Builds (or takes) the executable and runs it; `Err` when it cannot be run at all.
fn emulate(a: Args, cpu: Cpu) -> Result<i32, Error> {
    let mut plan = link::Plan::new(&a.triple, cpu);
    plan.raw = a.raw;
    plan.legacy_stack = a.legacy_stack;
    plan.host = a.host;
    plan.exe = a.exe;
    plan.target_dir = a.target_dir;
    plan.no_demo = a.no_demo;
    let desc = if a.no_check {
        None
    } else {
        Some(plan.description()?)
    };
    let exe = plan.build()?;
    if a.link_only {
        println!("{}", exe.display());
        return Ok(0);
    }
    let bytes = std::fs::read(&exe).map_err(|e| Error::Load {
        file: exe.display().to_string(),
        why: format!("cannot read it: {e}"),
    })?;
    let image = kernel::loader::load(&bytes, cpu.macho_cputype(), &exe)?;
    let mut argv = vec![exe.display().to_string()];
    argv.extend(a.args);
    let opts = run::Options {
        kernel: kernel::Options {
            cpu,
            legacy_stack: plan.legacy_stack,
            quantum: a.quantum,
            fail_mmap_over: a.fail_mmap_over,
            trace: a.trace,
            desc,
            parent_first: a.parent_first,
            seed: a.seed,
            signals: a.signal,
        },
        raw: plan.raw && !a.register_libsystem,
        lazy_imports: a.lazy_imports,
        argv,
        envp: a.env,
        report: a.report,
    };
    run::run(&image, opts)
}
