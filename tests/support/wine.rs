//! Running Windows hosts under Wine on Linux: which Wine loader to run, its release, the
//! command with rt0's test prefix, and the `ProcessPrng` shim an older Wine needs for a std
//! library. Shared by tests/windows_wine.rs and tests/start_modes_cross.rs.

use super::{compile_once, root};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The Wine loader: `wine64` where it is on the PATH (Wine's own packages), Debian's
/// `/usr/lib/wine/wine64`, else `wine`.
pub fn wine() -> &'static str {
    static WINE: OnceLock<&'static str> = OnceLock::new();
    WINE.get_or_init(|| {
        let on_path = |name: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if on_path("wine64") {
            "wine64"
        } else if Path::new("/usr/lib/wine/wine64").exists() {
            "/usr/lib/wine/wine64"
        } else {
            "wine"
        }
    })
}

/// The Wine release, as `(major, minor)`: `wine-8.0 (Debian 8.0~repack-4)` is `(8, 0)`.
pub fn wine_version() -> (u32, u32) {
    let out = Command::new(wine())
        .arg("--version")
        .output()
        .expect("run wine --version");
    let text = String::from_utf8_lossy(&out.stdout);
    let number = text
        .trim()
        .strip_prefix("wine-")
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit() && c != '.').next())
        .unwrap_or_else(|| panic!("unexpected `wine --version`: {text}"));
    let mut parts = number.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Whether Wine has `ProcessPrng` in bcryptprimitives.dll, which Rust's std imports: since 8.13.
pub fn has_process_prng() -> bool {
    wine_version() >= (8, 13)
}

/// `exe` under Wine, in its own folder (where the Windows loader looks for DLLs first), with
/// the tests' Wine prefix and Wine's own messages off.
pub fn command(exe: &Path) -> Command {
    let mut cmd = Command::new(wine());
    cmd.arg(exe)
        .current_dir(exe.parent().unwrap())
        .env("WINEPREFIX", root().join("target/wine-prefix"))
        .env("WINEDEBUG", "-all");
    cmd
}

/// Builds the README's workaround for a Wine without `ProcessPrng`,
/// `docs/windows/bcryptprimitives-shim.c`, as `dir/bcryptprimitives.dll` with the C compiler
/// `cc` (once).
pub fn build_process_prng_shim(dir: &Path, cc: &str) {
    compile_once(
        dir.join("bcryptprimitives.dll"),
        "the bcryptprimitives shim",
        |tmp| {
            let mut cmd = Command::new(cc);
            cmd.args(["-O2", "-Wall", "-Werror", "-shared"])
                .arg(root().join("docs/windows/bcryptprimitives-shim.c"))
                .arg("-ladvapi32")
                .arg("-o")
                .arg(tmp);
            cmd
        },
    );
}
