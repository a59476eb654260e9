#![no_main]
//! libFuzzer entry point for [`gibson_fuzz::reply_decoder`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| gibson_fuzz::reply_decoder(data));
