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
        call_legs(c),
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
        call_legs(c),
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

/// DTLS is a call's key exchange only when it negotiates SRTP keys or
/// runs beside ICE on its flow; alone, on 443 with no use_srtp, it is a
/// VPN's tunnel (Cisco AnyConnect's, here) and no call, even after a bare
/// NAT-discovery Binding.
#[test]
fn dtls_without_srtp_or_ice_is_a_tunnel_not_a_call() {
    use teleprobe::proto::tls::build::{ClientHelloRepr, dtls_handshake, dtls_record};
    let hello = |srtp_profiles: &[u16]| {
        let body = ClientHelloRepr {
            version: 0xFEFD,
            ciphers: &[0xC02B],
            srtp_profiles,
            dtls: true,
            ..Default::default()
        }
        .emit();
        dtls_record(22, 0xFEFD, 0, &dtls_handshake(1, 0, &body))
    };
    // Encrypted records after the handshake, both ways.
    let application_data = dtls_record(23, 0xFEFD, 1, &noise(9, 120));
    // A session, after an ICE check (USERNAME), a bare NAT-discovery
    // Binding, or no STUN at all.
    let session =
        |p: &mut Pcap, client: ([u8; 4], u16), server, hello: &[u8], stun_first: &[u8]| {
            if !stun_first.is_empty() {
                p.udp4(client, server, stun_first);
            }
            p.udp4(client, server, hello);
            for _ in 0..5 {
                p.udp4(client, server, &application_data);
                p.udp4(server, client, &application_data);
            }
        };
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let gateway = ([198, 51, 100, 4], 443);
    let check = stun(0x0001, [7; 12], &[(0x0006, b"peer:mine".to_vec())]);
    let discovery = stun(0x0001, [8; 12], &[]);
    session(&mut p, ([10, 0, 0, 5], 50001), gateway, &hello(&[]), &[]);
    let peer = ([203, 0, 113, 7], 40000);
    session(&mut p, ([10, 0, 0, 5], 50002), peer, &hello(&[1]), &[]);
    session(&mut p, ([10, 0, 0, 5], 50003), peer, &hello(&[]), &check);
    session(
        &mut p,
        ([10, 0, 0, 5], 50004),
        gateway,
        &hello(&[]),
        &discovery,
    );
    let r = report_json_revealed(&p.save(dir.path(), "dtls.pcap"));
    let flows = r["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 4);
    assert!(
        flows
            .iter()
            .all(|f| strings(&f["protocols"]).contains(&"dtls"))
    );
    let calls: Vec<(Vec<u64>, &str)> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let legs = c["legs"].as_array().unwrap();
            let flows = legs.iter().map(|l| l["flow"].as_u64().unwrap()).collect();
            (flows, c["verdict"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        calls,
        [(vec![2], "indeterminate"), (vec![3], "indeterminate")],
        "use_srtp offered (flow 2) and DTLS beside an ICE check (flow 3) key calls; the tunnel to 443 (flow 1) does not, nor after a bare Binding (flow 4)"
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
        call_legs(c),
        [(2, "relay".into()), (1, "signaling-encrypted".into())]
    );
    let first = &steps(c)[0];
    assert!(
        first.starts_with(
            "Platform: Google Meet (high confidence: TURN REALM \"turn.l.google.com\" in flow 2); BAA: yes"
        ),
        "{first}"
    );
    assert_eq!(c["platform"]["name"], "Google Meet");
    assert_eq!(c["platform"]["confidence"], "high");
    let second = &steps(c)[1];
    assert!(
        second.starts_with(
            "Signaling: encrypted (tls) to Google Meet, attributed by SNI meet.google.com"
        ),
        "{second}"
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
        call_legs(c),
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

/// One line per call in `captures/<name>.calls.tsv` (written from tshark by
/// `record/sip_calls.py`): Call-ID, the endpoints its SDP announced, and
/// the RTP 5-tuples (a-b, either way) that went to them.
fn tshark_calls(name: &str) -> Vec<(String, Vec<String>)> {
    let tsv = capture(name).with_extension("calls.tsv");
    std::fs::read_to_string(&tsv)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let mut tuples: Vec<String> = f[2]
                .split(',')
                .map(|t| {
                    let (a, b) = t.split_once('-').unwrap();
                    if a <= b {
                        format!("{a}-{b}")
                    } else {
                        format!("{b}-{a}")
                    }
                })
                .collect();
            tuples.sort();
            tuples.dedup();
            (f[0].to_string(), tuples)
        })
        .collect()
}

/// Every SIP call in a real capture is one call with exactly the media
/// tshark ties to its Call-ID, its own dialog ended by BYE, and its verdict.
fn assert_calls_match_tshark(name: &str) -> serde_json::Value {
    let r = report_json(&capture(name));
    let expected = tshark_calls(name);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), expected.len(), "{name}: one call per Call-ID");
    for (call, (call_id, tuples)) in calls.iter().zip(&expected) {
        assert_eq!(call["sip_call_ids"], serde_json::json!([call_id]), "{name}");
        let mut media: Vec<String> = call["legs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["role"] == "media")
            .map(|l| {
                let (a, b) = (l["client"].as_str().unwrap(), l["server"].as_str().unwrap());
                if a <= b {
                    format!("{a}-{b}")
                } else {
                    format!("{b}-{a}")
                }
            })
            .collect();
        media.sort();
        assert_eq!(
            &media, tuples,
            "{name} {call_id}: its own media, no other call's"
        );
        let d = &call["dialogs"][0];
        assert_eq!(
            (d["state"].as_str(), d["final_status"].as_u64()),
            (Some("terminated"), Some(200)),
            "{name} {call_id}"
        );
        assert_eq!(call["verdict"], "exposed", "cleartext RTP");
        let findings = call_findings(call);
        assert!(
            findings.contains(&"media-cleartext") && findings.contains(&"signaling-cleartext"),
            "{findings:?}"
        );
    }
    r
}

#[test]
fn a_sipp_trunk_of_24_concurrent_calls_on_one_5_tuple_is_24_calls() {
    let r = assert_calls_match_tshark("sip-trunk.pcap");
    // Each call names its own patient, not the other 23.
    let calls = r["calls"].as_array().unwrap();
    for c in calls {
        assert_eq!(
            c["identities"].as_array().unwrap().len(),
            2,
            "{:?}",
            c["identities"]
        );
        assert_eq!(c["media"].as_array().unwrap().len(), 2);
    }
    let first: Vec<&serde_json::Value> = calls.iter().map(|c| &c["identities"][0]).collect();
    let mut distinct = first.clone();
    distinct.sort_by_key(|v| v.to_string());
    distinct.dedup();
    assert_eq!(distinct.len(), 24, "24 different callers");
}

#[test]
fn two_sequential_calls_and_four_calls_over_one_tcp_connection() {
    assert_calls_match_tshark("sip-two-calls.pcap");
    let r = assert_calls_match_tshark("sip-tcp-calls.pcap");
    let legs = r["calls"][0]["legs"].as_array().unwrap();
    assert!(
        legs.iter()
            .any(|l| l["role"] == "signaling" && l["transport"] == "tcp")
    );
}

#[test]
fn a_re_invite_moves_the_media_of_the_same_call() {
    let r = assert_calls_match_tshark("sip-reinvite.pcap");
    let d = &r["calls"][0]["dialogs"][0];
    let sdp = d["sdp"].as_array().unwrap();
    // The re-answer announces what the answer did: counted, not kept.
    assert_eq!(sdp.len(), 3, "offer, answer, re-offer");
    assert_eq!(d["sdp_repeated"], 1, "the re-answer");
    assert_eq!(sdp[2]["media"][0]["port"], 16010);
    assert_eq!(sdp[2]["message"], "INVITE");
}

#[test]
fn aiortc_signaling_over_http_and_websocket_is_the_calls_signaling_leg() {
    for (name, transport, legs) in [
        ("webrtc-http-signaling.pcap", "HTTP", 1),
        ("webrtc-websocket.pcap", "WebSocket", 2),
    ] {
        let r = report_json(&capture(name));
        let c = only_call(&r);
        let signaling = legs_of(c, "signaling");
        assert_eq!(
            signaling, legs,
            "{name}: the offer's and the answer's connections"
        );
        assert_eq!(legs_of(c, "media"), 1, "{name}");
        assert_eq!(
            c["verdict"], "conduit-consistent",
            "{name}: DTLS-SRTP end to end"
        );
        let steps = steps(c);
        assert!(
            steps.iter().any(|s| s.starts_with(&format!(
                "Signaling: WebRTC SDP offer in the clear over {transport}"
            ))),
            "{name}: {steps:#?}"
        );
        let cannot = c["cannot_show"].to_string();
        assert!(
            !cannot.contains("signaling, which was not visible"),
            "{name}: {cannot}"
        );
        let cleartext = findings(&r, "signaling-cleartext");
        assert!(
            cleartext
                .iter()
                .all(|f| f["values"]["transport"] == transport),
            "{name}"
        );
        let ice = findings(&r, "ice-address-exposed");
        assert!(
            ice[0]["values"]["candidates"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1:"),
            "{name}: the host candidates the SDP gave away"
        );
    }
}

fn legs_of(call: &serde_json::Value, role: &str) -> usize {
    call["legs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == role)
        .count()
}

/// JSON lines: a call that ended is written while the capture goes on,
/// although the SIP flow it shares with the next call is still running.
#[test]
fn each_call_of_a_trunk_streams_when_it_ends() {
    let out = run_ok(&[
        "analyze",
        "--quiet",
        "--format",
        "jsonl",
        "--udp-timeout",
        "1",
        capture("sip-two-calls.pcap").to_str().unwrap(),
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let position = |pred: &dyn Fn(&serde_json::Value) -> bool| lines.iter().position(pred).unwrap();
    let first_call =
        position(&|v| v["type"] == "call" && v["sip_call_ids"][0] == "1-15599@127.0.0.1");
    let second_call =
        position(&|v| v["type"] == "call" && v["sip_call_ids"][0] == "2-15599@127.0.0.1");
    // Written at the end, all calls would come before all findings; the
    // first call and its media's findings were written before the second.
    let first_media =
        position(&|v| v["type"] == "finding" && v["subject"].as_str().unwrap().contains("22000"));
    assert!(
        first_call < first_media && first_media < second_call,
        "{lines:#?}"
    );
    assert_eq!(lines.iter().filter(|v| v["type"] == "call").count(), 2);
}

/// ICE sessions whose connectivity checks carry the same usernames, once
/// within seconds (two candidate pairs of one session) and once ten minutes
/// later (another session reusing them, as a replayed or buggy client
/// does): the first two are one call, the later one a call of its own.
#[test]
fn an_ice_username_reused_later_is_another_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let session = |p: &mut Pcap, local: ([u8; 4], u16), remote: ([u8; 4], u16)| {
        for (i, (src, dst, user)) in [(local, remote, "bbbb:aaaa"), (remote, local, "aaaa:bbbb")]
            .into_iter()
            .enumerate()
        {
            p.udp4(
                src,
                dst,
                &stun(0x0001, [i as u8 + 1; 12], &[(0x0006, user.into())]),
            );
        }
        for seq in 0..20 {
            p.udp4(local, remote, &rtp(0, seq, 7, &[0x55; 160]));
        }
    };
    // Two paths of one session, a second apart (different sockets: only
    // the usernames tie them).
    session(
        &mut p,
        ([192, 168, 1, 20], 50000),
        ([203, 0, 113, 9], 50002),
    );
    p.ts_us += 1_000_000;
    session(
        &mut p,
        ([192, 168, 1, 21], 50100),
        ([203, 0, 113, 9], 50102),
    );
    // The same usernames ten minutes later.
    p.ts_us += 600_000_000;
    session(
        &mut p,
        ([192, 168, 1, 22], 51000),
        ([198, 51, 100, 4], 51002),
    );
    let r = report_json_revealed(&p.save(dir.path(), "reuse.pcap"));
    let calls = r["calls"].as_array().unwrap();
    let legs: Vec<Vec<u64>> = calls
        .iter()
        .map(|c| call_legs(c).into_iter().map(|(flow, _)| flow).collect())
        .collect();
    assert_eq!(legs, [vec![1, 2], vec![3]], "{calls:#?}");
}

/// A SIP message of patient `i`'s call `call_id` to the doctor, sent from
/// `phone` (its Via), `to_tag` and `body` as given.
fn patient_sip(
    first: &str,
    i: u32,
    phone: [u8; 4],
    call_id: &str,
    cseq: &str,
    to_tag: &str,
    body: &str,
) -> String {
    format!(
        "{first}\r\nVia: SIP/2.0/UDP {}:5060;branch=z9hG4bK{i}{}\r\nFrom: \"Patient {i}\" <sip:patient{i}@clinic.example>;tag=a{i}\r\nTo: <sip:doctor@clinic.example>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        std::net::Ipv4Addr::from(phone),
        cseq.len(),
        body.len()
    )
}

/// An audio offer or answer of session `session`: PCMU at `ip`:`port`
/// over `profile`, then `attributes`.
fn audio_sdp(session: u32, ip: [u8; 4], port: u16, profile: &str, attributes: &str) -> String {
    let ip = std::net::Ipv4Addr::from(ip);
    format!(
        "v=0\r\no=- {session} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} {profile} 0\r\n{attributes}"
    )
}

/// `n` SIP calls in the clear, one a second, each from a phone of its own
/// (its own signaling flow) to one PBX: an INVITE naming the caller, a
/// 200 OK, RTP both ways, BYE. Every one of them exposes the same things.
fn clinic_of_cleartext_phones(n: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Pcap::new(ETHERNET);
    let pbx = [198, 51, 100, 10];
    for i in 0..n {
        let phone = [10, 1, (i / 200) as u8, (i % 200 + 1) as u8];
        let (phone_rtp, pbx_rtp) = (40_000, 20_000 + (i % 5_000) as u16 * 2);
        let start = 1_700_000_000_000_000 + u64::from(i) * 1_000_000;
        pcap.ts_us = start;
        let sdp =
            |ip: [u8; 4], port: u16| audio_sdp(i, ip, port, "RTP/AVP", "a=rtpmap:0 PCMU/8000\r\n");
        let call_id = format!("phone-call-{i}");
        let headers = |first: &str, cseq: &str, to_tag: &str, body: &str| {
            patient_sip(first, i, phone, &call_id, cseq, to_tag, body)
        };
        let invite = headers(
            "INVITE sip:doctor@clinic.example SIP/2.0",
            "1 INVITE",
            "",
            &sdp(phone, phone_rtp),
        );
        pcap.udp4((phone, 5060), (pbx, 5060), invite.as_bytes());
        let ok = headers("SIP/2.0 200 OK", "1 INVITE", ";tag=b", &sdp(pbx, pbx_rtp));
        pcap.udp4((pbx, 5060), (phone, 5060), ok.as_bytes());
        let ack = headers(
            "ACK sip:doctor@clinic.example SIP/2.0",
            "1 ACK",
            ";tag=b",
            "",
        );
        pcap.udp4((phone, 5060), (pbx, 5060), ack.as_bytes());
        for seq in 0..3u16 {
            let ssrc = 0x1000_0000 + i;
            pcap.udp4(
                (phone, phone_rtp),
                (pbx, pbx_rtp),
                &rtp(0, seq, ssrc, &[0x55; 160]),
            );
            pcap.udp4(
                (pbx, pbx_rtp),
                (phone, phone_rtp),
                &rtp(0, seq, !ssrc, &[0x55; 160]),
            );
        }
        let bye = headers(
            "BYE sip:doctor@clinic.example SIP/2.0",
            "2 BYE",
            ";tag=b",
            "",
        );
        pcap.udp4((phone, 5060), (pbx, 5060), bye.as_bytes());
        let done = headers("SIP/2.0 200 OK", "2 BYE", ";tag=b", "");
        pcap.udp4((pbx, 5060), (phone, 5060), done.as_bytes());
    }
    let path = pcap.save(dir.path(), "phones.pcap");
    (dir, path)
}

/// A call's verdict and findings are its own flows': they must not depend
/// on how many other flows raised the same finding before it (a finding
/// lists at most 32 pieces of evidence) nor on how many findings the
/// report already lists (at most 5,000). Past either, the calls of a busy
/// PBX were judged without their signaling's findings, and past the second
/// without their media's: "indeterminate" for a call in the clear.
#[test]
fn every_call_of_a_busy_pbx_is_judged_on_its_own_flows() {
    let (_dir, path) = clinic_of_cleartext_phones(2_600);
    let r = report_json(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2_600);
    for c in calls {
        let findings = call_findings(c);
        assert_eq!(c["verdict"], "exposed", "call {}: {findings:?}", c["id"]);
        for id in [
            "signaling-cleartext",
            "sip-identity-exposed",
            "media-cleartext",
        ] {
            assert!(
                findings.contains(&id),
                "call {} lacks {id}: {findings:?}",
                c["id"]
            );
        }
        // The verdict's evidence is this call's own packets.
        let last = c["reasoning"].as_array().unwrap().last().unwrap();
        let legs: Vec<u64> = call_legs(c).iter().map(|l| l.0).collect();
        for e in last["evidence"].as_array().unwrap() {
            assert!(
                legs.contains(&e["flow"].as_u64().unwrap()),
                "call {}: {last}",
                c["id"]
            );
        }
    }
    // The report's list stays capped, and says how many it left out.
    assert_eq!(r["findings"].as_array().unwrap().len(), 5_000);
    assert!(
        r["summary"]["findings_not_listed"]["media-cleartext"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// One phone, one signaling flow to its PBX, twelve calls: the last four
/// offer SDES keys in the clear. Each call's SIP findings come from its
/// own dialog, with its own packets. (They came from the flow, whose facts
/// keep its first 16 SDPs: calls past the eighth lost srtp-keys-exposed,
/// and every call's evidence was the whole flow's.)
#[test]
fn calls_sharing_a_phones_signaling_flow_are_judged_on_their_own_dialogs() {
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Pcap::new(ETHERNET);
    let (phone, pbx) = ([10, 1, 0, 7], [10, 1, 0, 1]);
    for i in 0..12u32 {
        pcap.ts_us = 1_700_000_000_000_000 + u64::from(i) * 10_000_000;
        let sdes = i >= 8;
        let sdp = |ip: [u8; 4], port: u16| {
            let (profile, crypto) = if sdes {
                (
                    "RTP/SAVP",
                    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
                )
            } else {
                ("RTP/AVP", "")
            };
            audio_sdp(i, ip, port, profile, crypto)
        };
        let call_id = format!("shared-{i}");
        let message = |first: &str, cseq: &str, to_tag: &str, body: &str| {
            patient_sip(first, i, phone, &call_id, cseq, to_tag, body)
        };
        let port = 30_000 + i as u16 * 2;
        pcap.udp4(
            (phone, 5060),
            (pbx, 5060),
            message(
                "INVITE sip:doctor@clinic.example SIP/2.0",
                "1 INVITE",
                "",
                &sdp(phone, port),
            )
            .as_bytes(),
        );
        pcap.udp4(
            (pbx, 5060),
            (phone, 5060),
            message(
                "SIP/2.0 200 OK",
                "1 INVITE",
                ";tag=b",
                &sdp(pbx, port + 1_000),
            )
            .as_bytes(),
        );
        for seq in 0..3u16 {
            let ssrc = 0x2000_0000 + i;
            pcap.udp4(
                (phone, port),
                (pbx, port + 1_000),
                &rtp(0, seq, ssrc, &[0x55; 160]),
            );
        }
        pcap.udp4(
            (phone, 5060),
            (pbx, 5060),
            message(
                "BYE sip:doctor@clinic.example SIP/2.0",
                "2 BYE",
                ";tag=b",
                "",
            )
            .as_bytes(),
        );
    }
    let path = pcap.save(dir.path(), "phone.pcap");
    let r = report_json(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 12);
    for (i, c) in calls.iter().enumerate() {
        let findings = call_findings(c);
        assert_eq!(
            findings.contains(&"srtp-keys-exposed"),
            i >= 8,
            "call {}: {findings:?}",
            c["id"]
        );
        assert!(
            findings.contains(&"sip-identity-exposed"),
            "call {}: {findings:?}",
            c["id"]
        );
        // The verdict cites this call's own messages, not the flow's.
        let dialog = &c["dialogs"][0];
        let (first, last) = (
            dialog["first_packet"].as_u64().unwrap(),
            dialog["last_packet"].as_u64().unwrap(),
        );
        let last_step = c["reasoning"].as_array().unwrap().last().unwrap();
        for e in last_step["evidence"].as_array().unwrap() {
            if e["flow"] == dialog["flows"][0] {
                let p = e["first_packet"].as_u64().unwrap();
                assert!((first..=last).contains(&p), "call {}: {last_step}", c["id"]);
            }
        }
    }
}

/// A long call whose session is refreshed (RFC 4028) every few seconds
/// here, every few minutes in life: each refresh re-offers the same SDP.
/// After twenty refreshes a re-INVITE moves the media to other ports on
/// both ends. The call is still one call, with the moved media as its leg. (A
/// dialog kept its first 16 SDP bodies, repeats included: the body that
/// moved the media was dropped, and its media became a call of its own.)
#[test]
fn a_long_calls_session_refreshes_do_not_crowd_out_the_re_invite_that_moves_its_media() {
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Pcap::new(ETHERNET);
    let (phone, pbx) = ([10, 1, 0, 7], [10, 1, 0, 1]);
    let (first_port, moved_port) = (30_000u16, 31_000u16);
    let sdp =
        |ip: [u8; 4], port: u16| audio_sdp(7, ip, port, "RTP/AVP", "a=rtpmap:0 PCMU/8000\r\n");
    let message = |first: &str, cseq: u32, method: &str, to_tag: &str, body: &str| {
        let cseq = format!("{cseq} {method}");
        patient_sip(first, 7, phone, "long-call", &cseq, to_tag, body)
    };
    let invite = "INVITE sip:doctor@clinic.example SIP/2.0";
    let mut ts = 1_700_000_000_000_000u64;
    let offer =
        |pcap: &mut Pcap, ts: u64, cseq: u32, to_tag: &str, (port, pbx_port): (u16, u16)| {
            pcap.ts_us = ts;
            let body = sdp(phone, port);
            pcap.udp4(
                (phone, 5060),
                (pbx, 5060),
                message(invite, cseq, "INVITE", to_tag, &body).as_bytes(),
            );
            let answer = sdp(pbx, pbx_port);
            pcap.udp4(
                (pbx, 5060),
                (phone, 5060),
                message("SIP/2.0 200 OK", cseq, "INVITE", ";tag=b", &answer).as_bytes(),
            );
            let ack = "ACK sip:doctor@clinic.example SIP/2.0";
            pcap.udp4(
                (phone, 5060),
                (pbx, 5060),
                message(ack, cseq, "ACK", ";tag=b", "").as_bytes(),
            );
        };
    let media = |pcap: &mut Pcap, ts: u64, (port, pbx_port): (u16, u16), ssrc: u32| {
        for seq in 0..3u16 {
            pcap.ts_us = ts + u64::from(seq) * 20_000;
            pcap.udp4(
                (phone, port),
                (pbx, pbx_port),
                &rtp(0, seq, ssrc, &[0x55; 160]),
            );
        }
    };
    let (before, after) = ((first_port, 20_000), (moved_port, 21_000));
    offer(&mut pcap, ts, 1, "", before);
    media(&mut pcap, ts + 100_000, before, 0x7000_0001);
    for cseq in 2..22 {
        ts += 5_000_000;
        offer(&mut pcap, ts, cseq, ";tag=b", before);
    }
    ts += 5_000_000;
    offer(&mut pcap, ts, 22, ";tag=b", after);
    media(&mut pcap, ts + 100_000, after, 0x7000_0002);
    pcap.ts_us = ts + 5_000_000;
    pcap.udp4(
        (phone, 5060),
        (pbx, 5060),
        message(
            "BYE sip:doctor@clinic.example SIP/2.0",
            23,
            "BYE",
            ";tag=b",
            "",
        )
        .as_bytes(),
    );
    let path = pcap.save(dir.path(), "long-call.pcap");
    let r = report_json_revealed(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    let moved: Vec<u64> = r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["client"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{moved_port}"))
        })
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(moved.len(), 1, "the moved media's flow");
    let legs = call_legs(call);
    assert!(
        legs.iter().any(|(flow, _)| *flow == moved[0]),
        "{legs:?} lacks flow {}",
        moved[0]
    );
    // The refreshes are counted, not kept: the dialog keeps the first
    // offer and answer and the two that moved the media.
    let dialog = &call["dialogs"][0];
    assert_eq!(dialog["sdp"].as_array().unwrap().len(), 4, "{dialog:#}");
    assert_eq!(dialog["sdp_repeated"], 40);
    assert!(dialog.get("sdp_not_kept").is_none());
}
