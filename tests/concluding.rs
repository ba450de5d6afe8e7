//! Calls concluded while the capture runs (their flows let go, so memory
//! holds only the calls still open) must be the calls the end of the
//! capture would conclude: on every shipped and shared capture, with short
//! idle timeouts so calls settle inside them, concluding at every look
//! gives the same calls, verdicts and findings as never concluding early,
//! and the pipeline on a worker thread the same report as on one.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use teleprobe::flow::Timeouts;
use teleprobe::session::{Options, analyze_source};
use teleprobe::source::{ReadAhead, open_files};

const S: i64 = 1_000_000_000;

fn report(path: &str, conclude_at: usize, threads: usize) -> Value {
    analysis(path, conclude_at, threads).0
}

/// The report, and how many calls were concluded while the capture ran.
fn analysis(path: &str, conclude_at: usize, threads: usize) -> (Value, usize) {
    let options = Options {
        reveal: true,
        threads,
        timeouts: Timeouts {
            udp: 5 * S,
            tcp: 30 * S,
        },
        conclude_at: Some(conclude_at),
        ..Options::default()
    };
    let mut source = open_files(&[path.to_string()]).unwrap();
    if threads >= 2 {
        source = Box::new(ReadAhead::new(source));
    }
    let analysis = analyze_source(source, &[path.to_string()], &options, None);
    (
        serde_json::to_value(&analysis.report).unwrap(),
        analysis.calls_concluded_early,
    )
}

