//! Bad description input. A property test of the `abi.toml` reader (the rt0-description crate,
//! which build.rs and rt0-port both use): the real descriptions under `arch/`, mutated (keys deleted, values of the wrong type, bad registers, bad numbers,
//! truncations, random bytes), must each give a `DescriptionError` that names the file, the field
//! and what was expected, and never make the parser panic. Also: building rt0 for a triple with
//! no port fails with the message naming the supported triples and docs/porting.md.

use rt0_description::{
    DescriptionError, CONSTANTS_COMMON, CONSTANTS_DARWIN, CONSTANTS_LINUX, NUMBERS_COMMON,
    NUMBERS_DARWIN, NUMBERS_LINUX,
};
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::root;

/// One description to mutate: a folder's `abi.toml`, or an overlay laid over it.
struct Subject {
    base: PathBuf,
    base_text: String,
    overlay: Option<(PathBuf, String)>,
}

impl Subject {
    /// The file whose text is mutated (and which errors must name).
    fn file(&self) -> &Path {
        self.overlay.as_ref().map_or(&self.base, |(p, _)| p)
    }
    fn text(&self) -> &str {
        self.overlay.as_ref().map_or(&self.base_text, |(_, t)| t)
    }
    fn parse(&self, text: &str) -> Result<rt0_description::Description, DescriptionError> {
        match &self.overlay {
            None => rt0_description::parse(&self.base, text),
            Some((p, _)) => {
                rt0_description::parse_with_overlay(&self.base, &self.base_text, p, text)
            }
        }
    }
}

/// Every description the registry (`arch/targets.toml`) serves: each folder's `abi.toml` once,
/// and each overlay laid over it. (Unregistered folders may be someone's work in progress.)
fn subjects() -> Vec<Subject> {
    let registry_file = root().join("arch/targets.toml");
    let registry = rt0_description::parse_registry(
        &registry_file,
        &std::fs::read_to_string(&registry_file).unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut out: Vec<Subject> = Vec::new();
    for reg in registry {
        let base = root().join("arch").join(&reg.folder).join("abi.toml");
        let base_text =
            std::fs::read_to_string(&base).unwrap_or_else(|e| panic!("{}: {e}", base.display()));
        let overlay = reg.description.map(|name| {
            let f = root().join("arch").join(&reg.folder).join(name);
            let text =
                std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (f, text)
        });
        let subject = Subject {
            base,
            base_text,
            overlay,
        };
        if !out.iter().any(|s| s.file() == subject.file()) {
            out.push(subject);
        }
    }
    assert!(out.len() >= 4, "expected the real descriptions under arch/");
    out
}

/// What a mutation may be checked against.
enum Expect {
    /// Any outcome, as long as an error is well formed.
    Anything,
    /// An error about this field (the field named starts with it).
    ErrorAt(String),
}

/// Parses `text` without letting a panic escape; checks the error is well formed.
fn check(s: &Subject, what: &str, text: &str, expect: Expect) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.parse(text)));
    let r = r.unwrap_or_else(|_| {
        panic!(
            "{}: the parser panicked on {what}:\n{text}",
            s.file().display()
        )
    });
    match r {
        Ok(_) => {
            if let Expect::ErrorAt(field) = expect {
                panic!(
                    "{}: {what} was accepted; expected an error at `{field}`:\n{text}",
                    s.file().display()
                );
            }
        }
        Err(e) => {
            let shown = e.to_string();
            let ctx = format!("{}: {what}: {shown}", s.file().display());
            assert!(
                e.file == s.file() || e.file == s.base,
                "{ctx}: names the wrong file"
            );
            if s.overlay.is_some() && e.field != "(file)" {
                assert_eq!(
                    e.file,
                    s.file(),
                    "{ctx}: a validation error must name the overlay"
                );
            }
            assert!(!e.field.trim().is_empty(), "{ctx}: no field");
            assert!(!e.expected.trim().is_empty(), "{ctx}: no expectation");
            assert!(!e.found.trim().is_empty(), "{ctx}: nothing found");
            assert!(shown.contains(&e.file.display().to_string()), "{ctx}");
            assert!(shown.contains(&format!("field `{}`", e.field)), "{ctx}");
            assert!(shown.contains(&format!("expected {}", e.expected)), "{ctx}");
            if let Expect::ErrorAt(field) = expect {
                assert!(
                    e.field == field
                        || e.field.starts_with(&format!("{field}["))
                        || e.field.starts_with(&format!("{field}.")),
                    "{ctx}: expected the error at `{field}`"
                );
            }
        }
    }
}

/// A `key = value` line of the text: its section, key, and the byte range of its value.
struct KeyLine {
    line: usize,
    section: String,
    key: String,
    value: std::ops::Range<usize>,
}

impl KeyLine {
    fn path(&self) -> String {
        format!("{}.{}", self.section, self.key)
    }
}

