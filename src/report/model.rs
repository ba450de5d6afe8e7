//! The report model: what `teleprobe analyze` knows about a capture. The
//! human summary and the JSON report both render this one model; its JSON
//! form is documented in docs/report-schema.json and versioned by `schema`.
//! The parts come from the layers below: flow facts from [`crate::facts`],
//! findings and calls from [`crate::assess::model`].

use super::store::FlowStore;
use schemars::JsonSchema;
use serde::Serialize;

pub use crate::assess::model::*;
pub use crate::facts::*;

pub const SCHEMA: &str = "teleprobe.report/1";

#[derive(Serialize, JsonSchema)]
pub struct Report {
    /// Always `teleprobe.report/1` for this version of the format.
    #[schemars(extend("const" = "teleprobe.report/1"))]
    pub schema: &'static str,
    pub generator: Generator,
    pub capture: CaptureInfo,
    /// Every flow, ordered by id (in very large captures, flows that ended
    /// early are listed first, in the order they ended).
    #[schemars(with = "Vec<FlowRecord>")]
    pub flows: FlowStore,
    /// Names seen in DNS answers, with the addresses they resolved to.
    pub dns_names: Vec<DnsName>,
    /// Calls: flows correlated into SIP dialogs, ICE sessions and TURN
    /// allocations, each with its path and conduit-exception verdict.
    #[schemars(with = "Vec<Call>")]
    pub calls: crate::assess::calls::store::CallStore,
    /// Messaging sessions: a client's connections to a platform's chat or
    /// push service, with the platform and its BAA status.
    pub messaging: Vec<MessagingSession>,
    /// What the assessment found, most severe first (catalogue in DOMAIN.md).
    pub findings: Vec<Finding>,
    /// Wi-Fi networks and clients of an 802.11 (monitor-mode) capture;
    /// absent for wired captures.
    #[serde(default, skip_serializing_if = "WirelessReport::is_empty")]
    pub wireless: WirelessReport,
    /// What a reviewer needs to check this report later: the capture
    /// files' SHA-256, the tool, the data it judged with, the pseudonym key
    /// commitment (`teleprobe verify`; 45 CFR 164.312(b), (c)).
    pub evidence: EvidenceBlock,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct EvidenceBlock {
    /// Each capture file read: its path as given, size and SHA-256 (of the
    /// whole file, as `sha256sum` prints it). Empty for live captures
    /// (the recording written with `-w` is hashed instead when given).
    pub captures: Vec<CaptureDigest>,
    /// The data the assessment used, each with its SHA-256: the policy,
    /// the vendor and tracker lists (built in or given).
    pub inputs: Vec<InputDigest>,
    pub tool: ToolInfo,
    /// When the analysis ran (UTC), if the run recorded it.
    pub analysed_at: Option<crate::time::Timestamp>,
    /// SHA-256("teleprobe pseudonym key v1" ‖ key) of this run's pseudonym
    /// key; absent with `--reveal`.
    pub pseudonym_key_commitment: Option<String>,
    /// How the report is signed: `none`, or `minisign` (a detached
    /// signature beside each report file, FILE.minisig).
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct CaptureDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
pub struct InputDigest {
    /// `policy`, `vendors` or `trackers`.
    pub kind: String,
    /// The file given, or `built-in`.
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Cargo features the binary was built with.
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Generator {
    pub name: &'static str,
    pub version: &'static str,
    /// Whether identifiers are shown as captured (`--reveal`) or redacted.
    pub redacted: bool,
}
