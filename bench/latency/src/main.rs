//! Thread-creation latency: rt0's raw `newosproc0` against `pthread_create`.
//!
//! For each creator the harness reads the TSC just before the create call (`t0`), just after it
//! returns (`t1`: what the creating thread pays), and the new thread's start routine reads it as
//! its first action (`tc`: create-to-first-instruction). The start routine then stores `tc` and
//! wakes the creator with a futex (rt0's raw call: safe on a thread with no thread pointer).
//!
//! Creators (all with an 8 MiB stack, rt0's and Go's init-thread default):
//! - `raw`: `rt0::try_newosproc0`: mmap + guard mprotect + block signals + clone + restore,
//!   exactly what rt0's entry does on the raw path;
//! - `rt0-pthread`: `rt0::thread::pthread_create_detached`, what rt0's entry does on the pthread
//!   path (attr with stack size, detached, signals blocked around the call);
//! - `pthread`: plain `pthread_create` with default attributes (the hand-written C host's call).
//!
//! Modes:
//! - `cold N`: re-executes itself N times per creator (alternating) and measures the first and
//!   only creation in each fresh process: the library-entry case, where glibc has no cached stack;
//! - `warm N`: N creations per creator in one process, interleaved, 1 ms apart (glibc reuses
//!   cached stacks);
//! - `one CREATOR`: (internal) one cold creation; prints `t1-t0 tc-t0` in TSC cycles.
//!
//! Output (cold/warm): one line per creator and measure, `creator mode measure median_ns p10_ns p90_ns n`.
//!
//! And the cost of a library's load-time entry as a host sees it: `dlopen N ENVVARS
//! LABEL=LIB...` re-executes itself N times per library (alternating) with a clean environment
//! of `ENVVARS` variables and times `dlopen(LIB, RTLD_NOW)` in each fresh process
//! (`dlopen-one LIB`); one line per library, `dlopen LABEL env<ENVVARS> median_ns p10_ns p90_ns n`. The loader itself
//! does not read the environment, so what grows with it is the entry's work: rt0 copies argv
//! and envp.
//!
//! And the cost of an export once init is done (its fast path): `calls N RUNS
//! LABEL=LIB:SYMBOL...` re-executes itself RUNS times per library (libraries taking turns); each
//! fresh process dlopens LIB, calls SYMBOL (`int f(void)`, which waits for the library's init)
//! once, then times N more calls with the TSC (`calls-one LIB SYMBOL N`). One line per library,
//! `calls LABEL median_ns p10_ns p90_ns runs`, in nanoseconds per call (two decimals).

use core::arch::x86_64::_rdtsc;
use core::ffi::c_void;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static CHILD_TSC: AtomicU64 = AtomicU64::new(0);
static CHILD_FLAG: AtomicU32 = AtomicU32::new(0);

const STACK: usize = rt0::thread::DEFAULT_STACK_SIZE;
const CREATORS: [&str; 3] = ["raw", "rt0-pthread", "pthread"];

/// The new thread's start routine: its first action is reading the TSC. Uses no TLS and no libc.
unsafe extern "C" fn child(_: *mut c_void) -> *mut c_void {
    // SAFETY: rdtsc has no preconditions on x86_64.
    let t = unsafe { _rdtsc() };
    CHILD_TSC.store(t, Ordering::Relaxed);
    CHILD_FLAG.store(1, Ordering::Release);
    rt0::sys::wake_all(&CHILD_FLAG);
    core::ptr::null_mut()
}

/// One creation with `creator`; returns (create-call cycles, create-to-first-instruction cycles).
fn once(creator: &str) -> (u64, u64) {
    CHILD_FLAG.store(0, Ordering::Relaxed);
    let mut joinable: Option<libc::pthread_t> = None;
    // SAFETY: rdtsc has no preconditions; `child` touches no TLS and no libc (raw path rule).
    let t0 = unsafe { _rdtsc() };
    let ok = unsafe {
        match creator {
            "raw" => rt0::thread::try_newosproc0(STACK, child, core::ptr::null_mut()).is_ok(),
            "rt0-pthread" => {
                rt0::thread::pthread_create_detached(STACK, child, core::ptr::null_mut()).is_ok()
            }
            "pthread" => {
                let mut t: libc::pthread_t = core::mem::zeroed();
                let f: extern "C" fn(*mut c_void) -> *mut c_void =
                    core::mem::transmute(child as unsafe extern "C" fn(*mut c_void) -> *mut c_void);
                let rc = libc::pthread_create(&mut t, core::ptr::null(), f, core::ptr::null_mut());
                joinable = Some(t);
                rc == 0
            }
            other => panic!("unknown creator {other}"),
        }
    };
    let t1 = unsafe { _rdtsc() };
    assert!(ok, "{creator}: thread creation failed");
    if spin() {
        while CHILD_FLAG.load(Ordering::Acquire) == 0 {
            core::hint::spin_loop();
        }
    } else {
        while CHILD_FLAG.load(Ordering::Acquire) == 0 {
            rt0::sys::wait_on_address(&CHILD_FLAG, 0);
        }
    }
    if let Some(t) = joinable {
        // SAFETY: a joinable thread we created.
        unsafe { libc::pthread_join(t, core::ptr::null_mut()) };
    }
    (t1 - t0, CHILD_TSC.load(Ordering::Relaxed).wrapping_sub(t0))
}