fn key_lines(text: &str) -> Vec<KeyLine> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        let Some(eq) = line.find('=') else { continue };
        let key = line[..eq].trim().to_string();
        let rest = &line[eq + 1..];
        let lead = rest.len() - rest.trim_start().len();
        let v = rest.trim_start();
        let len = if let Some(quoted) = v.strip_prefix('"') {
            quoted.find('"').map_or(v.len(), |e| e + 2)
        } else if v.starts_with('[') {
            v.find(']').map_or(v.len(), |e| e + 1)
        } else {
            v.find('#').unwrap_or(v.len())
        };
        let start = eq + 1 + lead;
        out.push(KeyLine {
            line: i,
            section: section.clone(),
            key,
            value: start..start + v[..len].trim_end().len(),
        });
    }
    out
}

fn with_line(text: &str, n: usize, f: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == n {
            if let Some(l) = f(line) {
                out.push_str(&l);
                out.push('\n');
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Keys every description must have (by section), beyond the open-ended numbers/constants.
fn required(path: &str, darwin: bool) -> bool {
    let (sect, key) = path.split_once('.').unwrap();
    match sect {
        "numbers" => {
            NUMBERS_COMMON.contains(&key)
                || (if darwin {
                    NUMBERS_DARWIN
                } else {
                    NUMBERS_LINUX
                })
                .contains(&key)
        }
        "constants" => {
            key == "synchronous_signals"
                || CONSTANTS_COMMON.contains(&key)
                || (if darwin {
                    CONSTANTS_DARWIN
                } else {
                    CONSTANTS_LINUX
                })
                .contains(&key)
        }
        "initializer" => key != "args_fallback",
        _ => true,
    }
}

#[test]
fn the_real_descriptions_parse() {
    for s in subjects() {
        s.parse(s.text()).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn deleted_keys_and_sections_are_named() {
    for s in subjects() {
        let darwin = s.base_text.contains("os = \"darwin\"");
        let text = s.text();
        for kl in key_lines(text) {
            let mutated = with_line(text, kl.line, |_| None);
            let what = format!("deleting `{}`", kl.path());
            // An overlay's keys fall back to the base's when deleted; the base's must be there.
            let expect = if s.overlay.is_none() && required(&kl.path(), darwin) {
                Expect::ErrorAt(kl.path())
            } else {
                Expect::Anything
            };
            check(&s, &what, &mutated, expect);
        }
        if s.overlay.is_none() {
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if t.starts_with('[') && !t.starts_with("[[") {
                    // The section's keys now land in the previous one: some error, well formed.
                    check(
                        &s,
                        &format!("deleting the header {t}"),
                        &with_line(text, i, |_| None),
                        Expect::Anything,
                    );
                }
            }
        }
    }
}

#[test]
fn values_of_the_wrong_type_are_named() {
    for s in subjects() {
        let text = s.text();
        for kl in key_lines(text) {
            let original = &text.lines().nth(kl.line).unwrap()[kl.value.clone()];
            let mut replacements = vec!["1.5", "true", "1979-05-27", "{ a = 1 }"];
            if !original.starts_with('"') {
                replacements.push("\"x\"");
            }
            // A list where a number belongs; among the constants only the required ones are
            // numbers (others may be lists, like synchronous_signals).
            let darwin = s.base_text.contains("os = \"darwin\"");
            if !original.starts_with('[')
                && (kl.section != "constants" || required(&kl.path(), darwin))
            {
                replacements.push("[1, 2]");
            }
            for new in replacements {
                let mutated = with_line(text, kl.line, |l| {
                    Some(format!(
                        "{}{new}{}",
                        &l[..kl.value.start],
                        &l[kl.value.end..]
                    ))
                });
                let what = format!("`{}` = {new} (was {original})", kl.path());
                // The overlay's [initializer] replaces the base's, so a wrong type always shows.
                check(&s, &what, &mutated, Expect::ErrorAt(kl.path()));
            }
        }
    }
}

#[test]
fn bad_registers_are_named() {
    for s in subjects() {
        let text = s.text();
        for kl in key_lines(text) {
            let is_register_field = kl.key.contains("register")
                || kl.key == "callee_saved"
                || kl.key == "clobbers"
                || kl.key == "stack_pointer";
            if !is_register_field {
                continue;
            }
            let line = text.lines().nth(kl.line).unwrap();
            let value = &line[kl.value.clone()];
            // Each quoted register in turn, replaced by something no architecture calls a register.
            let quotes: Vec<usize> = value.match_indices('"').map(|(i, _)| i).collect();
            for pair in quotes.chunks(2).filter(|p| p.len() == 2) {
                for bad in ["r99", "%rax", "RAX", "x32", "", "eax", "w0"] {
                    let start = kl.value.start + pair[0] + 1;
                    let end = kl.value.start + pair[1];
                    let old = &line[start..end];
                    if old == bad {
                        continue;
                    }
                    let mutated = with_line(text, kl.line, |l| {
                        Some(format!("{}{bad}{}", &l[..start], &l[end..]))
                    });
                    check(
                        &s,
                        &format!("register {old:?} -> {bad:?} in `{}`", kl.path()),
                        &mutated,
                        Expect::ErrorAt(kl.path()),
                    );
                }
            }
        }
    }
}

#[test]
fn bad_numbers_are_named() {
    for s in subjects() {
        let text = s.text();
        for kl in key_lines(text) {
            let line = text.lines().nth(kl.line).unwrap();
            let value = &line[kl.value.clone()];
            if !value.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                continue;
            }
            let mut bad = vec!["-1", "-4096"];
            if kl.section == "stack" && kl.key != "red_zone" {
                // alignment, page and guard sizes: powers of two, the guard at least a page
                bad.extend(["0", "3", "4095"]);
            }
            if kl.section == "thread_start" {
                continue; // legacy_stack_offset is a signed offset: any integer is valid
            }
            for b in bad {
                let mutated = with_line(text, kl.line, |l| {
                    Some(format!("{}{b}{}", &l[..kl.value.start], &l[kl.value.end..]))
                });
                check(
                    &s,
                    &format!("`{}` = {b} (was {value})", kl.path()),
                    &mutated,
                    Expect::ErrorAt(kl.path()),
                );
            }
            // Out of TOML's integer range: a syntax error, named as the whole file.
            let huge = "184467440737095516160";
            let mutated = with_line(text, kl.line, |l| {
                Some(format!(
                    "{}{huge}{}",
                    &l[..kl.value.start],
                    &l[kl.value.end..]
                ))
            });
            check(
                &s,
                &format!("`{}` = {huge}", kl.path()),
                &mutated,
                Expect::ErrorAt("(file)".into()),
            );
        }
    }
}

#[test]
fn truncations_never_panic() {
    for s in subjects() {
        let text = s.text();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                check(
                    &s,
                    &format!("truncation at byte {cut}"),
                    &text[..cut],
                    Expect::Anything,
                );
            }
            cut += 7;
        }
    }
}

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_byte_changes_never_panic() {
    // Bytes that matter to TOML and to the schema, plus anything printable or not.
    const ALPHABET: &[u8] = b"[]{}=\"'#.,-+0123456789xabrsp_ \n\t\\\x00\x7f";
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for s in subjects() {
        let text = s.text().as_bytes();
        for case in 0..400 {
            let mut bytes = text.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = ALPHABET[rng.below(ALPHABET.len())],
                    1 => bytes[at] = rng.next() as u8,
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let mutated = String::from_utf8_lossy(&bytes).into_owned();
            check(
                &s,
                &format!("random case {case}"),
                &mutated,
                Expect::Anything,
            );
        }
    }
}

#[test]
fn the_registry_never_panics_and_names_its_errors() {
    let file = root().join("arch/targets.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(rt0_description::parse_registry(&file, &text).is_ok());
    let mut rng = Rng(0x0dd_ba11);
    let mut inputs: Vec<String> = (0..text.len())
        .step_by(5)
        .filter(|&c| text.is_char_boundary(c))
        .map(|c| text[..c].to_string())
        .collect();
    for _ in 0..500 {
        let mut bytes = text.as_bytes().to_vec();
        let at = rng.below(bytes.len());
        bytes[at] = b"[]{}=\"./ x1"[rng.below(11)];
        inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    inputs.push(text.replace(
        "\"x86_64-unknown-linux-gnu\" = \"x86_64-unknown-linux-gnu\"",
        "\"x86_64-unknown-linux-gnu\" = \"../etc\"",
    ));
    inputs.push(text.replace("folder = \"x86_64-unknown-linux-gnu\"", "folder = 7"));
    for input in inputs {
        let r = std::panic::catch_unwind(|| rt0_description::parse_registry(&file, &input));
        let r = r.unwrap_or_else(|_| panic!("the registry parser panicked on:\n{input}"));
        if let Err(e) = r {
            assert_eq!(e.file, file);
            assert!(
                !e.field.is_empty() && !e.expected.is_empty() && !e.found.is_empty(),
                "{e}"
            );
        }
    }
}

/// Building rt0 for a triple with no port fails in build.rs with a message naming the triples
/// that are supported and docs/porting.md. loongarch64 has no port (and usually no installed std:
/// `--keep-going` lets the build script run even when the target's `core` is missing).
#[test]
fn an_unsupported_triple_gets_the_clear_build_error() {
    let triple = "loongarch64-unknown-linux-gnu";
    let registry = std::fs::read_to_string(root().join("arch/targets.toml")).unwrap();
    assert!(
        !registry.contains(triple),
        "{triple} has a port now: pick another unsupported triple"
    );
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "build",
            "--keep-going",
            "-p",
            "rt0",
            "--target",
            triple,
            "--target-dir",
        ])
        .arg(root().join("target/rel-unsupported"))
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: rt0 build: target `{triple}` has no port under arch/."
        )),
        "{stderr}"
    );
    let supported = stderr
        .lines()
        .find(|l| l.contains("supported targets:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    for t in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
    ] {
        assert!(supported.contains(t), "{supported}");
    }
    assert!(stderr.contains("docs/porting.md"), "{stderr}");
}
