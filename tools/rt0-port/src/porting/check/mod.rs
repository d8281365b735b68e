//! `rt0-port check <triple>... | --all [--no-scenarios]`: is a port done?
//!
//! For each port, in order (a step that cannot run is `skip` with the reason; any `FAIL` makes the
//! exit status 1):
//! 1. **port**: the folder and its files exist, no `TODO` marker is left (each is listed), the
//!    description parses (the parser's error names the field) and `verified_by` is not `not-yet`;
//! 2. **toolchain**: rustup has the target's std and the linker `.cargo/config.toml` names exists;
//! 3. **build**: `cargo build -p rt0-demo --target T` for the pthread and the raw path, into
//!    `target/port-check` (one target dir for every port, so host build dependencies are shared;
//!    the products are copied to `target/port-check/artifacts/T/{pthread,raw}`);
//! 4. **static checks**, from the description, on the built archive (read with rt0-inspect:
//!    goblin for the objects, capstone for the stubs' code): the object format and
//!    architecture; the entry stub global, hidden and stateless; exactly one initializer record
//!    in `[initializer].section`, pointing at the library's shim that calls the entry stub, in
//!    the object that defines the library's state `__rt0_lib_entry::LIBRARY` (so any export
//!    links it); the registers at `rt0_raw_thread_create`'s trap, executed symbolically (strict),
//!    against `[thread_create]` and the call number; on darwin, the start routine taking its
//!    stack from `[thread_start]`'s stack register; only PC-relative relocations in the stubs'
//!    code; no text relocations in the shared library (when the target builds one). These are
//!    the one place each of these facts is checked, for every port;
//! 5. **scenarios**, as `verified_by` says and where they can run here: `native` runs
//!    `cargo test --test linux_scenarios` (Linux host) or `--test macos_native` (macOS host);
//!    `qemu-user` runs `cargo test --test cross_scenarios` (once per invocation); `emulated-xnu`
//!    runs `rt0-port emulate T` and `rt0-port emulate T --raw`.
//!
//! `--all` checks every registered port; an unfinished scaffold (TODOs left or
//! `verified_by = "not-yet"`) is listed as `unfinished` without failing the run: checking it by
//! name fails with the list of what is missing. Verdicts are recorded in
//! `target/rt0-port/last-check.json` for `rt0-port list`.

mod entry_object;
mod objects;
mod port;
mod registers;
mod relocations;
mod scenarios;
mod step;

use super::ctx::Ctx;
use super::ports::{port, ports, Port};
use super::results::{self, CheckRecord};
use super::table::print_table;
use super::toolchain::installed_targets;
use super::ArchDir;
use port::check_port;
use scenarios::Shared;
use step::{shorten, Verdict};

/// Characters of a step's detail shown in the table.
const DETAIL_WIDTH: usize = 110;

/// `rt0-port check`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The target triples to check.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub triples: Vec<String>,
    /// Check every registered, finished port.
    #[arg(long)]
    pub all: bool,
    /// Skip the scenarios (build and static checks only).
    #[arg(long)]
    pub no_scenarios: bool,
    #[command(flatten)]
    pub arch: ArchDir,
}

/// What `check` was asked to check.
struct Selection {
    /// The ports to check.
    ports: Vec<Port>,
    /// The unfinished ports `--all` passes over: (triple, why).
    unfinished: Vec<(String, String)>,
}

/// The ports to check, and the unfinished ones `--all` passes over with the reason.
fn select(ctx: &Ctx, args: &Args) -> Result<Selection, String> {
    let mut selected = Vec::new();
    let mut unfinished = Vec::new();
    if !args.all {
        for t in &args.triples {
            selected.push(port(ctx, t)?);
        }
        return Ok(Selection {
            ports: selected,
            unfinished,
        });
    }
    for p in ports(ctx)? {
        if !p.registered {
            unfinished.push((
                p.triple.clone(),
                "a folder no triple is registered for".to_string(),
            ));
        } else if p.unfinished(ctx) {
            let why = format!(
                "scaffold ({} TODOs; `rt0-port check {}` lists them)",
                p.todos(ctx).len(),
                p.triple
            );
            unfinished.push((p.triple.clone(), why));
        } else {
            selected.push(p);
        }
    }
    Ok(Selection {
        ports: selected,
        unfinished,
    })
}

/// Runs `check`; the exit status is 1 when any step failed.
pub fn run(ctx: &Ctx, args: &Args) -> i32 {
    let with_scenarios = !args.no_scenarios;
    let Selection {
        ports: selected,
        unfinished,
    } = match select(ctx, args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rt0-port check: {e}");
            return 1;
        }
    };
    let installed = installed_targets();
    let mut shared = Shared::default();
    let mut rows = Vec::new();
    let mut details = Vec::new();
    let mut records = Vec::new();
    let mut failed_any = false;
    for p in &selected {
        eprintln!("rt0-port check: {} ...", p.triple);
        let steps = check_port(ctx, p, &installed, with_scenarios, &mut shared);
        let failed: Vec<String> = steps
            .iter()
            .filter(|s| s.verdict == Verdict::Fail)
            .map(|s| s.name.clone())
            .collect();
        failed_any |= !failed.is_empty();
        for s in &steps {
            let mut lines = s.detail.lines();
            let first = lines.next().unwrap_or("").to_string();
            let more: Vec<&str> = lines.collect();
            // A detail too long for its cell is shown whole under the table too.
            if !more.is_empty() || first.chars().count() > DETAIL_WIDTH {
                details.push(format!(
                    "{} / {}:\n  {first}\n  {}",
                    p.triple,
                    s.name,
                    more.join("\n  ")
                ));
            }
            rows.push(vec![
                p.triple.clone(),
                s.name.clone(),
                s.verdict.as_str().to_string(),
                shorten(&first, DETAIL_WIDTH),
            ]);
        }
        let build = if steps
            .iter()
            .any(|s| s.name.starts_with("build") && s.verdict == Verdict::Fail)
        {
            "no"
        } else if steps.iter().any(|s| s.name.starts_with("build")) {
            "yes"
        } else {
            "not tried"
        };
        let verdict = if failed.is_empty() { "pass" } else { "FAIL" };
        records.push((
            p.triple.clone(),
            CheckRecord {
                time: results::now_utc(),
                verdict: verdict.into(),
                build: build.into(),
                failed,
                scenarios: with_scenarios,
            },
        ));
    }
    for (t, why) in &unfinished {
        rows.push(vec![
            t.clone(),
            "(not checked)".into(),
            "unfinished".into(),
            why.clone(),
        ]);
    }
    println!();
    print_table(&["TARGET", "STEP", "VERDICT", "DETAIL"], &rows);
    for d in &details {
        println!("\n{d}");
    }
    results::save(ctx, &records);
    let n_fail = records.iter().filter(|(_, r)| r.verdict == "FAIL").count();
    println!(
        "\n{} port(s) checked: {} passed, {n_fail} failed{}",
        records.len(),
        records.len() - n_fail,
        if unfinished.is_empty() {
            String::new()
        } else {
            format!(", {} unfinished not checked", unfinished.len())
        }
    );
    if failed_any {
        1
    } else {
        0
    }
}
