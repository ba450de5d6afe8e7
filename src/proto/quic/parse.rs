//! QUIC long headers (RFC 9000 §17.2) and Initial packet decryption with the
//! version's public salt (RFC 9001 §5.2, RFC 9369 for v2), to read the
//! ClientHello's SNI and ALPN and the ServerHello's cipher. Initial keys are
//! public by design: this reads only what any on-path observer can.

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::AeadInOut;
use hkdf::Hkdf;
use sha2::Sha256;

pub const VERSION_1: u32 = 0x0000_0001;
pub const VERSION_2: u32 = 0x6b33_43cf;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// Drafts 21-22 (and mvfst's first version).
const SALT_DRAFT22: [u8; 20] = [
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd,
    0x7a, 0x02, 0x64, 0x4a,
];
/// Drafts 23-28 (and mvfst's draft-27 based version).
const SALT_DRAFT23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
/// Drafts 29-32, still seen in older captures.
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];

/// A QUIC version for people: "QUICv1", "draft-29", "gQUIC Q046"...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionName(pub u32);

impl std::fmt::Display for VersionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        let bytes = v.to_be_bytes();
        match v {
            0 => f.write_str("version negotiation"),
            VERSION_1 => f.write_str("QUICv1"),
            VERSION_2 => f.write_str("QUICv2"),
            _ if matches!(bytes[0], b'Q' | b'T') => {
                f.write_str("gQUIC ")?;
                bytes.iter().try_for_each(|&b| write!(f, "{}", b as char))
            }
            0xface_b000..=0xface_b0ff => write!(f, "mvfst 0x{v:08x}"),
            0xff00_0000..=0xff00_00ff => write!(f, "draft-{}", v & 0xff),
            _ if v & 0x0f0f_0f0f == 0x0a0a_0a0a => f.write_str("grease"),
            _ => write!(f, "0x{v:08x}"),
        }
    }
}

/// Versions whose long headers we recognise as QUIC: v1, v2, IETF drafts,
/// Facebook mvfst, and Google QUIC (Q0xx/T0xx) which shares the long-header
/// bit and version position.
pub fn is_known_version(v: u32) -> bool {
    let [a, b, _, _] = v.to_be_bytes();
    matches!(v, VERSION_1 | VERSION_2 | 0x709a_50c4)
        || (0xff00_0000..=0xff00_00ff).contains(&v)
        || (0xface_b000..=0xface_b0ff).contains(&v)
        || ((a == b'Q' || a == b'T') && b == b'0')
        // Reserved versions that force negotiation (RFC 9000 §15).
        || v & 0x0f0f_0f0f == 0x0a0a_0a0a
}

/// A Version Negotiation packet: version 0, then a list of 32-bit versions.
pub fn is_version_negotiation(b: &[u8]) -> bool {
    if long_header_version(b) != Some(0) {
        return false;
    }
    let Some(&dcil) = b.get(5) else { return false };
    let Some(&scil) = b.get(6 + dcil as usize) else {
        return false;
    };
    let list = 7 + dcil as usize + scil as usize;
    dcil <= 20 && scil <= 20 && b.len() > list && (b.len() - list) % 4 == 0
}

/// Google QUIC before Q046 used its own public header: flags (version bit
/// 0x01, 8-byte connection id bit 0x08), connection id, then "Q0xx".
pub fn legacy_gquic_version(b: &[u8]) -> Option<u32> {
    let flags = *b.first()?;
    if flags & 0x80 != 0 || flags & 0x01 == 0 {
        return None;
    }
    let at = if flags & 0x08 != 0 { 9 } else { 1 };
    let v = b.get(at..at + 4)?;
    (v[0] == b'Q' && v[1].is_ascii_digit() && v[2].is_ascii_digit() && v[3].is_ascii_digit())
        .then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
}

