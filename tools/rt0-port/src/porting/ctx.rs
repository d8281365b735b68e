//! Where the porting subcommands work: the workspace and the arch tree, and the paths derived
//! from them (the registry, the results file).

use std::path::PathBuf;

use crate::arch_tree;
use crate::description::Registration;
use crate::workspace;

/// Where the subcommands find the workspace and the arch tree.
pub struct Ctx {
    /// The workspace root (see `workspace::root`).
    pub root: PathBuf,
    /// The arch tree (`--arch-dir`, else `RT0_ARCH_DIR`, else `<root>/arch`).
    pub arch: PathBuf,
    /// Whether `arch` is not the workspace's own `arch/` (builds then get `RT0_ARCH_DIR`).
    pub foreign_arch: bool,
}

impl Ctx {
    /// The context for `arch_dir` (or the default arch tree); an error unless it is an arch tree.
    pub fn new(arch_dir: Option<PathBuf>) -> Result<Ctx, String> {
        let root = workspace::root();
        let default_arch = root.join("arch");
        let arch = arch_dir.unwrap_or_else(|| workspace::arch_dir(&root));
        let arch = if arch.is_relative() {
            std::env::current_dir()
                .map(|d| d.join(&arch))
                .unwrap_or(arch)
        } else {
            arch
        };
        if !arch.join("targets.toml").is_file() {
            return Err(format!(
                "{}: no targets.toml: not an rt0 arch tree (give --arch-dir or RT0_ARCH_DIR)",
                arch.display()
            ));
        }
        let foreign_arch = arch.canonicalize().ok() != default_arch.canonicalize().ok();
        Ok(Ctx {
            root,
            arch,
            foreign_arch,
        })
    }

    /// The registry file.
    pub fn registry_file(&self) -> PathBuf {
        self.arch.join("targets.toml")
    }

    /// The parsed registry.
    pub fn registry(&self) -> Result<Vec<Registration>, String> {
        arch_tree::registry(&self.arch)
    }

    /// The folders under the arch tree, sorted.
    pub fn folders(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.arch)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Where `check` records verdicts and `list` reads them: `target/rt0-port/last-check.json`,
    /// or `.rt0-port-last-check.json` inside a foreign arch tree (a scratch copy keeps its own).
    pub fn results_file(&self) -> PathBuf {
        if self.foreign_arch {
            self.arch.join(".rt0-port-last-check.json")
        } else {
            self.root.join("target/rt0-port/last-check.json")
        }
    }

    /// Sets `RT0_ARCH_DIR` on a build command when working on a foreign arch tree.
    pub fn arch_env(&self, cmd: &mut std::process::Command) {
        if self.foreign_arch {
            cmd.env("RT0_ARCH_DIR", &self.arch);
        }
    }
}
