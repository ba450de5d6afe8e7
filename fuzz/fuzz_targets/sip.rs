#![no_main]
//! Fuzz target: SIP messages, headers and name-addr values.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::sip::{SipMessage, parse_name_addr, uri_user};
    for stream in [false, true] {
        if let Ok(m) = SipMessage::parse(data, stream) {
            let _ = (m.call_id(), m.cseq(), m.content_type());
            for (_, v) in m.headers() {
                if let Some(na) = parse_name_addr(v) {
                    let _ = uri_user(na.uri);
                }
            }
        }
    }
});
