//! Signaling wherever it is visible, on captures the tests write: SIP
//! dialogs sharing a 5-tuple, dialogs seen in part, WebRTC SDP in HTTP
//! bodies and WebSocket messages, and the broken input each must survive
//! with a counted, explained partial result.

mod common;

use common::*;

const CLINIC: [u8; 4] = [192, 168, 1, 20];
const SERVER: [u8; 4] = [10, 0, 0, 5];
const PEER: [u8; 4] = [10, 0, 0, 9];

fn sdp(ufrag: &str, address: &str, port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
m=audio {port} UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 {address}\r\na=mid:0\r\n\
a=ice-ufrag:{ufrag}\r\na=ice-pwd:0123456789abcdef012345\r\n\
a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n\
a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n\
a=candidate:1 1 udp 2130706431 {address} {port} typ host\r\n\
a=candidate:2 1 udp 1694498815 198.51.100.7 61000 typ srflx raddr {address} rport {port}\r\n"
    )
}

fn json_sdp(kind: &str, sdp: &str) -> String {
    serde_json::json!({ "type": kind, "sdp": sdp }).to_string()
}

/// ICE connectivity checks between the two media ends: `local:remote` usernames.
fn ice_checks(p: &mut Pcap, a: ([u8; 4], u16), b: ([u8; 4], u16), ua: &str, ub: &str) {
    for (i, (src, dst, user)) in [(a, b, format!("{ub}:{ua}")), (b, a, format!("{ua}:{ub}"))]
        .into_iter()
        .enumerate()
    {
        p.udp4(
            src,
            dst,
            &stun(0x0001, [i as u8 + 1; 12], &[(0x0006, user.into_bytes())]),
        );
    }
}

/// A TCP connection's segments, one message per segment after the handshake.
struct Tcp {
    client: ([u8; 4], u16),
    server: ([u8; 4], u16),
    seq: [u32; 2],
}

