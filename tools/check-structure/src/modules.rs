//! A crate's module tree, found as rustc finds it: from the crate root through every `mod`
//! declaration, in its own file (`mod x;`, with or without `#[path]`) or inline (`mod x { .. }`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module path under the crate root (`["library", "start"]`; empty for the root).
pub type ModPath = Vec<String>;

/// One module of a crate.
pub struct Module {
    /// The file its items are written in.
    pub file: PathBuf,
    /// Its items (nested modules are modules of their own).
    pub items: Vec<syn::Item>,
    /// Declared under `#[cfg(test)]` (or inside a module that is): test code.
    pub test: bool,
    /// Whether one of its (non-test) children lives in a file of its own: a directory module
    /// (`library/mod.rs` with `library/start.rs`, or `loader.rs` with `loader/nolibc.rs`).
    pub directory: bool,
}

/// Every module of one crate.
pub struct Tree {
    /// The modules, by path.
    pub modules: BTreeMap<ModPath, Module>,
    /// Files reached from the root, and whether only through `#[cfg(test)]` modules.
    pub files: Vec<(PathBuf, bool)>,
    /// Files that could not be read or parsed, and `mod` declarations with no file.
    pub problems: Vec<String>,
}

impl Tree {
    /// The module tree of the crate whose root file is `root`.
    pub fn load(root: &Path) -> Tree {
        let mut tree = Tree {
            modules: BTreeMap::new(),
            files: Vec::new(),
            problems: Vec::new(),
        };
        if let Some(items) = tree.parse(root, false) {
            let dir = root.parent().unwrap_or(Path::new(".")).to_path_buf();
            tree.add(Vec::new(), root, items, false, None, &dir);
        }
        tree
    }

    fn parse(&mut self, file: &Path, test: bool) -> Option<Vec<syn::Item>> {
        self.files.push((file.to_path_buf(), test));
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                self.problems
                    .push(format!("{}: cannot read: {e}", file.display()));
                return None;
            }
        };
        match syn::parse_file(&text) {
            Ok(f) => Some(f.items),
            Err(e) => {
                let at = e.span().start();
                self.problems.push(format!(
                    "{}:{}: not Rust syn can read: {e}",
                    file.display(),
                    at.line
                ));
                None
            }
        }
    }

    /// Adds the module `path` (in `file`) and, recursively, its children. `inline_dir` is where an
    /// inline module's children would live (None for a file-backed module); `child_dir` is where
    /// this module's `mod x;` declarations look for `x.rs` and `x/mod.rs`.
    fn add(
        &mut self,
        path: ModPath,
        file: &Path,
        items: Vec<syn::Item>,
        test: bool,
        inline_dir: Option<&Path>,
        child_dir: &Path,
    ) {
        let mut directory = false;
        for item in &items {
            let syn::Item::Mod(m) = item else { continue };
            let name = m.ident.to_string();
            let child_test = test || is_cfg_test(&m.attrs);
            let mut child_path = path.clone();
            child_path.push(name.clone());
            match &m.content {
                Some((_, inner)) => {
                    let dir = child_dir.join(&name);
                    self.add(
                        child_path,
                        file,
                        inner.clone(),
                        child_test,
                        Some(&dir),
                        &dir,
                    );
                }
                None => {
                    let (found, dir) = match path_attr(&m.attrs) {
                        // `#[path]` is relative to the declaring file's folder (an inline module's
                        // own folder inside it), and the file it names acts as a `mod.rs`.
                        Some(p) => {
                            let base = inline_dir
                                .map(Path::to_path_buf)
                                .unwrap_or_else(|| file.parent().unwrap_or(Path::new(".")).into());
                            let f = base.join(p);
                            let d = f.parent().unwrap_or(Path::new(".")).to_path_buf();
                            (f, d)
                        }
                        None => {
                            let flat = child_dir.join(format!("{name}.rs"));
                            let nested = child_dir.join(&name).join("mod.rs");
                            let f = if flat.exists() { flat } else { nested };
                            (f, child_dir.join(&name))
                        }
                    };
                    if !found.exists() {
                        // A module for another target may be generated or absent; say so.
                        self.problems.push(format!(
                            "{}: `mod {name};` has no file ({})",
                            file.display(),
                            found.display()
                        ));
                        continue;
                    }
                    directory |= !child_test;
                    if let Some(inner) = self.parse(&found, child_test) {
                        self.add(child_path, &found, inner, child_test, None, &dir);
                    }
                }
            }
        }
        self.modules.insert(
            path,
            Module {
                file: file.to_path_buf(),
                items,
                test,
                directory,
            },
        );
    }

    /// Whether the module `path` exists.
    pub fn has(&self, path: &[String]) -> bool {
        self.modules.contains_key(path)
    }
}

/// `#[path = "..."]`'s value.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Whether an item is compiled for tests only: `#[cfg(test)]`, or `test` inside `all(..)`.
pub fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .map(|m| requires_test(&m))
                .unwrap_or(false)
    })
}

fn requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(l) if l.path.is_ident("all") => l
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .map(|list| list.iter().any(requires_test))
            .unwrap_or(false),
        _ => false,
    }
}
