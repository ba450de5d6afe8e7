//! Which platform carries each call: one test per wire signature on bytes
//! the protocol builders make, the public nDPI captures of real clients,
//! and negative controls (generic aiortc and SIPp calls name no platform).

mod common;

use common::*;
use std::path::PathBuf;

const CLIENT: ([u8; 4], u16) = ([192, 168, 1, 20], 50000);
const SERVER: ([u8; 4], u16) = ([198, 51, 100, 7], 3478);

/// One UDP 5-tuple carrying a STUN message, then RTP both ways: a call
/// whose only platform signal is in that message.
fn stun_then_media(name: &str, stun_message: Vec<u8>) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    p.udp4(CLIENT, SERVER, &stun_message);
    for seq in 0..20u16 {
        p.udp4(
            CLIENT,
            SERVER,
            &rtp(111, seq, 0x1111, &noise(u32::from(seq), 120)),
        );
        p.udp4(
            SERVER,
            CLIENT,
            &rtp(111, seq, 0x2222, &noise(u32::from(seq) + 50, 120)),
        );
    }
    report_json_revealed(&p.save(dir.path(), name))
}

fn platform(r: &serde_json::Value) -> (String, String, String) {
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let p = &calls[0]["platform"];
    (
        p["name"].as_str().unwrap_or("none").to_string(),
        p["confidence"].as_str().unwrap_or("").to_string(),
        p["evidence"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

/// Asserts the one call's platform, confidence and how its evidence begins.
fn assert_platform(r: &serde_json::Value, expected: &str, confidence: &str, evidence: &str) {
    let (name, how_sure, detail) = platform(r);
    assert_eq!((name.as_str(), how_sure.as_str()), (expected, confidence));
    assert!(detail.starts_with(evidence), "{detail}");
}

/// A capture name, the STUN message type and attributes, the platform
/// expected and how its evidence must begin.
type Signature = (
    &'static str,
    u16,
    Vec<(u16, Vec<u8>)>,
    &'static str,
    &'static str,
);

#[test]
fn each_wire_signature_names_its_platform() {
    let cases: [Signature; 6] = [
        (
            "whatsapp",
            0x0801,
            vec![],
            "WhatsApp",
            "STUN message type 0x0801",
        ),
        (
            "whatsapp-attr",
            0x0003,
            vec![(0x4000, vec![0; 4])],
            "WhatsApp",
            "STUN attribute 0x4000",
        ),
        (
            "teams",
            0x0001,
            vec![(0x8055, vec![0; 4])],
            "Microsoft Teams",
            "STUN attribute 0x8055",
        ),
        (
            "zoom",
            0x0001,
            vec![(0x0101, vec![0; 4])],
            "Zoom",
            "STUN attribute 0x0101",
        ),
        (
            "signal",
            0x0113,
            vec![(0x0014, b"signal.org".to_vec())],
            "Signal",
            "TURN REALM \"signal.org\"",
        ),
        (
            "telegram",
            0x0113,
            vec![(0x0014, b"telegram.org".to_vec())],
            "Telegram",
            "TURN REALM \"telegram.org\"",
        ),
    ];
    for (name, kind, attrs, expected, signal) in cases {
        let r = stun_then_media(&format!("{name}.pcap"), stun(kind, [1; 12], &attrs));
        let (platform, confidence, detail) = platform(&r);
        assert_eq!(
            (platform.as_str(), confidence.as_str()),
            (expected, "high"),
            "{name}"
        );
        assert!(detail.starts_with(signal), "{name}: {detail}");
    }
}

#[test]
fn discords_voice_keepalive_names_discord() {
    let keepalive = vec![0x13, 0x37, 0xca, 0xfe, 0x0e, 0, 0, 0];
    let r = stun_then_media("discord.pcap", keepalive);
    assert_platform(&r, "Discord", "high", "discord-keepalive (1 packets)");
    assert_eq!(r["calls"][0]["platform"]["baa"], "no");
}

#[test]
fn whatsapps_rtp_extension_profile_names_whatsapp() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    for seq in 0..20u16 {
        for (from, to, ssrc) in [(CLIENT, SERVER, 0x1111), (SERVER, CLIENT, 0x2222)] {
            let packet = teleprobe::proto::rtp::build::RtpRepr {
                payload_type: 120,
                sequence: seq,
                ssrc,
                extension: Some((0xDEBE, [0x10, 0x20, 0, 0])),
                ..Default::default()
            }
            .emit(&noise(u32::from(seq), 100));
            p.udp4(from, to, &packet);
        }
    }
    let r = report_json_revealed(&p.save(dir.path(), "wa-media.pcap"));
    assert_platform(
        &r,
        "WhatsApp",
        "high",
        "whatsapp-rtp-extension (40 packets)",
    );
    // RFC 8285's own profile names nobody.
    let r = stun_then_media("bede.pcap", vec![]);
    assert_eq!(platform(&r).0, "none");
}

#[test]
fn lines_call_setup_names_line() {
    // LINE's own header (first byte 0xD8-0xDB, a counter, then 06 02).
    let mut setup = vec![0xdb, 0x64, 0x00, 0xb9, 0x06, 0x02];
    setup.extend(noise(7, 866));
    let r = stun_then_media("line.pcap", setup);
    assert_platform(&r, "LINE", "high", "line-call (1 packets)");
    assert_eq!(r["calls"][0]["platform"]["baa"], "no");
    // One byte of the 06 02 changed: no platform.
    let mut other = vec![0xdb, 0x64, 0x00, 0xb9, 0x06, 0x03];
    other.extend(noise(7, 866));
    let r = stun_then_media("not-line.pcap", other);
    assert_eq!(platform(&r).0, "none");
}

#[test]
fn a_call_on_a_platform_without_a_baa_is_a_finding_on_that_call() {
    let r = stun_then_media("wa.pcap", stun(0x0801, [1; 12], &[]));
    let c = &r["calls"][0];
    assert_eq!(c["platform"]["baa"], "no");
    assert!(call_findings(c).contains(&"vendor-without-baa"));
    let f = findings(&r, "vendor-without-baa");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["subject"], "call 1: WhatsApp");
    assert!(
        f[0]["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("STUN message type 0x0801")
    );
    // A clinic with a BAA for the platform allow-lists it.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[allow]\nvendors = [\"WhatsApp\"]\n").unwrap();
    let mut p = Pcap::new(ETHERNET);
    p.udp4(CLIENT, SERVER, &stun(0x0801, [1; 12], &[]));
    for seq in 0..20u16 {
        p.udp4(
            CLIENT,
            SERVER,
            &rtp(111, seq, 0x1111, &noise(u32::from(seq), 120)),
        );
    }
    let path = p.save(dir.path(), "wa-allowed.pcap");
    let r = report_json_with(&path, &["--policy", policy.to_str().unwrap()]);
    assert!(findings(&r, "vendor-without-baa").is_empty());
}

/// Zoom's SFU media header on UDP 8801 around RTP: the call is Zoom's,
/// its media encrypted by Zoom and terminated by Zoom's media router.
#[test]
fn zoom_media_framing_is_zoom_and_ends_at_its_router() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let (client, router) = (CLIENT, ([144, 195, 73, 154], 8801));
    for seq in 0..20u16 {
        for (src, dst, direction) in [(client, router, 0x00), (router, client, 0x04)] {
            let mut packet = vec![0x05, 0, seq as u8, 0, 0x4f, 0x83, 0x79, direction];
            // Audio media header (0x0f): the RTP starts 19 bytes in.
            packet.extend_from_slice(&[0x0f; 19]);
            let ssrc = 0x0100_0400 + u32::from(direction);
            packet.extend_from_slice(&rtp(112, seq, ssrc, &noise(u32::from(seq), 100)));
            p.udp4(src, dst, &packet);
        }
    }
    let r = report_json_revealed(&p.save(dir.path(), "zoom.pcap"));
    assert_platform(&r, "Zoom", "high", "Zoom media framing on UDP 8801");
    let c = &r["calls"][0];
    assert_eq!(
        (c["path"].as_str(), c["verdict"].as_str()),
        (Some("server-terminated"), Some("intermediary-can-access"))
    );
    assert!(
        c["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["encrypted"] == "yes")
    );
    let f = &r["flows"][0];
    assert!(f["protocols"].as_array().unwrap().contains(&"zoom".into()));
    assert_eq!(f["zoom"]["media_types"], serde_json::json!(["0x0f"]));
}

/// A Zoom P2P call: the hello with the peer's address as text, then bare
/// media headers around RTP, between two clients on ports of their own.
/// Zoom's, peer to peer, and the verdict says why it cannot be settled.
#[test]
fn zoom_p2p_hello_and_bare_media_are_a_direct_zoom_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let (a, b) = (([192, 168, 12, 156], 39065), ([192, 168, 1, 226], 46757));
    let mut hello = vec![0x1f, 0x02, 0x01, 0x00];
    hello.extend_from_slice(&[0; 20]);
    hello.extend_from_slice(&[0, 0, 0, 13]);
    hello.extend_from_slice(b"192.168.1.226");
    hello.extend_from_slice(&[0; 8]);
    p.udp4(a, b, &hello);
    p.udp4(b, a, &hello);
    for seq in 0..20u16 {
        for (src, dst, ssrc) in [(a, b, 0x0100_0801), (b, a, 0x0100_0401)] {
            // Video media header (0x10): the RTP starts 24 bytes in.
            let mut packet = vec![0x10, 0x01, 0x00, 0xfb];
            packet.extend_from_slice(&[0; 20]);
            packet.extend_from_slice(&rtp(98, seq, ssrc, &noise(u32::from(seq), 300)));
            p.udp4(src, dst, &packet);
        }
    }
    let r = report_json_revealed(&p.save(dir.path(), "zoom-p2p.pcap"));
    assert_platform(
        &r,
        "Zoom",
        "high",
        "Zoom P2P hello and media framing on UDP 46757",
    );
    let c = &r["calls"][0];
    assert_eq!(
        (c["path"].as_str(), c["verdict"].as_str()),
        (Some("direct"), Some("indeterminate"))
    );
    let last = c["reasoning"].as_array().unwrap().last().unwrap();
    assert!(
        last["step"]
            .as_str()
            .unwrap()
            .contains("Zoom's end-to-end encryption"),
        "{last}"
    );
    assert_eq!(r["flows"][0]["zoom"]["p2p"], true);
    assert_eq!(
        r["flows"][0]["zoom"]["media_types"],
        serde_json::json!(["0x10"])
    );
}

/// Telegram's legacy reflectors: pings behind a 16-byte peer tag and
/// twelve 0xFF bytes to several reflectors from one socket, then media
/// behind the same tag through one of them: one Telegram call, relayed by
/// Telegram, whose media the wire cannot judge.
#[test]
fn telegram_reflectors_make_one_relayed_telegram_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let tag = [0x2f; 16];
    let client = ([192, 168, 1, 77], 28150);
    let reflectors = [([91, 108, 8, 8], 529), ([91, 108, 16, 1], 529)];
    for r in reflectors {
        let mut ping = tag.to_vec();
        ping.extend_from_slice(&[0xff; 12]);
        ping.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff]);
        ping.extend_from_slice(&noise(1, 8)); // the query id
        p.udp4(client, r, &ping);
        // The reflector's answer: udpReflectorSelfInfo, little-endian.
        let mut answer = ping[..28].to_vec();
        answer.extend_from_slice(&[0xc7, 0x72, 0x15, 0xc0]);
        answer.extend_from_slice(&noise(2, 32));
        p.udp4(r, client, &answer);
    }
    for seq in 0..30u32 {
        let mut media = tag.to_vec();
        media.extend_from_slice(&noise(seq, 150));
        p.udp4(client, reflectors[0], &media);
        p.udp4(reflectors[0], client, &media);
    }
    let r = report_json_revealed(&p.save(dir.path(), "telegram.pcap"));
    assert_platform(&r, "Telegram", "high", "telegram-reflector");
    let c = &r["calls"][0];
    assert_eq!(
        (c["path"].as_str(), c["verdict"].as_str()),
        (Some("relayed"), Some("indeterminate"))
    );
    assert_eq!(c["relay"]["address"], "91.108.8.8:529");
    assert_eq!(c["relay"]["vendor"], "Telegram");
    assert_eq!(c["legs"].as_array().unwrap().len(), 2);
    let last = c["reasoning"].as_array().unwrap().last().unwrap();
    assert!(
        last["step"]
            .as_str()
            .unwrap()
            .contains("(60 packets) travels in the platform's own encrypted framing"),
        "{last}"
    );
}

