//! The human summary: flows grouped by what they carry, like `tshark -z conv`
//! meets sngrep, rendered from the same model as the JSON report.

use super::model::{FlowRecord, Report};
use std::fmt::Write;

/// Whether a flow belongs in a section of the summary.
type Membership = fn(&FlowRecord) -> bool;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.capture;
    let _ = writeln!(
        out,
        "teleprobe {} — {}",
        report.generator.version,
        c.files.join(", ")
    );
    let _ = writeln!(
        out,
        "{} packets, {} bytes, {} → {}; link: {}; {} flows",
        c.packets,
        c.bytes,
        c.first_timestamp.map_or("-".to_string(), |t| t.to_string()),
        c.last_timestamp.map_or("-".to_string(), |t| t.to_string()),
        c.link_types.join(", "),
        report.flows.len()
    );
    if c.malformed_packets > 0 {
        let _ = writeln!(out, "malformed packets: {}", c.malformed_packets);
    }
    if let Some(t) = &c.truncated {
        let _ = writeln!(out, "WARNING: {t}");
    }
    calls(&mut out, report);
    findings(&mut out, report);
    let groups: [(&str, Membership); 7] = [
        ("SIP signaling", |f| f.sip.is_some()),
        ("Media (RTP/SRTP/RTCP)", |f| {
            f.rtp.is_some() || f.rtcp.is_some()
        }),
        ("ICE / STUN / TURN", |f| {
            f.stun.is_some() || f.turn.is_some()
        }),
        ("DTLS / TLS", |f| f.tls.is_some() && f.quic.is_none()),
        ("QUIC", |f| f.quic.is_some()),
        ("DNS", |f| f.dns.is_some()),
        ("Cleartext HTTP", |f| f.http.is_some()),
    ];
    for (title, member) in groups {
        let flows: Vec<&FlowRecord> = report
            .flows
            .in_memory()
            .iter()
            .filter(|f| member(f))
            .collect();
        if flows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n== {title} ({} flows)", flows.len());
        for f in flows {
            flow_line(&mut out, f);
            details(&mut out, title, f);
        }
    }
    let other = report
        .flows
        .in_memory()
        .iter()
        .filter(|f| f.protocols.is_empty())
        .count();
    if other > 0 {
        let _ = writeln!(
            out,
            "\n== Other ({other} flows with no telehealth protocol recognised)"
        );
    }
    if report.flows.spilled() > 0 {
        let _ = writeln!(
            out,
            "\n({} flows that ended earlier are in the JSON report only: teleprobe analyze --json)",
            report.flows.spilled()
        );
    }
    out
}

/// Calls and their verdicts lead: that is the compliance question.
fn calls(out: &mut String, report: &Report) {
    if report.calls.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n== Calls ({})", report.calls.len());
    for c in report.calls.iter() {
        let c: &crate::report::model::Call = &c;
        let _ = writeln!(
            out,
            "call {}  {}  path {}  [{}]  {} → {}",
            c.id,
            c.verdict.name().to_uppercase(),
            super::markdown::path_text(c),
            c.kinds.join("+"),
            c.start,
            c.end
        );
        let _ = writeln!(out, "      platform: {}", super::markdown::platform_text(c));
        if !c.identities.is_empty() {
            let _ = writeln!(out, "      who: {}", c.identities.join(", "));
        }
        if let Some(last) = c.reasoning.last() {
            let _ = writeln!(out, "      {}", last.step);
        }
        let flows: Vec<String> = c
            .legs
            .iter()
            .map(|l| format!("#{} {}", l.flow, l.role))
            .collect();
        let _ = writeln!(out, "      flows: {}", flows.join(", "));
    }
}

