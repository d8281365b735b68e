//! Why the emulator cannot start or go on a run. Each kind has its exit status (docs/emulator.md):
//! the program's own ending (an exit, a fault's signal) is not an error and never lands here.

use std::fmt;

/// Exit status when a conformance check fails.
pub const STATUS_CONFORMANCE: i32 = 124;
/// Exit status when the emulator, not the program, stops the run.
pub const STATUS_EMULATOR_STOP: i32 = 125;

/// What stopped the emulator, with what the message needs.
#[derive(Debug)]
pub enum Error {
    /// The target's description cannot be read (its file says where).
    Description(String),
    /// The description, the stubs built from it and the model disagree (what and where).
    Conformance(String),
    /// Building or linking the program failed: the step and its output.
    Build(String),
    /// The linker found symbols the emulated libSystem does not export, with its output.
    LinkUnresolved { names: Vec<String>, output: String },
    /// The file is not a Mach-O executable the model loads.
    Load { file: String, why: String },
    /// Imports the emulated libSystem lacks, found when binding.
    Unresolved(Vec<String>),
    /// The emulated machine could not be set up (mapping memory, registers).
    Setup(String),
    /// The run reached something the model does not have: a syscall, a libSystem function, a
    /// printf conversion, a trap class.
    Unmodeled(String),
    /// Every thread waits and none has a deadline: "thread N waits on 0x…" for each.
    Deadlock(Vec<String>),
}

impl Error {
    /// The exit status `rt0-port emulate` ends with.
    pub fn status(&self) -> i32 {
        match self {
            Error::Description(_) | Error::Conformance(_) => STATUS_CONFORMANCE,
            _ => STATUS_EMULATOR_STOP,
        }
    }

    /// Whether this error means the program could not be run at all (said as `cannot run:`),
    /// rather than a check that failed.
    pub fn is_cannot_run(&self) -> bool {
        self.status() == STATUS_EMULATOR_STOP
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Conformance(m) => write!(f, "conformance: {m}"),
            Error::LinkUnresolved { names, output } => write!(
                f,
                "unresolved imports: the emulated libSystem does not provide {}\n{output}",
                names.join(", ")
            ),
            Error::Unresolved(names) => write!(
                f,
                "unresolved imports (not in the emulated libSystem): {}\n  --lazy-imports binds \
                 them to stubs that stop the run (status 125) only if one is called: a std Rust \
                 library imports many functions it never calls",
                names.join(", ")
            ),
            Error::Deadlock(waits) => write!(
                f,
                "deadlock: every thread is blocked with no timeout ({})",
                waits.join("; ")
            ),
            Error::Load { file, why } => write!(f, "{file}: {why}"),
            Error::Description(m) | Error::Build(m) | Error::Setup(m) | Error::Unmodeled(m) => {
                f.write_str(m)
            }
        }
    }
}

impl From<unicorn_engine::uc_error> for Error {
    fn from(e: unicorn_engine::uc_error) -> Error {
        Error::Setup(e.to_string())
    }
}
