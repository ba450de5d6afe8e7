//! Typed facts: what the engine learnt about each flow and the capture,
//! the narrow waist between the protocol dissectors and everything after
//! them (assessment, reports, tables). These types serialize to the
//! `flows[]`, `capture` and `dns_names` parts of `teleprobe.report/1`.
//! This module must never import the assessment or the report: facts flow
//! one way, upward.

use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::flow::timeline::TimelineRecord as Timeline;

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TransportName {
    Udp,
    Tcp,
}

#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum FlowEnd {
    Fin,
    Rst,
    Idle,
    CaptureEnd,
    Live,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Encrypted {
    Yes,
    No,
    Unknown,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Confidence {
    High,
    Medium,
    Low,
}

#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CaptureInfo {
    pub files: Vec<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub link_types: Vec<String>,
    /// Frames that could not be decoded (bad headers, truncated layers).
    pub malformed_packets: u64,
    /// Frames that are not IP UDP/TCP (ARP, ICMP, other link types).
    pub other_packets: u64,
    pub fragments_reassembled: u64,
    pub fragments_dropped: u64,
    /// Set when reading stopped early: the file was truncated or corrupt.
    pub truncated: Option<String>,
    /// libpcap's counters when capturing live: what was received and dropped.
    pub interface_stats: Option<crate::source::live::CaptureStats>,
    /// Anything else about how the capture was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DnsName {
    pub name: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, JsonSchema)]
