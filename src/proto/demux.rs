//! RFC 7983 (updating RFC 5764 §5.1.2): the first byte of a UDP payload tells
//! which protocol of a WebRTC 5-tuple it carries. Per packet, independent of
//! ports: ports lie. Also the platforms' own fixed packets (wire markers:
//! Discord, LINE, WhatsApp, Telegram's reflectors), each checked on its
//! whole shape, never on a few bytes a codec's payload can hold.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demux {
    Stun,
    Zrtp,
    Dtls,
    ChannelData,
    Rtp,
    Rtcp,
    /// 192-255: QUIC long headers land here; nothing RFC 7983 multiplexes.
    High,
    /// 4-15, 80-127: outside every RFC 7983 range (SIP, DNS, QUIC short headers...).
    Other,
}

pub fn classify(payload: &[u8]) -> Demux {
    let Some(&first) = payload.first() else {
        return Demux::Other;
    };
    match first {
        0..=3 => Demux::Stun,
        16..=19 => Demux::Zrtp,
        20..=63 => Demux::Dtls,
        64..=79 => Demux::ChannelData,
        128..=191 => match payload.get(1) {
            // RTCP packet types 192-223 (RFC 5761 §4): SR 200, RR 201, SDES 202,
            // BYE 203, APP 204, RTPFB 205, PSFB 206, XR 207...
            Some(&pt) if (192..=223).contains(&pt) => Demux::Rtcp,
            _ => Demux::Rtp,
        },
        192..=255 => Demux::High,
        _ => Demux::Other,
    }
}

/// A platform's own fixed packet (on a media 5-tuple) or stream opening
/// (on a connection), by name: what no standard defines but only that
/// platform's clients send.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WireMarker {
    pub marker: &'static str,
    pub first_packet: u64,
    pub packets: u64,
    /// The packets are call media a platform's relay forwards (Telegram's
    /// reflectors), not a mere signature.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub relayed_media: bool,
}

/// Discord's voice keepalive: 8 bytes starting 0x1337cafe (nDPI's
/// discord.c; libprotoident). Its first byte falls in ZRTP's range.
pub fn discord_keepalive(payload: &[u8]) -> bool {
    payload.len() == 8 && payload.starts_with(&[0x13, 0x37, 0xca, 0xfe])
}

/// LINE's call setup (nDPI's line.c, `line.pcap`): LINE frames its call
/// packets with a first byte of 0xD0-0xDB (an RTP version of 3, which no
/// standard uses) and a per-direction counter; the large packets that open
/// a call carry 06 02 at bytes 4-5 and a first byte of 0xD8-0xDB.
pub fn line_call_setup(payload: &[u8]) -> bool {
    payload.len() >= 150 && (0xd8..=0xdb).contains(&payload[0]) && payload[4..6] == [0x06, 0x02]
}

/// Discord's voice IP discovery (its developer documentation, "Voice
/// Connections"; nDPI's discord.c): 74 bytes, type 1 (request) or 2
/// (response), length 70, the SSRC, then the address as text and a port.
/// STUN's first bytes, but no magic cookie and never this exact shape.
pub fn discord_ip_discovery(payload: &[u8]) -> bool {
    payload.len() == 74 && matches!(payload[..4], [0, 1 | 2, 0, 0x46])
}

/// WhatsApp's chat connection (TCP 5222 or 443) opens with its Noise
/// prologue, "WA" and a major/minor version byte pair, or with the edge
/// routing header "ED\0\1" that precedes it (nDPI's whatsapp.c;
/// `whatsapp*.pcap`). Only the first client bytes of a stream are asked.
pub fn whatsapp_chat(stream_start: &[u8]) -> bool {
    match stream_start {
        [b'W', b'A', major, minor, ..] => (1..=9).contains(major) && *minor <= 15,
        [b'E', b'D', 0, 1, ..] => true,
        _ => false,
    }
}

/// Telegram's legacy (libtgvoip) reflector exchange on UDP: a 16-byte peer
/// tag, twelve 0xFF bytes, then a word that says what the packet is (nDPI's
/// telegram.c; libtgvoip's VoIPController; telegram.pcap): the client's
/// ping (-2, then an 8-byte query id: 40 bytes), its request for public
/// endpoints (-1: 32 bytes, all 0xFF after the tag), or a reflector's
/// answer by its TL constructor, little-endian (self info, peer info over
/// IPv4 or IPv6, packet counts). Returns the tag: the call's media through
/// the reflector starts with it too.
///
/// Twelve 0xFF bytes alone are not enough: G.711 µ-law silence is 0xFF
/// bytes (and 0xFE, 0x7F near it), so a silent RTP packet has them at the
/// same place (a Cisco phone's call in nDPI's skinny.pcap). Its payload
/// starts at byte 12, or 16 with a CSRC, so the client's two words count
/// only at their exact lengths and a tag ending in 0xFF bytes is none.
pub fn telegram_reflector(payload: &[u8]) -> Option<&[u8]> {
    const ANSWERS: [[u8; 4]; 5] = [
        [0xc7, 0x72, 0x15, 0xc0], // udpReflectorSelfInfo
        [0x1c, 0x37, 0xd9, 0x27], // udpReflectorPeerInfo
        [0xb1, 0x73, 0xfc, 0x83], // udpReflectorPeerInfoIPv6
        [0x96, 0xfc, 0x06, 0x1a], // udpReflectorRequestPacketsInfo
        [0x05, 0x73, 0x10, 0x0e], // udpReflectorLastPacketsInfo
    ];
    let (tag, rest) = payload.split_first_chunk::<16>()?;
    let (run, rest) = rest.split_first_chunk::<12>()?;
    let word = rest.first_chunk::<4>()?;
    let known = match (word, payload.len()) {
        ([0xfe, 0xff, 0xff, 0xff], 40) => true, // ping
        ([0xff, 0xff, 0xff, 0xff], 32) => true, // public endpoints request
        _ => ANSWERS.contains(word),
    };
    let marked = known && run.iter().all(|b| *b == 0xff);
    (marked && tag[12..] != [0xff; 4]).then_some(&tag[..])
}

