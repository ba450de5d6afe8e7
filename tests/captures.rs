//! The project's recorded captures (captures/, made by captures/record/*.sh
//! with real software on loopback), each with the flows, protocols and facts
//! it must produce. tshark read the same facts off these files (see
//! captures/README.md).

mod common;

use common::*;
use std::path::PathBuf;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn protocols(flow: &serde_json::Value) -> Vec<&str> {
    flow["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
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
    let r = report_json(&capture("sip-rtp-cleartext.pcap"));
    let sip = flow_with(&r, "sip");
    assert_eq!(sip.len(), 1);
    let s = &sip[0]["sip"];
    assert_eq!(protocols(sip[0]), ["sip", "sdp"]);
    for m in ["INVITE", "ACK", "BYE"] {
        assert_eq!(s["requests"][m], 1, "{m}");
    }
    assert_eq!(s["responses"]["200"], 2);
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
