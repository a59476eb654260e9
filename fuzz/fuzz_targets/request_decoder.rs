#![no_main]
//! libFuzzer entry point for [`gibson_fuzz::request_decoder`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| gibson_fuzz::request_decoder(data));
