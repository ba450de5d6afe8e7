//! Builders that emit valid STUN messages (RFC 8489), their address
//! attributes and TURN ChannelData (RFC 8656 §12) from a description, for
//! the tests and fuzz seeds. Must never be used on the packet path.

use super::MAGIC_COOKIE;
use std::net::{IpAddr, SocketAddr};

/// A STUN message: type (method and class), transaction id, attributes.
#[derive(Debug, Clone, Default)]
pub struct StunRepr {
    pub message_type: u16,
    pub transaction_id: [u8; 12],
    /// (type, value); values are padded to 4 bytes on the wire.
    pub attributes: Vec<(u16, Vec<u8>)>,
}

impl StunRepr {
    pub fn emit(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, value) in &self.attributes {
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = self.message_type.to_be_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        m.extend_from_slice(&self.transaction_id);
        m.extend_from_slice(&body);
        m
    }
}

/// An XOR-MAPPED/RELAYED/PEER-ADDRESS value (RFC 8489 §14.2) for a message
/// with transaction id `tid`.
pub fn xor_address(addr: SocketAddr, tid: [u8; 12]) -> Vec<u8> {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    let mut v = vec![0];
    match addr.ip() {
        IpAddr::V4(ip) => {
            v.push(1);
            v.extend_from_slice(&port.to_be_bytes());
            v.extend(ip.octets().iter().zip(cookie).map(|(a, k)| a ^ k));
        }
        IpAddr::V6(ip) => {
            v.push(2);
            v.extend_from_slice(&port.to_be_bytes());
            let key = cookie.iter().chain(&tid);
            v.extend(ip.octets().iter().zip(key).map(|(a, k)| a ^ k));
        }
    }
    v
}

/// A ChannelData frame; over TCP it is padded to 4 bytes.
pub fn channel_data(channel: u16, data: &[u8], padded: bool) -> Vec<u8> {
    let mut f = channel.to_be_bytes().to_vec();
    f.extend_from_slice(&(data.len() as u16).to_be_bytes());
    f.extend_from_slice(data);
    while padded && f.len() % 4 != 0 {
        f.push(0);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::super::{ChannelData, Message, XOR_MAPPED_ADDRESS};
    use super::*;

    #[test]
    fn what_is_built_parses_back_to_what_was_described() {
        let tid = [5; 12];
        for addr in ["198.51.100.7:3478", "[2001:db8::9]:50000"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let wire = StunRepr {
                message_type: 0x0101,
                transaction_id: tid,
                attributes: vec![(XOR_MAPPED_ADDRESS, xor_address(addr, tid))],
            }
            .emit();
            let m = Message::parse(&wire).unwrap();
            assert_eq!((m.method(), m.len()), (0x0001, wire.len()));
            assert_eq!(m.address(XOR_MAPPED_ADDRESS), Some(addr));
        }
        let frame = channel_data(0x4001, b"abcde", true);
        assert_eq!(frame.len(), 12);
        let cd = ChannelData::parse(&frame, true).unwrap();
        assert_eq!(
            (cd.channel, cd.data, cd.frame_len),
            (0x4001, &b"abcde"[..], 12)
        );
    }
}
