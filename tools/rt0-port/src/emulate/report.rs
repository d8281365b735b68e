//! The run report (`--report FILE`): what happened, one fact per line (`key=value`), for tests
//! and for people: dyld's initializer calls, every thread with its creator and signal masks,
//! syscall and libSystem call counts, the virtual time and the exit status.

use std::path::Path;

use crate::emulate::kernel::thread::{kport_state, KportState};
use crate::emulate::kernel::{Process, Run};
use crate::emulate::libsystem::LibSystem;

/// Writes the report to `path`.
pub fn write(p: &Process<LibSystem>, path: &Path, status: i32) {
    let (st, ls) = (&p.kernel, &p.user);
    let mut out = String::new();
    for l in &st.report {
        out.push_str(l);
        out.push('\n');
    }
    let mut kport_leaks = 0;
    for t in &st.threads {
        let kport = match kport_state(t) {
            KportState::NotTracked => "-".to_string(),
            KportState::Live => format!("{:#x}:live", t.kport),
            KportState::Released => format!("{:#x}:released", t.kport),
            KportState::Leaked => {
                kport_leaks += 1;
                format!("{:#x}:leaked", t.kport)
            }
            KportState::Wrong(p) => {
                kport_leaks += 1;
                format!("{:#x}:leaked_gave_back_{p:#x}", t.kport)
            }
        };
        let calls = ls.threads.seen(t.idx).map(|l| &l.libcalls);
        let libcalls = match calls.filter(|c| !c.is_empty()) {
            None => "-".to_string(),
            Some(c) => {
                let v: Vec<String> = c.iter().map(|(n, c)| format!("{n}:{c}")).collect();
                v.join(",")
            }
        };
        out.push_str(&format!(
            "thread {} tid={:#x} via={} created_by={} entry={:#x} start_mask={:#x} final_mask={:#x} state={} kport={kport} libcalls={libcalls}\n",
            t.idx + 1,
            t.tid,
            t.via,
            t.created_by.map(|c| (c + 1).to_string()).unwrap_or_else(|| "-".into()),
            t.entry,
            t.start_mask,
            t.sigmask,
            match t.run {
                Run::Runnable => "runnable",
                Run::Blocked { .. } => "blocked",
                Run::Exited => "exited",
            }
        ));
    }
    out.push_str(&format!("kport_leaks={kport_leaks}\n"));
    out.push_str(&format!(
        "stack_addr_hint={:#x} set_by_bsdthread_register={}\n",
        st.stack_addr_hint, st.stack_addr_hint_sets
    ));
    out.push_str(&format!(
        "image_dlopen_nodelete={}\n",
        ls.dyld.nodelete as u8
    ));
    for (n, c) in &st.syscalls {
        out.push_str(&format!("syscall {n} count={c}\n"));
    }
    for (n, c) in &ls.libcalls {
        out.push_str(&format!("libcall {n} count={c}\n"));
    }
    out.push_str(&format!("virtual_ns={}\nstatus={status}\n", st.clock));
    let _ = std::fs::write(path, out);
}
