#![no_main]
//! Fuzz target: the IP fragment pool. Each 5-byte record is one fragment:
//! datagram id (2 bits of a byte), offset in 8-byte units, more-fragments
//! flag, length; the payload bytes are taken from the rest of the input.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use teleprobe::decode::{FragmentKey, Reassembler};
    let mut pool = Reassembler::new();
    let (records, payload) = data.split_at(data.len() / 2);
    let mut now = 0i64;
    for r in records.chunks_exact(5) {
        let key = FragmentKey {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            protocol: 17,
            id: u32::from(r[0] & 3),
        };
        let offset = usize::from(u16::from_be_bytes([r[1], r[2]]) & 0x1fff) * 8;
        let more = r[3] & 1 == 1;
        let len = usize::from(r[4]).min(payload.len());
        // Time moves on, sometimes past the pool's timeout.
        now += i64::from(r[3] >> 1) * 1_000_000_000;
        if let Some(datagram) = pool.add(key, offset, more, &payload[..len], now) {
            assert!(datagram.len() <= 65_535 + 8);
        }
        assert!(pool.in_flight() <= 1 << 16);
    }
});
