//! The HTML report: one self-contained file (inline CSS and SVG, no
//! scripts, fonts or fetches) with the same content as the Markdown report,
//! a first screen that answers the compliance question, and a sequence
//! diagram per call. Prints cleanly to PDF.

use super::ladder;
use super::markdown::{bandwidth, media_text, path_text, who};
use super::model::{Call, FlowRecord, Report};
use crate::assess::catalogue::Severity;
use crate::assess::vendors::Baa;
use std::fmt::Write;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d2330;margin:2em auto;max-width:1100px;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #dde3ea;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #dde3ea;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f3f6f9}.verdict{font-weight:700;padding:.1em .45em;border-radius:3px;color:#fff;white-space:nowrap}
.exposed{background:#c62828}.intermediary-can-access{background:#b26a00}.conduit-consistent{background:#2e7d32}.indeterminate{background:#607080}
.sev{font-weight:700}.critical{color:#c62828}.high{color:#d84315}.medium{color:#b26a00}.low{color:#1565c0}.info{color:#607080}
.meta{color:#607080}.card{border:1px solid #dde3ea;border-radius:6px;padding:.8em 1em;margin:1em 0;page-break-inside:avoid}
svg{max-width:100%;height:auto}svg text{font:11px monospace}code{background:#f3f6f9;padding:0 .2em}
@media print{body{margin:0;max-width:none}.card{border-color:#999}}
";

fn verdict(v: &str) -> String {
    format!(
        "<span class=\"verdict {v}\">{}</span>",
        esc(&v.to_uppercase())
    )
}

/// The call's ladder as an SVG sequence diagram: one lifeline per endpoint.
fn sequence_svg(call: &Call, flows: &[FlowRecord]) -> String {
    let events = ladder::events(call, flows);
    let mut lanes: Vec<String> = Vec::new();
    for e in &events {
        for end in [&e.client, &e.server] {
            if !lanes.contains(end) {
                lanes.push(end.clone());
            }
        }
    }
    if events.is_empty() {
        return String::new();
    }
    let (lane_w, row_h, top) = (230.0, 22.0, 40.0);
    let width = 90.0 + lane_w * lanes.len() as f64;
    let height = top + row_h * (events.len() as f64 + 1.0);
    let x = |addr: &str| {
        90.0 + lane_w * (lanes.iter().position(|l| l == addr).unwrap_or(0) as f64 + 0.5)
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"sequence diagram of call {}\">",
        call.id
    );
    for lane in &lanes {
        let lx = x(lane);
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"20\" text-anchor=\"middle\">{}</text><line x1=\"{lx}\" y1=\"28\" x2=\"{lx}\" y2=\"{height}\" stroke=\"#9aa5b1\" stroke-dasharray=\"4 3\"/>",
            esc(lane)
        );
    }
    for (i, e) in events.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.7);
        let (from, to) = if e.to_client {
            (x(&e.server), x(&e.client))
        } else {
            (x(&e.client), x(&e.server))
        };
        let color = if e.label.starts_with("RTP ") {
            "#c62828"
        } else if e.label.starts_with("SRTP") {
            "#2e7d32"
        } else {
            "#1d2330"
        };
        let head = if to > from { to - 7.0 } else { to + 7.0 };
        // A label wider than its arrow is cut (11px monospace: about 6.6px
        // a character); the whole text stays in the tooltip.
        let fits = (((to - from).abs() - 10.0) / 6.6).max(8.0) as usize;
        let shown: String = if e.label.chars().count() > fits {
            e.label.chars().take(fits - 1).chain(['…']).collect()
        } else {
            e.label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"6\" y=\"{y}\" fill=\"#607080\">pkt {}</text><line x1=\"{from}\" y1=\"{y}\" x2=\"{to}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"1.4\"/><polygon points=\"{to},{y} {head},{} {head},{}\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{color}\"><title>{}</title>{}</text>",
            e.packet,
            y - 4.0,
            y + 4.0,
            (from + to) / 2.0,
            y - 5.0,
            esc(&e.label),
            esc(&shown)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The call's bandwidth over time as an SVG bar chart.
fn bandwidth_svg(call: &Call) -> String {
    let Some(super::markdown::Bandwidth {
        rates,
        peak,
        seconds,
        caption,
    }) = bandwidth(call)
    else {
        return String::new();
    };
    let (left, top, plot_w, plot_h) = (90.0, 10.0, 640.0, 90.0);
    let (width, height) = (left + plot_w + 10.0, top + plot_h + 24.0);
    let bar = plot_w / rates.len() as f64;
    let mut svg = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"bandwidth of call {}\"><line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#9aa5b1\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{peak:.0} kbit/s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text><text x=\"{left}\" y=\"{}\">+0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">+{seconds} s</text>",
        call.id,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        left - 6.0,
        top + 9.0,
        left - 6.0,
        top + plot_h,
        top + plot_h + 16.0,
        left + plot_w,
        top + plot_h + 16.0,
    );
    for (i, r) in rates.iter().enumerate() {
        let h = if peak > 0.0 { plot_h * r / peak } else { 0.0 };
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4a78a8\"><title>{r:.1} kbit/s</title></rect>",
            left + bar * i as f64 + 0.5,
            top + plot_h - h,
            (bar - 1.0).max(0.5),
        );
    }
    let _ = write!(
        svg,
        "</svg><figcaption class=\"meta\">{}</figcaption></figure>",
        esc(&caption)
    );
    svg
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.capture;
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Telehealth traffic assessment</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>Telehealth traffic assessment</h1><p class=\"meta\">{} — {} packets, {} → {}. teleprobe {}{}.</p>",
        esc(&c.files.join(", ")),
        c.packets,
        esc(&c.first_timestamp.map_or("-".to_string(), |t| t.to_string())),
        esc(&c.last_timestamp.map_or("-".to_string(), |t| t.to_string())),
        esc(report.generator.version),
        if report.generator.redacted {
            "; identifiers are pseudonymised"
        } else {
            "; identifiers shown as captured"
        }
    );
    // First screen: the compliance answer.
    let _ = write!(out, "<h2>Calls and verdicts</h2>");
    if report.calls.is_empty() {
        let _ = write!(out, "<p>No calls were found in this capture.</p>");
    } else {
        let _ = write!(
            out,
            "<table><tr><th>Call</th><th>Verdict</th><th>Platform (BAA)</th><th>Path</th><th>Participants</th><th>Media</th><th>Why</th></tr>"
        );
        for call in report.calls.iter() {
            let call: &Call = &call;
            let why = call.reasoning.last().map(|s| s.step.as_str()).unwrap_or("");
            let _ = write!(
                out,
                "<tr><td><a href=\"#call-{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                call.id,
                call.id,
                verdict(call.verdict.name()),
                esc(&super::markdown::platform_text(call)),
                esc(&path_text(call)),
                esc(&who(call)),
                media_text(call),
                esc(why)
            );
        }
        let _ = write!(out, "</table>");
    }
    let _ = write!(out, "<h2>Platforms in use</h2>");
    if report.summary.platforms.is_empty() {
        let _ = write!(
            out,
            "<p>No call or messaging session ran on a known platform.</p>"
        );
    } else {
        let _ = write!(
            out,
            "<table><tr><th>Platform</th><th>BAA</th><th>Calls</th><th>Messaging sessions</th><th>Relays and media servers</th></tr>"
        );
        for u in &report.summary.platforms {
            let row = super::markdown::platform_row(u);
            let baa = if u.baa == Baa::No && !u.allowed {
                format!("<b class=\"critical\">{}</b>", esc(&row[1]))
            } else {
                esc(&row[1])
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{baa}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&row[0]),
                esc(&row[2]),
                esc(&row[3]),
                esc(&row[4])
            );
        }
        let _ = write!(out, "</table>");
    }
    if !report.wireless.is_empty() {
        wireless_tables(&mut out, report);
    }
    let contacted: Vec<_> = super::markdown::merely_contacted(report).collect();
    if !contacted.is_empty() {
        let _ = write!(
            out,
            "<p>Also contacted, carrying no call or messaging session:</p><table><tr><th>Platform</th><th>BAA</th><th>Recognised by</th></tr>"
        );
        for v in contacted {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                esc(&v.name),
                match v.baa {
                    Baa::Yes => "offers a BAA",
                    Baa::No => "<b class=\"critical\">offers no BAA</b>",
                },
                if v.allowed {
                    " (allowed by policy)"
                } else {
                    ""
                },
                esc(&v.seen_by.join("; "))
            );
        }
        let _ = write!(out, "</table>");
    }
    let severe: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    let _ = write!(out, "<h2>Critical and high findings</h2>");
    if severe.is_empty() {
        let _ = write!(out, "<p>None.</p>");
    } else {
        let _ = write!(out, "<ul>");
        for f in &severe {
            let _ = write!(
                out,
                "<li><span class=\"sev {}\">{}</span> <a href=\"#finding-{}\"><code>{}</code></a> {} — {}</li>",
                f.severity.name(),
                f.severity.name().to_uppercase(),
                esc(f.id.name()),
                esc(f.id.name()),
                esc(&f.subject),
                esc(f.title)
            );
        }
        let _ = write!(out, "</ul>");
    }
    // Per call.
    let flows = report.flows.in_memory();
    for call in report.calls.iter() {
        let call: &Call = &call;
        let _ = write!(
            out,
            "<div class=\"card\" id=\"call-{}\"><h2>Call {} {}</h2>",
            call.id,
            call.id,
            verdict(call.verdict.name())
        );
        let _ = write!(
            out,
            "<p>Path: {}<br>Time: {} → {}</p>",
            esc(&path_text(call)),
            esc(&call.start.to_string()),
            esc(&call.end.to_string())
        );
        if !call.media.is_empty() {
            let _ = write!(
                out,
                "<table><tr><th>Stream</th><th>Direction</th><th>Packets</th><th>Encrypted</th><th>Evidence</th></tr>"
            );
            for m in &call.media {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&m.ssrc),
                    m.direction,
                    m.packets,
                    m.encrypted,
                    esc(&m.evidence)
                );
            }
            let _ = write!(out, "</table>");
        }
        let _ = write!(out, "{}", bandwidth_svg(call));
        let _ = write!(out, "{}", sequence_svg(call, flows));
        let _ = write!(out, "<ol>");
        for step in &call.reasoning {
            let refs: Vec<String> = step.evidence.iter().map(|e| e.place()).collect();
            let _ = write!(
                out,
                "<li>{}{}</li>",
                esc(&step.step),
                if refs.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"meta\">({})</span>", esc(&refs.join("; ")))
                }
            );
        }
        let _ = write!(out, "</ol></div>");
    }
    let _ = write!(out, "<h2>All findings</h2>");
    if report.findings.is_empty() {
        let _ = write!(out, "<p>None.</p>");
    }
    for f in &report.findings {
        let _ = write!(
            out,
            "<div class=\"card\" id=\"finding-{}\"><b class=\"sev {}\">{}</b> <code>{}</code> — {}<p>{}</p><p><b>Reference:</b> {}<br><b>Remedy:</b> {}</p><ul>",
            esc(f.id.name()),
            f.severity.name(),
            f.severity.name().to_uppercase(),
            esc(f.id.name()),
            esc(&f.subject),
            esc(f.explanation),
            esc(f.reference),
            esc(f.remedy)
        );
        for e in &f.evidence {
            let _ = write!(out, "<li>{}: {}</li>", esc(&e.place()), esc(&e.detail));
        }
        let _ = write!(out, "</ul></div>");
    }
    let _ = write!(out, "<h2>What a capture cannot show</h2><ul>");
    let limits = super::markdown::capture_limits(report);
    for l in limits {
        let _ = write!(out, "<li>{}</li>", esc(&l));
    }
    let _ = write!(
        out,
        "<li>anything outside this capture's time window and capture point</li></ul><h2>Evidence</h2><ul>"
    );
    for line in super::markdown::evidence_lines(report) {
        let _ = write!(out, "<li>{}</li>", esc(&line));
    }
    let _ = writeln!(out, "</ul></body></html>");
    out
}

