//! "Survive the host" on the other Linux targets from this x86_64 machine: aarch64
//! glibc under qemu-user (`qemu-aarch64-static -L /usr/aarch64-linux-gnu`; static, shared and
//! dlopen links) and, for the scenarios that do not unload a library, x86_64 musl (`musl-gcc`,
//! dynamic and fully static hosts, static archive only: musl targets build no cdylib), run
//! natively. The hosts are the native ones, `tests/hosts/rel_*.c`, unchanged; both demo paths
//! (pthread, raw) every time. docs/reliability.md holds the table.
//!
//! What qemu-user changes, and how the checks account for it:
//! - `/proc/self/maps` is emulated: the guest sees its own mappings only, so mapping counts and
//!   the init stack's permissions and guard are checked as natively.
//! - `/proc/self/task` is the host's: it lists qemu's own RCU thread next to the guest's threads
//!   (guest threads are host threads, with the same ids). Thread counts are therefore compared
//!   with a baseline taken in the same process, never with an absolute number.
//! - a guest seccomp filter is not installed by qemu-user (it would filter qemu's own host
//!   syscalls), so the seccomp case is native-only; RLIMIT_NPROC works because every guest
//!   thread is a host thread of the qemu process, which runs under `setpriv` as user `nobody`.
//! - iteration counts are scaled for the emulator where the native test repeats a lot (named at
//!   each test).
//!
//! `cargo test --test cross_reliability`; the tools come from ci/needs/ports.txt.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

#[path = "support/cross.rs"]
mod cross;
#[path = "support/cross_rel.rs"]
mod cross_rel;
mod support;

use cross::Host;
use cross_rel::{run_wrapped, DEADLINE};
use support::reliability::{self as rel, Runner, ThreadRounds};
use support::{DemoPath, Link};

const A64: Host = Host::Aarch64Gnu;
const MUSL: [Host; 2] = [Host::MuslDynamic, Host::MuslStatic];
/// aarch64 glibc and x86_64 musl, for the scenarios that do not unload a library.
const ALL: [Host; 3] = [A64, MUSL[0], MUSL[1]];
const LINKS: [Link; 3] = [Link::Static, Link::Shared, Link::Dlopen];

/// Runs `f` for every host in `hosts`, both demo paths and every link in `links` the host
/// supports (musl targets build no cdylib: static only), with a label naming the combination
/// and a runner for `source` built for it, started behind `wrapper` (see
/// [`cross_rel::run_wrapped`]) with the emulator's deadline.
fn each(
    hosts: &[Host],
    links: &[Link],
    source: &str,
    wrapper: &[&str],
    f: impl Fn(&str, DemoPath, Link, Runner),
) {
    cross_rel::each(hosts, links, source, |host, path, link, d, exe| {
        let runner = |args: &[&str], env: &[(&str, String)]| {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            run_wrapped(host, wrapper, exe, args, &env, d, DEADLINE)
        };
        f(&format!("{host:?}/{path:?}/{link:?}"), path, link, &runner);
    });
}

/// Host handlers set by a priority constructor stay installed and fire, also for a
/// SIGUSR1 sent while main waits in an export; rt0 installs none. aarch64 (S Sh D) and musl (S).
#[test]
fn host_signal_handlers_survive_and_fire() {
    each(&ALL, &LINKS, rel::SIGNALS, &[], |l, _, k, r| {
        rel::host_signal_handlers_survive_and_fire(l, k, r)
    });
}

/// A SIGUSR1 storm while the cdylib is loaded and unloaded; aarch64 only (needs dlclose).
/// 100 loads per path under qemu (200 natively).
#[test]
fn signal_storm_during_100_loads_and_unloads() {
    each(&[A64], &[Link::Dlopen], rel::STORM, &[], |l, p, _, r| {
        rel::signal_storm_during_loads_and_unloads(l, p, 100, r)
    });
}

/// 64 host threads call exports during a slow init and all see the whole result.
/// S and Sh: 3 processes per path under qemu and musl (5 natively); D: 10 load/unload rounds in
/// one process (20 natively).
#[test]
fn sixty_four_threads_wait_for_slow_init_many_rounds() {
    let rounds = ThreadRounds {
        processes: 3,
        dlopen_rounds: 10,
        init_sleep_ms: 60,
    };
    each(&ALL, &LINKS, rel::THREADS, &[], |l, _, k, r| {
        rel::sixty_four_threads_wait_for_slow_init_many_rounds(l, k, rounds, r)
    });
}

