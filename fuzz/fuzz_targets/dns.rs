#![no_main]
//! Fuzz target: DNS messages.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = teleprobe::proto::dns::parse(data);
});
