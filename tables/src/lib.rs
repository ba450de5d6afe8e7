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
    /// The platform that carried the call, and its BAA status (yes/no).
    pub platform: Option<String>,
    pub platform_baa: Option<String>,
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

fn text<R>(rows: &[R], name: &str, f: impl Fn(&R) -> &str) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

fn count<R>(rows: &[R], name: &str, f: impl Fn(&R) -> u64) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

fn optional<R>(rows: &[R], name: &str, f: impl Fn(&R) -> Option<&str>) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

/// Microseconds since the epoch as `Datetime[μs]`.
fn datetime<R>(rows: &[R], name: &str, f: impl Fn(&R) -> i64) -> PolarsResult<Column> {
    Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .map(Column::from)
}

pub fn flows_frame(rows: &[FlowRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text(rows, "capture", |r| &r.capture),
            text(rows, "sensor", |r| &r.sensor),
            count(rows, "id", |r| r.id),
            text(rows, "transport", |r| &r.transport),
            text(rows, "client", |r| &r.client),
            text(rows, "server", |r| &r.server),
            datetime(rows, "first_timestamp", |r| r.first_us)?,
            datetime(rows, "last_timestamp", |r| r.last_us)?,
            count(rows, "packets_client_to_server", |r| r.packets_c2s),
            count(rows, "packets_server_to_client", |r| r.packets_s2c),
            count(rows, "bytes_client_to_server", |r| r.bytes_c2s),
            count(rows, "bytes_server_to_client", |r| r.bytes_s2c),
            text(rows, "protocols", |r| &r.protocols),
            optional(rows, "tls_version", |r| r.tls_version.as_deref()),
            optional(rows, "sni", |r| r.sni.as_deref()),
            text(rows, "end", |r| &r.end),
        ],
    )
}

pub fn calls_frame(rows: &[CallRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text(rows, "capture", |r| &r.capture),
            text(rows, "sensor", |r| &r.sensor),
            count(rows, "id", |r| r.id),
            text(rows, "verdict", |r| &r.verdict),
            text(rows, "path", |r| &r.path),
            text(rows, "kinds", |r| &r.kinds),
            datetime(rows, "start", |r| r.start_us)?,
            datetime(rows, "end", |r| r.end_us)?,
            count(rows, "legs", |r| r.legs),
            count(rows, "media_streams", |r| r.media_streams),
            count(rows, "encrypted_streams", |r| r.encrypted_streams),
            count(rows, "media_packets", |r| r.media_packets),
            count(rows, "encrypted_media_packets", |r| {
                r.encrypted_media_packets
            }),
            count(rows, "bytes", |r| r.bytes),
            text(rows, "protocols", |r| &r.protocols),
            optional(rows, "relay", |r| r.relay.as_deref()),
            optional(rows, "vendor", |r| r.vendor.as_deref()),
            optional(rows, "platform", |r| r.platform.as_deref()),
            optional(rows, "platform_baa", |r| r.platform_baa.as_deref()),
            text(rows, "findings", |r| &r.findings),
        ],
    )
}

pub fn findings_frame(rows: &[FindingRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text(rows, "capture", |r| &r.capture),
            text(rows, "sensor", |r| &r.sensor),
            text(rows, "finding", |r| &r.finding),
            text(rows, "severity", |r| &r.severity),
            text(rows, "subject", |r| &r.subject),
            text(rows, "reference", |r| &r.reference),
            count(rows, "evidence", |r| r.evidence),
            count(rows, "first_flow", |r| r.first_flow),
            count(rows, "first_packet", |r| r.first_packet),
            datetime(rows, "first_timestamp", |r| r.first_us)?,
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

/// Columns a calls table written by an earlier version lacks, added as
/// nulls, so old and new tables stack and aggregate together.
pub fn upgrade_calls(mut calls: DataFrame) -> PolarsResult<DataFrame> {
    for name in ["platform", "platform_baa"] {
        if calls.column(name).is_err() {
            let nulls = Column::full_null(name.into(), calls.height(), &DataType::String);
            calls.with_column(nulls)?;
        }
    }
    let order: Vec<String> = calls_frame(&[])?
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    calls.select(order)
}
