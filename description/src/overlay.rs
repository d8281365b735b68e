//! An overlay: a second file laid over a folder's `abi.toml`, naming only what another triple
//! served by the same stubs does differently (musl over the glibc folder: its `[initializer]`).

use std::path::Path;

use crate::error::DescriptionError;
use crate::model::Description;
use crate::reader::{parse_toml, Table};
use crate::validation::validate;

/// Parses `base` (a folder's `abi.toml`) with `overlay` (a registry entry's `description` file in
/// the same folder) laid over it, then validates the result. Tables merge key by key, any other
/// value in the overlay replaces the base's: an overlay names only what differs (musl's
/// `[initializer]`), so no number is written twice. Errors name the overlay file.
pub fn parse_with_overlay(
    base_file: &Path,
    base_text: &str,
    overlay_file: &Path,
    overlay_text: &str,
) -> Result<Description, DescriptionError> {
    let mut root = parse_toml(base_file, base_text)?;
    let overlay = parse_toml(overlay_file, overlay_text)?;
    merge(&mut root, overlay);
    validate(overlay_file, &root)
}

/// Lays `from` over `into`: tables merge key by key, any other value replaces.
fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(mine)), toml::Value::Table(theirs)) => merge(mine, theirs),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