/// Replaces "call N" by the call's first flows, in every string: calls
/// concluded early are numbered in the order they settled.
fn renumber(v: &mut Value, names: &BTreeMap<u64, String>) {
    match v {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("call ") {
                out.push_str(&rest[..i + 5]);
                rest = &rest[i + 5..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                match rest[..digits]
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| names.get(&n))
                {
                    Some(name) => out.push_str(name),
                    None => out.push_str(&rest[..digits]),
                }
                rest = &rest[digits..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(a) => a.iter_mut().for_each(|x| renumber(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| renumber(x, names)),
        _ => {}
    }
}

/// The calls (keyed by their legs) and findings (sorted), numbering aside.
fn conclusions(mut report: Value) -> (BTreeMap<String, Value>, Vec<Value>) {
    let mut names = BTreeMap::new();
    for call in report["calls"].as_array().unwrap() {
        let legs: Vec<String> = call["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["flow"].to_string())
            .collect();
        names.insert(
            call["id"].as_u64().unwrap(),
            format!("[{}]", legs.join(",")),
        );
    }
    renumber(&mut report, &names);
    let mut calls = BTreeMap::new();
    for mut call in report["calls"].as_array().unwrap().clone() {
        call["id"] = Value::Null;
        let key = format!("{}", call["legs"]);
        assert!(
            calls.insert(key, call).is_none(),
            "two calls of the same legs"
        );
    }
    let mut findings: Vec<Value> = report["findings"].as_array().unwrap().clone();
    for f in &mut findings {
        // Evidence is added as flows end and as calls conclude: its order
        // may differ, not its content.
        if let Some(ev) = f["evidence"].as_array_mut() {
            ev.sort_by_key(|e| e.to_string());
        }
    }
    findings.sort_by_key(|f| f.to_string());
    (calls, findings)
}

/// Whether the call's traffic paused for 4 seconds or more (its
/// timeline counts bytes per second).
fn pauses(call: &Value) -> bool {
    let bytes = call["timeline"]["bytes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut quiet = 0;
    for b in bytes {
        quiet = if b.as_u64() == Some(0) { quiet + 1 } else { 0 };
        if quiet >= 4 {
            return true;
        }
    }
    false
}

fn captures() -> Vec<String> {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut captures = Vec::new();
    for dir in [Some(shipped), common::corpus_dir()].into_iter().flatten() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path().to_string_lossy().to_string();
            if path.ends_with(".pcap") || path.ends_with(".pcapng") {
                captures.push(path);
            }
        }
    }
    captures.sort();
    captures
}

#[test]
fn calls_concluded_early_are_the_calls_the_end_concludes() {
    let (mut compared, mut concluded_early, mut paused) = (0, 0, 0);
    for path in captures() {
        let at_end = report(&path, usize::MAX, 1);
        let (early, concluded) = analysis(&path, 0, 1);
        // A call quiet for a UDP timeout inside has ended, when concluded
        // early: with 5-second timeouts, some captures' calls pause longer.
        if at_end["calls"].as_array().unwrap().iter().any(pauses) {
            paused += 1;
            continue;
        }
        let (calls_at_end, findings_at_end) = conclusions(at_end.clone());
        let (calls_early, findings_early) = conclusions(early.clone());
        let mut differences = Vec::new();
        for (key, call) in &calls_at_end {
            match calls_early.get(key) {
                None => differences.push(format!("only at the end: call {key}")),
                Some(early) if early != call => {
                    for (field, value) in call.as_object().unwrap() {
                        if early[field] != *value {
                            differences.push(format!(
                                "call {key}: {field} {value}, early {}",
                                early[field]
                            ));
                        }
                    }
                }
                Some(_) => {}
            }
        }
        for key in calls_early
            .keys()
            .filter(|k| !calls_at_end.contains_key(*k))
        {
            differences.push(format!("only early: call {key}"));
        }
        for f in findings_at_end
            .iter()
            .filter(|f| !findings_early.contains(f))
        {
            differences.push(format!("finding only at the end: {f}"));
        }
        for f in findings_early
            .iter()
            .filter(|f| !findings_at_end.contains(f))
        {
            differences.push(format!("finding only early: {f}"));
        }
        assert!(
            differences.is_empty(),
            "{path}: concluding early changed\n{}",
            differences.join("\n")
        );
        concluded_early += concluded;
        compared += calls_at_end.len();
    }
    eprintln!(
        "{compared} calls compared, {concluded_early} concluded early, \
         {paused} captures with pausing calls left out"
    );
    assert!(compared > 100, "{compared} calls compared");
    assert!(
        concluded_early > 50,
        "{concluded_early} calls concluded early"
    );
    assert!(paused < 10, "{paused} captures left out");
}

#[test]
fn a_worker_thread_concludes_the_same_calls() {
    for path in captures() {
        assert!(
            report(&path, 0, 1) == report(&path, 0, 2),
            "{path}: the reports differ"
        );
    }
}

/// JSON lines streamed while calls are concluded during the capture hold
/// each of the report's calls once, with its legs and verdict.
#[test]
fn streamed_calls_are_the_reports_when_concluded_early() {
    use teleprobe::output::jsonl::JsonlWriter;
    let mut streamed_calls = 0;
    for path in captures() {
        let options = Options {
            reveal: true,
            timeouts: Timeouts {
                udp: 5 * S,
                tcp: 30 * S,
            },
            conclude_at: Some(0),
            ..Options::default()
        };
        let mut lines: Vec<u8> = Vec::new();
        let analysis = {
            let mut writer = JsonlWriter::new(Box::new(&mut lines), options.timeouts);
            let source = open_files(std::slice::from_ref(&path)).unwrap();
            analyze_source(
                source,
                std::slice::from_ref(&path),
                &options,
                Some(&mut writer),
            )
        };
        let key = |c: &Value| (c["legs"].to_string(), c["verdict"].to_string());
        let mut in_report: Vec<_> = serde_json::to_value(&analysis.report.calls)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(key)
            .collect();
        let mut in_lines: Vec<_> = std::str::from_utf8(&lines)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == "call")
            .map(|v| key(&v))
            .collect();
        in_report.sort();
        in_lines.sort();
        assert_eq!(in_lines, in_report, "{path}");
        streamed_calls += in_lines.len();
    }
    assert!(streamed_calls > 100, "{streamed_calls}");
}

/// A run with its concluded calls written out to the temporary file as
/// each comes (and read back for every output) against one holding them
/// in memory: every format renders the same bytes, and nothing read back
/// skips pseudonymisation.
#[test]
fn calls_written_out_come_back_as_they_were() {
    use teleprobe::output::format::{Format, render};
    let run = |path: &str, reveal: bool, held: Option<usize>| {
        let options = Options {
            reveal,
            timeouts: Timeouts {
                udp: 5 * S,
                tcp: 30 * S,
            },
            conclude_at: Some(0),
            calls_held: held,
            ..Options::default()
        };
        let source = open_files(&[path.to_string()]).unwrap();
        analyze_source(source, &[path.to_string()], &options, None)
    };
    let (mut written, mut calls) = (0, 0);
    for path in captures() {
        let held = run(&path, true, None);
        let out = run(&path, true, Some(0));
        assert_eq!(held.report.calls.written(), 0, "{path}");
        assert_eq!(out.report.calls.written(), out.report.calls.len(), "{path}");
        written += out.report.calls.written();
        calls += held.report.calls.len();
        for format in [Format::Json, Format::Md, Format::Html, Format::Ocsf] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            render(format, &held.report, &held.redactor, &mut a).unwrap();
            render(format, &out.report, &out.redactor, &mut b).unwrap();
            assert!(
                a == b,
                "{path}: {format:?} differs with calls written out\n{}\n---\n{}",
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b)
            );
        }
        assert_eq!(
            teleprobe::report::summary::render(&held.report),
            teleprobe::report::summary::render(&out.report),
            "{path}: the text summary differs"
        );
        assert_eq!(out.report.calls.read_error(), None);
        // Pseudonymised: no address of a call's legs, read back from the
        // file, reaches the report as captured.
        let real: std::collections::HashSet<String> = held
            .report
            .calls
            .iter()
            .flat_map(|c| {
                c.legs
                    .iter()
                    .flat_map(|l| [l.client.clone(), l.server.clone()])
                    .collect::<Vec<_>>()
            })
            .filter_map(|a| a.parse::<std::net::SocketAddr>().ok())
            .map(|a| a.ip().to_string())
            .collect();
        let hidden = run(&path, false, Some(0));
        // Addresses in the clinic's own networks are shown as they are.
        let real: std::collections::HashSet<String> = real
            .into_iter()
            .filter(|a| {
                let ip: std::net::IpAddr = a.parse().unwrap();
                hidden.redactor.address(ip) != ip
            })
            .collect();
        let mut text = Vec::new();
        render(Format::Json, &hidden.report, &hidden.redactor, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let shown: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|t| real.contains(*t))
            .collect();
        assert!(shown.is_empty(), "{path}: {shown:?} shown as captured");
    }
    eprintln!("{calls} calls, {written} written out and read back");
    assert!(written > 100, "{written} calls written out");
}

/// Flows written out to the temporary file are copied into the JSON
/// report without a second parse: the report must hold them exactly as
/// when they were kept (in the order they ended rather than by id).
#[test]
fn flows_written_out_come_back_as_they_were() {
    use teleprobe::output::format::{Format, render};
    let json = |path: &str, flows_held: Option<usize>| {
        let options = Options {
            reveal: true,
            flows_held,
            ..Options::default()
        };
        let source = open_files(&[path.to_string()]).unwrap();
        let analysis = analyze_source(source, &[path.to_string()], &options, None);
        let mut out = Vec::new();
        render(Format::Json, &analysis.report, &analysis.redactor, &mut out).unwrap();
        let mut report: Value = serde_json::from_slice(&out).unwrap();
        let flows = report["flows"].as_array_mut().unwrap();
        flows.sort_by_key(|f| f["id"].as_u64());
        (report, analysis.report.flows.spilled())
    };
    let mut written = 0;
    for path in captures() {
        let (kept, none) = json(&path, None);
        let (out, spilled) = json(&path, Some(0));
        assert_eq!(none, 0, "{path}");
        written += spilled;
        assert!(kept == out, "{path}: flows written out differ");
    }
    assert!(written > 1_000, "only {written} flows were written out");
}
