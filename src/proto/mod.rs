//! One module per protocol: pure functions from bytes to views or values,
//! never panicking, with their own tests and a fuzz target under fuzz/.

pub mod demux;
pub mod dns;
pub mod http;
pub mod quic;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod stun;
pub mod tls;

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
}

pub const VOCABULARY: [&str; 14] = [
    "stun", "turn", "sip", "sdp", "rtp", "rtcp", "srtp", "srtcp", "dtls", "tls", "quic", "dns",
    "http", "zrtp",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtocolSet(u16);

impl ProtocolSet {
    pub fn insert(&mut self, p: Protocol) {
        self.0 |= 1 << p as u8;
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
