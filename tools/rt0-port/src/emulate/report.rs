//! The run report (`--report FILE`): what happened, one fact per line (`key=value`), for tests
//! and for people: dyld's initializer calls, every thread with its creator and signal masks,
//! syscall and libSystem call counts, the virtual time and the exit status.

use crate::emulate::process::{Run, State};

/// Writes the report `--report FILE` asks for (nothing without it).
pub fn write(st: &State, status: i32) {
    let Some(path) = st.opts.report.clone() else {
        return;
    };
    let mut out = String::new();
    for l in &st.report {
        out.push_str(l);
        out.push('\n');
    }
    for t in &st.threads {
        out.push_str(&format!(
            "thread {} tid={:#x} via={} created_by={} entry={:#x} start_mask={:#x} final_mask={:#x} state={}\n",
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
    for (n, c) in &st.syscalls {
        out.push_str(&format!("syscall {n} count={c}\n"));
    }
    for (n, c) in &st.libcalls {
        out.push_str(&format!("libcall {n} count={c}\n"));
    }
    out.push_str(&format!("virtual_ns={}\nstatus={status}\n", st.clock));
    let _ = std::fs::write(path, out);
}