/// Findings next, most severe first: what a reader must act on.
fn findings(out: &mut String, report: &Report) {
    let counts: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| {
            let n = report
                .summary
                .findings_by_severity
                .get(*s)
                .copied()
                .unwrap_or(0);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
    } else {
        let _ = writeln!(out, "\n== Findings ({})", counts.join(", "));
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{:<8} {:<26} {}",
            f.severity.name().to_uppercase(),
            f.id,
            f.subject
        );
        if let Some(e) = f.evidence.first() {
            let more = f.evidence.len() as u64 - 1 + f.more_evidence;
            let _ = writeln!(
                out,
                "         {}: {}{}",
                e.place(),
                e.detail,
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            );
        }
    }
    if !report.summary.platforms.is_empty() {
        let _ = writeln!(out, "\n== Platforms in use");
        for u in &report.summary.platforms {
            let [name, baa, calls, messaging, servers] = super::markdown::platform_row(u);
            let _ = writeln!(
                out,
                "{name}: {baa}\n    calls {calls}; messaging sessions {messaging}; servers {servers}"
            );
        }
    }
    if !report.wireless.is_empty() {
        let _ = writeln!(out, "\n== Wireless networks");
        for n in &report.wireless.networks {
            let [name, class, pmf, airodump, channel, clients, findings] =
                super::wireless::network_row(&report.findings, n);
            let _ = writeln!(
                out,
                "{name}: {class}\n    PMF {pmf}; {airodump}; channel {channel}; clients {clients}{}",
                if findings.is_empty() {
                    String::new()
                } else {
                    format!("; findings: {findings}")
                }
            );
        }
        for c in &report.wireless.clients {
            let [station, network, chose, eap, handshake, findings] =
                super::wireless::client_row(&report.findings, c);
            let _ = writeln!(
                out,
                "  station {station} on {network}: chose {chose}; EAP {eap}; handshake {handshake}{}",
                if findings.is_empty() {
                    String::new()
                } else {
                    format!("; findings: {findings}")
                }
            );
        }
    }
    let contacted: Vec<_> = super::markdown::merely_contacted(report).collect();
    if !contacted.is_empty() {
        let _ = writeln!(
            out,
            "\n== Platforms contacted (no call or messaging session)"
        );
        for v in contacted {
            let baa = match v.baa {
                crate::assess::vendors::Baa::Yes => "offers a BAA",
                crate::assess::vendors::Baa::No => "offers NO BAA",
            };
            let _ = writeln!(
                out,
                "{} ({baa}{}): {}",
                v.name,
                if v.allowed { ", allowed by policy" } else { "" },
                v.seen_by.first().map(String::as_str).unwrap_or("")
            );
        }
    }
}

fn flow_line(out: &mut String, f: &FlowRecord) {
    let _ = writeln!(
        out,
        "#{:<4} {} {} → {}  [{}]  {}/{} pkts  {}/{} bytes  pkts {}-{}",
        f.id,
        f.transport,
        f.client,
        f.server,
        f.protocols.join(","),
        f.client_to_server.packets,
        f.server_to_client.packets,
        f.client_to_server.bytes,
        f.server_to_client.bytes,
        f.first_packet,
        f.last_packet
    );
}

