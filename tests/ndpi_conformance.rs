//! Conformance against nDPI's verdicts on the shared public captures
//! (`../shared/captures/ndpi`, one `.ndpi.out` beside each capture).
//!
//! For each protocol of our vocabulary that nDPI also names, this counts the
//! flows nDPI classified by DPI (guesses by port are left out) and the share
//! for which teleprobe reports the same protocol on the same 5-tuple. The
//! table is printed; the test fails when a share drops below its floor.
//! Flows where we believe nDPI is wrong are listed in `ndpi_disagreements.txt`
//! with the reason, and are not counted against us.

mod common;

use common::corpus_dir;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use teleprobe::session::{Options, analyze_files};

/// Our label(s) that count as agreeing with each nDPI label.
const MAPPING: [(&str, &[&str]); 9] = [
    ("STUN", &["stun", "turn"]),
    ("DTLS", &["dtls"]),
    ("TLS", &["tls"]),
    ("QUIC", &["quic"]),
    ("DNS", &["dns"]),
    ("HTTP", &["http"]),
    ("SIP", &["sip"]),
    ("RTP", &["rtp", "srtp"]),
    ("SRTP", &["rtp", "srtp"]),
];

/// Floors per nDPI label (share of flows that must agree): every protocol
/// of our vocabulary at 97% at least (issue 10), the facts at what they
/// measure, raised as the dissectors improve.
const FLOORS: [(&str, f64); 11] = [
    // Facts: the SNI nDPI read on TLS/QUIC flows, and the (D)TLS version.
    ("SNI", 0.97),
    ("version", 0.97),
    ("STUN", 0.98),
    ("DTLS", 0.97),
    ("TLS", 0.98),
    ("QUIC", 0.97),
    ("DNS", 0.97),
    ("HTTP", 0.97),
    ("SIP", 0.97),
    ("RTP", 0.97),
    ("SRTP", 0.97),
];

#[derive(Debug)]
struct NdpiFlow {
    udp: bool,
    a: SocketAddr,
    b: SocketAddr,
    labels: Vec<String>,
    /// `[Hostname/SNI: x]` on TLS and QUIC flows.
    sni: Option<String>,
    /// `[TLSv1.2]`, `[DTLSv1.2]`...: the negotiated version.
    version: Option<String>,
}

/// SNIs and negotiated versions we report for a 5-tuple.
type Facts = (HashSet<String>, HashSet<String>);

/// Direction-free key of a UDP/TCP 5-tuple.
fn canonical(udp: bool, a: SocketAddr, b: SocketAddr) -> (bool, SocketAddr, SocketAddr) {
    if (a.ip(), a.port()) <= (b.ip(), b.port()) {
        (udp, a, b)
    } else {
        (udp, b, a)
    }
}

fn bracketed<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let start = line.find(prefix)? + prefix.len();
    let end = start + line[start..].find(']')?;
    Some(&line[start..end])
}

fn parse_endpoint(s: &str) -> Option<SocketAddr> {
    s.trim().parse().ok()
}

/// Parses nDPI's per-flow lines: `N  UDP a:p <-> b:p [proto: x.y/A.B]...`.
fn parse_ndpi(text: &str) -> Vec<NdpiFlow> {
    let mut flows = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some((_, rest)) = line.split_once(|c: char| c.is_whitespace()) else {
            continue;
        };
        let rest = rest.trim_start();
        let udp = rest.starts_with("UDP ");
        if !udp && !rest.starts_with("TCP ") {
            continue;
        }
        let rest = &rest[4..];
        let Some(bracket) = rest.find(" [proto:") else {
            continue;
        };
        let endpoints = &rest[..bracket];
        let sep = if endpoints.contains(" <-> ") {
            " <-> "
        } else {
            " -> "
        };
        let Some((a, b)) = endpoints.split_once(sep) else {
            continue;
        };
        let (Some(a), Some(b)) = (parse_endpoint(a), parse_endpoint(b)) else {
            continue;
        };
        if !rest.contains("[Confidence: DPI") {
            continue;
        }
        let proto = &rest[bracket + 9..];
        let Some(end) = proto.find(']') else { continue };
        let name = proto[..end].split('/').nth(1).unwrap_or("");
        let labels: Vec<String> = name.split('.').map(str::to_string).collect();
        let is_tls = labels
            .iter()
            .any(|l| l == "TLS" || l == "QUIC" || l == "DTLS");
        let sni = bracketed(rest, "[Hostname/SNI: ")
            .filter(|s| is_tls && !s.is_empty())
            .map(str::to_string);
        // nDPI writes "TLSv1" for 1.0 and "DTLSv1.0"; ours are "TLS 1.0" / "DTLS 1.0".
        let version = ["[TLSv", "[DTLSv"].iter().find_map(|p| {
            let v = bracketed(rest, p)?.split(' ').next()?;
            let v = if v == "1" { "1.0" } else { v };
            Some(format!(
                "{} {v}",
                if p.contains('D') { "DTLS" } else { "TLS" }
            ))
        });
        flows.push(NdpiFlow {
            udp,
            a,
            b,
            labels,
            sni,
            version,
        });
    }
    flows
}