impl Tcp {
    fn open(p: &mut Pcap, client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Tcp {
        p.tcp4(client, server, 1000, true, false, &[]);
        p.tcp4(server, client, 5000, true, true, &[]);
        Tcp {
            client,
            server,
            seq: [1001, 5001],
        }
    }

    fn send(&mut self, p: &mut Pcap, from_client: bool, data: &[u8]) {
        let (src, dst, i) = if from_client {
            (self.client, self.server, 0)
        } else {
            (self.server, self.client, 1)
        };
        p.tcp4(src, dst, self.seq[i], false, true, data);
        self.seq[i] = self.seq[i].wrapping_add(data.len() as u32);
    }
}

/// A TCP connection upgraded to WebSocket (RFC 6455 handshake).
fn websocket(p: &mut Pcap, client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Tcp {
    let mut ws = Tcp::open(p, client, server);
    ws.send(
        p,
        true,
        b"GET /signal HTTP/1.1\r\nHost: signal.clinic.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    ws.send(
        p,
        false,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    ws
}

/// A masked (client) or unmasked (server) WebSocket text frame.
fn ws_text(payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![0x81];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(m | n as u8),
        n if n < 65536 => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            f.extend_from_slice(&k);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

fn calls(r: &serde_json::Value) -> &Vec<serde_json::Value> {
    r["calls"].as_array().unwrap()
}

#[test]
fn webrtc_offer_and_answer_in_a_cleartext_http_post() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let mut http = Tcp::open(&mut p, (CLINIC, 40100), (SERVER, 8080));
    let offer = json_sdp("offer", &sdp("offerU", "192.168.1.20", 50000));
    let post = format!(
        "POST /offer HTTP/1.1\r\nHost: telehealth.clinic.example:8080\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{offer}",
        offer.len()
    );
    // The body crosses two segments.
    let (head, tail) = post.as_bytes().split_at(post.len() - 200);
    http.send(&mut p, true, head);
    http.send(&mut p, true, tail);
    let answer = json_sdp("answer", &sdp("answerU", "10.0.0.9", 50002));
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
        answer.len()
    );
    http.send(&mut p, false, response.as_bytes());
    ice_checks(&mut p, (CLINIC, 50000), (PEER, 50002), "offerU", "answerU");
    let r = report_json_revealed(&p.save(dir.path(), "http-signaling.pcap"));

    let web = &r["flows"][0];
    assert_eq!(web["protocols"], serde_json::json!(["sdp", "http"]));
    let sdps = web["http"]["sdp"].as_array().unwrap();
    assert_eq!(sdps.len(), 2, "offer and answer");
    assert_eq!(
        (sdps[0]["kind"].as_str(), sdps[0]["carrier"].as_str()),
        (Some("offer"), Some("POST /offer"))
    );
    assert_eq!(
        (sdps[1]["kind"].as_str(), sdps[1]["carrier"].as_str()),
        (Some("answer"), Some("200"))
    );
    assert_eq!(sdps[0]["packet"], 4, "completed by the second segment");

    let calls = calls(&r);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let c = &calls[0];
    assert_eq!(call_legs(c), [(1, "signaling".into()), (2, "ice".into())]);
    assert!(c["kinds"].as_array().unwrap().contains(&"webrtc".into()));
    let steps: Vec<&str> = c["reasoning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s.starts_with("Signaling: WebRTC SDP offer in the clear over HTTP between 192.168.1.20:40100 and 10.0.0.5:8080")),
        "{steps:#?}"
    );
    assert!(
        !steps.iter().any(|s| s.contains("not visible")),
        "{steps:#?}"
    );
    let ids = call_findings(c);
    assert!(
        ids.contains(&"signaling-cleartext") && ids.contains(&"ice-address-exposed"),
        "{ids:?}"
    );

    let cleartext = findings(&r, "signaling-cleartext");
    assert_eq!(cleartext.len(), 1);
    assert_eq!(cleartext[0]["values"]["transport"], "HTTP");
    assert_eq!(cleartext[0]["evidence"][0]["first_packet"], 4);
    let exposed = findings(&r, "ice-address-exposed");
    let listed = exposed[0]["values"]["candidates"].as_str().unwrap();
    assert!(
        listed.contains("192.168.1.20:50000 (host)")
            && listed.contains("198.51.100.7:61000 (srflx)"),
        "{listed}"
    );
}

#[test]
fn websocket_signaling_sip_over_websocket_and_an_absurd_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let mut ws = websocket(&mut p, (CLINIC, 40200), (SERVER, 8765));
    let offer = json_sdp("offer", &sdp("wsOffer", "192.168.1.20", 50010));
    ws.send(
        &mut p,
        true,
        &ws_text(offer.as_bytes(), Some([0x11, 0x22, 0x33, 0x44])),
    );
    let trickle = r#"{"candidate":{"candidate":"candidate:3 1 udp 2130706431 192.168.1.21 50012 typ host","sdpMid":"0"}}"#;
    ws.send(&mut p, false, &ws_text(trickle.as_bytes(), None));
    // SIP over WebSocket (RFC 7118): an INVITE and its answer in text frames.
    let invite = "INVITE sip:dr@clinic.example SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\nFrom: \"Jane Patient\" <sip:jane@clinic.example>;tag=a1\r\nTo: <sip:dr@clinic.example>\r\nCall-ID: ws-call-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    ws.send(
        &mut p,
        true,
        &ws_text(invite.as_bytes(), Some([9, 8, 7, 6])),
    );
    let ok = "SIP/2.0 200 OK\r\nFrom: \"Jane Patient\" <sip:jane@clinic.example>;tag=a1\r\nTo: <sip:dr@clinic.example>;tag=b2\r\nCall-ID: ws-call-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    ws.send(&mut p, false, &ws_text(ok.as_bytes(), None));
    // A frame claiming 2^40 bytes: skipped by its length, never buffered.
    let mut absurd = vec![0x82, 0x7f];
    absurd.extend_from_slice(&(1u64 << 40).to_be_bytes());
    absurd.extend_from_slice(&[0u8; 100]);
    ws.send(&mut p, false, &absurd);
    let r = report_json_revealed(&p.save(dir.path(), "ws-signaling.pcap"));

