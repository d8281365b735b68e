//! `#[rt0::export]`: the export wrapper of the [rt0](https://docs.rs/rt0) crate. Use it as
//! `rt0::export`; the documentation with examples is there.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, ItemFn, Meta, ReturnType, Token};

/// Makes `fn` a C export that waits for the library's init (see `rt0::export`).
#[proc_macro_attribute]
pub fn export(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The module `lib_entry!` declares, by the name it gives it for the macros: the compiler's error
/// when it is missing then says what to do.
fn lib_entry_path() -> proc_macro2::TokenStream {
    quote!(crate::rt0_lib_entry_must_be_declared_once_at_the_crate_root)
}

/// The path to `rt0::__private` from the user's crate: `lib_entry!` re-exports it in its hidden
/// module, so this works whatever name the user's Cargo.toml gives the dependency (a procedural
/// macro has no `$crate`).
fn rt0_private_path() -> proc_macro2::TokenStream {
    let lib_entry = lib_entry_path();
    quote!(#lib_entry::rt0_private)
}

/// `#[no_mangle]`, `#[export_name = ..]`, or either wrapped in `#[unsafe(..)]`: the function
/// already names its symbol, so the wrapper must not add `#[no_mangle]`.
fn names_its_symbol(attr: &syn::Attribute) -> bool {
    let names = |path: &syn::Path| path.is_ident("no_mangle") || path.is_ident("export_name");
    match &attr.meta {
        Meta::Path(path) => path.is_ident("no_mangle"),
        Meta::NameValue(nv) => nv.path.is_ident("export_name"),
        Meta::List(list) if list.path.is_ident("unsafe") => list
            .parse_args::<Meta>()
            .map(|inner| names(inner.path()))
            .unwrap_or(false),
        Meta::List(_) => false,
    }
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let options = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
    let mut on_error: Option<Expr> = None;
    let mut timeout_ms: Option<Expr> = None;
    let mut state_name: Option<syn::Ident> = None;
    for option in options {
        match option {
            Meta::NameValue(nv) if nv.path.is_ident("on_error") && on_error.is_none() => {
                on_error = Some(nv.value)
            }
            Meta::NameValue(nv) if nv.path.is_ident("timeout_ms") && timeout_ms.is_none() => {
                timeout_ms = Some(nv.value)
            }
            Meta::NameValue(nv) if nv.path.is_ident("state") && state_name.is_none() => {
                match &nv.value {
                    Expr::Path(p) if p.path.get_ident().is_some() && p.qself.is_none() => {
                        state_name = p.path.get_ident().cloned()
                    }
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "rt0::export: `state = <name>` names the variable that holds the library's state in the body",
                        ))
                    }
                }
            }
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "rt0::export: expected `on_error = <value returned when init failed>`, `timeout_ms = <u32 milliseconds>` and `state = <name of the state in the body>`, each at most once",
                ))
            }
        }
    }
    let mut function: ItemFn = syn::parse2(item)?;
    let on_error = match (&on_error, &function.sig.output) {
        (Some(e), _) => quote!(#e),
        (None, ReturnType::Default) => quote!(()),
        (None, ReturnType::Type(_, ty)) => {
            return Err(syn::Error::new(
                ty.span(),
                "rt0::export: this export returns a value: say which one means \"init failed\" with #[rt0::export(on_error = ...)]",
            ))
        }
    };
    let timeout_ms = match &timeout_ms {
        Some(ms) => quote!(::core::option::Option::Some(#ms)),
        None => quote!(::core::option::Option::None),
    };

    // The parameter marked #[state] receives init's value; it is not part of the C signature.
    let mut state_binding = None;
    let mut state_param_span = None;
    let mut c_inputs = Punctuated::<FnArg, Token![,]>::new();
    for input in std::mem::take(&mut function.sig.inputs) {
        match input {
            FnArg::Typed(mut typed) if typed.attrs.iter().any(|a| a.path().is_ident("state")) => {
                if state_binding.is_some() {
                    return Err(syn::Error::new(
                        typed.span(),
                        "rt0::export: only one parameter can be #[state]",
                    ));
                }
                if !matches!(&*typed.ty, syn::Type::Reference(r) if r.mutability.is_none()) {
                    let ty = &typed.ty;
                    return Err(syn::Error::new(
                        ty.span(),
                        format!(
                            "rt0::export: a #[state] parameter borrows the library's state: write `&{}`",
                            quote!(#ty)
                        ),
                    ));
                }
                typed.attrs.retain(|a| !a.path().is_ident("state"));
                state_param_span = Some(typed.span());
                let (pat, ty) = (&typed.pat, &typed.ty);
                state_binding = Some(quote!(let #pat: #ty = __rt0_state;));
            }
            FnArg::Receiver(r) => {
                return Err(syn::Error::new(
                    r.span(),
                    "rt0::export: an export is a free function (no self)",
                ))
            }
            other => c_inputs.push(other),
        }
    }
    function.sig.inputs = c_inputs;
    let names_symbol = function.attrs.iter().find(|a| names_its_symbol(a));
    if let (Some(param), Some(attr)) = (&state_param_span, names_symbol) {
        // The written signature is what cbindgen puts in the C header (it reads source, and a
        // written #[no_mangle] is how it finds exports): with a #[state] parameter there, C
        // callers would pass their arguments one register off.
        let mut e = syn::Error::new(
            *param,
            "rt0::export: a #[state] parameter is not part of the C function, but cbindgen would put it in the header of this export, which names its symbol itself (#[no_mangle] or #[export_name]): take the parameter out and write `#[rt0::export(state = name, ..)]`, which gives the body `name: &State`",
        );
        e.combine(syn::Error::new(
            attr.span(),
            "the export names its symbol here",
        ));
        return Err(e);
    }
    if let (true, Some(param)) = (state_name.is_some(), &state_param_span) {
        return Err(syn::Error::new(
            *param,
            "rt0::export: `state = name` and a #[state] parameter both give the body the state: keep one",
        ));
    }
    if let Some(name) = &state_name {
        state_binding = Some(quote!(let #name = __rt0_state;));
    }
    if function.sig.abi.is_none() {
        function.sig.abi = Some(syn::parse_quote!(extern "C"));
    }
    let no_mangle = if names_symbol.is_some() {
        quote!()
    } else {
        no_mangle_attribute()
    };
    let state_binding = state_binding.unwrap_or_else(|| quote!(let _ = __rt0_state;));
    let body = &function.block;
    let attrs = &function.attrs;
    let vis = &function.vis;
    let sig = &function.sig;
    let lib_entry = lib_entry_path();
    let rt0_private = rt0_private_path();
    let span = Span::call_site();
    // The body goes in as a statement list (`{ let ..; <body statements> }`), not as a block
    // inside a block: a one-expression body would otherwise draw an `unused_braces` warning.
    let statements = &body.stmts;
    let wrapped = quote::quote_spanned! {span=>
        #(#attrs)*
        #no_mangle
        #vis #sig {
            let __rt0_state = match #rt0_private::wait_export(&#lib_entry::LIBRARY, #timeout_ms) {
                ::core::result::Result::Ok(state) => state,
                ::core::result::Result::Err(_) => return #on_error,
            };
            #rt0_private::catch_unwind_or(
                &#lib_entry::LIBRARY,
                move || {
                    #state_binding
                    #(#statements)*
                },
                || #on_error,
            )
        }
    };
    Ok(wrapped)
}

/// `#[unsafe(no_mangle)]`, the form an edition-2024 crate requires, where the compiler knows it
/// (Rust 1.82+); before that no edition-2024 crate exists and `#[no_mangle]` is the only form.
#[rustversion::since(1.82)]
fn no_mangle_attribute() -> proc_macro2::TokenStream {
    quote!(#[unsafe(no_mangle)])
}

/// `#[no_mangle]`: this compiler (before Rust 1.82) knows no other form.
#[rustversion::before(1.82)]
fn no_mangle_attribute() -> proc_macro2::TokenStream {
    quote!(#[no_mangle])
}
