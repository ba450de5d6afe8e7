//! Recorded calls: a clinic phone's call in the clear, and the SIPREC
//! recording session an SBC opens to a recording server outside the
//! clinic, with its metadata and RTP copies (headers and bodies written
//! from RFC 7866/7865 and the shapes real recorders send). The recording
//! session is tied to the call it records, the findings carry the
//! recorder and the signals, and the metadata's names stay pseudonymised.

mod common;

use common::*;

const PHONE: [u8; 4] = [10, 0, 0, 5];
const CARRIER: [u8; 4] = [198, 51, 100, 7];
const SBC: [u8; 4] = [10, 0, 0, 1];
const SRS: [u8; 4] = [203, 0, 113, 50];
const PATIENT: &str = "\"Jane Patient\" <sip:+15551230001@clinic.example>";

fn sdp(ip: &str, ports: &[u16], direction: &str) -> String {
    let mut s = format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n");
    for (i, port) in ports.iter().enumerate() {
        s += &format!(
            "m=audio {port} RTP/AVP 0\r\na=label:{}\r\n{direction}",
            i + 1
        );
    }
    s
}

fn sip(
    start: &str,
    call_id: &str,
    cseq: &str,
    from: &str,
    extra: &str,
    content_type: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{call_id}\r\nFrom: {from};tag=a1\r\nTo: <sip:dest@example.net>\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n{extra}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// How the recording session's INVITE travels.
#[derive(Clone, Copy)]
enum Carry {
    Udp,
    /// UDP, in IPv4 fragments of 600 bytes (SIPREC INVITEs outgrow the MTU).
    Fragmented,
    /// The same, its first fragment lost.
    FirstFragmentLost,
    Tcp,
}

/// An Ethernet/IPv4/UDP datagram cut into IPv4 fragments (RFC 791).
fn fragments(src: [u8; 4], dst: [u8; 4], port: u16, payload: &[u8], size: usize) -> Vec<Vec<u8>> {
    let mut udp = Vec::new();
    udp.extend_from_slice(&port.to_be_bytes());
    udp.extend_from_slice(&port.to_be_bytes());
    udp.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]); // no checksum (allowed for IPv4)
    udp.extend_from_slice(payload);
    let mut out = Vec::new();
    for (i, chunk) in udp.chunks(size).enumerate() {
        let offset = (i * size / 8) as u16;
        let more = (i + 1) * size < udp.len();
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + chunk.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&0x4242u16.to_be_bytes());
        ip.extend_from_slice(&(offset | if more { 0x2000 } else { 0 }).to_be_bytes());
        ip.extend_from_slice(&[64, 17, 0, 0]);
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = ip
            .chunks(2)
            .fold(0u32, |a, w| a + u32::from(u16::from_be_bytes([w[0], w[1]])));
        let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(chunk);
        out.push(frame);
    }
    out
}

/// The phone's INVITE of call `call_id` (media on 10.0.0.5:20000), with
/// extra headers and SDP attribute lines.
fn phone_invite(call_id: &str, from: &str, headers: &str, attributes: &str) -> Vec<u8> {
    sip(
        "INVITE sip:dest@example.net SIP/2.0",
        call_id,
        "1 INVITE",
        from,
        headers,
        "application/sdp",
        &sdp("10.0.0.5", &[20000], attributes),
    )
}

/// A clear call's offer and answer between the phone and the carrier.
fn clear_call(p: &mut Pcap, call_id: &str, from: &str, headers: &str, attributes: &str) {
    p.udp4(
        (PHONE, 5060),
        (CARRIER, 5060),
        &phone_invite(call_id, from, headers, attributes),
    );
    let answer = sip(
        "SIP/2.0 200 OK",
        call_id,
        "1 INVITE",
        from,
        "",
        "application/sdp",
        &sdp("198.51.100.7", &[40000], ""),
    );
    p.udp4((CARRIER, 5060), (PHONE, 5060), &answer);
}

fn scene() -> Pcap {
    scene_with(Carry::Udp, "", "")
}

