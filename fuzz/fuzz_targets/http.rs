#![no_main]
//! Fuzz target: HTTP/1.x request heads and message framing (lengths,
//! chunks, upgrade), and WebSocket frame headers and unmasking.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::http::{self, Body, Message, websocket::Frame};
    let _ = http::parse_request(data);
    if let Ok(m) = Message::parse(data) {
        let _ = (m.content_type, m.upgrades_to_websocket());
        if m.body == Body::Chunked {
            let mut out = Vec::new();
            let _ = http::dechunk(&data[m.head_len..], &mut out, 4096);
        }
    }
    if let Ok(f) = Frame::parse(data) {
        let end = (f.header_len as u64 + f.payload_len).min(data.len() as u64) as usize;
        let mut out = Vec::new();
        f.unmask_into(&data[f.header_len.min(end)..end], 0, &mut out);
    }
});
