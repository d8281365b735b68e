//! Checking one port, step by step: the folder and its description, the toolchain, the two
//! demo builds, the static checks on the built archive, then the scenarios.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::entry_object::{self, ENTRY_SYMBOL};
use super::objects::{member_defining, object_format, sym};
use super::registers::{thread_create_layout, thread_start_stack};
use super::relocations::{stub_relocations, text_relocations};
use super::scenarios::{scenarios, Shared};
use super::step::{shorten, step, Step, Verdict};
use crate::description::Description;
use crate::porting::ctx::Ctx;
use crate::porting::ports::Port;
use crate::porting::toolchain::{build_demo, build_error_summary, cargo, run_cmd, toolchain_ready};
use rt0_inspect::Archive;

/// Checks one port; returns its steps.
pub fn check_port(
    ctx: &Ctx,
    p: &Port,
    installed: &[String],
    with_scenarios: bool,
    shared: &mut Shared,
) -> Vec<Step> {
    let (mut steps, desc) = folder_steps(ctx, p);
    if !p.registered || !p.missing_files(ctx).is_empty() {
        return steps;
    }
    if let Err(e) = toolchain_ready(ctx, &p.triple, installed) {
        steps.push(step("toolchain", Verdict::Fail, e));
        if !installed.iter().any(|t| t == &p.triple) {
            // Without the target's std nothing links, but rt0's build script still runs (with
            // --keep-going): what it says about the description and the stubs is worth showing.
            steps.push(build_script_only(ctx, &p.triple));
        }
        return steps;
    }
    // Checks share target/port-check (one build of rt0's dependencies for every port and
    // every scratch arch tree), and each port's build products and rt0's build-script output
    // there are overwritten by the next build. Hold the directory for the whole check, so two
    // checks running at once (the porting tests do) never read each other's objects.
    let _builds = match lock_port_check_dir(ctx) {
        Ok(lock) => lock,
        Err(e) => {
            steps.push(step("build", Verdict::Fail, e));
            return steps;
        }
    };
    // An OS without system calls (`[syscall] kind = "none"`, Windows) has no raw creator: only
    // the pthread path (its system thread API) builds, and the static checks, written for ELF
    // and Mach-O stubs, do not apply to its COFF objects (its scenarios check it end to end).
    let no_syscalls = desc
        .as_ref()
        .is_ok_and(|d| d.syscall.kind == crate::description::SyscallKind::None);
    let built = build_steps(ctx, p, &mut steps, no_syscalls);
    let Ok(d) = desc else { return steps };
    if no_syscalls {
        if built.is_empty() {
            return steps;
        }
        steps.push(step(
            "static checks",
            Verdict::Skip,
            "[syscall] kind = \"none\": no raw path and no trampoline; COFF objects are checked by the scenarios",
        ));
    } else if !static_steps(&d, &built, &mut steps) {
        return steps;
    }
    if with_scenarios {
        steps.extend(scenarios(ctx, &d, &p.triple, shared));
    } else {
        steps.push(step("scenarios", Verdict::Skip, "--no-scenarios"));
    }
    steps
}

/// The folder: registered, its files there, no TODO left, a valid and finished description.
fn folder_steps(ctx: &Ctx, p: &Port) -> (Vec<Step>, Result<Description, String>) {
    let mut steps = Vec::new();
    let dir = p.dir(ctx);
    let missing = p.missing_files(ctx);
    if !p.registered {
        steps.push(step(
            "registered",
            Verdict::Fail,
            format!(
                "{} has no line for {}",
                ctx.registry_file().display(),
                p.triple
            ),
        ));
    }
    if !missing.is_empty() {
        steps.push(step(
            "files",
            Verdict::Fail,
            format!("missing in {}: {}", dir.display(), missing.join(", ")),
        ));
    }
    let todos = p.todos(ctx);
    if !todos.is_empty() {
        let list: Vec<String> = todos
            .iter()
            .map(|(f, n, t)| format!("arch/{}/{f}:{n}: {}", p.folder, shorten(t, 150)))
            .collect();
        steps.push(step(
            "TODOs left",
            Verdict::Fail,
            format!("{} left:\n{}", todos.len(), list.join("\n")),
        ));
    }
    let desc = p.description(ctx);
    match &desc {
        Ok(d) if d.verified_by == "not-yet" => steps.push(step("description", Verdict::Fail, "valid, but target.verified_by = \"not-yet\": say how the port is verified once its scenarios pass")),
        Ok(d) => steps.push(step("description", Verdict::Pass, format!("{} ({} {}, verified by {})", d.file.display(), d.arch.as_str(), d.os.as_str(), d.verified_by))),
        Err(e) => steps.push(step("description", Verdict::Fail, e.clone())),
    }
    (steps, desc)
}

