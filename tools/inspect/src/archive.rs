//! Static archives (`ar`, in the GNU and the BSD layout): their members, in file order, and the
//! objects among them.

use std::path::{Path, PathBuf};

use crate::{Error, Object};

/// One member of an archive: its name and its bytes.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's file name.
    pub name: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

impl Member {
    /// The member as an object file; `None` when it is not one this crate reads (LLVM bitcode,
    /// which some rustc versions put in compiler_builtins, or a symbol table of another kind).
    pub fn object(&self) -> Option<Object> {
        Object::parse(&self.bytes).ok()
    }
}

/// A static library, read whole.
#[derive(Debug, Clone)]
pub struct Archive {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its members, in file order (two members may share a name).
    pub members: Vec<Member>,
}

impl Archive {
    /// Reads the archive at `path`.
    pub fn read(path: &Path) -> Result<Archive, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::at(path, e))?;
        Archive::parse(path, &bytes)
    }

    /// Parses an archive's bytes; `path` names it in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Archive, Error> {
        let ar = goblin::archive::Archive::parse(bytes).map_err(|e| Error::at(path, e))?;
        let mut members = Vec::new();
        for i in 0..ar.len() {
            let Some(m) = ar.get_at(i) else { continue };
            let start = m.offset as usize;
            let bytes = bytes
                .get(start..start + m.size())
                .ok_or_else(|| Error::at(path, format!("member {i} runs past the end")))?;
            members.push(Member {
                name: m.extended_name().trim_end_matches('/').to_string(),
                bytes: bytes.to_vec(),
            });
        }
        Ok(Archive {
            path: path.to_path_buf(),
            members,
        })
    }

    /// Every member that is an object file this crate reads, with its name.
    pub fn objects(&self) -> Vec<(&str, Object)> {
        self.members
            .iter()
            .filter_map(|m| Some((m.name.as_str(), m.object()?)))
            .collect()
    }

    /// The first object member that defines a symbol `matches` accepts.
    pub fn object_defining(&self, matches: impl Fn(&str) -> bool) -> Option<(&str, Object)> {
        self.members.iter().find_map(|m| {
            let o = m.object()?;
            let defines = o.defined_symbols().any(|s| matches(&s.name));
            defines.then_some((m.name.as_str(), o))
        })
    }
}
