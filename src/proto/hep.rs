//! HEP/EEP (the Homer capture protocol, version 3): monitoring agents
//! (heplify, captagent, Kamailio's siptrace, sngrep -H) copy every SIP
//! message of a server to a collector, by default on UDP 9060. A HEP3
//! datagram is "HEP3", its length, then chunks (vendor, type, length,
//! value); type 11 says what the payload (type 15) is, type 14 is an
//! authentication key in plain text. What a flow learns: how many messages
//! were mirrored, of which kind, the SIP Call-IDs inside (to tie the mirror
//! to the calls it copies), the agent ids, whether a key crossed in the
//! clear (its length only, never its value). Borrowed views; bounded.

use crate::proto::record::push_unique;
use schemars::JsonSchema;
use serde::Serialize;

/// One HEP3 message, borrowing its chunks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hep<'a> {
    /// Chunk 11: 1 SIP, 5 RTCP, 100 log, ...
    pub protocol_type: Option<u8>,
    pub agent_id: Option<u32>,
    /// Chunk 14: the key's length (the value is never kept).
    pub auth_key_len: Option<usize>,
    pub payload: Option<&'a [u8]>,
    /// Chunk 16: a compressed payload (not read).
    pub compressed: bool,
}

pub fn is_hep3(b: &[u8]) -> bool {
    b.starts_with(b"HEP3")
}

/// Parses a HEP3 message; chunks with lengths past the message end it.
pub fn parse(b: &[u8]) -> Option<Hep<'_>> {
    if !is_hep3(b) || b.len() < 6 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([b[4], b[5]]));
    let message = b.get(..total.clamp(6, b.len()))?;
    let mut hep = Hep::default();
    let mut rest = &message[6..];
    while rest.len() >= 6 {
        let kind = u16::from_be_bytes([rest[2], rest[3]]);
        let len = usize::from(u16::from_be_bytes([rest[4], rest[5]]));
        if len < 6 || len > rest.len() {
            break;
        }
        let value = &rest[6..len];
        // Vendor 0 is the generic chunk space the types below belong to.
        if rest[..2] == [0, 0] {
            match kind {
                11 => hep.protocol_type = value.first().copied(),
                12 if value.len() == 4 => {
                    hep.agent_id =
                        Some(u32::from_be_bytes([value[0], value[1], value[2], value[3]]))
                }
                14 => hep.auth_key_len = Some(value.len()),
                15 => hep.payload = Some(value),
                16 => hep.compressed = true,
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    Some(hep)
}

/// What one flow to a collector carried.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HepDetail {
    pub messages: u64,
    pub sip_messages: u64,
    /// Call-IDs of the SIP messages mirrored (first 64).
    pub call_ids: Vec<String>,
    pub agent_ids: Vec<u32>,
    /// An authentication key crossed in the clear: its first frame and length.
    pub auth_key_packet: Option<u64>,
    pub auth_key_length: Option<usize>,
    pub compressed_payloads: u64,
    pub first_packet: u64,
}

impl HepDetail {
    /// Counts one message; the Call-ID of the SIP message it carries.
    pub fn on_message<'a>(&mut self, packet: u64, hep: &Hep<'a>) -> Option<&'a str> {
        if self.messages == 0 {
            self.first_packet = packet;
        }
        self.messages += 1;
        self.compressed_payloads += u64::from(hep.compressed);
        if let Some(id) = hep.agent_id
            && self.agent_ids.len() < 8
            && !self.agent_ids.contains(&id)
        {
            self.agent_ids.push(id);
        }
        if let Some(len) = hep.auth_key_len
            && self.auth_key_packet.is_none()
        {
            self.auth_key_packet = Some(packet);
            self.auth_key_length = Some(len);
        }
        if hep.protocol_type == Some(1)
            && let Some(m) = hep
                .payload
                .and_then(|p| crate::proto::sip::SipMessage::parse(p, false).ok())
        {
            self.sip_messages += 1;
            let id = m.call_id()?;
            push_unique(&mut self.call_ids, id, 64);
            return Some(id);
        }
        None
    }
}

/// A HEP3 message, for tests and seeds: chunks of the generic vendor.
pub fn build(chunks: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, value) in chunks {
        body.extend_from_slice(&0u16.to_be_bytes());
        body.extend_from_slice(&kind.to_be_bytes());
        body.extend_from_slice(&((value.len() + 6) as u16).to_be_bytes());
        body.extend_from_slice(value);
    }
    let mut m = b"HEP3".to_vec();
    m.extend_from_slice(&((body.len() + 6) as u16).to_be_bytes());
    m.extend_from_slice(&body);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirrored_sip_message_with_its_key() {
        let sip = b"INVITE sip:b@x SIP/2.0\r\nCall-ID: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let m = build(&[
            (11, &[1]),
            (12, &7u32.to_be_bytes()),
            (14, b"s3cret"),
            (15, sip),
        ]);
        let h = parse(&m).unwrap();
        assert_eq!(
            (h.protocol_type, h.agent_id, h.auth_key_len),
            (Some(1), Some(7), Some(6))
        );
        let mut d = HepDetail::default();
        d.on_message(9, &h);
        assert_eq!(
            (d.sip_messages, d.call_ids.as_slice(), d.auth_key_packet),
            (1, &["abc".to_string()][..], Some(9))
        );
        // A chunk claiming more than the message holds ends the walk.
        let mut cut = build(&[(11, &[1]), (15, sip)]);
        let n = cut.len();
        cut[n - sip.len() - 2] = 0xff;
        assert_eq!(parse(&cut).unwrap().payload, None);
        assert!(parse(b"HEP2....").is_none());
    }
}