/// The "Wireless networks" and "Wireless clients" tables; open and WEP
/// networks are marked critical.
fn wireless_tables(out: &mut String, report: &Report) {
    use super::wireless::{CLIENT_COLUMNS, NETWORK_COLUMNS, client_row, network_row};
    let head = |columns: &[&str]| {
        columns
            .iter()
            .map(|c| format!("<th>{}</th>", esc(c)))
            .collect::<String>()
    };
    let _ = write!(
        out,
        "<h2>Wireless networks</h2><table><tr>{}</tr>",
        head(&NETWORK_COLUMNS)
    );
    for n in &report.wireless.networks {
        let row = network_row(&report.findings, n);
        let cells: String = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 1 && matches!(n.class, "open" | "wep") {
                    format!("<td><b class=\"critical\">{}</b></td>", esc(c))
                } else {
                    format!("<td>{}</td>", esc(c))
                }
            })
            .collect();
        let _ = write!(out, "<tr>{cells}</tr>");
    }
    let _ = write!(out, "</table>");
    if !report.wireless.clients.is_empty() {
        let _ = write!(
            out,
            "<h3>Wireless clients</h3><table><tr>{}</tr>",
            head(&CLIENT_COLUMNS)
        );
        for c in &report.wireless.clients {
            let cells: String = client_row(&report.findings, c)
                .iter()
                .map(|c| format!("<td>{}</td>", esc(c)))
                .collect();
            let _ = write!(out, "<tr>{cells}</tr>");
        }
        let _ = write!(out, "</table>");
    }
}
