#![no_main]
//! libFuzzer entry point for [`gibson_fuzz::session`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| gibson_fuzz::session(data));
