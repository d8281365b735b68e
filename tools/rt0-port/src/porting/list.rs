//! `rt0-port list [--build]`: where every port stands.
//!
//! One row per registered triple and per folder under arch/ that no triple is served from:
//! the files present, whether it builds here (from the last `check`, else whether the toolchain
//! is in place; `--build` actually builds the demo for each), how it is verified (the
//! description's `target.verified_by`), and the last check's verdict (`target/rt0-port/last-check.json`).

use super::ctx::Ctx;
use super::ports::{ports, Port};
use super::results::{self, CheckRecord};
use super::table::print_table;
use super::toolchain::{build_demo, installed_targets, toolchain_ready};
use super::ArchDir;

/// `rt0-port list`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Build the demo for each port now, instead of reporting the last check.
    #[arg(long)]
    pub build: bool,
    #[command(flatten)]
    pub arch: ArchDir,
}

fn files_cell(ctx: &Ctx, p: &Port) -> String {
    let dir = p.dir(ctx);
    if !dir.is_dir() {
        return format!("no folder arch/{}", p.folder);
    }
    let missing = p.missing_files(ctx);
    if missing.is_empty() {
        p.files().join(" ")
    } else {
        format!("MISSING {}", missing.join(" "))
    }
}

/// The BUILDS HERE cell.
fn builds_cell(
    ctx: &Ctx,
    p: &Port,
    build: bool,
    last: Option<&CheckRecord>,
    installed: &[String],
) -> String {
    if !p.registered {
        return "no: not in targets.toml".to_string();
    }
    if build {
        return match toolchain_ready(ctx, &p.triple, installed) {
            Err(e) => format!("no: {e}"),
            Ok(()) => match build_demo(ctx, &p.triple, false) {
                Ok(_) => "yes (built now)".to_string(),
                Err(e) => format!(
                    "no: {}",
                    e.lines()
                        .find(|l| l.contains("error"))
                        .unwrap_or("build failed")
                        .trim()
                ),
            },
        };
    }
    match (
        last.map(|l| l.build.as_str()),
        toolchain_ready(ctx, &p.triple, installed),
    ) {
        (Some("yes"), _) => "yes (last check)".to_string(),
        (Some("no"), _) => "no (last check)".to_string(),
        (_, Err(e)) => format!("no: {e}"),
        (_, Ok(())) if p.description(ctx).is_err() => "no: description invalid".to_string(),
        (_, Ok(())) => "toolchain ready".to_string(),
    }
}

/// The LAST CHECK cell.
fn last_check_cell(last: Option<&CheckRecord>) -> String {
    let Some(l) = last else {
        return "never".to_string();
    };
    if l.failed.is_empty() {
        let static_only = if l.scenarios { "" } else { " (no scenarios)" };
        format!("{} {}{static_only}", l.verdict, l.time)
    } else {
        format!("{} {} ({})", l.verdict, l.time, l.failed.join(", "))
    }
}

/// Runs `list`.
pub fn run(ctx: &Ctx, args: &Args) -> i32 {
    let ports = match ports(ctx) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rt0-port list: {e}");
            return 1;
        }
    };
    let installed = installed_targets();
    let results = results::load(ctx);
    let mut rows = Vec::new();
    for p in &ports {
        let todos = p.todos(ctx).len();
        let last = results.get(&p.triple);
        let verified = match &p.description(ctx) {
            Ok(d) if todos > 0 => format!("{} (scaffold: {todos} TODOs)", d.verified_by),
            Ok(d) => d.verified_by.clone(),
            Err(_) if todos > 0 => format!("not-yet (scaffold: {todos} TODOs)"),
            Err(_) => "description invalid".to_string(),
        };
        let target = match &p.overlay {
            Some(o) => format!("{} (+{o})", p.triple),
            None => p.triple.clone(),
        };
        rows.push(vec![
            target,
            p.folder.clone(),
            files_cell(ctx, p),
            builds_cell(ctx, p, args.build, last, &installed),
            verified,
            last_check_cell(last),
        ]);
    }
    print_table(
        &[
            "TARGET",
            "FOLDER",
            "FILES",
            "BUILDS HERE",
            "VERIFIED BY",
            "LAST CHECK",
        ],
        &rows,
    );
    if let Err(e) = ctx.registry() {
        eprintln!("rt0-port list: {e}");
        return 1;
    }
    0
}
