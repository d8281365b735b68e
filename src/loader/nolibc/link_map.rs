//! The loader's records of what it loaded, as `<link.h>` publishes them: `struct r_debug`
//! (`r_version`, `r_map`) heads a list of `struct link_map` (`l_addr`, `l_name`, `l_ld`,
//! `l_next`, `l_prev`), one per loaded object, in load order, the program first. glibc 2.35
//! and later keep one such list per namespace (`dlmopen`): its `r_debug` then has
//! `r_version` 2 and, after the public fields, `r_next`, the next namespace's record
//! (`struct r_debug_extended`, GLIBC elf/dl-debug.c). musl's `struct debug` and `struct dso`
//! begin with the same fields (MUSL ldso/dynlink.c).
//!
//! These records live in the loader's own data and heap, in no object's segments: every one
//! is copied through the probe, never dereferenced, and each walk is bounded.

use super::probe::{Plain, Probe};

/// `offsetof(struct r_debug, r_map)` on a 64-bit target (after `int r_version` and padding).
const R_MAP: usize = 8;
/// `offsetof(struct r_debug_extended, r_next)`: after `r_map`, `r_brk`, `r_state` (padded),
/// `r_ldbase`.
const R_NEXT: usize = 40;
/// glibc has 16 namespaces (DL_NNS); far more than that is a corrupt chain.
const MAX_NAMESPACES: usize = 256;
/// Objects in one namespace at most, against a corrupt (cyclic) list.
const MAX_OBJECTS: usize = 1 << 16;

/// The public head of `struct link_map`.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct LinkMap {
    /// The load bias (run-time minus link-time address; not the ELF header's address for an
    /// object linked elsewhere than 0).
    pub(super) l_addr: usize,
    /// The name the object was loaded by (a path for a dlopened library; "" for the program).
    pub(super) l_name: usize,
    /// The run-time address of its dynamic section.
    pub(super) l_ld: usize,
    l_next: usize,
    l_prev: usize,
}

// SAFETY: a repr(C) record of integers: every bit pattern is a value.
unsafe impl Plain for LinkMap {
    const ZERO: Self = LinkMap {
        l_addr: 0,
        l_name: 0,
        l_ld: 0,
        l_next: 0,
        l_prev: 0,
    };
}

/// Where this image is in the loader's lists.
pub(super) struct Found {
    /// Its `l_name`.
    pub(super) name: usize,
    /// The namespace (0: the first, the program's).
    pub(super) namespace: usize,
    /// Whether it is the first object of the first namespace: the program itself.
    pub(super) is_program: bool,
}

/// The `r_debug` record of each namespace in turn (index, address), from the first one's.
fn namespaces(probe: &Probe, first: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut next = Some(first);
    (0..MAX_NAMESPACES).map_while(move |index| {
        let r_debug = next.take().filter(|&r| r != 0)?;
        // Only a record of version 2 or later has r_next.
        let version = probe.read::<u32>(r_debug).unwrap_or(0);
        if version >= 2 {
            next = probe.read::<usize>(r_debug + R_NEXT);
        }
        Some((index, r_debug))
    })
}

/// Calls `visit` with each object of the namespace whose `r_debug` record is `r_debug`, in
/// list order with its position, until it returns `Some`; stops where a record cannot be read.
pub(super) fn each_object<T>(
    probe: &Probe,
    r_debug: usize,
    mut visit: impl FnMut(usize, &LinkMap) -> Option<T>,
) -> Option<T> {
    let mut map = probe.read::<usize>(r_debug + R_MAP)?;
    for position in 0..MAX_OBJECTS {
        if map == 0 {
            return None;
        }
        let object: LinkMap = probe.read(map)?;
        if let Some(result) = visit(position, &object) {
            return Some(result);
        }
        map = object.l_next;
    }
    None
}

/// Finds the object whose dynamic section is `own` (this image's `_DYNAMIC`) in every
/// namespace's list; returns where, and the namespace's `r_debug` record.
pub(super) fn find(probe: &Probe, r_debug: usize, own: usize) -> Option<(Found, usize)> {
    namespaces(probe, r_debug).find_map(|(namespace, record)| {
        each_object(probe, record, |position, object| {
            (object.l_ld == own).then_some(Found {
                name: object.l_name,
                namespace,
                is_program: namespace == 0 && position == 0,
            })
        })
        .map(|found| (found, record))
    })
}
