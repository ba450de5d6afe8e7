//! The report's lists (flows, calls, findings) as polars DataFrames, one row
//! per item, with stable column names and types (docs/tables.md), written as
//! Parquet or CSV. Plain row structs in, so this crate needs nothing from
//! teleprobe and teleprobe builds without polars when the feature is off.

pub use polars;
use polars::prelude::*;
use std::path::Path;

mod summarize;
pub use summarize::{Cell, Summary, Table, concat, summarize};

/// One flow. Timestamps are microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowRow {
    pub capture: String,
    pub sensor: String,
    pub id: u64,
    pub transport: String,
    pub client: String,
    pub server: String,
    pub first_us: i64,
    pub last_us: i64,
    pub packets_c2s: u64,
    pub packets_s2c: u64,
    pub bytes_c2s: u64,
    pub bytes_s2c: u64,
    /// Comma-separated, in report order.
    pub protocols: String,
    pub tls_version: Option<String>,
    pub sni: Option<String>,
    pub end: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRow {
    pub capture: String,
    pub sensor: String,
    pub id: u64,
    pub verdict: String,
    pub path: String,
    pub kinds: String,
    pub start_us: i64,
    pub end_us: i64,
    pub legs: u64,
    pub media_streams: u64,
    pub encrypted_streams: u64,
    pub media_packets: u64,
    /// Media packets of the streams judged encrypted.
    pub encrypted_media_packets: u64,
    /// Bytes of the call's flows, both directions.
    pub bytes: u64,
    /// Protocols of the call's flows, comma-separated, each once.
    pub protocols: String,
    pub relay: Option<String>,
    pub vendor: Option<String>,
    pub findings: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingRow {
    pub capture: String,
    pub sensor: String,
    pub finding: String,
    pub severity: String,
    pub subject: String,
    pub reference: String,
    pub evidence: u64,
    pub first_flow: u64,
    pub first_packet: u64,
    pub first_us: i64,
}

fn datetime(name: &str, micros: Vec<i64>) -> PolarsResult<Column> {
    Series::new(name.into(), micros)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map(Column::from)
}

pub fn flows_frame(rows: &[FlowRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&FlowRow) -> String, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let u = |f: fn(&FlowRow) -> u64, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let o = |f: fn(&FlowRow) -> Option<String>, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        rows.len(),
        vec![
            s(|r| r.capture.clone(), "capture"),
            s(|r| r.sensor.clone(), "sensor"),
            u(|r| r.id, "id"),
            s(|r| r.transport.clone(), "transport"),
            s(|r| r.client.clone(), "client"),
            s(|r| r.server.clone(), "server"),
            datetime("first_timestamp", rows.iter().map(|r| r.first_us).collect())?,
            datetime("last_timestamp", rows.iter().map(|r| r.last_us).collect())?,
            u(|r| r.packets_c2s, "packets_client_to_server"),
            u(|r| r.packets_s2c, "packets_server_to_client"),
            u(|r| r.bytes_c2s, "bytes_client_to_server"),
            u(|r| r.bytes_s2c, "bytes_server_to_client"),
            s(|r| r.protocols.clone(), "protocols"),
            o(|r| r.tls_version.clone(), "tls_version"),
            o(|r| r.sni.clone(), "sni"),
            s(|r| r.end.clone(), "end"),
        ],
    )
}

pub fn calls_frame(rows: &[CallRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&CallRow) -> String, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let u = |f: fn(&CallRow) -> u64, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let o = |f: fn(&CallRow) -> Option<String>, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        rows.len(),
        vec![
            s(|r| r.capture.clone(), "capture"),
            s(|r| r.sensor.clone(), "sensor"),
            u(|r| r.id, "id"),
            s(|r| r.verdict.clone(), "verdict"),
            s(|r| r.path.clone(), "path"),
            s(|r| r.kinds.clone(), "kinds"),
            datetime("start", rows.iter().map(|r| r.start_us).collect())?,
            datetime("end", rows.iter().map(|r| r.end_us).collect())?,
            u(|r| r.legs, "legs"),
            u(|r| r.media_streams, "media_streams"),
            u(|r| r.encrypted_streams, "encrypted_streams"),
            u(|r| r.media_packets, "media_packets"),
            u(|r| r.encrypted_media_packets, "encrypted_media_packets"),
            u(|r| r.bytes, "bytes"),
            s(|r| r.protocols.clone(), "protocols"),
            o(|r| r.relay.clone(), "relay"),
            o(|r| r.vendor.clone(), "vendor"),
            s(|r| r.findings.clone(), "findings"),
        ],
    )
}

pub fn findings_frame(rows: &[FindingRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&FindingRow) -> String, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let u = |f: fn(&FindingRow) -> u64, name: &str| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(
        rows.len(),
        vec![
            s(|r| r.capture.clone(), "capture"),
            s(|r| r.sensor.clone(), "sensor"),
            s(|r| r.finding.clone(), "finding"),
            s(|r| r.severity.clone(), "severity"),
            s(|r| r.subject.clone(), "subject"),
            s(|r| r.reference.clone(), "reference"),
            u(|r| r.evidence, "evidence"),
            u(|r| r.first_flow, "first_flow"),
            u(|r| r.first_packet, "first_packet"),
            datetime("first_timestamp", rows.iter().map(|r| r.first_us).collect())?,
        ],
    )
}

pub enum Format {
    Parquet,
    Csv,
}

/// Writes `flows`, `calls` and `findings` (`.parquet` or `.csv`) into `dir`.
pub fn write_all(
    dir: &Path,
    format: Format,
    flows: &[FlowRow],
    calls: &[CallRow],
    findings: &[FindingRow],
) -> PolarsResult<()> {
    std::fs::create_dir_all(dir)?;
    let frames = [
        ("flows", flows_frame(flows)?),
        ("calls", calls_frame(calls)?),
        ("findings", findings_frame(findings)?),
    ];
    for (name, mut df) in frames {
        match format {
            Format::Parquet => {
                let file = create_private(&dir.join(format!("{name}.parquet")))?;
                polars_io::parquet::write::ParquetWriter::new(file).finish(&mut df)?;
            }
            Format::Csv => {
                let file = create_private(&dir.join(format!("{name}.csv")))?;
                polars_io::csv::write::CsvWriter::new(file).finish(&mut df)?;
            }
        }
    }
    Ok(())
}

/// Tables hold the same identifiers as reports: owner-only.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Reads a Parquet file back (for `summarize` and tests).
pub fn read_parquet(path: &Path) -> PolarsResult<DataFrame> {
    use polars_io::SerReader;
    polars_io::parquet::read::ParquetReader::new(std::fs::File::open(path)?).finish()
}
