#![no_main]
//! Fuzz target: SDP bodies.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = teleprobe::proto::sdp::parse(data);
});