/// The scene; the phone's INVITE with `headers` and SDP `attributes`.
fn scene_with(carry: Carry, headers: &str, attributes: &str) -> Pcap {
    let mut p = Pcap::new(ETHERNET);
    // The recorded call: clear SIP and RTP between the phone and a carrier.
    clear_call(&mut p, "cs-1", PATIENT, headers, attributes);
    // The SBC opens the recording session to the recorder.
    let metadata = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<recording xmlns='urn:ietf:params:xml:ns:recording:1'>\r\n<datamode>complete</datamode>\r\n<session session_id=\"s1\"><sipSessionID>ab30317f1a784dc48ff824d0d3715d86</sipSessionID></session>\r\n<participant participant_id=\"p1\"><nameID aor=\"sip:+15551230001@clinic.example\"><name xml:lang=\"en\">Jane Patient</name></nameID></participant>\r\n<participant participant_id=\"p2\"><nameID aor=\"sip:dest@example.net\"/></participant>\r\n<stream stream_id=\"t1\" session_id=\"s1\"><label>1</label></stream>\r\n</recording>\r\n";
    let body = format!(
        "--foobar\r\nContent-Type: application/sdp\r\n\r\n{}\r\n--foobar\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n{metadata}\r\n--foobar--\r\n",
        sdp("10.0.0.1", &[30000, 30002], "a=sendonly\r\n")
    );
    let src = "<sip:sbc@clinic.example>";
    let rs_invite = sip(
        "INVITE sip:srs@recorder.example SIP/2.0",
        "rs-1",
        "1 INVITE",
        src,
        "Require: siprec\r\nContact: <sip:sbc@10.0.0.1>;+sip.src\r\n",
        "multipart/mixed;boundary=foobar",
        &body,
    );
    match carry {
        Carry::Udp => p.udp4((SBC, 5060), (SRS, 5060), &rs_invite),
        Carry::Fragmented => {
            for fragment in fragments(SBC, SRS, 5060, &rs_invite, 600) {
                p.frame(&fragment);
            }
        }
        Carry::FirstFragmentLost => {
            for fragment in fragments(SBC, SRS, 5060, &rs_invite, 600).iter().skip(1) {
                p.frame(fragment);
            }
        }
        Carry::Tcp => {
            p.tcp4((SBC, 45000), (SRS, 5060), 1000, true, false, &[]);
            p.tcp4((SRS, 5060), (SBC, 45000), 5000, true, true, &[]);
            p.tcp4((SBC, 45000), (SRS, 5060), 1001, false, true, &rs_invite);
        }
    }
    p.udp4(
        (SRS, 5060),
        (SBC, 5060),
        &sip(
            "SIP/2.0 200 OK",
            "rs-1",
            "1 INVITE",
            src,
            "",
            "application/sdp",
            &sdp("203.0.113.50", &[40000, 40002], "a=recvonly\r\n"),
        ),
    );
    for seq in 0..50u16 {
        let voice = rtp(0, seq, 0x1111, &[0xd5; 160]);
        p.udp4((PHONE, 20000), (CARRIER, 40000), &voice);
        p.udp4(
            (CARRIER, 40000),
            (PHONE, 20000),
            &rtp(0, seq, 0x2222, &[0xd5; 160]),
        );
        // The copies, one way, to the recorder.
        p.udp4((SBC, 30000), (SRS, 40000), &voice);
        p.udp4(
            (SBC, 30002),
            (SRS, 40002),
            &rtp(0, seq, 0x2222, &[0xd5; 160]),
        );
    }
    p
}

