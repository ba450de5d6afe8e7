//! Typed facts: what the engine learnt about each flow and the capture,
//! the narrow waist between the protocol dissectors and everything after
//! them (assessment, reports, tables). These types serialize to the
//! `flows[]`, `capture` and `dns_names` parts of `teleprobe.report/1`.
//! This module must never import the assessment or the report: facts flow
//! one way, upward.

use crate::proto::record::as_text;
use schemars::JsonSchema;
use serde::Serialize;
use std::net::SocketAddr;

use crate::time::Timestamp;

pub use crate::flow::Dir as Direction;
pub use crate::flow::timeline::TimelineRecord as Timeline;
pub use crate::flow::{End, Proto};
pub use crate::proto::demux::WireMarker;
pub use crate::proto::dns::{DnsAnswer, DnsDetail, DnsQuery};
pub use crate::proto::http::{HttpDetail, HttpRequest, WebSdp, WebSocketDetail};
pub use crate::proto::quic::QuicDetail;
pub use crate::proto::rtp::verdict::{Confidence, Encrypted};
pub use crate::proto::rtp::{RtcpDetail, RtpDetail, RtpStream, SdesRecord};
pub use crate::proto::sip::{
    DialogMessage, DialogRecord, DialogSdp, DialogState, SdpCandidate, SdpMedia, SdpRecord,
    SipDetail, SipIdentity, SipMessageRecord,
};
pub use crate::proto::stun::{ChannelBinding, StunDetail, TurnDetail};
pub use crate::proto::tls::{CertificateDetail, TlsDetail};
pub use crate::proto::wifi::state::{
    ClassChange, ClientRecord, DeauthRecord, EapMethod, EapRecord, Frames, HandshakeRecord,
    NetworkRecord, WirelessFrames, WirelessReport, WpsRecord,
};
pub use crate::proto::zoom::ZoomDetail;
pub use crate::proto::zrtp::ZrtpDetail;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CaptureInfo {
    pub files: Vec<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_timestamp: Option<Timestamp>,
    pub last_timestamp: Option<Timestamp>,
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
    pub transport: Proto,
    #[serde(serialize_with = "as_text")]
    #[schemars(with = "String")]
    pub client: SocketAddr,
    #[serde(serialize_with = "as_text")]
    #[schemars(with = "String")]
    pub server: SocketAddr,
    pub first_timestamp: Timestamp,
    pub last_timestamp: Timestamp,
    /// Frame numbers as Wireshark counts them (1-based, whole capture).
    pub first_packet: u64,
    pub last_packet: u64,
    pub client_to_server: Counters,
    pub server_to_client: Counters,
    /// How the flow ended: `fin`, `rst`, `idle`, `capture-end`, `evicted` (ended early: the flow table was full), or `live` in a snapshot of a flow still running.
    pub end: End,
    /// Protocols seen on the flow, from a fixed vocabulary, in vocabulary order.
    #[schemars(with = "Vec<crate::proto::Protocol>")]
    pub protocols: Vec<&'static str>,
    // The details are boxed: a record holds only those its flow has, so a
    // DNS flow's record is a few hundred bytes, not two kilobytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stun: Option<Box<StunDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<Box<TurnDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<Box<SipDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtp: Option<RtpDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtcp: Option<Box<RtcpDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Box<TlsDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Box<DnsDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<Box<QuicDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Box<HttpDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zrtp: Option<ZrtpDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoom: Option<Box<ZoomDetail>>,
    /// SIP (and other) messages mirrored to a monitoring collector (HEP3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hep: Option<Box<crate::proto::hep::HepDetail>>,
    /// Platforms' own fixed packets seen (Discord's voice keepalive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<WireMarker>,
    /// Bytes over time, for flows recognised as telehealth (signaling,
    /// ICE, relays, media).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// Remarks about how the flow was read (gaps, protected signaling...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FlowRecord {
    /// A record of a flow's ends and nothing else (no packets, no protocol
    /// detail, ended idle): what a view of a flow, or a test's flow, starts
    /// from.
    pub fn bare(id: u64, transport: Proto, client: SocketAddr, server: SocketAddr) -> FlowRecord {
        FlowRecord {
            id,
            transport,
            client,
            server,
            first_timestamp: Timestamp::default(),
            last_timestamp: Timestamp::default(),
            first_packet: 0,
            last_packet: 0,
            client_to_server: Counters::default(),
            server_to_client: Counters::default(),
            end: End::Idle,
            protocols: Vec::new(),
            stun: None,
            turn: None,
            sip: None,
            rtp: None,
            rtcp: None,
            tls: None,
            dns: None,
            quic: None,
            http: None,
            zrtp: None,
            zoom: None,
            hep: None,
            markers: Vec::new(),
            timeline: None,
            notes: Vec::new(),
        }
    }
}
