//! Build → compile → link: the demo staticlib for the triple (pthread or raw path), the C host,
//! and a Mach-O executable linked by ld64.lld against the emulated libSystem's `.tbd`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::arch_tree;
use crate::description::Description;
use crate::emulate::error::Error;
use crate::emulate::libsystem::exports;
use crate::emulate::machine::cpu::Cpu;
use crate::workspace;

/// The names ld64.lld goes by, shared with tools/darwin-sdk/bin/darwin-cc.
const LINKER_NAMES: &str = include_str!("../../../darwin-sdk/linkers.txt");

/// What to build and link for one emulated run.
pub struct Plan {
    pub triple: String,
    pub cpu: Cpu,
    pub raw: bool,
    pub legacy_stack: bool,
    pub host: Option<PathBuf>,
    pub exe: Option<PathBuf>,
    pub target_dir: Option<PathBuf>,
    pub root: PathBuf,
    /// Link the host alone (bring-up of a port before rt0 builds for it).
    pub no_demo: bool,
}

/// Runs a build step; its output, or why it failed.
fn run(cmd: &mut Command, what: &str) -> Result<String, Error> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Build(format!("{what}: cannot run {:?}: {e}", cmd.get_program())))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(Error::Build(format!("{what} failed:\n{text}")));
    }
    Ok(text)
}

/// ld64.lld: `RT0_LD64`, else the first of [`LINKER_NAMES`] that runs.
fn linker() -> String {
    if let Ok(l) = std::env::var("RT0_LD64") {
        return l;
    }
    let names = LINKER_NAMES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for c in names {
        if Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
        {
            return c.to_string();
        }
    }
    "ld64.lld".into()
}

impl Plan {
    pub fn new(triple: &str, cpu: Cpu) -> Plan {
        Plan {
            triple: triple.to_string(),
            cpu,
            raw: false,
            legacy_stack: false,
            host: None,
            exe: None,
            target_dir: None,
            root: workspace::root(),
            no_demo: false,
        }
    }

    /// The description build.rs compiles the stubs from (the arch tree's registry entry for the
    /// triple, with its overlay).
    pub fn description(&self) -> Result<Description, Error> {
        arch_tree::description_for(&workspace::arch_dir(&self.root), &self.triple)
            .map_err(Error::Description)
    }

    /// Build everything; returns the executable.
    pub fn build(&self) -> Result<PathBuf, Error> {
        if let Some(e) = &self.exe {
            return Ok(e.clone());
        }
        let path = if self.no_demo {
            "no-demo"
        } else if self.raw {
            "raw"
        } else {
            "pthread"
        };
        let tdir = match &self.target_dir {
            Some(d) => d.clone(),
            None => self
                .root
                .join("target/emulate")
                .join(&self.triple)
                .join(path),
        };
        let lib = tdir.join(&self.triple).join("debug/librt0_demo.a");
        if !self.no_demo {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut c = Command::new(cargo);
            c.current_dir(&self.root)
                .args([
                    "build",
                    "-q",
                    "-p",
                    "rt0-demo",
                    "--target",
                    &self.triple,
                    "--target-dir",
                ])
                .arg(&tdir);
            if self.raw {
                c.args(["--features", "raw"]);
            }
            run(&mut c, "cargo build of the demo")?;
            if !lib.exists() {
                return Err(Error::Build(format!("{} was not produced", lib.display())));
            }
        }
        let work = tdir.join("emulate-link");
        let io = |e: std::io::Error| Error::Build(format!("{}: {e}", work.display()));
        std::fs::create_dir_all(&work).map_err(io)?;
        let tbd = work.join("libSystem.tbd");
        std::fs::write(&tbd, exports::tbd_text()).map_err(io)?;
        let host = match &self.host {
            Some(h) => h.clone(),
            None if self.no_demo => {
                return Err(Error::Build("--no-demo needs --host FILE.c".into()))
            }
            None => self.root.join("examples/demo/host/host.c"),
        };
        let host_dir = host
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let stem = host
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "host".into());
        let obj = work.join(format!("{stem}.o"));
        let mut cc = Command::new(std::env::var("RT0_CLANG").unwrap_or_else(|_| "clang".into()));
        cc.arg(format!("--target={}", self.cpu.clang_target()))
            .args(["-c", "-O1", "-fno-stack-protector", "-nostdlibinc"])
            .arg("-isystem")
            .arg(self.root.join("tools/rt0-port/sdk/include"))
            .arg("-I")
            .arg(&host_dir)
            .arg("-I")
            .arg(self.root.join("examples/demo/include"))
            .arg(&host)
            .arg("-o")
            .arg(&obj);
        run(&mut cc, "compiling the host")?;
        let exe = work.join(stem);
        let mut ld = Command::new(linker());
        ld.args([
            "-arch",
            self.cpu.macho_arch(),
            "-platform_version",
            "macos",
            "11.0",
            "11.0",
            "-o",
        ])
        .arg(&exe)
        .arg(&obj);
        if !self.no_demo {
            ld.arg(&lib);
        }
        ld.arg(&tbd);
        match run(&mut ld, "linking") {
            Ok(_) => {}
            Err(Error::Build(output)) => {
                let names: Vec<String> = output
                    .lines()
                    .filter_map(|l| l.split("undefined symbol: ").nth(1))
                    .map(|s| s.trim().to_string())
                    .collect();
                if names.is_empty() {
                    return Err(Error::Build(output));
                }
                return Err(Error::LinkUnresolved { names, output });
            }
            Err(e) => return Err(e),
        }
        Ok(exe)
    }
}
