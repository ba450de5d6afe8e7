#![no_main]
//! Fuzz target: Zoom's SFU and P2P framing, its SFU hello exchange, and
//! the platforms' fixed wire markers (Discord, WhatsApp).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::proto::{demux, zoom};
    let mut detail = zoom::ZoomDetail::default();
    if let Some(p) = zoom::parse_media(data) {
        let _ = detail.on_packet(1, &p);
    }
    if let Some(inner) = zoom::parse_p2p_media(data) {
        let _ = detail.on_inner(2, inner);
    }
    if let Some((kind, id)) = zoom::sfu_hello(data) {
        let _ = detail.on_hello(3, kind, id);
    }
    let _ = zoom::p2p_hello(data);
    let _ = demux::discord_keepalive(data);
    let _ = demux::discord_ip_discovery(data);
    let _ = demux::whatsapp_chat(data);
    let _ = demux::telegram_reflector(data);
});
