//! The start-mode test libraries for tests/start_modes.rs and tests/start_modes_raw.rs (each
//! includes this file with `#[path]`): `tests/crates/modes` (std) and `tests/crates/modes/raw`
//! (the raw creator), built once per mode, their C headers made by cbindgen, and the C hosts
//! compiled against those headers with `-Wall -Werror`.

#![allow(dead_code)]

use crate::support::{compile_once, root, Run};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    AtLoad,
    Inline,
    FirstCall,
    Explicit,
}

pub const MODES: [Mode; 4] = [Mode::AtLoad, Mode::Inline, Mode::FirstCall, Mode::Explicit];

impl Mode {
    /// The `start = ..` word, which is also the crate's feature for it (`at_load`: none).
    pub fn name(self) -> &'static str {
        match self {
            Mode::AtLoad => "at_load",
            Mode::Inline => "inline",
            Mode::FirstCall => "first_call",
            Mode::Explicit => "explicit",
        }
    }
}

/// A test library: `tests/crates/<dir>`, whose cdylib is `lib<name>.so` and whose header,
/// made by cbindgen from its `cbindgen.toml`, is `<name>.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Crate {
    /// `tests/crates/modes`: std, the pthread creator (built for every mode).
    Modes,
    /// `tests/crates/modes/raw`: no_std, the raw creator (built for the three other modes).
    Raw,
}

impl Crate {
    pub fn dir(self) -> &'static str {
        match self {
            Crate::Modes => "modes",
            Crate::Raw => "modes/raw",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Crate::Modes => "modes",
            Crate::Raw => "modes_raw",
        }
    }
}

/// The folder holding `krate`'s library built with `mode` (built once per test process; the
/// modes of one crate share a target dir, so that rt0 compiles once, and each build's library
/// is copied out).
pub fn library_dir(krate: Crate, mode: Mode) -> PathBuf {
    library_dir_for(krate, mode, None)
}

/// [`library_dir`] for the Rust `target` (`None`: this machine), in
/// `target/<crate>/cross/<target>/<mode>` for another one: every library file the build made
/// (`lib<name>.so`, `lib<name>.a`, `<name>.dll` and its import library `lib<name>.dll.a`,
/// `lib<name>.dylib`) is copied there. The targets share the crate's target dir, so that the
/// proc-macros build once.
pub fn library_dir_for(krate: Crate, mode: Mode, target: Option<&'static str>) -> PathBuf {
    type Built = BTreeMap<(Crate, Mode, Option<&'static str>), PathBuf>;
    static BUILT: Mutex<Built> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = built.get(&(krate, mode, target)) {
        return dir.clone();
    }
    let features: &[&str] = match mode {
        Mode::AtLoad => &[],
        _ => &[mode.name()],
    };
    let target_name = krate.name().replace('_', "-");
    let out = crate::support::build_test_crate_for(krate.dir(), &target_name, target, features);
    let mut dir = root().join("target").join(&target_name);
    if let Some(t) = target {
        dir = dir.join("cross").join(t);
    }
    let dir = dir.join(mode.name());
    std::fs::create_dir_all(&dir).unwrap();
    let name = krate.name();
    let files = match target {
        None => vec![format!("lib{name}.so")],
        Some(_) => [
            format!("lib{name}.so"),
            format!("lib{name}.a"),
            format!("{name}.dll"),
            format!("lib{name}.dll.a"),
            format!("lib{name}.dylib"),
        ]
        .into_iter()
        .filter(|f| out.join(f).is_file())
        .collect(),
    };
    assert!(!files.is_empty(), "no library in {}", out.display());
    for file in files {
        // Copied to a temporary name and renamed: a host of this mode never maps a half-written
        // file.
        let tmp = dir.join(format!("{file}.tmp{}", std::process::id()));
        std::fs::copy(out.join(&file), &tmp).unwrap();
        std::fs::rename(&tmp, dir.join(&file)).unwrap();
    }
    built.insert((krate, mode, target), dir.clone());
    dir
}

pub fn library(mode: Mode) -> PathBuf {
    library_dir(Crate::Modes, mode).join("libmodes.so")
}

/// The folder holding `krate`'s header, made by cbindgen from the crate's source and its
/// `cbindgen.toml` as a user's build would make it (once per test process).
pub fn header_dir(krate: Crate) -> PathBuf {
    static MADE: Mutex<BTreeMap<Crate, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = made.get(&krate) {
        return dir.clone();
    }
    let source = root().join("tests/crates").join(krate.dir());
    let config = cbindgen::Config::from_file(source.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("{}/cbindgen.toml: {e}", source.display()));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(&source)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen on {}: {e}", source.display()));
    let dir = root().join("target/modes/include");
    std::fs::create_dir_all(&dir).unwrap();
    let header = format!("{}.h", krate.name());
    let tmp = dir.join(format!("{header}.tmp{}", std::process::id()));
    bindings.write_to_file(&tmp);
    std::fs::rename(&tmp, dir.join(&header)).unwrap();
    made.insert(krate, dir.clone());
    dir
}

/// How a host gets the library.
#[derive(Debug, Clone, Copy)]
pub enum Link {
    /// Linked (`-lmodes`, found through an rpath): the loader runs the entry before `main`.
    Shared,
    /// Not linked: the host dlopen()s `$MODES_SO`.
    Dlopen,
}

/// `tests/hosts/<source>` compiled with `-Wall -Werror` against the cbindgen header of the
/// modes library, for `mode`.
pub fn host(source: &str, mode: Mode, link: Link) -> PathBuf {
    host_of(Crate::Modes, source, mode, link)
}

/// `tests/hosts/<source>` compiled with `-Wall -Werror` against `krate`'s cbindgen header, for
/// `mode`.
pub fn host_of(krate: Crate, source: &str, mode: Mode, link: Link) -> PathBuf {
    let dir = library_dir(krate, mode);
    let headers = header_dir(krate);
    let stem = source.trim_end_matches(".c");
    let out = dir.join("hosts");
    std::fs::create_dir_all(&out).unwrap();
    let src = root().join("tests/hosts").join(source);
    compile_once(out.join(format!("{stem}-{link:?}")), source, |tmp| {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O1", "-g", "-Wall", "-Werror", "-pthread"])
            .arg("-I")
            .arg(&headers)
            .arg(&src)
            .arg("-o")
            .arg(tmp);
        match link {
            Link::Shared => {
                cmd.arg("-L")
                    .arg(&dir)
                    .arg(format!("-l{}", krate.name()))
                    .arg("-Wl,--disable-new-dtags")
                    .arg(format!("-Wl,-rpath,{}", dir.display()));
            }
            Link::Dlopen => {
                cmd.arg("-ldl");
            }
        }
        cmd
    })
}

/// What a host of the modes library prints after a failed init (`MODES_FAIL=1`), whatever the
/// mode and target: every export's `on_error` answer, no helper thread, status 3 with init's
/// message, and one init run. `c` is the context the assertions print.
pub fn assert_failed_init_answers(r: &Run, c: &str) {
    assert_eq!(r.num("add"), -1, "{c}");
    assert_eq!(r.num("sum"), -1, "{c}");
    assert_eq!(r.num("ready"), -1, "{c}");
    assert_eq!(r.num("helper_tid"), 0, "{c}");
    assert_eq!(r.num("status"), 3, "{c}");
    assert_eq!(
        r.field("status_message"),
        "modes: init failed on request",
        "{c}"
    );
    assert_eq!(r.num("runs"), 1, "{c}");
}
