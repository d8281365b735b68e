//! rt0's build script: picks the `arch/` port for TARGET, validates its register-convention
//! description, turns it into Rust constants (`OUT_DIR/abi.rs`) and an assembler include
//! (`OUT_DIR/rt0_abi.h`), and assembles the port's entry stub and syscall trampoline.
//!
//! Nothing about a target is written here: every number and register comes from
//! `arch/<folder>/abi.toml`, and which folder serves a triple from `arch/targets.toml`.

// A build script's modules live in build/ (a crate root's `mod` would look next to build.rs).
#[path = "build/asm_include.rs"]
mod asm_include;
#[path = "build/layouts.rs"]
mod layouts;
#[path = "build/rust_constants.rs"]
mod rust_constants;

use rt0_description::{Arch, Description, Os, SyscallKind};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::str::FromStr;

fn fail(msg: &str) -> ! {
    eprintln!("error: rt0 build: {msg}");
    std::process::exit(1);
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let host = env::var("HOST").unwrap_or_default();
    println!("cargo:rerun-if-changed=arch");
    println!("cargo:rerun-if-env-changed=RT0_ARCH_DIR");
    // `rt0_libc`: the C library is linked (feature `libc`): the pthread creator, pinning and
    // the loader-lock check exist. Code a raw-creator init thread runs never calls into it.
    println!("cargo::rustc-check-cfg=cfg(rt0_libc)");
    // Not on Windows, where rt0 calls kernel32 and the `libc` feature changes nothing.
    if env::var_os("CARGO_FEATURE_LIBC").is_some()
        && env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows")
    {
        println!("cargo:rustc-cfg=rt0_libc");
    }

    // RT0_ARCH_DIR lets rt0-port check a port (or a deliberately broken copy) without editing arch/.
    let arch_root = env::var_os("RT0_ARCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("arch"));
    // Watch the descriptions and stubs actually used (a scratch copy under RT0_ARCH_DIR too).
    println!("cargo:rerun-if-changed={}", arch_root.display());
    let triple = target_lexicon::Triple::from_str(&target).unwrap_or_else(|e| {
        fail(&format!(
            "TARGET `{target}` is not a target triple target-lexicon understands: {e}"
        ))
    });

    let registry_file = arch_root.join("targets.toml");
    let registry_text = fs::read_to_string(&registry_file).unwrap_or_else(|e| {
        fail(&format!(
            "{}: cannot read the target registry: {e}",
            registry_file.display()
        ))
    });
    let registry = rt0_description::parse_registry(&registry_file, &registry_text)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let Some(registration) = registry.iter().find(|r| r.triple == target) else {
        let supported: Vec<&str> = registry.iter().map(|r| r.triple.as_str()).collect();
        fail(&format!(
            "target `{target}` has no port under arch/.\n  supported targets: {}\n  \
             to add one, follow docs/porting.md (`rt0-port new {target}` starts the folder)",
            supported.join(", ")
        ));
    };

    let folder = arch_root.join(&registration.folder);
    let read = |file: &std::path::Path| {
        fs::read_to_string(file).unwrap_or_else(|e| {
            fail(&format!(
                "{}: cannot read the description: {e}",
                file.display()
            ))
        })
    };
    let desc_file = folder.join("abi.toml");
    let text = read(&desc_file);
    // A registry entry may lay an overlay over the folder's description (musl shares the glibc
    // stubs; only its [initializer] differs).
    let (desc, desc_name) = match &registration.description {
        None => (
            rt0_description::parse(&desc_file, &text),
            "abi.toml".to_string(),
        ),
        Some(name) => {
            let overlay_file = folder.join(name);
            let overlay = read(&overlay_file);
            (
                rt0_description::parse_with_overlay(&desc_file, &text, &overlay_file, &overlay),
                format!("{name} over abi.toml"),
            )
        }
    };
    let desc = desc.unwrap_or_else(|e| fail(&e.to_string()));
    check_against_triple(&desc, &triple);
    if desc.triple != target {
        fail(&format!(
            "{}: field `target.triple`: expected \"{target}\" (the registry serves {target} from it), found \"{}\"",
            desc.file.display(),
            desc.triple
        ));
    }

    let rust = rust_constants::generate(
        &desc,
        &target,
        &format!("{}/{desc_name}", registration.folder),
    );
    let pointer_bytes = match triple.pointer_width() {
        Ok(w) => w.bytes() as usize,
        Err(()) => fail(&format!(
            "target `{target}`: target-lexicon knows no pointer width for it"
        )),
    };
    // The stubs a port provides: every port has the entry; only an OS rt0 makes system calls
    // on has the trampoline (`[syscall] kind = "none"`: Windows, where rt0 calls kernel32).
    let stub_files: &[&str] = match desc.syscall.kind {
        SyscallKind::Trap => &["entry.S", "syscall.S"],
        SyscallKind::None => &["entry.S"],
    };
    let mut rust = rust;
    rust.push_str(&layouts::rust_modules(pointer_bytes));
    // What the stubs are assembled with: every fact of the description and every layout they
    // share with Rust. The stubs' names are versioned by it (with the stub sources), not by
    // the inputs that produced it.
    let facts = asm_include::generate(&desc);
    let shared_layouts = layouts::asm_defines(pointer_bytes);
    let tag = stub_tag(&folder, stub_files, &[&facts, &shared_layouts, &rust]);
    let stubs = StubNames::new(&tag, desc.object_format == "macho", stub_files.len() > 1);
    fs::write(out.join("abi.rs"), &rust)
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/abi.rs: {e}")));
    fs::write(out.join("stubs.rs"), stubs.rust_externs())
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/stubs.rs: {e}")));
    let mut header = facts;
    header.push_str(&stubs.asm_defines());
    header.push_str(&shared_layouts);
    header.push_str("#endif\n");
    fs::write(out.join("rt0_abi.h"), header)
        .unwrap_or_else(|e| fail(&format!("cannot write OUT_DIR/rt0_abi.h: {e}")));
    // Tools (rt0-port) find the generated files through the `links = "rt0"` metadata.
    println!("cargo:abi_dir={}", out.display());
    println!("cargo:arch_folder={}", folder.display());

    let mut build = cc::Build::new();
    build.include(&out).warnings(true);
    for stub in stub_files {
        let path = folder.join(stub);
        if !path.exists() {
            fail(&format!(
                "{}: missing; every port provides entry.S, and syscall.S unless its description says `[syscall] kind = \"none\"` (docs/porting.md)",
                path.display()
            ));
        }
        build.file(path);
    }
    if desc.syscall.kind == SyscallKind::None && folder.join("syscall.S").exists() {
        fail(&format!(
            "{}: a port whose description says `[syscall] kind = \"none\"` has no syscall trampoline; remove the file",
            folder.join("syscall.S").display()
        ));
    }
    let apple_target = triple.vendor == target_lexicon::Vendor::Apple;
    if apple_target
        && !host.contains("apple")
        && env::var_os(format!("CC_{}", target.replace('-', "_"))).is_none()
    {
        // gcc cannot assemble Mach-O; clang can for any target.
        build.compiler("clang");
    }
    build.compile("rt0_stubs");
    if apple_target {
        // Every darwin image links libSystem (dyld stops a program that does not), and compiler-
        // emitted memcpy/memset come from it even on the raw path, where rt0 calls nothing in it.
        println!("cargo:rustc-link-lib=dylib=System");
    }
}

/// The description must be for the architecture and OS the triple names.
fn check_against_triple(desc: &Description, triple: &target_lexicon::Triple) {
    use target_lexicon::{Architecture, OperatingSystem};
    let arch_ok = match desc.arch {
        Arch::X86_64 => triple.architecture == Architecture::X86_64,
        Arch::Aarch64 => matches!(triple.architecture, Architecture::Aarch64(_)),
        Arch::Riscv64 => matches!(triple.architecture, Architecture::Riscv64(_)),
    };
    let os_ok = match desc.os {
        Os::Darwin => matches!(
            triple.operating_system,
            OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_)
        ),
        Os::Linux => triple.operating_system == OperatingSystem::Linux,
        Os::Windows => triple.operating_system == OperatingSystem::Windows,
    };
    if !arch_ok {
        fail(&format!(
            "{}: field `target.arch`: expected the architecture of {} ({}), found \"{}\"",
            desc.file.display(),
            triple,
            triple.architecture,
            desc.arch.as_str()
        ));
    }
    if !os_ok {
        fail(&format!(
            "{}: field `target.os`: expected the OS of {} ({}), found \"{}\"",
            desc.file.display(),
            triple,
            triple.operating_system,
            desc.os.as_str()
        ));
    }
}

