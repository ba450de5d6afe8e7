#![no_main]
//! Fuzz target: the decoder, flow table and every dissector together, on
//! a stream of frames (see `teleprobe::engine::run_packed_frames`).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = teleprobe::engine::run_packed_frames(&teleprobe::engine::PACKED_WIRED, data);
});
