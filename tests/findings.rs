//! Each finding of the catalogue on a capture that must trigger it and on
//! one that must not, with the evidence a reader can check in Wireshark.
//! Recorded captures where real software could make the traffic; captures
//! written here for the rest.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn report(name: &str) -> serde_json::Value {
    report_json(&capture(name))
}

const C: [u8; 4] = [10, 0, 0, 5];
const S: [u8; 4] = [198, 51, 100, 20];

/// A TCP connection carrying `client` then `server` bytes.
fn tcp_exchange(dir: &Path, name: &str, port: u16, client: &[u8], server: &[u8]) -> PathBuf {
    let mut p = Pcap::new(ETHERNET);
    let (c, s) = ((C, 50123), (S, port));
    p.tcp4(c, s, 100, true, false, &[]);
    p.tcp4(s, c, 900, true, true, &[]);
    p.tcp4(c, s, 101, false, true, client);
    p.tcp4(s, c, 901, false, true, server);
    p.save(dir, name)
}

#[test]
fn sip_call_in_the_clear() {
    let r = report("sip-rtp-cleartext.pcap");
    assert_eq!(
        finding_ids(&r),
        [
            "media-cleartext",
            "rtcp-sdes-exposed",
            "signaling-cleartext",
            "sip-identity-exposed"
        ]
    );
    let media = findings(&r, "media-cleartext");
    assert_eq!(media.len(), 2, "one finding per stream, not per packet");
    let m = media
        .iter()
        .find(|f| f["values"]["packets"] == "236")
        .unwrap();
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["evidence"][0]["first_packet"], 6);
    assert_eq!(m["evidence"][0]["last_packet"], 602);
    assert!(
        m["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("RTP/AVP without a=crypto")
    );
    let sig = &findings(&r, "signaling-cleartext")[0];
    assert_eq!(
        (sig["subject"].as_str(), sig["evidence"][0]["flow"].as_u64()),
        (Some("udp 127.0.0.1:5060"), Some(1))
    );
    assert_eq!(
        findings(&r, "rtcp-sdes-exposed")[0]["evidence"][0]["first_packet"],
        36
    );
    assert_eq!(r["summary"]["findings_by_severity"]["critical"], 2);
}

#[test]
fn sdes_srtp_keys_in_clear_sip() {
    let r = report("sip-sdes-srtp.pcap");
    assert!(
        findings(&r, "media-cleartext").is_empty(),
        "the media is SRTP"
    );
    let keys = findings(&r, "srtp-keys-exposed");
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys[0]["evidence"].as_array().unwrap().len(),
        2,
        "the offer and the answer"
    );
    assert_eq!(keys[0]["evidence"][0]["first_packet"], 1);
    let offer = keys[0]["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        offer.contains("AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32"),
        "{offer}"
    );
    assert_eq!(keys[0]["evidence"][1]["first_packet"], 4, "the 200 OK");
    assert!(!serde_json::to_string(&r).unwrap().contains("inline:"));
    assert!(findings(&report("sip-rtp-cleartext.pcap"), "srtp-keys-exposed").is_empty());
    assert!(
        findings(&r, "rtcp-sdes-exposed").is_empty(),
        "SRTCP hides SDES items"
    );
}

#[test]
fn sip_credentials_only_with_authorization() {
    let r = report("sip-tcp.pcap");
    let f = &findings(&r, "sip-credentials-cleartext")[0];
    assert_eq!(f["subject"], "tcp 127.0.0.1:5060");
    assert!(
        findings(
            &report("sip-rtp-cleartext.pcap"),
            "sip-credentials-cleartext"
        )
        .is_empty()
    );
    assert!(findings(&report("tls-versions.pcapng"), "signaling-cleartext").is_empty());
    assert!(findings(&report("webrtc-aiortc.pcap"), "sip-identity-exposed").is_empty());
}