/// The asm symbols every port defines, and the C signatures Rust calls them with.
const STUB_FUNCTIONS: &[(&str, &str)] = &[
    (
        "lib_entry",
        "pub(crate) fn lib_entry(i0: usize, i1: usize, i2: usize, i3: usize, i4: usize, record: *const crate::library::EntryRecord)",
    ),
    (
        "syscall6",
        "pub(crate) fn syscall6(nr: crate::sys::Nr, a0: crate::sys::Arg<0>, a1: crate::sys::Arg<1>, a2: crate::sys::Arg<2>, a3: crate::sys::Arg<3>, a4: crate::sys::Arg<4>, a5: crate::sys::Arg<5>) -> isize",
    ),
    (
        "raw_thread_create",
        "pub(crate) fn raw_thread_create(func: crate::thread::StartFn, arg: *mut core::ffi::c_void, stack: *mut crate::thread::StackHeader) -> isize",
    ),
];

/// A short hash of everything that decides what the stubs do and how Rust calls them: rt0's
/// version, the stub sources, and what build.rs generated for them (`generated`: the
/// description's facts as the assembler sees them, the layouts shared with Rust, the Rust
/// constants). It is part of every stub's symbol name, so two copies of rt0 in one program (two
/// rt0-based static libraries) share a stub only when it is the very same code over the same
/// layouts, even where a changed build script made other layouts from the same inputs, and
/// never call a stub of another version by mistake.
fn stub_tag(folder: &std::path::Path, stubs: &[&str], generated: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x100_0000_01b3);
        }
    };
    eat(env::var("CARGO_PKG_VERSION").unwrap_or_default().as_bytes());
    for stub in stubs {
        eat(&fs::read(folder.join(stub)).unwrap_or_default());
    }
    for text in generated {
        eat(text.as_bytes());
    }
    format!("{:08x}", hash as u32)
}

