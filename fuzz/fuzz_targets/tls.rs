#![no_main]
//! Fuzz target: TLS/DTLS records, hellos and certificates.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::tls::*;
    for dtls in [false, true] {
        if let Some(h) = ClientHello::parse(data, dtls) {
            let _ = (
                h.alpn().count(),
                h.supported_versions().count(),
                h.srtp_profiles().count(),
            );
        }
    }
    let _ = ServerHello::parse(data);
    if let Some(c) = leaf_certificate(data) {
        let _ = certificate_info(c);
    }
    let _ = tls_record(data);
    let _ = tls_handshake(data);
    if let Some(DtlsRecord { fragment: f, .. }) = dtls_record(data) {
        let _ = dtls_handshakes(f).count();
    }
});