/// Loads `lib`, calls `symbol` (`int f(void)`) once, which waits for the library's init, then
/// `n` times more: the TSC cycles of those `n` calls and how many of them answered 1.
fn time_calls(lib: &str, symbol: &str, n: u64) -> (u64, u64) {
    let lib_c = std::ffi::CString::new(lib).expect("library path");
    let symbol_c = std::ffi::CString::new(symbol).expect("symbol");
    // SAFETY: dlopen/dlsym of a library and export ci/bench names, whose type is `int f(void)`.
    let f: extern "C" fn() -> libc::c_int = unsafe {
        let handle = libc::dlopen(lib_c.as_ptr(), libc::RTLD_NOW);
        assert!(!handle.is_null(), "dlopen {lib} failed");
        let sym = libc::dlsym(handle, symbol_c.as_ptr());
        assert!(!sym.is_null(), "{lib} has no {symbol}");
        core::mem::transmute::<*mut c_void, extern "C" fn() -> libc::c_int>(sym)
    };
    assert_eq!(f(), 1, "{lib} {symbol}: init did not succeed");
    let mut answers = 0u64;
    // SAFETY: rdtsc has no preconditions on x86_64.
    let t0 = unsafe { _rdtsc() };
    for _ in 0..n {
        answers += (core::hint::black_box(f)() == 1) as u64;
    }
    // SAFETY: as above.
    let t1 = unsafe { _rdtsc() };
    (t1 - t0, core::hint::black_box(answers))
}

/// `RT0_BENCH_SPIN=1`: the creator spins on the flag instead of blocking in the kernel.
fn spin() -> bool {
    static SPIN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SPIN.get_or_init(|| std::env::var_os("RT0_BENCH_SPIN").is_some_and(|v| v == "1"))
}