fn details(out: &mut String, group: &str, f: &FlowRecord) {
    match group {
        "SIP signaling" => {
            if let Some(s) = &f.sip {
                let reqs: Vec<String> =
                    s.requests.iter().map(|(k, v)| format!("{k}×{v}")).collect();
                let resps: Vec<String> = s
                    .responses
                    .iter()
                    .map(|(k, v)| format!("{k}×{v}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "      requests {}  responses {}",
                    reqs.join(" "),
                    resps.join(" ")
                );
                for id in &s.identities {
                    let _ = writeln!(
                        out,
                        "      {}: {}{}",
                        id.header,
                        id.display_name
                            .as_ref()
                            .map(|n| format!("\"{n}\" "))
                            .unwrap_or_default(),
                        id.uri
                    );
                }
                if !s.user_agents.is_empty() {
                    let _ = writeln!(out, "      user agents: {}", s.user_agents.join("; "));
                }
                if s.authorization {
                    let _ = writeln!(out, "      Authorization header present");
                }
                for sdp in &s.sdp {
                    for m in &sdp.media {
                        let _ = writeln!(
                            out,
                            "      SDP (pkt {} {}): {} {}:{} {}{}",
                            sdp.packet,
                            sdp.message,
                            m.kind,
                            crate::proto::record::OrUnknown(m.address),
                            m.port,
                            m.profile,
                            if m.crypto { " a=crypto" } else { "" }
                        );
                    }
                }
            }
        }
        "Media (RTP/SRTP/RTCP)" => {
            for s in f.rtp.iter().flat_map(|r| &r.streams) {
                let _ = writeln!(
                    out,
                    "      SSRC {} {} PT {}{} {} pkts, gaps {}, encrypted: {} ({})",
                    s.ssrc,
                    s.direction,
                    s.payload_type,
                    s.codec
                        .as_ref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default(),
                    s.packets,
                    s.sequence_gaps,
                    s.encrypted,
                    s.evidence.first().map(String::as_str).unwrap_or("")
                );
            }
            if let Some(r) = &f.rtcp {
                let _ = writeln!(
                    out,
                    "      RTCP {} plain, {} SRTCP",
                    r.packets, r.srtcp_packets
                );
                for item in &r.sdes {
                    let _ = writeln!(
                        out,
                        "      SDES {} {} = {}",
                        item.ssrc, item.item, item.value
                    );
                }
            }
        }
        "ICE / STUN / TURN" => {
            if let Some(s) = &f.stun {
                let types: Vec<String> = s
                    .message_types
                    .iter()
                    .map(|(k, v)| format!("{k}×{v}"))
                    .collect();
                let _ = writeln!(out, "      {}", types.join(", "));
                if !s.software.is_empty() {
                    let _ = writeln!(out, "      SOFTWARE: {}", s.software.join("; "));
                }
                if let Some(r) = &s.realm {
                    let _ = writeln!(out, "      REALM: {r}");
                }
                if !s.mapped_addresses.is_empty() {
                    let _ = writeln!(
                        out,
                        "      mapped: {}",
                        crate::proto::record::joined(&s.mapped_addresses, ", ")
                    );
                }
                if !s.relayed_addresses.is_empty() {
                    let _ = writeln!(
                        out,
                        "      relayed: {}",
                        crate::proto::record::joined(&s.relayed_addresses, ", ")
                    );
                }
                if !s.peer_addresses.is_empty() {
                    let _ = writeln!(
                        out,
                        "      peers: {}",
                        crate::proto::record::joined(&s.peer_addresses, ", ")
                    );
                }
            }
            if let Some(t) = &f.turn {
                let _ = writeln!(
                    out,
                    "      TURN: {} ChannelData, {} Send, {} Data; carried: {}",
                    t.channel_data_frames,
                    t.send_indications,
                    t.data_indications,
                    t.carried.join(",")
                );
            }
        }
        "DTLS / TLS" => {
            if let Some(t) = &f.tls {
                let _ = writeln!(
                    out,
                    "      {} {} SNI {} ALPN {}{}",
                    t.version.map_or("version ?", |v| v.name()),
                    t.cipher.as_deref().unwrap_or(""),
                    t.sni.as_deref().unwrap_or("-"),
                    if t.alpn.is_empty() {
                        "-".to_string()
                    } else {
                        t.alpn.join(",")
                    },
                    t.srtp_profile
                        .as_ref()
                        .map(|p| format!(" use_srtp {p}"))
                        .unwrap_or_default()
                );
                if let Some(c) = &t.certificate {
                    let _ = writeln!(
                        out,
                        "      certificate: {} issued by {}{} valid {} to {}",
                        c.subject,
                        c.issuer,
                        if c.self_signed { " (self-signed)" } else { "" },
                        c.not_before,
                        c.not_after
                    );
                }
            }
        }
        "QUIC" => {
            if let Some(q) = &f.quic {
                let _ = writeln!(
                    out,
                    "      {} SNI {} ALPN {}",
                    q.versions.join(","),
                    q.sni.as_deref().unwrap_or("-"),
                    if q.alpn.is_empty() {
                        "-".to_string()
                    } else {
                        q.alpn.join(",")
                    }
                );
            }
        }
        "DNS" => {
            if let Some(d) = &f.dns {
                for q in &d.queries {
                    let answers: Vec<&str> = d
                        .answers
                        .iter()
                        .filter(|a| a.name == q.name)
                        .map(|a| a.data.as_str())
                        .collect();
                    let _ = writeln!(
                        out,
                        "      {} {} → {}",
                        q.kind,
                        q.name,
                        if answers.is_empty() {
                            "-".to_string()
                        } else {
                            answers.join(", ")
                        }
                    );
                }
            }
        }
        "Cleartext HTTP" => {
            for r in f.http.iter().flat_map(|h| &h.requests) {
                let _ = writeln!(
                    out,
                    "      {} {}{}",
                    r.method,
                    r.host.as_deref().unwrap_or(""),
                    r.path
                );
            }
        }
        _ => {}
    }
}