#[test]
fn tls_versions_and_certificates() {
    let r = report("tls-versions.pcapng");
    let deprecated = findings(&r, "tls-deprecated");
    let subjects = finding_subjects(&r, "tls-deprecated");
    assert_eq!(
        subjects,
        [
            "tcp 127.0.0.1:4410 (clinic.example)",
            "tcp 127.0.0.1:4411 (clinic.example)"
        ]
    );
    assert_eq!(deprecated[0]["values"]["version"], "TLS 1.0");
    assert_eq!(
        deprecated[0]["evidence"][0]["first_packet"], 6,
        "the ServerHello"
    );
    // openssl's self-signed certificate, visible up to TLS 1.2 (not 1.3 on 4413).
    let certs = findings(&r, "tls-certificate-problem");
    assert_eq!(certs.len(), 4);
    assert!(
        certs
            .iter()
            .all(|c| c["values"]["problems"] == "self-signed")
    );
    assert!(
        findings(&r, "tls-weak-cipher").is_empty(),
        "AES128-SHA is not in the weak list"
    );
    // WebRTC's DTLS 1.2 with self-signed certificates is neither.
    let webrtc = report("webrtc-aiortc.pcap");
    assert!(
        findings(&webrtc, "tls-deprecated").is_empty()
            && findings(&webrtc, "tls-certificate-problem").is_empty()
    );
}

