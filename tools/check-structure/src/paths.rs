//! What each module reaches in other modules of its crate: `use` declarations and paths in code
//! (`crate::a::b`, `super::x`, `self::m::f()`, `child::f()`, and a name a `use` bound to a module),
//! each resolved to the deepest module it names. Test code (`#[cfg(test)]` items and modules) is
//! left out, and so are `macro_rules!` bodies (their paths are resolved where the macro is used).

use std::collections::BTreeMap;
use std::path::PathBuf;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::Visit;

use crate::modules::{is_cfg_test, ModPath, Tree};

/// One module reaching another: where, and through which path.
pub struct Reference {
    /// The module the path is written in.
    pub from: ModPath,
    /// The module it names (or names an item of).
    pub to: ModPath,
    /// The file and line it is written at.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// The path as written.
    pub text: String,
}

/// Every reference from a non-test module of `tree` to a module of the same crate.
pub fn references(tree: &Tree) -> Vec<Reference> {
    let mut out = Vec::new();
    for (path, module) in &tree.modules {
        if module.test {
            continue;
        }
        let mut v = Collector {
            tree,
            here: path.clone(),
            file: module.file.clone(),
            aliases: BTreeMap::new(),
            out: &mut out,
        };
        // `use` first: the names it binds to modules resolve the code's paths.
        for item in &module.items {
            if let syn::Item::Use(u) = item {
                if !is_cfg_test(&u.attrs) {
                    v.use_item(u);
                }
            }
        }
        for item in &module.items {
            v.visit_item(item);
        }
    }
    out
}

struct Collector<'a> {
    tree: &'a Tree,
    here: ModPath,
    file: PathBuf,
    /// Names a `use` in this module bound to a module (`use crate::emulate::process;`).
    aliases: BTreeMap<String, ModPath>,
    out: &'a mut Vec<Reference>,
}

impl Collector<'_> {
    /// Where a path's first segments lead: the module it starts from and the rest of it, or
    /// None when it starts outside the crate (another crate, a local name, a type's name).
    fn start<'s>(&self, segs: &'s [String]) -> Option<(ModPath, &'s [String])> {
        let first = segs.first()?;
        match first.as_str() {
            "crate" => Some((Vec::new(), &segs[1..])),
            "self" => Some((self.here.clone(), &segs[1..])),
            "super" => {
                let mut base = self.here.clone();
                let mut rest = segs;
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                Some((base, rest))
            }
            name => {
                let mut child = self.here.clone();
                child.push(name.to_string());
                if self.tree.has(&child) {
                    Some((self.here.clone(), segs))
                } else {
                    self.aliases.get(name).map(|m| (m.clone(), &segs[1..]))
                }
            }
        }
    }

    /// The deepest module `segs` names, and whether every segment was a module.
    fn resolve(&self, segs: &[String]) -> Option<(ModPath, bool)> {
        let (mut module, rest) = self.start(segs)?;
        for (i, s) in rest.iter().enumerate() {
            let mut next = module.clone();
            next.push(s.clone());
            if !self.tree.has(&next) {
                return Some((module, i == rest.len()));
            }
            module = next;
        }
        Some((module, true))
    }

    fn record(&mut self, segs: &[String], span: Span) {
        if let Some((to, _)) = self.resolve(segs) {
            self.out.push(Reference {
                from: self.here.clone(),
                to,
                file: self.file.clone(),
                line: span.start().line,
                text: segs.join("::"),
            });
        }
    }

    fn use_item(&mut self, u: &syn::ItemUse) {
        if u.leading_colon.is_some() {
            return;
        }
        let mut leaves = Vec::new();
        use_leaves(&u.tree, Vec::new(), &mut leaves);
        for (segs, binding) in leaves {
            self.record(&segs, u.use_token.span);
            if let (Some(name), Some((module, true))) = (binding, self.resolve(&segs)) {
                self.aliases.insert(name, module);
            }
        }
    }

    /// A macro's arguments: as expressions where they parse so (`format!`, `assert_eq!`), else
    /// as items in its braces (`cfg_if!`), else the `crate::`/`super::`/`self::` paths in its
    /// tokens.
    fn macro_tokens(&mut self, mac: &syn::Macro) {
        if mac.path.is_ident("macro_rules") {
            return;
        }
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = mac.parse_body_with(parser) {
            for e in &exprs {
                self.visit_expr(e);
            }
            return;
        }
        self.scan(mac.tokens.clone());
    }

    fn scan(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => {
                    match syn::parse2::<syn::File>(g.stream()) {
                        Ok(f) if !f.items.is_empty() => {
                            for item in &f.items {
                                match item {
                                    syn::Item::Use(u) => self.use_item(u),
                                    other => self.visit_item(other),
                                }
                            }
                        }
                        _ => self.scan(g.stream()),
                    }
                    i += 1;
                }
                TokenTree::Ident(id) if ["crate", "super", "self"].contains(&&*id.to_string()) => {
                    let span = id.span();
                    let mut segs = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                        (tokens.get(j), tokens.get(j + 1))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        let Some(TokenTree::Ident(next)) = tokens.get(j + 2) else {
                            break;
                        };
                        segs.push(next.to_string());
                        j += 3;
                    }
                    if segs.len() > 1 {
                        self.record(&segs, span);
                    }
                    i = j.max(i + 1);
                }
                _ => i += 1,
            }
        }
    }
}

/// The paths a `use` tree imports, each with the name it binds (None for a glob).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let with = |name: &syn::Ident| {
        let mut p = prefix.clone();
        p.push(name.to_string());
        p
    };
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, with(&p.ident), out),
        syn::UseTree::Name(n) if n.ident == "self" => {
            let binding = prefix.last().cloned();
            out.push((prefix, binding));
        }
        syn::UseTree::Name(n) => out.push((with(&n.ident), Some(n.ident.to_string()))),
        syn::UseTree::Rename(r) if r.ident == "self" => {
            out.push((prefix, Some(r.rename.to_string())))
        }
        syn::UseTree::Rename(r) => out.push((with(&r.ident), Some(r.rename.to_string()))),
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

fn attrs_of(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_cfg_test(attrs_of(item)) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    // A nested module is a module of its own; its `use`s were read before the code.
    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {}
    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.record(&segs, path.segments[0].ident.span());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.macro_tokens(mac);
    }
}
