//! ZRTP (RFC 6189) packets on a media 5-tuple: their presence means the
//! media keys were agreed end to end; message types are counted.

use crate::proto::record::bump;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ZrtpDetail {
    pub packets: u64,
    pub message_types: BTreeMap<String, u64>,
}

/// ZRTP's magic cookie sits where RTP keeps its timestamp.
pub fn looks_like_zrtp(payload: &[u8]) -> bool {
    payload.get(4..8) == Some(b"ZRTP")
}

impl ZrtpDetail {
    pub fn on_packet(&mut self, payload: &[u8]) {
        self.packets += 1;
        // Message type block: preamble 0x505a, length, 8-byte type.
        if let Some(kind) = payload
            .get(16..24)
            .and_then(|t| std::str::from_utf8(t).ok())
        {
            bump(&mut self.message_types, kind.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_is_counted_by_type() {
        let mut hello = vec![0x10, 0x00, 0x00, 0x01];
        hello.extend_from_slice(b"ZRTP");
        hello.extend_from_slice(&[0, 0, 0, 1, 0x50, 0x5a, 0, 0x1e]);
        hello.extend_from_slice(b"Hello   ");
        assert!(looks_like_zrtp(&hello));
        let mut z = ZrtpDetail::default();
        z.on_packet(&hello);
        assert_eq!((z.packets, z.message_types["Hello"]), (1, 1));
    }
}
