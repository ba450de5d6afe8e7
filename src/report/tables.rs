//! The report's lists as table rows for teleprobe-tables (polars): one row
//! per flow, call and finding, for `--parquet DIR`, `--csv DIR` and
//! `teleprobe summarize`. Rows are built from the JSON report as written
//! (scrubbed like every other output), through the view below, so a table
//! written by `analyze` and one rebuilt from a saved report are the same.

use super::model::Report;
use super::redact::Redactor;
use crate::facts::Encrypted;
use crate::time::parse_rfc3339_micros;
use serde::Deserialize;
use std::path::{Path, PathBuf};
pub use teleprobe_tables::Rows;
use teleprobe_tables::{CallRow, ClientRow, FindingRow, FlowRow, Format, NetworkRow};

/// The fields of a `teleprobe.report/1` JSON report the tables use.
#[derive(Deserialize)]
pub struct ReportView {
    pub schema: String,
    capture: CaptureView,
    flows: Vec<FlowView>,
    calls: Vec<CallView>,
    findings: Vec<FindingView>,
    #[serde(default)]
    wireless: WirelessView,
}

#[derive(Deserialize, Default)]
struct WirelessView {
    networks: Vec<NetworkView>,
    clients: Vec<ClientView>,
}

#[derive(Deserialize)]
struct FramesView {
    first_timestamp: String,
    last_timestamp: String,
    count: u64,
}

#[derive(Deserialize)]
struct DeauthView {
    frames: u64,
    floods: Vec<FramesView>,
}

#[derive(Deserialize)]
struct NetworkView {
    bssid: String,
    ssid: Option<String>,
    class: String,
    confidence: String,
    offered: Vec<String>,
    modifiers: Vec<String>,
    pmf: Option<String>,
    akms: Vec<String>,
    pairwise_ciphers: Vec<String>,
    channel: Option<u64>,
    clients: u64,
    beacons: u64,
    unprotected_data: Option<FramesView>,
    deauthentications: DeauthView,
    seen: FramesView,
}

#[derive(Deserialize)]
struct EapView {
    identity: Option<String>,
    methods: Vec<EapMethodView>,
    outcome: Option<String>,
}

#[derive(Deserialize)]
struct EapMethodView {
    method: String,
}

#[derive(Deserialize)]
struct HandshakeView {
    messages: Vec<u8>,
    pmkid_packet: Option<u64>,
}

#[derive(Deserialize)]
struct ClientView {
    mac: String,
    bssid: Option<String>,
    ssid: Option<String>,
    akms: Vec<String>,
    pmf: Option<String>,
    authentication: Option<String>,
    eap: Option<EapView>,
    handshake: Option<HandshakeView>,
    addresses: Vec<String>,
    probed_ssids: Vec<String>,
    deauthentications: u64,
    seen: FramesView,
}

#[derive(Deserialize)]
struct CaptureView {
    files: Vec<String>,
    first_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct Counters {
    packets: u64,
    bytes: u64,
}

#[derive(Deserialize)]
struct NamedServer {
    #[serde(default)]
    version: Option<String>,
    sni: Option<String>,
}

#[derive(Deserialize)]
struct FlowView {
    id: u64,
    transport: String,
    client: String,
    server: String,
    first_timestamp: String,
    last_timestamp: String,
    client_to_server: Counters,
    server_to_client: Counters,
    protocols: Vec<String>,
    end: String,
    tls: Option<NamedServer>,
    quic: Option<NamedServer>,
}

#[derive(Deserialize)]
struct LegView {
    flow: u64,
}

#[derive(Deserialize)]
struct MediaView {
    packets: u64,
    encrypted: Encrypted,
}

#[derive(Deserialize)]
struct Platform {
    #[serde(default)]
    address: String,
    vendor: Option<String>,
}

#[derive(Deserialize)]
struct PlatformView {
    name: String,
    baa: String,
}

#[derive(Deserialize)]
struct CallView {
    id: u64,
    verdict: String,
    path: String,
    kinds: Vec<String>,
    start: String,
    end: String,
    legs: Vec<LegView>,
    media: Vec<MediaView>,
    relay: Option<Platform>,
    server: Option<Platform>,
    #[serde(default)]
    platform: Option<PlatformView>,
    findings: Vec<String>,
}

#[derive(Deserialize)]
struct EvidenceView {
    flow: u64,
    first_packet: u64,
    first_timestamp: String,
}

#[derive(Deserialize)]
struct FindingView {
    id: String,
    severity: String,
    subject: String,
    reference: String,
    evidence: Vec<EvidenceView>,
    more_evidence: u64,
}

fn micros(t: &str) -> i64 {
    parse_rfc3339_micros(t).unwrap_or(0)
}

impl ReportView {
    /// Parses a JSON report, or says why it is not one.
    pub fn parse(json: &[u8]) -> Result<ReportView, String> {
        let view: ReportView = serde_json::from_slice(json)
            .map_err(|e| format!("not a teleprobe JSON report ({e})"))?;
        if view.schema != super::model::SCHEMA {
            return Err(format!(
                "report schema {} is not {}",
                view.schema,
                super::model::SCHEMA
            ));
        }
        Ok(view)
    }

