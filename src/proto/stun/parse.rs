//! STUN (RFC 8489, classic RFC 3489) and TURN (RFC 8656, RFC 6062) messages,
//! parsed in place: a [`Message`] borrows the packet and decodes attributes
//! on demand. Lenient by design: a bad FINGERPRINT is reported, not fatal;
//! unknown attributes are skipped; classic messages without the magic cookie
//! are still STUN. Never panics, never allocates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub const MAGIC_COOKIE: u32 = 0x2112_A442;
const HEADER_LEN: usize = 20;

mod attr {
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    pub const USERNAME: u16 = 0x0006;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    pub const ERROR_CODE: u16 = 0x0009;
    pub const CHANNEL_NUMBER: u16 = 0x000C;
    pub const LIFETIME: u16 = 0x000D;
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    pub const DATA: u16 = 0x0013;
    pub const REALM: u16 = 0x0014;
    pub const NONCE: u16 = 0x0015;
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    pub const REQUESTED_TRANSPORT: u16 = 0x0019;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    pub const PRIORITY: u16 = 0x0024;
    pub const USE_CANDIDATE: u16 = 0x0025;
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    /// Pre-standard XOR-MAPPED-ADDRESS still sent by some stacks.
    pub const XOR_MAPPED_ADDRESS_OLD: u16 = 0x8020;
    pub const SOFTWARE: u16 = 0x8022;
    pub const FINGERPRINT: u16 = 0x8028;
    pub const ICE_CONTROLLED: u16 = 0x8029;
    pub const ICE_CONTROLLING: u16 = 0x802A;
    pub const RESPONSE_ORIGIN: u16 = 0x802B;
    pub const OTHER_ADDRESS: u16 = 0x802C;
}
pub use attr::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StunError {
    TooShort,
    NotStun,
    /// The header's length runs past the end of the packet.
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Request,
    Indication,
    Success,
    Error,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Request => "request",
            Class::Indication => "indication",
            Class::Success => "success",
            Class::Error => "error",
        }
    }
}

/// STUN/TURN method numbers (RFC 8489, RFC 8656, RFC 6062).
pub mod method {
    pub const BINDING: u16 = 0x001;
    pub const SHARED_SECRET: u16 = 0x002;
    pub const ALLOCATE: u16 = 0x003;
    pub const REFRESH: u16 = 0x004;
    pub const SEND: u16 = 0x006;
    pub const DATA: u16 = 0x007;
    pub const CREATE_PERMISSION: u16 = 0x008;
    pub const CHANNEL_BIND: u16 = 0x009;
    pub const CONNECT: u16 = 0x00A;
    pub const CONNECTION_BIND: u16 = 0x00B;
    pub const CONNECTION_ATTEMPT: u16 = 0x00C;
}

/// Methods that exist only in TURN: seeing one makes the flow a TURN flow.
pub fn is_turn_method(method: u16) -> bool {
    (method::ALLOCATE..=method::CONNECTION_ATTEMPT).contains(&method)
}

