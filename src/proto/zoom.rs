//! Zoom's own media framing on UDP 8801-8810 (Zoom's firewall list): an
//! 8-byte SFU header (type, sequence, and for media a direction byte) and,
//! for media, a media header whose type tells where the RTP or RTCP inside
//! starts. Layout as nDPI's zoom.c and Princeton's zoom-analysis read it
//! (Michel et al., IMC 2022); the code here is written from those
//! descriptions. The RTP inside is encrypted by Zoom's own keying, which
//! the wire does not show. Never panics; a packet that does not hold
//! together is not Zoom.

use schemars::JsonSchema;
use serde::Serialize;

pub const PORTS: std::ops::RangeInclusive<u16> = 8801..=8810;

/// SFU header type of media packets.
const SFU_MEDIA: u8 = 0x05;
const SFU_HEADER: usize = 8;

/// What is inside a media packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner<'a> {
    Rtp { media: u8, packet: &'a [u8] },
    Rtcp { packet: &'a [u8] },
}

/// A Zoom SFU packet: its type, and for media the inner packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SfuPacket<'a> {
    pub kind: u8,
    pub to_server: Option<bool>,
    pub inner: Option<Inner<'a>>,
}

/// Where the inner RTP (or RTCP) starts after the media header, by media
/// type: audio, video, screen share, P2P screen share; RTCP.
fn inner_offset(media: u8) -> Option<(usize, bool)> {
    Some(match media {
        0x0F => (19, false),
        0x10 => (24, false),
        0x0D => (27, false),
        0x1E => (20, false),
        0x21..=0x23 => (16, true),
        _ => return None,
    })
}

/// Parses a media packet (SFU type 0x05) whose inner RTP/RTCP is version
/// 2 where its media type says. Hello and control types (0x01-0x04) are
/// too weak alone: see [`sfu_hello`].
pub fn parse_media(b: &[u8]) -> Option<SfuPacket<'_>> {
    if b.len() < SFU_HEADER + 1 || b[0] != SFU_MEDIA {
        return None;
    }
    let to_server = match b[7] {
        0x00 => true,
        0x04 => false,
        _ => return None,
    };
    let inner = parse_inner(&b[SFU_HEADER..])?;
    Some(SfuPacket {
        kind: SFU_MEDIA,
        to_server: Some(to_server),
        inner: Some(inner),
    })
}

/// A P2P media packet: the media header with nothing before it (nDPI's
/// zoom.c; zoom_p2p.pcapng), asked only on a flow that opened with the P2P
/// hello.
pub fn parse_p2p_media(b: &[u8]) -> Option<Inner<'_>> {
    parse_inner(b)
}

/// The SFU hello exchange on Zoom's ports: the client's type 0x01 and the
/// server's type 0x02 carry the same 16-byte session id after a 3-byte
/// head (`01 00 02 id…`, `02 00 01 id…`; zoom.pcap). Returns the kind and
/// the id.
pub fn sfu_hello(b: &[u8]) -> Option<(u8, &[u8])> {
    let id = b.get(3..19)?;
    match b[..3] {
        [0x01, 0x00, 0x02] => Some((0x01, id)),
        [0x02, 0x00, 0x01] => Some((0x02, id)),
        _ => None,
    }
}

/// The P2P hello a Zoom client sends its peer (`1f 02 01 00` or the
/// stream hello `1f 01 01 00`, a 24-byte head and length-prefixed fields,
/// the peer's address among them as text; nDPI's zoom.c, libprotoident).
pub fn p2p_hello(b: &[u8]) -> bool {
    b.len() >= 40 && matches!(b[..4], [0x1f, 0x01 | 0x02, 0x01, 0x00])
}

/// The media header at the start of `b` and the RTP or RTCP its type
/// places, which must be version 2.
fn parse_inner(b: &[u8]) -> Option<Inner<'_>> {
    let media = *b.first()?;
    let (offset, rtcp) = inner_offset(media)?;
    let packet = b.get(offset..)?;
    if packet.len() < 8 || packet[0] >> 6 != 2 {
        return None;
    }
    if rtcp {
        (200..=207)
            .contains(&packet[1])
            .then_some(Inner::Rtcp { packet })
    } else {
        (packet.len() >= 12).then_some(Inner::Rtp { media, packet })
    }
}

/// What a flow learnt of Zoom's framing.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ZoomDetail {
    pub media_packets: u64,
    pub rtcp_packets: u64,
    /// Media types seen: 0x0f audio, 0x10 video, 0x0d screen share...
    #[serde(serialize_with = "crate::proto::record::as_hex")]
    #[schemars(with = "Vec<String>")]
    pub media_types: Vec<u8>,
    pub first_packet: u64,
    /// The client's SFU hello and the server's echo of its session id were
    /// both seen: Zoom's media router, whatever the packets after carry.
    pub sfu_handshake: bool,
    /// Media packets (SFU type 0x05) after the handshake whose inside does
    /// not read as RTP (data channels, older media headers).
    pub opaque_packets: u64,
    /// A peer-to-peer call: the flow opened with Zoom's P2P hello.
    pub p2p: bool,
    /// The client's hello session id, until the server echoes it.
    #[serde(skip)]
    #[schemars(skip)]
    hello_id: Option<[u8; 16]>,
}

