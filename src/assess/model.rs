//! What the assessment produces: findings, calls with their paths and
//! verdicts, and the summary. The report serializes these as they are
//! (`calls`, `findings`, `summary` of `teleprobe.report/1`). Nothing here
//! knows how a report is written.

use crate::assess::catalogue::{FindingId, Severity};
use crate::assess::vendors::Baa;
use crate::facts::{DialogRecord, Direction, Encrypted, Proto, Timeline};
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Call {
    pub id: u64,
    /// `sip` (a SIP dialog and its media), `webrtc` (an ICE session), both,
    /// or `media` (media whose signaling was not visible).
    #[serde(deserialize_with = "crate::text::static_names")]
    pub kinds: Vec<&'static str>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub legs: Vec<CallLeg>,
    /// Media endpoints (not relays) and the identities signaling named (redacted).
    pub participants: Vec<String>,
    pub identities: Vec<String>,
    pub sip_call_ids: Vec<String>,
    /// The SIP dialogs of this call (one, unless ICE or a relay joined
    /// two), with their ladders and SDP offers and answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialogs: Vec<DialogRecord>,
    pub media: Vec<CallMedia>,
    /// Which platform carried the call, when the wire tells, and why.
    pub platform: Option<CallPlatform>,
    /// Exactly one of `direct`, `relayed`, `server-terminated`.
    pub path: CallPath,
    /// The TURN relay the media went through, when `relayed`.
    pub relay: Option<RelayInfo>,
    /// The server that terminated the media, when `server-terminated`.
    pub server: Option<ServerInfo>,
    /// Exactly one of `exposed`, `intermediary-can-access`, `conduit-consistent`, `indeterminate`.
    pub verdict: Verdict,
    /// Why, step by step, each step pointing at its evidence.
    pub reasoning: Vec<ReasoningStep>,
    /// What this capture cannot show about the call.
    pub cannot_show: Vec<String>,
    /// Ids of the findings whose evidence lies in this call's flows.
    #[schemars(with = "Vec<String>")]
    pub findings: Vec<FindingId>,
    /// Bytes over time of the call's signaling, ICE, relay and media flows
    /// (the reports' bandwidth chart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CallPath {
    Direct,
    Relayed,
    ServerTerminated,
}

impl CallPath {
    pub fn name(self) -> &'static str {
        match self {
            CallPath::Direct => "direct",
            CallPath::Relayed => "relayed",
            CallPath::ServerTerminated => "server-terminated",
        }
    }
}

crate::display_by_name!(CallPath);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Exposed,
    IntermediaryCanAccess,
    ConduitConsistent,
    Indeterminate,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Exposed => "exposed",
            Verdict::IntermediaryCanAccess => "intermediary-can-access",
            Verdict::ConduitConsistent => "conduit-consistent",
            Verdict::Indeterminate => "indeterminate",
        }
    }
}

crate::display_by_name!(Verdict);

/// What a flow does in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegRole {
    Signaling,
    /// Encrypted signaling attributed to the call by its vendor.
    SignalingEncrypted,
    Media,
    Ice,
    Relay,
    RelayedMedia,
}

impl LegRole {
    pub fn name(self) -> &'static str {
        match self {
            LegRole::Signaling => "signaling",
            LegRole::SignalingEncrypted => "signaling-encrypted",
            LegRole::Media => "media",
            LegRole::Ice => "ice",
            LegRole::Relay => "relay",
            LegRole::RelayedMedia => "relayed-media",
        }
    }
}

crate::display_by_name!(LegRole);

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct CallLeg {
    pub flow: u64,
    /// `signaling`, `signaling-encrypted` (TLS or QUIC to the media's
    /// vendor, content unreadable), `media`, `ice`, `relay` or `relayed-media`.
    #[schemars(with = "String")]
    pub role: LegRole,
    #[schemars(with = "String")]
    pub transport: Proto,
    pub client: String,
    pub server: String,
    #[schemars(with = "Vec<crate::proto::Protocol>")]
    #[serde(deserialize_with = "crate::text::static_names")]
    pub protocols: Vec<&'static str>,
    /// The server side's operator and country (`--geoip`), when a
    /// database holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::assess::geo::Location>,
}

