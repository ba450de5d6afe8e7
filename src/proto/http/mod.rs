//! Cleartext HTTP/1.x: request heads and message framing ([`parse`]),
//! WebSocket frames after an upgrade ([`websocket`]), and what a flow
//! records of them ([`state`]).

mod parse;
pub mod state;
pub mod websocket;

pub use parse::*;
pub use state::{HttpDetail, HttpRequest, WebSdp, WebSocketDetail};