#[test]
fn generic_webrtc_and_sip_calls_name_no_platform() {
    for name in [
        "webrtc-aiortc.pcap",
        "webrtc-http-signaling.pcap",
        "sip-rtp-cleartext.pcap",
        "sip-trunk.pcap",
    ] {
        let r = report_json(&capture(name));
        for c in r["calls"].as_array().unwrap() {
            assert!(c["platform"].is_null(), "{name}: {}", c["platform"]);
        }
        assert!(findings(&r, "vendor-without-baa").is_empty(), "{name}");
    }
}

/// Cisco IP phones (Skinny signaling, nDPI's skinny.pcap) calling each
/// other in G.711 µ-law: packets of silence carry 0xFF bytes where
/// Telegram's reflector packets have their twelve, but a payload, not a
/// peer tag, before them. Five calls, each one RTP flow, none Telegram's;
/// the media is judged as it is, not as a relay's framing (one call was
/// indeterminate as Telegram's).
#[test]
fn g711_silence_is_not_a_telegram_reflector() {
    let Some(path) = corpus("skinny.pcap") else {
        return;
    };
    let r = report_json(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 5);
    for c in calls {
        assert!(c["platform"].is_null(), "{}", c["platform"]);
        assert_eq!(c["legs"].as_array().unwrap().len(), 1);
    }
    let verdicts: Vec<&str> = calls
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    // The fifth has 15 packets of a codec the statistics cannot call clear.
    assert_eq!(
        verdicts,
        ["exposed", "exposed", "exposed", "exposed", "indeterminate"]
    );
    assert!(findings(&r, "vendor-without-baa").is_empty());
}

