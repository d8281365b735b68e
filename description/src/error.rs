//! [`DescriptionError`]: why a description (or the registry) was rejected.

use std::fmt;
use std::path::PathBuf;

/// Why a description (or the registry) was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptionError {
    /// The file that was read.
    pub file: PathBuf,
    /// The field, dotted (`syscall.arg_registers`), or `(file)` for the whole file.
    pub field: String,
    /// What a valid value looks like.
    pub expected: String,
    /// What was there instead.
    pub found: String,
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field `{}`: expected {}, found {}",
            self.file.display(),
            self.field,
            self.expected,
            self.found
        )
    }
}

impl std::error::Error for DescriptionError {}
