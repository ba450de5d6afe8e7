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
    pub calls: Vec<Call>,
    /// Messaging sessions: a client's connections to a platform's chat or
    /// push service, with the platform and its BAA status.
    pub messaging: Vec<MessagingSession>,
    /// What the assessment found, most severe first (catalogue in DOMAIN.md).
    pub findings: Vec<Finding>,
    /// Wi-Fi networks and clients of an 802.11 (monitor-mode) capture;
    /// absent for wired captures.
    #[serde(default, skip_serializing_if = "WirelessReport::is_empty")]
    pub wireless: WirelessReport,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Generator {
    pub name: &'static str,
    pub version: &'static str,
    /// Whether identifiers are shown as captured (`--reveal`) or redacted.
    pub redacted: bool,
}
