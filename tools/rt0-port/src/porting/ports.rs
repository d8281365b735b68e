//! The ports of an arch tree: every registered triple, and every folder no triple is served
//! from, with their files, descriptions and what is left to do in them.

use std::path::PathBuf;

use super::ctx::Ctx;
use crate::arch_tree;
use crate::description::Description;

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
    /// An unregistered folder, known by its name.
    pub fn folder(name: &str) -> Port {
        Port {
            triple: name.to_string(),
            folder: name.to_string(),
            overlay: None,
            registered: false,
        }
    }

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
        // Windows ports have no trampoline: their description says `[syscall] kind = "none"`
        // (build.rs refuses a syscall.S there, and requires it everywhere else).
        if !self.triple.contains("-windows") {
            v.push("syscall.S".to_string());
        }
        v
    }

    /// The files the folder should have and lacks.
    pub fn missing_files(&self, ctx: &Ctx) -> Vec<String> {
        let dir = self.dir(ctx);
        self.files()
            .into_iter()
            .filter(|f| !dir.join(f).is_file())
            .collect()
    }

    /// Parses the port's description (with its overlay), as build.rs does.
    pub fn description(&self, ctx: &Ctx) -> Result<Description, String> {
        let d = arch_tree::description_in(&self.dir(ctx), self.overlay.as_deref())?;
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
            v.push(Port::folder(&f));
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