#[test]
fn weak_cipher_and_provider_names_in_tls() {
    let dir = tempfile::tempdir().unwrap();
    let path = tcp_exchange(
        dir.path(),
        "weak.pcap",
        443,
        &client_hello("video.doxy.me"),
        &server_hello(0x0303, 0x000A),
    );
    let r = report_json(&path);
    let weak = &findings(&r, "tls-weak-cipher")[0];
    assert_eq!(weak["values"]["cipher"], "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_eq!(weak["evidence"][0]["first_packet"], 4);
    let sni = &findings(&r, "sni-provider-exposed")[0];
    assert_eq!(sni["subject"], "Doxy.me: video.doxy.me");
    assert_eq!(sni["evidence"][0]["first_packet"], 3, "the ClientHello");
    assert_eq!(r["summary"]["vendors"][0]["name"], "Doxy.me");
    assert_eq!(r["summary"]["vendors"][0]["baa"], "yes");
    assert!(
        findings(&r, "vendor-without-baa").is_empty(),
        "Doxy.me offers a BAA"
    );
    let strong = tcp_exchange(
        dir.path(),
        "strong.pcap",
        443,
        &client_hello("portal.clinic.example"),
        &server_hello(0x0303, 0xC02F),
    );
    let r = report_json(&strong);
    assert!(
        findings(&r, "tls-weak-cipher").is_empty()
            && findings(&r, "sni-provider-exposed").is_empty()
    );
}

#[test]
fn plain_http_to_a_provider() {
    let dir = tempfile::tempdir().unwrap();
    let get = b"GET /waiting-room?patient=123 HTTP/1.1\r\nHost: clinic.doxy.me\r\n\r\n";
    let r = report_json(&tcp_exchange(
        dir.path(),
        "http.pcap",
        80,
        get,
        b"HTTP/1.1 200 OK\r\n\r\n",
    ));
    let f = &findings(&r, "http-cleartext")[0];
    assert_eq!(f["subject"], "Doxy.me: clinic.doxy.me");
    let detail = f["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("GET http://clinic.doxy.me/waiting-room")
            && !detail.contains("patient=123")
    );
    let other = b"GET / HTTP/1.1\r\nHost: updates.example\r\n\r\n";
    let r = report_json(&tcp_exchange(
        dir.path(),
        "other.pcap",
        80,
        other,
        b"HTTP/1.1 200 OK\r\n\r\n",
    ));
    assert!(findings(&r, "http-cleartext").is_empty());
}

#[test]
fn dns_names_and_vendors_without_baa() {
    let r = report("dns.pcap");
    assert_eq!(
        finding_subjects(&r, "dns-provider-exposed"),
        ["Doxy.me: doxy.me", "Zoom: zoom.us"]
    );
    assert!(findings(&r, "vendor-without-baa").is_empty());

    // A WhatsApp lookup, then a connection to the address it returned.
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    p.udp4(
        (C, 53001),
        ([10, 0, 0, 1], 53),
        &dns_a_reply(9, "g.whatsapp.net", S),
    );
    p.tcp4((C, 50200), (S, 5222), 1, true, false, &[]);
    p.tcp4((S, 5222), (C, 50200), 9, true, true, &[]);
    let r = report_json(&p.save(dir.path(), "wa.pcap"));
    // The chat connection (TCP 5222 to the address g.whatsapp.net resolved
    // to) is a messaging session on a platform without a BAA.
    let sessions = r["messaging"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    assert_eq!(sessions[0]["kind"], "messaging");
    assert_eq!(sessions[0]["flows"], serde_json::json!([2]));
    assert_eq!(sessions[0]["platform"]["name"], "WhatsApp");
    assert_eq!(sessions[0]["platform"]["confidence"], "medium");
    let f = &findings(&r, "vendor-without-baa");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["subject"], "messaging 1: WhatsApp");
    assert_eq!(f[0]["severity"], "high");
    assert_eq!(f[0]["evidence"][0]["flow"], 2);
    let detail = f[0]["evidence"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("messaging session 1 on WhatsApp (1 connections)")
            && detail.contains("named by DNS answer g.whatsapp.net"),
        "{detail}"
    );
    // The platform carried a session: its lookup is no mere contact.
    assert!(findings(&r, "platform-contacted").is_empty());
    // A lookup alone, with no session, is.
    let mut p = Pcap::new(ETHERNET);
    p.udp4(
        (C, 53001),
        ([10, 0, 0, 1], 53),
        &dns_a_reply(9, "g.whatsapp.net", S),
    );
    let r = report_json(&p.save(dir.path(), "wa-lookup.pcap"));
    assert!(findings(&r, "vendor-without-baa").is_empty());
    let contacted = &findings(&r, "platform-contacted");
    assert_eq!(contacted.len(), 1);
    assert_eq!(
        (
            contacted[0]["subject"].as_str(),
            contacted[0]["severity"].as_str()
        ),
        (Some("WhatsApp"), Some("info"))
    );
    assert_eq!(contacted[0]["evidence"][0]["flow"], 1, "the DNS flow");
}

#[test]
fn turn_relay_and_software() {
    let r = report("turn-relay.pcap");
    let relay = findings(&r, "relay-third-party");
    assert_eq!(relay.len(), 1, "one relay, four allocations");
    assert_eq!(relay[0]["severity"], "high");
    assert_eq!(relay[0]["values"]["realm"], "clinic.example");
    assert_eq!(relay[0]["evidence"].as_array().unwrap().len(), 4);
    assert_eq!(
        findings(&r, "stun-software-disclosed")[0]["subject"],
        "Coturn-4.6.1 'Gorst'"
    );
    let direct = report("webrtc-aiortc.pcap");
    assert!(
        findings(&direct, "relay-third-party").is_empty()
            && findings(&direct, "stun-software-disclosed").is_empty()
    );
}

#[test]
fn host_candidates_in_clear_sdp() {
    let dir = tempfile::tempdir().unwrap();
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 50000 UDP/TLS/RTP/SAVPF 111\r\na=candidate:1 1 udp 2130706431 192.168.1.20 50000 typ host\r\na=candidate:2 1 udp 1694498815 198.51.100.7 61000 typ srflx raddr 192.168.1.20 rport 50000\r\n";
    let invite = format!(
        "INVITE sip:bob@clinic.example SIP/2.0\r\nCall-ID: ice-1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let mut p = Pcap::new(ETHERNET);
    p.udp4((C, 5060), (S, 5060), invite.as_bytes());
    let r = report_json(&p.save(dir.path(), "ice.pcap"));
    let f = &findings(&r, "ice-address-exposed")[0];
    // The clinic device's private host address and the public address the
    // server-reflexive candidate gives away (pseudonymised in the report).
    let listed = f["values"]["candidates"].as_str().unwrap();
    assert!(
        listed.starts_with("192.168.1.20:50000 (host), 2"),
        "{listed}"
    );
    assert!(
        listed.ends_with(":61000 (srflx)") && !listed.contains("198.51.100.7"),
        "{listed}"
    );
    assert_eq!(f["evidence"][0]["first_packet"], 1);
    assert!(findings(&report("sip-rtp-cleartext.pcap"), "ice-address-exposed").is_empty());
}

#[test]
fn policy_overrides_allow_lists_and_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "ignore = [\"stun-software-disclosed\"]\n[severity]\n\"tls-deprecated\" = \"critical\"\n[[allow.relays]]\nname = \"our coturn\"\nrealm = \"clinic.example\"\n[tls]\nallowed_ciphers = [\"TLS_AES_256_GCM_SHA384\", \"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"]\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let r = report_json_with(&capture("turn-relay.pcap"), &["--policy", p]);
    let relay = &findings(&r, "relay-third-party")[0];
    assert_eq!(
        (
            relay["severity"].as_str(),
            relay["default_severity"].as_str()
        ),
        (Some("info"), Some("high"))
    );
    assert_eq!(relay["values"]["allowed_by"], "our coturn");
    assert!(
        findings(&r, "stun-software-disclosed").is_empty(),
        "ignored by policy"
    );
    let r = report_json_with(&capture("tls-versions.pcapng"), &["--policy", p]);
    assert!(
        findings(&r, "tls-deprecated")
            .iter()
            .all(|f| f["severity"] == "critical")
    );
    let weak: Vec<&str> = findings(&r, "tls-weak-cipher")
        .iter()
        .map(|f| f["values"]["cipher"].as_str().unwrap())
        .collect();
    assert_eq!(
        weak,
        [
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        ]
    );

    let tls = capture("tls-versions.pcapng");
    let fail = run(&[
        "analyze",
        "--quiet",
        "--fail-on",
        "high",
        tls.to_str().unwrap(),
    ]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stderr).contains("2 finding(s) at or above high"));
    let pass = run(&[
        "analyze",
        "--quiet",
        "--fail-on",
        "critical",
        tls.to_str().unwrap(),
    ]);
    assert_eq!(pass.status.code(), Some(0));

    std::fs::write(
        &policy,
        "[tls]\nminimum_version = \"TLS 1.2\"\nminimum_dtls = \"DTLS 1.2\"\n",
    )
    .unwrap();
    let bad = run(&["analyze", "--policy", p, tls.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("line 3") && err.contains("minimum_dtls"),
        "{err}"
    );
    let printed = run(&["print-policy"]);
    assert!(String::from_utf8_lossy(&printed.stdout).contains("minimum_version = \"TLS 1.2\""));
}

