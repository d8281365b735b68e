//! The workspace as the checks see it: its crates' targets (from `cargo metadata`) and every Rust
//! file in the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One compiled crate of a workspace package: its library, a binary or its build script.
pub struct Target {
    /// The package's name (`rt0`, `rt0-port`).
    pub package: String,
    /// `lib`, `bin <name>` or `build script`.
    pub kind: String,
    /// The crate root (`src/lib.rs`, `build.rs`).
    pub root: PathBuf,
    /// Whether this is a test, example or bench target (test code: no module-cycle check).
    pub test_only: bool,
}

/// The workspace root and the crates in it.
pub struct Workspace {
    /// Where the workspace's Cargo.toml is.
    pub root: PathBuf,
    /// Every target of every member package.
    pub targets: Vec<Target>,
}

/// Asks `cargo metadata` (run in `dir`) for the workspace's members and their targets.
pub fn load(dir: &Path) -> Result<Workspace, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(&cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run `{cargo} metadata`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("`cargo metadata` printed no JSON: {e}"))?;
    let root = meta["workspace_root"]
        .as_str()
        .map(PathBuf::from)
        .ok_or("`cargo metadata` names no workspace_root")?;
    let mut targets = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or("?").to_string();
        for target in package["targets"].as_array().into_iter().flatten() {
            let kinds: Vec<&str> = target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .collect();
            let Some(src) = target["src_path"].as_str() else {
                continue;
            };
            let (kind, test_only) = match kinds.first().copied() {
                Some("bin") => (
                    format!("bin {}", target["name"].as_str().unwrap_or("?")),
                    false,
                ),
                Some("custom-build") => ("build script".to_string(), false),
                Some("test" | "example" | "bench") => (kinds[0].to_string(), true),
                _ => ("lib".to_string(), false),
            };
            targets.push(Target {
                package: name.clone(),
                kind,
                root: PathBuf::from(src),
                test_only,
            });
        }
    }
    Ok(Workspace { root, targets })
}

/// Every `.rs` file under `root`, skipping build output (`target/`) and hidden folders.
pub fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `path` relative to `root`, for messages.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
