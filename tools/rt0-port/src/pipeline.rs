//! Build → compile → link: the demo staticlib for the triple (pthread or raw path), the C host,
//! and a Mach-O executable linked by ld64.lld against the emulated libSystem's `.tbd`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::arch::Cpu;
use crate::description::{self, Description};
use crate::libsystem;

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

/// The workspace root: RT0_WORKSPACE, else two levels above this crate's manifest.
fn workspace_root() -> PathBuf {
    if let Some(r) = std::env::var_os("RT0_WORKSPACE") {
        return PathBuf::from(r);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run {:?}: {e}", cmd.get_program()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!("{what} failed:\n{text}"));
    }
    Ok(text)
}

/// ld64.lld under its usual names.
fn linker() -> String {
    if let Ok(l) = std::env::var("RT0_LD64") {
        return l;
    }
    for c in [
        "ld64.lld",
        "ld64.lld-18",
        "ld64.lld-17",
        "ld64.lld-16",
        "ld64.lld-15",
        "ld64.lld-14",
    ] {
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
            root: workspace_root(),
            no_demo: false,
        }
    }

    /// The arch root: `RT0_ARCH_DIR` (as build.rs honours it) or `arch/`.
    pub fn arch_root(&self) -> PathBuf {
        match std::env::var_os("RT0_ARCH_DIR") {
            Some(d) => PathBuf::from(d),
            None => self.root.join("arch"),
        }
    }

    /// The description build.rs compiles the stubs from: the registry's folder for the triple,
    /// its abi.toml, with the registry's overlay if it names one.
    pub fn description(&self) -> Result<Description, String> {
        let root = self.arch_root();
        let reg_file = root.join("targets.toml");
        let reg_text = std::fs::read_to_string(&reg_file)
            .map_err(|e| format!("{}: {e}", reg_file.display()))?;
        let reg = description::parse_registry(&reg_file, &reg_text).map_err(|e| e.to_string())?;
        let r = reg
            .iter()
            .find(|r| r.triple == self.triple)
            .ok_or_else(|| format!("{}: no entry for {}", reg_file.display(), self.triple))?;
        let folder = root.join(&r.folder);
        let f = folder.join("abi.toml");
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        match &r.description {
            None => description::parse(&f, &text).map_err(|e| e.to_string()),
            Some(o) => {
                let of = folder.join(o);
                let ot =
                    std::fs::read_to_string(&of).map_err(|e| format!("{}: {e}", of.display()))?;
                description::parse_with_overlay(&f, &text, &of, &ot).map_err(|e| e.to_string())
            }
        }
    }

    /// Build everything; returns the executable.
    pub fn build(&self) -> Result<PathBuf, String> {
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
                return Err(format!("{} was not produced", lib.display()));
            }
        }
        let work = tdir.join("emulate-link");
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        let tbd = work.join("libSystem.tbd");
        std::fs::write(&tbd, libsystem::tbd(self.cpu)).map_err(|e| e.to_string())?;
        let host = match &self.host {
            Some(h) => h.clone(),
            None if self.no_demo => return Err("--no-demo needs --host FILE.c".into()),
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
        if let Err(e) = run(&mut ld, "linking") {
            let undefined: Vec<String> = e
                .lines()
                .filter_map(|l| l.split("undefined symbol: ").nth(1))
                .map(|s| s.trim().to_string())
                .collect();
            if !undefined.is_empty() {
                return Err(format!(
                    "unresolved imports: the emulated libSystem does not provide {}\n{e}",
                    undefined.join(", ")
                ));
            }
            return Err(e);
        }
        Ok(exe)
    }
}
