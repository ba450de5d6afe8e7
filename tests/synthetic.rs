//! Whole-pipeline tests on captures written by the tests themselves: link
//! types, fragments, TURN relaying, encryption evidence, broken files.

mod common;

use common::*;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const RELAY: [u8; 4] = [198, 51, 100, 7];

#[test]
fn turn_allocation_channel_data_and_relayed_dtls() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let client = (A, 50000);
    let server = (RELAY, 3478);
    // Allocate request, 401 with REALM/NONCE, success with relayed/mapped addresses.
    p.udp4(
        client,
        server,
        &stun(0x0003, [1; 12], &[(0x0019, vec![17, 0, 0, 0])]),
    );
    p.udp4(
        server,
        client,
        &stun(
            0x0113,
            [1; 12],
            &[
                (0x0009, vec![0, 0, 4, 1]),
                (0x0014, b"clinic.example".to_vec()),
                (0x0015, b"abcd".to_vec()),
            ],
        ),
    );
    p.udp4(
        server,
        client,
        &stun(
            0x0103,
            [2; 12],
            &[
                (0x0016, xor_v4(RELAY, 61000)),
                (0x0020, xor_v4([203, 0, 113, 5], 50000)),
                (0x000D, 600u32.to_be_bytes().to_vec()),
                (0x8022, b"Coturn-4.6".to_vec()),
            ],
        ),
    );
    // ChannelBind 0x4001 to peer 192.0.2.9:40000.
    let mut channel = vec![0x40, 0x01, 0, 0];
    channel.truncate(4);
    p.udp4(
        client,
        server,
        &stun(
            0x0009,
            [3; 12],
            &[(0x000C, channel), (0x0012, xor_v4([192, 0, 2, 9], 40000))],
        ),
    );
    // DTLS ClientHello inside ChannelData.
    p.udp4(client, server, &channel_data_with_dtls_client_hello());
    let path = p.save(dir.path(), "turn.pcap");
    let r = report_json_revealed(&path);
    assert_eq!(r["flows"].as_array().unwrap().len(), 1);
    let f = &r["flows"][0];
    assert_eq!(f["client"], "10.0.0.1:50000");
    assert_eq!(f["server"], "198.51.100.7:3478");
    let protocols = strings(&f["protocols"]);
    assert_eq!(protocols, ["stun", "turn", "dtls"]);
    let s = &f["stun"];
    assert_eq!(s["realm"], "clinic.example");
    assert_eq!(s["relayed_addresses"][0], "198.51.100.7:61000");
    assert_eq!(s["mapped_addresses"][0], "203.0.113.5:50000");
    assert_eq!(s["software"][0], "Coturn-4.6");
    assert_eq!(s["lifetime"], 600);
    assert_eq!(s["error_codes"][0], "401 ");
    assert!(s["nonce_seen"].as_bool().unwrap());
    assert_eq!(s["message_types"]["Allocate request"], 1);
    assert_eq!(f["turn"]["channels"][0]["channel"], 0x4001);
    assert_eq!(f["turn"]["channels"][0]["peer"], "192.0.2.9:40000");
    assert_eq!(f["turn"]["channel_data_frames"], 1);
    assert_eq!(f["turn"]["carried"][0], "dtls");
    assert_eq!(
        f["tls"]["srtp_profiles_offered"][0],
        "SRTP_AES128_CM_HMAC_SHA1_80"
    );
}

#[test]
fn rtp_encryption_from_payload_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    // Dynamic PT, no signaling: random payloads read as SRTP, structured as RTP.
    for seq in 0..50u16 {
        p.udp4(
            (A, 40000),
            (B, 40002),
            &rtp(111, seq, 0x1111, &noise(seq as u32 + 7, 120)),
        );
        let clear: Vec<u8> = (0..120u32)
            .map(|i| 0xF8 | ((i + seq as u32) % 8) as u8)
            .collect();
        p.udp4((A, 41000), (B, 41002), &rtp(0, seq, 0x2222, &clear));
    }
    let r = report_json(&p.save(dir.path(), "rtp.pcap"));
    let srtp = flow_with(&r, "srtp");
    let rtp = flow_with(&r, "rtp");
    assert_eq!((srtp.len(), rtp.len()), (1, 1));
    let s = &srtp[0]["rtp"]["streams"][0];
    assert_eq!(
        (s["encrypted"].as_str(), s["confidence"].as_str()),
        (Some("yes"), Some("medium"))
    );
    assert_eq!(s["packets"], 50);
    let c = &rtp[0]["rtp"]["streams"][0];
    assert_eq!(c["encrypted"], "no");
    assert_eq!(c["codec"], "PCMU");
    assert!(c["evidence"][0].as_str().unwrap().contains("structured"));
}

