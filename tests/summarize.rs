//! `teleprobe summarize` over several captures equals their reports added
//! up by hand, whether it reads the JSON reports or the Parquet tables.
#![cfg(feature = "tables")]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The sample captures, plus a public one with Google Meet calls (a vendor)
/// when the shared corpus is present.
fn inputs() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = [
        "sip-rtp-cleartext.pcap",
        "sip-sdes-srtp.pcap",
        "webrtc-aiortc-turn.pcap",
        "tls-versions.pcapng",
    ]
    .iter()
    .map(|n| capture(n))
    .collect();
    let meet = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/ndpi/stun_dtls_rtp.pcapng");
    if meet.exists() {
        paths.push(meet);
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the shared corpus must be present in CI"
        );
    }
    paths
}

/// Analyses each capture into `reports/NAME.json` and `tables/NAME/`.
fn analyze_all(root: &Path) -> Vec<Value> {
    let (reports, tables) = (root.join("reports"), root.join("tables"));
    std::fs::create_dir_all(&reports).unwrap();
    inputs()
        .iter()
        .map(|capture| {
            let name = capture.file_stem().unwrap().to_str().unwrap();
            let json = reports.join(format!("{name}.json"));
            run_ok(&[
                "analyze",
                "--quiet",
                "-o",
                json.to_str().unwrap(),
                "--parquet",
                tables.join(name).to_str().unwrap(),
                capture.to_str().unwrap(),
            ]);
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
        })
        .collect()
}

fn summarize(paths: &[&Path]) -> Value {
    let mut args = vec!["summarize", "--json"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    serde_json::from_slice(&run_ok(&args)).unwrap()
}

fn flow_bytes(f: &Value) -> u64 {
    f["client_to_server"]["bytes"].as_u64().unwrap()
        + f["server_to_client"]["bytes"].as_u64().unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// A summary table as a map from its key column to the chosen columns.
fn keyed(rows: &Value, key: &str, columns: &[&str]) -> BTreeMap<String, Vec<u64>> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[key].as_str().unwrap().to_string(),
                columns.iter().map(|c| u(&r[*c])).collect(),
            )
        })
        .collect()
}

