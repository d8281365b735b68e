//! Reading an arch tree as build.rs does: the registry `targets.toml` (which folder serves which
//! triple, with an optional overlay) and a folder's `abi.toml` description.

use std::path::Path;

use crate::description::{self, Description, Registration};

/// The registry `<arch>/targets.toml`.
pub fn registry(arch: &Path) -> Result<Vec<Registration>, String> {
    let file = arch.join("targets.toml");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    description::parse_registry(&file, &text).map_err(|e| e.to_string())
}

/// The description in `folder`: its abi.toml, with `overlay` (a file in the same folder) laid
/// over it when given.
pub fn description_in(folder: &Path, overlay: Option<&str>) -> Result<Description, String> {
    let base = folder.join("abi.toml");
    let text = std::fs::read_to_string(&base)
        .map_err(|e| format!("{}: cannot read the description: {e}", base.display()))?;
    match overlay {
        None => description::parse(&base, &text),
        Some(o) => {
            let of = folder.join(o);
            let ot = std::fs::read_to_string(&of)
                .map_err(|e| format!("{}: cannot read the overlay: {e}", of.display()))?;
            description::parse_with_overlay(&base, &text, &of, &ot)
        }
    }
    .map_err(|e| e.to_string())
}

/// The description build.rs compiles `triple`'s stubs from.
pub fn description_for(arch: &Path, triple: &str) -> Result<Description, String> {
    let reg = registry(arch)?;
    let r = reg.iter().find(|r| r.triple == triple).ok_or_else(|| {
        format!(
            "{}: no entry for {triple}",
            arch.join("targets.toml").display()
        )
    })?;
    description_in(&arch.join(&r.folder), r.description.as_deref())
}
