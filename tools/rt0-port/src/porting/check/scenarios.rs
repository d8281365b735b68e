//! The scenarios a port is verified by (`target.verified_by`): the native or qemu-user test
//! suites through cargo, or the emulated XNU through `rt0-port emulate`.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use super::step::{step, Step, Verdict};
use crate::description::{Description, Os};
use crate::porting::ctx::Ctx;
use crate::porting::toolchain::{cargo, host_triple, run_cmd};

/// Scenario runs shared by every port in one invocation (`cross_scenarios` runs once).
#[derive(Default)]
pub struct Shared {
    ran: BTreeMap<String, Step>,
}

impl Shared {
    fn cargo_test(&mut self, ctx: &Ctx, test: &str) -> Step {
        if let Some(s) = self.ran.get(test) {
            return Step {
                detail: format!("{} (ran once for this invocation)", s.detail),
                ..s.clone()
            };
        }
        let name = format!("scenarios ({test})");
        let s = if !ctx.root.join("tests").join(format!("{test}.rs")).is_file() {
            step(
                &name,
                Verdict::Skip,
                format!("tests/{test}.rs is not in this tree"),
            )
        } else if ctx.foreign_arch {
            step(
                &name,
                Verdict::Skip,
                "scenarios run on the workspace's own arch/ only",
            )
        } else {
            let mut cmd = cargo();
            cmd.current_dir(&ctx.root)
                .args(["test", "--test", test, "--target-dir"])
                .arg(ctx.root.join("target/port-check/tests"));
            match run_cmd(&mut cmd) {
                Ok(out) => step(&name, Verdict::Pass, summary_line(&out)),
                Err(out) => step(
                    &name,
                    Verdict::Fail,
                    format!("{}\n{}", summary_line(&out), failures(&out)),
                ),
            }
        };
        self.ran.insert(test.to_string(), s.clone());
        s
    }
}

fn summary_line(out: &str) -> String {
    out.lines()
        .rfind(|l| l.starts_with("test result:"))
        .unwrap_or("no test result line")
        .to_string()
}

fn failures(out: &str) -> String {
    out.lines()
        .filter(|l| l.starts_with("test ") && l.ends_with("FAILED"))
        .take(10)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The scenarios `verified_by` names, where they can run here.
pub fn scenarios(ctx: &Ctx, d: &Description, triple: &str, shared: &mut Shared) -> Vec<Step> {
    let host = host_triple();
    let host_arch = std::env::consts::ARCH;
    let host_os = if cfg!(target_os = "macos") {
        "darwin"
    } else {
        std::env::consts::OS
    };
    let same_machine = d.arch.as_str() == host_arch && d.os.as_str() == host_os;
    match d.verified_by.as_str() {
        "native" if triple == host && d.os == Os::Linux => {
            vec![shared.cargo_test(ctx, "linux_scenarios")]
        }
        "native" if triple == host && d.os == Os::Darwin => {
            vec![shared.cargo_test(ctx, "macos_native")]
        }
        "native" | "qemu-user"
            if d.os == Os::Linux && (same_machine || d.verified_by == "qemu-user") =>
        {
            vec![shared.cargo_test(ctx, "cross_scenarios")]
        }
        "native" => vec![step(
            "scenarios",
            Verdict::Skip,
            format!(
                "native: needs a {} {} host (this is {host})",
                d.arch.as_str(),
                d.os.as_str()
            ),
        )],
        "emulated-xnu" => {
            if ctx.foreign_arch {
                return vec![step(
                    "scenarios (emulated XNU)",
                    Verdict::Skip,
                    "the emulator builds from the workspace's own arch/ only",
                )];
            }
            let exe = match std::env::current_exe() {
                Ok(e) => e,
                Err(e) => {
                    return vec![step(
                        "scenarios (emulated XNU)",
                        Verdict::Fail,
                        format!("cannot find rt0-port itself: {e}"),
                    )]
                }
            };
            let mut v = Vec::new();
            for (label, extra) in [("pthread", &[][..]), ("raw", &["--raw"][..])] {
                let name = format!("emulated XNU ({label})");
                // A concurrent `cargo build` may be relinking this very binary: wait for it.
                let mut out = Command::new(&exe)
                    .arg("emulate")
                    .arg(triple)
                    .args(extra)
                    .stdin(Stdio::null())
                    .output();
                for _ in 0..10 {
                    match &out {
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            std::thread::sleep(std::time::Duration::from_secs(3));
                            out = Command::new(&exe)
                                .arg("emulate")
                                .arg(triple)
                                .args(extra)
                                .stdin(Stdio::null())
                                .output();
                        }
                        _ => break,
                    }
                }
                v.push(match out {
                    Ok(o) if o.status.success() => step(
                        &name,
                        Verdict::Pass,
                        format!(
                            "rt0-port emulate {triple}{}{}: status 0",
                            if extra.is_empty() { "" } else { " " },
                            extra.join(" ")
                        ),
                    ),
                    Ok(o) => {
                        let text = format!(
                            "{}{}",
                            String::from_utf8_lossy(&o.stdout),
                            String::from_utf8_lossy(&o.stderr)
                        );
                        let tail: Vec<&str> = text.lines().rev().take(6).collect();
                        step(
                            &name,
                            Verdict::Fail,
                            format!(
                                "status {:?}\n{}",
                                o.status.code(),
                                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                            ),
                        )
                    }
                    Err(e) => step(
                        &name,
                        Verdict::Fail,
                        format!("running {} emulate: {e}", exe.display()),
                    ),
                });
            }
            v
        }
        // Windows: the hosts run under Wine on x86_64 Linux (tests/windows_wine.rs).
        "wine" if d.os == Os::Windows && host_arch == "x86_64" && host_os == "linux" => {
            vec![shared.cargo_test(ctx, "windows_wine")]
        }
        "wine" => vec![step(
            "scenarios",
            Verdict::Skip,
            format!("wine: runs on an x86_64 Linux host with Wine (this is {host})"),
        )],
        other => vec![step(
            "scenarios",
            Verdict::Fail,
            format!("verified_by = {other:?}: no way to verify this port yet"),
        )],
    }
}