#[test]
fn a_siprec_session_is_tied_to_the_call_it_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = scene().save(dir.path(), "recorded.pcap");
    let r = report_json_revealed(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    let cs = calls
        .iter()
        .find(|c| c["sip_call_ids"][0] == "cs-1")
        .unwrap();
    let rs = calls
        .iter()
        .find(|c| c["sip_call_ids"][0] == "rs-1")
        .unwrap();
    let recorded = findings(&r, "call-recorded");
    assert_eq!(recorded.len(), 1);
    let f = recorded[0];
    assert_eq!(f["subject"], format!("call {}", cs["id"]));
    assert_eq!(
        f["severity"], "high",
        "the recorder is outside the clinic's networks"
    );
    assert_eq!(f["values"]["recording_server"], "203.0.113.50:5060");
    assert_eq!(
        f["values"]["linked_by"],
        "a participant's address of record"
    );
    assert_eq!(
        f["values"]["signals"],
        "siprec-option-tag, src-contact, multipart, rs-metadata, recording-namespace"
    );
    assert_eq!(f["evidence"][0]["first_packet"], 3, "the recording INVITE");
    let metadata = findings(&r, "recording-metadata-cleartext");
    assert_eq!(metadata[0]["values"]["names"], "Jane Patient");
    let media = findings(&r, "recording-media-cleartext");
    assert_eq!(media[0]["values"]["streams"], "2");
    assert_eq!(
        media[0]["severity"], "high",
        "the recorded call was itself in the clear"
    );
    // Both calls say so, and list the finding.
    let text = |c: &serde_json::Value| c["reasoning"].to_string();
    assert!(
        text(cs).contains(&format!("Recorded: call {} sends a copy", rs["id"])),
        "{}",
        text(cs)
    );
    assert!(
        text(rs).contains(&format!("recording call {}", cs["id"])),
        "{}",
        text(rs)
    );
    assert!(
        cs["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "call-recorded")
    );
    // The recording's media is the recording session's, not the call's.
    assert_eq!(rs["media"].as_array().unwrap().len(), 2);

    // Redacted by default: the metadata's name and number map to the
    // same pseudonyms as the recorded call's SIP headers.
    let out = String::from_utf8(run_ok(&[
        "analyze",
        "--json",
        "--quiet",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(!out.contains("Jane Patient") && !out.contains("15551230001"));
    let redacted: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        findings(&redacted, "call-recorded")[0]["values"]["linked_by"],
        "a participant's address of record"
    );
}

#[test]
fn an_ordinary_call_is_not_a_recording() {
    let mut p = Pcap::new(ETHERNET);
    let from = "<sip:a@clinic.example>";
    p.udp4(
        (PHONE, 5060),
        (CARRIER, 5060),
        &sip(
            "INVITE sip:b@example.net SIP/2.0",
            "c1",
            "1 INVITE",
            from,
            "Supported: 100rel, timer\r\nContact: <sip:a@10.0.0.5>\r\n",
            "application/sdp",
            &sdp("10.0.0.5", &[20000], "a=sendonly\r\n"),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&p.save(dir.path(), "plain.pcap"));
    assert!(findings(&r, "call-recorded").is_empty());
    assert!(findings(&r, "recording-metadata-cleartext").is_empty());
}

/// A monitoring agent mirrors the call's SIP to a HEP collector outside
/// the clinic, with its password in the clear.
#[test]
fn signaling_mirrored_to_a_hep_collector() {
    let mut p = scene();
    let invite = phone_invite("cs-1", PATIENT, "", "");
    let hep = teleprobe::proto::hep::build(&[
        (11, &[1]),
        (12, &2001u32.to_be_bytes()),
        (14, b"myHep"),
        (15, &invite),
    ]);
    p.udp4((SBC, 40123), ([198, 51, 100, 99], 9060), &hep);
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&p.save(dir.path(), "mirrored.pcap"));
    let cs = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sip_call_ids"][0] == "cs-1")
        .unwrap();
    let mirrored = findings(&r, "signaling-mirrored");
    assert_eq!(mirrored.len(), 1);
    assert_eq!(mirrored[0]["subject"], format!("call {}", cs["id"]));
    assert_eq!(mirrored[0]["severity"], "high");
    assert_eq!(mirrored[0]["values"]["collector"], "198.51.100.99:9060");
    assert_eq!(mirrored[0]["values"]["agents"], "2001");
    let key = findings(&r, "hep-auth-key-cleartext");
    assert_eq!(key[0]["values"]["key_length"], "5");
    assert!(
        !r.to_string().contains("myHep"),
        "the key itself is never reported"
    );
    let hep_flow = r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["hep"].is_object())
        .unwrap();
    assert_eq!(hep_flow["protocols"], serde_json::json!(["hep"]));
    assert_eq!(hep_flow["hep"]["call_ids"], serde_json::json!(["cs-1"]));
    assert!(cs["reasoning"].to_string().contains("Signaling mirrored"));
}

/// A copy of the phone's stream (same SSRC, same time) sent by a tap to
/// an address the call never negotiated is a fork; the recording
/// session's copies in `scene` are not (they are the recording).
#[test]
fn media_copied_to_an_unnegotiated_address_is_a_fork() {
    let plain = scene();
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&plain.save(dir.path(), "recorded.pcap"));
    assert!(
        findings(&r, "media-forked").is_empty(),
        "a recording session is reported as such"
    );

    let mut p = Pcap::new(ETHERNET);
    clear_call(&mut p, "c1", "<sip:a@clinic.example>", "", "");
    for seq in 0..60u16 {
        let voice = rtp(0, seq, 0x1111, &[0xd5; 160]);
        p.udp4((PHONE, 20000), (CARRIER, 40000), &voice);
        p.udp4(
            (CARRIER, 40000),
            (PHONE, 20000),
            &rtp(0, seq, 0x2222, &[0xd5; 160]),
        );
        p.udp4(([10, 0, 0, 9], 50000), ([192, 0, 2, 77], 7000), &voice);
    }
    let r = report_json_revealed(&p.save(dir.path(), "forked.pcap"));
    let forks = findings(&r, "media-forked");
    assert_eq!(forks.len(), 1, "{forks:?}");
    assert_eq!(forks[0]["values"]["copy_destination"], "192.0.2.77:7000");
    assert_eq!(
        forks[0]["values"]["negotiated_destination"],
        "198.51.100.7:40000"
    );
    assert_eq!(forks[0]["values"]["copy_packets"], "60");
    assert!(
        r["calls"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "media-forked")
    );
}

/// The same recording session with its INVITE in IPv4 fragments, and over
/// TCP: recognised and tied to the call alike.
#[test]
fn a_fragmented_or_tcp_recording_invite_is_recognised() {
    for (carry, name) in [(Carry::Fragmented, "fragmented"), (Carry::Tcp, "tcp")] {
        let dir = tempfile::tempdir().unwrap();
        let r = report_json_revealed(&scene_with(carry, "", "").save(dir.path(), "rs.pcap"));
        let recorded = findings(&r, "call-recorded");
        assert_eq!(recorded.len(), 1, "{name}: {:?}", r["findings"]);
        assert_eq!(
            recorded[0]["values"]["linked_by"], "a participant's address of record",
            "{name}"
        );
        assert_eq!(
            findings(&r, "recording-metadata-cleartext").len(),
            1,
            "{name}"
        );
        if name == "fragmented" {
            assert!(r["capture"]["fragments_reassembled"].as_u64().unwrap() >= 1);
        }
    }
}

/// Real SIPp traffic (captures/record/siprec.sh): a clear call, and a
/// recording client's SIPREC session to a recorder at 127.0.0.2 (outside
/// the clinic's networks) streaming a copy of the caller's voice.
#[test]
fn a_sipp_recording_session_on_the_wire() {
    let r = report_json_revealed(&capture("siprec.pcap"));
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    let recorded = findings(&r, "call-recorded");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["subject"], "call 1");
    assert_eq!(recorded[0]["severity"], "high");
    assert_eq!(recorded[0]["values"]["recording_server"], "127.0.0.2:5090");
    assert_eq!(
        recorded[0]["values"]["linked_by"],
        "a participant's address of record"
    );
    assert_eq!(
        recorded[0]["evidence"][0]["first_packet"], 48,
        "tshark: the recording INVITE is frame 48"
    );
    let metadata = findings(&r, "recording-metadata-cleartext");
    assert_eq!(
        metadata[0]["values"]["names"],
        "Jane Patient, Dr Alex Smith"
    );
    assert_eq!(metadata[0]["values"]["participants_named"], "2");
    assert_eq!(findings(&r, "recording-media-cleartext").len(), 1);
    assert!(
        findings(&r, "media-forked").is_empty(),
        "the copy is the recording's"
    );
    let rs = calls.iter().find(|c| c["id"] == 2).unwrap();
    assert!(
        rs["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["encrypted"] == "no")
    );
}

/// A participant that supports recording indication, asked not to be
/// recorded (a=recordpref:off), and was recorded without a=record:on.
#[test]
fn an_opt_out_ignored_and_a_recording_not_indicated() {
    let dir = tempfile::tempdir().unwrap();
    let p = scene_with(
        Carry::Udp,
        "Supported: record-aware, 100rel\r\n",
        "a=recordpref:off\r\n",
    );
    let r = report_json_revealed(&p.save(dir.path(), "optout.pcap"));
    let not_told = findings(&r, "recording-not-indicated");
    assert_eq!(not_told.len(), 1);
    assert_eq!(
        not_told[0]["evidence"][0]["first_packet"], 1,
        "the INVITE that said record-aware"
    );
    let ignored = findings(&r, "recording-preference-ignored");
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["values"]["recordpref"], "off");
    // Without them, neither.
    let r = report_json_revealed(&scene().save(dir.path(), "plain.pcap"));
    assert!(findings(&r, "recording-not-indicated").is_empty());
    assert!(findings(&r, "recording-preference-ignored").is_empty());
}

