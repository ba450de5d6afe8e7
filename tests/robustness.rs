//! Every dissector, the decoder and the whole engine on arbitrary and
//! mangled bytes: errors are values, never panics or hangs.

use proptest::prelude::*;
use teleprobe::decode::{Reassembler, decode};
use teleprobe::engine::Engine;
use teleprobe::proto::{demux, dns, http, quic, rtp, sdp, sip, stun, tls};
use teleprobe::source::{LinkType, RawPacket};

fn exercise_all(bytes: &[u8]) {
    let _ = demux::classify(bytes);
    if let Ok(m) = stun::Message::parse(bytes) {
        let _ = (
            m.class(),
            m.method(),
            m.transaction_id(),
            m.fingerprint_ok(),
            m.error_code(),
        );
        for a in m.attributes() {
            let _ = m.address(a.kind);
            let _ = m.text(a.kind);
        }
        let _ = m.addresses(stun::XOR_PEER_ADDRESS).count();
        let _ = m.channel_number();
    }
    let _ = stun::ChannelData::parse(bytes, true);
    let _ = stun::ChannelData::parse(bytes, false);
    let _ = rtp::parse_rtp(bytes);
    for p in rtp::rtcp_packets(bytes) {
        let _ = rtp::sdes_items(&p).count();
    }
    let mut stats = rtp::PayloadStats::default();
    stats.add(bytes);
    let _ = stats.verdict();
    for stream in [false, true] {
        if let Ok(m) = sip::SipMessage::parse(bytes, stream) {
            let _ = (m.call_id(), m.cseq(), m.content_type(), m.headers().count());
            for (_, v) in m.headers() {
                if let Some(na) = sip::parse_name_addr(v) {
                    let _ = sip::uri_user(na.uri);
                }
            }
        }
    }
    let _ = sdp::parse(bytes);
    for dtls in [false, true] {
        if let Some(h) = tls::ClientHello::parse(bytes, dtls) {
            let _ = (
                h.alpn().count(),
                h.supported_versions().count(),
                h.srtp_profiles().count(),
            );
        }
    }
    let _ = tls::ServerHello::parse(bytes);
    if let Some(cert) = tls::leaf_certificate(bytes) {
        let _ = tls::certificate_info(cert);
    }
    let _ = tls::tls_record(bytes);
    let _ = tls::tls_handshake(bytes);
    if let Some(tls::DtlsRecord { fragment, .. }) = tls::dtls_record(bytes) {
        let _ = tls::dtls_handshakes(fragment).count();
    }
    let _ = dns::parse(bytes);
    let _ = http::parse_request(bytes);
    let _ = quic::legacy_gquic_version(bytes);
    let _ = quic::is_version_negotiation(bytes);
    if let Some(h) = quic::parse_long_header(bytes) {
        if let Some(keys) = quic::InitialKeys::derive(quic::VERSION_1, h.dcid, false) {
            let mut out = Vec::new();
            if let Some(plain) = quic::decrypt_initial(&bytes[..h.packet_len], &h, &keys, &mut out)
            {
                let _ = quic::crypto_frames(plain).count();
            }
        }
    }
    let _ = quic::crypto_frames(bytes).count();
}

fn engine_on(frames: &[Vec<u8>], link: LinkType) {
    let mut engine = Engine::new();
    let mut flows = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        engine.packet(
            RawPacket {
                ts: i as i64 * 1_000_000,
                link,
                data: f,
                orig_len: f.len() as u32,
            },
            &mut flows,
        );
    }
    let _ = engine.finish(&mut flows);
    let _ = serde_json::to_string(&flows).unwrap();
}

/// Valid seeds to mangle: a STUN request, RTCP, SIP, TLS and DTLS records.
fn seeds() -> Vec<Vec<u8>> {
    let mut sip = b"INVITE sip:b@x SIP/2.0\r\nCall-ID: 1\r\nFrom: \"A\" <sip:a@x>;tag=1\r\nContent-Type: application/sdp\r\nContent-Length: 60\r\n\r\n".to_vec();
    sip.extend_from_slice(
        b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 X inline:Y\r\n",
    );
    let mut stun_msg = vec![0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42];
    stun_msg.extend_from_slice(&[7; 12]);
    stun_msg.extend_from_slice(&[
        0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    ]);
    let rtcp = vec![0x81, 202, 0, 3, 0, 0, 0, 7, 1, 3, b'a', b'@', b'b', 0, 0, 0];
    let tls_record = {
        let mut r = vec![22, 3, 1, 0, 0];
        let mut hs = vec![1, 0, 0, 0];
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0; 32]);
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0, 0, 0]);
        hs[3] = body.len() as u8;
        hs.extend_from_slice(&body);
        r[4] = hs.len() as u8;
        r.extend_from_slice(&hs);
        r
    };
    vec![sip, stun_msg, rtcp, tls_record]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dissectors_survive_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        exercise_all(&bytes);
    }

    #[test]
    fn dissectors_survive_mangled_messages(
        seed in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = seeds()[seed].clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let len = cut.index(bytes.len() + 1);
        exercise_all(&bytes[..len]);
        exercise_all(&bytes);
    }

    #[test]
    fn decoder_and_engine_survive_arbitrary_frames(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..20),
        link in prop_oneof![Just(LinkType::ETHERNET), Just(LinkType::RAW), Just(LinkType::LINUX_SLL),
                            Just(LinkType::LINUX_SLL2), Just(LinkType::NULL), Just(LinkType(9999))],
    ) {
        let mut r = Reassembler::new();
        for f in &frames {
            let _ = decode(link, f, 0, &mut r);
        }
        engine_on(&frames, link);
    }

    #[test]
    fn engine_survives_ip_frames_with_plausible_headers(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..30),
        tcp in any::<bool>(),
    ) {
        // Valid IPv4/UDP or TCP headers with arbitrary payloads reach every dissector.
        let frames: Vec<Vec<u8>> = payloads.iter().enumerate().map(|(i, p)| {
            let mut out = Vec::new();
            let b = etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
            let ports = [(5060, 5060), (3478, 40000), (53, 5353), (443, 50000)][i % 4];
            if tcp {
                b.tcp(ports.0, ports.1, i as u32 * 100, 1000).write(&mut out, p).unwrap();
            } else {
                b.udp(ports.0, ports.1).write(&mut out, p).unwrap();
            }
            out
        }).collect();
        engine_on(&frames, LinkType::RAW);
    }
}