fn disagreements() -> HashSet<(String, String, String)> {
    let text = include_str!("ndpi_disagreements.txt");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn agreement_with_ndpi() {
    let Some(dir) = corpus_dir() else { return };
    let excused = disagreements();
    let mut captures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name.ends_with(".pcap") || name.ends_with(".pcapng"))
                && p.with_file_name(format!("{name}.ndpi.out")).exists()
        })
        .collect();
    captures.sort();
    // label -> (total, agreed)
    let mut table: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for capture in &captures {
        let name = capture.file_name().unwrap().to_string_lossy().to_string();
        let expected = parse_ndpi(
            &std::fs::read_to_string(capture.with_file_name(format!("{name}.ndpi.out"))).unwrap(),
        );
        let analysis = match analyze_files(
            &[capture.to_string_lossy().to_string()],
            &Options::default(),
        ) {
            Ok(a) => a,
            Err(e) => panic!("{name}: {e}"),
        };
        let mut ours: HashMap<(bool, SocketAddr, SocketAddr), HashSet<&str>> = HashMap::new();
        let mut our_facts: HashMap<(bool, SocketAddr, SocketAddr), Facts> = HashMap::new();
        for f in analysis.report.flows.in_memory() {
            let (c, s): (SocketAddr, SocketAddr) = (f.client, f.server);
            let key = canonical(f.transport == teleprobe::flow::Proto::Udp, c, s);
            ours.entry(key)
                .or_default()
                .extend(f.protocols.iter().copied());
            let facts = our_facts.entry(key).or_default();
            let sni = f.tls.as_ref().and_then(|t| t.sni.clone());
            facts
                .0
                .extend(sni.or_else(|| f.quic.as_ref().and_then(|q| q.sni.clone())));
            if let Some(v) = f.tls.as_ref().and_then(|t| t.version).map(|v| v.name()) {
                // nDPI names a TLS 1.3 draft or experiment by its family.
                facts
                    .1
                    .insert(v.split(" (").next().unwrap_or(v).to_string());
                facts.1.insert(v.to_string());
            }
            if f.quic
                .as_ref()
                .is_some_and(|q| q.sni.is_some() || q.decrypted_initials > 0)
            {
                // QUIC's handshake is TLS 1.3 by definition (RFC 9001).
                facts.1.insert("TLS 1.3".to_string());
            }
        }
        for flow in &expected {
            let key = canonical(flow.udp, flow.a, flow.b);
            let facts = our_facts.get(&key);
            // Facts: does our flow report the value nDPI read?
            for (label, wanted, ours_of) in [
                (
                    "SNI",
                    &flow.sni,
                    (|f: &Facts| &f.0) as fn(&Facts) -> &HashSet<String>,
                ),
                ("version", &flow.version, |f: &Facts| &f.1),
            ] {
                let Some(wanted) = wanted else { continue };
                let tuple = format!("{}-{}", key.1, key.2);
                if excused.contains(&(name.clone(), tuple, label.to_string())) {
                    continue;
                }
                let entry = table.entry(label).or_default();
                entry.0 += 1;
                if facts.is_some_and(|f| ours_of(f).contains(wanted)) {
                    entry.1 += 1;
                } else {
                    let ours = facts.map(ours_of);
                    misses.push(format!(
                        "{name}\t{}-{}\t{label} {wanted}\tours: {ours:?}",
                        key.1, key.2
                    ));
                }
            }
            for (label, accepted) in MAPPING {
                if !flow.labels.iter().any(|l| l == label) {
                    continue;
                }
                let tuple = format!("{}-{}", key.1, key.2);
                if excused.contains(&(name.clone(), tuple.clone(), label.to_string())) {
                    continue;
                }
                let entry = table.entry(label).or_default();
                entry.0 += 1;
                let agreed = ours
                    .get(&key)
                    .is_some_and(|p| accepted.iter().any(|a| p.contains(a)));
                if agreed {
                    entry.1 += 1;
                } else {
                    misses.push(format!(
                        "{name}\t{tuple}\t{label}\tours: {:?}",
                        ours.get(&key)
                    ));
                }
            }
        }
    }
    println!(
        "\nnDPI conformance over {} captures (flows nDPI classified by DPI):",
        captures.len()
    );
    println!(
        "{:<6} {:>6} {:>6} {:>8} {:>8}",
        "label", "flows", "agree", "share", "floor"
    );
    let mut failures = Vec::new();
    for (label, floor) in FLOORS {
        let (total, agreed) = table.get(label).copied().unwrap_or((0, 0));
        let share = if total == 0 {
            1.0
        } else {
            agreed as f64 / total as f64
        };
        println!(
            "{label:<6} {total:>6} {agreed:>6} {:>7.1}% {:>7.0}%",
            share * 100.0,
            floor * 100.0
        );
        if share < floor {
            failures.push(format!(
                "{label}: {:.1}% < {:.0}%",
                share * 100.0,
                floor * 100.0
            ));
        }
    }
    if std::env::var_os("TELEPROBE_NDPI_MISSES").is_some() {
        for m in &misses {
            println!("miss\t{m}");
        }
    }
    assert!(
        failures.is_empty(),
        "agreement below floor: {failures:?} (TELEPROBE_NDPI_MISSES=1 lists the flows)"
    );
}

