//! Support for `tests/cross_reliability.rs`, whose checks are in `support/reliability.rs`: the
//! reliability hosts (`tests/hosts/rel_*.c`) built for another Linux target by
//! [`crate::cross::build_host`] and run through that target's runner (qemu-user for aarch64,
//! nothing for x86_64 musl), optionally behind a wrapper command such as `setpriv` (which must
//! then exec the emulator, so the limits it sets apply to qemu's threads, which are the guest's
//! threads).

#![allow(dead_code)]

use crate::cross::{self, Host};
use crate::support::{run_with, Demo, DemoPath, Link, Run};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// qemu-user is several times slower than the hardware: a generous deadline, still a hang detector.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `exe` for `host` with `args` and extra environment: `wrapper... runner... exe args...`,
/// with `RT0_DEMO_SO` pointing at `demo`'s cdylib and a deadline that turns a hang into a failure.
pub fn run_wrapped(
    host: Host,
    wrapper: &[&str],
    exe: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    demo: &Demo,
    deadline: Duration,
) -> Run {
    let mut argv: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    argv.extend(host.runner());
    argv.push(exe.to_string_lossy().into_owned());
    argv.extend(args.iter().map(|s| s.to_string()));
    let (program, rest) = argv.split_first().expect("a program");
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
    run_with(&PathBuf::from(program), &rest, &env, deadline, Some(demo))
}

/// [`run_wrapped`] with no wrapper and the default deadline.
pub fn run(host: Host, exe: &Path, args: &[&str], env: &[(&str, &str)], demo: &Demo) -> Run {
    run_wrapped(host, &[], exe, args, env, demo, DEADLINE)
}

/// Calls `f(host, path, link, demo, exe)` for every host in `hosts`, both demo paths and every
/// link in `links` the host supports (musl targets build no cdylib: static only).
pub fn each(
    hosts: &[Host],
    links: &[Link],
    source: &str,
    mut f: impl FnMut(Host, DemoPath, Link, &Demo, &Path),
) {
    for &host in hosts {
        for path in DemoPath::ALL {
            let d = cross::demo(host, path);
            for &link in links.iter().filter(|l| host.links().contains(l)) {
                let exe = cross::build_host(host, &d, source, link);
                f(host, path, link, &d, &exe);
            }
        }
    }
}
