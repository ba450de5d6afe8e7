#![no_main]
//! Fuzz target: QUIC long headers, Initial decryption and CRYPTO frames.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::quic::*;
    let _ = legacy_gquic_version(data);
    let _ = is_version_negotiation(data);
    if let Some(h) = parse_long_header(data) {
        if let Some(keys) = InitialKeys::derive(VERSION_1, h.dcid, false) {
            let mut out = Vec::new();
            if let Some(plain) = decrypt_initial(&data[..h.packet_len], &h, &keys, &mut out) {
                let _ = crypto_frames(plain).count();
            }
        }
    }
    let _ = crypto_frames(data).count();
});