/// The recording INVITE's first fragment lost: no recording session can be
/// read, and the capture says the rest of one went by.
#[test]
fn a_recording_invite_missing_its_first_fragment_is_said_to_be_partial() {
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(
        &scene_with(Carry::FirstFragmentLost, "", "").save(dir.path(), "lost.pcap"),
    );
    assert!(findings(&r, "call-recorded").is_empty());
    let notes = r["capture"]["notes"].to_string();
    assert!(
        notes.contains(
            "1 fragmented datagrams that were never completed carried SIPREC recording metadata"
        ),
        "{notes}"
    );
    assert!(r["capture"]["fragments_dropped"].as_u64().unwrap() >= 1);
}

/// A recording client keeps its signaling flow to the recording server:
/// every call it records after the first is still found recorded, and the
/// metadata of each session stays pseudonymised. (The flow's own facts
/// keep its first recording session only, so every later recorded call
/// on a persistent recorder connection lost call-recorded.)
#[test]
fn every_call_recorded_over_one_recorder_connection_is_found() {
    let mut p = Pcap::new(ETHERNET);
    for k in 1..=3 {
        let patient = format!("\"Patient Number{k}\" <sip:+1555123000{k}@clinic.example>");
        clear_call(&mut p, &format!("cs-{k}"), &patient, "", "");
        let metadata = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<recording xmlns='urn:ietf:params:xml:ns:recording:1'>\r\n<datamode>complete</datamode>\r\n<participant participant_id=\"p1\"><nameID aor=\"sip:+1555123000{k}@clinic.example\"><name xml:lang=\"en\">Patient Number{k}</name></nameID></participant>\r\n</recording>\r\n"
        );
        let body = format!(
            "--foobar\r\nContent-Type: application/sdp\r\n\r\n{}\r\n--foobar\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n{metadata}\r\n--foobar--\r\n",
            sdp("10.0.0.1", &[30000], "a=sendonly\r\n")
        );
        let src = "<sip:sbc@clinic.example>";
        let rs = format!("rs-{k}");
        p.udp4(
            (SBC, 5060),
            (SRS, 5060),
            &sip(
                "INVITE sip:srs@recorder.example SIP/2.0",
                &rs,
                "1 INVITE",
                src,
                "Require: siprec\r\nContact: <sip:sbc@10.0.0.1>;+sip.src\r\n",
                "multipart/mixed;boundary=foobar",
                &body,
            ),
        );
        p.udp4(
            (SRS, 5060),
            (SBC, 5060),
            &sip(
                "SIP/2.0 200 OK",
                &rs,
                "1 INVITE",
                src,
                "",
                "application/sdp",
                &sdp("203.0.113.50", &[40000], "a=recvonly\r\n"),
            ),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = p.save(dir.path(), "recorder.pcap");
    let r = report_json_revealed(&path);
    let calls = r["calls"].as_array().unwrap();
    let recorded: Vec<&serde_json::Value> = findings(&r, "call-recorded");
    for k in 1..=3 {
        let cs = calls
            .iter()
            .find(|c| c["sip_call_ids"][0] == format!("cs-{k}"))
            .unwrap();
        assert!(
            call_findings(cs).contains(&"call-recorded"),
            "cs-{k}: {:?}",
            call_findings(cs)
        );
        assert!(
            recorded
                .iter()
                .any(|f| f["subject"] == format!("call {}", cs["id"])),
            "cs-{k}: {recorded:#?}"
        );
    }
    // Redacted by default.
    let out = report_json(&path).to_string();
    assert!(
        !out.contains("Number2") && !out.contains("15551230002"),
        "metadata names are pseudonymised"
    );
}

/// A HEP agent copies every call's SIP over one flow to its collector all
/// day: the 70th call copied is as mirrored as the first. (The HEP flow's
/// facts list the first 64 Call-IDs; calls past them lost
/// signaling-mirrored.)
#[test]
fn every_call_a_hep_agent_copies_is_mirrored() {
    let mut p = Pcap::new(ETHERNET);
    for k in 0..70 {
        let call_id = format!("cs-{k}");
        clear_call(&mut p, &call_id, PATIENT, "", "");
        let copy = phone_invite(&call_id, PATIENT, "", "");
        let hep =
            teleprobe::proto::hep::build(&[(11, &[1]), (12, &2001u32.to_be_bytes()), (15, &copy)]);
        p.udp4((SBC, 40123), ([198, 51, 100, 99], 9060), &hep);
    }
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&p.save(dir.path(), "hep.pcap"));
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 70);
    for c in calls {
        assert!(
            call_findings(c).contains(&"signaling-mirrored"),
            "{}: {:?}",
            c["sip_call_ids"][0],
            call_findings(c)
        );
        assert_eq!(
            c["dialogs"][0]["mirrored"][0]["collector"],
            "198.51.100.99:9060"
        );
    }
}