impl ZoomDetail {
    /// Follows the SFU hello exchange; true once the server echoed the
    /// client's session id.
    pub fn on_hello(&mut self, packet: u64, kind: u8, id: &[u8]) -> bool {
        match kind {
            0x01 if self.hello_id.is_none() => {
                let mut own = [0u8; 16];
                own.copy_from_slice(id);
                self.hello_id = Some(own);
                if self.first_packet == 0 {
                    self.first_packet = packet;
                }
            }
            0x02 if self.hello_id.as_ref().is_some_and(|h| h[..] == *id) => {
                self.sfu_handshake = true;
            }
            _ => {}
        }
        self.sfu_handshake
    }

    /// Counts one media packet; returns the inner RTP for the RTP state.
    pub fn on_packet<'a>(&mut self, packet: u64, p: &SfuPacket<'a>) -> Option<&'a [u8]> {
        self.on_inner(packet, p.inner?)
    }

    /// Counts one media header's inside (SFU or P2P); returns the RTP.
    pub fn on_inner<'a>(&mut self, packet: u64, inner: Inner<'a>) -> Option<&'a [u8]> {
        if self.first_packet == 0 {
            self.first_packet = packet;
        }
        match inner {
            Inner::Rtp { media, packet } => {
                self.media_packets += 1;
                if self.media_types.len() < 8 && !self.media_types.contains(&media) {
                    self.media_types.push(media);
                }
                Some(packet)
            }
            Inner::Rtcp { .. } => {
                self.rtcp_packets += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A media packet as zoom2.pcap shows one (audio, from Zoom).
    fn audio(direction: u8) -> Vec<u8> {
        let mut b = vec![0x05, 0x00, 0x02, 0x00, 0x4f, 0x83, 0x79, direction];
        b.extend_from_slice(&[
            0x0f, 1, 0, 0xfb, 0x90, 0x14, 0x11, 4, 0xff, 0, 0, 0x5c, 0xfb, 3, 0x5e, 0, 1, 0, 0x6a,
        ]);
        b.extend_from_slice(&[
            0x90, 0x70, 0x0b, 0x16, 0, 0x11, 0x50, 0x80, 0, 0x04, 0x02, 0xbe, 0xde, 0, 1,
        ]);
        b
    }

    #[test]
    fn media_headers_lead_to_the_rtp_inside() {
        let b = audio(0x04);
        let p = parse_media(&b).unwrap();
        assert_eq!(p.to_server, Some(false));
        let Some(Inner::Rtp { media, packet }) = p.inner else {
            panic!("audio carries RTP")
        };
        assert_eq!((media, packet[1] & 0x7f), (0x0f, 112));
        let mut d = ZoomDetail::default();
        assert!(d.on_packet(3, &p).is_some());
        assert_eq!(
            (d.media_packets, d.media_types.as_slice(), d.first_packet),
            (1, &[0x0f][..], 3)
        );
        assert!(
            parse_media(&audio(0x01)).is_none(),
            "direction byte is 0x00 or 0x04"
        );
        let mut other = audio(0x00);
        other[8] = 0x42;
        assert!(parse_media(&other).is_none(), "unknown media type");
        for cut in 0..b.len() {
            let _ = parse_media(&b[..cut]);
        }
    }

    #[test]
    fn the_sfu_hello_counts_only_when_the_server_echoes_its_id() {
        let id = [0x7d; 16];
        let mut client = vec![0x01, 0x00, 0x02];
        client.extend_from_slice(&id);
        let mut server = vec![0x02, 0x00, 0x01];
        server.extend_from_slice(&id);
        let mut d = ZoomDetail::default();
        let (kind, got) = sfu_hello(&client).unwrap();
        assert!(!d.on_hello(5, kind, got));
        let mut other = server.clone();
        other[10] ^= 1;
        let (kind, got) = sfu_hello(&other).unwrap();
        assert!(!d.on_hello(6, kind, got), "another session's id");
        let (kind, got) = sfu_hello(&server).unwrap();
        assert!(d.on_hello(7, kind, got));
        assert_eq!(d.first_packet, 5);
        assert!(sfu_hello(&client[..18]).is_none());
        for cut in 0..client.len() {
            let _ = sfu_hello(&client[..cut]);
            let _ = p2p_hello(&client[..cut]);
        }
        let mut p2p = vec![0x1f, 0x02, 0x01, 0x00];
        p2p.resize(60, 0);
        assert!(p2p_hello(&p2p) && !p2p_hello(&p2p[..39]));
    }
}