#[test]
fn link_types_and_ipv6_fragmented_sip() {
    let dir = tempfile::tempdir().unwrap();
    // A SIP INVITE larger than the MTU, as two IPv6 fragments on raw IP.
    let mut sdp = String::from(
        "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n",
    );
    while sdp.len() < 1600 {
        sdp.push_str("a=note:padding to exceed the path MTU\r\n");
    }
    let sip = format!(
        "INVITE sip:bob@clinic.example SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]\r\nFrom: <sip:alice@clinic.example>;tag=1\r\nTo: <sip:bob@clinic.example>\r\nCall-ID: frag-1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let mut udp = Vec::new();
    etherparse::UdpHeader::without_ipv4_checksum(5060, 5060, sip.len())
        .unwrap()
        .write(&mut udp)
        .unwrap();
    udp.extend_from_slice(sip.as_bytes());
    let (src, dst) = (
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
    );
    let mut raw = Pcap::new(RAW);
    let cut = 1232; // multiple of 8
    for (offset, chunk, more) in [(0usize, &udp[..cut], true), (cut, &udp[cut..], false)] {
        let mut pkt = Vec::new();
        let payload_len = 8 + chunk.len();
        pkt.extend_from_slice(&[0x60, 0, 0, 0]);
        pkt.extend_from_slice(&(payload_len as u16).to_be_bytes());
        pkt.extend_from_slice(&[44, 64]);
        pkt.extend_from_slice(&src);
        pkt.extend_from_slice(&dst);
        let frag = ((offset / 8) as u16) << 3 | more as u16;
        pkt.extend_from_slice(&[17, 0]);
        pkt.extend_from_slice(&frag.to_be_bytes());
        pkt.extend_from_slice(&0xdeadbeefu32.to_be_bytes());
        pkt.extend_from_slice(chunk);
        raw.frame(&pkt);
    }
    let r = report_json_revealed(&raw.save(dir.path(), "frag.pcap"));
    assert_eq!(r["capture"]["fragments_reassembled"], 1);
    let f = &r["flows"][0];
    assert_eq!(f["client"], "[2001:db8::1]:5060");
    assert_eq!(f["sip"]["call_ids"][0], "frag-1");
    assert_eq!(f["sip"]["sdp"][0]["media"][0]["port"], 49170);
    assert_eq!(f["sip"]["sdp"][0]["media"][0]["address"], "2001:db8::1");

    // The same DNS query on QinQ Ethernet, Linux cooked v2 and BSD loopback.
    let query = {
        let mut q = simple_dns::Packet::new_query(7);
        q.questions.push(simple_dns::Question::new(
            simple_dns::Name::new_unchecked("doxy.me"),
            simple_dns::TYPE::A.into(),
            simple_dns::CLASS::IN.into(),
            false,
        ));
        q.build_bytes_vec().unwrap()
    };
    let mut ipv4_udp = Vec::new();
    etherparse::PacketBuilder::ipv4(A, B, 64)
        .udp(53000, 53)
        .write(&mut ipv4_udp, &query)
        .unwrap();
    let mut qinq = vec![
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00,
    ];
    qinq.extend_from_slice(&ipv4_udp);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ipv4_udp);
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&ipv4_udp);
    for (link, frame) in [(ETHERNET, qinq), (LINUX_SLL2, sll2), (NULL, null)] {
        let mut p = Pcap::new(link);
        p.frame(&frame);
        let r = report_json(&p.save(dir.path(), "dns.pcap"));
        let f = &r["flows"][0];
        assert_eq!(f["protocols"][0], "dns", "link type {link}");
        assert_eq!(f["dns"]["queries"][0]["name"], "doxy.me");
        assert_eq!(f["server"], "10.0.0.2:53");
    }
}