/// The stream probe (STUN over TCP, RFC 6062 control connections): a
/// message with the magic cookie, whole or still arriving. Classic RFC 3489
/// messages carry no cookie: on a stream they are not told from noise.
pub fn probe_stream(b: &[u8]) -> crate::proto::Probe {
    use crate::proto::Probe;
    match Message::parse(b) {
        Ok(m) if !m.classic => Probe::Certain,
        Err(StunError::Truncated) if b.len() >= 8 && b[4..8] == MAGIC_COOKIE.to_be_bytes() => {
            Probe::Certain
        }
        _ if b.len() < 8 && b.first().is_some_and(|&f| f < 4) => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

/// A STUN message borrowed from a packet.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    /// RFC 5389+ messages carry the magic cookie; classic RFC 3489 ones do not.
    pub classic: bool,
}

impl<'a> Message<'a> {
    /// Parses one message at the start of `bytes`; trailing bytes (TCP
    /// framing, padding) are ignored. Use [`Message::len`] to step over it.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, StunError> {
        if bytes.len() < HEADER_LEN {
            return Err(StunError::TooShort);
        }
        let msg_type = u16::from_be_bytes([bytes[0], bytes[1]]);
        let length = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        if msg_type & 0xC000 != 0 || length % 4 != 0 {
            return Err(StunError::NotStun);
        }
        let cookie = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let classic = cookie != MAGIC_COOKIE;
        // Without the cookie, accept only the message types RFC 3489 defined.
        if classic
            && !matches!(
                msg_type,
                0x0001 | 0x0101 | 0x0111 | 0x0002 | 0x0102 | 0x0112
            )
        {
            return Err(StunError::NotStun);
        }
        if HEADER_LEN + length > bytes.len() {
            return Err(StunError::Truncated);
        }
        let message = Message {
            bytes: &bytes[..HEADER_LEN + length],
            classic,
        };
        if classic && !message.attributes_well_formed() {
            return Err(StunError::NotStun);
        }
        Ok(message)
    }

    /// Total length including the header.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn raw_type(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }

    pub fn class(&self) -> Class {
        let t = self.raw_type();
        match ((t >> 7) & 0b10) | ((t >> 4) & 0b1) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::Success,
            _ => Class::Error,
        }
    }

    pub fn method(&self) -> u16 {
        let t = self.raw_type();
        (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    }

    /// The 96-bit transaction id (128 bits for classic STUN, cookie included).
    pub fn transaction_id(&self) -> &'a [u8] {
        if self.classic {
            &self.bytes[4..20]
        } else {
            &self.bytes[8..20]
        }
    }

    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            rest: &self.bytes[HEADER_LEN..],
        }
    }

    fn attributes_well_formed(&self) -> bool {
        let mut rest = &self.bytes[HEADER_LEN..];
        while !rest.is_empty() {
            if rest.len() < 4 {
                return false;
            }
            let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
            let padded = (len + 3) & !3;
            if 4 + len > rest.len() {
                return false;
            }
            rest = &rest[(4 + padded).min(rest.len())..];
        }
        true
    }

    pub fn attribute(&self, wanted: u16) -> Option<&'a [u8]> {
        self.attributes()
            .find(|a| a.kind == wanted)
            .map(|a| a.value)
    }

    pub fn has(&self, wanted: u16) -> bool {
        self.attribute(wanted).is_some()
    }

    /// Decodes an address attribute, XOR'd or plain as its type requires.
    pub fn address(&self, kind: u16) -> Option<SocketAddr> {
        let value = self.attribute(kind)?;
        let xored = matches!(
            kind,
            XOR_MAPPED_ADDRESS | XOR_MAPPED_ADDRESS_OLD | XOR_PEER_ADDRESS | XOR_RELAYED_ADDRESS
        );
        decode_address(value, xored.then(|| self.transaction_id()))
    }

    /// All values of an address attribute (XOR-PEER-ADDRESS may repeat).
    pub fn addresses(&self, kind: u16) -> impl Iterator<Item = SocketAddr> + 'a {
        let tid = self.transaction_id();
        self.attributes()
            .filter(move |a| a.kind == kind)
            .filter_map(move |a| decode_address(a.value, Some(tid)))
    }

    pub fn text(&self, kind: u16) -> Option<&'a str> {
        self.attribute(kind)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    pub fn u32_attr(&self, kind: u16) -> Option<u32> {
        let v = self.attribute(kind)?;
        Some(u32::from_be_bytes(v.get(..4)?.try_into().ok()?))
    }

    /// ERROR-CODE as (code, reason phrase).
    pub fn error_code(&self) -> Option<(u16, &'a str)> {
        let v = self.attribute(ERROR_CODE)?;
        if v.len() < 4 {
            return None;
        }
        let code = (v[2] & 0x07) as u16 * 100 + v[3] as u16;
        Some((code, std::str::from_utf8(&v[4..]).unwrap_or("")))
    }

    pub fn channel_number(&self) -> Option<u16> {
        let v = self.attribute(CHANNEL_NUMBER)?;
        Some(u16::from_be_bytes([*v.first()?, *v.get(1)?]))
    }

    /// FINGERPRINT check: `None` if absent, `Some(false)` if it does not match.
    pub fn fingerprint_ok(&self) -> Option<bool> {
        let mut offset = HEADER_LEN;
        for a in self.attributes() {
            if a.kind == FINGERPRINT {
                let value = a.value.get(..4)?;
                let expected = u32::from_be_bytes(value.try_into().ok()?);
                return Some(crc32(&self.bytes[..offset]) ^ 0x5354_554E == expected);
            }
            offset += 4 + ((a.value.len() + 3) & !3);
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub kind: u16,
    pub value: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        if self.rest.len() < 4 {
            return None;
        }
        let kind = u16::from_be_bytes([self.rest[0], self.rest[1]]);
        let len = u16::from_be_bytes([self.rest[2], self.rest[3]]) as usize;
        let Some(value) = self.rest.get(4..4 + len) else {
            self.rest = &[];
            return None;
        };
        let padded = (4 + ((len + 3) & !3)).min(self.rest.len());
        self.rest = &self.rest[padded..];
        Some(Attribute { kind, value })
    }
}

