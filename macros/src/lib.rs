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

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let options = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
    let mut on_error: Option<Expr> = None;
    for option in options {
        match option {
            Meta::NameValue(nv) if nv.path.is_ident("on_error") => on_error = Some(nv.value),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "rt0::export: expected `on_error = <value returned when init failed>`",
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

    // The parameter marked #[state] receives init's value; it is not part of the C signature.
    let mut state_binding = None;
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
                typed.attrs.retain(|a| !a.path().is_ident("state"));
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
    if function.sig.abi.is_none() {
        function.sig.abi = Some(syn::parse_quote!(extern "C"));
    }
    let has_no_mangle = function
        .attrs
        .iter()
        .any(|a| a.path().is_ident("no_mangle") || a.path().is_ident("unsafe"));
    let no_mangle = if has_no_mangle {
        quote!()
    } else {
        quote!(#[no_mangle])
    };
    let state_binding = state_binding.unwrap_or_else(|| quote!(let _ = __rt0_state;));
    let body = &function.block;
    let attrs = &function.attrs;
    let vis = &function.vis;
    let sig = &function.sig;
    let span = Span::call_site();
    let wrapped = quote::quote_spanned! {span=>
        #(#attrs)*
        #no_mangle
        #vis #sig {
            let __rt0_state = match crate::__rt0_lib_entry::LIBRARY.wait() {
                ::core::result::Result::Ok(state) => state,
                ::core::result::Result::Err(_) => return #on_error,
            };
            ::rt0::__private::catch_unwind_or(
                move || {
                    #state_binding
                    #body
                },
                || #on_error,
            )
        }
    };
    Ok(wrapped)
}