/// Flow accounting against tshark's conversation table for the same files
/// (`.tshark-flows.tsv` beside each capture): for each UDP/TCP conversation,
/// our packets and bytes per direction, summed over the flows with that
/// 5-tuple (idle timeouts may split one conversation), must equal tshark's.
#[test]
fn flow_accounting_matches_tshark() {
    let Some(dir) = corpus_dir() else { return };
    let (mut total, mut exact) = (0u64, 0u64);
    let mut misses = Vec::new();
    let mut tsvs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tshark-flows.tsv"))
        .collect();
    tsvs.sort();
    for tsv in tsvs {
        let capture = PathBuf::from(tsv.to_string_lossy().trim_end_matches(".tshark-flows.tsv"));
        if !capture.exists() {
            continue;
        }
        let analysis = analyze_files(
            &[capture.to_string_lossy().to_string()],
            &Options::default(),
        )
        .unwrap();
        // (udp, a, b) -> [packets a->b, packets b->a, bytes]
        let mut ours: HashMap<(bool, SocketAddr, SocketAddr), [u64; 3]> = HashMap::new();
        for f in analysis.report.flows.in_memory() {
            let (c, s): (SocketAddr, SocketAddr) = (f.client, f.server);
            let udp = f.transport == teleprobe::flow::Proto::Udp;
            for (a, b, ab, ba) in [
                (c, s, f.client_to_server.packets, f.server_to_client.packets),
                (s, c, f.server_to_client.packets, f.client_to_server.packets),
            ] {
                let e = ours.entry((udp, a, b)).or_default();
                e[0] += ab;
                e[1] += ba;
                e[2] += f.client_to_server.bytes + f.server_to_client.bytes;
            }
        }
        for line in std::fs::read_to_string(&tsv).unwrap().lines().skip(2) {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 9 {
                continue;
            }
            let endpoint = |ip: &str, port: &str| -> Option<SocketAddr> {
                let ip: std::net::IpAddr = ip.parse().ok()?;
                Some(SocketAddr::new(ip, port.parse().ok()?))
            };
            let (Some(a), Some(b)) = (endpoint(f[1], f[2]), endpoint(f[3], f[4])) else {
                continue;
            };
            let udp = f[0] == "UDP";
            let expected = [
                f[7].parse::<u64>().unwrap_or(0),
                f[8].parse::<u64>().unwrap_or(0),
                f[6].parse().unwrap_or(0),
            ];
            total += 1;
            let got = ours.get(&(udp, a, b)).copied().unwrap_or_default();
            if got == expected {
                exact += 1;
            } else {
                misses.push(format!(
                    "{}\t{line}\tours {got:?}",
                    capture.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let share = exact as f64 / total.max(1) as f64;
    println!(
        "\nflow accounting vs tshark: {exact}/{total} conversations exact ({:.1}%)",
        share * 100.0
    );
    if std::env::var_os("TELEPROBE_NDPI_MISSES").is_some() {
        for m in &misses {
            println!("acct\t{m}");
        }
    }
    assert!(
        share >= ACCOUNTING_FLOOR,
        "{:.1}% < {:.0}%",
        share * 100.0,
        ACCOUNTING_FLOOR * 100.0
    );
}

/// Share of tshark conversations whose counters we must reproduce exactly
/// (measured 96.1%). Known, deliberate differences: tshark adds ICMP errors
/// that quote a UDP header to that UDP conversation (shown as "no-payload"),
/// and GTP-U tunnels are now decapsulated by both. Some QUIC interop
/// conversations still differ by a packet, not yet explained (listed with
/// TELEPROBE_NDPI_MISSES=1).
const ACCOUNTING_FLOOR: f64 = 0.96;

/// A DTLS certificate split over two datagrams is reassembled and read.
#[test]
fn dtls_certificate_from_fragments() {
    let Some(dir) = corpus_dir() else { return };
    let path = dir.join("dtls_certificate_fragments.pcap");
    let analysis =
        analyze_files(&[path.to_string_lossy().to_string()], &Options::default()).unwrap();
    let flow = &analysis.report.flows.in_memory()[0];
    let tls = flow.tls.as_ref().unwrap();
    // tshark: ServerHello version 0xfeff, cipher 0x0035, Certificate in two fragments (1308 + 239 bytes).
    assert_eq!(tls.version.map(|v| v.name()), Some("DTLS 1.0"));
    assert_eq!(tls.cipher.as_deref(), Some("TLS_RSA_WITH_AES_256_CBC_SHA"));
    let cert = tls.certificate.as_ref().expect("certificate reassembled");
    assert!(
        cert.subject.ends_with("CN=*.opera-mini.net"),
        "{}",
        cert.subject
    );
    assert!(cert.issuer.contains("CN=Opera Max CA"));
    assert!(!cert.self_signed);
    assert_eq!(cert.packet, 5, "completed by the second fragment");
}

/// DTLS without use_srtp and without ICE on its flow is no call: Cisco
/// AnyConnect's data tunnel (pre-standard DTLS 1.0 on 443), and the
/// mid-session tunnels of `dtls_mid_sessions`, keep their flows and
/// findings but make no calls; DTLS-SRTP offers in `dtls.pcap` do.
#[test]
fn dtls_tunnels_are_flows_not_calls() {
    let Some(dir) = corpus_dir() else { return };
    let report = |name: &str| common::report_json_revealed(&dir.join(name));
    let calls_of = |r: &serde_json::Value| -> Vec<Vec<String>> {
        let flows = r["flows"].as_array().unwrap();
        let ends = |id: &serde_json::Value| {
            let f = flows.iter().find(|f| f["id"] == *id).unwrap();
            format!(
                "{} {}",
                f["client"].as_str().unwrap(),
                f["server"].as_str().unwrap()
            )
        };
        r["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["legs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| ends(&l["flow"]))
                    .collect()
            })
            .collect()
    };

    let vpn = report("anyconnect-vpn.pcap");
    assert_eq!(calls_of(&vpn), Vec::<Vec<String>>::new());
    let tunnel = vpn["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server"] == "8.37.102.91:443" && f["transport"] == "udp")
        .expect("the tunnel is still a flow");
    assert_eq!(tunnel["tls"]["version"], "DTLS 1.0 (pre-standard)");
    let deprecated = vpn["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "tls-deprecated")
        .expect("its old DTLS is still a finding");
    assert_eq!(deprecated["subject"], "udp 8.37.102.91:443");
    assert_eq!(deprecated["evidence"][0]["flow"], tunnel["id"]);

    assert_eq!(
        calls_of(&report("dtls_mid_sessions.pcapng")),
        Vec::<Vec<String>>::new()
    );
    assert_eq!(
        calls_of(&report("dtls.pcap")),
        [
            ["192.168.13.203:40739 192.168.13.57:56515"],
            ["10.191.227.13:54162 157.240.16.128:3478"]
        ],
        "the two flows whose ClientHello offers SRTP_AES128_CM_HMAC_SHA1_80"
    );
}

/// A certificate names the SNI when any of its names does, however many it
/// lists (tshark: iCloud's lists p26-keyvalueservice.icloud.com 19th of 77,
/// Alibaba's *.aliyuncs.com 23rd of 185, Activision's *.activision.com
/// 53rd), while badssl.com's wrong-host certificate is still caught.
#[test]
fn certificate_names_are_read_past_those_kept() {
    let Some(dir) = corpus_dir() else { return };
    let problems = |name: &str| -> Vec<(String, String)> {
        let r = common::report_json_revealed(&dir.join(name));
        common::findings(&r, "tls-certificate-problem")
            .iter()
            .map(|f| {
                let detail = f["evidence"][0]["detail"].as_str().unwrap();
                (
                    f["subject"].as_str().unwrap().to_string(),
                    detail.to_string(),
                )
            })
            .collect()
    };
    for name in ["iphone.pcap", "long_tls_certificate.pcap", "sites.pcapng"] {
        assert_eq!(problems(name), [], "{name}");
    }
    assert_eq!(
        problems("ssl-cert-name-mismatch.pcap"),
        [(
            "tcp 104.154.89.105:443 (wrong.host.badssl.com)".to_string(),
            "certificate in packet 10 (C=US, ST=California, L=Walnut Creek, \
             O=Lucas Garron Torres, CN=*.badssl.com): does not name wrong.host.badssl.com"
                .to_string()
        )]
    );
}

/// Discord's voice server presents its own certificate (*.discord.gg) in
/// the DTLS-SRTP handshake: not a WebRTC peer's self-signed one, so the
/// server ends DTLS-SRTP and holds the keys. The call is terminated by
/// Discord's media server, which can access it, not end to end.
#[test]
fn a_platforms_dtls_certificate_marks_its_media_server() {
    let Some(dir) = corpus_dir() else { return };
    let r = common::report_json_revealed(&dir.join("dtls_certificate_fragments.pcap"));
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let c = &calls[0];
    assert_eq!(
        (c["verdict"].as_str(), c["path"].as_str()),
        (Some("intermediary-can-access"), Some("server-terminated"))
    );
    assert_eq!(c["server"]["address"], "104.153.87.149:50001");
    assert_eq!(c["server"]["vendor"], "Discord");
    assert!(
        c["server"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("DTLS certificate *.discord.gg in packet"),
        "{}",
        c["server"]["evidence"]
    );
    let terminated = common::findings(&r, "media-terminated-by-server");
    assert_eq!(terminated.len(), 1);
    assert_eq!(terminated[0]["subject"], "call 1: 104.153.87.149:50001");
    // Meet's ICE-lite media servers present a self-signed "hangouts"
    // certificate, in Meet's media ranges and ports: it names their vendor.
    let r = common::report_json_revealed(&dir.join("stun_google_meet.pcapng"));
    let servers: Vec<(&str, &str)> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap(),
                c["server"]["vendor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        servers,
        [
            ("server-terminated", "Google Meet"),
            ("server-terminated", "Google Meet")
        ]
    );
}
