//! The porter's subcommands (docs/porting.md):
//!
//! - `rt0-port list [--build]`: every folder under `arch/` and every registered triple, with its
//!   files, whether it builds here, how it is verified and the last check's verdict.
//! - `rt0-port describe <triple> [--json]`: the parsed description.
//! - `rt0-port new <triple>`: a new port's folder, from the nearest existing port, with every fact
//!   to fill marked `TODO`; registers the triple; refuses to overwrite.
//! - `rt0-port check <triple>... | --all`: build, static checks, scenarios; a verdict table.
//!
//! Every subcommand takes `--arch-dir DIR` to work on another arch tree (a scratch copy in the
//! tool's own tests); the builds it runs get `RT0_ARCH_DIR=DIR`, which build.rs honours.

pub mod check;
pub mod describe;
pub mod json;
pub mod list;
pub mod new;

use crate::description::{self, Description, Registration};
use std::path::{Path, PathBuf};

/// Where the subcommands find the workspace and the arch tree.
pub struct Ctx {
    /// The workspace root (RT0_WORKSPACE, else two levels above this crate).
    pub root: PathBuf,
    /// The arch tree (`--arch-dir`, else `RT0_ARCH_DIR`, else `<root>/arch`).
    pub arch: PathBuf,
    /// Whether `arch` is not the workspace's own `arch/` (builds then get `RT0_ARCH_DIR`).
    pub foreign_arch: bool,
}

impl Ctx {
    fn from_args(args: &[String]) -> Result<(Ctx, Vec<String>), String> {
        let root = match std::env::var_os("RT0_WORKSPACE") {
            Some(r) => PathBuf::from(r),
            None => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .canonicalize()
                .map_err(|e| format!("cannot find the workspace root: {e}"))?,
        };
        let mut arch = std::env::var_os("RT0_ARCH_DIR").map(PathBuf::from);
        let mut rest = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--arch-dir" {
                arch = Some(PathBuf::from(it.next().ok_or("--arch-dir needs a folder")?));
            } else if let Some(v) = a.strip_prefix("--arch-dir=") {
                arch = Some(PathBuf::from(v));
            } else {
                rest.push(a.clone());
            }
        }
        let default_arch = root.join("arch");
        let arch = arch.unwrap_or_else(|| default_arch.clone());
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
        Ok((
            Ctx {
                root,
                arch,
                foreign_arch,
            },
            rest,
        ))
    }

    /// The registry file.
    pub fn registry_file(&self) -> PathBuf {
        self.arch.join("targets.toml")
    }

    /// The parsed registry.
    pub fn registry(&self) -> Result<Vec<Registration>, String> {
        let file = self.registry_file();
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        description::parse_registry(&file, &text).map_err(|e| e.to_string())
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

/// A port as the registry and the arch tree describe it.
pub struct Port {
    /// The Rust target triple (for an unregistered folder, the folder's name).
    pub triple: String,
    /// The folder under arch/.
    pub folder: String,
    /// The overlay laid over the folder's abi.toml, if any.
    pub overlay: Option<String>,
    /// Whether arch/targets.toml names the triple.
    pub registered: bool,
}

impl Port {
    /// The folder's path.
    pub fn dir(&self, ctx: &Ctx) -> PathBuf {
        ctx.arch.join(&self.folder)
    }

    /// The files that make up this port's description and stubs.
    pub fn files(&self) -> Vec<String> {
        let mut v = vec!["abi.toml".to_string()];
        if let Some(o) = &self.overlay {
            v.push(o.clone());
        }
        v.push("entry.S".to_string());
        v.push("syscall.S".to_string());
        v
    }

    /// Parses the port's description (with its overlay), as build.rs does.
    pub fn description(&self, ctx: &Ctx) -> Result<Description, String> {
        let dir = self.dir(ctx);
        let base = dir.join("abi.toml");
        let text = std::fs::read_to_string(&base)
            .map_err(|e| format!("{}: cannot read the description: {e}", base.display()))?;
        let d = match &self.overlay {
            None => description::parse(&base, &text),
            Some(o) => {
                let of = dir.join(o);
                let ot = std::fs::read_to_string(&of)
                    .map_err(|e| format!("{}: cannot read the overlay: {e}", of.display()))?;
                description::parse_with_overlay(&base, &text, &of, &ot)
            }
        }
        .map_err(|e| e.to_string())?;
        if self.registered && d.triple != self.triple {
            return Err(format!(
                "{}: field `target.triple`: expected \"{}\" (the registry serves it from this folder), found \"{}\"",
                d.file.display(),
                self.triple,
                d.triple
            ));
        }
        Ok(d)
    }

    /// Every line of the port's files that still carries a `TODO` marker: `(file, line, text)`.
    pub fn todos(&self, ctx: &Ctx) -> Vec<(String, usize, String)> {
        let mut out = Vec::new();
        for f in self.files() {
            let Ok(text) = std::fs::read_to_string(self.dir(ctx).join(&f)) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                if line.contains("TODO") {
                    out.push((f.clone(), i + 1, line.trim().to_string()));
                }
            }
        }
        out
    }

    /// Whether the port is still a scaffold: TODO markers left or `verified_by = "not-yet"`.
    pub fn unfinished(&self, ctx: &Ctx) -> bool {
        if !self.todos(ctx).is_empty() {
            return true;
        }
        match self.description(ctx) {
            Ok(d) => d.verified_by == "not-yet",
            Err(_) => false,
        }
    }
}

