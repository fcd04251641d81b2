//! cargo-fuzz target `x509`: see `ferrotls_load::fuzz::x509` for the input layout and
//! the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferrotls_load::fuzz::x509(data);
});
