//! `rt0-port list [--build]`: where every port stands.
//!
//! One row per registered triple and per folder under arch/ that no triple is served from:
//! the files present, whether it builds here (from the last `check`, else whether the toolchain
//! is in place; `--build` actually builds the demo for each), how it is verified (the
//! description's `target.verified_by`), and the last check's verdict (`target/rt0-port/last-check.json`).

use super::json::Json;
use super::{check, installed_targets, ports, print_table, Ctx, Port, Usage};
use std::path::{Path, PathBuf};

/// Finds `prog` as a path (relative to `root`) or on PATH.
pub fn find_program(root: &Path, prog: &str) -> Option<PathBuf> {
    if prog.contains('/') {
        let p = root.join(prog);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(prog))
            .find(|p| p.is_file())
    })
}

/// The linker `.cargo/config.toml` names for `triple` (`cc` when it names none).
pub fn linker_for(root: &Path, triple: &str) -> String {
    let text = std::fs::read_to_string(root.join(".cargo/config.toml")).unwrap_or_default();
    let table: toml::Table = text.parse().unwrap_or_default();
    table
        .get("target")
        .and_then(|t| t.get(triple))
        .and_then(|t| t.get("linker"))
        .and_then(|l| l.as_str())
        .unwrap_or("cc")
        .to_string()
}

/// Whether the toolchain to build `triple` is here: `Ok(())` or what is missing.
pub fn toolchain_ready(ctx: &Ctx, triple: &str, installed: &[String]) -> Result<(), String> {
    if !installed.iter().any(|t| t == triple) {
        return Err(format!("no rust std (rustup target add {triple})"));
    }
    let linker = linker_for(&ctx.root, triple);
    if find_program(&ctx.root, &linker).is_none() {
        return Err(format!("no linker {linker}"));
    }
    if triple.contains("apple") && find_program(&ctx.root, "clang").is_none() {
        return Err("no clang (assembles Mach-O)".into());
    }
    Ok(())
}

fn files_cell(ctx: &Ctx, p: &Port) -> String {
    let dir = p.dir(ctx);
    if !dir.is_dir() {
        return format!("no folder arch/{}", p.folder);
    }
    let missing: Vec<String> = p
        .files()
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        p.files().join(" ")
    } else {
        format!("MISSING {}", missing.join(" "))
    }
}

/// Runs `list`.
pub fn run(ctx: &Ctx, args: &[String]) -> Result<i32, Usage> {
    let mut build = false;
    for a in args {
        match a.as_str() {
            "--build" => build = true,
            a => return Err(Usage(Some(format!("unexpected argument {a}")))),
        }
    }
    let ports = match ports(ctx) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rt0-port list: {e}");
            return Ok(1);
        }
    };
    let installed = installed_targets();
    let results = check::load_results(ctx);
    let mut rows = Vec::new();
    for p in &ports {
        let desc = p.description(ctx);
        let todos = p.todos(ctx).len();
        let last: Option<&Json> = results.get(&p.triple);
        let builds = if !p.registered {
            "no: not in targets.toml".to_string()
        } else if build {
            match toolchain_ready(ctx, &p.triple, &installed) {
                Err(e) => format!("no: {e}"),
                Ok(()) => match check::build_demo(ctx, &p.triple, false) {
                    Ok(_) => "yes (built now)".to_string(),
                    Err(e) => format!(
                        "no: {}",
                        e.lines()
                            .find(|l| l.contains("error"))
                            .unwrap_or("build failed")
                            .trim()
                    ),
                },
            }
        } else {
            match (
                last.and_then(|l| l.get("build")).and_then(Json::as_str),
                toolchain_ready(ctx, &p.triple, &installed),
            ) {
                (Some("yes"), _) => "yes (last check)".to_string(),
                (Some("no"), _) => "no (last check)".to_string(),
                (_, Err(e)) => format!("no: {e}"),
                (_, Ok(())) if desc.is_err() => "no: description invalid".to_string(),
                (_, Ok(())) => "toolchain ready".to_string(),
            }
        };
        let verified = match &desc {
            Ok(d) if todos > 0 => format!("{} (scaffold: {todos} TODOs)", d.verified_by),
            Ok(d) => d.verified_by.clone(),
            Err(_) if todos > 0 => format!("not-yet (scaffold: {todos} TODOs)"),
            Err(_) => "description invalid".to_string(),
        };
        let last_cell = match last {
            None => "never".to_string(),
            Some(l) => {
                let verdict = l.get("verdict").and_then(Json::as_str).unwrap_or("?");
                let time = l.get("time").and_then(Json::as_str).unwrap_or("");
                let failed: Vec<&str> = match l.get("failed") {
                    Some(Json::Arr(a)) => a.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                let static_only = matches!(l.get("scenarios"), Some(Json::Bool(false)));
                if failed.is_empty() {
                    format!(
                        "{verdict} {time}{}",
                        if static_only { " (no scenarios)" } else { "" }
                    )
                } else {
                    format!("{verdict} {time} ({})", failed.join(", "))
                }
            }
        };
        let target = if p.overlay.is_some() {
            format!("{} (+{})", p.triple, p.overlay.as_deref().unwrap_or(""))
        } else {
            p.triple.clone()
        };
        rows.push(vec![
            target,
            p.folder.clone(),
            files_cell(ctx, p),
            builds,
            verified,
            last_cell,
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
        return Ok(1);
    }
    Ok(0)
}
