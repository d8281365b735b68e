//! The target registry, `arch/targets.toml`: which `arch/` folder serves each Rust target
//! triple, and the overlay a triple lays over that folder's description.

use std::path::Path;

use crate::error::DescriptionError;
use crate::reader::{describe, syntax_error, Reader, Table};

/// One line of `arch/targets.toml`: a Rust target triple and the `arch/` folder that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The Rust target triple.
    pub triple: String,
    /// The folder under `arch/` holding its stubs and description.
    pub folder: String,
    /// An overlay file in that folder laid over its `abi.toml` (see [`parse_with_overlay`](crate::parse_with_overlay)):
    /// how two targets share stubs while their descriptions differ (glibc and musl).
    pub description: Option<String>,
}

fn plain_name(s: &str) -> bool {
    !s.is_empty() && !s.contains("..") && !s.contains('/') && !s.contains('\\')
}

/// Parses the registry `arch/targets.toml`: one line per triple, either
/// `"<triple>" = "<folder>"` or `"<triple>" = { folder = "<folder>", description = "<file>" }`.
pub fn parse_registry(file: &Path, text: &str) -> Result<Vec<Registration>, DescriptionError> {
    let r = Reader { file };
    let root: Table =
        toml::from_str(text).map_err(|e| r.err("(file)", "valid TOML", syntax_error(&e)))?;
    let t = r.table(&root, "targets")?;
    let mut out = Vec::new();
    for (triple, v) in t {
        let field = format!("targets.\"{triple}\"");
        let expected = "the name of a folder under arch/, or { folder = \"<folder>\", description = \"<file in it>\" }";
        let (folder, description) = match v {
            toml::Value::String(folder) if plain_name(folder) => (folder.clone(), None),
            toml::Value::Table(entry) => {
                if let Some(k) = entry.keys().find(|k| *k != "folder" && *k != "description") {
                    return Err(r.err(
                        &format!("{field}.{k}"),
                        "only the keys folder and description",
                        format!("the key {k}"),
                    ));
                }
                let folder = match entry.get("folder") {
                    Some(toml::Value::String(f)) if plain_name(f) => f.clone(),
                    Some(v) => {
                        return Err(r.err(
                            &format!("{field}.folder"),
                            "the name of a folder under arch/",
                            describe(v),
                        ))
                    }
                    None => {
                        return Err(r.err(
                            &format!("{field}.folder"),
                            "the name of a folder under arch/",
                            "nothing (the key is missing)",
                        ))
                    }
                };
                let description = match entry.get("description") {
                    None => None,
                    Some(toml::Value::String(d)) if plain_name(d) => Some(d.clone()),
                    Some(v) => {
                        return Err(r.err(
                            &format!("{field}.description"),
                            "a file name inside the folder",
                            describe(v),
                        ))
                    }
                };
                (folder, description)
            }
            v => return Err(r.err(&field, expected, describe(v))),
        };
        out.push(Registration {
            triple: triple.clone(),
            folder,
            description,
        });
    }
    Ok(out)
}
