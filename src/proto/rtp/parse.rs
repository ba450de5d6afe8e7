//! RTP and RTCP (RFC 3550): header views over borrowed bytes, RTCP compound
//! packets with SDES items, and the payload statistics that tell encrypted
//! media from clear media when signaling is missing.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// The header extension's profile (RFC 3550 §5.3.1): 0xBEDE and
    /// 0x100x are RFC 8285's; others are a stack's own (WhatsApp's 0xDEBE).
    pub extension_profile: Option<u16>,
    pub payload: &'a [u8],
}

/// Parses an RTP header (version 2, CSRCs, extension, padding).
pub fn parse_rtp(b: &[u8]) -> Option<RtpHeader<'_>> {
    if b.len() < 12 || b[0] >> 6 != 2 {
        return None;
    }
    let csrc_count = (b[0] & 0x0F) as usize;
    let mut offset = 12 + csrc_count * 4;
    let mut extension_profile = None;
    if b[0] & 0x10 != 0 {
        let ext = b.get(offset..offset + 4)?;
        extension_profile = Some(u16::from_be_bytes([ext[0], ext[1]]));
        let words = u16::from_be_bytes([ext[2], ext[3]]) as usize;
        offset += 4 + words * 4;
    }
    let mut end = b.len();
    if b[0] & 0x20 != 0 {
        let pad = *b.last()? as usize;
        if pad == 0 || pad > end.saturating_sub(offset) {
            return None;
        }
        end -= pad;
    }
    let payload = b.get(offset..end)?;
    Some(RtpHeader {
        marker: b[1] & 0x80 != 0,
        payload_type: b[1] & 0x7F,
        sequence: u16::from_be_bytes([b[2], b[3]]),
        timestamp: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        extension_profile,
        payload,
    })
}

pub mod rtcp_type {
    pub const SR: u8 = 200;
    pub const RR: u8 = 201;
    pub const SDES: u8 = 202;
    pub const BYE: u8 = 203;
    pub const APP: u8 = 204;
    pub const RTPFB: u8 = 205;
    pub const PSFB: u8 = 206;
    pub const XR: u8 = 207;
}

/// SDES item types (RFC 3550 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SdesKind {
    Cname,
    Name,
    Email,
    Phone,
    Loc,
    Tool,
    Note,
    Priv,
}

impl SdesKind {
    fn from_code(code: u8) -> Option<SdesKind> {
        Some(match code {
            1 => SdesKind::Cname,
            2 => SdesKind::Name,
            3 => SdesKind::Email,
            4 => SdesKind::Phone,
            5 => SdesKind::Loc,
            6 => SdesKind::Tool,
            7 => SdesKind::Note,
            8 => SdesKind::Priv,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SdesKind::Cname => "CNAME",
            SdesKind::Name => "NAME",
            SdesKind::Email => "EMAIL",
            SdesKind::Phone => "PHONE",
            SdesKind::Loc => "LOC",
            SdesKind::Tool => "TOOL",
            SdesKind::Note => "NOTE",
            SdesKind::Priv => "PRIV",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    pub packet_type: u8,
    /// Report count or subtype (the low five bits of the first byte).
    pub count: u8,
    pub ssrc: Option<u32>,
    pub body: &'a [u8],
}

/// Walks an RTCP compound packet. `Err` when the lengths do not add up to
/// the datagram exactly, which is how plain RTCP is told from SRTCP: SRTCP
/// appends an index and tag after the (encrypted) compound packet.
pub fn rtcp_packets(b: &[u8]) -> RtcpIter<'_> {
    RtcpIter { rest: b }
}

pub struct RtcpIter<'a> {
    rest: &'a [u8],
}

impl<'a> RtcpIter<'a> {
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for RtcpIter<'a> {
    type Item = RtcpPacket<'a>;

    fn next(&mut self) -> Option<RtcpPacket<'a>> {
        let b = self.rest;
        if b.len() < 4 || b[0] >> 6 != 2 || !(192..=223).contains(&b[1]) {
            return None;
        }
        let len = (u16::from_be_bytes([b[2], b[3]]) as usize + 1) * 4;
        let packet = b.get(..len)?;
        self.rest = &b[len..];
        let ssrc = packet
            .get(4..8)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        Some(RtcpPacket {
            packet_type: b[1],
            count: b[0] & 0x1F,
            ssrc,
            body: &packet[4..],
        })
    }
}

/// Whether the whole datagram is a well-formed plain RTCP compound packet.
pub fn is_plain_rtcp(b: &[u8]) -> bool {
    let mut it = rtcp_packets(b);
    let mut n = 0;
    while it.next().is_some() {
        n += 1;
    }
    n > 0 && it.remaining() == 0
}

