//! Trackers around visits: the built-in list (data/trackers.toml) on real
//! captures of nDPI's corpus (the tag manager Zoom's client loaded seconds
//! before its call; analytics with no call; platforms that naive lists
//! call trackers), and a capture built for the rules: a Meta Pixel looked
//! up before a call by its device, the same by another device, a cleartext
//! request to Google Analytics, and a user list given with --trackers.

mod common;

use common::*;

fn tracker_findings(r: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("tracker-"))
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn trackers_in_real_captures_and_platforms_that_are_not_trackers() {
    let Some(dir) = corpus_dir() else { return };
    let zoom = report_json_revealed(&dir.join("zoom.pcap"));
    let found = tracker_findings(&zoom);
    assert_eq!(found.len(), 3, "{found:?}");
    for (i, (id, subject, severity)) in found.iter().enumerate() {
        assert_eq!(id, "tracker-during-call");
        assert_eq!(
            subject,
            &format!("call {}: www.googletagmanager.com", i + 1)
        );
        assert_eq!(severity, "medium", "a tag manager");
    }
    // Zoom records in its cloud: its calls say the capture cannot show it.
    assert!(
        zoom["calls"][0]["cannot_show"]
            .to_string()
            .contains("Platform cloud recording")
    );
    let during = findings(&zoom, "tracker-during-call");
    assert_eq!(during[0]["values"]["when"], "5 s before the call started");
    assert_eq!(during[0]["values"]["seen_in"], "tls");
    assert_eq!(
        during[0]["evidence"][0]["first_packet"], 1,
        "tshark: SNI in frame 1"
    );
    assert!(
        zoom["calls"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "tracker-during-call")
    );

    for (capture, host) in [
        ("webex.pcap", "ssl.google-analytics.com"),
        ("tls_alert.pcap", "www.google-analytics.com"),
        (
            "quic_crypto_aes_auth_size.pcap",
            "app-analytics-v2.snapchat.com",
        ),
    ] {
        let r = report_json_revealed(&dir.join(capture));
        let found = tracker_findings(&r);
        assert_eq!(
            found,
            [(
                "tracker-outside-visit".to_string(),
                host.to_string(),
                "info".to_string()
            )],
            "{capture}"
        );
    }
    for capture in [
        "google_meet.pcapng",
        "google_chat.pcapng",
        "teams.pcap",
        "iphone.pcap",
        "dns_ambiguous_names.pcap",
        "443-git.pcap",
        "discord.pcap",
    ] {
        let r = report_json_revealed(&dir.join(capture));
        assert_eq!(
            tracker_findings(&r),
            [],
            "{capture}: a platform is not a tracker"
        );
    }
}

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    use simple_dns::{CLASS, Name, Packet, Question, TYPE};
    let mut q = Packet::new_query(id);
    q.questions.push(Question::new(
        Name::new_unchecked(name),
        TYPE::A.into(),
        CLASS::IN.into(),
        false,
    ));
    q.build_bytes_vec().unwrap()
}

