//! The requests of a cleartext HTTP flow: method, Host, path (never the
//! query string, which can carry identifiers) and User-Agent; the WebSocket
//! it may become; and the WebRTC signaling (SDP, trickled ICE candidates)
//! readable in its bodies and messages.

use super::parse::Request;
use crate::proto::Seen;
use crate::proto::sip::{SdpCandidate, SdpRecord};
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct HttpDetail {
    pub requests: Vec<HttpRequest>,
    /// The connection was upgraded to WebSocket (RFC 6455).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<WebSocketDetail>,
    /// SDP offers and answers read in the clear, in bodies or messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sdp: Vec<WebSdp>,
    /// SDP bodies past the ones kept: the calls they signaled are not
    /// joined to this connection (the flow's notes say so).
    #[serde(default, skip_serializing_if = "crate::proto::record::is_zero")]
    pub sdp_not_kept: u64,
    /// ICE candidates trickled outside SDP (`{"candidate": "candidate:..."}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<SdpCandidate>,
    /// The first packet that carried readable signaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signaling_packet: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct WebSocketDetail {
    /// The packet of the 101 Switching Protocols (or of the first frame).
    pub upgrade_packet: u64,
    pub frames: u64,
    pub text_messages: u64,
    /// Messages compressed with permessage-deflate: not read.
    pub compressed_messages: u64,
    /// Frames longer than followed (64 KiB), skipped unread.
    pub skipped_frames: u64,
    /// SIP messages carried in text frames (RFC 7118).
    pub sip_messages: u64,
}

/// An SDP read in the clear on a web connection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WebSdp {
    pub timestamp: Timestamp,
    /// What carried it: `POST /offer`, `200`, `WebSocket text`.
    pub carrier: String,
    /// `offer` or `answer`, when the JSON around it says.
    pub kind: Option<String>,
    #[serde(flatten)]
    pub sdp: SdpRecord,
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

impl HttpDetail {
    pub fn on_request(&mut self, at: Seen, r: &Request<'_>) {
        if self.requests.len() < 32 {
            self.requests.push(HttpRequest {
                method: r.method.to_string(),
                host: r.host.map(str::to_string),
                path: r.target.split('?').next().unwrap_or_default().to_string(),
                user_agent: r.user_agent.map(str::to_string),
                packet: at.packet,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_is_never_kept() {
        let r = Request {
            method: "GET",
            target: "/visit?patient=Jane+Doe",
            host: Some("portal.clinic.example"),
            user_agent: None,
        };
        let mut h = HttpDetail::default();
        let at = Seen {
            packet: 4,
            ts: 0,
            dir: crate::flow::Dir::ClientToServer,
        };
        h.on_request(at, &r);
        assert_eq!(h.requests[0].path, "/visit");
        assert_eq!(h.requests[0].host.as_deref(), Some("portal.clinic.example"));
    }
}
