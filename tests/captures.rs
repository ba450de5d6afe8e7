//! The project's recorded captures (captures/, made by captures/record/*.sh
//! with real software on loopback), each with the flows, protocols and facts
//! it must produce. tshark read the same facts off these files (see
//! captures/README.md).

mod common;

use common::*;

fn protocols(flow: &serde_json::Value) -> Vec<&str> {
    strings(&flow["protocols"])
}

#[test]
fn tls_versions_from_openssl() {
    let r = report_json(&capture("tls-versions.pcapng"));
    let flows = r["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 5);
    let expected = [
        (4410, "TLS 1.0", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (4411, "TLS 1.1", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (4412, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        (4413, "TLS 1.3", "TLS_AES_256_GCM_SHA384"),
        (4414, "TLS 1.2", "TLS_RSA_WITH_AES_128_CBC_SHA"),
    ];
    for (f, (port, version, cipher)) in flows.iter().zip(expected) {
        assert_eq!(f["server"], format!("127.0.0.1:{port}"));
        assert_eq!(protocols(f), ["tls"]);
        assert_eq!(f["tls"]["version"], version, "port {port}");
        assert_eq!(f["tls"]["cipher"], cipher, "port {port}");
        assert_eq!(f["tls"]["sni"], "clinic.example");
        if version == "TLS 1.3" {
            assert!(
                f["tls"]["certificate"].is_null(),
                "certificates are encrypted in TLS 1.3"
            );
        } else {
            let cert = &f["tls"]["certificate"];
            assert_eq!(cert["subject"], "CN=clinic.example");
            assert!(cert["self_signed"].as_bool().unwrap());
        }
    }
    assert_eq!(flows[3]["tls"]["client_versions"][0], "TLS 1.3");
    assert_eq!(flows[0]["tls"]["alpn"][0], "h2");
}

#[test]
fn sip_call_with_cleartext_rtp_and_rtcp_sdes() {
    let r = report_json_revealed(&capture("sip-rtp-cleartext.pcap"));
    let sip = flow_with(&r, "sip");
    assert_eq!(sip.len(), 1);
    let s = &sip[0]["sip"];
    assert_eq!(protocols(sip[0]), ["sip", "sdp"]);
    for m in ["INVITE", "ACK", "BYE"] {
        assert_eq!(s["requests"][m], 1, "{m}");
    }
    assert_eq!(s["responses"]["200"], 2);
    let ladder: Vec<&str> = s["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        ladder,
        [
            "INVITE",
            "100 Trying",
            "180 Ringing",
            "200 OK",
            "ACK",
            "BYE",
            "200 OK"
        ]
    );
    assert_eq!(s["messages"][0]["cseq"], "1 INVITE");
    assert_eq!(s["messages"][0]["direction"], "client-to-server");
    assert_eq!(s["messages"][1]["direction"], "server-to-client");
    let from = s["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["header"] == "From")
        .unwrap();
    assert_eq!(from["display_name"], "Jane Patient");
    assert_eq!(from["uri"], "sip:+15551234567@clinic.example");
    assert_eq!(s["sdp"][0]["media"][0]["profile"], "RTP/AVP");
    assert_eq!(s["sdp"][0]["media"][0]["port"], 16000);
    assert!(!s["sdp"][0]["media"][0]["crypto"].as_bool().unwrap());

    let media = flow_with(&r, "rtp");
    assert_eq!(media.len(), 1);
    let streams = media[0]["rtp"]["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    for st in streams {
        assert_eq!(st["encrypted"], "no");
        assert_eq!(st["confidence"], "high");
        assert!(
            st["evidence"][0]
                .as_str()
                .unwrap()
                .contains("RTP/AVP without a=crypto")
        );
    }
    assert_eq!(
        streams[0]["packets"].as_u64().unwrap() + streams[1]["packets"].as_u64().unwrap(),
        601
    );
    let rtcp = flow_with(&r, "rtcp");
    assert_eq!(rtcp.len(), 1);
    let sdes = rtcp[0]["rtcp"]["sdes"].as_array().unwrap();
    assert!(
        sdes.iter()
            .any(|i| i["item"] == "NAME" && i["value"] == "Jane Patient")
    );
    assert!(
        sdes.iter()
            .any(|i| i["item"] == "EMAIL" && i["value"] == "dr.smith@clinic.example")
    );
}

#[test]
fn sip_call_with_sdes_srtp() {
    let r = report_json(&capture("sip-sdes-srtp.pcap"));
    let sip = flow_with(&r, "sip");
    let media = &sip[0]["sip"]["sdp"][0]["media"][0];
    assert_eq!(media["profile"], "RTP/SAVP");
    assert!(media["crypto"].as_bool().unwrap());
    assert_eq!(media["crypto_suites"][0], "AES_CM_128_HMAC_SHA1_80");
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("inline:"),
        "SRTP key material must never be kept"
    );
    let srtp = flow_with(&r, "srtp");
    assert_eq!(srtp.len(), 1);
    assert!(flow_with(&r, "rtp").is_empty());
    for st in srtp[0]["rtp"]["streams"].as_array().unwrap() {
        assert_eq!(st["encrypted"], "yes");
        assert_eq!(st["packets"], 150);
    }
    assert_eq!(flow_with(&r, "srtcp").len(), 1);
}

#[test]
fn dns_over_udp_and_tcp_from_dnsmasq() {
    let r = report_json_revealed(&capture("dns.pcap"));
    let flows = r["flows"].as_array().unwrap();
    assert!(
        flows
            .iter()
            .all(|f| protocols(f) == ["dns"] && f["server"].as_str().unwrap().ends_with(":53"))
    );
    assert!(flows.iter().filter(|f| f["transport"] == "tcp").count() >= 2);
    assert!(
        flows.iter().any(|f| f["server"] == "[::1]:53"),
        "DNS over IPv6"
    );
    let asking = |name: &str, kind: &str| {
        flows
            .iter()
            .find(|f| {
                f["dns"]["queries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|q| q["name"] == name && q["type"] == kind)
            })
            .unwrap_or_else(|| panic!("no {kind} query for {name}"))
    };
    let doxy = &asking("doxy.me", "A")["dns"]["answers"][0];
    assert_eq!(
        (doxy["name"].as_str(), doxy["data"].as_str()),
        (Some("doxy.me"), Some("10.1.2.3"))
    );
    assert_eq!(
        asking("zoom.us", "AAAA")["dns"]["answers"][0]["data"],
        "2407:30c0:182::aa72:3402"
    );
    assert_eq!(
        asking("video.clinic.example", "A")["dns"]["answers"][0]["type"],
        "CNAME"
    );
    assert_eq!(
        asking("nosuch.clinic.example", "A")["dns"]["response_codes"]["NXDOMAIN"],
        1
    );
    assert_eq!(
        asking("_sips._tcp.clinic.example", "SRV")["dns"]["answers"][0]["type"],
        "SRV"
    );
    // CNAME chains map every alias to the final address.
    let names = r["dns_names"].as_array().unwrap();
    let video = names
        .iter()
        .find(|n| n["name"] == "video.clinic.example")
        .unwrap();
    assert_eq!(video["addresses"][0], "10.20.30.40");
    let zoom = names.iter().find(|n| n["name"] == "zoom.us").unwrap();
    assert_eq!(zoom["addresses"].as_array().unwrap().len(), 2);
}

#[test]
fn quic_initial_decrypted_for_sni_and_alpn() {
    let r = report_json(&capture("quic.pcap"));
    let f = &r["flows"][0];
    assert_eq!(protocols(f), ["quic"]);
    let q = &f["quic"];
    assert_eq!(q["versions"][0], "QUICv1");
    assert_eq!(q["sni"], "clinic.example");
    assert_eq!(q["alpn"][0], "hq-interop");
    assert!(
        q["decrypted_initials"].as_u64().unwrap() >= 2,
        "client and server Initials"
    );
    assert_eq!(
        q["cipher"], "TLS_AES_256_GCM_SHA384",
        "tshark reads ciphersuite 0x1302"
    );
}

#[test]
fn turn_relaying_through_coturn() {
    let r = report_json(&capture("turn-relay.pcap"));
    let turn = flow_with(&r, "turn");
    assert_eq!(turn.len(), 4);
    for f in &turn {
        assert_eq!(f["server"], "127.0.0.1:3478");
        assert_eq!(f["stun"]["realm"], "clinic.example");
        assert_eq!(f["stun"]["software"][0], "Coturn-4.6.1 'Gorst'");
        assert_eq!(f["stun"]["error_codes"][0], "401 Unauthorized");
        assert!(
            f["stun"]["relayed_addresses"][0]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:")
        );
    }
    let channels = turn
        .iter()
        .find(|f| f["turn"]["channel_data_frames"] == 10)
        .expect("channel flow");
    assert_eq!(channels["turn"]["channels"].as_array().unwrap().len(), 2);
    let indications = turn
        .iter()
        .find(|f| f["turn"]["send_indications"] == 5)
        .expect("indication flow");
    assert_eq!(indications["turn"]["data_indications"], 5);

    let tcp = report_json(&capture("turn-tcp.pcap"));
    let tcp_turn = flow_with(&tcp, "turn");
    assert_eq!(tcp_turn.len(), 2);
    assert!(tcp_turn.iter().all(|f| f["transport"] == "tcp"));
    assert!(
        tcp_turn
            .iter()
            .any(|f| f["turn"]["channel_data_frames"] == 10),
        "RFC 6062 framing over TCP"
    );
}

#[test]
fn webrtc_call_from_aiortc() {
    let r = report_json(&capture("webrtc-aiortc.pcap"));
    let f = &r["flows"][0];
    assert_eq!(protocols(f), ["stun", "srtp", "srtcp", "dtls"]);
    let s = &f["stun"];
    assert_eq!(
        s["usernames"].as_array().unwrap().len(),
        2,
        "both ICE ufrag orders"
    );
    assert!(s["use_candidate"].as_bool().unwrap() && s["ice_controlling"].as_bool().unwrap());
    assert_eq!(
        s["priorities"][0], 1862270975u32,
        "PRIORITY as tshark reads it"
    );
    assert_eq!(f["tls"]["version"], "DTLS 1.2");
    assert_eq!(f["tls"]["srtp_profile"], "SRTP_AEAD_AES_256_GCM");
    let stream = &f["rtp"]["streams"][0];
    assert_eq!(
        (stream["encrypted"].as_str(), stream["confidence"].as_str()),
        (Some("yes"), Some("high"))
    );
    assert!(
        stream["evidence"][0]
            .as_str()
            .unwrap()
            .starts_with("DTLS-SRTP handshake")
    );
}

#[test]
fn webrtc_call_relayed_through_coturn() {
    let r = report_json(&capture("webrtc-aiortc-turn.pcap"));
    let turn = flow_with(&r, "turn");
    assert_eq!(turn.len(), 2);
    for f in turn {
        let carried: Vec<&str> = f["turn"]["carried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(carried, ["stun", "dtls", "rtp", "rtcp"]);
        assert_eq!(
            f["tls"]["version"], "DTLS 1.2",
            "the DTLS handshake inside ChannelData is dissected"
        );
        assert!(f["rtp"]["streams"][0]["relayed"].as_bool().unwrap());
        assert_eq!(f["rtp"]["streams"][0]["encrypted"], "yes");
    }
}

#[test]
fn sip_over_tcp_with_registration() {
    let r = report_json(&capture("sip-tcp.pcap"));
    let f = &r["flows"][0];
    assert_eq!(f["transport"], "tcp");
    assert_eq!(protocols(f), ["sip", "sdp"]);
    assert_eq!(f["sip"]["requests"]["REGISTER"], 2);
    assert_eq!(f["sip"]["responses"]["401"], 1);
    assert!(f["sip"]["authorization"].as_bool().unwrap());
    assert_eq!(f["sip"]["sdp"].as_array().unwrap().len(), 2);
}

/// Identifiers planted in the recorded calls: none may appear in any output
/// unless --reveal is given.
const PLANTED: [&str; 7] = [
    "Jane Patient",
    "Dr Alex Smith",
    "+15551234567",
    "+15557654321",
    "jane.patient@clinic.example",
    "dr.smith@clinic.example",
    "jane@127.0.0.1",
];

#[test]
fn planted_identifiers_are_redacted_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "sip-rtp-cleartext.pcap",
        "sip-sdes-srtp.pcap",
        "sip-tcp.pcap",
    ] {
        let path = capture(name);
        let file = dir.path().join("r.json");
        let summary = run(&["analyze", "--quiet", path.to_str().unwrap()]);
        let json = run(&["analyze", "--json", "--quiet", path.to_str().unwrap()]);
        let written = run(&[
            "analyze",
            "--quiet",
            "-o",
            file.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        assert!(summary.status.success() && json.status.success() && written.status.success());
        let outputs = [
            String::from_utf8_lossy(&summary.stdout).to_string(),
            String::from_utf8_lossy(&json.stdout).to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ];
        for text in &outputs {
            for planted in PLANTED {
                assert!(!text.contains(planted), "{name}: {planted:?} leaked");
            }
            assert!(
                !text.contains("inline:"),
                "{name}: SRTP key material leaked"
            );
        }
        let report: serde_json::Value = serde_json::from_str(&outputs[1]).unwrap();
        assert_eq!(report["generator"]["redacted"], true);
        // Pseudonyms are stable within the report: the caller's From URI
        // appears under the same pseudonym in every message.
        let ids = &flow_with(&report, "sip")[0]["sip"]["identities"];
        let from = ids
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["header"] == "From")
            .unwrap();
        assert!(from["uri"].as_str().unwrap().starts_with("sip:user-"));
        assert!(from["display_name"].as_str().unwrap().starts_with("name-"));
    }
    let revealed = run(&[
        "analyze",
        "--json",
        "--quiet",
        "--reveal",
        capture("sip-rtp-cleartext.pcap").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&revealed.stdout);
    assert!(text.contains("Jane Patient") && text.contains("jane.patient@clinic.example"));
    assert!(text.contains("\"redacted\": false"));
}

#[test]
fn outside_addresses_are_pseudonymised_unless_revealed() {
    // zoom.us answers are public addresses; doxy.me's 10.1.2.3 is inside the
    // default clinic networks and loopback is never an identifier.
    let path = capture("dns.pcap");
    let out = run(&["analyze", "--json", "--quiet", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("170.114.52.2") && !text.contains("2407:30c0:182::aa72:3402"));
    assert!(text.contains("10.1.2.3") && text.contains("127.0.0.1:53"));
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let zoom = report["dns_names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "zoom.us")
        .unwrap();
    let v4: std::net::Ipv4Addr = zoom["addresses"][0].as_str().unwrap().parse().unwrap();
    assert!(
        v4.octets()[0] >= 240,
        "pseudonyms stay addresses, in 240.0.0.0/4: {v4}"
    );
    let summary = run(&["analyze", "--quiet", path.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&summary.stdout).contains("170.114.52.2"));
    // A policy that counts the whole internet as the clinic shows them.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "clinic_networks = [\"0.0.0.0/0\", \"::/0\"]\n").unwrap();
    let out = run(&[
        "analyze",
        "--json",
        "--quiet",
        "--policy",
        policy.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("170.114.52.2"));
}
