//! Position independence: the stubs' code carries only PC-relative relocations, and the shared
//! library needs no text relocations (a loader patching code pages).

use std::path::Path;

use rt0_inspect::{image, Object};

use super::step::{step, Step, Verdict};
use crate::description::{Description, Os};

/// The load-time patches of code in the image at `path` ([`image::text_relocations`]).
fn code_patches(path: &Path) -> Result<Vec<String>, String> {
    let obj = Object::read(path)?;
    let fixups = image::text_relocations(&obj).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(fixups.iter().map(ToString::to_string).collect())
}

/// The shared library the target builds (if any) has no text relocations.
pub fn text_relocations(d: &Description, dir: &Path) -> Step {
    let name = "no text relocations";
    match d.os {
        // PE images are rebased by the loader through .reloc; no text-relocation flag exists.
        Os::Windows => step(name, Verdict::Skip, "PE: the loader rebases through .reloc"),
        Os::Linux => {
            let so = dir.join("librt0_demo.so");
            if !so.is_file() {
                return step(
                    name,
                    Verdict::Skip,
                    "the target builds no cdylib (musl: static only)",
                );
            }
            match code_patches(&so) {
                Ok(found) if !found.is_empty() => step(
                    name,
                    Verdict::Fail,
                    format!("{}: {} present", so.display(), found.join(", ")),
                ),
                Ok(_) => step(name, Verdict::Pass, "librt0_demo.so: no DT_TEXTREL"),
                Err(e) => step(name, Verdict::Fail, e),
            }
        }
        Os::Darwin => {
            let dylib = dir.join("librt0_demo.dylib");
            if !dylib.is_file() {
                return step(name, Verdict::Skip, "no librt0_demo.dylib was linked");
            }
            match code_patches(&dylib) {
                Ok(found) if !found.is_empty() => step(
                    name,
                    Verdict::Fail,
                    format!("rebase in __TEXT: {}", found.join(", ")),
                ),
                Ok(_) => step(
                    name,
                    Verdict::Pass,
                    "librt0_demo.dylib: every rebase is in a data segment",
                ),
                Err(e) => step(name, Verdict::Fail, e),
            }
        }
    }
}

/// Whether a relocation type in a code section would need the loader to patch the code (an
/// absolute address), rather than being resolved PC-relative at link time.
pub fn absolute_relocation(kind: &str) -> bool {
    matches!(
        kind,
        "R_X86_64_64"
            | "R_X86_64_32"
            | "R_X86_64_32S"
            | "R_AARCH64_ABS64"
            | "R_AARCH64_ABS32"
            | "R_AARCH64_ABS16"
            // riscv: data words and the absolute `lui`/`addi` pair (PC-relative is
            // R_RISCV_PCREL_*, branches R_RISCV_BRANCH/JAL/RVC_*).
            | "R_RISCV_64"
            | "R_RISCV_32"
            | "R_RISCV_HI20"
            | "R_RISCV_LO12_I"
            | "R_RISCV_LO12_S"
    ) || kind.starts_with("R_AARCH64_MOVW_UABS")
        || kind == "X86_64_RELOC_UNSIGNED"
        || kind == "ARM64_RELOC_UNSIGNED"
}

/// The stubs' own code needs no text relocation: every relocation in their code sections is
/// PC-relative (checked on the objects, so it holds for targets that build no shared library too).
pub fn stub_relocations(objects: &[(String, Object)]) -> Step {
    let name = "stubs position-independent";
    let mut bad = Vec::new();
    for (member, obj) in objects {
        for r in &obj.relocations {
            let section = &obj.sections[r.section];
            if section.is_code() && absolute_relocation(&r.kind) {
                bad.push(format!(
                    "{member} {}: {} {}",
                    section.name, r.kind, r.target
                ));
            }
        }
    }
    if bad.is_empty() {
        step(
            name,
            Verdict::Pass,
            "entry and syscall objects: only PC-relative relocations in code",
        )
    } else {
        step(
            name,
            Verdict::Fail,
            format!(
                "absolute relocations in code (text relocations once linked):\n{}",
                bad.join("\n")
            ),
        )
    }
}