/// The versioned names of the asm stubs (see [`stub_tag`]).
struct StubNames {
    tag: String,
    macho: bool,
    /// Whether the port has syscall.S (the trampoline and raw thread create).
    syscalls: bool,
}

impl StubNames {
    fn new(tag: &str, macho: bool, syscalls: bool) -> StubNames {
        StubNames {
            tag: tag.to_string(),
            macho,
            syscalls,
        }
    }

    /// The C-level name, as Rust's `link_name` takes it.
    fn c_name(&self, base: &str) -> String {
        format!("rt0_{base}_{}", self.tag)
    }

    /// `#define RT0_SYM_<base> <object-level name>` for the `.S` files (Mach-O adds `_`).
    fn asm_defines(&self) -> String {
        let mut s = String::from("/* The stubs' symbol names, versioned (build.rs stub_tag). */\n");
        let underscore = if self.macho { "_" } else { "" };
        for base in [
            "lib_entry",
            "syscall6",
            "raw_thread_create",
            "raw_thread_start",
            "own_dynamic",
        ] {
            let _ = writeln!(
                s,
                "#define RT0_SYM_{base} {underscore}{}",
                self.c_name(base)
            );
        }
        s
    }

    /// `OUT_DIR/stubs.rs`: the extern declarations Rust calls the stubs through.
    fn rust_externs(&self) -> String {
        let mut s = String::from(
            "// @generated by rt0's build.rs: the asm stubs, under their versioned names.\nextern \"C\" {\n",
        );
        for (base, signature) in STUB_FUNCTIONS
            .iter()
            .filter(|(base, _)| self.syscalls || *base == "lib_entry")
        {
            let _ = writeln!(
                s,
                "    #[link_name = \"{}\"]\n    {signature};",
                self.c_name(base)
            );
        }
        if self.macho {
            let _ = writeln!(
                s,
                "    #[link_name = \"{}\"]\n    pub(crate) fn raw_thread_start();",
                self.c_name("raw_thread_start")
            );
        }
        // ELF syscall.S (Linux) also holds a data word: the image's own `_DYNAMIC`, 0 where the
        // program has no dynamic section.
        if self.syscalls && !self.macho {
            let _ = writeln!(
                s,
                "    /// This image's dynamic section (`_DYNAMIC`), 0 where it has none (read without `libc`).\n    #[allow(dead_code)]\n    #[link_name = \"{}\"]\n    pub(crate) static OWN_DYNAMIC: usize;",
                self.c_name("own_dynamic")
            );
        }
        s.push_str("}\n");
        s
    }
}