/// Browsing Facebook (nDPI's facebook.pcap: TLS to facebook.com and
/// www.facebook.com) is no Messenger session: no platform is contacted,
/// and Meta's contact is a tracker's.
#[test]
fn browsing_facebook_is_a_tracker_not_messenger() {
    let Some(path) = corpus("facebook.pcap") else {
        return;
    };
    let r = report_json_revealed(&path);
    assert!(findings(&r, "platform-contacted").is_empty());
    assert!(findings(&r, "sni-provider-exposed").is_empty());
    let tracker = findings(&r, "tracker-outside-visit");
    assert_eq!(tracker.len(), 1, "{tracker:#?}");
    assert_eq!(tracker[0]["subject"], "www.facebook.com");
}

/// Apple's network alone is no FaceTime: an iPhone reaching iCloud
/// (nDPI's iphone.pcap) and an H.323 lab whose hosts sit in 17.0.0.0/8
/// (h323.pcap) name no platform.
#[test]
fn apples_network_alone_is_not_facetime() {
    for name in ["iphone.pcap", "h323.pcap"] {
        let Some(path) = corpus(name) else {
            return;
        };
        let r = report_json_revealed(&path);
        let vendors = r["summary"]["vendors"].as_array().unwrap();
        assert!(
            vendors.iter().all(|v| v["name"] != "FaceTime / iMessage"),
            "{name}: {vendors:#?}"
        );
        assert!(findings(&r, "platform-contacted").is_empty(), "{name}");
    }
}

