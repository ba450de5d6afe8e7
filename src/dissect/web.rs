//! Cleartext web connections followed message by message: HTTP/1.x
//! requests and responses framed by Content-Length or chunks, the upgrade
//! to WebSocket and its frames, and in their bodies the WebRTC signaling
//! that crossed the network readable: SDP (raw `application/sdp`, or a
//! JSON string holding it, as aiortc and most WebRTC samples send it),
//! trickled ICE candidates, and SIP over WebSocket (RFC 7118), which goes
//! to the SIP dissector like any other SIP. Bodies and frames beyond 64 KiB
//! are skipped by length, unread and counted, never buffered.

use super::{Ctx, FlowState};
use crate::flow::tcp::MAX_BUFFERED;
use crate::proto::http::websocket::{self, Frame};
use crate::proto::http::{self, Body, Message, WebSdp, WebSocketDetail};
use crate::proto::search::{Needles, searchers};
use crate::proto::sip::state::describe_sdp;
use crate::proto::{ParseError, Protocol, sdp, sip};
use crate::time::Timestamp;

/// Largest WebSocket message read for signaling (a frame must be whole in
/// the stream buffer to be unmasked).
const MAX_MESSAGE: usize = MAX_BUFFERED - 1024;
/// Largest HTTP body read for signaling: an SDP offer with many codecs and
/// candidates, JSON-escaped, stays well under it.
const MAX_SIGNALING: usize = 32 * 1024;
/// SDP bodies kept per connection: each signals a call, and a signaling
/// WebSocket may stay open for a clinic's whole day of calls. Past it they
/// are counted and the flow says so.
pub(super) const MAX_SDP: usize = 64;
const MAX_CANDIDATES: usize = 32;

/// Per-direction progress through a web connection.
#[derive(Clone, Default)]
pub(super) struct WebStream {
    /// Past the upgrade: WebSocket frames from here on.
    websocket: [bool; 2],
    /// Bytes of a body or frame to pass over unread.
    skip: [u64; 2],
    /// A WebSocket message being assembled from its frames (unmasked).
    message: [Vec<u8>; 2],
    /// The opcode of the message being assembled.
    opcode: [u8; 2],
    /// Where the current frame's payload is (a frame split over segments
    /// is read whole: the stream buffers until it is all there).
    scratch: Vec<u8>,
}

impl FlowState {
    /// HTTP messages, then WebSocket frames after an upgrade. Returns the
    /// bytes consumed, `None` once the direction is not worth following.
    pub(super) fn web_stream(
        &mut self,
        ctx: &mut Ctx<'_>,
        web: &mut WebStream,
        data: &[u8],
    ) -> Option<usize> {
        let d = ctx.at.dir.index();
        let mut used = skip(&mut web.skip[d], data.len());
        loop {
            if web.websocket[d] {
                return self
                    .websocket_frames(ctx, web, &data[used..])
                    .map(|n| used + n);
            }
            let rest = &data[used..];
            if rest.is_empty() {
                return Some(used);
            }
            let m = match Message::parse(rest) {
                Ok(m) => m,
                Err(ParseError::Incomplete { .. }) => return Some(used),
                Err(ParseError::Invalid(_)) => return None,
            };
            self.protocols.insert(Protocol::Http);
            if m.method.is_some() {
                if let Some(r) = http::parse_request(rest) {
                    self.http
                        .get_or_insert_with(Default::default)
                        .on_request(ctx.at, &r);
                }
            }
            let carrier = match m.method {
                Some(method) => BodyCarrier::Request {
                    method,
                    path: m.target.split('?').next().unwrap_or(""),
                },
                None => BodyCarrier::Response(m.status),
            };
            let content_type = m.content_type;
            // Only bodies that can hold signaling are read: the rest (pages,
            // images, downloads) are passed over by length, never buffered.
            let readable = may_signal(content_type);
            let body_start = used + m.head_len;
            match m.body {
                Body::Whole(body) => {
                    if readable && body.len() <= MAX_SIGNALING {
                        self.web_payload(ctx, carrier, content_type, body);
                    }
                    used = body_start + body.len();
                }
                Body::Sized(n) if readable && n <= MAX_SIGNALING => return Some(used),
                Body::Sized(n) => {
                    let here = data.len() - body_start;
                    web.skip[d] = (n - here) as u64;
                    return Some(data.len());
                }
                // Chunks cannot be passed over by length: stop following
                // this direction unless the body may be signaling.
                Body::Chunked if !readable => return None,
                Body::Chunked => {
                    let mut body = std::mem::take(&mut web.scratch);
                    body.clear();
                    let framed = http::dechunk(&data[body_start..], &mut body, MAX_SIGNALING);
                    let result = match framed {
                        Ok(n) => {
                            self.web_payload(ctx, carrier, content_type, &body);
                            used = body_start + n;
                            None
                        }
                        // Wait for the rest unless it can never fit.
                        Err(ParseError::Incomplete { .. }) if data.len() - used < MAX_SIGNALING => {
                            Some(Some(used))
                        }
                        Err(_) => Some(None),
                    };
                    web.scratch = body;
                    if let Some(r) = result {
                        return r;
                    }
                }
                Body::UntilClose => {
                    // Only the close ends it: read what is here, then stop.
                    self.web_payload(ctx, carrier, content_type, &data[body_start..]);
                    return None;
                }
            }
            let upgrade = m.upgrades_to_websocket() || (m.method.is_some() && m.asks_websocket());
            if upgrade {
                web.websocket[d] = true;
                self.protocols.insert(Protocol::Websocket);
                let ws = self
                    .http
                    .get_or_insert_with(Default::default)
                    .websocket
                    .get_or_insert_with(WebSocketDetail::default);
                if m.status == 101 || ws.upgrade_packet == 0 {
                    ws.upgrade_packet = ctx.at.packet;
                }
            }
        }
    }

