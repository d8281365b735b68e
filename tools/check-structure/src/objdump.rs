//! Rust that runs llvm-objdump: a string literal naming the program (`Command::new("llvm-objdump")`,
//! `tool("llvm-objdump", ..)`, a list of programs to look for), read from the tokens so comments
//! and doc comments that mention it do not count.

use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};

/// The lines of `file` with a string literal naming llvm-objdump, or an error if it does not lex.
pub fn mentions(file: &Path) -> Result<Vec<usize>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))?;
    let tokens: TokenStream = text
        .parse()
        .map_err(|e| format!("does not lex as Rust: {e:?}"))?;
    let mut lines = Vec::new();
    scan(tokens, &mut lines);
    lines.sort_unstable();
    lines.dedup();
    Ok(lines)
}

/// The program's name, in two pieces so that this file does not name it itself.
const PROGRAM: &str = concat!("llvm-", "objdump");

/// `llvm-objdump`, or a versioned name of it (`llvm-objdump-18`).
pub fn names_the_program(value: &str) -> bool {
    value.strip_prefix(PROGRAM).is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('-')
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
    })
}

fn scan(tokens: TokenStream, lines: &mut Vec<usize>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            // `#[doc = ".."]` / `#![doc = ".."]`: what `///` and `//!` comments become.
            TokenTree::Punct(p) if p.as_char() == '#' => {
                let mut j = i + 1;
                if matches!(tokens.get(j), Some(TokenTree::Punct(b)) if b.as_char() == '!') {
                    j += 1;
                }
                if let Some(TokenTree::Group(g)) = tokens.get(j) {
                    let is_doc = matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(id)) if id == "doc");
                    if !is_doc {
                        scan(g.stream(), lines);
                    }
                    i = j + 1;
                    continue;
                }
                i += 1;
            }
            TokenTree::Group(g) => {
                scan(g.stream(), lines);
                i += 1;
            }
            TokenTree::Literal(lit) => {
                if let syn::Lit::Str(s) = syn::Lit::new(lit.clone()) {
                    if names_the_program(&s.value()) {
                        lines.push(lit.span().start().line);
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}