#[test]
fn a_tracker_before_a_call_on_its_device_and_one_in_the_clear() {
    let device = [10, 0, 0, 5];
    let other = [10, 0, 0, 6];
    let resolver = [10, 0, 0, 53];
    let mut p = Pcap::new(ETHERNET);
    let start = 1_700_000_000_000_000u64;
    // 30 s before the call: the device looks up the Meta Pixel host.
    p.ts_us = start;
    p.udp4(
        (device, 40001),
        (resolver, 53),
        &dns_query(1, "connect.facebook.net"),
    );
    // Another device does too, but takes no part in the call.
    p.udp4(
        (other, 40002),
        (resolver, 53),
        &dns_query(2, "connect.facebook.net"),
    );
    // A cleartext request to Google Analytics (query string never kept).
    let get = b"GET /collect?v=2&dl=https%3A%2F%2Fclinic.example%2Fvisit%2F123 HTTP/1.1\r\nHost: www.google-analytics.com\r\n\r\n";
    p.tcp4(
        (device, 40100),
        ([203, 0, 113, 80], 80),
        1,
        false,
        true,
        get,
    );
    // The call: clear RTP both ways, 30 s later.
    p.ts_us = start + 30_000_000;
    for seq in 0..50u16 {
        p.udp4(
            (device, 16000),
            ([203, 0, 113, 9], 20000),
            &rtp(0, seq, 0x1111, &[0xd5; 160]),
        );
        p.udp4(
            ([203, 0, 113, 9], 20000),
            (device, 16000),
            &rtp(0, seq, 0x2222, &[0xd5; 160]),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = p.save(dir.path(), "tracker.pcap");
    let r = report_json_revealed(&path);
    assert_eq!(r["calls"].as_array().unwrap().len(), 1);
    assert_eq!(
        tracker_findings(&r),
        [
            (
                "tracker-cleartext".into(),
                "www.google-analytics.com GET /collect".into(),
                "high".into()
            ),
            (
                "tracker-during-call".into(),
                "call 1: connect.facebook.net".into(),
                "high".into()
            ),
            (
                "tracker-during-call".into(),
                "call 1: www.google-analytics.com".into(),
                "medium".into()
            ),
            // The other device's lookup is not tied to a call it had no part in.
            (
                "tracker-outside-visit".into(),
                "connect.facebook.net".into(),
                "info".into()
            ),
        ]
    );
    let pixel = findings(&r, "tracker-during-call")
        .into_iter()
        .find(|f| f["subject"] == "call 1: connect.facebook.net")
        .unwrap();
    assert_eq!(pixel["values"]["organization"], "Meta");
    assert_eq!(pixel["values"]["category"], "advertising");
    assert_eq!(pixel["values"]["device"], "10.0.0.5");
    assert!(
        pixel["values"]["when"]
            .as_str()
            .unwrap()
            .ends_with("s before the call started")
    );
    let reasoning = r["calls"][0]["reasoning"].to_string();
    assert!(reasoning.contains("Tracker connect.facebook.net (Meta Meta Pixel, advertising) contacted by device 10.0.0.5"), "{reasoning}");
    assert!(
        !r.to_string().contains("dl="),
        "query strings are never kept"
    );

    // A narrower window leaves the lookup 30 s before the call outside.
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[trackers]\nwindow_seconds = 10\n").unwrap();
    let narrow = report_json_with(&path, &["--reveal", "--policy", policy.to_str().unwrap()]);
    let narrowed = tracker_findings(&narrow);
    assert!(
        !narrowed
            .iter()
            .any(|(_, s, _)| s == "call 1: connect.facebook.net"),
        "{narrowed:?}"
    );
    assert!(
        !narrowed
            .iter()
            .any(|(id, _, _)| id == "tracker-during-call"),
        "{narrowed:?}"
    );

    // A user list in ABP host-rule form adds hosts; a bad one is an error
    // that says which line and which formats are accepted.
    let list = dir.path().join("easyprivacy-hosts.txt");
    std::fs::write(&list, "! a user list\n||resolver-metrics.example^\n").unwrap();
    std::fs::write(&policy, "").unwrap();
    let mut q = Pcap::new(ETHERNET);
    q.udp4(
        (device, 40003),
        (resolver, 53),
        &dns_query(3, "eu.resolver-metrics.example"),
    );
    let extra = q.save(dir.path(), "extra.pcap");
    let r = report_json_with(&extra, &["--reveal", "--trackers", list.to_str().unwrap()]);
    assert_eq!(
        tracker_findings(&r),
        [(
            "tracker-outside-visit".into(),
            "eu.resolver-metrics.example".into(),
            "info".into()
        )]
    );
    std::fs::write(&list, "||ok.example^\nthis is not a host\n").unwrap();
    let out = run(&[
        "analyze",
        "--trackers",
        list.to_str().unwrap(),
        extra.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("ABP host rules"),
        "{err}"
    );
}

/// A clinic's own name answered with a CNAME to Adobe's analytics hosts:
/// first-party cloaking.
#[test]
fn a_tracker_behind_a_first_party_cname() {
    use simple_dns::{CLASS, Name, Packet, Question, ResourceRecord, TYPE, rdata};
    let mut answer = Packet::new_reply(7);
    let name = Name::new_unchecked("metrics.clinic.example");
    let target = Name::new_unchecked("clinic.example.sc.omtrdc.net");
    answer.questions.push(Question::new(
        name.clone(),
        TYPE::A.into(),
        CLASS::IN.into(),
        false,
    ));
    answer.answers.push(ResourceRecord::new(
        name,
        CLASS::IN,
        60,
        rdata::RData::CNAME(rdata::CNAME(target.clone())),
    ));
    answer.answers.push(ResourceRecord::new(
        target,
        CLASS::IN,
        60,
        rdata::RData::A(rdata::A {
            address: 0xC0000201,
        }),
    ));
    let mut p = Pcap::new(ETHERNET);
    p.udp4(
        ([10, 0, 0, 53], 53),
        ([10, 0, 0, 5], 41000),
        &answer.build_bytes_vec().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let r = report_json_revealed(&p.save(dir.path(), "cname.pcap"));
    let cloaked = findings(&r, "tracker-cname-cloaked");
    assert_eq!(cloaked.len(), 1, "{:?}", tracker_findings(&r));
    assert_eq!(cloaked[0]["subject"], "metrics.clinic.example");
    assert_eq!(
        cloaked[0]["values"]["cname_target"],
        "clinic.example.sc.omtrdc.net"
    );
    assert_eq!(cloaked[0]["values"]["organization"], "Adobe");
}

/// On a busy network tracker contacts run to the tens of thousands; a call
/// late in the capture must still be tied to the tracker its device
/// contacted during it. (Contacts were held for the end and capped at
/// 10,000, so every contact after that was dropped: calls late in a
/// capture silently lost tracker-during-call.)
#[test]
fn a_call_after_twelve_thousand_tracker_contacts_still_gets_its_tracker() {
    let (device, browser, resolver) = ([10, 0, 0, 5], [10, 0, 0, 9], [10, 0, 0, 53]);
    let far = [203, 0, 113, 9];
    let mut p = Pcap::new(ETHERNET);
    let start = 1_700_000_000_000_000u64;
    // A call in the clear at `at` (µs), its device looking up the Meta
    // Pixel 5 s into it.
    let call = |p: &mut Pcap, at: u64, port: u16| {
        p.ts_us = at;
        for seq in 0..20u16 {
            p.udp4(
                (device, port),
                (far, 20000),
                &rtp(0, seq, 0x1111, &[0xd5; 160]),
            );
            p.udp4(
                (far, 20000),
                (device, port),
                &rtp(0, seq, 0x2222, &[0xd5; 160]),
            );
            if seq == 10 {
                p.udp4(
                    (device, port + 1),
                    (resolver, 53),
                    &dns_query(1, "connect.facebook.net"),
                );
            }
            p.ts_us += 500_000;
        }
    };
    call(&mut p, start, 16000);
    // Another machine looks up a tracker five times a second for 40
    // minutes, while a phone keeps its registration with the PBX (a SIP
    // flow that runs all along and carries no call).
    p.ts_us = start + 60_000_000;
    for i in 0..12_000u32 {
        let port = 20_000 + (i % 40_000) as u16;
        p.udp4(
            (browser, port),
            (resolver, 53),
            &dns_query(2, "www.google-analytics.com"),
        );
        if i % 150 == 0 {
            let register = format!(
                "REGISTER sip:pbx.clinic.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.20:5060;branch=z9hG4bK{i}\r\nFrom: <sip:301@clinic.example>;tag=r\r\nTo: <sip:301@clinic.example>\r\nCall-ID: reg-301\r\nCSeq: {i} REGISTER\r\nContent-Length: 0\r\n\r\n"
            );
            p.udp4(
                ([10, 0, 0, 20], 5060),
                ([10, 0, 0, 1], 5060),
                register.as_bytes(),
            );
        }
        p.ts_us += 200_000;
    }
    call(&mut p, start + 2_500_000_000, 17000);
    let dir = tempfile::tempdir().unwrap();
    let path = p.save(dir.path(), "busy.pcap");
    let r = report_json_revealed(&path);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    for c in calls {
        assert!(
            call_findings(c).contains(&"tracker-during-call"),
            "call {} lacks its tracker: {:?}",
            c["id"],
            call_findings(c)
        );
        let steps: Vec<&str> = c["reasoning"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["step"].as_str())
            .filter(|s| s.starts_with("Tracker connect.facebook.net"))
            .collect();
        assert_eq!(steps.len(), 1, "call {}: {steps:?}", c["id"]);
        assert!(steps[0].ends_with("5 s into the call"), "{}", steps[0]);
    }
    // Every contact was kept long enough to be judged.
    assert!(
        r["summary"]["findings_not_listed"]
            .get("tracker-contacts")
            .is_none(),
        "{}",
        r["summary"]["findings_not_listed"]
    );
    let outside = findings(&r, "tracker-outside-visit");
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0]["subject"], "www.google-analytics.com");
}
