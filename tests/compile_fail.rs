//! Misuses of `rt0::lib_entry!` and `#[rt0::export]` fail to compile with an error that names
//! the fix (the `.stderr` files next to each case), and the uses that must compile do.

mod support;

#[test]
fn misuses_fail_with_errors_that_name_the_fix() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/missing_lib_entry.rs");
    t.compile_fail("tests/compile_fail/repeated_lib_entry.rs");
    t.compile_fail("tests/compile_fail/state_by_value.rs");
    // cbindgen would describe these wrongly (with the state as a C parameter): they must name
    // `#[rt0::export(state = name)]` instead.
    t.compile_fail("tests/compile_fail/state_param_with_no_mangle.rs");
    t.compile_fail("tests/compile_fail/state_param_with_export_name.rs");
    t.compile_fail("tests/compile_fail/unknown_lib_entry_option.rs");
    // With `alloc` a boxed error is what init may return: the case only fails without it.
    #[cfg(not(feature = "alloc"))]
    t.compile_fail("tests/compile_fail/boxed_error_without_alloc.rs");
}

#[test]
fn exports_compile_without_warnings_and_honour_their_options() {
    let t = trybuild::TestCases::new();
    // Built and run: one-expression bodies draw no warning (`deny(warnings)`), attributes that
    // are not `no_mangle` keep the generated `#[no_mangle]`, and the timeouts fire.
    t.pass("tests/compile_fail/pass_export_forms.rs");
}

/// A library that renames its rt0 dependency (tests/crates/renamed: `runtime = { package =
/// "rt0" }`) builds: the export macro finds rt0 through `lib_entry!`, not by the name `rt0`.
#[test]
fn a_renamed_rt0_dependency_builds() {
    // Panics with cargo's output when the crate does not build.
    support::build_test_crate("renamed", "renamed");
}
