//! Reading a cross-built Mach-O archive and the dylibs linked from it, through rt0-inspect
//! (goblin and capstone, the same reader as `rt0-port check`): the darwin archive tests
//! (`tests/darwin_archive.rs`, `tests/darwin_arm64_archive.rs`) share these.
//!
//! What `rt0-port check` states for every port from its description (ci/test runs it) is not
//! checked again here: the entry stub global, hidden and stateless; the initializer record in
//! the library's object leading to the stub; `rt0_raw_thread_create`'s registers at its trap; the
//! start routine's first move of its stack; PC-relative stub code; no text relocations in the
//! cargo-built dylib. These tests check what follows from linking the archive into a host and
//! what only the darwin stubs do.

use super::Demo;
use rt0_inspect::{disasm, image, is_stub_symbol, Archive, Object};
use std::process::Command;

/// The demo's static library, read.
pub fn archive(demo: &Demo) -> Archive {
    Archive::read(&demo.staticlib()).unwrap_or_else(|e| panic!("{e}"))
}

/// The archive's object that defines rt0's stub `base` (with its hash suffix), and the
/// instructions of that stub.
pub fn stub(archive: &Archive, base: &str) -> (Object, Vec<String>) {
    let (_, obj) = archive
        .object_defining(|s| is_stub_symbol(s, base))
        .unwrap_or_else(|| panic!("no archive member defines {base}"));
    let body = {
        let s = obj
            .defined_symbols()
            .find(|s| is_stub_symbol(&s.name, base))
            .expect("the member defines it");
        disasm::function_text(&obj, s).unwrap_or_else(|e| panic!("{e}"))
    };
    (obj, body)
}

/// Every instruction of the code sections of `obj`.
pub fn all_code(obj: &Object) -> Vec<String> {
    obj.sections
        .iter()
        .filter(|s| s.is_code())
        .flat_map(|s| disasm::disassemble(obj.arch, &s.data, s.address).unwrap_or_default())
        .map(|i| i.text)
        .collect()
}

/// Links `tests/hosts/darwin_lib.c` (a host library that calls one export) with the demo's
/// archive into a dylib the ordinary way: no `-force_load`, no `-read_only_relocs`, through
/// `tools/darwin-sdk/bin/darwin-cc` (ld64.lld here). Then checks what that must give: the one
/// export pulled rt0's entry in, an initializer pointer of the image is the demo's shim, and no
/// rebase lands in `__TEXT` (no text relocations). `arch` is clang's name (`x86_64`, `arm64`).
/// Returns the dylib, read.
pub fn link_host_dylib_and_check_entry(demo: &Demo, arch: &str, label: &str) -> Object {
    let root = super::root();
    let out = demo.dir.join("libhost_calls_demo.dylib");
    let st = Command::new(root.join("tools/darwin-sdk/bin/darwin-cc"))
        .arg(format!("--target={arch}-apple-darwin"))
        .args([
            "-arch",
            arch,
            "-mmacosx-version-min=11.0",
            "-dynamiclib",
            "-o",
        ])
        .arg(&out)
        .arg("-I")
        .arg(root.join("examples/demo/include"))
        .arg(root.join("tests/hosts/darwin_lib.c"))
        .arg(demo.staticlib())
        .arg("-lSystem")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{label}: link failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let image = Object::read(&out).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = image.symbols.iter().map(|s| s.name.as_str()).collect();
    // The entry was pulled in by the one export (the stub and the demo's initializer shim), and
    // dyld will call the shim.
    assert!(
        names.iter().any(|n| is_stub_symbol(n, "_rt0_lib_entry")),
        "{label}: the entry stub is not linked: {names:#?}"
    );
    let entry = image
        .defined_symbols()
        .find(|s| s.name.contains("15__rt0_lib_entry5entry"))
        .unwrap_or_else(|| panic!("{label}: the demo's initializer shim is not linked"));
    let pointers: Vec<u64> = image
        .sections
        .iter()
        .filter(|s| s.name == "__mod_init_func")
        .flat_map(|s| s.words())
        .collect();
    assert!(
        pointers.contains(&entry.address),
        "{label}: no initializer points at the demo's shim ({:#x}): {pointers:#x?}",
        entry.address
    );
    // No text relocations: every rebase is in a writable data segment.
    let text = image::text_relocations(&image).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.is_empty(), "{label}: text relocations: {text:?}");
    image
}
