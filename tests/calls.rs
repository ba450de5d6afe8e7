//! Calls, paths and verdicts: each verdict and each path on a capture that
//! must produce it, with the legs and reasoning a reader can check.

mod common;

use common::*;
use std::path::PathBuf;

fn only_call(report: &serde_json::Value) -> &serde_json::Value {
    let calls = report["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    &calls[0]
}

fn legs(call: &serde_json::Value) -> Vec<(u64, String)> {
    call["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["flow"].as_u64().unwrap(),
                l["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn steps(call: &serde_json::Value) -> Vec<String> {
    call["reasoning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cleartext_sip_call_is_exposed() {
    let r = report_json(&capture("sip-rtp-cleartext.pcap"));
    let c = only_call(&r);
    assert_eq!(
        (c["verdict"].as_str(), c["path"].as_str()),
        (Some("exposed"), Some("direct"))
    );
    assert_eq!(
        legs(c),
        [
            (1, "signaling".into()),
            (2, "media".into()),
            (3, "media".into())
        ],
        "SIP, RTP and RTCP (port + 1)"
    );
    assert_eq!(c["kinds"][0], "sip");
    assert_eq!(c["media"].as_array().unwrap().len(), 2);
    assert!(
        c["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["encrypted"] == "no")
    );
    let last = steps(c).pop().unwrap();
    assert!(
        last.contains("media-cleartext") && last.contains("rtcp-sdes-exposed"),
        "{last}"
    );
    assert!(c["cannot_show"].as_array().unwrap().len() >= 3);
    assert!(
        c["identities"][0].as_str().unwrap().starts_with("\"name-"),
        "identities are redacted"
    );
    assert_eq!(r["summary"]["verdicts"]["1"], "exposed");
}

#[test]
fn sdes_keys_in_clear_signaling_expose_encrypted_media() {
    let r = report_json(&capture("sip-sdes-srtp.pcap"));
    let c = only_call(&r);
    assert_eq!(c["verdict"], "exposed");
    assert!(
        c["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["encrypted"] == "yes")
    );
    assert!(
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "srtp-keys-exposed")
    );
}

#[test]
fn direct_webrtc_with_dtls_srtp_is_conduit_consistent() {
    let r = report_json(&capture("webrtc-aiortc.pcap"));
    let c = only_call(&r);
    assert_eq!(
        (c["verdict"].as_str(), c["path"].as_str()),
        (Some("conduit-consistent"), Some("direct"))
    );
    assert_eq!(c["participants"].as_array().unwrap().len(), 2);
    assert!(
        steps(c)
            .iter()
            .any(|s| s.starts_with("Key exchange: DTLS-SRTP (DTLS 1.2, SRTP_AEAD_AES_256_GCM)"))
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "media-terminated-by-server"),
        "full ICE on both sides"
    );
}

#[test]
fn relayed_webrtc_is_one_call_through_the_relay() {
    let r = report_json(&capture("webrtc-aiortc-turn.pcap"));
    let c = only_call(&r);
    assert_eq!(
        (c["verdict"].as_str(), c["path"].as_str()),
        (Some("conduit-consistent"), Some("relayed"))
    );
    assert_eq!(
        legs(c),
        [
            (1, "relay".into()),
            (2, "relay".into()),
            (3, "relayed-media".into())
        ]
    );
    assert_eq!(c["relay"]["address"], "127.0.0.1:3478");
    assert_eq!(c["relay"]["realm"], "clinic.example");
    assert_eq!(c["relay"]["software"][0], "Coturn-4.6.1 'Gorst'");
    assert_eq!(
        c["participants"].as_array().unwrap().len(),
        2,
        "the two TURN clients"
    );
    assert!(
        steps(c)
            .last()
            .unwrap()
            .contains("the relay only forwards ciphertext")
    );
}

#[test]
fn ice_lite_media_server_can_access_content() {
    // Google Meet: the server answers ICE checks but never sends its own,
    // and terminates DTLS-SRTP.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/ndpi/stun_dtls_rtp.pcapng");
    if !path.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the shared corpus must be present in CI"
        );
        return;
    }
    let r = report_json_revealed(&path);
    let calls = r["calls"].as_array().unwrap();
    let meet = calls
        .iter()
        .find(|c| c["path"] == "server-terminated")
        .expect("server-terminated call");
    assert_eq!(meet["verdict"], "intermediary-can-access");
    assert_eq!(meet["server"]["address"], "142.250.82.76:19305");
    let f = findings(&r, "media-terminated-by-server");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["evidence"][0]["flow"], 1);
    let relayed = calls
        .iter()
        .find(|c| c["path"] == "relayed")
        .expect("the TURN-over-TCP call");
    assert_eq!(relayed["relay"]["realm"], "turn.l.google.com");
    assert_eq!(relayed["relay"]["vendor"], "Google Meet");
}

#[test]
fn media_without_key_exchange_is_indeterminate() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    // Mid-call capture: random-looking RTP on a dynamic payload type, no
    // signaling, no DTLS: encrypted by the statistics, keys unknown.
    for seq in 0..60u16 {
        p.udp4(
            ([10, 0, 0, 7], 40000),
            ([203, 0, 113, 9], 40002),
            &rtp(111, seq, 0x77, &noise(seq as u32 + 1, 160)),
        );
    }
    let r = report_json(&p.save(dir.path(), "mid.pcap"));
    let c = only_call(&r);
    assert_eq!(
        (c["verdict"].as_str(), c["path"].as_str()),
        (Some("indeterminate"), Some("direct"))
    );
    assert_eq!(c["media"][0]["encrypted"], "yes");
    assert!(
        steps(c)
            .last()
            .unwrap()
            .contains("key exchange is not visible")
    );
    assert!(
        c["cannot_show"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("signaling"))
    );
}

