//! Parquet and CSV tables read back with polars and checked against the
//! JSON report of the same capture, row for row.
#![cfg(feature = "tables")]

mod common;

use common::*;
use teleprobe_tables::polars::prelude::*;

#[test]
fn parquet_rows_match_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["sip-rtp-cleartext.pcap", "webrtc-aiortc-turn.pcap"];
    let paths: Vec<String> = names
        .iter()
        .map(|n| capture(n).to_string_lossy().to_string())
        .collect();
    let mut args = vec![
        "analyze",
        "--quiet",
        "--json",
        "--parquet",
        dir.path().to_str().unwrap(),
        "--sensor",
        "clinic-a",
    ];
    args.extend(paths.iter().map(String::as_str));
    let report: serde_json::Value = serde_json::from_slice(&run_ok(&args)).unwrap();
    let date = &report["capture"]["first_timestamp"].as_str().unwrap()[..10];
    let part = dir
        .path()
        .join(format!("date={date}"))
        .join("sensor=clinic-a");

    let flows = teleprobe_tables::read_parquet(&part.join("flows.parquet")).unwrap();
    let json_flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.height(), json_flows.len());
    let ids = flows.column("id").unwrap().u64().unwrap();
    let protocols = flows.column("protocols").unwrap().str().unwrap();
    let packets = flows
        .column("packets_client_to_server")
        .unwrap()
        .u64()
        .unwrap();
    for (i, f) in json_flows.iter().enumerate() {
        assert_eq!(ids.get(i), f["id"].as_u64());
        let joined = common::strings(&f["protocols"]);
        assert_eq!(protocols.get(i), Some(joined.join(",").as_str()));
        assert_eq!(packets.get(i), f["client_to_server"]["packets"].as_u64());
    }
    assert!(matches!(
        flows.column("first_timestamp").unwrap().dtype(),
        DataType::Datetime(TimeUnit::Microseconds, _)
    ));

    let calls = teleprobe_tables::read_parquet(&part.join("calls.parquet")).unwrap();
    let verdict_column = calls.column("verdict").unwrap().str().unwrap();
    let verdicts: Vec<Option<&str>> = (0..calls.height()).map(|i| verdict_column.get(i)).collect();
    let json_verdicts: Vec<Option<&str>> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str())
        .collect();
    assert_eq!(verdicts, json_verdicts);
    let sensors = calls.column("sensor").unwrap().str().unwrap();
    assert!((0..calls.height()).all(|i| sensors.get(i) == Some("clinic-a")));

    let findings = teleprobe_tables::read_parquet(&part.join("findings.parquet")).unwrap();
    assert_eq!(
        findings.height(),
        report["findings"].as_array().unwrap().len()
    );
    let finding_column = findings.column("finding").unwrap().str().unwrap();
    let first: Vec<Option<&str>> = (0..findings.height())
        .map(|i| finding_column.get(i))
        .collect();
    let json_first: Vec<Option<&str>> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str())
        .collect();
    assert_eq!(first, json_first);
}

#[test]
fn csv_tables_are_written_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "analyze",
        "--quiet",
        "--csv",
        dir.path().to_str().unwrap(),
        capture("tls-versions.pcapng").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    for name in ["flows.csv", "calls.csv", "findings.csv"] {
        let path = dir.path().join(name);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let flows = std::fs::read_to_string(dir.path().join("flows.csv")).unwrap();
    assert!(flows.starts_with("capture,sensor,id,transport,client,server,first_timestamp"));
    assert_eq!(flows.lines().count(), 6, "header and five TLS connections");
    assert!(flows.contains("TLS 1.3"));
    let findings = std::fs::read_to_string(dir.path().join("findings.csv")).unwrap();
    assert_eq!(
        findings
            .lines()
            .filter(|l| l.contains("tls-deprecated"))
            .count(),
        2
    );
}

/// The wireless tables: one row per network and station of an 802.11
/// capture, with the JSON report's class, PMF and findings; present and
/// empty for a wired capture.
#[test]
fn networks_and_clients_tables_match_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let wifi = capture("wifi-clinic.pcap");
    let report: serde_json::Value = serde_json::from_slice(&run_ok(&[
        "analyze",
        "--quiet",
        "--json",
        "--parquet",
        dir.path().to_str().unwrap(),
        wifi.to_str().unwrap(),
    ]))
    .unwrap();
    let networks = teleprobe_tables::read_parquet(&dir.path().join("networks.parquet")).unwrap();
    let json_networks = report["wireless"]["networks"].as_array().unwrap();
    assert_eq!(networks.height(), json_networks.len());
    assert_eq!(networks.height(), 3);
    let bssid = networks.column("bssid").unwrap().str().unwrap();
    let class = networks.column("class").unwrap().str().unwrap();
    let findings = networks.column("findings").unwrap().str().unwrap();
    for (i, n) in json_networks.iter().enumerate() {
        assert_eq!(bssid.get(i), n["bssid"].as_str());
        assert_eq!(class.get(i), n["class"].as_str());
    }
    let open = (0..3).find(|&i| class.get(i) == Some("open")).unwrap();
    assert!(findings.get(open).unwrap().contains("wifi-open-network"));
    assert!(
        !bssid.get(open).unwrap().contains("00:1a:2b"),
        "pseudonymised"
    );
    let clients = teleprobe_tables::read_parquet(&dir.path().join("clients.parquet")).unwrap();
    assert_eq!(clients.height(), 4);
    let pmkid = clients.column("pmkid").unwrap().bool().unwrap();
    assert_eq!((0..4).filter(|&i| pmkid.get(i) == Some(true)).count(), 1);
    let methods = clients.column("eap_methods").unwrap().str().unwrap();
    assert!((0..4).any(|i| methods.get(i) == Some("MD5")));

    let wired = tempfile::tempdir().unwrap();
    run_ok(&[
        "analyze",
        "--quiet",
        "--csv",
        wired.path().to_str().unwrap(),
        capture("dns.pcap").to_str().unwrap(),
    ]);
    let header = std::fs::read_to_string(wired.path().join("networks.csv")).unwrap();
    assert!(header.starts_with("capture,sensor,bssid,ssid,class"));
    assert_eq!(header.lines().count(), 1, "header only");
}

