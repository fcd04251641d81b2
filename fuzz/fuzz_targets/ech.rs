//! cargo-fuzz target `ech`: see `ferrotls_load::fuzz::ech` for the input layout and
//! the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferrotls_load::fuzz::ech(data);
});