/// Dlopen/dlclose 1,000 times per path on aarch64 (as natively: ~10 s per path under
/// qemu), a quarter closed while init still runs: no crash; threads (`/proc/self/task`, which
/// under qemu also lists qemu's RCU thread, so the baseline is 2) and guest mappings (qemu's
/// emulated `/proc/self/maps`) back at the baseline; fork still works afterwards.
#[test]
fn dlopen_dlclose_1000_times_leaves_no_thread_or_mapping() {
    each(&[A64], &[Link::Dlopen], rel::DLCLOSE, &[], |l, p, _, r| {
        // Under qemu glibc's thread-stack cache holds one more 8 MiB stack at some checkpoints
        // (22 or 24 mapping lines, never more over 1,000 cycles): a slack of one stack (2 lines).
        rel::dlopen_dlclose_1000_times_leaves_no_thread_or_mapping(l, p, 2, r)
    });
}

/// dlclose during a 1 s init on aarch64: returns before init finished (order on fd 2); pthread:
/// unmapped once the init thread ended; raw: stays mapped (RTLD_NODELETE), init finishes there.
#[test]
fn dlclose_during_init_returns_before_init_finishes() {
    each(&[A64], &[Link::Dlopen], rel::UNLOAD, &[], |l, p, _, r| {
        rel::dlclose_during_init_returns_before_init_finishes(l, p, 1000, r)
    });
}

/// Fork while init runs: the child runs init anew (the demo's `on_fork` is rt0's default,
/// reinit) and its exports answer ready from it, its `exit` does not hang, the parent is
/// unaffected. aarch64 (S Sh D) and musl (S).
#[test]
fn fork_during_init_child_answers_and_exits_parent_unaffected() {
    each(&ALL, &LINKS, rel::FORK, &[], |l, _, _, r| {
        rel::fork_during_init_child_answers_and_exits_parent_unaffected(l, r)
    });
}

/// Fork after init finished (a 500 ms init): the child runs init again on a thread of its own,
/// with the creator of the load, and answers ready; its exit does not hang; the parent is
/// unaffected. aarch64 under qemu (S Sh D; qemu-user ignores MADV_WIPEONFORK, so there the
/// pthread_atfork handler marks the child) and musl (S), both creators.
#[test]
fn fork_after_init_child_runs_its_own_init_parent_unaffected() {
    each(&ALL, &LINKS, rel::FORK_AFTER, &[], |l, p, _, r| {
        rel::fork_after_init_child_runs_its_own_init_parent_unaffected(l, p, 500, r)
    });
}

/// An export called from a constructor that runs before rt0's entry (static link) starts
/// the entry itself and waits: ready, with the process's arguments; init calling its own export
/// gets CalledFromInit at once (every link). aarch64 and musl.
#[test]
fn early_calls_and_init_calling_its_own_export_do_not_deadlock() {
    each(&ALL, &[Link::Static], rel::EARLY, &[], |l, _, _, r| {
        rel::early_call_starts_the_entry_and_waits(l, r)
    });
    each(&ALL, &LINKS, rel::EARLY, &[], |l, _, _, r| {
        rel::init_calling_its_own_export_does_not_deadlock(l, r)
    });
}

/// on aarch64 and musl: RLIMIT_NPROC = 1 as user `nobody` (setpriv execs qemu, whose host threads
/// are the guest's threads; the host's constructor sets the limit before rt0's entry). The entry
/// reports the failure, exports fail, the host lives on; `try_newosproc0` returns EAGAIN;
/// `newosproc0` prints its message and exits 1. (7a, the seccomp filter, is native-only: qemu-user
/// does not install a guest's filter.)
#[test]
fn thread_create_refused_by_rlimit_nproc_fails_init_not_the_host() {
    each(
        &ALL,
        &[Link::Static],
        rel::FAULTS,
        rel::as_nobody(),
        |l, p, _, r| {
            rel::thread_create_refused_by_rlimit_nproc_fails_init_not_the_host(l, p, true, r)
        },
    );
}

/// on aarch64 and musl: an init stack that cannot be mapped (2^62 bytes), every link.
#[test]
fn init_stack_that_cannot_be_mapped_fails_init_not_the_host() {
    each(&ALL, &LINKS, rel::FAULTS, &[], |l, p, _, r| {
        rel::init_stack_that_cannot_be_mapped_fails_init_not_the_host(l, p, r)
    });
}