/// SDES items of one SDES packet body: (SSRC, kind, value).
pub fn sdes_items<'a>(
    packet: &RtcpPacket<'a>,
) -> impl Iterator<Item = (u32, SdesKind, &'a [u8])> + 'a {
    let body = packet.body;
    let mut rest = body;
    let mut chunks_left = packet.count;
    let mut ssrc: Option<u32> = None;
    std::iter::from_fn(move || {
        loop {
            if ssrc.is_none() {
                if chunks_left == 0 || rest.len() < 4 {
                    return None;
                }
                chunks_left -= 1;
                ssrc = Some(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]));
                rest = &rest[4..];
            }
            let code = *rest.first()?;
            if code == 0 {
                // End of chunk: skip to the next 32-bit boundary.
                let consumed = body.len() - rest.len();
                let next = (consumed + 4) & !3;
                rest = body.get(next..).unwrap_or(&[]);
                ssrc = None;
                continue;
            }
            let len = *rest.get(1)? as usize;
            let value = rest.get(2..2 + len)?;
            rest = &rest[2 + len..];
            if let Some(kind) = SdesKind::from_code(code) {
                return Some((ssrc.unwrap_or(0), kind, value));
            }
        }
    })
}

/// Byte statistics of media payloads: a histogram of payload bytes and of the
/// first payload byte (where codec headers such as Opus TOC, VP8 descriptors
/// and H.264 NAL headers sit). Encrypted payloads are flat in both; clear
/// codecs are not. Updating is a few adds per sampled byte, no allocation.
#[derive(Clone)]
pub struct PayloadStats {
    bytes: [u32; 256],
    first: [u32; 256],
    sampled_bytes: u64,
    sampled_packets: u64,
}

impl Default for PayloadStats {
    fn default() -> Self {
        PayloadStats {
            bytes: [0; 256],
            first: [0; 256],
            sampled_bytes: 0,
            sampled_packets: 0,
        }
    }
}

/// Bytes of each payload sampled, and how many packets per stream.
const SAMPLE_PER_PACKET: usize = 64;
const SAMPLE_PACKETS: u64 = 2000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PayloadVerdict {
    /// Shannon entropy of sampled payload bytes, bits per byte.
    pub entropy: f64,
    /// Chi-square of the byte histogram against uniform (255 degrees of freedom).
    pub chi_square: f64,
    /// Distinct first payload bytes seen, against what uniform bytes would give.
    pub first_byte_distinct: u32,
    pub first_byte_expected: f64,
    pub packets: u64,
    pub looks_encrypted: Option<bool>,
}

impl PayloadStats {
    pub fn add(&mut self, payload: &[u8]) {
        if self.sampled_packets >= SAMPLE_PACKETS || payload.is_empty() {
            return;
        }
        self.sampled_packets += 1;
        self.first[payload[0] as usize] += 1;
        let sample = &payload[..payload.len().min(SAMPLE_PER_PACKET)];
        for &b in sample {
            self.bytes[b as usize] += 1;
        }
        self.sampled_bytes += sample.len() as u64;
    }

    pub fn packets(&self) -> u64 {
        self.sampled_packets
    }

    /// Judges the stream: `Some(true)` random-looking, `Some(false)` clear
    /// structure, `None` too little data to say.
    pub fn verdict(&self) -> PayloadVerdict {
        let n = self.sampled_bytes as f64;
        let expected = n / 256.0;
        let mut entropy = 0.0;
        let mut chi = 0.0;
        for &c in &self.bytes {
            if c > 0 {
                let p = c as f64 / n;
                entropy -= p * p.log2();
            }
            let d = c as f64 - expected;
            chi += d * d / expected.max(f64::MIN_POSITIVE);
        }
        let packets = self.sampled_packets;
        let distinct = self.first.iter().filter(|&&c| c > 0).count() as u32;
        let first_expected = 256.0 * (1.0 - (255.0f64 / 256.0).powf(packets as f64));
        // Thresholds: chi-square of 255 d.o.f. exceeds 400 with p < 1e-8 for
        // uniform data; the first-byte test needs enough packets to matter.
        let looks_encrypted = if packets < 16 || self.sampled_bytes < 1024 {
            None
        } else if chi < 400.0 && distinct as f64 >= 0.6 * first_expected {
            Some(true)
        } else if chi > 1000.0 || (distinct as f64) < 0.3 * first_expected {
            Some(false)
        } else {
            None
        };
        PayloadVerdict {
            entropy,
            chi_square: if n > 0.0 { chi } else { 0.0 },
            first_byte_distinct: distinct,
            first_byte_expected: first_expected,
            packets,
            looks_encrypted,
        }
    }
}

