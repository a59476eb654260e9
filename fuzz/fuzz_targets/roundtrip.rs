#![no_main]
//! libFuzzer entry point for [`gibson_fuzz::roundtrip`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| gibson_fuzz::roundtrip(data));
