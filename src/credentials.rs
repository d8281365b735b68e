//! Linux: can any thread of this process change its user or group ids?
//!
//! Linux keeps credentials per thread: `setuid` and friends in glibc and musl change every
//! thread the C library knows, one by one, and a thread made by rt0's raw creator is not one of
//! them. So a raw thread would keep ids or capabilities the process dropped, and the raw
//! creator refuses to start where any thread could change them. "Any thread", not only the
//! loading one: capabilities (`capset`) are per thread too, and a host may hold `CAP_SETUID` on
//! another thread than the one that loads the library.
//!
//! Each thread's credentials are in `/proc/self/task/<tid>/status` (`Uid:`, `Gid:`, `CapPrm:`;
//! proc(5)), read with rt0's own system calls (no libc, no allocation: this runs in the
//! loader's initializer). Where `/proc` cannot be read, the check falls back to the calling
//! thread's own ids and capabilities (`getresuid`, `getresgid`, `capget`).

use crate::abi::{constants as k, nr};
use crate::sys::{raw, Arg, Nr};

/// Whether some thread of this process can change its ids: its real, effective and saved user
/// (or group) ids differ, or `CAP_SETUID`/`CAP_SETGID` is in its permitted set. `None` when
/// `/proc/self/task` cannot be read.
pub(crate) fn some_thread_can_change_ids() -> Option<bool> {
    let dir = raw::open_readonly(b"/proc/self/task\0").ok()?;
    let mut answer = Some(false);
    let mut entries = [0u8; 2048];
    'reading: loop {
        // SAFETY: getdents64 writes at most `entries.len()` bytes of records into the buffer.
        let n = match unsafe {
            raw::syscall3(
                Nr(nr::GETDENTS64),
                Arg(dir),
                Arg(entries.as_mut_ptr() as usize),
                Arg(entries.len()),
            )
        } {
            Ok(0) => break,
            Ok(n) => n.min(entries.len()),
            Err(_) => {
                answer = None;
                break;
            }
        };
        let mut at = 0;
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        while let Some(record) = entries.get(at..n) {
            let Some(&[lo, hi]) = record.get(16..18) else {
                break;
            };
            let len = usize::from(u16::from_ne_bytes([lo, hi]));
            let name = record.get(19..len.min(record.len())).unwrap_or(&[]);
            let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
            if len == 0 {
                break;
            }
            at += len;
            if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
                continue; // "." and ".."
            }
            // A thread that went away while we looked (its file is gone) has nothing to say.
            if thread_can_change_ids(name) == Some(true) {
                answer = Some(true);
                break 'reading;
            }
        }
    }
    // SAFETY: the descriptor is ours and used by nothing else.
    unsafe { raw::close(dir) };
    answer
}

/// What `/proc/self/task/<tid>/status` says of thread `tid` (its decimal name): `None` when the
/// file cannot be read (the thread ended), `Some(true)` for a text it cannot parse (refuse
/// rather than guess).
fn thread_can_change_ids(tid: &[u8]) -> Option<bool> {
    let mut path = [0u8; 64];
    let mut len = 0;
    for part in [&b"/proc/self/task/"[..], tid, b"/status\0"] {
        for &b in part {
            *path.get_mut(len)? = b;
            len += 1;
        }
    }
    let mut status = [0u8; 4096];
    let n = crate::procself::read_file(path.get(..len)?, &mut status).ok()?;
    Some(can_change_ids(status.get(..n).unwrap_or(&[])).unwrap_or(true))
}

/// Whether a `status` text shows a thread that can change its ids (see
/// [`some_thread_can_change_ids`]); `None` when a line is missing.
pub(crate) fn can_change_ids(status: &[u8]) -> Option<bool> {
    let line = |key: &[u8]| {
        status
            .split(|&b| b == b'\n')
            .find_map(|l| l.strip_prefix(key))
    };
    let mixed = |key: &[u8]| -> Option<bool> {
        let mut ids = line(key)?
            .split(|&b| b == b'\t' || b == b' ')
            .filter(|f| !f.is_empty())
            .take(3);
        let real = ids.next()?;
        Some(ids.any(|id| id != real))
    };
    let permitted = line(b"CapPrm:")?
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .try_fold(0u64, |v, &b| {
            let digit = (b as char).to_digit(16)?;
            Some(v.checked_mul(16)? | u64::from(digit))
        })?;
    let setid = (1u64 << k::CAP_SETUID) | (1u64 << k::CAP_SETGID);
    Some(mixed(b"Uid:")? || mixed(b"Gid:")? || permitted & setid != 0)
}

#[cfg(test)]
mod tests {
    use super::can_change_ids;

    const ROOT: &[u8] =
        b"Name:\tx\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapPrm:\t000001ffffffffff\n";
    const NOBODY: &[u8] =
        b"Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nCapPrm:\t0000000000000000\n";

    #[test]
    fn a_status_text_says_who_can_change_ids() {
        assert_eq!(can_change_ids(ROOT), Some(true));
        assert_eq!(can_change_ids(NOBODY), Some(false));
        // Set-user-id: the effective id differs from the real one.
        let setuid = b"Uid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\nCapPrm:\t0\n";
        assert_eq!(can_change_ids(setuid), Some(true));
        // Only CAP_SETGID (bit 6) permitted.
        let setgid_cap = b"Uid:\t7\t7\t7\t7\nGid:\t7\t7\t7\t7\nCapPrm:\t0000000000000040\n";
        assert_eq!(can_change_ids(setgid_cap), Some(true));
        assert_eq!(can_change_ids(b"Uid:\t7\t7\t7\t7\n"), None);
    }
}