/// Codec name for static payload types (RFC 3551), for readers of the report.
pub fn static_payload_name(pt: u8) -> Option<&'static str> {
    Some(match pt {
        0 => "PCMU",
        3 => "GSM",
        4 => "G723",
        8 => "PCMA",
        9 => "G722",
        13 => "CN",
        18 => "G729",
        26 => "JPEG",
        31 => "H261",
        32 => "MPV",
        34 => "H263",
        _ => return None,
    })
}

/// Wireshark's name of an RTCP packet type.
pub fn rtcp_type_name(t: u8) -> &'static str {
    match t {
        rtcp_type::SR => "SR",
        rtcp_type::RR => "RR",
        rtcp_type::SDES => "SDES",
        rtcp_type::BYE => "BYE",
        rtcp_type::APP => "APP",
        rtcp_type::RTPFB => "RTPFB",
        rtcp_type::PSFB => "PSFB",
        rtcp_type::XR => "XR",
        _ => "other",
    }
}

/// SRTCP keeps the first RTCP header and sender SSRC in clear and appends
/// the E flag/index and an authentication tag after the encrypted rest.
pub fn looks_like_srtcp(b: &[u8]) -> bool {
    if b.len() < 8 + 4 + 4 || b[0] >> 6 != 2 || !(200..=206).contains(&b[1]) {
        return false;
    }
    let first_len = (u16::from_be_bytes([b[2], b[3]]) as usize + 1) * 4;
    first_len <= b.len() - 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_header_with_csrc_extension_padding() {
        let mut p = vec![0xB1, 0x88, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
        p.extend_from_slice(&[0, 0, 0, 1]); // CSRC
        p.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4]); // one-word extension
        p.extend_from_slice(&[9, 9, 9, 0, 0, 3]); // payload + 3 padding
        let h = parse_rtp(&p).unwrap();
        assert!(h.marker);
        assert_eq!(h.payload_type, 8);
        assert_eq!(h.sequence, 0x1234);
        assert_eq!(h.ssrc, 0xdeadbeef);
        assert_eq!(h.payload, &[9, 9, 9]);
        assert_eq!(h.extension_profile, Some(0xBEDE));
        assert!(parse_rtp(&p[..11]).is_none());
        let mut bad_pad = p.clone();
        *bad_pad.last_mut().unwrap() = 200;
        assert!(parse_rtp(&bad_pad).is_none());
    }

    #[test]
    fn compound_rtcp_with_sdes() {
        // RR (no blocks) + SDES with CNAME "a@b" and NAME "Jo".
        let mut p = vec![0x80, 201, 0, 1, 0, 0, 0, 7];
        let sdes_body = [
            0, 0, 0, 7, 1, 3, b'a', b'@', b'b', 2, 2, b'J', b'o', 0, 0, 0,
        ];
        p.extend_from_slice(&[0x81, 202, 0, (sdes_body.len() / 4) as u8]);
        p.extend_from_slice(&sdes_body);
        assert!(is_plain_rtcp(&p));
        let packets: Vec<_> = rtcp_packets(&p).collect();
        assert_eq!(packets.len(), 2);
        assert_eq!(packets[1].packet_type, rtcp_type::SDES);
        let items: Vec<_> = sdes_items(&packets[1]).collect();
        assert_eq!(
            items,
            vec![
                (7, SdesKind::Cname, &b"a@b"[..]),
                (7, SdesKind::Name, &b"Jo"[..])
            ]
        );
        // SRTCP: trailing index and tag break the exact fit.
        let mut srtcp = p.clone();
        srtcp.extend_from_slice(&[0x80, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert!(!is_plain_rtcp(&srtcp));
    }

    #[test]
    fn payload_statistics_separate_random_from_g711() {
        let mut random = PayloadStats::default();
        let mut state = 0x1234_5678u32;
        for _ in 0..200 {
            let payload: Vec<u8> = (0..160)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            random.add(&payload);
        }
        let v = random.verdict();
        assert_eq!(v.looks_encrypted, Some(true), "{v:?}");
        assert!(v.entropy > 7.9);

        // mu-law silence and low-level speech cluster near 0xFF/0x7F.
        let mut g711 = PayloadStats::default();
        for i in 0..200u32 {
            let payload: Vec<u8> = (0..160u32).map(|j| 0xF0 | ((i + j) % 16) as u8).collect();
            g711.add(&payload);
        }
        assert_eq!(g711.verdict().looks_encrypted, Some(false));
    }
}