/// The SNI of a Google QUIC client hello sent in the clear (Q043 and
/// earlier in their own framing, Q046 in a long header): a "CHLO" tag-value
/// message (tag, entry count, then (tag, end offset) pairs, then values),
/// whose `SNI\0` entry names the server. Later gQUIC versions encrypt it.
pub fn gquic_chlo_sni(datagram: &[u8]) -> Option<&str> {
    let at = memchr::memmem::find(datagram, b"CHLO")?;
    let msg = &datagram[at..];
    let entries = usize::from(u16::from_le_bytes([*msg.get(4)?, *msg.get(5)?]));
    if entries == 0 || entries > 64 {
        return None;
    }
    let values = 8 + entries * 8;
    let mut start = 0usize;
    for i in 0..entries {
        let e = msg.get(8 + i * 8..16 + i * 8)?;
        let end = u32::from_le_bytes([e[4], e[5], e[6], e[7]]) as usize;
        if end < start {
            return None;
        }
        if &e[..4] == b"SNI\0" {
            let name = msg.get(values + start..values + end)?;
            let name = std::str::from_utf8(name).ok()?;
            let valid = !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            return valid.then_some(name);
        }
        start = end;
    }
    None
}

/// Version of a datagram that starts with a long header, if any.
pub fn long_header_version(b: &[u8]) -> Option<u32> {
    if b.len() < 5 || b[0] & 0x80 == 0 {
        return None;
    }
    Some(u32::from_be_bytes([b[1], b[2], b[3], b[4]]))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

#[derive(Debug, Clone, Copy)]
pub struct LongHeader<'a> {
    pub version: u32,
    pub packet_type: PacketType,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// Where the (protected) packet number starts.
    pub pn_offset: usize,
    /// Bytes after the length field: packet number plus protected payload.
    pub remainder_len: usize,
    /// This packet's length within a coalesced datagram.
    pub packet_len: usize,
}

fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(*at..*at + len)?;
    let mut v = (first & 0x3f) as u64;
    for &x in &bytes[1..] {
        v = (v << 8) | x as u64;
    }
    *at += len;
    Some(v)
}

/// Parses a long header; `None` for short headers or malformed bytes.
pub fn parse_long_header(b: &[u8]) -> Option<LongHeader<'_>> {
    let first = *b.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = u32::from_be_bytes(b.get(1..5)?.try_into().ok()?);
    let mut at = 5;
    let dcid_len = *b.get(at)? as usize;
    let dcid = b.get(at + 1..at + 1 + dcid_len)?;
    at += 1 + dcid_len;
    let scid_len = *b.get(at)? as usize;
    let scid = b.get(at + 1..at + 1 + scid_len)?;
    at += 1 + scid_len;
    if version == 0 || dcid_len > 20 || scid_len > 20 || first & 0x40 == 0 {
        return None;
    }
    let bits = (first >> 4) & 0x3;
    let packet_type = match (version == VERSION_2, bits) {
        (false, 0) | (true, 1) => PacketType::Initial,
        (false, 1) | (true, 2) => PacketType::ZeroRtt,
        (false, 2) | (true, 3) => PacketType::Handshake,
        _ => PacketType::Retry,
    };
    if packet_type == PacketType::Retry {
        return Some(LongHeader {
            version,
            packet_type,
            dcid,
            scid,
            pn_offset: b.len(),
            remainder_len: 0,
            packet_len: b.len(),
        });
    }
    if packet_type == PacketType::Initial {
        let token_len = varint(b, &mut at)? as usize;
        at = at.checked_add(token_len)?;
    }
    let remainder_len = varint(b, &mut at)? as usize;
    let packet_len = at.checked_add(remainder_len)?;
    if packet_len > b.len() {
        return None;
    }
    Some(LongHeader {
        version,
        packet_type,
        dcid,
        scid,
        pn_offset: at,
        remainder_len,
        packet_len,
    })
}