/// RFC 8489 §14.1/14.2 address encoding; `xor_with` is the transaction id.
fn decode_address(value: &[u8], xor_with: Option<&[u8]>) -> Option<SocketAddr> {
    if value.len() < 8 {
        return None;
    }
    let family = value[1];
    let mut port = u16::from_be_bytes([value[2], value[3]]);
    let cookie = MAGIC_COOKIE.to_be_bytes();
    if xor_with.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match family {
        1 => {
            let mut a: [u8; 4] = value[4..8].try_into().ok()?;
            if xor_with.is_some() {
                a.iter_mut().zip(cookie).for_each(|(b, k)| *b ^= k);
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        2 => {
            let mut a: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            if let Some(tid) = xor_with {
                let tid = tid.get(tid.len().saturating_sub(12)..)?;
                let key = cookie.iter().chain(tid.iter());
                a.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// TURN ChannelData (RFC 8656 §12.4): channel number and the carried bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    pub channel: u16,
    pub data: &'a [u8],
    /// Bytes the frame occupies, padding included when `padded`.
    pub frame_len: usize,
}

impl<'a> ChannelData<'a> {
    /// Over UDP the length must fit the datagram and padding is optional;
    /// over TCP (`padded`) frames are padded to four bytes (RFC 8656 §12.5).
    pub fn parse(bytes: &'a [u8], padded: bool) -> Option<ChannelData<'a>> {
        if bytes.len() < 4 {
            return None;
        }
        let channel = u16::from_be_bytes([bytes[0], bytes[1]]);
        if !(0x4000..=0x7FFF).contains(&channel) {
            return None;
        }
        let len = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        let data = bytes.get(4..4 + len)?;
        let frame_len = if padded { (4 + len + 3) & !3 } else { 4 + len };
        if !padded && bytes.len() - (4 + len) > 3 {
            return None;
        }
        Some(ChannelData {
            channel,
            data,
            frame_len: frame_len.min(bytes.len()),
        })
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (ISO 3309), as FINGERPRINT uses.
pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// RFC 5769 §2.1 sample request (software, priority, ICE-CONTROLLED,
    /// username, message integrity, fingerprint).
    pub(crate) const RFC5769_REQUEST: [u8; 108] = [
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
        0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
        0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
        0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
        0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
        0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
        0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
        0x7a, 0x3b, 0xcf,
    ];

    /// RFC 5769 §2.2 sample IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853.
    const RFC5769_RESPONSE: [u8; 80] = [
        0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
        0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
        0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1,
        0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
        0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00,
        0x04, 0xc0, 0x7d, 0x4c, 0x96,
    ];

    #[test]
    fn rfc5769_request() {
        let m = Message::parse(&RFC5769_REQUEST).unwrap();
        assert!(!m.classic);
        assert_eq!(m.class(), Class::Request);
        assert_eq!(m.method(), method::BINDING);
        assert_eq!(m.text(SOFTWARE), Some("STUN test client"));
        assert_eq!(m.u32_attr(PRIORITY), Some(0x6e0001ff));
        assert!(m.has(ICE_CONTROLLED));
        assert!(!m.has(USE_CANDIDATE));
        assert_eq!(m.text(USERNAME), Some("evtj:h6vY"));
        assert_eq!(m.fingerprint_ok(), Some(true));
        assert_eq!(m.transaction_id(), &RFC5769_REQUEST[8..20]);
    }

    #[test]
    fn rfc5769_response_and_bad_fingerprint() {
        let m = Message::parse(&RFC5769_RESPONSE).unwrap();
        assert_eq!(m.class(), Class::Success);
        assert_eq!(
            m.address(XOR_MAPPED_ADDRESS),
            Some("192.0.2.1:32853".parse().unwrap())
        );
        assert_eq!(m.text(SOFTWARE), Some("test vector"));
        assert_eq!(m.fingerprint_ok(), Some(true));
        let mut bad = RFC5769_RESPONSE;
        bad[79] ^= 1;
        let m = Message::parse(&bad).unwrap();
        assert_eq!(
            m.fingerprint_ok(),
            Some(false),
            "a bad fingerprint is reported, not fatal"
        );
    }

    #[test]
    fn rejects_non_stun_and_truncation() {
        assert_eq!(
            Message::parse(&RFC5769_REQUEST[..19]).unwrap_err(),
            StunError::TooShort
        );
        assert_eq!(
            Message::parse(&RFC5769_REQUEST[..60]).unwrap_err(),
            StunError::Truncated
        );
        let mut rtp = RFC5769_REQUEST;
        rtp[0] = 0x80;
        assert_eq!(Message::parse(&rtp).unwrap_err(), StunError::NotStun);
    }

    #[test]
    fn classic_binding_without_cookie() {
        // RFC 3489 binding response with MAPPED-ADDRESS 10.0.0.5:3478.
        let mut m = vec![0x01, 0x01, 0x00, 0x0c];
        m.extend_from_slice(&[0x55; 16]);
        m.extend_from_slice(&[0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x96, 10, 0, 0, 5]);
        let msg = Message::parse(&m).unwrap();
        assert!(msg.classic);
        assert_eq!(msg.class(), Class::Success);
        assert_eq!(msg.transaction_id().len(), 16);
        assert_eq!(
            msg.address(MAPPED_ADDRESS),
            Some("10.0.0.5:3478".parse().unwrap())
        );
    }

    #[test]
    fn channel_data_udp_and_tcp() {
        let frame = [0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];
        let cd = ChannelData::parse(&frame, true).unwrap();
        assert_eq!(
            (cd.channel, cd.data, cd.frame_len),
            (0x4001, &[1, 2, 3, 4, 5][..], 12)
        );
        let cd = ChannelData::parse(&frame[..9], false).unwrap();
        assert_eq!(cd.frame_len, 9);
        assert!(ChannelData::parse(&[0x30, 0x00, 0x00, 0x00], false).is_none());
        assert!(ChannelData::parse(&[0x40, 0x00, 0x00, 0x09, 1], false).is_none());
    }
}