/// Every registered triple, then every folder no triple is served from.
pub fn ports(ctx: &Ctx) -> Result<Vec<Port>, String> {
    let reg = ctx.registry()?;
    let mut v: Vec<Port> = reg
        .iter()
        .map(|r| Port {
            triple: r.triple.clone(),
            folder: r.folder.clone(),
            overlay: r.description.clone(),
            registered: true,
        })
        .collect();
    for f in ctx.folders() {
        if !reg.iter().any(|r| r.folder == f) {
            v.push(Port {
                triple: f.clone(),
                folder: f,
                overlay: None,
                registered: false,
            });
        }
    }
    Ok(v)
}

/// The port serving `triple`: its registration, else an unregistered folder of that name.
pub fn port(ctx: &Ctx, triple: &str) -> Result<Port, String> {
    let all = ports(ctx)?;
    let known: Vec<String> = all.iter().map(|p| p.triple.clone()).collect();
    all.into_iter().find(|p| p.triple == triple).ok_or_else(|| {
        format!(
            "{triple}: no port: {} does not register it and there is no folder {}/{triple}\n  known: {}\n  start one with `rt0-port new {triple}`",
            ctx.registry_file().display(),
            ctx.arch.display(),
            known.join(", ")
        )
    })
}

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
    std::process::Command::new("rustup")
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

fn usage() -> i32 {
    eprintln!(
        "usage: rt0-port list [--build] [--arch-dir DIR]\n\
         \x20      rt0-port describe <triple> [--json] [--arch-dir DIR]\n\
         \x20      rt0-port new <triple> [--from <folder>] [--arch-dir DIR]\n\
         \x20      rt0-port check <triple>... | --all [--no-scenarios] [--arch-dir DIR]\n\
         see docs/porting.md"
    );
    2
}

/// Runs the porting subcommand `cmd` with its arguments; returns the exit status
/// (0 success, 1 a failed check or refused action, 2 a usage error).
pub fn run(cmd: &str, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return usage();
    }
    let (ctx, rest) = match Ctx::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rt0-port {cmd}: {e}");
            return 2;
        }
    };
    let r = match cmd {
        "list" => list::run(&ctx, &rest),
        "describe" => describe::run(&ctx, &rest),
        "new" => new::run(&ctx, &rest),
        "check" => check::run(&ctx, &rest),
        _ => return usage(),
    };
    match r {
        Ok(status) => status,
        Err(Usage(Some(msg))) => {
            eprintln!("rt0-port {cmd}: {msg}");
            usage()
        }
        Err(Usage(None)) => usage(),
    }
}

/// A usage error, with what was wrong.
pub struct Usage(pub Option<String>);

/// Prints rows as a table with aligned columns.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < width.len() {
                width[i] = width[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    line(
        width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    for r in rows {
        line(r.iter().map(|s| s.as_str()).collect());
    }
}
