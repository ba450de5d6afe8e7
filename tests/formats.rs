//! The report formats: HTML (self-contained), Markdown, JSONL and OCSF,
//! each checked for its content, its structure, and that planted
//! identifiers never appear in it without --reveal.

mod common;

use common::*;

const PLANTED: [&str; 5] = [
    "Jane Patient",
    "Dr Alex Smith",
    "+15551234567",
    "jane.patient@clinic.example",
    "inline:",
];

fn write(format_ext: &str, captures: &[&str], extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("report.{format_ext}"));
    let mut args = vec!["analyze", "--quiet", "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let paths: Vec<String> = captures
        .iter()
        .map(|c| capture(c).to_string_lossy().to_string())
        .collect();
    args.extend(paths.iter().map(String::as_str));
    run_ok(&args);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn html_is_self_contained_and_answers_first() {
    let html = write(
        "html",
        &["sip-rtp-cleartext.pcap", "webrtc-aiortc-turn.pcap"],
        &[],
    );
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for forbidden in ["<script", "<link", "src=", "url(", "@import"] {
        assert!(
            !html.contains(forbidden),
            "{forbidden} makes the page fetch or run something"
        );
    }
    // Only the SVG namespace may look like a URL.
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    let first_screen = &html[..html.find("id=\"call-1\"").unwrap()];
    assert!(
        first_screen.contains("verdict exposed")
            && first_screen.contains("verdict conduit-consistent")
    );
    assert!(first_screen.contains("relayed via 127.0.0.1:3478"));
    assert!(
        first_screen.contains("media-cleartext"),
        "critical findings on the first screen"
    );
    assert!(
        html.matches("<svg").count() >= 2,
        "a sequence diagram per call"
    );
    assert!(html.contains("INVITE") && html.contains("What a capture cannot show"));
    for p in PLANTED {
        assert!(!html.contains(p), "{p} leaked");
    }
}

#[test]
fn markdown_has_the_same_content() {
    let md = write("md", &["sip-rtp-cleartext.pcap"], &[]);
    assert!(md.starts_with("# Telehealth traffic assessment"));
    assert!(
        md.contains("| 1 | **exposed** | not recognised | direct |"),
        "{md}"
    );
    assert!(md.contains("### CRITICAL `media-cleartext`"));
    assert!(md.contains("-->") && md.contains("INVITE"), "the ladder");
    assert!(md.contains("Reference: 45 CFR 164.312(e)(1)"));
    assert!(md.contains("Bandwidth, kbit/s per 1 s from") && md.contains('█'));
    for p in PLANTED {
        assert!(!md.contains(p), "{p} leaked");
    }
    let revealed = write("md", &["sip-rtp-cleartext.pcap"], &["--reveal"]);
    assert!(revealed.contains("Jane Patient"));
}

#[test]
fn jsonl_lines_are_the_calls_and_findings() {
    let text = write(
        "jsonl",
        &["sip-rtp-cleartext.pcap", "webrtc-aiortc.pcap"],
        &[],
    );
    let report = report_json_with(&capture("sip-rtp-cleartext.pcap"), &[]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let calls = lines.iter().filter(|l| l["type"] == "call").count();
    let findings = lines.iter().filter(|l| l["type"] == "finding").count();
    assert_eq!(calls, 2);
    assert_eq!(
        findings,
        report["findings"].as_array().unwrap().len(),
        "the WebRTC call adds no finding"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "call" && l["verdict"] == "conduit-consistent")
    );
    for p in PLANTED {
        assert!(!text.contains(p), "{p} leaked");
    }
}

#[test]
fn jsonl_writes_each_call_when_it_concludes_not_at_the_end() {
    // Two captures three minutes apart, read as one: with a 2 s UDP timeout
    // the SIP call has settled long before the WebRTC call begins, so its
    // line and its findings come before anything of the second capture.
    let captures = ["sip-rtp-cleartext.pcap", "webrtc-aiortc-turn.pcap"];
    let extra = ["--udp-timeout", "2"];
    let text = write("jsonl", &captures, &extra);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| match l["type"].as_str().unwrap() {
            "call" => format!("call {}", l["verdict"].as_str().unwrap()),
            "checkpoint" => "checkpoint".to_string(),
            _ => l["id"].as_str().unwrap().to_string(),
        })
        .collect();
    let sip_call = kinds.iter().position(|k| k == "call exposed").unwrap();
    let relay = kinds.iter().position(|k| k == "relay-third-party").unwrap();
    assert!(sip_call < relay, "{kinds:?}");
    let last_sip_finding = kinds
        .iter()
        .rposition(|k| k == "media-cleartext" || k == "rtcp-sdes-exposed")
        .unwrap();
    assert!(last_sip_finding < relay, "{kinds:?}");
    assert_eq!(
        lines[0]["type"], "finding",
        "findings settle with their flows"
    );
    // The same calls and findings as the JSON report, each once.
    let mut args = vec!["--json"];
    args.extend(extra);
    let merged: Vec<String> = captures
        .iter()
        .map(|c| capture(c).to_string_lossy().to_string())
        .collect();
    let mut run_args = vec!["analyze", "--quiet"];
    run_args.extend(args);
    run_args.extend(merged.iter().map(String::as_str));
    let report: serde_json::Value = serde_json::from_slice(&run(&run_args).stdout).unwrap();
    let key = |v: &serde_json::Value| format!("{}|{}", v["id"], v["subject"]);
    let mut streamed: Vec<String> = lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(key)
        .collect();
    let mut reported: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    streamed.sort();
    reported.sort();
    assert_eq!(streamed, reported);
    let verdicts = |calls: Vec<&serde_json::Value>| -> Vec<(u64, String)> {
        calls
            .iter()
            .map(|c| {
                (
                    c["id"].as_u64().unwrap(),
                    c["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        verdicts(lines.iter().filter(|l| l["type"] == "call").collect()),
        verdicts(report["calls"].as_array().unwrap().iter().collect())
    );
}

#[test]
fn ocsf_detection_findings_have_the_required_attributes() {
    let text = write(
        "ocsf",
        &["sip-rtp-cleartext.pcap", "tls-versions.pcapng"],
        &[],
    );
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 11);
    for e in &events {
        // Required by OCSF 1.1 for Detection Finding (2004) and its base event.
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["activity_id"], 1);
        assert_eq!(e["type_uid"], 200401);
        assert!((1..=5).contains(&e["severity_id"].as_u64().unwrap()));
        assert!(
            e["time"].as_i64().unwrap() > 1_700_000_000_000,
            "epoch milliseconds"
        );
        assert_eq!(e["metadata"]["product"]["name"], "teleprobe");
        assert!(e["metadata"]["version"].is_string());
        assert!(e["finding_info"]["uid"].is_string() && e["finding_info"]["title"].is_string());
        let ev = &e["evidences"][0];
        assert!(
            ev["src_endpoint"]["ip"].is_string() && ev["dst_endpoint"]["port"].is_u64(),
            "{ev}"
        );
    }
    let critical = events.iter().filter(|e| e["severity_id"] == 5).count();
    assert_eq!(critical, 2, "the two cleartext RTP streams");
    for p in PLANTED {
        assert!(!text.contains(p), "{p} leaked");
    }
}
