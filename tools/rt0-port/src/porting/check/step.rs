//! One row of `check`'s verdict table: what was checked, pass/FAIL/skip, and why.

/// A step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Checked and right.
    Pass,
    /// Checked and wrong, or required and impossible.
    Fail,
    /// Could not run here; the detail says why.
    Skip,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        }
    }
}

/// One row of the verdict table.
#[derive(Debug, Clone)]
pub struct Step {
    /// What was checked.
    pub name: String,
    /// Its outcome.
    pub verdict: Verdict,
    /// Why, briefly (multi-line details are printed under the table).
    pub detail: String,
}

pub fn step(name: &str, verdict: Verdict, detail: impl Into<String>) -> Step {
    Step {
        name: name.to_string(),
        verdict,
        detail: detail.into(),
    }
}

/// `s`, cut to `n` characters with `...` when longer.
pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}