/// Init overflowing its stack (64 KiB and 8 MiB) dies on the guard page with SIGSEGV or
/// SIGBUS (qemu re-raises the guest's fatal signal on itself). aarch64 (S Sh D) and musl (S).
#[test]
fn init_stack_overflow_dies_on_the_guard_page() {
    each(&ALL, &LINKS, rel::EARLY, &[], |l, _, _, r| {
        rel::init_stack_overflow_dies_on_the_guard_page(l, r)
    });
}

/// on aarch64 and musl: init returning an error: exports report failure, the message is
/// kept.
#[test]
fn init_error_is_reported_by_every_export_with_its_message() {
    each(&ALL, &LINKS, rel::FAULTS, &[], |l, _, _, r| {
        rel::init_error_is_reported_by_every_export_with_its_message(l, r)
    });
}

/// panic path, on aarch64: `tests/crates/panic-init` (its own `panic = "unwind"`
/// profile) cross-built for aarch64 (the linker comes from .cargo/config.toml);
/// its init panics, rt0 catches the panic on the init thread, exports report `Panicked` with the
/// payload kept, and the host lives on.
#[test]
fn init_panic_with_std_is_caught_and_its_message_kept() {
    let target_dir = support::root().join("target/scenarios/aarch64-unknown-linux-gnu/panic-init");
    let exe = rel::build_panic_host(Some(A64.target()), &target_dir, "aarch64-linux-gnu-gcc");
    let d = cross::demo(A64, DemoPath::Pthread); // only for run_wrapped's RT0_DEMO_SO; unused
    rel::init_panic_with_std_is_caught_and_its_message_kept(&|args, env| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cross_rel::run(A64, &exe, args, &env, &d)
    });
}

/// on aarch64: no text relocations (the cdylib; a PIE host linked with `-z text` against
/// the archive); the init stack is read/write with an inaccessible guard right below (qemu's
/// emulated `/proc/self/maps` shows the guest's protections); argv/envp are rt0's read-only copy.
#[test]
fn no_text_relocations_rw_stacks_with_guard_and_a_read_only_copy_of_the_arguments() {
    for path in DemoPath::ALL {
        rel::no_text_relocations(
            &format!("{A64:?}/{path:?}"),
            &cross::demo(A64, path),
            "aarch64-linux-gnu-gcc",
            "rel-pie-ztext-aarch64",
        );
    }
    // Init sleeps longer than natively (500 ms): the host reads its maps while it runs, under
    // qemu. The raw path's guard is the port's 64 KiB (abi.toml [stack] guard_size); glibc's is
    // a page.
    each(&[A64], &LINKS, rel::SECURITY, &[], |l, p, _, r| {
        let min_guard = if p == DemoPath::Raw { 65536 } else { 4096 };
        rel::rw_stacks_with_guard_and_a_read_only_copy_of_the_arguments(l, 800, min_guard, r)
    });
}

/// The host ends while init runs (aarch64, S Sh D; musl, S), with an init that would run for
/// weeks: `exit` and `_exit` both end the process at once, status 0.
#[test]
fn exit_during_init_does_not_wait_for_it() {
    each(&ALL, &LINKS, rel::EXIT, &[], |l, _, _, r| {
        rel::exit_during_init_does_not_wait_for_it(l, r)
    });
}

/// setgid/setuid in main while init runs, on musl (`__synccall` signals each of musl's threads
/// and waits for all) and aarch64: the calls return while init still runs, init then finishes;
/// the pthread init thread's uid changed with the others, the raw one's did not.
#[test]
fn setuid_during_init_completes_and_init_finishes() {
    each(&ALL, &LINKS, rel::SETID, &[], |l, p, _, r| {
        rel::setuid_during_init_completes_and_init_finishes(l, p, 500, r)
    });
}

/// RLIMIT_NOFILE exhausted on musl (static archive, dynamic and static hosts): an export during a
/// slow init waits and succeeds; an export from a constructor before the entry still starts init.
/// (Not under qemu: the emulator needs descriptors of its own.)
#[test]
fn exports_wait_and_succeed_with_no_free_descriptor() {
    each(&MUSL, &[Link::Static], rel::NOFILE, &[], |l, _, _, r| {
        rel::export_waits_and_succeeds_with_no_free_descriptor(l, r);
        rel::early_call_with_no_free_descriptor_still_initializes(l, r);
    });
}