/// The demo built for the pthread and the raw path; the folders of what was built, by path.
fn build_steps(
    ctx: &Ctx,
    p: &Port,
    steps: &mut Vec<Step>,
    pthread_only: bool,
) -> BTreeMap<bool, PathBuf> {
    let mut built = BTreeMap::new();
    let paths: &[bool] = if pthread_only {
        &[false]
    } else {
        &[false, true]
    };
    for &raw in paths {
        let label = if raw {
            "build (raw)"
        } else {
            "build (pthread)"
        };
        match build_demo(ctx, &p.triple, raw) {
            Ok(dir) => {
                steps.push(step(
                    label,
                    Verdict::Pass,
                    format!(
                        "cargo build -p rt0-demo --target {}{}",
                        p.triple,
                        if raw { " --features raw" } else { "" }
                    ),
                ));
                built.insert(raw, dir);
            }
            Err(e) => {
                steps.push(step(label, Verdict::Fail, build_error_summary(&e)));
                break; // the other path fails the same way
            }
        }
    }
    built
}

/// The static checks on the raw build's archive and on both builds' shared libraries; `false`
/// when they could not run.
fn static_steps(d: &Description, built: &BTreeMap<bool, PathBuf>, steps: &mut Vec<Step>) -> bool {
    let Some(raw_dir) = built.get(&true) else {
        return false;
    };
    let archive = match Archive::read(&raw_dir.join("librt0_demo.a")) {
        Ok(a) => a,
        Err(e) => {
            steps.push(step("static checks", Verdict::Fail, e.to_string()));
            return false;
        }
    };
    let mut stub_objects = Vec::new();
    match member_defining(&archive, &sym(d, ENTRY_SYMBOL)) {
        Ok((member, obj)) => {
            steps.push(object_format(d, &member, &obj));
            steps.push(entry_object::stub_object(d, &member, &obj));
            stub_objects.push((member, obj));
        }
        Err(e) => steps.push(step("entry stub", Verdict::Fail, e)),
    }
    steps.push(entry_object::initializer(d, &archive));
    match member_defining(&archive, &sym(d, "rt0_raw_thread_create")) {
        Ok((member, obj)) => {
            steps.push(thread_create_layout(d, &obj));
            if let Some(s) = thread_start_stack(d, &obj) {
                steps.push(s);
            }
            stub_objects.push((member, obj));
        }
        Err(e) => steps.push(step("thread_create registers", Verdict::Fail, e)),
    }
    if !stub_objects.is_empty() {
        steps.push(stub_relocations(&stub_objects));
    }
    for (raw, dir) in built {
        let mut s = text_relocations(d, dir);
        s.name = format!("{} ({})", s.name, if *raw { "raw" } else { "pthread" });
        steps.push(s);
    }
    true
}

/// Runs only what can run without the target's std: rt0's build script (description, generated
/// header, stubs assembled by cc), through `cargo build --keep-going -p rt0`.
fn build_script_only(ctx: &Ctx, triple: &str) -> Step {
    let name = "build script";
    let mut cmd = cargo();
    cmd.current_dir(&ctx.root)
        .args([
            "build",
            "--keep-going",
            "-p",
            "rt0",
            "--target",
            triple,
            "--target-dir",
        ])
        .arg(ctx.root.join("target/port-check"));
    ctx.arch_env(&mut cmd);
    let text = match run_cmd(&mut cmd) {
        Ok(t) | Err(t) => t,
    };
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("rt0 build:")
                || l.contains("#error")
                || (l.contains(".S:") && l.contains("error"))
        })
        .map(str::trim)
        .collect();
    if ours.is_empty() {
        step(name, Verdict::Skip, format!("rt0's build script found nothing wrong; the rest needs `rustup target add {triple}`"))
    } else {
        step(
            name,
            Verdict::Fail,
            ours.into_iter().take(8).collect::<Vec<_>>().join("\n"),
        )
    }
}

/// An exclusive lock on `target/port-check`, released when dropped.
fn lock_port_check_dir(ctx: &Ctx) -> Result<std::fs::File, String> {
    let dir = ctx.root.join("target/port-check");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(".check.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.lock()
        .map_err(|e| format!("locking {}: {e}", path.display()))?;
    Ok(file)
}
