//! What went wrong reading a file: which file, and why.

use std::fmt;
use std::path::Path;

/// A file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error about `what` (a path, or an archive member as `archive(member)`).
    pub fn new(what: impl fmt::Display, why: impl fmt::Display) -> Error {
        Error {
            message: format!("{what}: {why}"),
        }
    }

    /// An error reading the file at `path`.
    pub fn at(path: &Path, why: impl fmt::Display) -> Error {
        Error::new(path.display(), why)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for String {
    fn from(e: Error) -> String {
        e.message
    }
}
