//! Finding and running the build tools a port needs: rustup's installed targets, the linker
//! `.cargo/config.toml` names, cargo builds of the demo, and the lines of a failed build that
//! say why.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::ctx::Ctx;

/// The Rust triple of the machine this runs on, as far as rt0's ports go.
pub fn host_triple() -> String {
    let os = match std::env::consts::OS {
        "macos" => "apple-darwin",
        "linux" => "unknown-linux-gnu",
        o => o,
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

/// The Rust targets rustup has installed (empty if rustup is not there).
pub fn installed_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The cargo that runs this tool (`CARGO`), else `cargo`.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

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
    let table: toml::value::Table = toml::from_str(&text).unwrap_or_default();
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

/// Runs a command; `Ok(stdout+stderr)` on success, `Err(the same)` otherwise.
pub fn run_cmd(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// The lines of a failed build that say why (rt0's build-script errors, compiler and assembler errors).
pub fn build_error_summary(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("error")
                || l.contains("rt0 build:")
                || l.contains(": error:")
                || l.contains("#error")
        })
        .filter(|l| {
            !l.contains("could not compile") && !l.contains("failed to run custom build command")
        })
        .collect();
    let mut seen = Vec::new();
    for l in lines {
        let l = l.trim().to_string();
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    if seen.is_empty() {
        text.lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        seen.into_iter().take(8).collect::<Vec<_>>().join("\n")
    }
}

/// Builds the demo for `triple` (raw path when `raw`); returns the folder holding its products.
pub fn build_demo(ctx: &Ctx, triple: &str, raw: bool) -> Result<PathBuf, String> {
    let target_dir = ctx.root.join("target/port-check");
    let mut cmd = cargo();
    cmd.current_dir(&ctx.root)
        .args([
            "build",
            "-p",
            "rt0-demo",
            "--target",
            triple,
            "--target-dir",
        ])
        .arg(&target_dir);
    if raw {
        cmd.args(["--features", "raw"]);
    }
    ctx.arch_env(&mut cmd);
    run_cmd(&mut cmd)?;
    let built = target_dir.join(triple).join("debug");
    let keep = target_dir
        .join("artifacts")
        .join(triple)
        .join(if raw { "raw" } else { "pthread" });
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&keep).map_err(|e| format!("{}: {e}", keep.display()))?;
    for name in ["librt0_demo.a", "librt0_demo.so", "librt0_demo.dylib"] {
        if built.join(name).is_file() {
            std::fs::copy(built.join(name), keep.join(name))
                .map_err(|e| format!("copying {name}: {e}"))?;
        }
    }
    Ok(keep)
}
