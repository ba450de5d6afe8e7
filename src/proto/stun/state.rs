//! What one flow learns from STUN and TURN messages: usernames, realms,
//! addresses, ICE attributes, TURN channels and what the relay carried.
//! Values are stored on first sight and capped; a message already seen
//! allocates nothing.

use super::parse::{self as stun, Class, Message};
use crate::proto::Seen;
use crate::proto::record::{
    as_optional_text, as_texts, bump, push_unique, push_unique_value, with_text,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;

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
    #[serde(serialize_with = "as_texts")]
    #[schemars(with = "Vec<String>")]
    pub mapped_addresses: Vec<SocketAddr>,
    #[serde(serialize_with = "as_texts")]
    #[schemars(with = "Vec<String>")]
    pub relayed_addresses: Vec<SocketAddr>,
    #[serde(serialize_with = "as_texts")]
    #[schemars(with = "Vec<String>")]
    pub peer_addresses: Vec<SocketAddr>,
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
    /// Every attribute type seen, in order of first sight (up to 32): the
    /// vendor-specific ones (WhatsApp's 0x40xx, MS-TURN's 0x80xx, Zoom's
    /// 0x0101) tell the platform when nothing else does.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "crate::proto::record::as_hex"
    )]
    #[schemars(with = "Vec<String>")]
    pub attribute_types: Vec<u16>,
    /// Message types no RFC names, as numbers (they are in
    /// `message_types` by their hex text).
    #[serde(skip)]
    pub unnamed_message_types: Vec<u16>,
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
    /// RFC 6062: a successful ConnectionBind made this TCP connection a
    /// data connection; the bytes after it are the peer's TCP stream,
    /// relayed as they are.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tcp_data_connection: bool,
    #[serde(default, skip_serializing_if = "crate::proto::record::is_zero")]
    pub relayed_tcp_bytes: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct ChannelBinding {
    pub channel: u16,
    #[serde(serialize_with = "as_optional_text")]
    #[schemars(with = "Option<String>")]
    pub peer: Option<SocketAddr>,
}

impl StunDetail {
    /// Records one STUN message.
    pub fn on_message(&mut self, at: Seen, m: &Message<'_>) {
        let s = self;
        if s.messages == 0 {
            s.first_packet = at.packet;
        }
        s.messages += 1;
        if m.classic {
            s.classic_messages += 1;
        }
        match label(m.method(), m.class()) {
            // A type no RFC defines is kept by number (WhatsApp's 0x0801).
            "Unknown" => {
                push_unique_value(&mut s.unnamed_message_types, m.raw_type(), 16);
                with_text(format_args!("0x{:04x}", m.raw_type()), |t| {
                    bump(&mut s.message_types, t)
                })
            }
            known => bump(&mut s.message_types, known),
        }
        for a in m.attributes() {
            if s.attribute_types.len() < 32 && !s.attribute_types.contains(&a.kind) {
                s.attribute_types.push(a.kind);
            }
        }
        if let Some(u) = m.text(stun::USERNAME) {
            push_unique(&mut s.usernames, u, 16);
        }
        if let Some(sw) = m.text(stun::SOFTWARE) {
            push_unique(&mut s.software, sw, 8);
        }
        if s.realm.is_none() {
            s.realm = m.text(stun::REALM).map(str::to_string);
        }
        s.nonce_seen |= m.has(stun::NONCE);
        s.message_integrity |=
            m.has(stun::MESSAGE_INTEGRITY) || m.has(stun::MESSAGE_INTEGRITY_SHA256);
        for kind in [
            stun::XOR_MAPPED_ADDRESS,
            stun::XOR_MAPPED_ADDRESS_OLD,
            stun::MAPPED_ADDRESS,
        ] {
            if let Some(a) = m.address(kind) {
                push_unique_value(&mut s.mapped_addresses, a, 16);
                break;
            }
        }
        if let Some(a) = m.address(stun::XOR_RELAYED_ADDRESS) {
            push_unique_value(&mut s.relayed_addresses, a, 16);
        }
        for a in m.addresses(stun::XOR_PEER_ADDRESS) {
            push_unique_value(&mut s.peer_addresses, a, 32);
        }
        if let Some(p) = m.u32_attr(stun::PRIORITY) {
            if s.priorities.len() < 8 && !s.priorities.contains(&p) {
                s.priorities.push(p);
            }
        }
        s.ice_controlling |= m.has(stun::ICE_CONTROLLING);
        s.ice_controlled |= m.has(stun::ICE_CONTROLLED);
        if m.has(stun::USE_CANDIDATE) {
            s.use_candidate = true;
            s.use_candidate_packet.get_or_insert(at.packet);
        }
        if let Some(l) = m.u32_attr(stun::LIFETIME) {
            s.lifetime = Some(l);
        }
        if let Some((code, reason)) = m.error_code() {
            with_text(format_args!("{code} {reason}"), |t| {
                push_unique(&mut s.error_codes, t, 8)
            });
        }
        if m.fingerprint_ok() == Some(false) {
            s.bad_fingerprints += 1;
        }
    }
}