fn expand_label(secret: &Hkdf<Sha256>, label: &[u8], out: &mut [u8]) -> Option<()> {
    // HkdfLabel: length(2) | "tls13 " + label (len-prefixed) | context (empty).
    let mut info = [0u8; 64];
    let full_len = 6 + label.len();
    info[..2].copy_from_slice(&(out.len() as u16).to_be_bytes());
    info[2] = full_len as u8;
    info[3..9].copy_from_slice(b"tls13 ");
    info[9..9 + label.len()].copy_from_slice(label);
    info[9 + label.len()] = 0;
    secret.expand(&info[..10 + label.len()], out).ok()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialKeys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

impl InitialKeys {
    /// Keys for the client's (`server == false`) or server's Initial packets,
    /// from the Destination Connection ID of the client's first Initial.
    pub fn derive(version: u32, client_dcid: &[u8], server: bool) -> Option<InitialKeys> {
        let (salt, v2) = match version {
            // Drafts 33 and 34 already used RFC 9001's salt.
            VERSION_1 | 0xff00_0021..=0xff00_0022 => (&SALT_V1, false),
            VERSION_2 => (&SALT_V2, true),
            0xff00_0015..=0xff00_0016 | 0xface_b001 => (&SALT_DRAFT22, false),
            0xff00_0017..=0xff00_001c | 0xface_b002 => (&SALT_DRAFT23, false),
            0xff00_001d..=0xff00_0020 | 0xface_b00e => (&SALT_DRAFT29, false),
            _ => return None,
        };
        let initial = Hkdf::<Sha256>::new(Some(salt), client_dcid);
        let mut secret = [0u8; 32];
        expand_label(
            &initial,
            if server { b"server in" } else { b"client in" },
            &mut secret,
        )?;
        let secret = Hkdf::<Sha256>::from_prk(&secret).ok()?;
        let mut keys = InitialKeys {
            key: [0; 16],
            iv: [0; 12],
            hp: [0; 16],
        };
        let (lk, li, lh): (&[u8], &[u8], &[u8]) = if v2 {
            (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")
        } else {
            (b"quic key", b"quic iv", b"quic hp")
        };
        expand_label(&secret, lk, &mut keys.key)?;
        expand_label(&secret, li, &mut keys.iv)?;
        expand_label(&secret, lh, &mut keys.hp)?;
        Some(keys)
    }
}

/// Removes header protection and decrypts one Initial packet into `out`
/// (reused between calls). Returns the plaintext frames.
pub fn decrypt_initial<'o>(
    packet: &[u8],
    header: &LongHeader<'_>,
    keys: &InitialKeys,
    out: &'o mut Vec<u8>,
) -> Option<&'o [u8]> {
    let pn_offset = header.pn_offset;
    let sample = packet.get(pn_offset + 4..pn_offset + 20)?;
    let hp = Aes128::new_from_slice(&keys.hp).ok()?;
    let mut mask = aes::Block::try_from(sample).ok()?;
    hp.encrypt_block(&mut mask);
    let first = packet[0] ^ (mask[0] & 0x0f);
    let pn_len = (first & 0x03) as usize + 1;
    let end = pn_offset + header.remainder_len;
    if end > packet.len() || pn_offset + pn_len + 16 > end {
        return None;
    }
    out.clear();
    out.extend_from_slice(&packet[..end]);
    out[0] = first;
    let mut pn: u64 = 0;
    for i in 0..pn_len {
        out[pn_offset + i] ^= mask[1 + i];
        pn = (pn << 8) | out[pn_offset + i] as u64;
    }
    let mut nonce = keys.iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let header_len = pn_offset + pn_len;
    let (aad, rest) = out.split_at_mut(header_len);
    let (ciphertext, tag) = rest.split_at_mut(rest.len() - 16);
    let cipher = Aes128Gcm::new_from_slice(&keys.key).ok()?;
    let nonce = aes_gcm::aead::Nonce::<Aes128Gcm>::try_from(&nonce[..]).ok()?;
    let tag = aes_gcm::aead::Tag::<Aes128Gcm>::try_from(&tag[..]).ok()?;
    cipher
        .decrypt_inout_detached(&nonce, aad, ciphertext.into(), &tag)
        .ok()?;
    let len = ciphertext.len();
    Some(&out[header_len..header_len + len])
}

/// CRYPTO frames in a decrypted Initial payload: (offset, data).
pub fn crypto_frames(plain: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        loop {
            let frame_type = varint(plain, &mut at)?;
            match frame_type {
                0x00 | 0x01 => {} // PADDING, PING
                0x02 | 0x03 => {
                    // ACK: largest, delay, range count, first range, ranges [, ECN]
                    varint(plain, &mut at)?;
                    varint(plain, &mut at)?;
                    let ranges = varint(plain, &mut at)?;
                    varint(plain, &mut at)?;
                    for _ in 0..ranges.min(256) {
                        varint(plain, &mut at)?;
                        varint(plain, &mut at)?;
                    }
                    if frame_type == 0x03 {
                        for _ in 0..3 {
                            varint(plain, &mut at)?;
                        }
                    }
                }
                0x06 => {
                    let offset = varint(plain, &mut at)?;
                    let len = varint(plain, &mut at)? as usize;
                    let data = plain.get(at..at.checked_add(len)?)?;
                    at += len;
                    return Some((offset, data));
                }
                0x1c | 0x1d => {
                    // CONNECTION_CLOSE: error, [frame type], reason
                    varint(plain, &mut at)?;
                    if frame_type == 0x1c {
                        varint(plain, &mut at)?;
                    }
                    let len = varint(plain, &mut at)? as usize;
                    at = at.checked_add(len)?;
                }
                _ => return None,
            }
        }
    })
}

