#![no_main]
//! Fuzz target: SIP messages, headers and name-addr values, and the
//! dialog state machine fed the same message twice.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::Seen;
    use teleprobe::proto::sip::dialog::{Carrier, DialogRecord, starts_dialog};
    use teleprobe::proto::sip::state::CarriedSdp;
    use teleprobe::proto::sip::{SipMessage, parse_name_addr, uri_user};
    for stream in [false, true] {
        if let Ok(m) = SipMessage::parse(data, stream) {
            let _ = (m.call_id(), m.cseq(), m.content_type());
            for (_, v) in m.headers() {
                if let Some(na) = parse_name_addr(v) {
                    let _ = uri_user(na.uri);
                }
            }
            let at = Seen {
                packet: 1,
                ts: 0,
                dir: teleprobe::flow::Dir::ClientToServer,
            };
            let carrier = Carrier {
                flow: 1,
                transport: teleprobe::flow::Proto::Udp,
                source: "127.0.0.1:5060".parse().unwrap(),
                destination: "127.0.0.1:5070".parse().unwrap(),
            };
            let sdp = CarriedSdp::of(at, &m);
            if let (Some(id), true) = (m.call_id(), starts_dialog(&m)) {
                let mut d = DialogRecord::new(id, at, carrier, &m);
                d.on_message(at, carrier, &m, sdp.as_ref().map(|s| &s.record));
                d.on_message(at, carrier, &m, None);
            }
        }
    }
});
