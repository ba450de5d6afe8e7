#![no_main]
//! Fuzz target: STUN/TURN messages and ChannelData framing.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::stun::{ChannelData, Message, XOR_PEER_ADDRESS};
    if let Ok(m) = Message::parse(data) {
        let _ = (
            m.class(),
            m.method(),
            m.fingerprint_ok(),
            m.error_code(),
            m.channel_number(),
        );
        for a in m.attributes() {
            let _ = (m.address(a.kind), m.text(a.kind), m.u32_attr(a.kind));
        }
        let _ = m.addresses(XOR_PEER_ADDRESS).count();
    }
    let _ = ChannelData::parse(data, true);
    let _ = ChannelData::parse(data, false);
});