#[test]
fn relay_allowed_by_the_name_it_was_reached_by_and_published_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let relay = [198, 51, 100, 7];
    let mut p = Pcap::new(ETHERNET);
    p.udp4(
        (C, 53002),
        ([10, 0, 0, 1], 53),
        &dns_a_reply(4, "turn.clinic.example", relay),
    );
    p.udp4(
        (C, 50000),
        (relay, 3478),
        &stun(0x0003, [2; 12], &[(0x0019, vec![17, 0, 0, 0])]),
    );
    p.udp4(
        (relay, 3478),
        (C, 50000),
        &stun(0x0103, [2; 12], &[(0x0016, xor_v4(relay, 61000))]),
    );
    // And a flow to an address in Zoom's published range, with no name.
    p.udp4((C, 50300), ([170, 114, 52, 2], 8801), b"zoom media");
    p.udp4((C, 50300), ([170, 114, 52, 2], 8801), b"zoom media");
    let cap = p.save(dir.path(), "relay.pcap");
    let r = report_json_revealed(&cap);
    let f = &findings(&r, "relay-third-party")[0];
    assert_eq!(
        (f["severity"].as_str(), f["values"]["names"].as_str()),
        (Some("high"), Some("turn.clinic.example"))
    );
    let zoom = r["summary"]["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "Zoom")
        .expect("Zoom by address");
    assert!(
        zoom["seen_by"][0]
            .as_str()
            .unwrap()
            .contains("published ranges")
    );
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[[allow.relays]]\nname = \"clinic TURN\"\nsni_suffix = \".clinic.example\"\n",
    )
    .unwrap();
    let r = report_json_with(&cap, &["--reveal", "--policy", policy.to_str().unwrap()]);
    let f = &findings(&r, "relay-third-party")[0];
    assert_eq!(
        (f["severity"].as_str(), f["values"]["allowed_by"].as_str()),
        (Some("info"), Some("clinic TURN"))
    );
}

/// coturn's RFC 6062 TCP allocations (`turnutils_uclient -T`): the control
/// connections, and the two data connections a ConnectionBind made, each
/// relaying the peer's 5 × 120 bytes each way (tshark's count).
#[test]
fn turn_tcp_allocations_and_their_data_connections() {
    let r = report("turn-tcp-relay.pcap");
    let flows = r["flows"].as_array().unwrap();
    let data: Vec<&serde_json::Value> = flows
        .iter()
        .filter(|f| f["turn"]["tcp_data_connection"] == true)
        .collect();
    assert_eq!(data.len(), 2, "two ConnectionBinds");
    for f in &data {
        assert_eq!(f["turn"]["relayed_tcp_bytes"], 1200);
        assert_eq!(f["turn"]["carried"], serde_json::json!(["tcp-data"]));
    }
    let control = flows
        .iter()
        .filter(|f| f["server"] == "127.0.0.1:3478" && f["turn"]["tcp_data_connection"].is_null())
        .count();
    assert_eq!(control, 3);
    let relay = findings(&r, "relay-third-party");
    assert_eq!(relay.len(), 1);
    assert_eq!(relay[0]["subject"], "tcp 127.0.0.1:3478");
}