/// What a capture that starts mid-call lacks: a copy of `path` without
/// its DNS (53, 5353), TLS and DTLS handshake records, QUIC long-header
/// packets and HTTP messages, decided on the frames by etherparse (not by
/// teleprobe's own decoder). Returns the copy and how many frames it cut.
fn cut_names_and_handshakes(path: &std::path::Path, dir: &std::path::Path) -> (PathBuf, usize) {
    use etherparse::{SlicedPacket, TransportSlice};
    let packets = teleprobe::source::read_all(path.to_str().unwrap()).unwrap();
    let mut out = Pcap::new(ETHERNET);
    let mut cut = 0;
    for p in &packets {
        assert_eq!(p.link.0, 1, "the platform captures are Ethernet");
        let named = match SlicedPacket::from_ethernet(&p.data)
            .ok()
            .and_then(|s| s.transport)
        {
            Some(TransportSlice::Udp(u)) => {
                let b = u.payload();
                let ports = [u.source_port(), u.destination_port()];
                ports.iter().any(|p| [53, 5353].contains(p))
                    // DTLS handshake: content type 22, version 0xfeXX.
                    || (b.len() > 13 && b[0] == 22 && b[1] == 0xfe)
                    // QUIC long header with a version (RFC 9000 §17.2).
                    || (b.len() > 5 && b[0] & 0xc0 == 0xc0 && b[1..5] != [0; 4])
            }
            Some(TransportSlice::Tcp(t)) => {
                let b = t.payload();
                let ports = [t.source_port(), t.destination_port()];
                let http = [
                    &b"GET "[..],
                    b"POST ",
                    b"PUT ",
                    b"HEAD ",
                    b"OPTIONS ",
                    b"HTTP/1.",
                ];
                ports.contains(&53)
                    || (b.len() > 5 && b[0] == 22 && b[1] == 3)
                    || http.iter().any(|m| b.starts_with(m))
            }
            _ => false,
        };
        if named {
            cut += 1;
        } else {
            out.frame_at((p.ts / 1000) as u64, &p.data);
        }
    }
    let name = format!("cut-{}.pcap", path.file_name().unwrap().to_str().unwrap());
    (out.save(dir, &name), cut)
}

