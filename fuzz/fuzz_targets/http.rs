#![no_main]
//! Fuzz target: HTTP/1.x request heads.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = teleprobe::proto::http::parse_request(data);
});