/// TSC ticks per nanosecond, measured against the monotonic clock over `ms` milliseconds.
fn tsc_per_ns(ms: u64) -> f64 {
    let (i0, c0) = (Instant::now(), unsafe { _rdtsc() });
    std::thread::sleep(Duration::from_millis(ms));
    let (i1, c1) = (Instant::now(), unsafe { _rdtsc() });
    (c1 - c0) as f64 / (i1 - i0).as_nanos() as f64
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn report(creator: &str, mode: &str, samples: &[(u64, u64)], per_ns: f64) {
    for (measure, pick) in [("create_call", 0usize), ("first_instruction", 1)] {
        let mut v: Vec<f64> = samples
            .iter()
            .map(|s| [s.0, s.1][pick] as f64 / per_ns)
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{creator} {mode} {measure} {:.0} {:.0} {:.0} {}",
            pct(&v, 0.5),
            pct(&v, 0.1),
            pct(&v, 0.9),
            v.len()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("warm");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    match mode {
        "one" => {
            let (a, b) = once(&args[2]);
            println!("{a} {b}");
        }
        "warm" => {
            // Interleaved (one creation per creator in turn), so a load phase on the machine
            // lands on every creator alike.
            let per_ns = tsc_per_ns(100);
            for c in CREATORS {
                once(c); // the first one is cold; not counted
                std::thread::sleep(Duration::from_millis(1));
            }
            let mut all: Vec<Vec<(u64, u64)>> = vec![Vec::new(); CREATORS.len()];
            for _ in 0..n {
                for (i, c) in CREATORS.iter().enumerate() {
                    all[i].push(once(c));
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            for (i, c) in CREATORS.iter().enumerate() {
                report(c, "warm", &all[i], per_ns);
            }
        }
        "cold" => {
            let per_ns = tsc_per_ns(100);
            let exe = std::env::current_exe().expect("own path");
            let mut all: Vec<Vec<(u64, u64)>> = vec![Vec::new(); CREATORS.len()];
            for _ in 0..n {
                for (i, c) in CREATORS.iter().enumerate() {
                    let mut cmd = std::process::Command::new(&exe);
                    cmd.args(["one", c]);
                    let text = child_stdout(&mut cmd, c);
                    let mut it = text.split_whitespace().map(|x| x.parse::<u64>().unwrap());
                    all[i].push((it.next().unwrap(), it.next().unwrap()));
                }
            }
            for (i, c) in CREATORS.iter().enumerate() {
                report(c, "cold", &all[i], per_ns);
            }
        }
        "dlopen-one" => {
            let lib = std::ffi::CString::new(args[2].as_str()).expect("library path");
            // SAFETY: rdtsc has no preconditions; dlopen of a path given by ci/bench.
            let (t0, handle, t1) = unsafe {
                let t0 = _rdtsc();
                let handle = libc::dlopen(lib.as_ptr(), libc::RTLD_NOW);
                (t0, handle, _rdtsc())
            };
            assert!(!handle.is_null(), "dlopen {} failed", args[2]);
            println!("{}", t1 - t0);
        }
        "dlopen" => {
            let vars: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(4);
            let libs = &args[4..];
            let per_ns = tsc_per_ns(100);
            let exe = std::env::current_exe().expect("own path");
            let mut all: Vec<Vec<f64>> = vec![Vec::new(); libs.len()];
            for _ in 0..n {
                for (i, labelled) in libs.iter().enumerate() {
                    let (_, lib) = labelled.split_once('=').expect("LABEL=LIB");
                    let mut cmd = std::process::Command::new(&exe);
                    cmd.args(["dlopen-one", lib]).env_clear();
                    cmd.env("PATH", "/usr/bin:/bin").env("LANG", "C");
                    // Values about as long as a real environment's (PATH, XDG_*, LS_COLORS).
                    for v in 2..vars {
                        cmd.env(format!("RT0_BENCH_VAR_{v:03}"), "x".repeat(48));
                    }
                    let cycles: u64 = child_stdout(&mut cmd, lib).trim().parse().unwrap();
                    all[i].push(cycles as f64 / per_ns);
                }
            }
            for (i, labelled) in libs.iter().enumerate() {
                let v = &mut all[i];
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let (label, _) = labelled.split_once('=').expect("LABEL=LIB");
                println!(
                    "dlopen {label} env{vars} {:.0} {:.0} {:.0} {}",
                    pct(v, 0.5),
                    pct(v, 0.1),
                    pct(v, 0.9),
                    v.len()
                );
            }
        }
        "calls-one" => {
            let n: u64 = args[4].parse().expect("calls");
            let (cycles, answers) = time_calls(&args[2], &args[3], n);
            assert_eq!(
                answers, n,
                "{} {}: an answer other than 1",
                args[2], args[3]
            );
            println!("{cycles}");
        }
        "calls" => {
            let runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
            let libs = &args[4..];
            let per_ns = tsc_per_ns(100);
            let exe = std::env::current_exe().expect("own path");
            let mut all: Vec<Vec<f64>> = vec![Vec::new(); libs.len()];
            for _ in 0..runs {
                for (i, labelled) in libs.iter().enumerate() {
                    let (_, target) = labelled.split_once('=').expect("LABEL=LIB:SYMBOL");
                    let (lib, symbol) = target.rsplit_once(':').expect("LIB:SYMBOL");
                    let mut cmd = std::process::Command::new(&exe);
                    cmd.args(["calls-one", lib, symbol, &n.to_string()]);
                    let cycles: u64 = child_stdout(&mut cmd, lib).trim().parse().unwrap();
                    all[i].push(cycles as f64 / per_ns / n as f64);
                }
            }
            for (i, labelled) in libs.iter().enumerate() {
                let v = &mut all[i];
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let (label, _) = labelled.split_once('=').expect("LABEL=LIB:SYMBOL");
                println!(
                    "calls {label} {:.2} {:.2} {:.2} {}",
                    pct(v, 0.5),
                    pct(v, 0.1),
                    pct(v, 0.9),
                    v.len()
                );
            }
        }
        other => {
            eprintln!("usage: rt0-bench-latency cold|warm [N] | one CREATOR | dlopen N ENVVARS LABEL=LIB... | calls N RUNS LABEL=LIB:SYMBOL... (got {other})");
            std::process::exit(2);
        }
    }
}

/// Runs a re-exec of this harness (one measurement in a fresh process) and returns what it
/// printed; a child that fails stops the run, naming `what` and its stderr.
fn child_stdout(cmd: &mut std::process::Command, what: &str) -> String {
    let out = cmd.output().expect("re-exec");
    assert!(
        out.status.success(),
        "{what}: child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