#[test]
fn relay_without_media_is_not_a_call() {
    let r = report_json(&capture("turn-relay.pcap"));
    assert!(
        r["calls"].as_array().unwrap().is_empty(),
        "turnutils test payloads are not media"
    );
}

#[test]
fn encrypted_web_signaling_is_attributed_to_the_relays_vendor() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let (client, relay, google) = (
        ([10, 0, 0, 8], 50000),
        ([74, 125, 247, 128], 3478),
        [142, 250, 82, 99],
    );
    // HTTPS to meet.google.com (the app's signaling), then a TURN allocation
    // at REALM turn.l.google.com carrying a DTLS handshake.
    p.tcp4((client.0, 50001), (google, 443), 1, true, false, &[]);
    p.tcp4((google, 443), (client.0, 50001), 7, true, true, &[]);
    p.tcp4(
        (client.0, 50001),
        (google, 443),
        2,
        false,
        true,
        &client_hello("meet.google.com"),
    );
    p.udp4(
        relay,
        client,
        &stun(
            0x0103,
            [2; 12],
            &[
                (0x0016, xor_v4([74, 125, 247, 128], 61000)),
                (0x0014, b"turn.l.google.com".to_vec()),
            ],
        ),
    );
    p.udp4(client, relay, &channel_data_with_dtls_client_hello());
    let r = report_json_revealed(&p.save(dir.path(), "meet.pcap"));
    let c = only_call(&r);
    assert_eq!(c["path"], "relayed");
    assert_eq!(c["relay"]["vendor"], "Google Meet");
    assert_eq!(
        legs(c),
        [(2, "relay".into()), (1, "signaling-encrypted".into())]
    );
    let first = &steps(c)[0];
    assert!(
        first.starts_with(
            "Signaling: encrypted (tls) to Google Meet, attributed by SNI meet.google.com"
        ),
        "{first}"
    );
    assert!(
        !steps(c)
            .iter()
            .any(|s| s.starts_with("Signaling: not visible"))
    );
}

#[test]
fn sip_over_tls_hides_signaling_and_leaves_the_keys_unknown() {
    // Python ssl (OpenSSL 3) carrying a SIP dialog on 5061 with SDES-SRTP media.
    let r = report_json_revealed(&capture("sip-tls.pcap"));
    let tls = &r["flows"][0];
    assert_eq!(
        (tls["server"].as_str(), tls["protocols"][0].as_str()),
        (Some("127.0.0.1:5061"), Some("tls"))
    );
    assert_eq!(tls["tls"]["version"], "TLS 1.3");
    assert_eq!(tls["tls"]["cipher"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(tls["tls"]["sni"], "clinic.example");
    assert!(tls["notes"][0].as_str().unwrap().contains("5061"));
    for id in [
        "signaling-cleartext",
        "sip-identity-exposed",
        "srtp-keys-exposed",
        "media-cleartext",
        "tls-deprecated",
    ] {
        assert!(
            findings(&r, id).is_empty(),
            "{id} must not fire on SIP over TLS"
        );
    }
    let c = only_call(&r);
    assert_eq!(
        (c["verdict"].as_str(), c["kinds"][0].as_str()),
        (Some("indeterminate"), Some("media"))
    );
    assert_eq!(
        legs(c),
        [(2, "media".into()), (3, "media".into())],
        "RTP and SRTCP on the next ports"
    );
    assert!(
        c["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["encrypted"] == "yes")
    );
    assert!(
        c["cannot_show"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("signaling"))
    );
}

#[test]
fn bandwidth_timelines_account_for_every_byte() {
    let r = report_json(&capture("webrtc-aiortc-turn.pcap"));
    let flows = r["flows"].as_array().unwrap();
    let sum = |t: &serde_json::Value| -> u64 {
        t["bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap())
            .sum()
    };
    let mut with_timeline = 0;
    for f in flows {
        if f["timeline"].is_null() {
            continue;
        }
        with_timeline += 1;
        let bytes = f["client_to_server"]["bytes"].as_u64().unwrap()
            + f["server_to_client"]["bytes"].as_u64().unwrap();
        assert_eq!(sum(&f["timeline"]), bytes, "flow {}", f["id"]);
        assert_eq!(
            f["timeline"]["bin_seconds"], 1,
            "a 4 s call needs no wider bins"
        );
    }
    assert!(with_timeline >= 3);
    let c = only_call(&r);
    let legs: Vec<u64> = c["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["flow"].as_u64().unwrap())
        .collect();
    let leg_bytes: u64 = flows
        .iter()
        .filter(|f| legs.contains(&f["id"].as_u64().unwrap()) && !f["timeline"].is_null())
        .map(|f| sum(&f["timeline"]))
        .sum();
    assert_eq!(sum(&c["timeline"]), leg_bytes);
    assert_eq!(c["timeline"]["start"], c["start"]);
    assert_eq!(c["timeline"]["bytes"].as_array().unwrap().len(), 4);
}
