//! One folder per protocol: `parse.rs` turns bytes into borrowed views or
//! values (pure functions, never panicking, each with a fuzz target under
//! fuzz/), `state.rs` is what one flow learns from that protocol's messages
//! and the facts it reports. A protocol never routes bytes to another: the
//! dissector does (TURN carrying DTLS, QUIC carrying TLS). Nothing here
//! knows about other flows, the assessment or the report.

pub mod demux;
pub mod dns;
pub mod hep;
pub mod http;
pub mod quic;
pub mod record;
pub mod rtp;
pub mod search;
pub mod sip;
pub mod stun;
pub mod tls;
pub mod wifi;
pub mod zoom;
pub mod zrtp;

pub use sip::sdp;

use crate::flow::Dir;
use crate::time::Nanos;

/// Why bytes did not parse. Stream protocols need the difference: more
/// bytes may complete an `Incomplete` message, an `Invalid` one will never
/// be this protocol, so the stream stops being followed instead of
/// buffering up to its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A prefix of a valid message; at least `needed` more bytes are wanted.
    Incomplete { needed: usize },
    /// Not this protocol, or broken beyond repair.
    Invalid(&'static str),
}

/// What a protocol's probe says of a stream's first bytes (as Retina's
/// probe-then-parse): the stream is surely this protocol, may still be
/// once more bytes come, or is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Certain,
    Unsure,
    NotForUs,
}

/// A stream protocol's probe over the first bytes of one direction.
pub type StreamProbe = fn(&[u8]) -> Probe;

impl Probe {
    /// `Certain` when `yes`; otherwise `Unsure` while fewer than `enough`
    /// bytes are there to tell, else `NotForUs`.
    pub fn from_test(yes: bool, have: usize, enough: usize) -> Probe {
        if yes {
            Probe::Certain
        } else if have < enough {
            Probe::Unsure
        } else {
            Probe::NotForUs
        }
    }
}

/// Where the message being recorded sits in the capture: every fact keeps
/// the packet number (as Wireshark counts) and time it was first seen.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub packet: u64,
    pub ts: Nanos,
    pub dir: Dir,
}

/// The report's protocol vocabulary, in report order (the schema of
/// `flows[].protocols` is generated from this enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Protocol {
    Stun,
    Turn,
    Sip,
    Sdp,
    Rtp,
    Rtcp,
    Srtp,
    Srtcp,
    Dtls,
    Tls,
    Quic,
    Dns,
    Http,
    Zrtp,
    Websocket,
    Zoom,
    Hep,
}

pub const VOCABULARY: [&str; 17] = [
    "stun",
    "turn",
    "sip",
    "sdp",
    "rtp",
    "rtcp",
    "srtp",
    "srtcp",
    "dtls",
    "tls",
    "quic",
    "dns",
    "http",
    "zrtp",
    "websocket",
    "zoom",
    "hep",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtocolSet(u32);

impl ProtocolSet {
    pub fn insert(&mut self, p: Protocol) {
        self.0 |= 1 << p as u8;
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn contains(&self, p: Protocol) -> bool {
        self.0 & (1 << p as u8) != 0
    }
    pub fn names(&self) -> Vec<&'static str> {
        (0..VOCABULARY.len())
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| VOCABULARY[i])
            .collect()
    }
}
