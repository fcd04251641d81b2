//! cargo-fuzz target `msgs_decode`: see `ferrotls_load::fuzz::msgs_decode` for the input layout and
//! the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferrotls_load::fuzz::msgs_decode(data);
});