/// A vendor reached after the capture's first 20,000 flows is still
/// recognised, by its published ranges and by the DNS answers that named
/// its address; each flow to it is its platform finding's evidence. (The
/// lines kept to attribute servers at the end were capped at 20,000 flows,
/// so on a busy network a vendor first reached after a few minutes was
/// silently missing; now they are looked up and let go as the capture
/// runs, and only 20,000 waiting at once are noted.)
#[test]
fn vendors_reached_after_twenty_thousand_flows_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let client = [10, 0, 0, 5];
    for port in 0..20_001u32 {
        let port = 1_024 + (port % 60_000) as u16;
        p.udp4((client, port), ([192, 0, 2, 9], 9_999), b"noise");
    }
    let signal = [203, 0, 113, 77];
    p.udp4((client, 53_000), ([192, 0, 2, 53], 53), b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04chat\x06signal\x03org\x00\x00\x01\x00\x01");
    p.udp4(
        ([192, 0, 2, 53], 53),
        (client, 53_000),
        &dns_a_reply(7, "chat.signal.org", signal),
    );
    p.udp4((client, 61_000), (signal, 3_478), b"signal media");
    p.udp4((client, 61_001), ([17, 1, 2, 3], 3_478), b"facetime media");
    let cap = p.save(dir.path(), "busy.pcap");
    let r = report_json_revealed(&cap);
    let vendors = r["summary"]["vendors"].as_array().unwrap();
    let seen_by = |name: &str| -> Vec<String> {
        let v = vendors
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {vendors:#?}"));
        v["seen_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        seen_by("FaceTime / iMessage").iter().any(|s| s.starts_with(
            "address 17.1.2.3:3478 in FaceTime / iMessage's published ranges, on its media port"
        )),
        "{:?}",
        seen_by("FaceTime / iMessage")
    );
    assert!(
        seen_by("Signal")
            .iter()
            .any(|s| s.starts_with("address 203.0.113.77 resolved from chat.signal.org")),
        "{:?}",
        seen_by("Signal")
    );
    let flow_to = |server: &str| {
        r["flows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["server"] == server)
            .unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    for (vendor, server) in [
        ("FaceTime / iMessage", "17.1.2.3:3478"),
        ("Signal", "203.0.113.77:3478"),
    ] {
        let contacted: Vec<&serde_json::Value> = findings(&r, "platform-contacted")
            .into_iter()
            .filter(|f| f["subject"] == vendor)
            .collect();
        assert_eq!(contacted.len(), 1, "{vendor}");
        let evidence = contacted[0]["evidence"].as_array().unwrap();
        assert!(
            evidence
                .iter()
                .any(|e| e["flow"].as_u64() == Some(flow_to(server))),
            "{vendor}: {evidence:#?}"
        );
    }
    // Under the cap of server addresses kept: nothing to note.
    assert!(r["capture"]["notes"].is_null(), "{}", r["capture"]["notes"]);

    // Past 20,000 server addresses waiting at once for the capture's DNS
    // answers (all ending together, at the end of the capture), DNS names
    // no later address, and the report says so; published ranges still
    // name theirs.
    let noise = |p: &mut Pcap, spacing_us: u64| {
        for i in 0..20_001u32 {
            let server = [192, 0, 100 + (i / 250) as u8, (i % 250) as u8 + 1];
            let at = p.ts_us + spacing_us;
            p.frame_at(at, &udp4_frame((client, 40_000), (server, 9_999), b"noise"));
        }
    };
    let mut p = Pcap::new(ETHERNET);
    noise(&mut p, 1_000);
    p.udp4((client, 61_001), ([17, 1, 2, 3], 3_478), b"facetime media");
    let cap = p.save(dir.path(), "servers.pcap");
    let r = report_json_revealed(&cap);
    let notes = r["capture"]["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n.as_str().unwrap().starts_with(
            "2 flows went to servers past the first 20000 server addresses waiting at once"
        )),
        "{notes:?}"
    );
    let vendor_names = |r: &serde_json::Value| -> Vec<String> {
        r["summary"]["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(vendor_names(&r), ["FaceTime / iMessage"]);

    // The same servers over seven minutes end and are looked up as the
    // capture runs (at each look at settled calls, with the answers so
    // far): a platform a DNS answer names after them is recognised, and
    // nothing is noted.
    let mut p = Pcap::new(ETHERNET);
    noise(&mut p, 20_000);
    p.udp4(
        ([192, 0, 2, 53], 53),
        (client, 53_000),
        &dns_a_reply(7, "chat.signal.org", signal),
    );
    p.udp4((client, 61_000), (signal, 3_478), b"signal media");
    let cap = p.save(dir.path(), "servers-over-minutes.pcap");
    let r = report_json_revealed(&cap);
    assert!(r["capture"]["notes"].is_null(), "{}", r["capture"]["notes"]);
    assert_eq!(vendor_names(&r), ["Signal"]);
}

/// Past 10,000 connections that may be messaging, the report says that
/// later sessions are missing rather than leaving them out silently.
#[test]
fn messaging_connections_past_the_cap_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    for i in 0..10_002u32 {
        let port = 1_024 + (i % 60_000) as u16;
        p.tcp4(
            ([10, 0, 0, 7], port),
            ([203, 0, 113, 40], 5_222),
            1,
            true,
            false,
            b"",
        );
    }
    let cap = p.save(dir.path(), "chat.pcap");
    let r = report_json_revealed(&cap);
    let notes = r["capture"]["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n.as_str().unwrap().starts_with(
            "2 connections that may be messaging (chat, push) came after the first 10000"
        )),
        "{notes:?}"
    );
}