pub struct Counters {
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FlowRecord {
    pub id: u64,
    #[schemars(with = "TransportName")]
    pub transport: &'static str,
    pub client: String,
    pub server: String,
    pub first_timestamp: String,
    pub last_timestamp: String,
    /// Frame numbers as Wireshark counts them (1-based, whole capture).
    pub first_packet: u64,
    pub last_packet: u64,
    pub client_to_server: Counters,
    pub server_to_client: Counters,
    /// How the flow ended: `fin`, `rst`, `idle`, `capture-end`, or `live` in a snapshot of a flow still running.
    #[schemars(with = "FlowEnd")]
    pub end: &'static str,
    /// Protocols seen on the flow, from a fixed vocabulary, in vocabulary order.
    #[schemars(with = "Vec<crate::proto::Protocol>")]
    pub protocols: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stun: Option<StunDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<TurnDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<SipDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtp: Option<RtpDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtcp: Option<RtcpDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<QuicDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zrtp: Option<ZrtpDetail>,
    /// Bytes over time, for flows recognised as telehealth (signaling,
    /// ICE, relays, media).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// Remarks about how the flow was read (gaps, protected signaling...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct StunDetail {
    pub messages: u64,
    /// Messages without the RFC 5389 magic cookie (RFC 3489 "classic" STUN).
    pub classic_messages: u64,
    /// Count per "Method class", e.g. "Binding request": 4.
    pub message_types: BTreeMap<String, u64>,
    pub first_packet: u64,
    pub usernames: Vec<String>,
    pub software: Vec<String>,
    pub realm: Option<String>,
    pub nonce_seen: bool,
    pub message_integrity: bool,
    pub mapped_addresses: Vec<String>,
    pub relayed_addresses: Vec<String>,
    pub peer_addresses: Vec<String>,
    /// Distinct PRIORITY values of ICE checks (first 8).
    pub priorities: Vec<u32>,
    pub ice_controlling: bool,
    pub ice_controlled: bool,
    pub use_candidate: bool,
    /// Packet number of the first Binding request carrying USE-CANDIDATE.
    pub use_candidate_packet: Option<u64>,
    pub lifetime: Option<u32>,
    pub error_codes: Vec<String>,
    pub bad_fingerprints: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct TurnDetail {
    pub channel_data_frames: u64,
    pub channel_data_bytes: u64,
    pub send_indications: u64,
    pub data_indications: u64,
    /// Channel bindings: number and the peer it was bound to.
    pub channels: Vec<ChannelBinding>,
    /// Protocols found inside ChannelData and Send/Data indications.
    pub carried: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct ChannelBinding {
    pub channel: u16,
    pub peer: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SipDetail {
    pub requests: BTreeMap<String, u64>,
    pub responses: BTreeMap<String, u64>,
    pub call_ids: Vec<String>,
    pub identities: Vec<SipIdentity>,
    pub user_agents: Vec<String>,
    /// Authorization or Proxy-Authorization headers were seen.
    pub authorization: bool,
    pub sdp: Vec<SdpRecord>,
    pub first_packet: u64,
    /// The first 64 messages in order, like sngrep's call flow.
    pub messages: Vec<SipMessageRecord>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SipMessageRecord {
    pub packet: u64,
    #[schemars(with = "Direction")]
    pub direction: &'static str,
    /// Method for requests, status code and reason for responses.
    pub message: String,
    pub cseq: Option<String>,
    pub call_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct SipIdentity {
    pub header: &'static str,
    pub display_name: Option<String>,
    pub uri: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SdpRecord {
    pub packet: u64,
    /// The SIP message that carried it: "INVITE", "200"...
    pub message: String,
    pub call_id: Option<String>,
    pub media: Vec<SdpMedia>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SdpMedia {
    pub kind: String,
    pub address: Option<String>,
    pub port: u16,
    /// Where RTCP goes: a=rtcp, or port + 1 without a=rtcp-mux; none when muxed.
    pub rtcp_port: Option<u16>,
    pub profile: String,
    /// a=crypto lines were present (SDES keys; the keys themselves are never kept).
    pub crypto: bool,
    pub crypto_suites: Vec<String>,
    pub fingerprint: Option<String>,
    pub setup: Option<String>,
    pub ice_ufrag: Option<String>,
    pub candidates: Vec<SdpCandidate>,
    pub codecs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SdpCandidate {
    #[serde(rename = "type")]
    pub kind: String,
    pub transport: String,
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct RtpDetail {
    pub streams: Vec<RtpStream>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RtpStream {
    pub ssrc: String,
    #[schemars(with = "Direction")]
    pub direction: &'static str,
    pub payload_type: u8,
    pub codec: Option<String>,
    pub packets: u64,
    pub payload_bytes: u64,
    pub first_packet: u64,
    pub last_packet: u64,
    pub first_timestamp: String,
    pub last_timestamp: String,
    /// Sequence numbers skipped (lost or not captured).
    pub sequence_gaps: u64,
    pub out_of_order: u64,
    /// Carried inside TURN ChannelData or Send/Data indications.
    pub relayed: bool,
    /// Whether the payload is encrypted (SRTP), with `evidence` saying why.
    #[schemars(with = "Encrypted")]
    pub encrypted: &'static str,
    /// `high` (signaling or key exchange says so), `medium` (payload statistics), `low`.
    #[schemars(with = "Confidence")]
    pub confidence: &'static str,
    pub evidence: Vec<String>,
    pub payload_entropy: f64,
    pub payload_chi_square: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct RtcpDetail {
    pub packets: u64,
    /// Packets that did not parse as plain compound RTCP: SRTCP.
    pub srtcp_packets: u64,
    pub packet_types: BTreeMap<String, u64>,
    pub sdes: Vec<SdesRecord>,
    pub bye: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct SdesRecord {
    pub ssrc: String,
    pub item: &'static str,
    pub value: String,
    pub packet: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct TlsDetail {
    /// Negotiated version from the ServerHello ("TLS 1.3", "DTLS 1.2").
    pub version: Option<String>,
    pub client_versions: Vec<String>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub alpn_selected: Option<String>,
    pub cipher: Option<String>,
    pub cipher_id: Option<u16>,
    /// DTLS use_srtp: profiles offered, and the one the server chose.
    pub srtp_profiles_offered: Vec<String>,
    pub srtp_profile: Option<String>,
    pub client_hello_packet: Option<u64>,
    pub server_hello_packet: Option<u64>,
    pub certificate: Option<CertificateDetail>,
    pub application_data_records: u64,
    pub alerts: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CertificateDetail {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub self_signed: bool,
    pub dns_names: Vec<String>,
    pub packet: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct DnsDetail {
    pub queries: Vec<DnsQuery>,
    pub answers: Vec<DnsAnswer>,
    pub response_codes: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct DnsQuery {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub packet: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct DnsAnswer {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: String,
    pub ttl: u32,
    pub packet: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct QuicDetail {
    pub versions: Vec<String>,
    pub initial_packets: u64,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub cipher: Option<String>,
    /// Initial packets whose payload we could decrypt with the public keys.
    pub decrypted_initials: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HttpDetail {
    pub requests: Vec<HttpRequest>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HttpRequest {
    pub method: String,
    pub host: Option<String>,
    /// Path only: query strings can carry identifiers and are never kept.
    pub path: String,
    pub user_agent: Option<String>,
    pub packet: u64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ZrtpDetail {
    pub packets: u64,
    pub message_types: BTreeMap<String, u64>,
}
