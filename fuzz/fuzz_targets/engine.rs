#![no_main]
//! Fuzz target: the decoder, flow table and every dissector together.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the link type; the rest is a stream of frames,
    // each prefixed by a one-byte length, through the whole engine.
    use teleprobe::engine::Engine;
    use teleprobe::source::{LinkType, RawPacket};
    let Some((&selector, mut rest)) = data.split_first() else { return };
    let links = [LinkType::ETHERNET, LinkType::RAW, LinkType::LINUX_SLL, LinkType::LINUX_SLL2, LinkType::NULL];
    let link = links[selector as usize % links.len()];
    let mut engine = Engine::new();
    let mut flows = Vec::new();
    let mut ts = 0;
    while let Some((&len, tail)) = rest.split_first() {
        let len = (len as usize).min(tail.len());
        let (frame, next) = tail.split_at(len);
        ts += 1_000_000;
        engine.packet(RawPacket { ts, link, data: frame, orig_len: frame.len() as u32 }, &mut flows);
        rest = next;
    }
    let _ = engine.finish(&mut flows);
});
