#![no_main]
//! Fuzz target: recording-session detection on a SIP message: multipart
//! bodies split by their boundary, the metadata scanned (bounded counts).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::sip::{SipMessage, siprec};
    if let Ok(m) = SipMessage::parse(data, false) {
        if let Some(r) = siprec::recording(&m, 1) {
            assert!(r.aors.len() <= 32 && r.names.len() <= 32);
        }
        let _ = siprec::sdp_body(&m);
    }
    if let Some(parts) = siprec::multipart("multipart/mixed;boundary=b", data) {
        assert!(parts.len() <= 16);
    }
});