impl CallLeg {
    /// The addresses at either end of each of `legs`, in leg order
    /// (repeats included): the devices, relays and servers a call went
    /// through. Takes the legs, not the call, so a caller may change the
    /// call's other fields meanwhile.
    pub fn addresses(legs: &[CallLeg]) -> impl Iterator<Item = std::net::IpAddr> + '_ {
        legs.iter()
            .flat_map(|l| [&l.client, &l.server])
            .filter_map(|side| side.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct CallMedia {
    pub flow: u64,
    pub ssrc: String,
    #[schemars(with = "Direction")]
    #[serde(deserialize_with = "crate::text::static_name")]
    pub direction: crate::text::StaticName,
    pub codec: Option<String>,
    pub packets: u64,
    pub encrypted: Encrypted,
    pub relayed: bool,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct RelayInfo {
    pub address: String,
    #[schemars(with = "String")]
    pub transport: Proto,
    #[serde(serialize_with = "crate::proto::record::as_texts")]
    #[schemars(with = "Vec<String>")]
    pub relayed_addresses: Vec<std::net::SocketAddr>,
    pub realm: Option<String>,
    pub software: Vec<String>,
    pub vendor: Option<String>,
    /// Policy allow-list entry that covers it, if any.
    pub allowed_by: Option<String>,
    /// Its operator and country (`--geoip`), when a database holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::assess::geo::Location>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ServerInfo {
    pub address: String,
    #[schemars(with = "String")]
    pub transport: Proto,
    pub vendor: Option<String>,
    /// What shows the media ends there.
    pub evidence: String,
    /// Its operator and country (`--geoip`), when a database holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::assess::geo::Location>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ReasoningStep {
    pub step: String,
    pub evidence: Vec<Evidence>,
    /// What the step stands for, so later reasoning can replace it
    /// without reading its text (not part of the report).
    #[serde(skip)]
    pub kind: StepKind,
}

/// Steps the correlator may revisit once more is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepKind {
    /// "Signaling: not visible": replaced when encrypted signaling to the
    /// relay's or media server's vendor is attributed to the call.
    SignalingNotVisible,
    /// Any other step.
    #[default]
    Reason,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    /// Stable id from the catalogue, e.g. `media-cleartext`.
    #[schemars(with = "String")]
    pub id: FindingId,
    pub severity: Severity,
    /// The catalogue's severity before any policy override.
    pub default_severity: Severity,
    pub title: &'static str,
    /// What the finding is about: a server, a stream, a name.
    pub subject: String,
    pub explanation: &'static str,
    pub reference: &'static str,
    pub remedy: &'static str,
    /// The values that triggered the rule (redacted where they are PHI; SRTP keys never).
    #[schemars(with = "BTreeMap<String, String>")]
    pub values: Values,
    /// Where to look: flows and packet numbers as Wireshark numbers them.
    pub evidence: Vec<Evidence>,
    /// Evidence items beyond the first 32 are counted, not listed.
    pub more_evidence: u64,
}

/// A finding's values by name, in name order, serialized as a JSON object.
/// A sorted list, not a `BTreeMap`: a finding has a few values, and a map's
/// first node holds room for eleven (over half a kilobyte), up to 2.7 MB
/// across the 5,000 findings a long capture lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(Vec<(String, String)>);

impl Values {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`, replacing what it held.
    pub fn insert(&mut self, name: String, value: String) {
        match self.find(&name) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.add(i, name, value),
        }
    }

    /// Sets `name` to `value()` unless it holds a value already.
    pub fn insert_if_absent(&mut self, name: &str, value: impl FnOnce() -> String) {
        if let Err(i) = self.find(name) {
            self.add(i, name.to_string(), value());
        }
    }

    /// Room for one more, not for four more (a `Vec`'s doubling): a
    /// finding's values are set once, a few of them.
    fn add(&mut self, at: usize, name: String, value: String) {
        self.0.reserve_exact(1);
        self.0.insert(at, (name, value));
    }

    /// The values in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Evidence {
    pub flow: u64,
    pub first_packet: u64,
    pub last_packet: u64,
    pub first_timestamp: Timestamp,
    pub last_timestamp: Timestamp,
    pub detail: String,
}

impl Evidence {
    /// Where to look, for people: "flow 3, packets 7–46", or for the
    /// wireless layer, which has no IP flow (flow 0), "802.11 frames 7–46".
    pub fn place(&self) -> String {
        let frames = if self.first_packet == self.last_packet {
            self.first_packet.to_string()
        } else {
            format!("{}–{}", self.first_packet, self.last_packet)
        };
        if self.flow == 0 {
            format!("802.11 frame(s) {frames}")
        } else {
            format!("flow {}, packets {frames}", self.flow)
        }
    }
}

/// Each call's verdict, in the order calls were concluded: eight bytes
/// of id and one of verdict a call, since a long capture concludes calls
/// by the ten thousand and the summary lists them all. Written as a map
/// from call id (as text, JSON's keys) to verdict, ids in ascending order.
#[derive(Debug, Clone, Default)]
pub struct CallVerdicts(Vec<(u64, Verdict)>);

impl CallVerdicts {
    pub fn add(&mut self, call: u64, verdict: Verdict) {
        self.0.push((call, verdict));
    }
}

impl Serialize for CallVerdicts {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // Calls are numbered as they are concluded, so this is sorted
        // already but for calls concluded at the end out of order.
        let mut sorted: Vec<&(u64, Verdict)> = self.0.iter().collect();
        sorted.sort_unstable_by_key(|(id, _)| *id);
        let mut map = out.serialize_map(Some(sorted.len()))?;
        for (id, verdict) in sorted {
            crate::proto::record::with_text(id, |id| map.serialize_entry(id, verdict))?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Summary {
    /// Number of findings per severity (all five keys present).
    pub findings_by_severity: BTreeMap<String, u64>,
    /// Findings beyond the first 5,000 distinct ones, counted by id, not listed.
    pub findings_not_listed: BTreeMap<String, u64>,
    /// Call-relevant flows beyond the first 10,000, not correlated into calls.
    pub flows_not_correlated: u64,
    /// Verdict of each call, by call id.
    #[schemars(with = "BTreeMap<String, Verdict>")]
    pub verdicts: CallVerdicts,
    /// Platforms recognised anywhere (names, addresses), with how.
    pub vendors: Vec<VendorSeen>,
    /// Platforms that carried calls or messaging sessions: the answer to
    /// "which platforms do our clinicians use, and do they sign a BAA".
    pub platforms: Vec<PlatformUse>,
}

/// One platform in use: its calls and messaging sessions, BAA status, and
/// the relays and media servers its calls went through.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlatformUse {
    pub name: String,
    pub operator: String,
    pub baa: Baa,
    pub baa_statement: String,
    /// `allow.vendors` in the policy lists it (the clinic has a BAA).
    pub allowed: bool,
    pub calls: Vec<u64>,
    pub messaging_sessions: Vec<u64>,
    /// Relays and media servers of its calls, with operator and country
    /// when a `--geoip` database holds them.
    pub servers: Vec<PlatformServer>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlatformServer {
    pub address: String,
    /// `relay` or `media-server`.
    pub role: &'static str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::assess::geo::Location>,
}

impl PlatformServer {
    /// "relay 192.0.2.1:3478 (AS32934 Meta, IE)": the address, and what
    /// the databases say of it.
    pub fn describe(&self) -> String {
        let place = self.location.as_ref().map(|l| {
            let asn = l.asn.map(|n| format!("AS{n}"));
            let parts: Vec<String> = [
                asn.into_iter()
                    .chain(l.as_organization.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                l.country.clone().unwrap_or_default(),
            ]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
            format!(" ({})", parts.join(", "))
        });
        format!(
            "{} {}{}",
            self.role,
            self.address,
            place.unwrap_or_default()
        )
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VendorSeen {
    pub name: String,
    /// Whether the vendor publicly offers a BAA.
    pub baa: Baa,
    /// Listed under `allow.vendors` in the policy.
    pub allowed: bool,
    /// How it was recognised: "DNS query doxy.me (flow 3, packet 5)".
    pub seen_by: Vec<String>,
    pub flows: Vec<u64>,
}

/// The platform a call ran on, from its strongest signal.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct CallPlatform {
    pub name: String,
    /// The company that runs its servers.
    pub operator: String,
    pub baa: Baa,
    /// The platform's public position on BAAs (data/vendors.toml).
    pub baa_statement: String,
    /// Where that position was read; empty when no public offer was found.
    pub baa_source: String,
    pub confidence: PlatformConfidence,
    /// The signals that named it, strongest first.
    pub evidence: Vec<Evidence>,
}

/// A messaging session: one client's connections to a platform's chat or
/// push service (WhatsApp's chat servers, Apple's push service, which
/// carries iMessage). What it carries is encrypted; that it ran on a
/// platform without a BAA is what an assessment needs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MessagingSession {
    pub id: u64,
    /// Always `messaging`.
    pub kind: &'static str,
    /// The client's address.
    pub client: String,
    /// The platform's servers it connected to.
    pub servers: Vec<String>,
    pub flows: Vec<u64>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub platform: CallPlatform,
}

/// How sure the attribution is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PlatformConfidence {
    // The server's address is in the platform's published ranges.
    Low,
    // A name: SNI, DNS, STUN SOFTWARE, the relay's or media server's vendor.
    Medium,
    // A signature only its clients and servers send: its own STUN message
    // types or attributes, its TURN REALM, its certificate.
    High,
}

impl PlatformConfidence {
    pub fn name(self) -> &'static str {
        match self {
            PlatformConfidence::Low => "low",
            PlatformConfidence::Medium => "medium",
            PlatformConfidence::High => "high",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_verdicts_are_a_map_by_call_id_in_ascending_order() {
        let mut verdicts = CallVerdicts::default();
        // Calls still open at the end are concluded after those written out.
        for (id, verdict) in [
            (2, Verdict::Exposed),
            (10, Verdict::ConduitConsistent),
            (1, Verdict::Indeterminate),
            (100, Verdict::IntermediaryCanAccess),
        ] {
            verdicts.add(id, verdict);
        }
        assert_eq!(
            serde_json::to_string(&verdicts).unwrap(),
            r#"{"1":"indeterminate","2":"exposed","10":"conduit-consistent","100":"intermediary-can-access"}"#
        );
        assert_eq!(
            serde_json::to_string(&CallVerdicts::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn values_keep_name_order_and_the_first_value_unless_replaced() {
        let mut values = Values::default();
        values.insert_if_absent("transport", || "UDP".into());
        values.insert_if_absent("agents", || "Yealink".into());
        values.insert_if_absent("transport", || "TCP".into());
        assert_eq!(values.get("transport").map(String::as_str), Some("UDP"));
        values.insert("transport".into(), "TLS".into());
        values.insert("names".into(), "turn.example".into());
        assert!(values.contains_key("names") && !values.contains_key("allowed_by"));
        // As a JSON object, names in order, as a BTreeMap wrote them.
        assert_eq!(
            serde_json::to_string(&values).unwrap(),
            r#"{"agents":"Yealink","names":"turn.example","transport":"TLS"}"#
        );
        let names: Vec<&String> = (&values).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["agents", "names", "transport"]);
    }
}
