//! A call's events over time, like sngrep's call flow: signaling, ICE,
//! DTLS and media start/stop, in packet order. The TUI, the Markdown and the
//! HTML reports all draw this one list.

use super::model::{Call, FlowRecord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LadderEvent {
    pub packet: u64,
    pub flow: u64,
    pub client: String,
    pub server: String,
    /// The event goes from the server side to the client side.
    pub to_client: bool,
    pub label: String,
}

pub fn events(call: &Call, flows: &[FlowRecord]) -> Vec<LadderEvent> {
    let mut events = Vec::new();
    for leg in &call.legs {
        let Some(f) = flows.iter().find(|f| f.id == leg.flow) else {
            continue;
        };
        let mut push = |packet: u64, to_client: bool, label: String| {
            events.push(LadderEvent {
                packet,
                flow: f.id,
                client: f.client.to_string(),
                server: f.server.to_string(),
                to_client,
                label,
            })
        };
        if let Some(sip) = &f.sip {
            for m in &sip.messages {
                push(
                    m.packet,
                    m.direction == "server-to-client",
                    m.message.clone(),
                );
            }
        }
        if let Some(stun) = &f.stun {
            let types: Vec<String> = stun
                .message_types
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect();
            push(
                stun.first_packet,
                false,
                format!("STUN {}", types.join(", ")),
            );
        }
        if let Some(t) = &f.tls {
            let kind = if f.transport == crate::facts::Proto::Udp {
                "DTLS"
            } else {
                "TLS"
            };
            if let Some(p) = t.client_hello_packet {
                push(p, false, format!("{kind} ClientHello"));
            }
            if let Some(p) = t.server_hello_packet {
                push(
                    p,
                    true,
                    format!("ServerHello {}", t.version.map_or("", |v| v.name())),
                );
            }
        }
        for s in f.rtp.iter().flat_map(|r| &r.streams) {
            let kind = if s.encrypted == crate::facts::Encrypted::Yes {
                "SRTP"
            } else {
                "RTP"
            };
            let to_client = s.direction == "server-to-client";
            push(
                s.first_packet,
                to_client,
                format!("{kind} {} starts", s.ssrc),
            );
            push(
                s.last_packet,
                to_client,
                format!("{kind} {} ends ({} pkts)", s.ssrc, s.packets),
            );
        }
    }
    events.sort_by_key(|e| e.packet);
    events
}