    /// The capture's name in the tables: its files, comma-separated.
    pub fn capture(&self) -> String {
        self.capture.files.join(",")
    }

    /// The Hive partition `date=YYYY-MM-DD/sensor=NAME` of this capture.
    fn partition(&self, sensor: &str) -> PathBuf {
        let date = self
            .capture
            .first_timestamp
            .as_deref()
            .and_then(|t| t.get(..10))
            .unwrap_or("unknown");
        Path::new(&format!("date={date}")).join(format!("sensor={sensor}"))
    }

    pub fn rows(&self, sensor: &str) -> Rows {
        let capture = self.capture();
        let bytes_by_flow: std::collections::HashMap<u64, (u64, &[String])> = self
            .flows
            .iter()
            .map(|f| {
                (
                    f.id,
                    (
                        f.client_to_server.bytes + f.server_to_client.bytes,
                        f.protocols.as_slice(),
                    ),
                )
            })
            .collect();
        let flows = self
            .flows
            .iter()
            .map(|f| FlowRow {
                capture: capture.clone(),
                sensor: sensor.to_string(),
                id: f.id,
                transport: f.transport.clone(),
                client: f.client.clone(),
                server: f.server.clone(),
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
                end: f.end.clone(),
            })
            .collect();
        let calls = self
            .calls
            .iter()
            .map(|c| {
                let mut flow_ids: Vec<u64> = c.legs.iter().map(|l| l.flow).collect();
                flow_ids.sort_unstable();
                flow_ids.dedup();
                let mut protocols: Vec<&str> = Vec::new();
                let mut bytes = 0;
                for id in &flow_ids {
                    if let Some((b, ps)) = bytes_by_flow.get(id) {
                        bytes += b;
                        for p in ps.iter() {
                            if !protocols.contains(&p.as_str()) {
                                protocols.push(p);
                            }
                        }
                    }
                }
                let encrypted = c.media.iter().filter(|m| m.encrypted == Encrypted::Yes);
                CallRow {
                    capture: capture.clone(),
                    sensor: sensor.to_string(),
                    id: c.id,
                    verdict: c.verdict.clone(),
                    path: c.path.clone(),
                    kinds: c.kinds.join(","),
                    start_us: micros(&c.start),
                    end_us: micros(&c.end),
                    legs: c.legs.len() as u64,
                    media_streams: c.media.len() as u64,
                    encrypted_streams: encrypted.clone().count() as u64,
                    media_packets: c.media.iter().map(|m| m.packets).sum(),
                    encrypted_media_packets: encrypted.map(|m| m.packets).sum(),
                    bytes,
                    protocols: protocols.join(","),
                    relay: c.relay.as_ref().map(|r| r.address.clone()),
                    vendor: c
                        .relay
                        .as_ref()
                        .and_then(|r| r.vendor.clone())
                        .or_else(|| c.server.as_ref().and_then(|s| s.vendor.clone())),
                    platform: c.platform.as_ref().map(|p| p.name.clone()),
                    platform_baa: c.platform.as_ref().map(|p| p.baa.clone()),
                    findings: c.findings.join(","),
                }
            })
            .collect();
        let findings = self
            .findings
            .iter()
            .map(|f| {
                let first = f.evidence.first();
                FindingRow {
                    capture: capture.clone(),
                    sensor: sensor.to_string(),
                    finding: f.id.clone(),
                    severity: f.severity.clone(),
                    subject: f.subject.clone(),
                    reference: f.reference.clone(),
                    evidence: f.evidence.len() as u64 + f.more_evidence,
                    first_flow: first.map_or(0, |e| e.flow),
                    first_packet: first.map_or(0, |e| e.first_packet),
                    first_us: first.map_or(0, |e| micros(&e.first_timestamp)),
                }
            })
            .collect();
        let about = |who: &str| {
            let findings = self
                .findings
                .iter()
                .map(|f| (f.id.as_str(), f.subject.as_str()));
            super::wireless::ids_naming(findings, who).join(",")
        };
        let networks = self
            .wireless
            .networks
            .iter()
            .map(|n| NetworkRow {
                capture: capture.clone(),
                sensor: sensor.to_string(),
                bssid: n.bssid.clone(),
                ssid: n.ssid.clone(),
                class: n.class.clone(),
                confidence: n.confidence.clone(),
                offered: n.offered.join(","),
                modifiers: n.modifiers.join(","),
                pmf: n.pmf.clone(),
                akms: n.akms.join(","),
                pairwise_ciphers: n.pairwise_ciphers.join(","),
                channel: n.channel,
                clients: n.clients,
                beacons: n.beacons,
                unprotected_data_frames: n.unprotected_data.as_ref().map_or(0, |d| d.count),
                deauthentications: n.deauthentications.frames,
                deauthentication_floods: n.deauthentications.floods.len() as u64,
                first_us: micros(&n.seen.first_timestamp),
                last_us: micros(&n.seen.last_timestamp),
                findings: about(&n.bssid),
            })
            .collect();
        let clients = self
            .wireless
            .clients
            .iter()
            .map(|c| ClientRow {
                capture: capture.clone(),
                sensor: sensor.to_string(),
                mac: c.mac.clone(),
                bssid: c.bssid.clone(),
                ssid: c.ssid.clone(),
                akms: c.akms.join(","),
                pmf: c.pmf.clone(),
                authentication: c.authentication.clone(),
                eap_identity: c.eap.as_ref().and_then(|e| e.identity.clone()),
                eap_methods: c.eap.as_ref().map_or(String::new(), |e| {
                    e.methods
                        .iter()
                        .map(|m| m.method.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                }),
                eap_outcome: c.eap.as_ref().and_then(|e| e.outcome.clone()),
                handshake_messages: c.handshake.as_ref().map_or(String::new(), |h| {
                    h.messages
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                }),
                pmkid: c
                    .handshake
                    .as_ref()
                    .is_some_and(|h| h.pmkid_packet.is_some()),
                addresses: c.addresses.join(","),
                probed_ssids: c.probed_ssids.join(","),
                deauthentications: c.deauthentications,
                first_us: micros(&c.seen.first_timestamp),
                last_us: micros(&c.seen.last_timestamp),
                findings: about(&c.mac),
            })
            .collect();
        Rows {
            flows,
            calls,
            findings,
            networks,
            clients,
        }
    }
}

/// Writes flows, calls and findings into `dir`; with a `sensor`, into the
/// Hive-style partition `dir/date=YYYY-MM-DD/sensor=NAME/` that DuckDB,
/// Spark and Trino read as columns. Returns the directory written.
pub fn write(
    report: &Report,
    dir: &Path,
    parquet: bool,
    sensor: Option<&str>,
    redactor: &Redactor,
) -> Result<PathBuf, String> {
    // The tables hold what the JSON report holds, scrubbed the same way.
    let mut json = Vec::new();
    redactor
        .to_json_writer(&mut json, report, false)
        .map_err(|e| e.to_string())?;
    let view = ReportView::parse(&json)?;
    let dir = match sensor {
        Some(s) => dir.join(view.partition(s)),
        None => dir.to_path_buf(),
    };
    let format = if parquet {
        Format::Parquet
    } else {
        Format::Csv
    };
    write_view(&view, &dir, format, sensor)?;
    Ok(dir)
}

/// Writes the Parquet tables of a report's JSON (at least its schema,
/// capture files and first timestamp, flows, calls and findings) into `dir`.
pub fn write_json(json: &[u8], dir: &Path, sensor: Option<&str>) -> Result<(), String> {
    write_view(&ReportView::parse(json)?, dir, Format::Parquet, sensor)
}

fn write_view(
    view: &ReportView,
    dir: &Path,
    format: Format,
    sensor: Option<&str>,
) -> Result<(), String> {
    let rows = view.rows(sensor.unwrap_or(""));
    teleprobe_tables::write_all(dir, format, &rows).map_err(|e| e.to_string())
}