fn corpus(name: &str) -> Option<PathBuf> {
    Some(corpus_dir()?.join(name))
}

/// Real clients, as nDPI's captures hold them: the calls name the platform
/// nDPI names, from wire signals, with evidence.
#[test]
fn real_captures_name_their_platform() {
    let cases = [
        ("stun_wa_call.pcapng", "WhatsApp", "whatsapp-rtp-extension"),
        ("wa_voice.pcap", "WhatsApp", "STUN"),
        ("wa_video.pcap", "WhatsApp", "whatsapp-rtp-extension"),
        ("teams.pcap", "Microsoft Teams", "STUN attribute"),
        (
            "skype-conference-call.pcap",
            "Microsoft Teams",
            "STUN attribute",
        ),
        ("stun_google_meet.pcapng", "Google Meet", ""),
        ("stun_signal.pcapng", "Signal", "TURN REALM"),
        ("stun_zoom.pcapng", "Zoom", "certificate"),
        ("viber.pcap", "Viber", "TURN REALM"),
        ("zoom2.pcap", "Zoom", "Zoom media framing"),
        ("zoom.pcap", "Zoom", "Zoom SFU hello (session id echoed)"),
        (
            "zoom_p2p.pcapng",
            "Zoom",
            "Zoom P2P hello and media framing",
        ),
        ("discord.pcap", "Discord", "discord-"),
        // Starts mid-call, behind two VLAN tags and PPPoE.
        ("discord_mid_flow.pcap", "Discord", "discord-keepalive"),
        ("line.pcap", "LINE", "line-call"),
        ("telegram_videocall.pcapng", "Telegram", "TURN REALM"),
        ("telegram.pcap", "Telegram", "telegram-reflector"),
        (
            "stun_msteams_unidir.pcapng",
            "Microsoft Teams",
            "STUN attribute",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, expected, signal) in cases {
        let Some(path) = corpus(name) else { return };
        let (cut, frames_cut) = cut_names_and_handshakes(&path, dir.path());
        // Without DNS, handshakes or HTTP, every call still names it.
        let r = report_json(&cut);
        for c in r["calls"].as_array().unwrap() {
            let p = &c["platform"];
            assert_eq!(
                p["name"], expected,
                "{name} cut of {frames_cut} frames: call {} {}",
                c["id"], p
            );
        }
        let r = report_json(&path);
        let calls = r["calls"].as_array().unwrap();
        assert!(!calls.is_empty(), "{name}: no call");
        for c in calls {
            let p = &c["platform"];
            assert_eq!(p["name"], expected, "{name}");
            let detail = p["evidence"][0]["detail"].as_str().unwrap();
            assert!(detail.starts_with(signal), "{name}: {detail}");
            assert!(p["evidence"][0]["flow"].as_u64().is_some());
        }
    }
    // One WhatsApp call: its relays and its direct path share one ICE socket.
    let Some(path) = corpus("stun_wa_call.pcapng") else {
        return;
    };
    let r = report_json(&path);
    assert_eq!(r["calls"].as_array().unwrap().len(), 1);
    assert_eq!(r["calls"][0]["platform"]["name"], "WhatsApp");
}

/// One TCP connection from the client: handshake, then `opening` as the
/// client's first bytes.
fn connection(p: &mut Pcap, server: ([u8; 4], u16), opening: &[u8]) {
    p.tcp4(CLIENT, server, 1, true, false, &[]);
    p.tcp4(server, CLIENT, 9, true, true, &[]);
    p.tcp4(CLIENT, server, 2, false, true, opening);
}

fn messaging(r: &serde_json::Value) -> Vec<(String, String, String)> {
    r["messaging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let p = &s["platform"];
            (
                p["name"].as_str().unwrap().to_string(),
                p["confidence"].as_str().unwrap().to_string(),
                p["evidence"][0]["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Messaging without any DNS or handshake name: WhatsApp's chat opening on
/// 443, Apple's push service by ALPN on 443 and by port and range on 5223.
/// A web visit to an unknown server on 443 is no messaging session.
#[test]
fn messaging_sessions_are_named_from_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let mut whatsapp = b"WA".to_vec();
    whatsapp.extend_from_slice(&[5, 2, 0, 0, 0x1a]);
    whatsapp.extend_from_slice(&noise(1, 26));
    connection(&mut p, ([203, 0, 113, 9], 443), &whatsapp);
    let hello = teleprobe::proto::tls::build::ClientHelloRepr {
        version: 0x0303,
        ciphers: &[0x1301],
        alpn: &["apns-security-v3"],
        ..Default::default()
    }
    .emit();
    connection(&mut p, ([203, 0, 113, 10], 443), &tls_record(1, &hello));
    connection(&mut p, ([17, 57, 146, 20], 5223), &noise(2, 40));
    connection(
        &mut p,
        ([203, 0, 113, 11], 443),
        &client_hello("example.org"),
    );
    let r = report_json_revealed(&p.save(dir.path(), "messaging.pcap"));
    let sessions = messaging(&r);
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    assert_eq!(
        (sessions[0].0.as_str(), sessions[0].1.as_str()),
        ("WhatsApp", "high")
    );
    assert!(
        sessions[0]
            .2
            .starts_with("whatsapp-chat (1 packets) in flow 1")
    );
    // Apple: the ALPN connection and the 5223 one are one session of the
    // client, named by the stronger signal.
    assert_eq!(
        (sessions[1].0.as_str(), sessions[1].1.as_str()),
        ("FaceTime / iMessage", "high")
    );
    assert!(sessions[1].2.starts_with("ALPN apns-security-v3 in flow 2"));
    assert_eq!(r["messaging"][1]["flows"], serde_json::json!([2, 3]));
    assert_eq!(r["messaging"][1]["kind"], "messaging");
    assert_eq!(
        finding_subjects(&r, "vendor-without-baa"),
        ["messaging 1: WhatsApp", "messaging 2: FaceTime / iMessage"]
    );
    assert!(r["calls"].as_array().unwrap().is_empty());
    // The summary's platforms in use: both, with their sessions.
    let used: Vec<(&str, &serde_json::Value, &str)> = r["summary"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap(),
                &u["messaging_sessions"],
                u["baa"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        used,
        [
            ("WhatsApp", &serde_json::json!([1]), "no"),
            ("FaceTime / iMessage", &serde_json::json!([2]), "no")
        ]
    );
    let path = dir.path().join("messaging.pcap");
    let md = String::from_utf8(run_ok(&[
        "analyze",
        "--quiet",
        "--format",
        "md",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(
        md.contains(
            "| WhatsApp (Meta) | NO BAA (Meta offers no BAA for WhatsApp) | - | 1 (1) | - |"
        ),
        "{md}"
    );
}

/// The real clients' chat and push connections in nDPI's captures.
#[test]
fn real_messaging_sessions_name_their_platform() {
    let cases: [(&str, &[&str]); 5] = [
        ("whatsapp.pcap", &["WhatsApp"]),
        ("whatsapp_login_chat.pcap", &["WhatsApp"]),
        ("whatsapp_voice_and_message.pcap", &["WhatsApp"]),
        ("wa_voice.pcap", &["FaceTime / iMessage", "WhatsApp"]),
        (
            "whatsapp_login_call.pcap",
            &["WhatsApp", "FaceTime / iMessage"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, expected) in cases {
        let Some(path) = corpus(name) else { return };
        let (cut, _) = cut_names_and_handshakes(&path, dir.path());
        let r = report_json(&cut);
        let names: Vec<String> = messaging(&r).into_iter().map(|s| s.0).collect();
        assert_eq!(
            names,
            expected.to_vec(),
            "{name} without names or handshakes"
        );
        let r = report_json(&path);
        let names: Vec<String> = messaging(&r).into_iter().map(|s| s.0).collect();
        assert_eq!(names, expected.to_vec(), "{name}");
        for s in r["messaging"].as_array().unwrap() {
            let ev = &s["platform"]["evidence"][0];
            assert!(ev["flow"].as_u64().is_some(), "{name}: {ev}");
        }
    }
    // Signal's chat is TLS to its service: named by the SNI alone, so a
    // capture without the handshakes cannot show it.
    let Some(path) = corpus("signal.pcap") else {
        return;
    };
    let r = report_json(&path);
    let sessions = messaging(&r);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].0, "Signal");
    assert!(
        sessions[0]
            .2
            .starts_with("server name textsecure-service.whispersystems.org")
    );
    assert_eq!(
        findings(&r, "vendor-without-baa")[0]["subject"],
        "messaging 1: Signal"
    );
}

/// A call whose media goes to Apple's network on FaceTime's media ports,
/// with no name in the capture: FaceTime, at medium confidence, and a
/// platform without a BAA.
#[test]
fn media_with_apple_on_facetime_ports_is_facetime() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let apple = ([17, 133, 234, 40], 16393);
    p.udp4(CLIENT, apple, &stun(0x0001, [3; 12], &[]));
    for seq in 0..20u16 {
        let payload = noise(u32::from(seq), 160);
        p.udp4(CLIENT, apple, &rtp(104, seq, 0x3333, &payload));
        p.udp4(apple, CLIENT, &rtp(104, seq, 0x4444, &payload));
    }
    let r = report_json_revealed(&p.save(dir.path(), "facetime.pcap"));
    let (name, confidence, detail) = platform(&r);
    assert_eq!(
        (name.as_str(), confidence.as_str()),
        ("FaceTime / iMessage", "medium")
    );
    assert!(
        detail.starts_with(
            "media server 17.133.234.40:16393 in the platform's published media ranges and ports"
        ),
        "{detail}"
    );
    assert_eq!(
        findings(&r, "vendor-without-baa")[0]["subject"],
        "call 1: FaceTime / iMessage"
    );
    // The same address on a web port is Apple's, not FaceTime's: no
    // platform is named.
    let mut p = Pcap::new(ETHERNET);
    let web = ([17, 133, 234, 40], 443);
    p.udp4(CLIENT, web, &stun(0x0001, [3; 12], &[]));
    for seq in 0..20u16 {
        p.udp4(
            CLIENT,
            web,
            &rtp(104, seq, 0x3333, &noise(u32::from(seq), 160)),
        );
    }
    let r = report_json_revealed(&p.save(dir.path(), "apple-443.pcap"));
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0]["platform"].is_null(),
        "17.0.0.0/8 is all of Apple: {}",
        calls[0]["platform"]
    );
    assert!(findings(&r, "vendor-without-baa").is_empty());
}
