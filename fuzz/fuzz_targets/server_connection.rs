#![no_main]
//! libFuzzer entry point for [`gibson_fuzz::server_connection`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| gibson_fuzz::server_connection(data));