#[test]
fn tcp_sip_split_across_segments_with_digest_auth() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    let msg = b"REGISTER sip:clinic.example SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1\r\nFrom: \"Jane Patient\" <sip:+15551234567@clinic.example>;tag=9\r\nTo: <sip:+15551234567@clinic.example>\r\nCall-ID: reg-1\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username=\"jane\", realm=\"clinic.example\", response=\"00\"\r\nContent-Length: 0\r\n\r\n";
    let (c, s) = ((A, 40001), (B, 5060));
    p.tcp4(c, s, 1000, true, false, &[]);
    p.tcp4(s, c, 5000, true, true, &[]);
    // Second half first: reassembly must reorder.
    p.tcp4(c, s, 1001 + 60, false, true, &msg[60..]);
    p.tcp4(c, s, 1001, false, true, &msg[..60]);
    let r = report_json_revealed(&p.save(dir.path(), "sip-tcp.pcap"));
    let f = &r["flows"][0];
    assert_eq!(f["transport"], "tcp");
    assert_eq!(f["client"], "10.0.0.1:40001");
    assert_eq!(f["sip"]["requests"]["REGISTER"], 1);
    assert!(f["sip"]["authorization"].as_bool().unwrap());
    assert_eq!(f["sip"]["identities"][0]["display_name"], "Jane Patient");
}