#[test]
fn summary_equals_the_reports_added_by_hand() {
    let root = tempfile::tempdir().unwrap();
    let reports = analyze_all(root.path());
    let from_reports = summarize(&[&root.path().join("reports")]);
    let from_tables = summarize(&[&root.path().join("tables")]);

    // The same numbers from the JSON reports and from the Parquet tables.
    let without_inputs = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("inputs");
        v
    };
    assert_eq!(without_inputs(&from_reports), without_inputs(&from_tables));
    assert_eq!(
        from_reports["inputs"].as_array().unwrap().len(),
        reports.len()
    );

    // Totals.
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut verdicts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut vendors: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut platforms: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut protocols: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut by_finding: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in &reports {
        let flows = r["flows"].as_array().unwrap();
        let calls = r["calls"].as_array().unwrap();
        let findings = r["findings"].as_array().unwrap();
        *totals.entry("flows").or_default() += flows.len() as u64;
        *totals.entry("bytes").or_default() += flows.iter().map(flow_bytes).sum::<u64>();
        *totals.entry("calls").or_default() += calls.len() as u64;
        *totals.entry("findings").or_default() += findings.len() as u64;
        let bytes_of = |id: &Value| flows.iter().find(|f| f["id"] == *id).map_or(0, flow_bytes);
        for c in calls {
            let media = c["media"].as_array().unwrap();
            let packets: u64 = media.iter().map(|m| u(&m["packets"])).sum();
            let encrypted: u64 = media
                .iter()
                .filter(|m| m["encrypted"] == "yes")
                .map(|m| u(&m["packets"]))
                .sum();
            *totals.entry("media_packets").or_default() += packets;
            *totals.entry("encrypted_media_packets").or_default() += encrypted;
            verdicts
                .entry(c["verdict"].as_str().unwrap().into())
                .or_insert_with(|| vec![0])[0] += 1;
            let vendor = c["relay"]["vendor"]
                .as_str()
                .or(c["server"]["vendor"].as_str())
                .unwrap_or("(none)");
            let mut leg_flows: Vec<&Value> = c["legs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| &l["flow"])
                .collect();
            leg_flows.sort_by_key(|f| f.as_u64());
            leg_flows.dedup();
            let bytes: u64 = leg_flows.iter().map(|f| bytes_of(f)).sum();
            let v = vendors.entry(vendor.into()).or_insert_with(|| vec![0; 3]);
            v[0] += 1;
            v[1] += bytes;
            v[2] += packets;
            let platform = format!(
                "{}/{}",
                c["platform"]["name"].as_str().unwrap_or("(none)"),
                c["platform"]["baa"].as_str().unwrap_or("(none)")
            );
            let p = platforms.entry(platform).or_insert_with(|| vec![0; 2]);
            p[0] += 1;
            p[1] += bytes;
        }
        for f in flows {
            for p in f["protocols"].as_array().unwrap() {
                let e = protocols
                    .entry(p.as_str().unwrap().into())
                    .or_insert_with(|| vec![0; 2]);
                e[0] += 1;
                e[1] += flow_bytes(f);
            }
        }
        for f in findings {
            let key = format!(
                "{}/{}",
                f["id"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            );
            let e = by_finding.entry(key).or_insert_with(|| vec![0; 2]);
            e[0] += 1;
            e[1] += f["evidence"].as_array().unwrap().len() as u64 + u(&f["more_evidence"]);
        }
    }
    let t = &from_reports["totals"];
    assert_eq!(u(&t["captures"]), reports.len() as u64);
    for (name, value) in &totals {
        assert_eq!(u(&t[*name]), *value, "totals.{name}");
    }
    let share = totals["encrypted_media_packets"] as f64 / totals["media_packets"] as f64;
    assert!((t["encrypted_share"].as_f64().unwrap() - share).abs() < 1e-9);
    assert!(
        totals["calls"] >= 3 && totals["findings"] >= 10,
        "{totals:?}"
    );

    assert_eq!(
        keyed(&from_reports["verdicts"], "verdict", &["calls"]),
        verdicts
    );
    assert_eq!(
        keyed(
            &from_reports["vendors"],
            "vendor",
            &["calls", "bytes", "media_packets"]
        ),
        vendors
    );
    if reports.len() == 5 {
        assert!(vendors.contains_key("Google Meet"), "{vendors:?}");
        assert!(platforms.contains_key("Google Meet/yes"), "{platforms:?}");
    }
    let summarized: BTreeMap<String, Vec<u64>> = from_reports["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = format!(
                "{}/{}",
                row["platform"].as_str().unwrap(),
                row["platform_baa"].as_str().unwrap()
            );
            (key, vec![u(&row["calls"]), u(&row["bytes"])])
        })
        .collect();
    assert_eq!(summarized, platforms);
    assert_eq!(from_tables["platforms"], from_reports["platforms"]);
    assert_eq!(
        keyed(&from_reports["protocols"], "protocol", &["flows", "bytes"]),
        protocols
    );
    assert!(protocols.contains_key("rtp") && protocols.contains_key("tls"));

    // Findings over time: every report here is from one day per capture.
    let mut over_time: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for row in from_reports["findings_over_time"].as_array().unwrap() {
        assert_eq!(row["day"].as_str().unwrap().len(), 10, "{row}");
        let key = format!(
            "{}/{}",
            row["finding"].as_str().unwrap(),
            row["severity"].as_str().unwrap()
        );
        let e = over_time.entry(key).or_insert_with(|| vec![0; 2]);
        e[0] += u(&row["findings"]);
        e[1] += u(&row["evidence"]);
    }
    assert_eq!(over_time, by_finding);
}

#[test]
fn a_capture_given_twice_is_counted_once_and_bad_inputs_are_named() {
    let root = tempfile::tempdir().unwrap();
    let reports = analyze_all(root.path());
    let both = summarize(&[&root.path().join("reports"), &root.path().join("tables")]);
    assert_eq!(both["inputs"].as_array().unwrap().len(), reports.len());
    assert_eq!(both["skipped"].as_array().unwrap().len(), reports.len());
    assert_eq!(u(&both["totals"]["captures"]), reports.len() as u64);

    let text = String::from_utf8(run_ok(&["summarize", root.path().to_str().unwrap()])).unwrap();
    assert!(text.contains("findings over time") && text.contains("encrypted_share"));

    let bogus = root.path().join("notes.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let out = run(&["summarize", bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notes.json") && err.contains("not a teleprobe JSON report"),
        "{err}"
    );
}
