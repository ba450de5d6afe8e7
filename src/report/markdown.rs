//! The Markdown report, for tickets and wikis: the compliance answer first
//! (calls and verdicts, platforms and their BAA status, critical and high
//! findings), then each call with its path, encryption evidence, ladder and
//! reasoning, then every finding with evidence and remedy, and last what a
//! capture cannot show. Same content as the HTML report.

use super::ladder;
use super::model::{Call, Report};
use crate::assess::catalogue::Severity;
use crate::assess::vendors::Baa;
use std::fmt::Write;

/// Escapes a value for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Who took part, for a calls table: the identities signaling named, or
/// the media endpoints when signaling was not visible.
pub fn who(c: &Call) -> String {
    if c.identities.is_empty() {
        c.participants.join(", ")
    } else {
        c.identities.join(", ")
    }
}

/// How much of a call's media was encrypted, for a calls table.
pub fn media_text(c: &Call) -> String {
    if c.media.is_empty() {
        return "none captured".to_string();
    }
    let encrypted = c
        .media
        .iter()
        .filter(|m| m.encrypted == crate::facts::Encrypted::Yes)
        .count();
    format!("{encrypted} of {} streams encrypted", c.media.len())
}

/// A call's bandwidth as both reports chart it.
pub struct Bandwidth {
    /// kbit/s per bin.
    pub rates: Vec<f64>,
    pub peak: f64,
    /// How long the bins cover.
    pub seconds: u64,
    /// One line: bin width, start, peak, mean, duration.
    pub caption: String,
}

/// `None` without a timeline.
pub fn bandwidth(c: &Call) -> Option<Bandwidth> {
    let t = c.timeline.as_ref().filter(|t| !t.bytes.is_empty())?;
    let rates: Vec<f64> = t
        .bytes
        .iter()
        .map(|&b| b as f64 * 8.0 / 1000.0 / t.bin_seconds as f64)
        .collect();
    let peak = rates.iter().copied().fold(0.0, f64::max);
    let seconds = rates.len() as u64 * t.bin_seconds;
    let caption = format!(
        "Bandwidth, kbit/s per {} s from {}: peak {peak:.0}, mean {:.0} over {seconds} s",
        t.bin_seconds,
        t.start,
        rates.iter().sum::<f64>() / rates.len() as f64,
    );
    Some(Bandwidth {
        rates,
        peak,
        seconds,
        caption,
    })
}

/// The platform a call ran on and its BAA status, or "not recognised".
pub fn platform_text(call: &crate::report::model::Call) -> String {
    match &call.platform {
        Some(p) => format!(
            "{} (BAA: {}; {} confidence)",
            p.name,
            p.baa.name(),
            p.confidence.name()
        ),
        None => "not recognised".to_string(),
    }
}

