//! File sizes: no non-test Rust file over the limit, and the emulated libSystem within its
//! budget.

use std::path::{Path, PathBuf};

/// A file's lines, as `wc -l` counts them for a file that ends in a newline.
pub fn count(file: &Path) -> usize {
    std::fs::read_to_string(file)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Whether `file` is test code by where it is: under a `tests/` folder (integration tests and
/// their support files) of `root`.
pub fn in_tests_folder(root: &Path, file: &Path) -> bool {
    file.strip_prefix(root)
        .unwrap_or(file)
        .components()
        .any(|c| c.as_os_str() == "tests")
}

/// The files of `files` over `limit` lines, with their counts, skipping `test_only` ones.
pub fn oversized(
    root: &Path,
    files: &[PathBuf],
    test_only: &dyn Fn(&Path) -> bool,
    limit: usize,
) -> Vec<(PathBuf, usize)> {
    files
        .iter()
        .filter(|f| !in_tests_folder(root, f) && !test_only(f))
        .map(|f| (f.clone(), count(f)))
        .filter(|(_, n)| *n > limit)
        .collect()
}

/// The total lines of the `.rs` files under `dir`.
pub fn total_under(files: &[PathBuf], dir: &Path) -> usize {
    files
        .iter()
        .filter(|f| f.starts_with(dir))
        .map(|f| count(f))
        .sum()
}
