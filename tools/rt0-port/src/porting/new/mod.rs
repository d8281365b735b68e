//! `rt0-port new <triple> [--from <folder>]`: starts a port.
//!
//! Creates `arch/<triple>/{abi.toml, entry.S, syscall.S}` from the nearest existing port (same OS
//! first, since the stubs' logic follows the kernel; then same architecture) and appends one line
//! to `arch/targets.toml`. Every fact that depends on what changed is written as a `TODO` naming
//! the question it answers and where the fact is found; the stubs are the nearest port's with a
//! `#error` that stops the build until they are rewritten. `verified_by` starts as `not-yet`.
//! So the scaffold builds nowhere and `rt0-port check` fails, listing what is missing, until
//! every TODO is answered. An existing folder or registration is never overwritten.

mod abi_toml;
mod sources;
mod stubs;
pub mod triple;

use std::fmt::Write as _;

use super::ctx::Ctx;
use super::ports::{ports, Port};
use super::ArchDir;
use crate::description::Description;
use triple::{parse_triple, TripleParts};

/// `rt0-port new`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Rust target triple of the new port.
    pub triple: String,
    /// Start from this folder under arch/ instead of the nearest finished port.
    #[arg(long, value_name = "FOLDER")]
    pub from: Option<String>,
    #[command(flatten)]
    pub arch: ArchDir,
}

/// The folder a new port of `parts` starts from: same OS and arch, else same OS, else same arch.
fn nearest(ctx: &Ctx, parts: &TripleParts) -> Option<(String, Description)> {
    let mut cands: Vec<(u8, String, Description)> = Vec::new();
    for p in ports(ctx)
        .ok()?
        .into_iter()
        .filter(|p| p.registered && p.overlay.is_none())
    {
        let Ok(d) = p.description(ctx) else { continue };
        if !p.todos(ctx).is_empty() || d.verified_by == "not-yet" {
            continue; // never copy from another scaffold
        }
        let same_os = d.os == parts.os;
        let same_arch = d.arch.as_str() == parts.arch;
        let score = match (same_os, same_arch) {
            (true, true) => 0,
            // A load-store architecture is closer to another one than to x86_64.
            (true, false) if (parts.arch != "x86_64") == (d.arch.as_str() != "x86_64") => 1,
            (true, false) => 2,
            (false, true) => 3,
            (false, false) => 4,
        };
        cands.push((score, p.folder.clone(), d));
    }
    cands.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    cands.into_iter().next().map(|(_, f, d)| (f, d))
}

/// Runs `new`.
pub fn run(ctx: &Ctx, args: &Args) -> i32 {
    match create(ctx, &args.triple, args.from.as_deref()) {
        Ok(report) => {
            print!("{report}");
            0
        }
        Err(e) => {
            eprintln!("rt0-port new: {e}");
            1
        }
    }
}

/// Creates the scaffold; returns what was done, for the terminal.
pub fn create(ctx: &Ctx, triple: &str, from: Option<&str>) -> Result<String, String> {
    let parts = parse_triple(triple)?;
    let dir = ctx.arch.join(triple);
    if dir.exists() {
        return Err(format!(
            "{} already exists: refusing to overwrite a port (delete the folder and its line in {} to start over)",
            dir.display(),
            ctx.registry_file().display()
        ));
    }
    let registry = ctx.registry()?;
    if let Some(r) = registry.iter().find(|r| r.triple == triple) {
        return Err(format!(
            "{triple} is already registered in {} (served from arch/{}): refusing to overwrite a port",
            ctx.registry_file().display(),
            r.folder
        ));
    }
    let (from, near) = match from {
        Some(f) => {
            let d = Port::folder(f)
                .description(ctx)
                .map_err(|e| format!("--from {f}: {e}"))?;
            (f.to_string(), d)
        }
        None => nearest(ctx, &parts).ok_or_else(|| {
            format!(
                "no finished port under {} to start from",
                ctx.arch.display()
            )
        })?,
    };
    let same_arch = near.arch.as_str() == parts.arch;
    let abi = abi_toml::abi_toml(triple, &parts, &from, &near);
    let mut files = vec![("abi.toml".to_string(), abi)];
    for name in ["entry.S", "syscall.S"] {
        let src = ctx.arch.join(&from).join(name);
        let text = std::fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        files.push((
            name.to_string(),
            stubs::stub(triple, &parts, &from, name, &text, same_arch),
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
    }
    let reg = ctx.registry_file();
    let mut text = std::fs::read_to_string(&reg).map_err(|e| format!("{}: {e}", reg.display()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "{triple:?} = {triple:?}   # scaffold from `rt0-port new` (verified_by = \"not-yet\")\n"
    ));
    std::fs::write(&reg, text).map_err(|e| format!("{}: {e}", reg.display()))?;
    // The registry must still parse (build.rs reads it for every target).
    ctx.registry()?;

    let p = Port {
        registered: true,
        ..Port::folder(triple)
    };
    let todos = p.todos(ctx);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "created {}/ from arch/{from} ({}):",
        dir.display(),
        if same_arch {
            "same architecture"
        } else if near.os == parts.os {
            "same OS"
        } else {
            "nearest port"
        }
    );
    for (name, _) in &files {
        let n = todos.iter().filter(|t| &t.0 == name).count();
        let _ = writeln!(out, "  {name:<10} {n} TODO line(s)");
    }
    let _ = writeln!(out, "registered {triple} in {}", reg.display());
    let _ = writeln!(
        out,
        "next: answer every TODO (docs/porting.md), then `rt0-port check {triple}`"
    );
    Ok(out)
}
