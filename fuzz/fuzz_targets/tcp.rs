#![no_main]
//! Fuzz target: one TCP direction's reassembly: segments with arbitrary
//! sequence numbers (overlaps, gaps, wrap-around) and a parser that consumes
//! an arbitrary part of what it is given.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::flow::tcp::{Delivery, TcpDirection};
    let mut direction = TcpDirection::default();
    let mut rest = data;
    while rest.len() >= 7 {
        let seq = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let syn = rest[4] & 1 == 1;
        let consume = usize::from(rest[5]);
        let len = usize::from(rest[6]).min(rest.len() - 7);
        let payload = &rest[7..7 + len];
        rest = &rest[7 + len..];
        match direction.segment(seq, syn, payload) {
            Delivery::Direct(bytes) => {
                let used = consume.min(bytes.len());
                direction.stash(&bytes[used..]);
            }
            Delivery::Buffered => {
                let buffer = direction.take_pending();
                direction.restore(buffer, consume);
            }
            Delivery::Nothing => {}
        }
        assert!(direction.pending.len() <= 1 << 20);
    }
});