/// The values of a string column, in row order.
fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    let values = df.column(column).unwrap().str().unwrap();
    (0..df.height())
        .map(|i| values.get(i).unwrap_or_default().to_string())
        .collect()
}

/// `--parquet` with `--rotate-seconds`, as a sensor writes it: a
/// partition per period of capture time, each complete and readable, and
/// together exactly the flows, calls and findings of the whole report:
/// none lost at a period's end, none written twice.
#[test]
fn partitions_per_period_hold_the_whole_capture_once() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    let report = dir.path().join("r.json");
    // 2-second periods over a 6 s and a 12 s capture: a dozen periods.
    run_ok(&[
        "analyze",
        "--quiet",
        "--udp-timeout",
        "2",
        "--rotate-seconds",
        "2",
        "--parquet",
        tables.to_str().unwrap(),
        "--sensor",
        "ward-3",
        "-o",
        report.to_str().unwrap(),
        capture("sip-two-calls.pcap").to_str().unwrap(),
        capture("turn-relay.pcap").to_str().unwrap(),
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let parts = table_partitions(&tables);
    assert!(parts.len() >= 3, "{parts:?}");
    // The first period is on the first capture's day.
    let date = &report["capture"]["first_timestamp"].as_str().unwrap()[..10];
    assert!(parts[0].to_string_lossy().contains(&format!("date={date}")));
    for p in &parts {
        let relative = p
            .strip_prefix(&tables)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let levels: Vec<&str> = relative.split('/').collect();
        assert!(levels[0].starts_with("date=20"), "{relative}");
        assert_eq!(levels[1], "sensor=ward-3");
        assert!(levels[2].starts_with("hour=") && levels[3].starts_with("part="));
        // The period starts at a multiple of its length.
        let second: u32 = levels[3][9..11].parse().unwrap();
        assert_eq!(second % 2, 0, "{relative}");
    }
    let (mut flows, mut verdicts, mut findings) = (Vec::new(), Vec::new(), Vec::new());
    for p in &parts {
        let f = teleprobe_tables::read_parquet(&p.join("flows.parquet")).unwrap();
        let ids = f.column("id").unwrap().u64().unwrap();
        flows.extend((0..f.height()).map(|i| ids.get(i).unwrap()));
        let c = teleprobe_tables::read_parquet(&p.join("calls.parquet")).unwrap();
        verdicts.extend(strings(&c, "verdict"));
        assert!(strings(&c, "sensor").iter().all(|s| s == "ward-3"));
        let f = teleprobe_tables::read_parquet(&p.join("findings.parquet")).unwrap();
        findings.extend(strings(&f, "finding"));
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    flows.sort_unstable();
    let mut json_flows: Vec<u64> = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    json_flows.sort_unstable();
    assert_eq!(flows, json_flows);
    let json_verdicts: Vec<String> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(json_verdicts.len(), 2, "the two SIP calls");
    assert_eq!(sorted(verdicts), sorted(json_verdicts));
    let json_findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(findings), sorted(json_findings));
    // No whole-capture tables beside the partitions.
    assert!(!tables.join("flows.parquet").exists());
    // `summarize` takes each partition as a capture of its own.
    let summary: serde_json::Value =
        serde_json::from_slice(&run_ok(&["summarize", "--json", tables.to_str().unwrap()]))
            .unwrap();
    assert_eq!(
        summary["totals"]["captures"],
        parts.len() as u64 - empty_parts(&parts)
    );
    assert_eq!(summary["totals"]["flows"], json_flows.len() as u64);
    assert_eq!(summary["totals"]["calls"], 2);
}

/// Partitions of periods in which nothing ended (they say the sensor ran).
fn empty_parts(parts: &[std::path::PathBuf]) -> u64 {
    parts
        .iter()
        .filter(|p| {
            ["flows", "calls", "findings"].iter().all(|t| {
                teleprobe_tables::read_parquet(&p.join(format!("{t}.parquet")))
                    .unwrap()
                    .height()
                    == 0
            })
        })
        .count() as u64
}