impl TurnDetail {
    /// Records a TURN method (channel bindings, Send/Data indications) and
    /// hands back the bytes an indication carries, for the dissector to
    /// look into.
    pub fn on_message<'m>(&mut self, m: &Message<'m>) -> Option<&'m [u8]> {
        let turn = self;
        let method = m.method();
        match (method, m.class()) {
            (stun::method::CHANNEL_BIND, Class::Request) => {
                // Bindings are refreshed every few minutes: store each once.
                if let Some(channel) = m.channel_number() {
                    let peer = m.address(stun::XOR_PEER_ADDRESS);
                    let known = turn
                        .channels
                        .iter()
                        .any(|b| b.channel == channel && b.peer == peer);
                    if turn.channels.len() < 64 && !known {
                        turn.channels.push(ChannelBinding { channel, peer });
                    }
                }
                None
            }
            (stun::method::CONNECTION_BIND, Class::Success) => {
                turn.tcp_data_connection = true;
                None
            }
            (stun::method::SEND, Class::Indication) | (stun::method::DATA, Class::Indication) => {
                if method == stun::method::SEND {
                    turn.send_indications += 1;
                } else {
                    turn.data_indications += 1;
                }
                m.attribute(stun::DATA)
            }
            _ => None,
        }
    }

    /// Counts one ChannelData frame; its bytes are the dissector's to look into.
    pub fn on_channel_data(&mut self, cd: &stun::ChannelData<'_>) {
        self.channel_data_frames += 1;
        self.channel_data_bytes += cd.data.len() as u64;
    }

    /// Notes a protocol found inside the relayed bytes.
    pub fn carried(&mut self, label: &'static str) {
        if !self.carried.contains(&label) {
            self.carried.push(label);
        }
    }
}

/// "Method class" as Wireshark names it, e.g. "Binding request".
pub fn label(method: u16, class: Class) -> &'static str {
    use stun::method::*;
    macro_rules! table {
        ($($m:ident => $name:literal),*) => {
            match (method, class) {
                $(
                    ($m, Class::Request) => concat!($name, " request"),
                    ($m, Class::Indication) => concat!($name, " indication"),
                    ($m, Class::Success) => concat!($name, " success"),
                    ($m, Class::Error) => concat!($name, " error"),
                )*
                _ => "Unknown",
            }
        };
    }
    table!(
        BINDING => "Binding", SHARED_SECRET => "SharedSecret", ALLOCATE => "Allocate", REFRESH => "Refresh",
        SEND => "Send", DATA => "Data", CREATE_PERMISSION => "CreatePermission", CHANNEL_BIND => "ChannelBind",
        CONNECT => "Connect", CONNECTION_BIND => "ConnectionBind", CONNECTION_ATTEMPT => "ConnectionAttempt"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Dir;
    use crate::proto::stun::parse::tests::RFC5769_REQUEST;

    #[test]
    fn an_ice_check_is_recorded_once_per_value() {
        let m = Message::parse(&RFC5769_REQUEST).unwrap();
        let mut s = StunDetail::default();
        for packet in [7, 9] {
            let at = Seen {
                packet,
                ts: 0,
                dir: Dir::ClientToServer,
            };
            s.on_message(at, &m);
        }
        assert_eq!(s.messages, 2);
        assert_eq!(s.first_packet, 7);
        assert_eq!(s.message_types["Binding request"], 2);
        assert_eq!(s.usernames, ["evtj:h6vY"]);
        assert_eq!(s.software, ["STUN test client"]);
        assert_eq!(s.priorities, [0x6e0001ff]);
        assert!(s.ice_controlled && !s.ice_controlling && s.message_integrity);
        assert_eq!(s.bad_fingerprints, 0);
        // A Binding request is no TURN method.
        assert_eq!(TurnDetail::default().on_message(&m), None);
    }
}
