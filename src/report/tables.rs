//! The report's lists as table rows for teleprobe-tables (polars): one row
//! per flow, call and finding, for `--parquet DIR` and `--csv DIR`.

use super::model::Report;
use super::redact::Redactor;
use crate::time::parse_rfc3339_micros;
use teleprobe_tables::{CallRow, FindingRow, FlowRow, Format};

fn micros(t: &str) -> i64 {
    parse_rfc3339_micros(t).unwrap_or(0)
}

/// Writes flows, calls and findings into `dir`; with a `sensor`, into the
/// Hive-style partition `dir/date=YYYY-MM-DD/sensor=NAME/` that DuckDB,
/// Spark and Trino read as columns.
pub fn write(
    report: &Report,
    dir: &std::path::Path,
    parquet: bool,
    sensor: Option<&str>,
    redactor: &Redactor,
) -> Result<std::path::PathBuf, String> {
    // Every text column passes the same address scrubber as the reports.
    let x = |s: &str| redactor.scrub(s);
    let capture = report.capture.files.join(",");
    let sensor_name = sensor.unwrap_or("").to_string();
    let dir = match sensor {
        Some(s) => {
            let date = report
                .capture
                .first_timestamp
                .as_deref()
                .and_then(|t| t.get(..10))
                .unwrap_or("unknown");
            dir.join(format!("date={date}")).join(format!("sensor={s}"))
        }
        None => dir.to_path_buf(),
    };
    let flows: Vec<FlowRow> = report
        .flows
        .in_memory()
        .iter()
        .map(|f| FlowRow {
            capture: capture.clone(),
            sensor: sensor_name.clone(),
            id: f.id,
            transport: f.transport.to_string(),
            client: x(&f.client),
            server: x(&f.server),
            first_us: micros(&f.first_timestamp),
            last_us: micros(&f.last_timestamp),
            packets_c2s: f.client_to_server.packets,
            packets_s2c: f.server_to_client.packets,
            bytes_c2s: f.client_to_server.bytes,
            bytes_s2c: f.server_to_client.bytes,
            protocols: f.protocols.join(","),
            tls_version: f.tls.as_ref().and_then(|t| t.version.clone()),
            sni: f
                .tls
                .as_ref()
                .and_then(|t| t.sni.clone())
                .or_else(|| f.quic.as_ref().and_then(|q| q.sni.clone())),
            end: f.end.to_string(),
        })
        .collect();
    let calls: Vec<CallRow> = report
        .calls
        .iter()
        .map(|c| CallRow {
            capture: capture.clone(),
            sensor: sensor_name.clone(),
            id: c.id,
            verdict: c.verdict.to_string(),
            path: c.path.to_string(),
            kinds: c.kinds.join(","),
            start_us: micros(&c.start),
            end_us: micros(&c.end),
            legs: c.legs.len() as u64,
            media_streams: c.media.len() as u64,
            encrypted_streams: c.media.iter().filter(|m| m.encrypted == "yes").count() as u64,
            media_packets: c.media.iter().map(|m| m.packets).sum(),
            relay: c.relay.as_ref().map(|r| x(&r.address)),
            vendor: c
                .relay
                .as_ref()
                .and_then(|r| r.vendor.clone())
                .or_else(|| c.server.as_ref().and_then(|s| s.vendor.clone())),
            findings: c.findings.join(","),
        })
        .collect();
    let findings: Vec<FindingRow> = report
        .findings
        .iter()
        .map(|f| {
            let first = f.evidence.first();
            FindingRow {
                capture: capture.clone(),
                sensor: sensor_name.clone(),
                finding: f.id.to_string(),
                severity: f.severity.name().to_string(),
                subject: x(&f.subject),
                reference: f.reference.to_string(),
                evidence: f.evidence.len() as u64 + f.more_evidence,
                first_flow: first.map_or(0, |e| e.flow),
                first_packet: first.map_or(0, |e| e.first_packet),
                first_us: first.map_or(0, |e| micros(&e.first_timestamp)),
            }
        })
        .collect();
    let format = if parquet {
        Format::Parquet
    } else {
        Format::Csv
    };
    teleprobe_tables::write_all(&dir, format, &flows, &calls, &findings)
        .map_err(|e| e.to_string())?;
    Ok(dir)
}
