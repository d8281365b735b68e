//! The verdicts `check` records and `list` shows: `target/rt0-port/last-check.json` (or the
//! scratch tree's own file, see `Ctx::results_file`), one record per arch tree and triple.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ctx::Ctx;

/// What one `check` of one port found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    /// When, in UTC (`YYYY-MM-DD HH:MMZ`).
    pub time: String,
    /// `pass` or `FAIL`.
    pub verdict: String,
    /// Whether the demo built: `yes`, `no` or `not tried`.
    pub build: String,
    /// The names of the steps that failed.
    pub failed: Vec<String>,
    /// Whether the scenarios were run (`--no-scenarios` records `false`).
    pub scenarios: bool,
}

/// The whole file: records by arch tree (its path), then by triple.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ResultsFile {
    arch_trees: BTreeMap<String, BTreeMap<String, CheckRecord>>,
}

fn read(file: &Path) -> ResultsFile {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The recorded verdicts for the current arch tree, by triple.
pub fn load(ctx: &Ctx) -> BTreeMap<String, CheckRecord> {
    let key = ctx.arch.display().to_string();
    read(&ctx.results_file())
        .arch_trees
        .remove(&key)
        .unwrap_or_default()
}

/// Adds (or replaces) the records of `results` for the current arch tree, keeping the others.
pub fn save(ctx: &Ctx, results: &[(String, CheckRecord)]) {
    let file = ctx.results_file();
    let mut all = read(&file);
    let tree = all
        .arch_trees
        .entry(ctx.arch.display().to_string())
        .or_default();
    for (triple, r) in results {
        tree.insert(triple.clone(), r.clone());
    }
    let _ = std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")));
    if let Ok(text) = serde_json::to_string_pretty(&all) {
        let _ = std::fs::write(&file, text + "\n");
    }
}

/// The current UTC time as the records spell it: `YYYY-MM-DD HH:MMZ`.
pub fn now_utc() -> String {
    // humantime gives RFC 3339 (`2024-05-01T12:34Z`); the table reads better with a space.
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .get(..16)
        .map(|s| format!("{}Z", s.replacen('T', " ", 1)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_is_minutes_in_utc() {
        let t = now_utc();
        assert_eq!(t.len(), "2024-05-01 12:34Z".len(), "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[10..11], " ");
        assert!(t.ends_with('Z'), "{t}");
    }

    #[test]
    fn records_round_trip_through_the_file_format() {
        let mut f = ResultsFile::default();
        let r = CheckRecord {
            time: "2024-05-01 12:34Z".into(),
            verdict: "FAIL".into(),
            build: "yes".into(),
            failed: vec!["thread_create registers".into()],
            scenarios: false,
        };
        f.arch_trees
            .entry("/a/arch".into())
            .or_default()
            .insert("x86_64-unknown-linux-gnu".into(), r.clone());
        let text = serde_json::to_string_pretty(&f).unwrap();
        let back: ResultsFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back.arch_trees["/a/arch"]["x86_64-unknown-linux-gnu"], r);
        assert!(serde_json::from_str::<ResultsFile>("{\"arch_trees\": 1}").is_err());
    }
}
