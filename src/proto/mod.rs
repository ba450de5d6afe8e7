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