/// A long capture's messaging connections join their sessions as the
/// capture runs (at looks at settled calls), so none is dropped however
/// many there are: 12,000 push connections from two phones to Apple's
/// APNs port over twelve minutes make two sessions, numbered by their
/// first connections, each running to its last connection. (They were
/// all held to the end, and past 10,000 the rest were dropped, each
/// session ending early.)
#[test]
fn messaging_connections_of_a_long_capture_all_join_their_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let phones = [[10, 0, 0, 21], [10, 0, 0, 22]];
    let apns = ([17, 1, 2, 3], 5_223);
    let mut last_us = [0u64; 2];
    for i in 0..12_000u32 {
        let phone = (i % 2) as usize;
        let port = 1_024 + (i / 2 % 60_000) as u16;
        // 60 ms apart: `tcp4` adds 20.
        p.ts_us += 40_000;
        p.tcp4((phones[phone], port), apns, 1, true, false, b"");
        last_us[phone] = p.ts_us;
    }
    // Time runs on (a packet a second) past the TCP timeout: the
    // connections end as it runs.
    for _ in 0..700 {
        p.ts_us += 980_000;
        p.udp4(([10, 0, 0, 21], 40_000), ([192, 0, 2, 9], 9_999), b"later");
    }
    let cap = p.save(dir.path(), "push.pcap");
    let r = report_json_revealed(&cap);
    assert!(r["capture"]["notes"].is_null(), "{}", r["capture"]["notes"]);
    let sessions = r["messaging"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    for (i, s) in sessions.iter().enumerate() {
        assert_eq!(s["id"], i as u64 + 1);
        assert_eq!(s["client"], format!("10.0.0.{}", 21 + i));
        assert_eq!(s["platform"]["name"], "FaceTime / iMessage");
        // The first 256 connections, in order.
        let flows: Vec<u64> = s["flows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_u64().unwrap())
            .collect();
        assert_eq!(flows.len(), 256);
        assert_eq!(flows[0], i as u64 + 1);
        assert!(flows.windows(2).all(|w| w[0] < w[1]), "{flows:?}");
        let last = teleprobe::time::Timestamp(last_us[i] as i64 * 1_000);
        assert_eq!(
            s["end"],
            serde_json::to_value(last).unwrap(),
            "session {} ends at its last connection",
            i + 1
        );
    }
    assert_eq!(
        finding_subjects(&r, "vendor-without-baa"),
        [
            "messaging 1: FaceTime / iMessage",
            "messaging 2: FaceTime / iMessage"
        ]
    );
}

/// Past 20,000 servers named by a platform's name, the report says that
/// later ones lack that signal of their platform.
#[test]
fn servers_named_past_the_cap_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let hello = client_hello("us04web.zoom.us");
    for i in 0..20_001u32 {
        let server = [
            198,
            18 + (i / 60_000) as u8,
            (i / 250 % 240) as u8,
            (i % 250) as u8 + 1,
        ];
        p.tcp4(
            ([10, 0, 0, 8], 40_000),
            (server, 443),
            1,
            false,
            true,
            &hello,
        );
    }
    let cap = p.save(dir.path(), "named.pcap");
    let r = report_json_revealed(&cap);
    let notes = r["capture"]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().starts_with(
                "1 platform names of servers came after the first 20000 servers named"
            )),
        "{notes:?}"
    );
}