/// Places CRYPTO data by offset into a bounded buffer, so a ClientHello that
/// spans several Initial packets (post-quantum key shares) can be read whole.
#[derive(Debug, Default, Clone)]
pub struct CryptoAssembler {
    data: Vec<u8>,
    /// Received ranges, sorted and merged.
    ranges: Vec<(usize, usize)>,
}

const MAX_CRYPTO: usize = 16 * 1024;

impl CryptoAssembler {
    pub fn add(&mut self, offset: u64, bytes: &[u8]) {
        let start = offset as usize;
        let Some(end) = start.checked_add(bytes.len()) else {
            return;
        };
        if end > MAX_CRYPTO || bytes.is_empty() {
            return;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.data[start..end].copy_from_slice(bytes);
        crate::ranges::insert(&mut self.ranges, (start, end));
    }

    /// The contiguous bytes from offset 0.
    pub fn contiguous(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => &self.data[..end],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9001_appendix_a_keys() {
        let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
        let k = InitialKeys::derive(VERSION_1, &dcid, false).unwrap();
        assert_eq!(
            k.key,
            [
                0x1f, 0x36, 0x96, 0x13, 0xdd, 0x76, 0xd5, 0x46, 0x77, 0x30, 0xef, 0xcb, 0xe3, 0xb1,
                0xa2, 0x2d
            ]
        );
        assert_eq!(
            k.iv,
            [
                0xfa, 0x04, 0x4b, 0x2f, 0x42, 0xa3, 0xfd, 0x3b, 0x46, 0xfb, 0x25, 0x5c
            ]
        );
        assert_eq!(
            k.hp,
            [
                0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10, 0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad,
                0xed, 0xd2
            ]
        );
        let s = InitialKeys::derive(VERSION_1, &dcid, true).unwrap();
        assert_eq!(
            s.key,
            [
                0xcf, 0x3a, 0x53, 0x31, 0x65, 0x3c, 0x36, 0x4c, 0x88, 0xf0, 0xf3, 0x79, 0xb6, 0x06,
                0x7e, 0x37
            ]
        );
    }

    #[test]
    fn gquic_client_hello_names_its_server() {
        let mut chlo = b"\x0d\x01\x02\x03\x04\x05\x06\x07\x08Q043\x01junkCHLO".to_vec();
        chlo.extend_from_slice(&2u16.to_le_bytes());
        chlo.extend_from_slice(&[0, 0]);
        chlo.extend_from_slice(b"PAD\0");
        chlo.extend_from_slice(&3u32.to_le_bytes());
        chlo.extend_from_slice(b"SNI\0");
        chlo.extend_from_slice(&(3u32 + 15).to_le_bytes());
        chlo.extend_from_slice(b"---www.youtube.com");
        assert_eq!(gquic_chlo_sni(&chlo), Some("www.youtube.com"));
        chlo.truncate(chlo.len() - 4);
        assert_eq!(gquic_chlo_sni(&chlo), None, "a value past the datagram");
        assert_eq!(gquic_chlo_sni(b"CHLO\xff\xff"), None);
    }

    #[test]
    fn header_and_crypto_assembly() {
        // Initial, v1, dcid 8 bytes, scid 0, token 0, length 0x20
        let mut p = vec![0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x20];
        p.extend_from_slice(&[0u8; 0x20]);
        let h = parse_long_header(&p).unwrap();
        assert_eq!(h.packet_type, PacketType::Initial);
        assert_eq!(
            (h.pn_offset, h.remainder_len, h.packet_len),
            (17, 0x20, p.len())
        );
        assert!(parse_long_header(&p[..20]).is_none());
        let mut c = CryptoAssembler::default();
        c.add(5, b"world");
        assert!(c.contiguous().is_empty());
        c.add(0, b"hello");
        assert_eq!(c.contiguous(), b"helloworld");
    }
}