    /// WebSocket frames; text messages are read for signaling.
    fn websocket_frames(
        &mut self,
        ctx: &mut Ctx<'_>,
        web: &mut WebStream,
        data: &[u8],
    ) -> Option<usize> {
        let d = ctx.at.dir.index();
        let mut used = 0;
        loop {
            let rest = &data[used..];
            if rest.is_empty() {
                return Some(used);
            }
            let frame = match Frame::parse(rest) {
                Ok(f) => f,
                Err(ParseError::Incomplete { .. }) => return Some(used),
                Err(ParseError::Invalid(why)) => {
                    self.notes.push(format!(
                        "WebSocket framing lost at packet {} ({why}): the rest of this direction is not read",
                        ctx.at.packet
                    ));
                    return None;
                }
            };
            let detail = self
                .http
                .get_or_insert_with(Default::default)
                .websocket
                .get_or_insert_with(WebSocketDetail::default);
            let total = frame.header_len as u64 + frame.payload_len;
            if frame.payload_len > MAX_MESSAGE as u64 {
                detail.frames += 1;
                detail.skipped_frames += 1;
                if detail.skipped_frames == 1 {
                    self.notes.push(format!(
                        "WebSocket frame of {} bytes at packet {} skipped unread (beyond {} KiB)",
                        frame.payload_len,
                        ctx.at.packet,
                        MAX_MESSAGE / 1024
                    ));
                }
                web.message[d].clear();
                let here = rest.len() as u64;
                if total > here {
                    web.skip[d] = total - here;
                    return Some(data.len());
                }
                used += total as usize;
                continue;
            }
            let total = total as usize;
            if rest.len() < total {
                return Some(used);
            }
            detail.frames += 1;
            let payload = &rest[frame.header_len..total];
            used += total;
            match frame.opcode {
                websocket::OP_TEXT | websocket::OP_BINARY | websocket::OP_CONTINUATION => {
                    if frame.opcode != websocket::OP_CONTINUATION {
                        web.message[d].clear();
                        web.opcode[d] = frame.opcode;
                    }
                    if Frame::compressed(rest) {
                        detail.compressed_messages += 1;
                        web.opcode[d] = websocket::OP_BINARY;
                    }
                    let room = MAX_MESSAGE.saturating_sub(web.message[d].len());
                    let offset = 0;
                    frame.unmask_into(
                        &payload[..payload.len().min(room)],
                        offset,
                        &mut web.message[d],
                    );
                    if frame.fin && web.opcode[d] == websocket::OP_TEXT {
                        detail.text_messages += 1;
                        let message = std::mem::take(&mut web.message[d]);
                        self.web_payload(ctx, BodyCarrier::WebSocket, None, &message);
                        web.message[d] = message;
                        web.message[d].clear();
                    }
                }
                websocket::OP_CLOSE => return None,
                _ => {}
            }
        }
    }