/// The cells of one "platforms in use" row, shared by every renderer:
/// platform (operator), BAA, calls, messaging sessions, relays and media
/// servers.
pub fn platform_row(u: &crate::report::model::PlatformUse) -> [String; 5] {
    let ids = |v: &[u64]| match v.len() {
        0 => "-".to_string(),
        n => format!(
            "{n} ({})",
            v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    let baa = match (u.baa, u.allowed) {
        (Baa::Yes, _) => format!("offers a BAA ({})", u.baa_statement),
        (Baa::No, true) => format!("no public BAA; allowed by policy ({})", u.baa_statement),
        (Baa::No, false) => format!("NO BAA ({})", u.baa_statement),
    };
    let servers: Vec<String> = u.servers.iter().map(|s| s.describe()).collect();
    [
        if u.operator.is_empty() {
            u.name.clone()
        } else {
            format!("{} ({})", u.name, u.operator)
        },
        baa,
        ids(&u.calls),
        ids(&u.messaging_sessions),
        if servers.is_empty() {
            "-".to_string()
        } else {
            servers.join("; ")
        },
    ]
}

/// Platforms recognised (by name or address) that carried nothing.
pub fn merely_contacted(
    report: &Report,
) -> impl Iterator<Item = &crate::report::model::VendorSeen> {
    let used = &report.summary.platforms;
    report
        .summary
        .vendors
        .iter()
        .filter(move |v| !used.iter().any(|u| u.name == v.name))
}

pub fn path_text(c: &Call) -> String {
    match (&c.relay, &c.server) {
        (Some(r), _) => format!(
            "relayed via {} ({}{})",
            r.address,
            r.realm
                .as_deref()
                .map(|x| format!("REALM {x}"))
                .unwrap_or_else(|| "no REALM".into()),
            r.vendor
                .as_deref()
                .map(|v| format!(", {v}"))
                .unwrap_or_default()
        ),
        (_, Some(s)) => format!(
            "server-terminated by {}{}",
            s.address,
            s.vendor
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default()
        ),
        _ => "direct".into(),
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.capture;
    let _ = writeln!(out, "# Telehealth traffic assessment\n");
    let _ = writeln!(
        out,
        "Capture: {} — {} packets, {} → {}. Generated by teleprobe {}{}.\n",
        c.files.join(", "),
        c.packets,
        c.first_timestamp.map_or("-".to_string(), |t| t.to_string()),
        c.last_timestamp.map_or("-".to_string(), |t| t.to_string()),
        report.generator.version,
        if report.generator.redacted {
            "; identifiers are pseudonymised"
        } else {
            "; identifiers shown as captured (--reveal)"
        }
    );
    let _ = writeln!(out, "## Calls and verdicts\n");
    if report.calls.is_empty() {
        let _ = writeln!(out, "No calls were found in this capture.\n");
    } else {
        let _ = writeln!(
            out,
            "| call | verdict | platform (BAA) | path | participants | media | key findings |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for call in report.calls.iter() {
            let call: &Call = &call;
            let _ = writeln!(
                out,
                "| {} | **{}** | {} | {} | {} | {} | {} |",
                call.id,
                call.verdict,
                cell(&platform_text(call)),
                cell(&path_text(call)),
                cell(&who(call)),
                media_text(call),
                cell(
                    &call
                        .findings
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Platforms in use\n");
    if report.summary.platforms.is_empty() {
        let _ = writeln!(
            out,
            "No call or messaging session ran on a known platform.\n"
        );
    } else {
        let _ = writeln!(
            out,
            "| platform | BAA | calls | messaging sessions | relays and media servers |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for u in &report.summary.platforms {
            let row = platform_row(u).map(|c| cell(&c));
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out);
    }
    let contacted: Vec<_> = merely_contacted(report).collect();
    if !contacted.is_empty() {
        let _ = writeln!(
            out,
            "Also contacted, carrying no call or messaging session:\n"
        );
    }
    for v in contacted {
        let _ = writeln!(
            out,
            "- **{}**: {}{} — {}",
            v.name,
            match v.baa {
                Baa::Yes => "offers a BAA",
                Baa::No => "offers **no** BAA",
            },
            if v.allowed { ", allowed by policy" } else { "" },
            v.seen_by.first().map(String::as_str).unwrap_or("")
        );
    }
    if !report.wireless.is_empty() {
        wireless_tables(&mut out, report);
    }
    let severe: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    let _ = writeln!(out, "\n## Critical and high findings\n");
    if severe.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for f in &severe {
        let _ = writeln!(
            out,
            "- **{}** `{}` — {}: {}",
            f.severity.name().to_uppercase(),
            f.id,
            cell(&f.subject),
            f.title
        );
    }
    for call in report.calls.iter() {
        let call: &Call = &call;
        let _ = writeln!(out, "\n## Call {}: {}\n", call.id, call.verdict);
        let _ = writeln!(out, "- Path: {}", path_text(call));
        let _ = writeln!(out, "- Time: {} → {}", call.start, call.end);
        if !call.identities.is_empty() {
            let _ = writeln!(
                out,
                "- Identities in signaling: {}",
                call.identities.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "- Media endpoints: {}",
            if call.participants.is_empty() {
                "-".to_string()
            } else {
                call.participants.join(", ")
            }
        );
        for m in &call.media {
            let _ = writeln!(
                out,
                "- Stream {} {} ({} packets): encrypted **{}** — {}",
                m.ssrc, m.direction, m.packets, m.encrypted, m.evidence
            );
        }
        if let Some(b) = bandwidth(call) {
            const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
            let spark: String = b
                .rates
                .iter()
                .map(|r| LEVELS[((r / b.peak.max(f64::MIN_POSITIVE)) * 7.0).round() as usize])
                .collect();
            let _ = writeln!(out, "\n{}:\n\n    {spark}", b.caption);
        }
        let _ = writeln!(
            out,
            "\nSequence (packet numbers as Wireshark shows them):\n\n```"
        );
        let flows = report.flows.in_memory();
        for e in ladder::events(call, flows) {
            let arrow = if e.to_client { "<--" } else { "-->" };
            let _ = writeln!(
                out,
                "{:>7}  {:>22} {arrow} {:<32} {}",
                e.packet, e.client, e.label, e.server
            );
        }
        let _ = writeln!(out, "```\n\nReasoning:\n");
        for (i, step) in call.reasoning.iter().enumerate() {
            let refs: Vec<String> = step.evidence.iter().map(|e| e.place()).collect();
            let _ = writeln!(
                out,
                "{}. {}{}",
                i + 1,
                step.step,
                if refs.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", refs.join("; "))
                }
            );
        }
    }
    let _ = writeln!(out, "\n## All findings\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for f in &report.findings {
        let _ = writeln!(
            out,
            "### {} `{}` — {}\n",
            f.severity.name().to_uppercase(),
            f.id,
            cell(&f.subject)
        );
        let _ = writeln!(out, "{}\n", f.explanation);
        let _ = writeln!(out, "- Reference: {}", f.reference);
        let _ = writeln!(out, "- Remedy: {}", f.remedy);
        for (k, v) in &f.values {
            let _ = writeln!(out, "- {k}: {v}");
        }
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "- Evidence: {} ({} → {}): {}",
                e.place(),
                e.first_timestamp,
                e.last_timestamp,
                e.detail
            );
        }
        if f.more_evidence > 0 {
            let _ = writeln!(out, "- and {} more occurrences", f.more_evidence);
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## What a capture cannot show\n");
    let limits = capture_limits(report);
    if limits.is_empty() {
        let _ = writeln!(
            out,
            "- whether any party stores recordings, transcripts or metadata\n- the contracts (BAAs) in place with the vendors involved"
        );
    }
    for l in limits {
        let _ = writeln!(out, "- {l}");
    }
    let _ = writeln!(out, "\n## Evidence\n");
    for line in evidence_lines(report) {
        let _ = writeln!(out, "- {line}");
    }
    out
}

/// The evidence block as lines people read: what to recompute with
/// `sha256sum`, which data judged, how to check the signature.
/// What the calls' captures cannot show, each once, sorted.
pub fn capture_limits(report: &Report) -> Vec<String> {
    let mut limits: Vec<String> = report
        .calls
        .iter()
        .flat_map(|c| c.cannot_show.clone())
        .collect();
    limits.sort();
    limits.dedup();
    limits
}

pub fn evidence_lines(report: &Report) -> Vec<String> {
    let e = &report.evidence;
    let mut lines: Vec<String> = e
        .captures
        .iter()
        .map(|c| {
            format!(
                "capture {}: {} bytes, SHA-256 {}",
                c.path, c.bytes, c.sha256
            )
        })
        .collect();
    for i in &e.inputs {
        lines.push(format!("{} ({}): SHA-256 {}", i.kind, i.source, i.sha256));
    }
    lines.push(format!("tool: {} {}", e.tool.name, e.tool.version));
    if let Some(c) = &e.pseudonym_key_commitment {
        lines.push(format!("pseudonym key commitment: {c}"));
    }
    lines.push(match e.signature.as_str() {
        "none" => "signature: none (sign reports with --sign KEY; check them with teleprobe verify)".into(),
        _ => "signature: minisign, in FILE.minisig beside this report (teleprobe verify -p KEY.pub FILE)".into(),
    });
    lines
}

/// The "Wireless networks" and "Wireless clients" tables.
fn wireless_tables(out: &mut String, report: &Report) {
    use super::wireless::{CLIENT_COLUMNS, NETWORK_COLUMNS, client_row, network_row};
    let _ = writeln!(out, "\n## Wireless networks\n");
    let _ = writeln!(out, "| {} |", NETWORK_COLUMNS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(NETWORK_COLUMNS.len()));
    for n in &report.wireless.networks {
        let row = network_row(&report.findings, n).map(|c| cell(&c));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    if !report.wireless.clients.is_empty() {
        let _ = writeln!(out, "\n### Wireless clients\n");
        let _ = writeln!(out, "| {} |", CLIENT_COLUMNS.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(CLIENT_COLUMNS.len()));
        for c in &report.wireless.clients {
            let row = client_row(&report.findings, c).map(|c| cell(&c));
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
    }
}