#[test]
fn truncated_and_garbage_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    for seq in 0..10u16 {
        p.udp4((A, 40000), (B, 40002), &rtp(0, seq, 1, &[0xff; 160]));
    }
    let whole = p.bytes.clone();
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, &whole[..whole.len() - 50]).unwrap();
    let out = run(&["analyze", "--json", "--quiet", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["capture"]["packets"], 9,
        "packets before the cut are reported"
    );
    assert!(
        r["capture"]["truncated"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));

    // A record claiming 2^31 bytes, after two good packets, in a file of a
    // few hundred: the file is truncated there (the buffer is not grown to
    // the claim), and what came before is reported.
    let mut absurd = p.bytes[..24 + 2 * (16 + 14 + 20 + 8 + 172)].to_vec();
    absurd.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    absurd.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    absurd.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    absurd.extend_from_slice(&[0xab; 64]);
    let path = dir.path().join("absurd.pcap");
    std::fs::write(&path, &absurd).unwrap();
    let out = run(&["analyze", "--json", "--quiet", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["capture"]["packets"], 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));

    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture file at all").unwrap();
    let out = run(&["analyze", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pcap or pcapng"));

    let out = run(&["analyze", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));

    // Garbage frames inside a valid file are counted, never fatal.
    let mut p = Pcap::new(ETHERNET);
    p.frame(&[0x02; 10]);
    p.frame(&[
        2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0, 0, 0xff,
    ]);
    p.udp4((A, 1), (B, 2), b"x");
    let r = report_json(&p.save(dir.path(), "junk.pcap"));
    assert_eq!(r["capture"]["malformed_packets"], 2);
    assert_eq!(r["flows"].as_array().unwrap().len(), 1);
}

#[test]
fn several_files_merge_in_time_order_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Pcap::new(ETHERNET);
    let mut second = Pcap::new(ETHERNET);
    second.ts_us += 10_000; // interleaved with `first`
    for seq in 0..6u16 {
        first.udp4((A, 40000), (B, 40002), &rtp(0, seq * 2, 9, &[0x7f; 80]));
        second.udp4((A, 40000), (B, 40002), &rtp(0, seq * 2 + 1, 9, &[0x7f; 80]));
    }
    let a = first.save(dir.path(), "a.pcap");
    let b = second.save(dir.path(), "b.pcap");
    let out = run(&[
        "analyze",
        "--json",
        "--quiet",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &r["flows"][0]["rtp"]["streams"][0];
    assert_eq!(s["packets"], 12);
    assert_eq!(s["out_of_order"], 0, "merged in timestamp order");
    assert_eq!(s["sequence_gaps"], 0);

    let stdin = std::fs::File::open(&a).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_teleprobe"))
        .args(["analyze", "--json", "-"])
        .stdin(stdin)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["capture"]["packets"], 6);
}

#[test]
fn report_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    p.udp4((A, 1), (B, 2), b"x");
    let cap = p.save(dir.path(), "x.pcap");
    let out_path = dir.path().join("report.json");
    let out = run(&[
        "analyze",
        "--quiet",
        "-o",
        out_path.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mode = std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(r["schema"], "teleprobe.report/1");
}

#[test]
fn writing_to_a_device_leaves_its_mode_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    p.udp4((A, 1), (B, 2), b"x");
    let cap = p.save(dir.path(), "x.pcap");
    let before = std::fs::metadata("/dev/null").unwrap().permissions().mode();
    let out = run(&[
        "analyze",
        "--quiet",
        "-o",
        "/dev/null",
        cap.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::metadata("/dev/null").unwrap().permissions().mode(),
        before
    );
}

#[test]
fn rtp_framed_over_tcp_and_a_gtp_u_tunnel() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(ETHERNET);
    // RFC 4571: each RTP packet behind its two-byte length, one per segment.
    let (c, s) = ((A, 40252), (B, 5000));
    p.tcp4(c, s, 1000, true, false, &[]);
    p.tcp4(s, c, 5000, true, true, &[]);
    let mut seq = 1001u32;
    for n in 0..10u16 {
        let packet = rtp(8, 100 + n, 0xc623_6448, &noise(u32::from(n), 160));
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&packet);
        p.tcp4(c, s, seq, false, true, &framed);
        seq += framed.len() as u32;
    }
    // ICE-TCP (RFC 6544): a connectivity check in an RFC 4571 frame.
    let (ic, is) = ((A, 9), (B, 50001));
    p.tcp4(ic, is, 7000, true, false, &[]);
    p.tcp4(is, ic, 8000, true, true, &[]);
    let check = stun(0x0001, [3; 12], &[(0x0006, b"remoteU:localU".to_vec())]);
    let mut framed = (check.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&check);
    p.tcp4(ic, is, 7001, false, true, &framed);
    // GTP-U (port 2152) carrying a subscriber's DNS query.
    let inner = {
        let mut q = simple_dns::Packet::new_query(9);
        q.questions.push(simple_dns::Question::new(
            simple_dns::Name::new_unchecked("meet.example"),
            simple_dns::TYPE::A.into(),
            simple_dns::CLASS::IN.into(),
            false,
        ));
        let dns = q.build_bytes_vec().unwrap();
        let b = etherparse::PacketBuilder::ipv4([10, 45, 0, 7], [10, 45, 0, 1], 64).udp(53000, 53);
        let mut out = Vec::new();
        b.write(&mut out, &dns).unwrap();
        out
    };
    let mut gtp = vec![0x30, 0xff];
    gtp.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0, 1]);
    gtp.extend_from_slice(&inner);
    p.udp4(([172, 16, 0, 1], 2152), ([172, 16, 0, 2], 2152), &gtp);
    let r = report_json_revealed(&p.save(dir.path(), "framed.pcap"));
    let flows = r["flows"].as_array().unwrap();
    let tcp = flows.iter().find(|f| f["transport"] == "tcp").unwrap();
    assert_eq!(tcp["protocols"], serde_json::json!(["rtp"]));
    assert_eq!(tcp["rtp"]["streams"][0]["packets"], 10);
    assert_eq!(tcp["rtp"]["streams"][0]["ssrc"], "0xc6236448");
    let ice = flows
        .iter()
        .find(|f| f["server"] == "10.0.0.2:50001")
        .unwrap();
    assert_eq!(ice["protocols"], serde_json::json!(["stun"]));
    assert_eq!(ice["stun"]["usernames"][0], "remoteU:localU");
    let dns = flows.iter().find(|f| f["transport"] == "udp").unwrap();
    assert_eq!(
        (dns["client"].as_str(), dns["server"].as_str()),
        (Some("10.45.0.7:53000"), Some("10.45.0.1:53")),
        "the tunnelled packet, not the tunnel"
    );
    assert_eq!(dns["dns"]["queries"][0]["name"], "meet.example");
}