    let f = &r["flows"][0];
    let protocols = f["protocols"].as_array().unwrap();
    for p in ["http", "websocket", "sip", "sdp"] {
        assert!(protocols.contains(&p.into()), "{protocols:?}");
    }
    let w = &f["http"]["websocket"];
    assert_eq!(
        (w["text_messages"].as_u64(), w["sip_messages"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(w["skipped_frames"], 1);
    assert!(
        f["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("WebSocket frame of 1099511627776 bytes")),
        "{:?}",
        f["notes"]
    );
    assert_eq!(f["http"]["sdp"][0]["kind"], "offer");
    assert_eq!(f["http"]["sdp"][0]["carrier"], "WebSocket text");
    assert_eq!(f["http"]["candidates"][0]["address"], "192.168.1.21");
    let cleartext = findings(&r, "signaling-cleartext");
    assert!(
        cleartext
            .iter()
            .any(|c| c["values"]["transport"] == "WebSocket"),
        "{cleartext:#?}"
    );
    // The SIP dialog carried over WebSocket is a call of its own.
    let sip_call = calls(&r)
        .iter()
        .find(|c| c["sip_call_ids"][0] == "ws-call-1")
        .expect("the SIP-over-WebSocket dialog is a call");
    assert_eq!(sip_call["dialogs"][0]["state"], "confirmed");
    assert_eq!(sip_call["dialogs"][0]["messages_total"], 2);
}

#[test]
fn two_calls_on_one_sip_5_tuple_are_two_calls_with_their_own_media() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let (pbx, sbc) = ((SERVER, 5060), (PEER, 5060));
    for (call, port) in [(1u16, 20000u16), (2, 20100)] {
        let body = format!(
            "v=0\r\no=- {call} 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        );
        let answer = body.replace("10.0.0.5", "10.0.0.9");
        let msg = |start: &str, to_tag: &str, cseq: &str, body: &str| {
            format!(
                "{start}\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK{call}{cseq}\r\nFrom: <sip:+1555000{call}@pbx.example>;tag=f{call}\r\nTo: <sip:+1555999{call}@sbc.example>{to_tag}\r\nCall-ID: trunk-{call}@pbx\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        p.udp4(
            pbx,
            sbc,
            msg(
                "INVITE sip:+15559999@sbc.example SIP/2.0",
                "",
                "1 INVITE",
                &body,
            )
            .as_bytes(),
        );
        p.udp4(
            sbc,
            pbx,
            msg("SIP/2.0 200 OK", ";tag=t", "1 INVITE", &answer).as_bytes(),
        );
        p.udp4(
            pbx,
            sbc,
            msg(
                "ACK sip:+15559999@sbc.example SIP/2.0",
                ";tag=t",
                "1 ACK",
                "",
            )
            .as_bytes(),
        );
        for seq in 0..20u16 {
            p.udp4(
                (SERVER, port),
                (PEER, port),
                &rtp(
                    0,
                    seq,
                    0x1000 + u32::from(call),
                    &noise(u32::from(seq), 160),
                ),
            );
            p.udp4(
                (PEER, port),
                (SERVER, port),
                &rtp(
                    0,
                    seq,
                    0x2000 + u32::from(call),
                    &noise(u32::from(seq) + 99, 160),
                ),
            );
        }
        p.udp4(
            pbx,
            sbc,
            msg(
                "BYE sip:+15559999@sbc.example SIP/2.0",
                ";tag=t",
                "2 BYE",
                "",
            )
            .as_bytes(),
        );
        p.udp4(
            sbc,
            pbx,
            msg("SIP/2.0 200 OK", ";tag=t", "2 BYE", "").as_bytes(),
        );
    }
    let r = report_json_revealed(&p.save(dir.path(), "trunk.pcap"));
    let calls = calls(&r);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    for (c, (call_id, port, ssrc)) in calls.iter().zip([
        ("trunk-1@pbx", 20000, "0x00001001"),
        ("trunk-2@pbx", 20100, "0x00001002"),
    ]) {
        assert_eq!(c["sip_call_ids"], serde_json::json!([call_id]));
        let media = c["media"].as_array().unwrap();
        assert_eq!(media.len(), 2, "{media:#?}");
        assert!(media.iter().any(|m| m["ssrc"] == ssrc));
        let legs = c["legs"].as_array().unwrap();
        assert!(
            legs.iter()
                .any(|l| l["role"] == "media" && l["client"] == format!("10.0.0.5:{port}"))
        );
        assert_eq!(c["dialogs"][0]["state"], "terminated");
        assert_eq!(c["verdict"], "exposed");
        let identities = c["identities"].as_array().unwrap();
        assert!(
            identities.iter().all(|i| i
                .as_str()
                .unwrap()
                .contains(&format!("555000{}", &call_id[6..7]))
                || i.as_str().unwrap().contains("555999")),
            "{identities:?}"
        );
    }
}

#[test]
fn a_bye_without_its_invite_and_a_truncated_http_body() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let bye = "BYE sip:dr@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5\r\nFrom: <sip:jane@clinic.example>;tag=1\r\nTo: <sip:dr@clinic.example>;tag=2\r\nCall-ID: started-before@x\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n";
    p.udp4((SERVER, 5060), (PEER, 5060), bye.as_bytes());
    // A dialog whose answer was captured before its INVITE (two capture
    // points merged): still one call, saying what it saw first.
    let invite = "INVITE sip:dr@clinic.example SIP/2.0\r\nFrom: <sip:jane@clinic.example>;tag=1\r\nTo: <sip:dr@clinic.example>\r\nCall-ID: reordered@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let ok = "SIP/2.0 200 OK\r\nFrom: <sip:jane@clinic.example>;tag=1\r\nTo: <sip:dr@clinic.example>;tag=9\r\nCall-ID: reordered@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    p.udp4((PEER, 5060), (SERVER, 5062), ok.as_bytes());
    p.udp4((SERVER, 5062), (PEER, 5060), invite.as_bytes());
    let mut http = Tcp::open(&mut p, (CLINIC, 40300), (SERVER, 8080));
    // Content-Length promises more than the capture holds.
    http.send(
        &mut p,
        true,
        b"POST /offer HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: 4000\r\n\r\nv=0\r\no=- 1 1 IN IP4 192.168.1.20\r\n",
    );
    let r = report_json_revealed(&p.save(dir.path(), "partial.pcap"));
    let calls = calls(&r);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let d = &calls[0]["dialogs"][0];
    assert_eq!(
        (d["state"].as_str(), d["call_id"].as_str()),
        (Some("terminated"), Some("started-before@x"))
    );
    assert!(
        d["notes"][0]
            .as_str()
            .unwrap()
            .contains("began before the capture")
    );
    let reordered = &calls[1]["dialogs"][0];
    assert_eq!(reordered["call_id"], "reordered@x");
    assert_eq!(
        (
            reordered["state"].as_str(),
            reordered["messages_total"].as_u64()
        ),
        (Some("confirmed"), Some(2))
    );
    assert!(
        reordered["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("first seen with 200 OK in packet 2"),
        "{reordered:#}"
    );
    let web = r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["transport"] == "tcp")
        .unwrap();
    assert_eq!(web["http"]["requests"][0]["path"], "/offer");
    assert!(
        web["http"]["sdp"].is_null(),
        "an unfinished body is not read as SDP"
    );
}

/// A signaling WebSocket stays open while forty WebRTC calls come and go,
/// each an offer and an answer on it and ICE checks on ports of its own.
/// The first 64 SDP bodies (32 calls) are kept and each of those calls has
/// the WebSocket as its signaling; the rest are counted and the flow says
/// so. (A connection kept 16 bodies, silently: 8 calls had signaling.)
#[test]
fn a_signaling_websocket_open_all_day_signals_its_calls_and_says_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let mut ws = websocket(&mut p, (CLINIC, 40300), (SERVER, 8765));
    for i in 0..40u16 {
        let (local, remote) = (format!("offer{i}"), format!("answer{i}"));
        let (clinic_port, peer_port) = (50_000 + i * 2, 52_000 + i * 2);
        let offer = json_sdp("offer", &sdp(&local, "192.168.1.20", clinic_port));
        ws.send(&mut p, true, &ws_text(offer.as_bytes(), Some([1, 2, 3, 4])));
        let answer = json_sdp("answer", &sdp(&remote, "10.0.0.9", peer_port));
        ws.send(&mut p, false, &ws_text(answer.as_bytes(), None));
        ice_checks(
            &mut p,
            (CLINIC, clinic_port),
            (PEER, peer_port),
            &local,
            &remote,
        );
    }
    let r = report_json_revealed(&p.save(dir.path(), "ws-all-day.pcap"));
    let web = &r["flows"][0];
    assert_eq!(web["http"]["sdp"].as_array().unwrap().len(), 64);
    assert_eq!(web["http"]["sdp_not_kept"], 16);
    let notes = strings(&web["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("16 SDP bodies past the first 64")),
        "{notes:?}"
    );
    let signaled = calls(&r)
        .iter()
        .filter(|c| call_legs(c).contains(&(web["id"].as_u64().unwrap(), "signaling".into())))
        .count();
    assert_eq!(signaled, 32);
}