    /// Looks for signaling in a body or message: SIP, raw SDP, or JSON
    /// holding SDP and candidates.
    fn web_payload(
        &mut self,
        ctx: &mut Ctx<'_>,
        carrier: BodyCarrier<'_>,
        content_type: Option<&str>,
        body: &[u8],
    ) {
        let text = body.trim_ascii_start();
        if text.is_empty() {
            return;
        }
        if sip::looks_like_sip(text) {
            if self.on_sip_bytes(ctx, text, false).is_ok() {
                let ws = self.http.get_or_insert_with(Default::default);
                ws.signaling_packet.get_or_insert(ctx.at.packet);
                if let Some(ws) = ws.websocket.as_mut() {
                    ws.sip_messages += 1;
                }
            }
            return;
        }
        let is_sdp = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("sdp"));
        if is_sdp || text.starts_with(b"v=0") {
            self.web_sdp(ctx, carrier, None, text);
            return;
        }
        // Most JSON on the web is not signaling: parse only what holds an
        // SDP (in a JSON string, `v=0` and an escaped line break) or a
        // candidate.
        static SIGNALING: Needles =
            Needles::new(|| searchers(&[br"v=0\r\n", br"v=0\n", b"candidate:"]));
        let signaling = crate::proto::search::any_in(&SIGNALING, &[text]);
        if matches!(text.first(), Some(b'{' | b'[')) && signaling {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(text) else {
                return;
            };
            let mut found: Vec<(Option<String>, String)> = Vec::new();
            let mut candidates: Vec<String> = Vec::new();
            walk_json(&value, None, &mut found, &mut candidates);
            for (kind, sdp_text) in found {
                self.web_sdp(ctx, carrier, kind, sdp_text.as_bytes());
            }
            for c in candidates {
                if let Some(c) = sdp::parse_candidate(&c) {
                    let http = self.http.get_or_insert_with(Default::default);
                    http.signaling_packet.get_or_insert(ctx.at.packet);
                    if http.candidates.len() < MAX_CANDIDATES {
                        http.candidates.push(crate::proto::sip::SdpCandidate {
                            kind: c.kind,
                            transport: c.transport,
                            address: c.address,
                            port: c.port,
                        });
                    }
                }
            }
        }
    }

    fn web_sdp(
        &mut self,
        ctx: &mut Ctx<'_>,
        carrier: BodyCarrier<'_>,
        kind: Option<String>,
        body: &[u8],
    ) {
        let Some((record, announced)) = describe_sdp(ctx.at, body, carrier.to_string()) else {
            return;
        };
        self.protocols.insert(Protocol::Sdp);
        ctx.shared.announce(announced);
        let http = self.http.get_or_insert_with(Default::default);
        http.signaling_packet.get_or_insert(ctx.at.packet);
        if http.sdp.len() < MAX_SDP {
            http.sdp.push(WebSdp {
                timestamp: Timestamp(ctx.at.ts),
                carrier: carrier.to_string(),
                kind,
                sdp: record,
            });
        } else {
            http.sdp_not_kept += 1;
        }
    }
}

/// What carried a body: named only when it held signaling, so messages
/// without any cost no allocation.
#[derive(Clone, Copy)]
enum BodyCarrier<'a> {
    Request { method: &'a str, path: &'a str },
    Response(u16),
    WebSocket,
}

impl std::fmt::Display for BodyCarrier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyCarrier::Request { method, path } => write!(f, "{method} {path}"),
            BodyCarrier::Response(status) => write!(f, "{status}"),
            BodyCarrier::WebSocket => f.write_str("WebSocket text"),
        }
    }
}

/// Whether a body of this Content-Type can carry signaling: SDP, JSON,
/// plain text, or untyped.
fn may_signal(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let ct = ct.as_bytes();
    let has = |needle: &[u8]| {
        ct.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    has(b"sdp") || has(b"json") || has(b"text/plain")
}

/// Consumes up to `available` bytes of a pending skip; returns how many.
fn skip(pending: &mut u64, available: usize) -> usize {
    let n = (*pending).min(available as u64);
    *pending -= n;
    n as usize
}

/// Strings in a JSON value that are SDP (`v=0...`), with the `type` next
/// to them (`offer`, `answer`), and trickled `candidate:` strings. JSON
/// strings may themselves hold JSON (signaling servers double-encode).
fn walk_json(
    value: &serde_json::Value,
    kind: Option<&str>,
    found: &mut Vec<(Option<String>, String)>,
    candidates: &mut Vec<String>,
) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with("v=0") && found.len() < MAX_SDP {
                found.push((kind.map(str::to_string), s.clone()));
            } else if t.starts_with("candidate:") && candidates.len() < MAX_CANDIDATES {
                candidates.push(s.clone());
            } else if t.starts_with('{') {
                if let Ok(inner) = serde_json::from_str::<Value>(t) {
                    walk_json(&inner, kind, found, candidates);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk_json(v, kind, found, candidates);
            }
        }
        Value::Object(map) => {
            let here = map
                .get("type")
                .and_then(Value::as_str)
                .filter(|t| matches!(*t, "offer" | "answer" | "pranswer"))
                .or(kind);
            for v in map.values() {
                walk_json(v, here, found, candidates);
            }
        }
        _ => {}
    }
}