/// Counts one sighting of `marker`, allocating only the first time.
pub fn mark(list: &mut Vec<WireMarker>, marker: &'static str, packet: u64) {
    count(list, marker, packet, false);
}

/// Counts one packet of relayed media in a platform's own framing.
pub fn mark_relayed_media(list: &mut Vec<WireMarker>, marker: &'static str, packet: u64) {
    count(list, marker, packet, true);
}

fn count(list: &mut Vec<WireMarker>, marker: &'static str, packet: u64, relayed_media: bool) {
    if let Some(m) = list.iter_mut().find(|m| m.marker == marker) {
        m.packets += 1;
    } else if list.len() < 4 {
        list.push(WireMarker {
            marker,
            first_packet: packet,
            packets: 1,
            relayed_media,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(classify(&[0x00, 0x01]), Demux::Stun);
        assert_eq!(classify(&[0x10, 0]), Demux::Zrtp);
        assert_eq!(classify(&[0x16, 0xfe, 0xfd]), Demux::Dtls);
        assert_eq!(classify(&[0x40, 0x00]), Demux::ChannelData);
        assert_eq!(classify(&[0x80, 0x00]), Demux::Rtp);
        assert_eq!(classify(&[0x80, 0xc8]), Demux::Rtcp);
        assert_eq!(classify(&[0x81, 0xca]), Demux::Rtcp);
        assert_eq!(classify(&[0xc3, 0, 0, 0, 1]), Demux::High);
        assert_eq!(
            classify(b"INVITE"),
            Demux::ChannelData,
            "'I' is 73: SIP must be tried first"
        );
        assert_eq!(classify(b"SIP/2.0"), Demux::Other);
        assert_eq!(classify(&[]), Demux::Other);
        assert!(discord_keepalive(&[0x13, 0x37, 0xca, 0xfe, 0x0e, 0, 0, 0]));
        assert!(!discord_keepalive(&[0x13, 0x37, 0xca, 0xfe, 0x0e, 0, 0]));
        let mut ping = vec![0x2f; 16];
        ping.extend_from_slice(&[0xff; 12]);
        ping.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(telegram_reflector(&ping), Some(&[0x2f; 16][..]));
        let mut self_info = ping.clone();
        self_info[28..32].copy_from_slice(&[0xc7, 0x72, 0x15, 0xc0]);
        assert_eq!(telegram_reflector(&self_info), Some(&[0x2f; 16][..]));
        self_info[29] = 0x73;
        assert_eq!(telegram_reflector(&self_info), None, "no such constructor");
        assert_eq!(telegram_reflector(&ping[..31]), None);
        // A G.711 packet of silence: an RTP header, then 0xFF bytes; with
        // one CSRC (the payload from byte 16), and at a ping's length.
        let mut silence = vec![
            0x80, 0x00, 0x05, 0x9b, 0, 2, 0xe0, 0xc0, 0xf6, 0xbf, 0x57, 0xe2,
        ];
        silence.resize(32, 0xff);
        assert_eq!(telegram_reflector(&silence), None);
        silence[0] = 0x81;
        silence[12..16].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        silence.resize(172, 0xff);
        assert_eq!(telegram_reflector(&silence), None);
        silence[28] = 0xfe;
        silence.truncate(48);
        assert_eq!(telegram_reflector(&silence), None);
        let mut request = vec![0x2f; 16];
        request.resize(32, 0xff);
        assert_eq!(telegram_reflector(&request), Some(&[0x2f; 16][..]));
        ping[20] = 0;
        assert_eq!(telegram_reflector(&ping), None);
        let mut discovery = vec![0, 2, 0, 0x46, 0, 0, 0, 7];
        discovery.resize(74, 0);
        assert!(discord_ip_discovery(&discovery));
        assert!(!discord_ip_discovery(&discovery[..73]));
        assert!(whatsapp_chat(&[b'W', b'A', 1, 5, 0, 0, 0x1a]));
        assert!(whatsapp_chat(&[b'E', b'D', 0, 1]));
        assert!(!whatsapp_chat(b"WAIT"), "letters are no version");
        assert!(!whatsapp_chat(b"GET /"));
        // LINE's first packet of line.pcap's call, then one byte off each
        // way: the header, the 06 02 bytes, the length.
        let mut setup = vec![0xdb, 0x64, 0x00, 0xb9, 0x06, 0x02, 0x1b, 0x61];
        setup.resize(872, 0x5a);
        assert!(line_call_setup(&setup));
        assert!(!line_call_setup(&setup[..149]));
        setup[5] = 0x03;
        assert!(!line_call_setup(&setup));
        setup[5] = 0x02;
        setup[0] = 0xc3;
        assert!(!line_call_setup(&setup), "a QUIC long header is not LINE");
        let mut marks = Vec::new();
        mark(&mut marks, "discord-keepalive", 8);
        mark(&mut marks, "discord-keepalive", 9);
        assert_eq!((marks[0].first_packet, marks[0].packets), (8, 2));
    }
}
