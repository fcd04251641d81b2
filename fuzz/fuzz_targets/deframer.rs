//! cargo-fuzz target `deframer`: see `ferrotls_load::fuzz::deframer` for the input layout and
//! the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ferrotls_load::fuzz::deframer(data);
});
