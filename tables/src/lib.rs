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

/// One Wi-Fi network (BSS) of an 802.11 capture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkRow {
    pub capture: String,
    pub sensor: String,
    pub bssid: String,
    pub ssid: Option<String>,
    pub class: String,
    pub confidence: String,
    /// Comma-separated, weakest first.
    pub offered: String,
    pub modifiers: String,
    pub pmf: Option<String>,
    pub akms: String,
    pub pairwise_ciphers: String,
    pub channel: Option<u64>,
    pub clients: u64,
    pub beacons: u64,
    pub unprotected_data_frames: u64,
    pub deauthentications: u64,
    pub deauthentication_floods: u64,
    pub first_us: i64,
    pub last_us: i64,
    pub findings: String,
}

/// One Wi-Fi station.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientRow {
    pub capture: String,
    pub sensor: String,
    pub mac: String,
    pub bssid: Option<String>,
    pub ssid: Option<String>,
    pub akms: String,
    pub pmf: Option<String>,
    pub authentication: Option<String>,
    pub eap_identity: Option<String>,
    pub eap_methods: String,
    pub eap_outcome: Option<String>,
    /// Handshake messages captured, e.g. "1,2".
    pub handshake_messages: String,
    pub pmkid: bool,
    pub addresses: String,
    pub probed_ssids: String,
    pub deauthentications: u64,
    pub first_us: i64,
    pub last_us: i64,
    pub findings: String,
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

fn optional_count<R>(rows: &[R], name: &str, f: impl Fn(&R) -> Option<u64>) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

fn flag<R>(rows: &[R], name: &str, f: impl Fn(&R) -> bool) -> Column {
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

pub fn networks_frame(rows: &[NetworkRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text(rows, "capture", |r| &r.capture),
            text(rows, "sensor", |r| &r.sensor),
            text(rows, "bssid", |r| &r.bssid),
            optional(rows, "ssid", |r| r.ssid.as_deref()),
            text(rows, "class", |r| &r.class),
            text(rows, "confidence", |r| &r.confidence),
            text(rows, "offered", |r| &r.offered),
            text(rows, "modifiers", |r| &r.modifiers),
            optional(rows, "pmf", |r| r.pmf.as_deref()),
            text(rows, "akms", |r| &r.akms),
            text(rows, "pairwise_ciphers", |r| &r.pairwise_ciphers),
            optional_count(rows, "channel", |r| r.channel),
            count(rows, "clients", |r| r.clients),
            count(rows, "beacons", |r| r.beacons),
            count(rows, "unprotected_data_frames", |r| {
                r.unprotected_data_frames
            }),
            count(rows, "deauthentications", |r| r.deauthentications),
            count(rows, "deauthentication_floods", |r| {
                r.deauthentication_floods
            }),
            datetime(rows, "first_timestamp", |r| r.first_us)?,
            datetime(rows, "last_timestamp", |r| r.last_us)?,
            text(rows, "findings", |r| &r.findings),
        ],
    )
}

pub fn clients_frame(rows: &[ClientRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            text(rows, "capture", |r| &r.capture),
            text(rows, "sensor", |r| &r.sensor),
            text(rows, "mac", |r| &r.mac),
            optional(rows, "bssid", |r| r.bssid.as_deref()),
            optional(rows, "ssid", |r| r.ssid.as_deref()),
            text(rows, "akms", |r| &r.akms),
            optional(rows, "pmf", |r| r.pmf.as_deref()),
            optional(rows, "authentication", |r| r.authentication.as_deref()),
            optional(rows, "eap_identity", |r| r.eap_identity.as_deref()),
            text(rows, "eap_methods", |r| &r.eap_methods),
            optional(rows, "eap_outcome", |r| r.eap_outcome.as_deref()),
            text(rows, "handshake_messages", |r| &r.handshake_messages),
            flag(rows, "pmkid", |r| r.pmkid),
            text(rows, "addresses", |r| &r.addresses),
            text(rows, "probed_ssids", |r| &r.probed_ssids),
            count(rows, "deauthentications", |r| r.deauthentications),
            datetime(rows, "first_timestamp", |r| r.first_us)?,
            datetime(rows, "last_timestamp", |r| r.last_us)?,
            text(rows, "findings", |r| &r.findings),
        ],
    )
}

/// The rows of one report, one list per table.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub flows: Vec<FlowRow>,
    pub calls: Vec<CallRow>,
    pub findings: Vec<FindingRow>,
    pub networks: Vec<NetworkRow>,
    pub clients: Vec<ClientRow>,
}

pub enum Format {
    Parquet,
    Csv,
}

/// Writes flows, calls, findings, networks and clients (`.parquet` or
/// `.csv`) into `dir`. The wireless tables are written for every capture,
/// empty for wired ones, so a partitioned dataset always has them.
pub fn write_all(dir: &Path, format: Format, rows: &Rows) -> PolarsResult<()> {
    std::fs::create_dir_all(dir)?;
    let frames = [
        ("flows", flows_frame(&rows.flows)?),
        ("calls", calls_frame(&rows.calls)?),
        ("findings", findings_frame(&rows.findings)?),
        ("networks", networks_frame(&rows.networks)?),
        ("clients", clients_frame(&rows.clients)?),
    ];
    for (name, mut df) in frames {
        let extension = match format {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        };
        // Written beside its name, synced, renamed: a reader (or a full
        // disk) never finds half a table under the name.
        let final_path = dir.join(format!("{name}.{extension}"));
        let partial = dir.join(format!(".{name}.{extension}.partial"));
        let written = create_private(&partial)
            .map_err(PolarsError::from)
            .and_then(|mut file| {
                match format {
                    Format::Parquet => {
                        polars_io::parquet::write::ParquetWriter::new(&mut file).finish(&mut df)?;
                    }
                    Format::Csv => {
                        polars_io::csv::write::CsvWriter::new(&mut file).finish(&mut df)?;
                    }
                }
                file.sync_all()?;
                std::fs::rename(&partial, &final_path)?;
                Ok(())
            });
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written?;
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
