//! The checks on small crates written for each case: what they must report and what they must not.

use std::path::{Path, PathBuf};

use crate::{cycles, lines, modules, objdump, paths};

/// A folder of fixture files, removed when the test ends.
struct Fixture(PathBuf);

impl std::ops::Deref for Fixture {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder with `files` (path, text) written in it.
fn crate_with(name: &str, files: &[(&str, &str)]) -> Fixture {
    let dir = std::env::temp_dir().join(format!("check-structure-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let f = dir.join(path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }
    Fixture(dir)
}

fn cycles_of(root: &Path) -> Vec<cycles::Cycle> {
    let tree = modules::Tree::load(&root.join("src/lib.rs"));
    assert!(tree.problems.is_empty(), "{:?}", tree.problems);
    cycles::cycles(&tree, &paths::references(&tree))
}

#[test]
fn a_cycle_between_top_level_modules_is_reported_with_its_references() {
    let dir = crate_with(
        "top",
        &[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
            // Through `super::` in an expression.
            (
                "src/b.rs",
                "pub struct B;\nfn f() {\n    let _ = super::a::A;\n}\n",
            ),
            ("src/c.rs", "use crate::a::A;\n"),
        ],
    );
    let found = cycles_of(&dir);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].members, ["a", "b"]);
    assert_eq!(found[0].path, ["a", "b", "a"]);
    let evidence: Vec<String> = found[0]
        .evidence
        .iter()
        .map(|(f, t, at)| format!("{f}->{t} {}", at.rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(
        evidence,
        ["a->b a.rs:1 crate::b::B", "b->a b.rs:3 super::a::A"]
    );
}

#[test]
fn siblings_in_a_directory_module_are_units_and_macro_arguments_count() {
    let dir = crate_with(
        "siblings",
        &[
            ("src/lib.rs", "mod d;\n"),
            ("src/d/mod.rs", "mod x;\nmod y;\n"),
            ("src/d/x.rs", "use super::y::Y;\npub const N: u32 = 1;\n"),
            (
                "src/d/y.rs",
                "pub struct Y;\nfn f() -> String {\n    format!(\"{}\", crate::d::x::N)\n}\n",
            ),
        ],
    );
    let found = cycles_of(&dir);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].members, ["d::x", "d::y"]);
}

#[test]
fn a_facade_its_children_and_test_code_make_no_cycle() {
    let dir = crate_with(
        "facade",
        &[
            ("src/lib.rs", "mod d;\npub struct Root;\n#[cfg(test)]\nmod tests;\n"),
            ("src/tests.rs", "use crate::d::x::X;\n"),
            (
                "src/d/mod.rs",
                "mod x;\nmod y;\npub use x::X;\npub struct Shared;\nfn f() { crate::Root; }\n",
            ),
            ("src/d/x.rs", "use super::Shared;\nuse super::y::Y;\npub struct X;\n"),
            (
                "src/d/y.rs",
                "pub struct Y;\n#[cfg(test)]\nmod t {\n    use crate::d::x::X;\n}\n#[cfg(test)]\nfn g() { let _ = crate::d::x::X; }\n",
            ),
        ],
    );
    assert!(cycles_of(&dir).is_empty());
    let tree = modules::Tree::load(&dir.join("src/lib.rs"));
    let test_only: Vec<&PathBuf> = tree
        .files
        .iter()
        .filter(|(_, t)| *t)
        .map(|(f, _)| f)
        .collect();
    assert_eq!(test_only, [&dir.join("src/tests.rs")]);
}

#[test]
fn a_string_naming_llvm_objdump_is_found_and_comments_are_not() {
    let dir = crate_with(
        "objdump",
        &[
            (
                "quiet.rs",
                "//! llvm-objdump prints it so.\n/// Like `llvm-objdump -d`.\n#[doc = \"llvm-objdump\"]\nfn f() {\n    // llvm-objdump\n    eprintln!(\"llvm-objdump not found\");\n}\n",
            ),
            (
                "loud.rs",
                "fn f() {\n    let _ = std::process::Command::new(\"llvm-objdump\");\n    let _ = [r\"llvm-objdump-18\"];\n}\n",
            ),
        ],
    );
    assert_eq!(
        objdump::mentions(&dir.join("quiet.rs")).unwrap(),
        Vec::<usize>::new()
    );
    assert_eq!(objdump::mentions(&dir.join("loud.rs")).unwrap(), [2, 3]);
}

#[test]
fn long_files_are_found_except_test_code() {
    let long = "fn f() {}\n".repeat(11);
    let dir = crate_with(
        "lines",
        &[
            ("src/long.rs", &long),
            ("src/short.rs", "fn f() {}\n"),
            ("src/only_tests.rs", &long),
            ("tests/long.rs", &long),
        ],
    );
    let files: Vec<PathBuf> = [
        "src/long.rs",
        "src/short.rs",
        "src/only_tests.rs",
        "tests/long.rs",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    let test_only = |f: &Path| f.ends_with("only_tests.rs");
    let found = lines::oversized(&dir, &files, &test_only, 10);
    assert_eq!(found, [(dir.join("src/long.rs"), 11)]);
    assert_eq!(lines::total_under(&files, &dir.join("src")), 23);
}
